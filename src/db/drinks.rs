//! The menu's rules, on either engine. Every change takes the menu lock and
//! writes its activity row in the same transaction: the changes take
//! `Tables` inside one (the writer's).

use super::activity::{self, Action};
use super::error::DbError;
use super::tables::Tables;
use crate::domain::{Drink, DrinkChanges, DrinkId, DrinkTitle, ExpectedVersion, NewDrink, Recipe};

/// Creates a drink; `TitleTaken` when the title exists ignoring case.
pub fn create_drink(
    tables: &mut dyn Tables,
    drink: &NewDrink,
    actor: &str,
    max_drinks: u32,
) -> Result<Drink, DbError> {
    // Counted under the menu lock: no two creations can both pass.
    tables.lock_menu()?;
    if tables.count_drinks()? >= i64::from(max_drinks) {
        return Err(DbError::MenuFull { max: max_drinks });
    }
    let id = tables.insert_drink(&drink.title, &drink.recipe)?;
    let created = Drink {
        id,
        title: drink.title.clone(),
        recipe: drink.recipe.clone(),
        version: 1,
    };
    activity::record(tables, actor, Action::Create, None, Some(&created))?;
    Ok(created)
}

/// The drink, unless `expected` refuses its current version (`Stale`).
fn current(
    tables: &mut dyn Tables,
    id: DrinkId,
    expected: Option<&ExpectedVersion>,
) -> Result<Option<Drink>, DbError> {
    tables.lock_menu()?;
    match tables.find_drink(id)? {
        Some(drink) if expected.is_some_and(|e| !e.allows(drink.version)) => Err(DbError::Stale),
        found => Ok(found),
    }
}

/// Applies a partial update; `None` when there is no such drink, `Stale`
/// when `expected` refuses its current version. An empty change set
/// writes nothing and returns the drink as it is.
pub fn update_drink(
    tables: &mut dyn Tables,
    id: DrinkId,
    changes: &DrinkChanges,
    actor: &str,
    expected: Option<&ExpectedVersion>,
) -> Result<Option<Drink>, DbError> {
    // Under the menu lock, so the read below cannot go stale.
    let Some(before) = current(tables, id, expected)? else {
        return Ok(None);
    };
    let mut after = changes.apply_to(&before);
    if after == before {
        return Ok(Some(before));
    }
    after.version = before.version + 1;
    tables.update_drink_row(&after)?;
    activity::record(tables, actor, Action::Update, Some(&before), Some(&after))?;
    Ok(Some(after))
}

/// Deletes a drink; `None` when there is no such drink, `Stale` when
/// `expected` refuses its current version.
pub fn delete_drink(
    tables: &mut dyn Tables,
    id: DrinkId,
    actor: &str,
    expected: Option<&ExpectedVersion>,
) -> Result<Option<Drink>, DbError> {
    let Some(before) = current(tables, id, expected)? else {
        return Ok(None);
    };
    tables.delete_drink_row(id)?;
    activity::record(tables, actor, Action::Delete, Some(&before), None)?;
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
    tables: &mut dyn Tables,
    drinks: &[NewDrink],
    replace: bool,
    actor: &str,
    max_drinks: u32,
) -> Result<ImportSummary, DbError> {
    let mut summary = ImportSummary::default();
    tables.lock_menu()?;
    let existing = tables.list_drinks()?;
    if replace {
        let wanted: std::collections::HashSet<String> =
            drinks.iter().map(|d| d.title.uniqueness_key()).collect();
        for gone in existing
            .iter()
            .filter(|d| !wanted.contains(&d.title.uniqueness_key()))
        {
            delete_drink(tables, gone.id, actor, None)?;
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
                    update_drink(tables, current.id, &changes, actor, None)?;
                    summary.updated += 1;
                }
            }
            None => {
                create_drink(tables, drink, actor, max_drinks)?;
                summary.created += 1;
            }
        }
    }
    Ok(summary)
}

/// The recipe as stored: its JSON text.
pub(super) fn recipe_json(recipe: &Recipe) -> Result<String, DbError> {
    serde_json::to_string(recipe).map_err(|e| DbError::Corrupt(format!("recipe: {e}")))
}

/// A stored row, read back through the domain parsers, so a hand-edited
/// database cannot smuggle an invalid color into the pages.
pub(super) fn parse_stored(
    id: DrinkId,
    title: &str,
    recipe: &str,
    version: i64,
) -> Result<Drink, DbError> {
    let corrupt = |what: String| DbError::Corrupt(format!("drink {id}: {what}"));
    let title = DrinkTitle::parse(title).map_err(|rule| corrupt(format!("title {rule}")))?;
    let recipe: serde_json::Value =
        serde_json::from_str(recipe).map_err(|e| corrupt(format!("recipe is not JSON: {e}")))?;
    let recipe = Recipe::from_json(&recipe).map_err(|e| corrupt(format!("recipe: {e}")))?;
    Ok(Drink {
        id,
        title,
        recipe,
        version,
    })
}
