//! The OpenAPI schemas of the value types that carry rules (titles, names,
//! colors, parts, recipes), stated from the same constants and patterns the
//! validators use (property tests hold the patterns to the validators), and
//! the error answers every protected route shares. Request and response
//! bodies are declared beside their handlers.

use utoipa::IntoResponses;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};

use crate::domain::{
    Color, DrinkTitle, IngredientName, MAX_INGREDIENTS, MAX_NAME_CHARS, MAX_PARTS, MAX_TITLE_CHARS,
    Parts, Recipe, TEXT_SCHEMA_PATTERN,
};
use crate::error::ErrorBody;

/// The answers of a route behind a permission, besides its own.
#[derive(IntoResponses)]
pub enum ProtectedErrors {
    /// No usable token (`WWW-Authenticate` says why)
    #[response(status = 401)]
    Unauthorized(ErrorBody<'static>),
    /// The token lacks the permission
    #[response(status = 403)]
    Forbidden(ErrorBody<'static>),
    /// Sign-in is not configured or not ready (`Retry-After`), or the database is read-only (nothing was changed)
    #[response(status = 503)]
    Unavailable(ErrorBody<'static>),
}

/// The answers of a route that takes a drink in a JSON body, besides its own.
#[derive(IntoResponses)]
pub enum DrinkBodyErrors {
    /// The body did not arrive in time
    #[response(status = 408)]
    Timeout(ErrorBody<'static>),
    /// Another drink has this title (`conflict`); or, creating, the menu already holds `menu.max_drinks` drinks (`menu_full`). Nothing was changed
    #[response(status = 409)]
    Conflict(ErrorBody<'static>),
    /// The body is too large
    #[response(status = 413)]
    TooLarge(ErrorBody<'static>),
    /// The body is not sent as application/json
    #[response(status = 415)]
    NotJson(ErrorBody<'static>),
    /// The drink breaks a rule; `fields` lists each one
    #[response(status = 422)]
    Invalid(ErrorBody<'static>),
}

/// The answers of a change to one drink, besides its own.
#[derive(IntoResponses)]
pub enum DrinkChangeErrors {
    /// There is no such drink
    #[response(status = 404)]
    NotFound(ErrorBody<'static>),
    /// The drink changed since the If-Match version; nothing was changed
    #[response(status = 412)]
    Stale(ErrorBody<'static>),
    /// The disk is full; nothing was changed
    #[response(status = 507)]
    DiskFull(ErrorBody<'static>),
}

/// A text field with the shared rule (see `domain::validation::parse_text`).
fn text(max_chars: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max_chars))
        .pattern(Some(TEXT_SCHEMA_PATTERN))
        .description(Some(description))
        .into()
}

/// Implements `ToSchema` for `$type` under `$name` with the schema `$schema`.
macro_rules! named_schema {
    ($type:ty, $name:literal, $schema:expr) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $type {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}
pub(crate) use named_schema;

named_schema!(
    DrinkTitle,
    "DrinkTitle",
    text(
        MAX_TITLE_CHARS,
        "A drink's title: no control characters, not only spaces; stored trimmed; unique \
         ignoring case (409 when taken)."
    )
);

named_schema!(
    IngredientName,
    "IngredientName",
    text(
        MAX_NAME_CHARS,
        "What the layer is made of: no control characters, not only spaces; stored trimmed."
    )
);

named_schema!(
    Color,
    "Color",
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(crate::domain::MAX_COLOR_LEN))
        .pattern(Some(crate::domain::color_schema_pattern()))
        .description(Some(
            "A CSS color: a named color, #rgb, #rgba, #rrggbb, #rrggbbaa, or \
             rgb()/rgba()/hsl()/hsla() with numeric arguments (comma or space syntax)."
        ))
        .into()
);

named_schema!(
    Parts,
    "Parts",
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_PARTS))
        .description(Some(
            "How much of the cup the layer fills, relative to the others."
        ))
        .into()
);

named_schema!(
    Recipe,
    "Recipe",
    ArrayBuilder::new()
        .items(crate::domain::Ingredient::schema())
        .min_items(Some(1))
        .max_items(Some(MAX_INGREDIENTS))
        .description(Some(
            "The layers, top first, as the mobile app draws them: `recipe[0]` is the top \
             of the cup.",
        ))
        .into()
);
