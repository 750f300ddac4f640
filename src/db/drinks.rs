//! The `drinks` table. Every change writes its activity row in the same
//! transaction: the changes take a connection inside one (the writer's).

use rusqlite::{Connection, OptionalExtension, Row};

use super::activity::{self, Action};
use super::error::{DbError, title_conflict};
use crate::domain::{Drink, DrinkChanges, DrinkId, DrinkTitle, ExpectedVersion, NewDrink, Recipe};

/// Every drink, in id order (the order the Flask API lists them).
pub fn list_drinks(conn: &Connection) -> Result<Vec<Drink>, DbError> {
    let mut statement =
        conn.prepare_cached("SELECT id, title, recipe, version FROM drinks ORDER BY id")?;
    let rows = statement.query_map([], read_row)?;
    rows.map(|row| row?).collect()
}

pub fn find_drink(conn: &Connection, id: DrinkId) -> Result<Option<Drink>, DbError> {
    conn.prepare_cached("SELECT id, title, recipe, version FROM drinks WHERE id = ?1")?
        .query_row([id], read_row)
        .optional()?
        .transpose()
}

/// Creates a drink; `TitleTaken` when the title exists ignoring case.
pub fn create_drink(
    conn: &Connection,
    drink: &NewDrink,
    actor: &str,
    max_drinks: u32,
) -> Result<Drink, DbError> {
    // Counted in the writer's transaction: no two creations can both pass.
    let drinks: i64 = conn
        .prepare_cached("SELECT count(*) FROM drinks")?
        .query_row([], |row| row.get(0))?;
    if drinks >= i64::from(max_drinks) {
        return Err(DbError::MenuFull { max: max_drinks });
    }
    let id = insert_row(conn, &drink.title, &drink.recipe)?;
    let created = Drink {
        id,
        title: drink.title.clone(),
        recipe: drink.recipe.clone(),
        version: 1,
    };
    activity::record(conn, actor, Action::Create, None, Some(&created))?;
    Ok(created)
}

/// The drink, unless `expected` refuses its current version (`Stale`).
fn current(
    conn: &Connection,
    id: DrinkId,
    expected: Option<&ExpectedVersion>,
) -> Result<Option<Drink>, DbError> {
    match find_drink(conn, id)? {
        Some(drink) if expected.is_some_and(|e| !e.allows(drink.version)) => Err(DbError::Stale),
        found => Ok(found),
    }
}

/// Applies a partial update; `None` when there is no such drink, `Stale`
/// when `expected` refuses its current version. An empty change set
/// writes nothing and returns the drink as it is.
pub fn update_drink(
    conn: &Connection,
    id: DrinkId,
    changes: &DrinkChanges,
    actor: &str,
    expected: Option<&ExpectedVersion>,
) -> Result<Option<Drink>, DbError> {
    // Inside the write transaction, so the read below cannot go stale.
    let Some(before) = current(conn, id, expected)? else {
        return Ok(None);
    };
    let mut after = changes.apply_to(&before);
    if after == before {
        return Ok(Some(before));
    }
    after.version = before.version + 1;
    conn.execute(
        "UPDATE drinks SET title = ?1, title_key = ?2, recipe = ?3, version = version + 1,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ?4",
        (
            after.title.as_str(),
            after.title.uniqueness_key(),
            recipe_json(&after.recipe)?,
            id,
        ),
    )
    .map_err(title_conflict)?;
    activity::record(conn, actor, Action::Update, Some(&before), Some(&after))?;
    Ok(Some(after))
}

/// Deletes a drink; `None` when there is no such drink, `Stale` when
/// `expected` refuses its current version.
pub fn delete_drink(
    conn: &Connection,
    id: DrinkId,
    actor: &str,
    expected: Option<&ExpectedVersion>,
) -> Result<Option<Drink>, DbError> {
    let Some(before) = current(conn, id, expected)? else {
        return Ok(None);
    };
    conn.execute("DELETE FROM drinks WHERE id = ?1", [id])?;
    activity::record(conn, actor, Action::Delete, Some(&before), None)?;
    Ok(Some(before))
}

/// What `import_menu` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
}

/// Brings the menu in line with `drinks` inside the caller's transaction: a
/// drink whose title matches one on the menu (ignoring case) updates it,
/// others are created, and with `replace` every drink not in `drinks` is
/// deleted (first, so a replacing import counts only what it keeps against
/// `max_drinks`). Each change writes its activity row. The titles in
/// `drinks` must be distinct (ignoring case).
pub fn import_menu(
    conn: &Connection,
    drinks: &[NewDrink],
    replace: bool,
    actor: &str,
    max_drinks: u32,
) -> Result<ImportSummary, DbError> {
    let mut summary = ImportSummary::default();
    let existing = list_drinks(conn)?;
    if replace {
        let wanted: std::collections::HashSet<String> =
            drinks.iter().map(|d| d.title.uniqueness_key()).collect();
        for gone in existing
            .iter()
            .filter(|d| !wanted.contains(&d.title.uniqueness_key()))
        {
            delete_drink(conn, gone.id, actor, None)?;
            summary.deleted += 1;
        }
    }
    for drink in drinks {
        let key = drink.title.uniqueness_key();
        match existing.iter().find(|d| d.title.uniqueness_key() == key) {
            Some(current) => {
                let changes = DrinkChanges {
                    title: Some(drink.title.clone()),
                    recipe: Some(drink.recipe.clone()),
                };
                if changes.apply_to(current) == *current {
                    summary.unchanged += 1;
                } else {
                    update_drink(conn, current.id, &changes, actor, None)?;
                    summary.updated += 1;
                }
            }
            None => {
                create_drink(conn, drink, actor, max_drinks)?;
                summary.created += 1;
            }
        }
    }
    Ok(summary)
}

/// Inserts the row alone (no activity): the caller owns the transaction.
pub(super) fn insert_row(
    conn: &Connection,
    title: &DrinkTitle,
    recipe: &Recipe,
) -> Result<DrinkId, DbError> {
    conn.prepare_cached("INSERT INTO drinks (title, title_key, recipe) VALUES (?1, ?2, ?3)")?
        .execute((title.as_str(), title.uniqueness_key(), recipe_json(recipe)?))
        .map_err(title_conflict)?;
    Ok(conn.last_insert_rowid())
}

fn recipe_json(recipe: &Recipe) -> Result<String, DbError> {
    serde_json::to_string(recipe).map_err(|e| DbError::Corrupt(format!("recipe: {e}")))
}

/// Reads a row back through the domain parsers, so a hand-edited database
/// cannot smuggle an invalid color into the pages.
fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<Drink, DbError>> {
    let id: DrinkId = row.get(0)?;
    let title: String = row.get(1)?;
    let recipe: String = row.get(2)?;
    let version: i64 = row.get(3)?;
    Ok(parse_stored(id, &title, &recipe).map(|drink| Drink { version, ..drink }))
}

fn parse_stored(id: DrinkId, title: &str, recipe: &str) -> Result<Drink, DbError> {
    let corrupt = |what: String| DbError::Corrupt(format!("drink {id}: {what}"));
    let title = DrinkTitle::parse(title).map_err(|rule| corrupt(format!("title {rule}")))?;
    let recipe: serde_json::Value =
        serde_json::from_str(recipe).map_err(|e| corrupt(format!("recipe is not JSON: {e}")))?;
    let recipe = Recipe::from_json(&recipe).map_err(|e| corrupt(format!("recipe: {e}")))?;
    Ok(Drink {
        id,
        title,
        recipe,
        version: 1,
    })
}
