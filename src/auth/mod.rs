//! Access-token checks: the provider's signing keys (`jwks`), token and claim
//! verification (`verify`), the cache of verified tokens (`cache`), the
//! development key (`dev`), and the actix extractor that runs them (`extract`);
//! for the admin pages, the OpenID Connect sign-in (`oidc`), sessions
//! (`session`) and CSRF checks (`csrf`).

mod cache;
pub mod csrf;
pub mod dev;
mod error;
mod extract;
pub mod jwks;
pub mod oidc;
mod principal;
mod provider_client;
pub mod sealed;
pub mod session;
mod verify;

pub use error::AuthError;
pub use principal::Principal;
pub use verify::{Identity, KeysStatus, TokenVerifier, access_token_key_id};
