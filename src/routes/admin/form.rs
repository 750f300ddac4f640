//! The drink form: reads what was typed (rows of name, color and parts),
//! runs it through the same domain rules as the API, and puts each error
//! next to the field it concerns, keeping the input.

use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{ErrorLink, FormRow};
use super::wording::{FormField, problem};
use crate::domain::{ExpectedVersion, NewDrink, Recipe};

/// At most this many ingredient rows (the recipe's own limit).
pub const MAX_ROWS: usize = crate::domain::MAX_INGREDIENTS;

/// A posted drink form, as typed. Rows come as repeated fields.
#[derive(Debug, Default, Deserialize)]
pub struct DrinkFormInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub name: Vec<String>,
    #[serde(default)]
    pub color: Vec<String>,
    #[serde(default)]
    pub parts: Vec<String>,
    #[serde(default)]
    pub action: String,
    /// The version the form was opened at (edits only).
    #[serde(default)]
    pub version: String,
}

impl DrinkFormInput {
    /// The version the form was opened at, if it says.
    pub fn opened_at(&self) -> Option<i64> {
        opened_at(&self.version)
    }
}

/// The posted deletion of a drink.
#[derive(Deserialize)]
pub struct DeleteForm {
    /// The version the confirmation page showed.
    #[serde(default)]
    pub version: String,
}

impl DeleteForm {
    /// What the deletion expects of the drink, if the form says.
    pub fn expected(&self) -> Option<ExpectedVersion> {
        opened_at(&self.version).map(ExpectedVersion::exactly)
    }
}

/// A form's hidden `version` field: the version it was opened at.
fn opened_at(field: &str) -> Option<i64> {
    field.trim().parse().ok()
}

/// Which button sent the form (the add and remove buttons work without
/// JavaScript by coming back to the server).
#[derive(Debug, PartialEq, Eq)]
pub enum FormAction {
    Save,
    AddRow,
    RemoveRow(usize),
}

/// The form with its errors, ready to show again.
pub struct CheckedForm {
    pub title: String,
    pub title_error: Option<String>,
    pub recipe_error: Option<String>,
    pub rows: Vec<FormRow>,
}

impl CheckedForm {
    pub fn error_count(&self) -> usize {
        self.error_links().len()
    }

    /// Every error, in the order of the fields, linked to its field: the
    /// summary at the top of the form.
    pub fn error_links(&self) -> Vec<ErrorLink> {
        let mut links = Vec::new();
        let mut add = |field: String, label: String, message: &Option<String>| {
            if let Some(message) = message {
                links.push(ErrorLink {
                    field,
                    label,
                    message: message.clone(),
                });
            }
        };
        add("title".into(), "Title".into(), &self.title_error);
        add("name-0".into(), "Ingredients".into(), &self.recipe_error);
        for (index, row) in self.rows.iter().enumerate() {
            let number = index + 1;
            add(
                format!("name-{index}"),
                format!("Ingredient {number}"),
                &row.name_error,
            );
            add(
                format!("color-{index}"),
                format!("Colour {number}"),
                &row.color_error,
            );
            add(
                format!("parts-{index}"),
                format!("Parts {number}"),
                &row.parts_error,
            );
        }
        links
    }
}

impl DrinkFormInput {
    pub fn action(&self) -> FormAction {
        match self.action.as_str() {
            "add" => FormAction::AddRow,
            other => other
                .strip_prefix("remove-")
                .and_then(|index| index.parse().ok())
                .map_or(FormAction::Save, FormAction::RemoveRow),
        }
    }

    /// The rows after the add or remove button that sent the form, or
    /// `None` when it was sent to be saved.
    pub fn edited_rows(&self) -> Option<Vec<FormRow>> {
        let mut rows = self.rows();
        match self.action() {
            FormAction::Save => return None,
            FormAction::AddRow if rows.len() < MAX_ROWS => rows.push(FormRow::blank()),
            FormAction::AddRow => {}
            FormAction::RemoveRow(index) if index < rows.len() => {
                rows.remove(index);
            }
            FormAction::RemoveRow(_) => {}
        }
        if rows.is_empty() {
            rows.push(FormRow::blank());
        }
        Some(rows)
    }

    /// The rows as typed (at most `MAX_ROWS`).
    pub fn rows(&self) -> Vec<FormRow> {
        let count = self
            .name
            .len()
            .max(self.color.len())
            .max(self.parts.len())
            .min(MAX_ROWS);
        (0..count)
            .map(|i| {
                let cell = |list: &[String]| list.get(i).cloned().unwrap_or_default();
                FormRow::new(cell(&self.name), cell(&self.color), cell(&self.parts))
            })
            .collect()
    }

    /// The form as it was, with no errors (after add or remove row).
    pub fn unchecked(&self, rows: Vec<FormRow>) -> CheckedForm {
        CheckedForm {
            title: self.title.clone(),
            title_error: None,
            recipe_error: None,
            rows,
        }
    }

