//! What the admin templates are given: the layout every page shares, the
//! cup picture, and one struct per template. askama escapes every value;
//! nothing here is ever marked safe.

use std::time::SystemTime;

use askama::Template;

use crate::auth::session::AdminSession;
use crate::domain::{Color, Drink, Permission};
use crate::paths;

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub user: Option<UserNav>,
    pub dev_mode: bool,
    pub flash: Option<String>,
}

/// The signed-in person, for the header.
pub struct UserNav {
    pub name: String,
    pub csrf_token: String,
    pub can_create: bool,
    /// Sees the System page.
    pub is_manager: bool,
}

impl Layout {
    pub fn new(title: impl Into<String>, section: &'static str, dev_mode: bool) -> Self {
        Self {
            title: title.into(),
            section,
            user: None,
            dev_mode,
            flash: None,
        }
    }

    pub fn for_session(mut self, session: &AdminSession) -> Self {
        self.user = Some(UserNav {
            name: session.display_name.clone(),
            csrf_token: session.csrf_token.clone(),
            can_create: session.can(Permission::PostDrinks),
            is_manager: session.is_manager(),
        });
        self
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Self {
        self.flash = flash;
        self
    }
}

/// A point in time as pages show it: `datetime` for `<time>` (which a
/// small script shows in the browser's zone), and `text` in UTC for when
/// JavaScript is off: "2026-12-02 04:35 UTC".
pub struct Moment {
    pub datetime: String,
    pub text: String,
}

impl Moment {
    pub fn at(time: SystemTime) -> Self {
        Self::of_stored(&humantime::format_rfc3339_seconds(time).to_string())
    }

    /// A time stored as RFC 3339 in UTC ("2026-12-02T04:35:10.123Z").
    pub fn of_stored(rfc3339: &str) -> Self {
        let minutes: String = rfc3339.replace('T', " ").chars().take(16).collect();
        Self {
            datetime: rfc3339.to_owned(),
            text: format!("{minutes} UTC"),
        }
    }
}

/// The cup picture, drawn as the mobile app draws it: the recipe's first
/// layer on top, each layer as tall as its share of the parts, clipped to
/// a glass outline.
pub struct Cup {
    /// Unique within the page (SVG clip paths are looked up by id).
    pub clip_id: String,
    pub layers: Vec<CupLayer>,
    pub label: String,
}

pub struct CupLayer {
    pub y: String,
    pub height: String,
    /// Only ever a color that passed the strict grammar.
    pub color: String,
}

/// The liquid fills the glass from this height (SVG units) to its bottom.
const LIQUID_TOP: f64 = 24.0;
const LIQUID_BOTTOM: f64 = 120.0;

impl Cup {
    /// A cup for `(color, parts)` layers, top layer first.
    pub fn new<'a>(
        clip_id: String,
        layers: impl IntoIterator<Item = (&'a str, u32)>,
        label: String,
    ) -> Self {
        let layers: Vec<(&str, u32)> = layers.into_iter().filter(|(_, parts)| *parts > 0).collect();
        let total: u32 = layers.iter().map(|(_, parts)| parts).sum();
        let mut top = LIQUID_TOP;
        let layers = layers
            .into_iter()
            .map(|(color, parts)| {
                let height =
                    (LIQUID_BOTTOM - LIQUID_TOP) * f64::from(parts) / f64::from(total.max(1));
                let y = top;
                top += height;
                CupLayer {
                    y: format!("{y:.2}"),
                    // A hair taller (the next layer covers the overlap), so
                    // no seam shows between layers.
                    height: format!("{:.2}", height + 0.4),
                    color: color.to_owned(),
                }
            })
            .collect();
        Self {
            clip_id,
            layers,
            label,
        }
    }

