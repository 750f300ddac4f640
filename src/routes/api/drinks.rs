//! `/drinks`, `/drinks-detail` and `/drinks/{id}`.

use actix_web::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ContentType, ETAG, HeaderValue, VARY,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder};

use super::schema::{DrinkBodyErrors, DrinkChangeErrors, ProtectedErrors, named_schema};
use crate::auth::Principal;
use crate::domain::{
    DrinkChanges, DrinkId, DrinkTitle, DrinksBody, Ingredient, LongDrink, NewDrink, Permission,
    Recipe, ShortDrink,
};
use crate::error::{ApiError, ErrorBody};
use crate::http::json_body::read_json;
use crate::http::json_errors::{method_not_allowed, read_only_resource};
use crate::http::preconditions::{ConditionalResponse, drink_etag, if_match_version};
use crate::menu::{MenuService, PrecompressedJson};
use crate::paths;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(paths::DRINKS)
            .route(web::get().to(list_menu))
            .route(web::post().to(create))
            .default_service(method_not_allowed("GET, HEAD, POST")),
    )
    .service(read_only_resource(paths::DRINKS_DETAIL, list_detailed))
    .service(
        web::resource(paths::DRINK)
            .route(web::get().to(show))
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(method_not_allowed("GET, HEAD, PATCH, DELETE")),
    );
}

/// The answer to a deletion, as the Flask API gives it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Deleted {
    success: bool,
    /// The id of the deleted drink.
    delete: DrinkId,
}

/// Public: any `Authorization` header (even `Bearer null`) is ignored.
/// The public menu, short form: each ingredient without its name.
#[utoipa::path(
    get, path = "/drinks", tag = "drinks",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The menu", body = DrinksBody<ShortDrink>,
            headers(("ETag" = String, description = "Strong validator of this representation"))),
        (status = 304, description = "The client's copy is current"),
    )
)]
pub(crate) async fn list_menu(
    request: HttpRequest,
    menu: web::Data<MenuService>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = menu.snapshot().await?;
    Ok(conditional(&request, &snapshot.short, "no-cache"))
}

/// The menu with whole recipes.
#[utoipa::path(
    get, path = "/drinks-detail", tag = "drinks",
    security(("bearer" = ["get:drinks-detail"])),
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The menu with recipes", body = DrinksBody<LongDrink>,
            headers(("ETag" = String, description = "Strong validator of this representation"))),
        (status = 304, description = "The client's copy is current"),
        ProtectedErrors,
    )
)]
pub(crate) async fn list_detailed(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<MenuService>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::GetDrinksDetail)?;
    let snapshot = menu.snapshot().await?;
    Ok(conditional(&request, &snapshot.long, "private, no-cache"))
}

/// The menu in the encoding the client accepts, or `304 Not Modified` when
/// its copy is current. `no-cache` lets clients keep a copy but makes them
/// revalidate each time.
fn conditional(
    request: &HttpRequest,
    menu: &PrecompressedJson,
    cache_control: &'static str,
) -> HttpResponse {
    let gzip = menu
        .gzip
        .as_ref()
        .filter(|_| accepts_gzip(request.headers().get(ACCEPT_ENCODING)));
    let etag = if gzip.is_some() {
        &menu.gzip_etag
    } else {
        &menu.etag
    };
    ConditionalResponse::new(request, etag, &menu.etags())
        .header((CACHE_CONTROL, cache_control))
        .header((VARY, "Accept-Encoding"))
        .send(|response| match gzip {
            Some(gzipped) => response
                .content_type(ContentType::json())
                .insert_header((CONTENT_ENCODING, "gzip"))
                .body(gzipped.clone()),
            None => response
                .content_type(ContentType::json())
                .body(menu.body.clone()),
        })
}

/// True when `Accept-Encoding` allows gzip (listed, or `*`, without `q=0`).
fn accepts_gzip(header: Option<&HeaderValue>) -> bool {
    let Some(value) = header.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|param| {
            param
                .strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// Adds a drink.
#[utoipa::path(
    post, path = "/drinks", tag = "drinks",
    security(("bearer" = ["post:drinks"])),
    request_body(content = NewDrinkBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The new drink", body = DrinksBody<LongDrink>),
        (status = 400, description = "The body is not well-formed JSON", body = ErrorBody),
        (status = 507, description = "The disk is full; nothing was changed", body = ErrorBody),
        DrinkBodyErrors,
        ProtectedErrors,
    )
)]
pub(crate) async fn create(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    menu: web::Data<MenuService>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PostDrinks)?;
    let drink = NewDrink::from_json(&read_json(&request, payload).await?)?;
    let created = menu.create(drink, principal.subject.to_string()).await?;
    Ok(HttpResponse::Ok().json(DrinksBody::new(vec![created.long()])))
}

