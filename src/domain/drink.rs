//! Drinks: the stored form, its short and long JSON views, and the bodies
//! that create or change one.

use serde::Serialize;
use serde_json::{Map, Value};

use super::recipe::Recipe;
use super::validation::parse_text;
use super::validation::{FieldError, ValidationErrors};

/// Longest drink title, in characters.
pub const MAX_TITLE_CHARS: usize = 80;

/// A drink's id: assigned by the database, never reused after a delete.
pub type DrinkId = i64;

/// A drink title: trimmed, 1–80 characters, unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DrinkTitle(String);

impl DrinkTitle {
    /// Parses a title as typed; the error is the rule it broke.
    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_text(raw, MAX_TITLE_CHARS).map(Self)
    }

    /// The title as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that makes titles unique ignoring case (full Unicode lowercase,
    /// which SQLite's `NOCASE` would not do).
    pub fn uniqueness_key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A drink as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drink {
    /// Assigned by the database.
    pub id: DrinkId,
    /// Unique ignoring case.
    pub title: DrinkTitle,
    /// Its layers, bottom first.
    pub recipe: Recipe,
    /// Counts its changes (1 when created); never part of the JSON shapes.
    pub version: i64,
}

/// What a change requires of the drink's current version: any (`If-Match:
/// *`), or one of those listed (the tags sent, or the version a form was
/// opened at). No expectation at all is `None` where one is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Any version, as long as the drink exists.
    Any,
    /// One of these versions (none listed: nothing matches).
    OneOf(Vec<i64>),
}

impl ExpectedVersion {
    /// Exactly `version`: what a form opened at that version expects.
    pub fn exactly(version: i64) -> Self {
        Self::OneOf(vec![version])
    }

    /// True when a drink at `version` meets the expectation.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}

/// The success body of every drinks route: `{"success": true, "drinks": [...]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DrinksBody<T> {
    success: bool,
    drinks: Vec<T>,
}

impl<T: Serialize> DrinksBody<T> {
    /// A success body around `drinks`.
    pub fn new(drinks: Vec<T>) -> Self {
        Self {
            success: true,
            drinks,
        }
    }
}

/// The public ("short") form: each ingredient without its name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ShortDrink<'a> {
    id: DrinkId,
    #[schema(value_type = DrinkTitle)]
    title: &'a str,
    recipe: Vec<ShortIngredient<'a>>,
}

/// One layer of the public form: its color and share, not its name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ShortIngredient<'a> {
    #[schema(value_type = super::color::Color)]
    color: &'a str,
    #[schema(value_type = super::recipe::Parts)]
    parts: u8,
}

/// The detailed ("long") form: the whole recipe.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LongDrink<'a> {
    id: DrinkId,
    #[schema(value_type = DrinkTitle)]
    title: &'a str,
    #[schema(value_type = Recipe)]
    recipe: &'a Recipe,
}

impl Drink {
    /// The public form, for `GET /drinks`.
    pub fn short(&self) -> ShortDrink<'_> {
        ShortDrink {
            id: self.id,
            title: self.title.as_str(),
            recipe: self
                .recipe
                .ingredients()
                .iter()
                .map(|i| ShortIngredient {
                    color: i.color.as_str(),
                    parts: i.parts.get(),
                })
                .collect(),
        }
    }

    /// The detailed form, for everything behind a permission.
    pub fn long(&self) -> LongDrink<'_> {
        LongDrink {
            id: self.id,
            title: self.title.as_str(),
            recipe: &self.recipe,
        }
    }
}

/// A drink to create. Any `id` in the body is ignored: the Ionic app sends
/// `-1` for a new drink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDrink {
    /// The title to give it.
    pub title: DrinkTitle,
    /// Its recipe.
    pub recipe: Recipe,
}

impl NewDrink {
    /// Parses a `POST /drinks` body, reporting every broken rule.
    pub fn from_json(body: &Value) -> Result<Self, ValidationErrors> {
        let object = as_object(body)?;
        let mut errors = ValidationErrors::default();
        let title = match object.get("title") {
            None => {
                errors.push(FieldError::new("title", "is required"));
                None
            }
            Some(value) => errors.collect(parse_title(value)),
        };
        let recipe = match object.get("recipe") {
            None => {
                errors.push(FieldError::new("recipe", "is required"));
                None
            }
            Some(value) => errors.collect(Recipe::from_json(value)),
        };
        match (title, recipe) {
            (Some(title), Some(recipe)) if errors.is_empty() => Ok(Self { title, recipe }),
            _ => Err(errors),
        }
    }
}

/// A partial update: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrinkChanges {
    /// The new title, if one was sent.
    pub title: Option<DrinkTitle>,
    /// The new recipe, if one was sent.
    pub recipe: Option<Recipe>,
}

impl DrinkChanges {
    /// Parses a `PATCH /drinks/{id}` body, reporting every broken rule.
    pub fn from_json(body: &Value) -> Result<Self, ValidationErrors> {
        let object = as_object(body)?;
        let mut errors = ValidationErrors::default();
        let title = object
            .get("title")
            .and_then(|value| errors.collect(parse_title(value)));
        let recipe = object
            .get("recipe")
            .and_then(|value| errors.collect(Recipe::from_json(value)));
        if errors.is_empty() {
            Ok(Self { title, recipe })
        } else {
            Err(errors)
        }
    }