    /// The drink, or the form with every problem marked. Rows without a
    /// name or a color are ignored.
    pub fn validate(&self) -> Result<NewDrink, CheckedForm> {
        let mut rows = self.rows();
        let typed: Vec<usize> = rows
            .iter()
            .enumerate()
            // A row with neither name nor color is an unused row (its parts
            // field starts at 1), not a mistake.
            .filter(|(_, row)| !(row.name.trim().is_empty() && row.color.trim().is_empty()))
            .map(|(index, _)| index)
            .collect();
        let mut recipe = Vec::new();
        for &index in &typed {
            let row = &mut rows[index];
            let parts = match row.parts.trim().parse::<i64>() {
                Ok(parts) => parts,
                Err(_) => {
                    row.parts_error = Some(problem(FormField::Parts, &row.parts));
                    1
                }
            };
            recipe.push(json!({"name": row.name, "color": row.color, "parts": parts}));
        }
        let body = json!({"title": self.title, "recipe": Value::Array(recipe)});
        let mut checked = CheckedForm {
            title: self.title.clone(),
            title_error: None,
            recipe_error: None,
            rows,
        };
        let errors = match NewDrink::from_json(&body) {
            Ok(drink) if checked.error_count() == 0 => return Ok(drink),
            Ok(_) => return Err(checked),
            Err(errors) => errors,
        };
        for error in errors.fields() {
            match error.field.as_str() {
                "title" => checked.title_error = Some(problem(FormField::Title, &self.title)),
                "recipe" => checked.recipe_error = Some(problem(FormField::Recipe, "")),
                field => {
                    let row = row_field(field)
                        .and_then(|(row, column)| Some((*typed.get(row)?, column)))
                        .and_then(|(index, column)| Some((checked.rows.get_mut(index)?, column)));
                    let Some((row, column)) = row else {
                        checked.recipe_error = Some(problem(FormField::Recipe, ""));
                        continue;
                    };
                    match column {
                        "name" => row.name_error = Some(problem(FormField::Name, &row.name)),
                        "color" => row.color_error = Some(problem(FormField::Color, &row.color)),
                        _ => {
                            let sentence = problem(FormField::Parts, &row.parts);
                            row.parts_error.get_or_insert(sentence);
                        }
                    }
                }
            }
        }
        Err(checked)
    }
}

/// `recipe[2].color` → `(2, "color")`.
fn row_field(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("recipe[")?;
    let (index, column) = rest.split_once("].")?;
    Some((index.parse().ok()?, column))
}

/// The rows of an existing recipe, for the edit form.
pub fn rows_of(recipe: &Recipe) -> Vec<FormRow> {
    recipe
        .ingredients()
        .iter()
        .map(|i| {
            FormRow::new(
                i.name.as_str().to_owned(),
                i.color.as_str().to_owned(),
                i.parts.get().to_string(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, rows: &[(&str, &str, &str)]) -> DrinkFormInput {
        DrinkFormInput {
            title: title.into(),
            name: rows.iter().map(|r| r.0.into()).collect(),
            color: rows.iter().map(|r| r.1.into()).collect(),
            parts: rows.iter().map(|r| r.2.into()).collect(),
            ..DrinkFormInput::default()
        }
    }

    #[test]
    fn a_valid_form_becomes_a_drink_and_blank_rows_are_ignored() {
        let form = input(
            "Latte",
            &[
                ("espresso", "#3b1f0e", "1"),
                ("", "", "1"),
                ("milk", "white", "3"),
            ],
        );
        let Ok(drink) = form.validate() else {
            panic!("the form is valid")
        };
        assert_eq!(drink.title.as_str(), "Latte");
        assert_eq!(drink.recipe.ingredients().len(), 2);
    }

    #[test]
    fn errors_land_next_to_their_fields_and_input_is_kept() {
        let form = input(
            "",
            &[
                ("", "", ""),
                ("milk", "url(javascript:x)", "lots"),
                ("", "red", "2"),
            ],
        );
        let checked = form.validate().expect_err("invalid");
        assert!(checked.title_error.is_some());
        assert!(
            checked.rows[0].name_error.is_none(),
            "a blank row is ignored"
        );
        assert!(checked.rows[1].color_error.is_some());
        assert_eq!(checked.rows[1].color, "url(javascript:x)", "input kept");
        assert_eq!(
            checked.rows[1].parts_error.as_deref(),
            Some("Enter a whole number of parts, from 1 to 100.")
        );
        assert!(checked.rows[2].name_error.is_some());
        assert_eq!(checked.error_count(), 4);
    }

    #[test]
    fn an_empty_recipe_is_an_error_on_the_recipe() {
        let checked = input("Air", &[("", "", "")])
            .validate()
            .expect_err("invalid");
        assert!(checked.recipe_error.is_some());
    }

    #[test]
    fn buttons_are_read() {
        let mut form = DrinkFormInput::default();
        assert_eq!(form.action(), FormAction::Save);
        form.action = "add".into();
        assert_eq!(form.action(), FormAction::AddRow);
        form.action = "remove-3".into();
        assert_eq!(form.action(), FormAction::RemoveRow(3));
        form.action = "remove-x".into();
        assert_eq!(form.action(), FormAction::Save);
    }
}
