//! The menu page, the drink editor (new and edit) and deletion, all through
//! the same `Menu` service (and so the same activity log) as the API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::form::{CheckedForm, DrinkFormInput, FormAction, MAX_ROWS, rows_of};
use super::views::{
    ConflictPage, Cup, DeletePage, DrinkCard, DrinkFormPage, FormRow, Layout, MenuPage,
};
use super::{AdminState, clear_flash, redirect_with_flash, render, render_with_status, take_flash};
use crate::auth::csrf;
use crate::auth::session::AdminSession;
use crate::db::DbError;
use crate::domain::{Drink, DrinkChanges, DrinkId, Permission};
use crate::error::PageError;
use crate::menu::Menu;

#[derive(Deserialize)]
pub struct MenuQuery {
    #[serde(default)]
    q: String,
}

/// `GET /admin`: every drink as a card; `?q=` filters (the filter box also
/// filters as you type, with JavaScript on).
pub async fn menu_page(
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<MenuQuery>,
    menu: web::Data<Menu>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::GetDrinksDetail)?;
    let snapshot = menu.snapshot().await?;
    let needle = query.q.trim().to_lowercase();
    let cards: Vec<DrinkCard> = snapshot
        .drinks
        .iter()
        .map(DrinkCard::of)
        .filter(|card| needle.is_empty() || card.search_text.contains(&needle))
        .collect();
    let flash = take_flash(&request);
    let had_flash = flash.is_some();
    let page = MenuPage {
        layout: Layout::new("Menu", "menu", state.dev_mode())
            .for_session(&session)
            .with_flash(flash),
        total: snapshot.drinks.len(),
        cards,
        query: query.q.trim().to_owned(),
        can_edit: session.can(Permission::PatchDrinks),
        can_delete: session.can(Permission::DeleteDrinks),
    };
    let mut response = render(&page)?;
    if had_flash {
        clear_flash(&mut response, state.secure_cookies);
    }
    Ok(response)
}

/// What the editor page is for: a new drink, or changing one.
enum Editing {
    New,
    Existing(DrinkId),
}

impl Editing {
    fn action(&self) -> String {
        match self {
            Editing::New => "/admin/drinks".to_owned(),
            Editing::Existing(id) => format!("/admin/drinks/{id}"),
        }
    }
}

fn form_page(
    state: &AdminState,
    session: &AdminSession,
    editing: &Editing,
    form: CheckedForm,
    version: Option<i64>,
) -> DrinkFormPage {
    let (heading, submit_label, section) = match editing {
        Editing::New => ("New drink".to_owned(), "Add to the menu".to_owned(), "new"),
        Editing::Existing(_) => (
            format!(
                "Edit {}",
                if form.title.trim().is_empty() {
                    "drink"
                } else {
                    form.title.trim()
                }
            ),
            "Save changes".to_owned(),
            "menu",
        ),
    };
    let valid_layers: Vec<(String, u32)> = form
        .rows
        .iter()
        .filter_map(|row| {
            let color = crate::domain::Color::parse(&row.color).ok()?;
            let parts = row
                .parts
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=100).contains(p))?;
            Some((color.as_str().to_owned(), parts))
        })
        .collect();
    let preview = Cup::new(
        "cup-preview".to_owned(),
        valid_layers
            .iter()
            .map(|(color, parts)| (color.as_str(), *parts)),
        "Preview of the cup".to_owned(),
    );
    DrinkFormPage {
        layout: Layout::new(heading.clone(), section, state.dev_mode()).for_session(session),
        heading,
        action: editing.action(),
        submit_label,
        error_count: form.error_count(),
        title: form.title,
        title_error: form.title_error,
        recipe_error: form.recipe_error,
        rows: form.rows,
        csrf_token: session.csrf_token.clone(),
        preview,
        max_rows: MAX_ROWS,
        version,
    }
}

/// `GET /admin/drinks/new`.
pub async fn new_form(
    session: AdminSession,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::PostDrinks)?;
    let form = CheckedForm {
        title: String::new(),
        title_error: None,
        recipe_error: None,
        rows: vec![FormRow::blank(), FormRow::blank()],
    };
    render(&form_page(&state, &session, &Editing::New, form, None))
}

/// `GET /admin/drinks/{id}/edit`.
pub async fn edit_form(
    session: AdminSession,
    path: web::Path<String>,
    menu: web::Data<Menu>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::PatchDrinks)?;
    let drink = find(&menu, &path).await?;
    let form = CheckedForm {
        title: drink.title.as_str().to_owned(),
        title_error: None,
        recipe_error: None,
        rows: rows_of(&drink.recipe),
    };
    render(&form_page(
        &state,
        &session,
        &Editing::Existing(drink.id),
        form,
        Some(drink.version),
    ))
}

/// `POST /admin/drinks`.
pub async fn create(
    request: HttpRequest,
    session: AdminSession,
    body: web::Bytes,
    menu: web::Data<Menu>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::PostDrinks)?;
    save(&request, &session, &body, &menu, &state, Editing::New).await
}

/// `POST /admin/drinks/{id}`.
pub async fn update(
    request: HttpRequest,
    session: AdminSession,
    path: web::Path<String>,
    body: web::Bytes,
    menu: web::Data<Menu>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::PatchDrinks)?;
    let id = find(&menu, &path).await?.id;
    save(
        &request,
        &session,
        &body,
        &menu,
        &state,
        Editing::Existing(id),
    )
    .await
}

