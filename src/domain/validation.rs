//! Validation errors, reported per field so a client can fix them all at once.

use serde::Serialize;

/// One rule broken by one field of a request body, e.g. `recipe[0].parts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The shared rule for names people type (titles, ingredient names): trimmed,
/// 1 to `max_chars` characters, no control characters. Kept verbatim otherwise.
pub(super) fn parse_text(raw: &str, max_chars: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Err("must not be empty".into());
    }
    if length > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}
