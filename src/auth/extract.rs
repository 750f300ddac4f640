//! The `Principal` extractor: reads `Authorization: Bearer <jwt>` and verifies it.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::{AuthError, Principal, TokenVerifier};
use crate::error::ApiError;

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = request.app_data::<web::Data<TokenVerifier>>().cloned();
        let token = bearer_token(request).map(str::to_owned);
        Box::pin(async move {
            let verifier =
                verifier.ok_or_else(|| ApiError::internal("TokenVerifier is not registered"))?;
            // Without a provider no token can be checked: say what to configure
            // rather than asking the client for a token.
            if !verifier.is_configured() {
                return Err(AuthError::NotConfigured.into());
            }
            Ok(verifier.verify(&token?).await?)
        })
    }
}

/// The Flask API's words for a header that is not `Bearer <token>`.
const NOT_BEARER: &str = "Authorization header must be bearer token.";

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(request: &HttpRequest) -> Result<&str, AuthError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .ok_or(AuthError::Unauthenticated {
            message: "Authorization header is expected.",
            token_presented: false,
        })?;
    let value = header
        .to_str()
        .map_err(|_| AuthError::invalid_token(NOT_BEARER))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::invalid_token(NOT_BEARER))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::invalid_token(
            "Authorization header must start with \"Bearer\".",
        ));
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err(AuthError::invalid_token(NOT_BEARER));
    }
    Ok(token)
}
