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

impl AuthError {
    pub(crate) fn invalid_token(message: &'static str) -> Self {
        Self::Unauthenticated {
            message,
            token_presented: true,
        }
    }
}