    pub fn of(drink: &Drink, clip_id: String) -> Self {
        let label = format!("A cup of {}", drink.title.as_str());
        Self::new(
            clip_id,
            drink
                .recipe
                .ingredients()
                .iter()
                .map(|i| (i.color.as_str(), u32::from(i.parts.get()))),
            label,
        )
    }
}

/// One drink on the menu page.
pub struct DrinkCard {
    pub id: i64,
    pub title: String,
    pub ingredients: Vec<IngredientLine>,
    pub cup: Cup,
    /// Lowercase title and ingredient names, for the filter box.
    pub search_text: String,
}

/// One layer of a recipe, as a line of text with its colour.
pub struct IngredientLine {
    pub name: String,
    pub color: String,
    pub parts: u8,
}

impl IngredientLine {
    /// True when the colour may be drawn as a swatch: always for a drink
    /// on the menu; checked again for one read back from the activity log.
    pub fn drawable(&self) -> bool {
        Color::parse(&self.color).is_ok()
    }
}

impl DrinkCard {
    pub fn of(drink: &Drink) -> Self {
        let ingredients: Vec<IngredientLine> = drink
            .recipe
            .ingredients()
            .iter()
            .map(|i| IngredientLine {
                name: i.name.as_str().to_owned(),
                color: i.color.as_str().to_owned(),
                parts: i.parts.get(),
            })
            .collect();
        let search_text = std::iter::once(drink.title.as_str())
            .chain(ingredients.iter().map(|i| i.name.as_str()))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        Self {
            id: drink.id,
            title: drink.title.as_str().to_owned(),
            cup: Cup::of(drink, format!("cup-{}", drink.id)),
            ingredients,
            search_text,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/menu.html")]
pub struct MenuPage {
    pub layout: Layout,
    pub cards: Vec<DrinkCard>,
    pub total: usize,
    pub query: String,
    pub can_edit: bool,
    pub can_delete: bool,
}

/// One ingredient row of the drink form, as typed.
pub struct FormRow {
    pub name: String,
    pub color: String,
    pub parts: String,
    /// The color picker's value: the color when it is `#rrggbb`.
    pub picker: String,
    pub name_error: Option<String>,
    pub color_error: Option<String>,
    pub parts_error: Option<String>,
}

impl FormRow {
    pub fn new(name: String, color: String, parts: String) -> Self {
        let picker = if color.len() == 7
            && color.starts_with('#')
            && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
        {
            color.to_ascii_lowercase()
        } else {
            "#6f4e37".to_owned()
        };
        Self {
            name,
            color,
            parts,
            picker,
            name_error: None,
            color_error: None,
            parts_error: None,
        }
    }

    pub fn blank() -> Self {
        Self::new(String::new(), String::new(), "1".to_owned())
    }

    pub fn has_error(&self) -> bool {
        self.name_error.is_some() || self.color_error.is_some() || self.parts_error.is_some()
    }
}

/// One line of the form's error summary: the message, linked to its field.
pub struct ErrorLink {
    /// The id of the field's input.
    pub field: String,
    /// The field's label: "Colour 2".
    pub label: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "admin/drink_form.html")]
pub struct DrinkFormPage {
    pub layout: Layout,
    pub heading: String,
    pub action: String,
    pub submit_label: String,
    pub title: String,
    pub title_error: Option<String>,
    pub recipe_error: Option<String>,
    pub rows: Vec<FormRow>,
    pub csrf_token: String,
    pub preview: Cup,
    pub errors: Vec<ErrorLink>,
    pub max_rows: usize,
    /// The version being edited (not for a new drink).
    pub version: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub card: DrinkCard,
    pub csrf_token: String,
    pub version: i64,
}

/// Someone else changed the drink since the form was opened: what it is
/// now, the person's own edit, and the choices.
#[derive(Template)]
#[template(path = "admin/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub id: i64,
    pub current: DrinkCard,
    pub current_version: i64,
    /// True when the refused change was a delete.
    pub deleting: bool,
    pub title: String,
    pub rows: Vec<FormRow>,
    pub csrf_token: String,
}

/// The sign-in page: the provider's button, the development buttons, or
/// (when neither is configured) how to set sign-in up.
#[derive(Template)]
#[template(path = "admin/sign_in.html")]
pub struct SignInPage {
    pub layout: Layout,
    pub next: String,
    pub provider: Option<String>,
    pub dev_mode: bool,
    pub problem: Option<String>,
    /// Shown when sign-in is not configured.
    pub setup: Option<SetupHelp>,
}

pub struct SetupHelp {
    pub callback_url: String,
    pub logout_url: String,
    pub issuer_configured: bool,
}

#[derive(Template)]
#[template(path = "errors/page.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: String,
    pub message: String,
    /// A permission the person lacks, to name on the page.
    pub missing_permission: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewDrink;
    use proptest::prelude::*;

    /// The menu page for one drink, as a manager sees it.
    fn menu_html(drink: &Drink) -> String {
        MenuPage {
            layout: Layout::new("Menu", "menu", false),
            cards: vec![DrinkCard::of(drink)],
            total: 1,
            query: String::new(),
            can_edit: true,
            can_delete: true,
        }
        .render()
        .expect("renders")
    }

    fn drink(title: &str, name: &str, color: &str) -> Option<Drink> {
        let body = serde_json::json!({"title": title, "recipe": [{"name": name, "color": color, "parts": 2}]});
        let new = NewDrink::from_json(&body).ok()?;
        Some(Drink {
            id: 1,
            title: new.title,
            recipe: new.recipe,
            version: 1,
        })
    }

    proptest! {
        /// Whatever a drink holds, it adds no markup: the page has exactly
        /// as many `<` (and quotes) as with a plain drink.
        #[test]
        fn user_data_never_adds_markup(
            title in "\\PC{1,40}",
            name in "\\PC{1,30}",
            color in prop_oneof![Just("red".to_owned()), "#[0-9a-f]{6}", "\\PC{1,20}"],
        ) {
            let plain = drink("x", "y", "red").expect("valid");
            if let Some(hostile) = drink(&title, &name, &color) {
                let (baseline, page) = (menu_html(&plain), menu_html(&hostile));
                for special in ['<', '>', '"'] {
                    prop_assert_eq!(
                        baseline.matches(special).count(),
                        page.matches(special).count(),
                        "{:?} in {:?} / {:?} / {:?}", special, title, name, color
                    );
                }
            }
        }
    }

    #[test]
    fn cup_layers_fill_the_glass_in_proportion() {
        let cup = Cup::new("c".into(), [("red", 1), ("#fff", 3)], "x".into());
        assert_eq!(cup.layers.len(), 2);
        assert_eq!(
            cup.layers[0].y, "24.00",
            "the first layer is the top quarter"
        );
        assert_eq!(
            cup.layers[1].y, "48.00",
            "the rest fills down to the bottom"
        );
        let empty = Cup::new("e".into(), [("red", 0)], "x".into());
        assert!(empty.layers.is_empty());
    }
}
