//! The small menu a new database starts with, so the app shows something at once.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::{DbError, drinks};
use crate::domain::NewDrink;

/// Written as the seed's `water` first (id 1: the Postman collection relies
/// on it). Each recipe lists its layers top first, as the mobile app draws
/// them (`recipe[0]` is the top of the cup): foam over milk over espresso.
/// Only a new database gets these; an existing one is never reordered.
fn sample_drinks() -> Value {
    json!([
        {"title": "water", "recipe": [{"name": "water", "color": "blue", "parts": 1}]},
        {"title": "Espresso", "recipe": [{"name": "espresso", "color": "#3b1f0e", "parts": 1}]},
        {"title": "Cappuccino", "recipe": [
            {"name": "milk foam", "color": "#fffaf0", "parts": 1},
            {"name": "steamed milk", "color": "#f3e5ce", "parts": 1},
            {"name": "espresso", "color": "#3b1f0e", "parts": 1}
        ]},
        {"title": "Latte", "recipe": [
            {"name": "milk foam", "color": "#fffaf0", "parts": 1},
            {"name": "steamed milk", "color": "#f3e5ce", "parts": 3},
            {"name": "espresso", "color": "#3b1f0e", "parts": 1}
        ]},
        {"title": "Flat White", "recipe": [
            {"name": "microfoam", "color": "#efe3cf", "parts": 3},
            {"name": "espresso", "color": "#3b1f0e", "parts": 2}
        ]},
        {"title": "Mocha", "recipe": [
            {"name": "whipped cream", "color": "white", "parts": 1},
            {"name": "steamed milk", "color": "#f3e5ce", "parts": 2},
            {"name": "espresso", "color": "#3b1f0e", "parts": 1},
            {"name": "chocolate sauce", "color": "#5a3825", "parts": 1}
        ]},
        {"title": "Matcha Latte", "recipe": [
            {"name": "steamed milk", "color": "#f3e5ce", "parts": 3},
            {"name": "matcha", "color": "#8db255", "parts": 1}
        ]}
    ])
}

/// Inserts the sample menu, inside the caller's transaction (no activity
/// rows: nobody made these changes).
pub fn insert(conn: &Connection) -> Result<(), DbError> {
    for drink in sample_drinks().as_array().into_iter().flatten() {
        let drink = NewDrink::from_json(drink)
            .map_err(|e| DbError::Corrupt(format!("sample menu: {e}")))?;
        drinks::insert_row(conn, &drink.title, &drink.recipe)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_drink_is_valid_and_water_comes_first() {
        let drinks = sample_drinks();
        let drinks = drinks.as_array().expect("a list");
        assert!(drinks.len() >= 4);
        for drink in drinks {
            NewDrink::from_json(drink).expect("sample drinks are valid");
        }
        assert_eq!(drinks[0]["title"], "water");
        assert_eq!(
            drinks[0]["recipe"],
            json!([{"name": "water", "color": "blue", "parts": 1}])
        );
    }
}
