//! `/drinks`, `/drinks-detail` and `/drinks/{id}`.

use actix_web::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ContentType, ETAG, HeaderValue, IF_MATCH,
    IF_NONE_MATCH, VARY,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::body::read_json;
use super::openapi::{DrinkChangesBody, NewDrinkBody};
use crate::auth::Principal;
use crate::domain::{DrinkChanges, DrinkId, NewDrink, Permission};
use crate::domain::{LongDrink, ShortDrink};
use crate::error::{ApiError, ErrorBody};
use crate::menu::{DrinksBody, Menu, Rendered, if_none_match_names};
use crate::routes::fallback::method_not_allowed;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/drinks")
            .route(web::get().to(list_menu))
            .route(web::post().to(create))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/drinks-detail")
            .route(web::get().to(list_detailed))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/drinks/{id}")
            .route(web::get().to(show))
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(method_not_allowed("GET, PATCH, DELETE")),
    );
}

/// The answer to a deletion, as the Flask API gives it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Deleted {
    success: bool,
    /// The id of the deleted drink.
    delete: DrinkId,
}

fn drinks_response<T: Serialize>(drinks: Vec<T>) -> HttpResponse {
    HttpResponse::Ok().json(DrinksBody::new(drinks))
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
    menu: web::Data<Menu>,
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
        (status = 401, description = "No usable token (`WWW-Authenticate` says why)", body = ErrorBody),
        (status = 403, description = "The token lacks the permission", body = ErrorBody),
        (status = 503, description = "Sign-in is not configured, or the signing keys are not loaded yet (`Retry-After`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_detailed(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::GetDrinksDetail)?;
    let snapshot = menu.snapshot().await?;
    Ok(conditional(&request, &snapshot.long, "private, no-cache"))
}

/// The rendered menu, or `304 Not Modified` when the client's copy is current.
/// `no-cache` lets clients keep a copy but makes them revalidate each time.
fn conditional(
    request: &HttpRequest,
    rendered: &Rendered,
    cache_control: &'static str,
) -> HttpResponse {
    let headers = request.headers();
    let gzip = rendered
        .gzip
        .as_ref()
        .filter(|_| accepts_gzip(headers.get(ACCEPT_ENCODING)));
    let etag = if gzip.is_some() {
        &rendered.gzip_etag
    } else {
        &rendered.etag
    };
    let client_is_current = headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| rendered.matches(value));
    let mut response = if client_is_current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag.clone()))
        .insert_header((CACHE_CONTROL, cache_control))
        .insert_header((VARY, "Accept-Encoding"));
    match (client_is_current, gzip) {
        (true, _) => response.finish(),
        (false, Some(gzipped)) => response
            .content_type(ContentType::json())
            .insert_header((CONTENT_ENCODING, "gzip"))
            .body(gzipped.clone()),
        (false, None) => response
            .content_type(ContentType::json())
            .body(rendered.body.clone()),
    }
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
        (status = 401, description = "No usable token (`WWW-Authenticate` says why)", body = ErrorBody),
        (status = 403, description = "The token lacks the permission", body = ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = ErrorBody),
        (status = 409, description = "Another drink has this title", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The drink breaks a rule; `fields` lists each one", body = ErrorBody),
        (status = 503, description = "Sign-in is not ready, or the database is read-only (nothing was changed)", body = ErrorBody),
        (status = 507, description = "The disk is full; nothing was changed", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PostDrinks)?;
    let drink = NewDrink::from_json(&read_json(&request, payload).await?)?;
    let created = menu.create(drink, principal.subject.to_string()).await?;
    Ok(drinks_response(vec![created.long()]))
}

/// `GET /drinks/{id}`: one drink in the long form, with a strong `ETag`
/// (its version) for `If-Match` on `PATCH` and `DELETE`.
/// One drink with its recipe, and its version as a strong ETag.
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
        (status = 401, description = "No usable token (`WWW-Authenticate` says why)", body = ErrorBody),
        (status = 403, description = "The token lacks the permission", body = ErrorBody),
        (status = 404, description = "There is no such drink", body = ErrorBody),
        (status = 503, description = "Sign-in is not configured, or the signing keys are not loaded yet (`Retry-After`)", body = ErrorBody),
    )
)]
pub(crate) async fn show(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::GetDrinksDetail)?;
    let id = drink_id(&request)?;
    let drink = menu.find(id).await?.ok_or_else(|| no_such_drink(id))?;
    let etag = drink.etag();
    let client_is_current = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| if_none_match_names(value, &[&etag]));
    let mut response = if client_is_current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, "private, no-cache"));
    Ok(if client_is_current {
        response.finish()
    } else {
        response.json(DrinksBody::new(vec![drink.long()]))
    })
}

/// The `If-Match` header, when sent: a change then applies only to the
/// version it names. Without it the change applies as before (the mobile
/// app does not send it).
fn if_match(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    request
        .headers()
        .get(IF_MATCH)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::BadRequest("If-Match must be ASCII entity tags".into()))
        })
        .transpose()
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
        (status = 401, description = "No usable token (`WWW-Authenticate` says why)", body = ErrorBody),
        (status = 403, description = "The token lacks the permission", body = ErrorBody),
        (status = 404, description = "There is no such drink", body = ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = ErrorBody),
        (status = 409, description = "Another drink has this title", body = ErrorBody),
        (status = 412, description = "The drink changed since the If-Match version; nothing was changed", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The change breaks a rule; `fields` lists each one", body = ErrorBody),
        (status = 503, description = "Sign-in is not ready, or the database is read-only (nothing was changed)", body = ErrorBody),
        (status = 507, description = "The disk is full; nothing was changed", body = ErrorBody),
    )
)]
pub(crate) async fn update(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PatchDrinks)?;
    let id = drink_id(&request)?;
    let if_match = if_match(&request)?;
    let changes = DrinkChanges::from_json(&read_json(&request, payload).await?)?;
    let updated = menu
        .update(id, changes, principal.subject.to_string(), if_match)
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, updated.etag()))
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
        (status = 401, description = "No usable token (`WWW-Authenticate` says why)", body = ErrorBody),
        (status = 403, description = "The token lacks the permission", body = ErrorBody),
        (status = 404, description = "There is no such drink", body = ErrorBody),
        (status = 412, description = "The drink changed since the If-Match version; nothing was changed", body = ErrorBody),
        (status = 503, description = "Sign-in is not ready, or the database is read-only (nothing was changed)", body = ErrorBody),
        (status = 507, description = "The disk is full; nothing was changed", body = ErrorBody),
    )
)]
pub(crate) async fn delete(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::DeleteDrinks)?;
    let id = drink_id(&request)?;
    let if_match = if_match(&request)?;
    menu.delete(id, principal.subject.to_string(), if_match)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        let accepts =
            |value: &str| accepts_gzip(Some(&HeaderValue::from_str(value).expect("valid")));
        assert!(accepts("gzip"));
        assert!(accepts("gzip, deflate, br"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("identity"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts_gzip(None));
    }
}
