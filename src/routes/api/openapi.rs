//! `GET /openapi.json`: the API's OpenAPI 3.1 document, generated from the
//! Rust types and the handlers' annotations, so it cannot drift from what
//! is served. The value types that carry rules (titles, names, colors,
//! parts) state them from the same constants and patterns the validators
//! use; property tests hold the patterns to the validators.

use std::borrow::Cow;

use actix_web::HttpResponse;
use actix_web::web::{self, Bytes};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::domain::{
    Color, DrinkTitle, IngredientName, MAX_INGREDIENTS, MAX_NAME_CHARS, MAX_PARTS, MAX_TITLE_CHARS,
    Parts, Recipe, TEXT_SCHEMA_PATTERN,
};

/// The document, rendered once at start-up.
pub struct OpenApiDocument(Bytes);

impl OpenApiDocument {
    pub fn render() -> Self {
        let json = ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".to_owned());
        Self(Bytes::from(json))
    }
}

pub async fn serve(document: web::Data<OpenApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "coffee-shop",
        description = "A café's drinks menu. Wire-compatible with the Flask \"Coffee Shop\" API: \
                       every error is `{\"success\": false, \"error\": <status>, \"message\": \"…\"}`. \
                       Protected routes take an RS256 access token from the café's identity \
                       provider; the security requirement of each route names the permission it needs.",
    ),
    paths(
        super::drinks::list_menu,
        super::drinks::list_detailed,
        super::drinks::create,
        super::drinks::show,
        super::drinks::update,
        super::drinks::delete,
        crate::routes::health::healthz,
        crate::routes::health::readyz,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::domain::FieldError,
        crate::domain::Ingredient,
        DrinkTitle,
        IngredientName,
        Color,
        Parts,
        Recipe,
    )),
    modifiers(&BearerTokens)
)]
struct ApiDoc;

/// The bearer scheme: an RS256 JWT from the configured issuer, whose
/// `permissions` claim the routes check.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        scheme.description = Some(
            "An RS256 access token from the café's identity provider (Auth0 RBAC puts the \
             permissions in its `permissions` claim)."
                .to_owned(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
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

macro_rules! named_schema {
    ($type:ty, $name:literal, $schema:expr) => {
        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl ToSchema for $type {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

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
        .description(Some("The layers, bottom first."))
        .into()
);

/// A `recipe` in a request: a list, or (as older clients send) one ingredient.
pub struct RecipeInput;

named_schema!(
    RecipeInput,
    "RecipeInput",
    OneOfBuilder::new()
        .item(Recipe::schema())
        .item(crate::domain::Ingredient::schema())
        .description(Some(
            "A list of 1–10 ingredients, or a single ingredient object."
        ))
        .into()
);

/// The body of `POST /drinks`. Any `id` is ignored (the Ionic app sends -1).
pub struct NewDrinkBody;

named_schema!(
    NewDrinkBody,
    "NewDrink",
    ObjectBuilder::new()
        .property("title", DrinkTitle::schema())
        .property("recipe", RecipeInput::schema())
        .required("title")
        .required("recipe")
        .description(Some(
            "A drink to add. Other keys, such as `id`, are ignored."
        ))
        .into()
);

/// The body of `PATCH /drinks/{id}`: only the keys sent change.
pub struct DrinkChangesBody;

named_schema!(
    DrinkChangesBody,
    "DrinkChanges",
    ObjectBuilder::new()
        .property("title", DrinkTitle::schema())
        .property("recipe", RecipeInput::schema())
        .description(Some(
            "The fields to change; those left out keep their value. An empty object changes nothing."
        ))
        .into()
);

/// `GET /healthz`: the process is alive.
pub struct Liveness;

named_schema!(
    Liveness,
    "Liveness",
    ObjectBuilder::new()
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("status", ObjectBuilder::new().schema_type(Type::String))
        .required("success")
        .required("status")
        .into()
);

/// `GET /readyz` when ready: the state of each dependency.
pub struct Readiness;

named_schema!(
    Readiness,
    "Readiness",
    ObjectBuilder::new()
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property(
            "checks",
            ObjectBuilder::new()
                .property("database", ObjectBuilder::new().schema_type(Type::String))
                .property(
                    "signing_keys",
                    ObjectBuilder::new().schema_type(Type::String)
                ),
        )
        .required("success")
        .required("checks")
        .into()
);
