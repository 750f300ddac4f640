//! `export` and `import`: the menu as a JSON file in the API's long form,
//! `{"success": true, "drinks": [{"id", "title", "recipe": [...]}, ...]}`,
//! so `curl /drinks-detail` output can be imported as it is.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use serde_json::Value;

use super::CommandResult;
use crate::config::Settings;
use crate::db::{Database, ImportSummary};
use crate::domain::DrinksBody;
use crate::domain::{Drink, NewDrink};

/// Who the activity log says made an import's changes.
const IMPORT_ACTOR: &str = "coffee-shop import";
/// A menu file larger than this is not a menu.
const MAX_MENU_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Writes the menu to `file` (refusing to replace one unless `force`), or to stdout.
pub fn export(settings: &Settings, file: Option<&Path>, force: bool) -> CommandResult {
    let database = Database::open(&settings.database)?;
    let drinks: Vec<Drink> = actix_web::rt::System::new().block_on(database.list_drinks())?;
    let mut json =
        serde_json::to_vec_pretty(&DrinksBody::new(drinks.iter().map(Drink::long).collect()))?;
    json.push(b'\n');
    match file {
        None => std::io::stdout().lock().write_all(&json)?,
        Some(file) => {
            if file.exists() && !force {
                return Err(
                    format!("{} exists; pass --force to replace it", file.display()).into(),
                );
            }
            std::fs::write(file, &json)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            eprintln!("exported {} drinks to {}", drinks.len(), file.display());
        }
    }
    Ok(())
}

/// Validates every drink in `file` first; then applies them all in one
/// transaction (with activity rows), or nothing.
pub fn import(settings: &Settings, file: &Path, replace: bool) -> CommandResult {
    let drinks = read_menu_file(file)?;
    let database = Database::open(&settings.database)?;
    let max_drinks = settings.menu.max_drinks;
    let summary: ImportSummary = actix_web::rt::System::new().block_on(database.import_menu(
        drinks,
        replace,
        IMPORT_ACTOR,
        max_drinks,
    ))?;
    println!(
        "imported {}: {} created, {} updated, {} unchanged, {} deleted",
        file.display(),
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.deleted
    );
    Ok(())
}

/// Reads and validates a menu file, naming every drink and field at fault.
fn read_menu_file(file: &Path) -> Result<Vec<NewDrink>, String> {
    let metadata =
        std::fs::metadata(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if metadata.len() > MAX_MENU_FILE_BYTES {
        return Err(format!("{} is larger than 16 MiB", file.display()));
    }
    let text = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let document: Value = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
    parse_menu(&document).map_err(|problems| {
        format!(
            "{} was not imported; nothing changed:\n  {}",
            file.display(),
            problems.join("\n  ")
        )
    })
}

/// The drinks of a menu document: `{"drinks": [...]}` or a bare array.
fn parse_menu(document: &Value) -> Result<Vec<NewDrink>, Vec<String>> {
    let items = match document {
        Value::Array(items) => items,
        Value::Object(object) => match object.get("drinks") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(vec![
                    "expected {\"drinks\": [...]} or a JSON array of drinks".into(),
                ]);
            }
        },
        _ => {
            return Err(vec![
                "expected {\"drinks\": [...]} or a JSON array of drinks".into(),
            ]);
        }
    };
    let mut problems = Vec::new();
    let mut drinks = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let label = match item.get("title").and_then(Value::as_str) {
            Some(title) => format!("drink {} ({title:?})", index + 1),
            None => format!("drink {}", index + 1),
        };
        match NewDrink::from_json(item) {
            Ok(drink) => {
                let key = drink.title.uniqueness_key();
                if let Some(first) = seen.insert(key, index + 1) {
                    problems.push(format!(
                        "{label}: title: repeats drink {first}'s title (titles are unique, ignoring case)"
                    ));
                }
                drinks.push(drink);
            }
            Err(errors) => problems.extend(
                errors
                    .fields()
                    .iter()
                    .map(|e| format!("{label}: {}: {}", e.field, e.message)),
            ),
        }
    }
    if problems.is_empty() {
        Ok(drinks)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_is_named_with_its_drink_and_field() {
        let document = json!({"drinks": [
            {"title": "Latte", "recipe": [{"name": "milk", "color": "white", "parts": 1}]},
            {"title": "Mocha", "recipe": [{"name": "chocolate", "color": "url(x)", "parts": 1}]},
            {"recipe": [{"name": "water", "color": "blue", "parts": 1}]},
            {"title": "LATTE", "recipe": {"name": "milk", "color": "#fff", "parts": 2}},
        ]});
        let problems = parse_menu(&document).expect_err("refused");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("drink 2 (\"Mocha\"): recipe"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("drink 3: title: is required"),
            "{problems:?}"
        );
        assert!(
            problems[2].starts_with("drink 4 (\"LATTE\"): title: repeats drink 1's title"),
            "{problems:?}"
        );
    }

    #[test]
    fn the_long_form_and_a_bare_array_are_accepted() {
        let drink = json!({"id": 7, "title": "Tea", "recipe": [{"name": "tea", "color": "brown", "parts": 1}]});
        assert_eq!(
            parse_menu(&json!({"success": true, "drinks": [drink.clone()]})).map(|d| d.len()),
            Ok(1)
        );
        assert_eq!(parse_menu(&json!([drink])).map(|d| d.len()), Ok(1));
        assert!(parse_menu(&json!({"menu": []})).is_err());
        assert!(parse_menu(&json!("drinks")).is_err());
    }
}
