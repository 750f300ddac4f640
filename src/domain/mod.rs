//! Types that are valid by construction: raw request data is parsed into
//! these at the edge, so handlers and storage never see an invalid drink.

mod color;
mod drink;
mod permission;
mod recipe;
mod validation;

pub use color::{Color, MAX_COLOR_LEN, schema_pattern as color_schema_pattern};
pub use drink::{
    Drink, DrinkChanges, DrinkId, DrinkTitle, DrinksBody, ExpectedVersion, LongDrink,
    MAX_TITLE_CHARS, NewDrink, ShortDrink,
};
pub use permission::{Permission, Permissions};
pub use recipe::{
    Ingredient, IngredientName, MAX_INGREDIENTS, MAX_NAME_CHARS, MAX_PARTS, Parts, Recipe,
};
pub use validation::{FieldError, TEXT_SCHEMA_PATTERN, ValidationErrors};
