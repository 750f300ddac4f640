//! The drink editor: the form for a new drink or an existing one, and
//! what its buttons do (add or remove a row, or save, then
//! Post/Redirect/Get to the menu with a message).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::context::{Admin, AdminForm};
use super::drinks::{conflict_page, find};
use super::form::{CheckedForm, DrinkFormInput, MAX_ROWS, rows_of};
use super::views::{Cup, DrinkFormPage, FormRow};
use super::{render, render_with_status, wording};
use crate::db::DbError;
use crate::domain::{
    Color, DrinkChanges, DrinkId, ExpectedVersion, MAX_PARTS, NewDrink, Permission,
};
use crate::error::PageError;
use crate::paths;

/// What the editor is for: a new drink, or changing one.
#[derive(Clone, Copy)]
enum Editing {
    New,
    /// The drink, and the version the form was opened at (when it says).
    Existing(DrinkId, Option<i64>),
}

/// `GET /admin/drinks/new`.
pub async fn new_form(admin: Admin) -> Result<HttpResponse, PageError> {
    admin.require(Permission::PostDrinks)?;
    let form = CheckedForm {
        title: String::new(),
        title_error: None,
        recipe_error: None,
        rows: vec![FormRow::blank(), FormRow::blank()],
    };
    render(&form_page(&admin, Editing::New, form))
}

/// `GET /admin/drinks/{id}/edit`.
pub async fn edit_form(admin: Admin, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    admin.require(Permission::PatchDrinks)?;
    let drink = find(&admin.menu, &path).await?;
    let form = CheckedForm {
        title: drink.title.as_str().to_owned(),
        title_error: None,
        recipe_error: None,
        rows: rows_of(&drink.recipe),
    };
    let editing = Editing::Existing(drink.id, Some(drink.version));
    render(&form_page(&admin, editing, form))
}

/// `POST /admin/drinks`.
pub async fn create(post: AdminForm<DrinkFormInput>) -> Result<HttpResponse, PageError> {
    post.admin.require(Permission::PostDrinks)?;
    submit(post, Editing::New).await
}

/// `POST /admin/drinks/{id}`.
pub async fn update(
    post: AdminForm<DrinkFormInput>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    post.admin.require(Permission::PatchDrinks)?;
    let id = find(&post.admin.menu, &path).await?.id;
    let opened_at = post.form.opened_at();
    submit(post, Editing::Existing(id, opened_at)).await
}

/// Shows the form again after a row button, or its errors; else saves.
async fn submit(
    post: AdminForm<DrinkFormInput>,
    editing: Editing,
) -> Result<HttpResponse, PageError> {
    let AdminForm { admin, form } = post;
    if let Some(rows) = form.edited_rows() {
        return render(&form_page(&admin, editing, form.unchecked(rows)));
    }
    match form.validate() {
        Ok(drink) => save(&admin, &form, drink, editing).await,
        Err(checked) => {
            let page = form_page(&admin, editing, checked);
            render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// Writes the drink and turns the outcome into the next page.
async fn save(
    admin: &Admin,
    form: &DrinkFormInput,
    drink: NewDrink,
    editing: Editing,
) -> Result<HttpResponse, PageError> {
    let title = drink.title.as_str().to_owned();
    let actor = admin.session.subject.clone();
    let outcome = match editing {
        Editing::New => admin.menu.create(drink, actor).await.map(Some),
        Editing::Existing(id, opened_at) => {
            let changes = DrinkChanges {
                title: Some(drink.title),
                recipe: Some(drink.recipe),
            };
            let expected = opened_at.map(ExpectedVersion::exactly);
            admin.menu.update(id, changes, actor, expected).await
        }
    };
    match (outcome, editing) {
        // Back to the menu, scrolled to the saved drink's card.
        (Ok(Some(saved)), _) => {
            Ok(admin.redirect_with_flash(&paths::menu_card(saved.id), &format!("{title} saved")))
        }
        (Ok(None), _) => Err(PageError::NotFound(
            "This drink was deleted meanwhile.".into(),
        )),
        (Err(DbError::TitleTaken), _) => {
            refused_409(admin, editing, form, wording::title_taken(&form.title))
        }
        // Input kept: after deleting a drink in another tab, saving works.
        (Err(DbError::MenuFull { max }), _) => {
            refused_409(admin, editing, form, wording::menu_full(max))
        }
        (Err(DbError::Stale), Editing::Existing(id, _)) => {
            let current = find(&admin.menu, &id.to_string()).await?;
            conflict_page(admin, &current, false, form.title.clone(), form.rows())
        }
        (Err(other), _) => Err(other.into()),
    }
}

/// The editor again, input kept, with `message` on the title: a 409.
fn refused_409(
    admin: &Admin,
    editing: Editing,
    form: &DrinkFormInput,
    message: String,
) -> Result<HttpResponse, PageError> {
    let mut checked = form.unchecked(form.rows());
    checked.title_error = Some(message);
    render_with_status(&form_page(admin, editing, checked), StatusCode::CONFLICT)
}

/// The editor page for `form`, with the cup as the valid rows draw it.
fn form_page(admin: &Admin, editing: Editing, form: CheckedForm) -> DrinkFormPage {
    let (heading, submit_label, section, action, version) = match editing {
        Editing::New => (
            "New drink".to_owned(),
            "Add to the menu",
            "new",
            paths::ADMIN_DRINKS.to_owned(),
            None,
        ),
        Editing::Existing(id, version) => {
            let title = Some(form.title.trim()).filter(|t| !t.is_empty());
            (
                format!("Edit {}", title.unwrap_or("drink")),
                "Save changes",
                "menu",
                paths::admin_drink(id),
                version,
            )
        }
    };
    let errors = form.error_links();
    // Screen readers hear the title first: say at once that it went wrong.
    let title = if errors.is_empty() {
        heading.clone()
    } else {
        format!("Error: {heading}")
    };
    DrinkFormPage {
        layout: admin.layout(title, section),
        heading,
        action,
        submit_label: submit_label.to_owned(),
        errors,
        preview: preview(&form.rows),
        title: form.title,
        title_error: form.title_error,
        recipe_error: form.recipe_error,
        rows: form.rows,
        csrf_token: admin.session.csrf_token.clone(),
        max_rows: MAX_ROWS,
        version,
    }
}

/// The cup drawn from the rows whose color and parts are valid, described
/// in words for screen readers: "espresso 1 part, steamed milk 3 parts".
fn preview(rows: &[FormRow]) -> Cup {
    let layers: Vec<(&FormRow, Color, u32)> = rows
        .iter()
        .filter_map(|row| {
            let color = Color::parse(&row.color).ok()?;
            let parts = row.parts.trim().parse::<u32>().ok();
            Some((
                row,
                color,
                parts.filter(|p| (1..=u32::from(MAX_PARTS)).contains(p))?,
            ))
        })
        .collect();
    let described: Vec<String> = layers
        .iter()
        .map(|(row, _, parts)| {
            let name = Some(row.name.trim())
                .filter(|n| !n.is_empty())
                .unwrap_or("unnamed");
            format!("{name} {parts} part{}", if *parts == 1 { "" } else { "s" })
        })
        .collect();
    let label = if described.is_empty() {
        "Preview: an empty cup".to_owned()
    } else {
        format!("Preview, top first: {}", described.join(", "))
    };
    Cup::new(
        "cup-preview".to_owned(),
        layers
            .iter()
            .map(|(_, color, parts)| (color.as_str(), *parts)),
        label,
    )
}
