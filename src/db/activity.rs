//! The `activity` table: who changed which drink, and how.

use super::error::DbError;
use super::sessions::Person;
use super::tables::Tables;
use crate::domain::{Drink, DrinkId};

#[derive(Debug, Clone, Copy)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// An activity row to write: the drink's long JSON form before and after.
pub struct NewActivity<'a> {
    pub actor: &'a str,
    pub action: Action,
    pub drink_id: DrinkId,
    pub drink_title: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Records one change; call it inside the transaction that makes the change.
pub fn record(
    tables: &mut dyn Tables,
    actor: &str,
    action: Action,
    before: Option<&Drink>,
    after: Option<&Drink>,
) -> Result<(), DbError> {
    let Some(subject) = after.or(before) else {
        return Err(DbError::Corrupt("an activity row needs a drink".into()));
    };
    let as_json = |drink: Option<&Drink>| {
        drink
            .map(|d| serde_json::to_string(&d.long()))
            .transpose()
            .map_err(|e| DbError::Corrupt(format!("activity: {e}")))
    };
    tables.insert_activity(&NewActivity {
        actor,
        action,
        drink_id: subject.id,
        drink_title: subject.title.as_str(),
        before: as_json(before)?,
        after: as_json(after)?,
    })
}

/// One row of the activity log, with the person's name when known.
#[derive(Debug, Clone)]
pub struct ActivityEntry {
    pub at: String,
    pub actor: Person,
    pub action: String,
    pub drink_id: i64,
    pub drink_title: String,
    /// The drink's long JSON form before and after the change.
    pub before: Option<String>,
    pub after: Option<String>,
}
