//! The verified identity behind a request.

use super::error::AuthError;
use crate::domain::{Permission, Permissions};

/// Who made a request, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`, recorded in the activity log. Shared, so handing
    /// a remembered principal to a request copies nothing.
    pub subject: std::sync::Arc<str>,
    /// `None` when the token had no `permissions` claim.
    pub permissions: Option<Permissions>,
    /// The token's `exp` (Unix seconds); a dashboard session ends there.
    pub expires_at: u64,
}

impl Principal {
    /// Succeeds when the token grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AuthError> {
        match self.permissions {
            None => Err(AuthError::NoPermissionsClaim),
            Some(granted) if granted.contains(permission) => Ok(()),
            Some(_) => Err(AuthError::MissingPermission(permission)),
        }
    }
}
