//! Why a request is not authorised.

use crate::domain::Permission;

/// Why a request is not authorised. Mapped to 401, 403 or 503 by `ApiError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 401: no usable credentials. `token_presented` picks the `WWW-Authenticate` error.
    #[error("{message}")]
    Unauthenticated {
        message: &'static str,
        token_presented: bool,
        reason: Refusal,
    },
    /// 403: a valid token without the permission.
    #[error("this token does not grant the `{0}` permission")]
    MissingPermission(Permission),
    /// 403: a valid token with no `permissions` claim at all.
    #[error(
        "the token has no `permissions` claim: in Auth0, enable RBAC and \"Add Permissions in \
         the Access Token\" in the API's settings"
    )]
    NoPermissionsClaim,
    /// 503: sign-in is not configured.
    #[error(
        "sign-in is not configured: set auth.issuer (or auth.domain / AUTH0_DOMAIN) and \
         auth.audience (or API_AUDIENCE)"
    )]
    NotConfigured,
    /// 503: the signing keys have not been loaded yet.
    #[error("the identity provider's signing keys are not available yet; try again shortly")]
    KeysUnavailable,
}

/// Why a token was refused, for the metrics: a small fixed set, never
/// anything taken from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header.
    Missing,
    /// Not a bearer token, not a JWT, not RS256, no key id, too large.
    Malformed,
    Expired,
    NotYetValid,
    Signature,
    /// A key id the provider's key set does not have.
    UnknownKey,
    Audience,
    Issuer,
    /// A required claim is missing, or an ID token's nonce or azp is wrong.
    Claims,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed => "malformed",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::Signature => "signature",
            Refusal::UnknownKey => "unknown_kid",
            Refusal::Audience => "audience",
            Refusal::Issuer => "issuer",
            Refusal::Claims => "claims",
        }
    }
}

impl AuthError {
    pub(crate) fn invalid_token(reason: Refusal, message: &'static str) -> Self {
        Self::Unauthenticated {
            message,
            token_presented: true,
            reason,
        }
    }

    /// The metrics label for this refusal.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Unauthenticated { reason, .. } => reason.as_str(),
            AuthError::MissingPermission(_) | AuthError::NoPermissionsClaim => "no_permission",
            AuthError::NotConfigured => "not_configured",
            AuthError::KeysUnavailable => "keys_unavailable",
        }
    }
}
