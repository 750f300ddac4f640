//! The Auth0 RBAC permissions the API knows.

use std::fmt;

/// One Auth0 RBAC permission that the API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the detailed menu (Barista and Manager).
    GetDrinksDetail,
    /// Create drinks (Manager).
    PostDrinks,
    /// Change drinks (Manager).
    PatchDrinks,
    /// Delete drinks (Manager).
    DeleteDrinks,
}

impl Permission {
    /// Every permission, in a fixed order.
    pub const ALL: [Permission; 4] = [
        Permission::GetDrinksDetail,
        Permission::PostDrinks,
        Permission::PatchDrinks,
        Permission::DeleteDrinks,
    ];

    /// The permission's name as it appears in the token's `permissions` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::GetDrinksDetail => "get:drinks-detail",
            Permission::PostDrinks => "post:drinks",
            Permission::PatchDrinks => "patch:drinks",
            Permission::DeleteDrinks => "delete:drinks",
        }
    }

    /// The permission with this claim name, if the API knows it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of known permissions a token grants; unknown names are ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions(u8);

impl Permissions {
    /// True when `permission` was granted.
    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// A manager holds every permission.
    pub fn is_manager(self) -> bool {
        Permission::ALL
            .into_iter()
            .all(|permission| self.contains(permission))
    }

    /// The names of the granted permissions, in `Permission::ALL`'s order.
    pub fn names(self) -> Vec<&'static str> {
        Permission::ALL
            .into_iter()
            .filter(|permission| self.contains(*permission))
            .map(Permission::as_str)
            .collect()
    }

    /// A barista holds the detail permission and nothing more.
    pub fn is_barista(self) -> bool {
        self == [Permission::GetDrinksDetail.as_str()].into_iter().collect()
    }
}

impl<'a> FromIterator<&'a str> for Permissions {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> Self {
        Self(
            names
                .into_iter()
                .filter_map(Permission::parse)
                .fold(0, |bits, p| bits | p.bit()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
        assert_eq!(Permission::parse("post:drink"), None);
    }

    #[test]
    fn a_barista_holds_only_the_detail_permission() {
        let barista: Permissions = ["get:drinks-detail", "read:everything"]
            .into_iter()
            .collect();
        assert!(barista.contains(Permission::GetDrinksDetail));
        assert!(!barista.contains(Permission::PostDrinks));
        assert!(!barista.contains(Permission::PatchDrinks));
        assert!(!barista.contains(Permission::DeleteDrinks));
    }
}
