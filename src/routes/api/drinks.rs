//! `/drinks`, `/drinks-detail` and `/drinks/{id}`.

use actix_web::http::header::{CACHE_CONTROL, ContentType, ETAG, IF_NONE_MATCH};
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
            .route(web::patch().to(update))
            .route(web::delete().to(delete))
            .default_service(method_not_allowed("PATCH, DELETE")),
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
    let client_is_current = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| rendered.matches(value));
    let mut response = if client_is_current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, rendered.etag.clone()))
        .insert_header((CACHE_CONTROL, cache_control));
    if client_is_current {
        response.finish()
    } else {
        response
            .content_type(ContentType::json())
            .body(rendered.body.clone())
    }
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

async fn update(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PatchDrinks)?;
    let id = drink_id(&request)?;
    let changes = DrinkChanges::from_json(&read_json(&request, payload).await?)?;
    let updated = menu
        .update(id, changes, principal.subject)
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(drinks_response(vec![updated.long()]))
}

async fn delete(
    principal: Principal,
    request: HttpRequest,
    menu: web::Data<Menu>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::DeleteDrinks)?;
    let id = drink_id(&request)?;
    menu.delete(id, principal.subject)
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
