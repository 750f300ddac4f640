//! Every path the server answers at, written once: routes are registered
//! from these patterns, and pages, redirects and cookies link with them, so
//! a route can move without a grep. A leaf module: it imports nothing of
//! the crate.

use std::fmt::Display;

/// The public menu (short form); `POST` adds a drink.
pub const DRINKS: &str = "/drinks";
/// The menu with recipes.
pub const DRINKS_DETAIL: &str = "/drinks-detail";
/// One drink.
pub const DRINK: &str = "/drinks/{id}";
/// Liveness.
pub const HEALTHZ: &str = "/healthz";
/// Readiness.
pub const READYZ: &str = "/readyz";
/// ACME HTTP-01 challenges, on the plain-HTTP listener only.
pub const ACME_CHALLENGE: &str = "/.well-known/acme-challenge/{token}";
/// The OpenAPI document.
pub const OPENAPI: &str = "/openapi.json";
/// Prometheus metrics (the scrape listener; the main port with a token).
pub const METRICS: &str = "/metrics";

/// The admin pages' scope (and the menu page); cookies are scoped to it.
pub const ADMIN: &str = "/admin";
/// Embedded CSS, JavaScript and icons.
pub const ADMIN_STATIC: &str = "/admin/static";
pub const SIGN_IN: &str = "/admin/login";
pub const SIGN_IN_START: &str = "/admin/login/start";
pub const CALLBACK: &str = "/admin/callback";
pub const DEV_SIGN_IN: &str = "/admin/dev-login";
pub const SIGN_OUT: &str = "/admin/logout";
pub const ADMIN_DRINKS: &str = "/admin/drinks";
pub const NEW_DRINK: &str = "/admin/drinks/new";
pub const ADMIN_DRINK: &str = "/admin/drinks/{id}";
pub const EDIT_DRINK: &str = "/admin/drinks/{id}/edit";
pub const DELETE_DRINK: &str = "/admin/drinks/{id}/delete";
pub const ACTIVITY: &str = "/admin/activity";
/// Managers only: how the server is doing.
pub const SYSTEM: &str = "/admin/system";
/// Managers only: a fresh backup, as a file to carry away.
pub const BACKUP_DOWNLOAD: &str = "/admin/backup";

/// The paths that belong to the server, never to a `[frontend]` folder.
pub const RESERVED: [&str; 7] = [
    DRINKS,
    DRINKS_DETAIL,
    ADMIN,
    HEALTHZ,
    READYZ,
    OPENAPI,
    METRICS,
];

/// `pattern` with its `{id}` filled in.
pub fn with_id(pattern: &str, id: impl Display) -> String {
    pattern.replace("{id}", &id.to_string())
}

/// An admin path as registered inside the `/admin` scope.
pub fn in_admin_scope(path: &'static str) -> &'static str {
    path.strip_prefix(ADMIN).unwrap_or(path)
}

/// The editor for drink `id`.
pub fn edit_drink(id: impl Display) -> String {
    with_id(EDIT_DRINK, id)
}

/// The confirmation page (GET) and the deletion (POST) of drink `id`.
pub fn delete_drink(id: impl Display) -> String {
    with_id(DELETE_DRINK, id)
}

/// Where the editor of drink `id` posts.
pub fn admin_drink(id: impl Display) -> String {
    with_id(ADMIN_DRINK, id)
}

/// The id of drink `id`'s card on the menu page.
pub fn card_anchor(id: impl Display) -> String {
    format!("drink-{id}")
}

/// The menu page, scrolled to drink `id`'s card.
pub fn menu_card(id: impl Display) -> String {
    format!("{ADMIN}#{}", card_anchor(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_fill_in_and_nest() {
        assert_eq!(edit_drink(7), "/admin/drinks/7/edit");
        assert_eq!(in_admin_scope(ACTIVITY), "/activity");
        assert_eq!(in_admin_scope(ADMIN), "");
        assert_eq!(menu_card(3), "/admin#drink-3");
    }
}
