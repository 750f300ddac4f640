//! `GET /openapi.json`: the API's OpenAPI 3.1 document, assembled from the
//! handlers' annotations and the schemas declared beside them (and in
//! `schema`), so it cannot drift from what is served.

use actix_web::HttpResponse;
use actix_web::web::{self, Bytes};
use utoipa::openapi::RefOr;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::{Color, DrinkTitle, IngredientName, Parts, Recipe};

/// The document, rendered once at start-up (`GET /openapi.json`).
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
    modifiers(&BearerTokens, &HeadBesideGet)
)]
struct ApiDoc;

/// HEAD is answered wherever GET is (`http::head`): each GET operation is
/// documented again as HEAD, its answers the same but without a body.
struct HeadBesideGet;

impl Modify for HeadBesideGet {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let Some(mut head) = item.get.clone() else {
                continue;
            };
            head.operation_id = head.operation_id.map(|id| format!("{id}_head"));
            for response in head.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    response.content.clear();
                }
            }
            item.head = Some(head);
        }
    }
}

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
