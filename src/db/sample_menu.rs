//! The small menu a new database starts with, so the app shows something at once.

use serde_json::Value;

use super::DbError;
use super::tables::Tables;
use crate::domain::NewDrink;

/// The sample drinks, as the API's JSON (`sample_menu.json`, embedded).
/// Written as the seed's `water` first (id 1: the Postman collection relies
/// on it). Each recipe lists its layers top first, as the mobile app draws
/// them (`recipe[0]` is the top of the cup): foam over milk over espresso.
/// Only a new database gets these; an existing one is never reordered.
const SAMPLE_DRINKS: &str = include_str!("sample_menu.json");

fn sample_drinks() -> Result<Vec<Value>, DbError> {
    serde_json::from_str(SAMPLE_DRINKS).map_err(|e| DbError::Corrupt(format!("sample menu: {e}")))
}

/// Inserts the sample menu, inside the caller's transaction (no activity
/// rows: nobody made these changes).
pub fn insert(tables: &mut dyn Tables) -> Result<(), DbError> {
    for drink in sample_drinks()? {
        let drink = NewDrink::from_json(&drink)
            .map_err(|e| DbError::Corrupt(format!("sample menu: {e}")))?;
        tables.insert_drink(&drink.title, &drink.recipe)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_sample_drink_is_valid_and_water_comes_first() {
        let drinks = sample_drinks().expect("the embedded JSON parses");
        assert!(drinks.len() >= 4);
        for drink in &drinks {
            NewDrink::from_json(drink).expect("sample drinks are valid");
        }
        assert_eq!(drinks[0]["title"], "water");
        assert_eq!(
            drinks[0]["recipe"],
            json!([{"name": "water", "color": "blue", "parts": 1}])
        );
    }
}
