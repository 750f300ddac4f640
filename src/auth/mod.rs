//! Access-token checks: the provider's signing keys (`jwks`), token and claim
//! verification (`verify`), and the actix extractor that runs them (`extract`).

mod extract;
pub mod jwks;
mod verify;

pub use verify::{AuthError, KeysStatus, Principal, TokenVerifier};
