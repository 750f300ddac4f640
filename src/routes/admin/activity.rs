//! `GET /admin/activity`: who changed what and when, newest first, with
//! each change described before and after.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use super::context::Admin;
use super::render;
use super::views::{IngredientLine, Layout, Moment};
use crate::db::{ActivityEntry, Database};
use crate::domain::Permission;
use crate::error::PageError;
use crate::paths;

const PER_PAGE: i64 = 25;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

pub async fn activity_page(
    admin: Admin,
    query: web::Query<PageQuery>,
    database: web::Data<Database>,
) -> Result<HttpResponse, PageError> {
    admin.require(Permission::GetDrinksDetail)?;
    let page = query.page.unwrap_or(1).clamp(1, i64::MAX / PER_PAGE);
    let (entries, total) = database
        .read(move |tables| tables.activity_page((page - 1) * PER_PAGE, PER_PAGE))
        .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    render(&ActivityPage {
        layout: admin.layout("Activity", "activity"),
        lines: entries.iter().map(ActivityLine::of).collect(),
        page,
        pages,
        total,
    })
}

#[derive(Template)]
#[template(path = "admin/activity.html")]
pub struct ActivityPage {
    pub layout: Layout,
    pub lines: Vec<ActivityLine>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

/// One change on the activity page.
pub struct ActivityLine {
    pub at: Moment,
    pub person: String,
    /// The subject, shown as a tooltip when a name is shown.
    pub subject: String,
    pub action: &'static str,
    pub drink_title: String,
    pub changes: Vec<Change>,
}

/// One described difference: "title: Latte → Flat White".
pub struct Change {
    pub label: &'static str,
    pub before: Option<ChangeValue>,
    pub now: ChangeValue,
}

/// A side of a change: a title, or a recipe drawn with its colours.
pub enum ChangeValue {
    Text(String),
    Recipe(Vec<IngredientLine>),
}

impl ActivityLine {
    pub fn of(entry: &ActivityEntry) -> Self {
        let action = match entry.action.as_str() {
            "create" => "Created",
            "update" => "Updated",
            _ => "Deleted",
        };
        Self {
            at: Moment::of_stored(&entry.at),
            person: entry.actor.shown_as(),
            subject: entry.actor.subject.clone(),
            action,
            drink_title: entry.drink_title.clone(),
            changes: describe_changes(entry.before.as_deref(), entry.after.as_deref()),
        }
    }
}

fn describe_changes(before: Option<&str>, after: Option<&str>) -> Vec<Change> {
    let parse = |json: Option<&str>| json.and_then(|j| serde_json::from_str::<Value>(j).ok());
    let text = |drink: &Value| ChangeValue::Text(drink["title"].as_str().unwrap_or("?").to_owned());
    match (parse(before), parse(after)) {
        (None, Some(after)) => vec![Change::to("recipe", recipe(&after))],
        (Some(before), None) => vec![Change::to("was", recipe(&before))],
        (Some(before), Some(after)) => {
            let mut changes = Vec::new();
            if before["title"] != after["title"] {
                changes.push(Change::from_to("title", text(&before), text(&after)));
            }
            if before["recipe"] != after["recipe"] {
                changes.push(Change::from_to("recipe", recipe(&before), recipe(&after)));
            }
            changes
        }
        (None, None) => Vec::new(),
    }
}

/// A stored drink's recipe. Its colours were checked when it was written;
/// they are checked again before they are drawn, so a hand-edited database
/// cannot put anything but a colour into the page's markup.
fn recipe(drink: &Value) -> ChangeValue {
    let layers = drink["recipe"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    ChangeValue::Recipe(
        layers
            .iter()
            .map(|layer| IngredientLine {
                name: layer["name"].as_str().unwrap_or("?").to_owned(),
                color: layer["color"].as_str().unwrap_or_default().to_owned(),
                parts: layer["parts"]
                    .as_u64()
                    .and_then(|p| u8::try_from(p).ok())
                    .unwrap_or(0),
            })
            .collect(),
    )
}

impl Change {
    fn to(label: &'static str, now: ChangeValue) -> Self {
        Self {
            label,
            before: None,
            now,
        }
    }

    fn from_to(label: &'static str, before: ChangeValue, now: ChangeValue) -> Self {
        Self {
            label,
            before: Some(before),
            now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(value: &ChangeValue) -> String {
        match value {
            ChangeValue::Text(text) => text.clone(),
            ChangeValue::Recipe(layers) => layers
                .iter()
                .map(|l| format!("{} {} ({})", l.parts, l.name, l.color))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    #[test]
    fn changes_are_described_before_and_after() {
        let before =
            r#"{"id":1,"title":"Latte","recipe":[{"name":"milk","color":"white","parts":3}]}"#;
        let after =
            r#"{"id":1,"title":"Flat White","recipe":[{"name":"milk","color":"white","parts":2}]}"#;
        let changes = describe_changes(Some(before), Some(after));
        let described: Vec<String> = changes
            .iter()
            .map(|c| {
                let was = c.before.as_ref().map(words).unwrap_or_default();
                format!("{}: {was} → {}", c.label, words(&c.now))
            })
            .collect();
        assert_eq!(
            described,
            [
                "title: Latte → Flat White",
                "recipe: 3 milk (white) → 2 milk (white)"
            ]
        );
        assert_eq!(describe_changes(None, Some(after)).len(), 1);
    }

    #[test]
    fn only_colours_of_the_grammar_are_drawn() {
        let stored = r##"{"title":"x","recipe":[{"name":"a","color":"#fff","parts":1},{"name":"b","color":"red;x","parts":1}]}"##;
        let ChangeValue::Recipe(layers) = recipe(&serde_json::from_str(stored).expect("json"))
        else {
            panic!("a recipe")
        };
        assert!(layers[0].drawable());
        assert!(!layers[1].drawable());
    }
}
