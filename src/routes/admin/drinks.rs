//! The menu page and deletion, through the same `MenuService` (and so the
//! same activity log) as the API; the editor is in `editor`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::context::{Admin, AdminForm};
use super::form::DeleteForm;
use super::views::{ConflictPage, DeletePage, DrinkCard, FormRow, MenuPage};
use super::{render, render_with_status};
use crate::db::DbError;
use crate::domain::{Drink, DrinkId, Permission};
use crate::error::PageError;
use crate::menu::MenuService;
use crate::paths;

#[derive(Deserialize)]
pub struct MenuQuery {
    #[serde(default)]
    q: String,
}

/// `GET /admin`: every drink as a card; `?q=` filters (the filter box also
/// filters as you type, with JavaScript on).
pub async fn menu_page(
    admin: Admin,
    query: web::Query<MenuQuery>,
) -> Result<HttpResponse, PageError> {
    admin.require(Permission::GetDrinksDetail)?;
    let snapshot = admin.menu.snapshot().await?;
    let needle = query.q.trim().to_lowercase();
    let cards: Vec<DrinkCard> = snapshot
        .drinks
        .iter()
        .map(DrinkCard::of)
        .filter(|card| needle.is_empty() || card.search_text.contains(&needle))
        .collect();
    let flash = admin.flash();
    let had_flash = flash.is_some();
    let page = MenuPage {
        layout: admin.layout("Menu", "menu").with_flash(flash),
        total: snapshot.drinks.len(),
        cards,
        query: query.q.trim().to_owned(),
        can_edit: admin.session.can(Permission::PatchDrinks),
        can_delete: admin.session.can(Permission::DeleteDrinks),
    };
    let mut response = render(&page)?;
    if had_flash {
        admin.clear_flash(&mut response);
    }
    Ok(response)
}

/// `GET /admin/drinks/{id}/delete`: what is about to go, and a button.
pub async fn delete_page(admin: Admin, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    admin.require(Permission::DeleteDrinks)?;
    let drink = find(&admin.menu, &path).await?;
    render(&DeletePage {
        layout: admin.layout(format!("Delete {}", drink.title.as_str()), "menu"),
        card: DrinkCard::of(&drink),
        csrf_token: admin.session.csrf_token.clone(),
        version: drink.version,
    })
}

/// `POST /admin/drinks/{id}/delete`.
pub async fn delete(
    post: AdminForm<DeleteForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let AdminForm { admin, form } = post;
    admin.require(Permission::DeleteDrinks)?;
    let id = parse_id(&path)?;
    let actor = admin.session.subject.clone();
    let deleted = match admin.menu.delete(id, actor, form.expected()).await {
        Err(DbError::Stale) => {
            let current = find(&admin.menu, &path).await?;
            return conflict_page(&admin, &current, true, String::new(), Vec::new());
        }
        other => other?.ok_or_else(|| no_such_drink(&path))?,
    };
    Ok(admin.redirect_with_flash(paths::ADMIN, &format!("{} deleted", deleted.title.as_str())))
}

/// 409: the drink changed since the form was opened; nothing was written.
pub fn conflict_page(
    admin: &Admin,
    current: &Drink,
    deleting: bool,
    title: String,
    rows: Vec<FormRow>,
) -> Result<HttpResponse, PageError> {
    let page = ConflictPage {
        layout: admin.layout(
            format!("{} was changed meanwhile", current.title.as_str()),
            "menu",
        ),
        id: current.id,
        current: DrinkCard::of(current),
        current_version: current.version,
        deleting,
        title,
        rows,
        csrf_token: admin.session.csrf_token.clone(),
    };
    render_with_status(&page, StatusCode::CONFLICT)
}

fn parse_id(raw: &str) -> Result<DrinkId, PageError> {
    raw.parse::<DrinkId>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| no_such_drink(raw))
}

/// The drink a path names, or a 404 page.
pub async fn find(menu: &MenuService, raw_id: &str) -> Result<Drink, PageError> {
    let id = parse_id(raw_id)?;
    menu.find(id).await?.ok_or_else(|| no_such_drink(raw_id))
}

fn no_such_drink(raw_id: &str) -> PageError {
    PageError::NotFound(format!("There is no drink {raw_id} on the menu."))
}