    /// The drink as it will be once these changes are applied.
    pub fn apply_to(&self, drink: &Drink) -> Drink {
        Drink {
            id: drink.id,
            title: self.title.clone().unwrap_or_else(|| drink.title.clone()),
            recipe: self.recipe.clone().unwrap_or_else(|| drink.recipe.clone()),
            version: drink.version,
        }
    }
}

fn as_object(body: &Value) -> Result<&Map<String, Value>, ValidationErrors> {
    body.as_object()
        .ok_or_else(|| FieldError::new("body", "must be a JSON object").into())
}

fn parse_title(value: &Value) -> Result<DrinkTitle, FieldError> {
    match value {
        Value::String(raw) => DrinkTitle::parse(raw).map_err(|rule| FieldError::new("title", rule)),
        _ => Err(FieldError::new("title", "must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn drink(id: DrinkId, title: &str, recipe: Value, version: i64) -> Drink {
        Drink {
            id,
            title: DrinkTitle::parse(title).expect("valid"),
            recipe: Recipe::from_json(&recipe).expect("valid"),
            version,
        }
    }

    #[test]
    fn titles_are_trimmed_verbatim_and_bounded() {
        let title = DrinkTitle::parse("  <b>Latte</b> & Co ").expect("valid title");
        assert_eq!(title.as_str(), "<b>Latte</b> & Co");
        assert!(DrinkTitle::parse("").is_err());
        assert!(DrinkTitle::parse("   ").is_err());
        assert!(DrinkTitle::parse(&"ß".repeat(80)).is_ok());
        assert!(DrinkTitle::parse(&"ß".repeat(81)).is_err());
    }

    #[test]
    fn uniqueness_ignores_unicode_case() {
        let a = DrinkTitle::parse("CAFÉ").expect("valid");
        let b = DrinkTitle::parse("café").expect("valid");
        assert_eq!(a.uniqueness_key(), b.uniqueness_key());
    }

    #[test]
    fn new_drink_ignores_id_and_reports_all_fields() {
        let drink = NewDrink::from_json(&json!({
            "id": -1, "title": "Latte",
            "recipe": [{"name": "milk", "color": "#fff", "parts": 3}]
        }))
        .expect("valid drink");
        assert_eq!(drink.title.as_str(), "Latte");

        let errors = NewDrink::from_json(&json!({"title": 5})).expect_err("invalid");
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "recipe"]);
        assert!(NewDrink::from_json(&json!([1, 2])).is_err());
    }

    #[test]
    fn changes_keep_what_was_not_sent() {
        let changes = DrinkChanges::from_json(&json!({"title": "Water5"})).expect("valid");
        let before = drink(
            1,
            "water",
            json!([{"name": "water", "color": "blue", "parts": 1}]),
            4,
        );
        let after = changes.apply_to(&before);
        assert_eq!(
            after.version, 4,
            "the store moves the version, not the change"
        );
        assert_eq!(after.title.as_str(), "Water5");
        assert_eq!(after.recipe, before.recipe);
        assert!(DrinkChanges::from_json(&json!({"title": null})).is_err());
        assert_eq!(
            DrinkChanges::from_json(&json!({})).expect("valid"),
            DrinkChanges::default()
        );
    }

    #[test]
    fn short_form_hides_ingredient_names() {
        let drink = drink(
            7,
            "Mocha",
            json!([{"name": "secret", "color": "brown", "parts": 2}]),
            3,
        );
        let short = serde_json::to_value(drink.short()).expect("serialises");
        assert_eq!(
            short,
            json!({"id": 7, "title": "Mocha", "recipe": [{"color": "brown", "parts": 2}]})
        );
        let long = serde_json::to_value(drink.long()).expect("serialises");
        assert_eq!(long["recipe"][0]["name"], "secret");
        assert!(long.get("version").is_none(), "the Flask shapes stay exact");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Any JSON value, a few levels deep.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,40}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                prop::collection::hash_map(
                    "(title|recipe|name|color|parts|id|\\PC{0,8})",
                    inner,
                    0..6
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Bodies shaped like drinks, with arbitrary field values.
    fn drink_like() -> impl Strategy<Value = Value> {
        (any_json(), prop::collection::vec((any_json(), any_json(), any_json()), 0..12)).prop_map(
            |(title, rows)| {
                let recipe: Vec<Value> = rows
                    .into_iter()
                    .map(|(name, color, parts)| json!({"name": name, "color": color, "parts": parts}))
                    .collect();
                json!({"title": title, "recipe": recipe})
            },
        )
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic_and_accepted_drinks_keep_the_rules(
            body in prop_oneof![any_json(), drink_like()],
        ) {
            if let Ok(drink) = NewDrink::from_json(&body) {
                let title = drink.title.as_str();
                prop_assert!(!title.is_empty() && title.chars().count() <= MAX_TITLE_CHARS);
                prop_assert!(!title.chars().any(char::is_control));
                let ingredients = drink.recipe.ingredients();
                prop_assert!(!ingredients.is_empty() && ingredients.len() <= crate::domain::MAX_INGREDIENTS);
                for ingredient in ingredients {
                    prop_assert!(!ingredient.name.as_str().chars().any(char::is_control));
                    prop_assert!((1..=100).contains(&ingredient.parts.get()));
                    prop_assert!(crate::domain::Color::parse(ingredient.color.as_str()).is_ok());
                }
            }
            let _ = DrinkChanges::from_json(&body);
        }
    }
}
