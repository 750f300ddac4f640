//! What the pages say when a field of the drink form is wrong: words for a
//! café manager, not the API's precise rules. The domain still decides what
//! is valid; this only chooses the sentence once it has said no, from what
//! was typed.

use crate::domain::{MAX_INGREDIENTS, MAX_NAME_CHARS, MAX_PARTS, MAX_TITLE_CHARS};

/// A field of the drink form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Title,
    Recipe,
    Name,
    Color,
    Parts,
}

/// The sentence for a refused `field` whose text was `typed`.
pub fn problem(field: FormField, typed: &str) -> String {
    match field {
        FormField::Title => text_problem(
            typed,
            MAX_TITLE_CHARS,
            "Give the drink a title, like Flat White.",
        ),
        FormField::Name => {
            text_problem(typed, MAX_NAME_CHARS, "Name the ingredient, like espresso.")
        }
        FormField::Color if typed.trim().is_empty() => {
            "Pick a colour for this ingredient, or type a name like brown.".to_owned()
        }
        FormField::Color => {
            "Pick a colour, or type a name like brown or a code like #6f4e37.".to_owned()
        }
        FormField::Parts => format!("Enter a whole number of parts, from 1 to {MAX_PARTS}."),
        FormField::Recipe => format!(
            "Add at least one ingredient with a name and a colour (at most {MAX_INGREDIENTS})."
        ),
    }
}

/// The sentence when another drink already has the title.
/// Creating a drink when the menu holds `menu.max_drinks` already.
pub fn menu_full(max: u32) -> String {
    format!(
        "The menu already holds {max} drinks, the most it may. Delete a drink before adding another."
    )
}

pub fn title_taken(title: &str) -> String {
    format!(
        "There is already a drink called “{}”. Pick another title.",
        title.trim()
    )
}

/// Titles and ingredient names share one rule: something typed, not too
/// long, on one line.
fn text_problem(typed: &str, max_chars: usize, when_empty: &str) -> String {
    if typed.chars().count() > max_chars {
        format!("Keep it to {max_chars} characters or fewer.")
    } else if typed.chars().any(char::is_control) {
        "Keep it on one line, without tabs.".to_owned()
    } else {
        when_empty.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_follow_what_was_typed() {
        assert_eq!(
            problem(FormField::Title, "  "),
            "Give the drink a title, like Flat White."
        );
        assert_eq!(
            problem(FormField::Title, &"a".repeat(81)),
            "Keep it to 80 characters or fewer."
        );
        assert_eq!(
            problem(FormField::Name, "oat\tmilk"),
            "Keep it on one line, without tabs."
        );
        assert_eq!(
            problem(FormField::Color, "blurple"),
            "Pick a colour, or type a name like brown or a code like #6f4e37."
        );
        assert_eq!(
            problem(FormField::Parts, "1.5"),
            "Enter a whole number of parts, from 1 to 100."
        );
    }

    #[test]
    fn no_sentence_speaks_programmer() {
        let fields = [
            FormField::Title,
            FormField::Recipe,
            FormField::Name,
            FormField::Color,
            FormField::Parts,
        ];
        for field in fields {
            for typed in ["", "x", "url(javascript:x)", "\u{1}"] {
                let sentence = problem(field, typed);
                for jargon in ["string", "null", "integer", "CSS", "rgba", "must"] {
                    assert!(!sentence.contains(jargon), "{field:?}: {sentence}");
                }
            }
        }
    }
}
