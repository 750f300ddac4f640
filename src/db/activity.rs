//! The `activity` table: who changed which drink, and how.

use rusqlite::Connection;

use super::DbError;
use crate::domain::Drink;

#[derive(Debug, Clone, Copy)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// Records one change; call it inside the transaction that makes the change.
pub fn record(
    conn: &Connection,
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
    conn.prepare_cached(
        "INSERT INTO activity (actor, action, drink_id, drink_title, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((
        actor,
        action.as_str(),
        subject.id,
        subject.title.as_str(),
        as_json(before)?,
        as_json(after)?,
    ))?;
    Ok(())
}
