//! `/drinks`, `/drinks-detail` and `/drinks/{id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::body::read_json;
use crate::auth::Principal;
use crate::db::{self, Database};
use crate::domain::{Drink, DrinkChanges, DrinkId, NewDrink, Permission};
use crate::error::ApiError;
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

#[derive(Serialize)]
struct DrinksResponse<T> {
    success: bool,
    drinks: Vec<T>,
}

fn drinks_response<T: Serialize>(drinks: Vec<T>) -> HttpResponse {
    HttpResponse::Ok().json(DrinksResponse {
        success: true,
        drinks,
    })
}

/// Public: any `Authorization` header (even `Bearer null`) is ignored.
async fn list_menu(database: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    let drinks = database.run(|conn| db::list_drinks(conn)).await?;
    Ok(drinks_response(drinks.iter().map(Drink::short).collect()))
}

async fn list_detailed(
    principal: Principal,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::GetDrinksDetail)?;
    let drinks = database.run(|conn| db::list_drinks(conn)).await?;
    Ok(drinks_response(drinks.iter().map(Drink::long).collect()))
}

async fn create(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PostDrinks)?;
    let drink = NewDrink::from_json(&read_json(&request, payload).await?)?;
    let created = database
        .run(move |conn| db::create_drink(conn, &drink, &principal.subject))
        .await?;
    Ok(drinks_response(vec![created.long()]))
}

async fn update(
    principal: Principal,
    request: HttpRequest,
    payload: web::Payload,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::PatchDrinks)?;
    let id = drink_id(&request)?;
    let changes = DrinkChanges::from_json(&read_json(&request, payload).await?)?;
    let updated = database
        .run(move |conn| db::update_drink(conn, id, &changes, &principal.subject))
        .await?
        .ok_or_else(|| no_such_drink(id))?;
    Ok(drinks_response(vec![updated.long()]))
}

async fn delete(
    principal: Principal,
    request: HttpRequest,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::DeleteDrinks)?;
    let id = drink_id(&request)?;
    database
        .run(move |conn| db::delete_drink(conn, id, &principal.subject))
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
