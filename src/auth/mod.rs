//! Access-token checks: the provider's signing keys (`jwks`), token and claim
//! verification (`verify`), the cache of verified tokens (`cache`), and the actix extractor that runs them (`extract`).

mod cache;
mod extract;
pub mod jwks;
mod verify;

pub use verify::{AuthError, KeysStatus, Principal, TokenVerifier};
