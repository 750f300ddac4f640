//! Validation errors, reported per field so a client can fix them all at once.

use serde::Serialize;

/// One rule broken by one field of a request body, e.g. `recipe[0].parts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Where the value was, as a path into the body: `title`, `recipe[2].color`.
    pub field: String,
    /// The rule it broke, in words.
    pub message: String,
}

impl FieldError {
    /// An error for `field` breaking the rule `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every rule a request body broke.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// Adds one error.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Adds all errors of another report.
    pub fn extend(&mut self, other: ValidationErrors) {
        self.0.extend(other.0);
    }

    /// True when no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors, in the order the fields were checked.
    pub fn fields(&self) -> &[FieldError] {
        &self.0
    }

    /// Records the error of a parse, if any, and returns its value.
    pub fn collect<T, E: Into<ValidationErrors>>(&mut self, result: Result<T, E>) -> Option<T> {
        result.map_err(|error| self.extend(error.into())).ok()
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let messages: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&messages.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// `parse_text`'s rule as a regular expression (ECMA-262 and Python
/// compatible) for the published API schema, with the length stated
/// separately: no control character, and something besides whitespace.
pub const TEXT_SCHEMA_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The shared rule for names people type (titles, ingredient names): at most
/// `max_chars` characters as sent, no control characters, something besides
/// whitespace; stored trimmed, verbatim otherwise. The length counts what was
/// sent (surrounding spaces too), so the published schema states it exactly.
pub(super) fn parse_text(raw: &str, max_chars: usize) -> Result<String, String> {
    if raw.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    // Checked on what was sent: a tab or newline at either end is refused
    // too, not silently trimmed away.
    if raw.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_schema_pattern_agrees_with_parse_text(
            raw in prop_oneof!["\\PC{0,12}", "[ \\t\\n\\u{a0}\\u{2003}\\u{1}\\u{85}a]{0,6}", "\\s{0,3}[a-z]{0,3}\\s{0,3}"],
        ) {
            let pattern = regex::Regex::new(TEXT_SCHEMA_PATTERN).expect("compiles");
            prop_assert_eq!(pattern.is_match(&raw), parse_text(&raw, 80).is_ok(), "{:?}", raw);
        }
    }
}
