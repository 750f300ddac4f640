//! Types that are valid by construction: raw request data is parsed into
//! these at the edge, so handlers and storage never see an invalid drink.

mod color;
mod drink;
mod permission;
mod recipe;
mod validation;

pub use color::Color;
pub use drink::{Drink, DrinkChanges, DrinkId, DrinkTitle, NewDrink};
pub use permission::{Permission, Permissions};
pub use recipe::{Ingredient, IngredientName, MAX_INGREDIENTS, Parts, Recipe};
pub use validation::{FieldError, ValidationErrors};
