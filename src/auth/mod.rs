//! Access-token checks: the provider's signing keys (`jwks`), token and claim
//! verification (`verify`), the cache of verified tokens (`cache`), the
//! development key (`dev`), and the actix extractor that runs them (`extract`).

mod cache;
pub mod dev;
mod extract;
pub mod jwks;
mod verify;

pub use verify::{AuthError, KeysStatus, Principal, TokenVerifier};
