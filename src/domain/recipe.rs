//! Recipes: the layers of a drink, as the cup picture draws them.

use serde::Serialize;
use serde_json::Value;

use super::validation::parse_text;
use super::{Color, FieldError, ValidationErrors};

/// Most ingredients a recipe may have; the cup picture gets unreadable past that.
pub const MAX_INGREDIENTS: usize = 10;
/// Longest ingredient name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// Largest number of parts one ingredient may have.
pub const MAX_PARTS: u8 = 100;

/// An ingredient name: trimmed, 1–60 characters, stored verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IngredientName(String);

impl IngredientName {
    /// Parses a name as typed; the error is the rule it broke.
    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_text(raw, MAX_NAME_CHARS).map(Self)
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many parts of the cup one ingredient fills: an integer 1–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Parts(u8);

/// The rule for `parts`, in words.
fn parts_rule() -> String {
    format!("must be an integer from 1 to {MAX_PARTS} (not a string, null or fraction)")
}

/// A JSON number with no fractional part, as JSON Schema's `integer` has it:
/// `3` and `3.0` are both three.
fn whole_number(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        let value = number.as_f64()?;
        // Beyond ±2^53 a float is not an exact integer; parts are small anyway.
        (value.fract() == 0.0 && value.abs() <= 9_007_199_254_740_992.0).then_some(value as i64)
    })
}

impl Parts {
    /// Checks the range; the error is the rule.
    pub fn new(parts: i64) -> Result<Self, String> {
        u8::try_from(parts)
            .ok()
            .filter(|p| (1..=MAX_PARTS).contains(p))
            .map(Self)
            .ok_or_else(parts_rule)
    }

    /// The number of parts.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// One layer of a drink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ingredient {
    /// What it is; hidden from the public menu.
    pub name: IngredientName,
    /// How the cup picture draws it.
    pub color: Color,
    /// How much of the cup it fills, relative to the others.
    pub parts: Parts,
}

/// A non-empty list of at most ten ingredients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Recipe(Vec<Ingredient>);

impl Recipe {
    /// Parses the `recipe` field of a request body. Older clients send a single
    /// ingredient object instead of a list; it is read as a one-item list.
    pub fn from_json(value: &Value) -> Result<Self, ValidationErrors> {
        let items: &[Value] = match value {
            Value::Array(items) => items,
            Value::Object(_) => std::slice::from_ref(value),
            _ => {
                return Err(FieldError::new(
                    "recipe",
                    "must be a list of ingredients (or a single ingredient object)",
                )
                .into());
            }
        };
        if items.is_empty() {
            return Err(FieldError::new("recipe", "must have at least one ingredient").into());
        }
        if items.len() > MAX_INGREDIENTS {
            return Err(FieldError::new(
                "recipe",
                format!("must have at most {MAX_INGREDIENTS} ingredients"),
            )
            .into());
        }
        let mut errors = ValidationErrors::default();
        let ingredients: Vec<Ingredient> = items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| parse_ingredient(item, index, &mut errors))
            .collect();
        if errors.is_empty() {
            Ok(Self(ingredients))
        } else {
            Err(errors)
        }
    }

    /// The ingredients, bottom layer first.
    pub fn ingredients(&self) -> &[Ingredient] {
        &self.0
    }
}

fn parse_ingredient(
    item: &Value,
    index: usize,
    errors: &mut ValidationErrors,
) -> Option<Ingredient> {
    let field = |name: &str| format!("recipe[{index}].{name}");
    let Value::Object(object) = item else {
        errors.push(FieldError::new(
            format!("recipe[{index}]"),
            "must be an object with name, color and parts",
        ));
        return None;
    };
    let name = errors.collect(match object.get("name") {
        Some(Value::String(raw)) => {
            IngredientName::parse(raw).map_err(|rule| FieldError::new(field("name"), rule))
        }
        Some(_) => Err(FieldError::new(field("name"), "must be a string")),
        None => Err(FieldError::new(field("name"), "is required")),
    });
    let color = errors.collect(match object.get("color") {
        Some(Value::String(raw)) => {
            Color::parse(raw).map_err(|rule| FieldError::new(field("color"), rule))
        }
        Some(_) => Err(FieldError::new(field("color"), "must be a string")),
        None => Err(FieldError::new(field("color"), "is required")),
    });
    let parts = errors.collect(match object.get("parts") {
        Some(Value::Number(number)) => whole_number(number)
            .ok_or_else(parts_rule)
            .and_then(Parts::new)
            .map_err(|rule| FieldError::new(field("parts"), rule)),
        Some(_) => Err(FieldError::new(field("parts"), parts_rule())),
        None => Err(FieldError::new(field("parts"), "is required")),
    });
    Some(Ingredient {
        name: name?,
        color: color?,
        parts: parts?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_single_object_is_a_one_item_recipe() {
        let recipe = Recipe::from_json(&json!({"name": "Water", "color": "blue", "parts": 1}))
            .expect("valid recipe");
        assert_eq!(recipe.ingredients().len(), 1);
        assert_eq!(recipe.ingredients()[0].name.as_str(), "Water");
    }

    #[test]
    fn every_broken_field_is_reported_with_its_path() {
        let errors = Recipe::from_json(&json!([
            {"name": "", "color": "blue", "parts": 1},
            {"name": "milk", "color": "javascript:", "parts": "2"},
            {"name": "foam", "color": "white", "parts": null},
            {"name": "ice", "color": "white", "parts": 1.5},
            {"color": "white", "parts": 101},
        ]))
        .expect_err("invalid recipe");
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "recipe[0].name",
                "recipe[1].color",
                "recipe[1].parts",
                "recipe[2].parts",
                "recipe[3].parts",
                "recipe[4].name",
                "recipe[4].parts",
            ]
        );
    }

    #[test]
    fn parts_written_as_whole_floats_count_as_integers() {
        let recipe = Recipe::from_json(&json!([{"name": "milk", "color": "white", "parts": 3.0}]))
            .expect("3.0 is three");
        assert_eq!(recipe.ingredients()[0].parts.get(), 3);
        assert!(
            Recipe::from_json(&json!([{"name": "m", "color": "red", "parts": 1e300}])).is_err()
        );
    }

    #[test]
    fn recipe_size_is_bounded() {
        assert!(Recipe::from_json(&json!([])).is_err());
        let eleven: Vec<Value> = (0..11)
            .map(|i| json!({"name": format!("i{i}"), "color": "red", "parts": 1}))
            .collect();
        assert!(Recipe::from_json(&Value::Array(eleven)).is_err());
        assert!(Recipe::from_json(&json!("water")).is_err());
    }

    #[test]
    fn parts_bounds() {
        assert!(Parts::new(0).is_err());
        assert!(Parts::new(1).is_ok());
        assert!(Parts::new(100).is_ok());
        assert!(Parts::new(101).is_err());
        assert!(Parts::new(-5).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            IngredientName::parse("  milk ").map(|n| n.0),
            Ok("milk".into())
        );
        assert!(IngredientName::parse(&"é".repeat(60)).is_ok());
        assert!(IngredientName::parse(&"é".repeat(61)).is_err());
        assert!(IngredientName::parse("   ").is_err());
        assert!(IngredientName::parse("a\nb").is_err());
    }
}