/// One drink with its recipe, and its version as a strong ETag for
/// `If-Match` on `PATCH` and `DELETE`.
#[utoipa::path(
    get, path = "/drinks/{id}", tag = "drinks",
    security(("bearer" = ["get:drinks-detail"])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The drink's id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The drink", body = DrinksBody<LongDrink>,
            headers(("ETag" = String, description = "The drink's version, for If-Match"))),
        (status = 304, description = "The client's copy is current"),
        (status = 404, description = "There is no such drink", body = ErrorBody),
        ProtectedErrors,
    )
)]
pub(crate) async fn show(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<MenuService>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::GetDrinksDetail)?;
    let id = drink_id(&request)?;
    let drink = menu.find(id).await?.ok_or_else(|| no_such_drink(id))?;
    let etag = drink_etag(drink.id, drink.version);
    Ok(ConditionalResponse::new(&request, &etag, &[&etag])
        .header((CACHE_CONTROL, "private, no-cache"))
        .send(|response| response.json(DrinksBody::new(vec![drink.long()]))))
}

/// Changes the fields sent. With `If-Match`, only if the drink is still at
/// that version.
#[utoipa::path(
    patch, path = "/drinks/{id}", tag = "drinks",
    security(("bearer" = ["patch:drinks"])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The drink's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on, or *"),
    ),
    request_body(content = DrinkChangesBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The drink as changed", body = DrinksBody<LongDrink>,
            headers(("ETag" = String, description = "The drink's new version"))),
        (status = 400, description = "The body is not well-formed JSON, or If-Match is not ASCII", body = ErrorBody),
        DrinkBodyErrors,
        DrinkChangeErrors,
        ProtectedErrors,
    )
)]
pub(crate) async fn update(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    menu: web::Data<MenuService>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PatchDrinks)?;
    let id = drink_id(&request)?;
    let expected = if_match_version(&request, id)?;
    let changes = DrinkChanges::from_json(&read_json(&request, payload).await?)?;
    let updated = menu
        .update(id, changes, principal.subject.to_string(), expected)
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, drink_etag(updated.id, updated.version)))
        .json(DrinksBody::new(vec![updated.long()])))
}

/// Deletes a drink. With `If-Match`, only if it is still at that version.
#[utoipa::path(
    delete, path = "/drinks/{id}", tag = "drinks",
    security(("bearer" = ["delete:drinks"])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The drink's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on, or *"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 400, description = "If-Match is not ASCII", body = ErrorBody),
        DrinkChangeErrors,
        ProtectedErrors,
    )
)]
pub(crate) async fn delete(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<MenuService>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::DeleteDrinks)?;
    let id = drink_id(&request)?;
    let expected = if_match_version(&request, id)?;
    menu.delete(id, principal.subject.to_string(), expected)
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(HttpResponse::Ok().json(Deleted {
        success: true,
        delete: id,
    }))
}

/// The `{id}` path segment. Read after the permission check, so a client
/// without the permission learns nothing; anything but a positive integer
/// names no drink (404, as Flask's `<int:id>` route answers).
fn drink_id(request: &HttpRequest) -> Result<DrinkId, ApiError> {
    let raw = request.match_info().get("id").unwrap_or_default();
    raw.parse::<DrinkId>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(format!("there is no drink with id `{raw}`")))
}

fn no_such_drink(id: DrinkId) -> ApiError {
    ApiError::not_found(format!("there is no drink with id {id}"))
}

/// A `recipe` in a request: a list, or (as older clients send) one ingredient.
pub struct RecipeInput;

named_schema!(
    RecipeInput,
    "RecipeInput",
    OneOfBuilder::new()
        .item(Recipe::schema())
        .item(Ingredient::schema())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        let accepts =
            |value: &str| accepts_gzip(Some(&HeaderValue::from_str(value).expect("valid")));
        for header in ["gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "*"] {
            assert!(accepts(header), "{header}");
        }
        for header in ["gzip;q=0", "identity", "br, deflate"] {
            assert!(!accepts(header), "{header}");
        }
        assert!(!accepts_gzip(None));
    }
}
