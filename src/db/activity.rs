//! The `activity` table: who changed which drink, and how.

use rusqlite::Connection;

use super::error::DbError;
use super::sessions::Person;
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

/// A page of the log, newest first, and how many rows there are in all.
pub fn list_activity(
    conn: &Connection,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ActivityEntry>, i64), DbError> {
    let total: i64 = conn.query_row("SELECT count(*) FROM activity", [], |row| row.get(0))?;
    let mut statement = conn.prepare_cached(
        "SELECT a.at, a.actor, p.name, p.email, a.action, a.drink_id, a.drink_title, a.before, a.after
         FROM activity a LEFT JOIN people p ON p.subject = a.actor
         ORDER BY a.id DESC LIMIT ?1 OFFSET ?2",
    )?;
    let entries = statement
        .query_map((limit, offset), |row| {
            Ok(ActivityEntry {
                at: row.get(0)?,
                actor: Person::from_row(row, 1)?,
                action: row.get(4)?,
                drink_id: row.get(5)?,
                drink_title: row.get(6)?,
                before: row.get(7)?,
                after: row.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((entries, total))
}