/// Handles the editor's buttons: add or remove a row (and show the form
/// again), or save, then Post/Redirect/Get to the menu with a message.
async fn save(
    request: &HttpRequest,
    session: &AdminSession,
    body: &[u8],
    menu: &Menu,
    state: &AdminState,
    editing: Editing,
) -> Result<HttpResponse, PageError> {
    let input: DrinkFormInput = read_form(body)?;
    csrf::check_form(request, session, &input.csrf, state.public_url.as_deref())?;
    let version = match editing {
        Editing::New => None,
        Editing::Existing(_) => input.opened_at(),
    };
    match input.action() {
        FormAction::AddRow => {
            let mut rows = input.rows();
            if rows.len() < MAX_ROWS {
                rows.push(FormRow::blank());
            }
            let page = form_page(state, session, &editing, input.unchecked(rows), version);
            return render(&page);
        }
        FormAction::RemoveRow(index) => {
            let mut rows = input.rows();
            if index < rows.len() {
                rows.remove(index);
            }
            if rows.is_empty() {
                rows.push(FormRow::blank());
            }
            let page = form_page(state, session, &editing, input.unchecked(rows), version);
            return render(&page);
        }
        FormAction::Save => {}
    }
    let drink = match input.validate() {
        Ok(drink) => drink,
        Err(checked) => {
            let page = form_page(state, session, &editing, checked, version);
            return render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let title = drink.title.as_str().to_owned();
    let outcome = match editing {
        Editing::New => menu.create(drink, session.subject.clone()).await.map(Some),
        Editing::Existing(id) => {
            let changes = DrinkChanges {
                title: Some(drink.title),
                recipe: Some(drink.recipe),
            };
            let opened_at = version.map(|v| Drink::etag_of(id, v));
            menu.update(id, changes, session.subject.clone(), opened_at)
                .await
        }
    };
    match outcome {
        Ok(Some(_)) => Ok(redirect_with_flash(
            "/admin",
            &format!("{title} saved"),
            state.secure_cookies,
        )),
        Ok(None) => Err(PageError::NotFound(
            "This drink was deleted meanwhile.".into(),
        )),
        Err(DbError::TitleTaken) => {
            let mut checked = input.unchecked(input.rows());
            checked.title_error = Some("another drink already has this title".into());
            let page = form_page(state, session, &editing, checked, version);
            render_with_status(&page, StatusCode::CONFLICT)
        }
        Err(DbError::Stale) => {
            let Editing::Existing(id) = editing else {
                return Err(PageError::internal("a new drink cannot be stale"));
            };
            let current = find(menu, &id.to_string()).await?;
            conflict_page(
                state,
                session,
                &current,
                false,
                input.title.clone(),
                input.rows(),
            )
        }
        Err(other) => Err(other.into()),
    }
}

/// 409: the drink changed since the form was opened; nothing was written.
fn conflict_page(
    state: &AdminState,
    session: &AdminSession,
    current: &Drink,
    deleting: bool,
    title: String,
    rows: Vec<FormRow>,
) -> Result<HttpResponse, PageError> {
    let page = ConflictPage {
        layout: Layout::new(
            format!("{} was changed meanwhile", current.title.as_str()),
            "menu",
            state.dev_mode(),
        )
        .for_session(session),
        id: current.id,
        current: DrinkCard::of(current),
        current_version: current.version,
        deleting,
        title,
        rows,
        csrf_token: session.csrf_token.clone(),
    };
    render_with_status(&page, StatusCode::CONFLICT)
}

/// `GET /admin/drinks/{id}/delete`: what is about to go, and a button.
pub async fn delete_page(
    session: AdminSession,
    path: web::Path<String>,
    menu: web::Data<Menu>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::DeleteDrinks)?;
    let drink = find(&menu, &path).await?;
    render(&DeletePage {
        layout: Layout::new(
            format!("Delete {}", drink.title.as_str()),
            "menu",
            state.dev_mode(),
        )
        .for_session(&session),
        card: DrinkCard::of(&drink),
        csrf_token: session.csrf_token.clone(),
        version: drink.version,
    })
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
}

/// `POST /admin/drinks/{id}/delete`.
pub async fn delete(
    request: HttpRequest,
    session: AdminSession,
    path: web::Path<String>,
    body: web::Bytes,
    menu: web::Data<Menu>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    session.require(Permission::DeleteDrinks)?;
    let form: DeleteForm = read_form(&body)?;
    csrf::check_form(&request, &session, &form.csrf, state.public_url.as_deref())?;
    let id = parse_id(&path)?;
    let opened_at = form
        .version
        .trim()
        .parse()
        .ok()
        .map(|version| Drink::etag_of(id, version));
    let deleted = match menu.delete(id, session.subject.clone(), opened_at).await {
        Err(DbError::Stale) => {
            let current = find(&menu, &path).await?;
            return conflict_page(&state, &session, &current, true, String::new(), Vec::new());
        }
        other => other?.ok_or_else(|| no_such_drink(&path))?,
    };
    Ok(redirect_with_flash(
        "/admin",
        &format!("{} deleted", deleted.title.as_str()),
        state.secure_cookies,
    ))
}

fn read_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PageError> {
    serde_html_form::from_bytes(body).map_err(|_| {
        PageError::BadForm("The form could not be read. Reload the page and try again.".into())
    })
}

fn parse_id(raw: &str) -> Result<DrinkId, PageError> {
    raw.parse::<DrinkId>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| no_such_drink(raw))
}

async fn find(menu: &Menu, raw_id: &str) -> Result<Drink, PageError> {
    let id = parse_id(raw_id)?;
    menu.find(id).await?.ok_or_else(|| no_such_drink(raw_id))
}

fn no_such_drink(raw_id: &str) -> PageError {
    PageError::NotFound(format!("There is no drink {raw_id} on the menu."))
}
