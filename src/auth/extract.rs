//! The `Principal` extractor: reads `Authorization: Bearer <jwt>` and verifies it.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Either, LocalBoxFuture};
use metrics::counter;

use super::error::Refusal;
use super::{AuthError, Principal, TokenVerifier};
use crate::error::ApiError;
use crate::metrics::names;

type Answer = Result<Principal, ApiError>;

impl FromRequest for Principal {
    type Error = ApiError;
    /// Ready at once for a token verified before (the common case, with no
    /// copy of the token and no boxed future); otherwise the full check.
    type Future = Either<Ready<Answer>, LocalBoxFuture<'static, Answer>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(verifier) = request.app_data::<web::Data<TokenVerifier>>() else {
            return Either::Left(ready(Err(ApiError::internal(
                "TokenVerifier is not registered",
            ))));
        };
        // Without a provider no token can be checked: say what to configure
        // rather than asking the client for a token.
        if !verifier.is_configured() {
            return Either::Left(ready(Err(AuthError::NotConfigured.into())));
        }
        let token = match bearer_token(request) {
            Ok(token) => token,
            Err(error) => return Either::Left(ready(Err(error.into()))),
        };
        match verifier.remembered(token) {
            Ok(Some(principal)) => {
                counter!(names::TOKEN_CACHE, "result" => "hit").increment(1);
                counter!(names::TOKENS_VERIFIED).increment(1);
                Either::Left(ready(Ok(principal)))
            }
            Err(error) => Either::Left(ready(Err(error.into()))),
            Ok(None) => {
                counter!(names::TOKEN_CACHE, "result" => "miss").increment(1);
                let verifier = web::Data::clone(verifier);
                let token = token.to_owned();
                Either::Right(Box::pin(async move {
                    let principal = verifier.verify(&token).await?;
                    counter!(names::TOKENS_VERIFIED).increment(1);
                    Ok(principal)
                }))
            }
        }
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
            reason: Refusal::Missing,
        })?;
    // UTF-8 validation runs a word at a time; `HeaderValue::to_str` checks
    // each of a token's ~1000 bytes one by one, on every request. Tokens are
    // ASCII, so anything else fails either way.
    let value = std::str::from_utf8(header.as_bytes())
        .map_err(|_| AuthError::invalid_token(Refusal::Malformed, NOT_BEARER))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::invalid_token(Refusal::Malformed, NOT_BEARER))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::invalid_token(
            Refusal::Malformed,
            "Authorization header must start with \"Bearer\".",
        ));
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err(AuthError::invalid_token(Refusal::Malformed, NOT_BEARER));
    }
    Ok(token)
}

#[cfg(test)]
mod properties {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_authorization_header_is_refused_or_a_plain_token(raw in prop::collection::vec(any::<u8>(), 0..200)) {
            let Ok(value) = HeaderValue::from_bytes(&raw) else {
                return Ok(());
            };
            let request = TestRequest::default().insert_header((AUTHORIZATION, value)).to_http_request();
            if let Ok(token) = bearer_token(&request) {
                prop_assert!(!token.is_empty() && !token.contains(' '));
            }
        }
    }
}
