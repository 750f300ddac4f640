//! `/drinks`, `/drinks-detail` and `/drinks/{id}`.

use actix_web::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ContentType, ETAG, HeaderValue, IF_MATCH,
    IF_NONE_MATCH, VARY,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::body::read_json;
use crate::auth::Principal;
use crate::domain::{DrinkChanges, DrinkId, NewDrink, Permission};
use crate::error::ApiError;
use crate::menu::{DrinksBody, Menu, Rendered};
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

fn drinks_response<T: Serialize>(drinks: Vec<T>) -> HttpResponse {
    HttpResponse::Ok().json(DrinksBody::new(drinks))
}

/// Public: any `Authorization` header (even `Bearer null`) is ignored.
async fn list_menu(request: HttpRequest, menu: web::Data<Menu>) -> Result<HttpResponse, ApiError> {
    let snapshot = menu.snapshot().await?;
    Ok(conditional(&request, &snapshot.short, "no-cache"))
}

async fn list_detailed(
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

async fn create(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PostDrinks)?;
    let drink = NewDrink::from_json(&read_json(&request, payload).await?)?;
    let created = menu.create(drink, principal.subject).await?;
    Ok(drinks_response(vec![created.long()]))
}

/// `GET /drinks/{id}`: one drink in the long form, with a strong `ETag`
/// (its version) for `If-Match` on `PATCH` and `DELETE`.
async fn show(
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
        .is_some_and(|value| {
            value
                .split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == "*" || tag == etag)
        });
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

async fn update(
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
        .update(id, changes, principal.subject, if_match)
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, updated.etag()))
        .json(DrinksBody::new(vec![updated.long()])))
}

async fn delete(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::DeleteDrinks)?;
    let id = drink_id(&request)?;
    let if_match = if_match(&request)?;
    menu.delete(id, principal.subject, if_match)
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"success": true, "delete": id})))
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
