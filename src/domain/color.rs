//! A CSS color from a strict grammar. Colors are drawn into HTML and SVG by
//! the admin pages, so only these shapes get through:
//! a named color, `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, or
//! `rgb()`/`rgba()`/`hsl()`/`hsla()` with numeric arguments.

use serde::Serialize;

/// The CSS Color Module Level 4 named colors, plus `transparent`.
const NAMED_COLORS: &[&str] = &[
    "aliceblue",
    "antiquewhite",
    "aqua",
    "aquamarine",
    "azure",
    "beige",
    "bisque",
    "black",
    "blanchedalmond",
    "blue",
    "blueviolet",
    "brown",
    "burlywood",
    "cadetblue",
    "chartreuse",
    "chocolate",
    "coral",
    "cornflowerblue",
    "cornsilk",
    "crimson",
    "cyan",
    "darkblue",
    "darkcyan",
    "darkgoldenrod",
    "darkgray",
    "darkgreen",
    "darkgrey",
    "darkkhaki",
    "darkmagenta",
    "darkolivegreen",
    "darkorange",
    "darkorchid",
    "darkred",
    "darksalmon",
    "darkseagreen",
    "darkslateblue",
    "darkslategray",
    "darkslategrey",
    "darkturquoise",
    "darkviolet",
    "deeppink",
    "deepskyblue",
    "dimgray",
    "dimgrey",
    "dodgerblue",
    "firebrick",
    "floralwhite",
    "forestgreen",
    "fuchsia",
    "gainsboro",
    "ghostwhite",
    "gold",
    "goldenrod",
    "gray",
    "green",
    "greenyellow",
    "grey",
    "honeydew",
    "hotpink",
    "indianred",
    "indigo",
    "ivory",
    "khaki",
    "lavender",
    "lavenderblush",
    "lawngreen",
    "lemonchiffon",
    "lightblue",
    "lightcoral",
    "lightcyan",
    "lightgoldenrodyellow",
    "lightgray",
    "lightgreen",
    "lightgrey",
    "lightpink",
    "lightsalmon",
    "lightseagreen",
    "lightskyblue",
    "lightslategray",
    "lightslategrey",
    "lightsteelblue",
    "lightyellow",
    "lime",
    "limegreen",
    "linen",
    "magenta",
    "maroon",
    "mediumaquamarine",
    "mediumblue",
    "mediumorchid",
    "mediumpurple",
    "mediumseagreen",
    "mediumslateblue",
    "mediumspringgreen",
    "mediumturquoise",
    "mediumvioletred",
    "midnightblue",
    "mintcream",
    "mistyrose",
    "moccasin",
    "navajowhite",
    "navy",
    "oldlace",
    "olive",
    "olivedrab",
    "orange",
    "orangered",
    "orchid",
    "palegoldenrod",
    "palegreen",
    "paleturquoise",
    "palevioletred",
    "papayawhip",
    "peachpuff",
    "peru",
    "pink",
    "plum",
    "powderblue",
    "purple",
    "rebeccapurple",
    "red",
    "rosybrown",
    "royalblue",
    "saddlebrown",
    "salmon",
    "sandybrown",
    "seagreen",
    "seashell",
    "sienna",
    "silver",
    "skyblue",
    "slateblue",
    "slategray",
    "slategrey",
    "snow",
    "springgreen",
    "steelblue",
    "tan",
    "teal",
    "thistle",
    "tomato",
    "transparent",
    "turquoise",
    "violet",
    "wheat",
    "white",
    "whitesmoke",
    "yellow",
    "yellowgreen",
];

/// Longer input cannot be a color of the grammar; refuse it before parsing.
pub const MAX_COLOR_LEN: usize = 64;

/// A CSS color that matched the strict grammar; safe to draw into HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Color(String);

/// Why a string is not a color of the grammar.
const COLOR_RULE: &str = "must be a CSS color: a named color, #rgb, #rgba, #rrggbb, #rrggbbaa, \
                          or rgb()/rgba()/hsl()/hsla() with numeric arguments";

impl Color {
    /// Parses a color, keeping the caller's spelling (without outer spaces).
    /// The length limit counts what was sent, spaces included.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim_matches(' ');
        if raw.len() > MAX_COLOR_LEN || !is_valid_color(trimmed) {
            return Err(COLOR_RULE);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The color as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_color(color: &str) -> bool {
    if let Some(hex) = color.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let lower = color.to_ascii_lowercase();
    if NAMED_COLORS.binary_search(&lower.as_str()).is_ok() {
        return true;
    }
    let Some((function, rest)) = lower.split_once('(') else {
        return false;
    };
    let Some(arguments) = rest.strip_suffix(')') else {
        return false;
    };
    match function {
        "rgb" | "rgba" => are_valid_arguments(arguments, ChannelKind::Rgb),
        "hsl" | "hsla" => are_valid_arguments(arguments, ChannelKind::Hsl),
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum ChannelKind {
    Rgb,
    Hsl,
}

/// Accepts both the legacy comma syntax `rgb(1, 2, 3, 0.5)` and the modern
/// space syntax `rgb(1 2 3 / 50%)`, with three channels and an optional alpha.
/// Only ASCII spaces separate arguments: no tabs, newlines or Unicode spaces.
fn are_valid_arguments(arguments: &str, kind: ChannelKind) -> bool {
    let (channels, alpha): (Vec<&str>, Option<&str>) = if arguments.contains(',') {
        let parts: Vec<&str> = arguments.split(',').map(trim_spaces).collect();
        match parts.len() {
            3 => (parts, None),
            4 => (parts[..3].to_vec(), Some(parts[3])),
            _ => return false,
        }
    } else {
        let (channels, alpha) = match arguments.split_once('/') {
            Some((channels, alpha)) => (channels, Some(trim_spaces(alpha))),
            None => (arguments, None),
        };
        (
            channels.split(' ').filter(|c| !c.is_empty()).collect(),
            alpha,
        )
    };
    if channels.len() != 3 {
        return false;
    }
    let channels_ok = match kind {
        ChannelKind::Rgb => channels.iter().all(|c| is_rgb_channel(c)),
        ChannelKind::Hsl => {
            is_hue(channels[0]) && is_percentage(channels[1]) && is_percentage(channels[2])
        }
    };
    channels_ok && alpha.is_none_or(is_alpha)
}

fn trim_spaces(text: &str) -> &str {
    text.trim_matches(' ')
}

/// A plain non-negative CSS decimal such as `12`, `0.5` or `.5` (not `1.`).
fn parse_number(text: &str) -> Option<f64> {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let well_formed = match text.split_once('.') {
        Some((whole, fraction)) => digits(whole) && !fraction.is_empty() && digits(fraction),
        None => !text.is_empty() && digits(text),
    };
    if well_formed { text.parse().ok() } else { None }
}

fn parse_percentage(text: &str) -> Option<f64> {
    text.strip_suffix('%').and_then(parse_number)
}

fn is_percentage(text: &str) -> bool {
    parse_percentage(text).is_some_and(|p| p <= 100.0)
}

fn is_rgb_channel(text: &str) -> bool {
    is_percentage(text) || parse_number(text).is_some_and(|n| n <= 255.0)
}

fn is_hue(text: &str) -> bool {
    parse_number(text.strip_suffix("deg").unwrap_or(text)).is_some_and(|h| h <= 360.0)
}

fn is_alpha(text: &str) -> bool {
    is_percentage(text) || parse_number(text).is_some_and(|a| a <= 1.0)
}

/// The grammar as one regular expression (ECMA-262 and Python compatible),
/// for the published API schema: it accepts exactly what `Color::parse`
/// accepts (with the length limit stated separately), which a property test
/// holds it to.
pub fn schema_pattern() -> String {
    /// A letter in either case, so no regex flag is needed.
    fn any_case(word: &str) -> String {
        word.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                } else {
                    c.to_string()
                }
            })
            .collect()
    }
    /// A plain decimal of at most `max` (leading zeros and `.5` allowed);
    /// `below` matches the whole numbers from 1 to `max - 1`.
    fn at_most(max: &str, below: Option<&str>) -> String {
        let below = below
            .map(|below| format!("|0*(?:{below})(?:\\.[0-9]+)?"))
            .unwrap_or_default();
        format!("(?:0*\\.[0-9]+|0+{below}|0*{max}(?:\\.0+)?)")
    }
    let n255 = at_most(
        "255",
        Some("[1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-4]"),
    );
    let n100 = at_most("100", Some("[1-9]|[1-9][0-9]"));
    let n360 = at_most("360", Some("[1-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]"));
    let n1 = at_most("1", None);
    let percentage = format!("{n100}%");
    let channel = format!("(?:{percentage}|{n255})");
    let hue = format!("{n360}(?:{})?", any_case("deg"));
    let alpha = format!("(?:{percentage}|{n1})");
    let arguments = |first: &str, second: &str, third: &str| {
        format!(
            "(?: *{first} *, *{second} *, *{third} *(?:, *{alpha} *)?| *{first} +{second} +{third} *(?:/ *{alpha} *)?)"
        )
    };
    let rgb = format!(
        "{}\\({}\\)",
        any_case("rgb") + "[aA]?",
        arguments(&channel, &channel, &channel)
    );
    let hsl = format!(
        "{}\\({}\\)",
        any_case("hsl") + "[aA]?",
        arguments(&hue, &percentage, &percentage)
    );
    let hex = "#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})";
    let named: Vec<String> = NAMED_COLORS.iter().map(|name| any_case(name)).collect();
    format!("^ *(?:{hex}|{rgb}|{hsl}|{}) *$", named.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_colors_are_sorted_for_binary_search() {
        assert!(NAMED_COLORS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn accepts_every_shape_of_the_grammar() {
        for color in [
            "blue",
            "Blue",
            "rebeccapurple",
            "transparent",
            "#abc",
            "#abcd",
            "#A0B1C2",
            "#a0b1c2ff",
            "rgb(255, 0, 0)",
            "rgba(255,0,0,0.5)",
            "rgb(100% 0% 0%)",
            "rgb(255 0 0 / 50%)",
            "hsl(120, 100%, 50%)",
            "hsla(120deg, 100%, 25%, .5)",
            "hsl(120 100% 50% / 0.3)",
            "  #fff  ",
        ] {
            assert!(Color::parse(color).is_ok(), "{color} should be accepted");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for color in [
            "",
            "#",
            "#ab",
            "#abcde",
            "#ggg",
            "bluish",
            "url(javascript:alert(1))",
            "red;background:url(x)",
            "\"><script>alert(1)</script>",
            "rgb(256, 0, 0)",
            "rgb(1, 2)",
            "rgb(1, 2, 3, 4, 5)",
            "rgb(-1, 0, 0)",
            "rgb(1e3, 0, 0)",
            "rgb(a, b, c)",
            "rgba(0,0,0,2)",
            "hsl(400, 50%, 50%)",
            "hsl(120, 50, 50)",
            "rgb(1 2 3",
            "calc(1)",
            "var(--x)",
            "currentcolor",
            "rgb(1\u{2028}2\u{2028}3)",
            "rgb(1\t2\t3)",
            "rgb(1\n,2,3)",
            "\tred",
            "rgb(1., 2, 3)",
            "rgb(1.2.3, 2, 3)",
            "hsl(120, 50%, 50%, 1.)",
        ] {
            assert!(Color::parse(color).is_err(), "{color} should be rejected");
        }
    }

    #[test]
    fn overlong_input_is_rejected_before_parsing() {
        let long = format!("rgb({}1, 2, 3)", " ".repeat(100));
        assert!(Color::parse(&long).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static PATTERN: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(&schema_pattern()).expect("the pattern compiles"));

    /// Strings near the grammar: functions with number-ish arguments, hex,
    /// names in any case, with stray spaces.
    fn color_like() -> impl Strategy<Value = String> {
        let number = prop_oneof![
            "[0-9]{1,4}",
            "[0-9]{0,3}\\.[0-9]{0,3}",
            "0{0,3}(1|100|255|256|360|361)(\\.0{1,2}|\\.5)?",
        ];
        let argument = (
            number,
            prop_oneof![Just(""), Just("%"), Just("deg"), Just("DEG")],
        )
            .prop_map(|(n, unit)| format!("{n}{unit}"));
        let separator = prop_oneof![
            Just(","),
            Just(" , "),
            Just(" "),
            Just("  "),
            Just(" / "),
            Just("/")
        ];
        let arguments = prop::collection::vec((argument, separator), 1..6).prop_map(|parts| {
            parts
                .into_iter()
                .map(|(a, s)| format!("{a}{s}"))
                .collect::<String>()
        });
        let function = prop_oneof![
            Just("rgb"),
            Just("RGBA"),
            Just("hsl"),
            Just("hSlA"),
            Just("rgb "),
            Just("lab")
        ];
        prop_oneof![
            (function, " {0,2}", arguments, " {0,2}")
                .prop_map(|(f, a, args, b)| format!("{f}({a}{args}{b})")),
            "#[0-9a-fA-FgG]{0,9}",
            prop::sample::select(NAMED_COLORS.to_vec()).prop_map(|n| n.to_ascii_uppercase()),
            "( {0,3})(red|Blue|rebeccapurple|grey1|transparent)( {0,3})",
        ]
    }

    /// Characters that could end an attribute, open markup or start CSS
    /// tricks; no accepted color contains one.
    fn is_inert(color: &str) -> bool {
        !color.chars().any(|c| {
            matches!(
                c,
                '<' | '>' | '"' | '\'' | '&' | ';' | '\\' | '{' | '}' | ':' | '@'
            ) || c.is_control()
        }) && !color.to_ascii_lowercase().contains("url")
            && !color.to_ascii_lowercase().contains("expression")
    }

    proptest! {
        #[test]
        fn any_text_is_refused_or_an_inert_color(raw in "\\PC{0,80}") {
            if let Ok(color) = Color::parse(&raw) {
                prop_assert!(is_inert(color.as_str()), "{:?}", color);
            }
        }

        #[test]
        fn the_schema_pattern_agrees_on_known_cases(_ in Just(())) {
            for good in ["rgb(255, 0, 0)", "RGB(1 2 3 / 50%)", " red ", "hsl(360deg 100% 50%)", "#ABC", "rgba(0,0,0,.5)", "hsla(0 0% 0% / 1.0)", "RebeccaPurple"] {
                prop_assert!(PATTERN.is_match(good) && Color::parse(good).is_ok(), "{}", good);
            }
            for bad in ["rgb(256,0,0)", "rgb(1,2)", "rgb(1 2 3 4)", "hsl(361,1%,1%)", "red;", "rgb(1,2,3,1.5)", "#abcde", "rgb (1,2,3)", "rgba(1, 2, 3 / 1)"] {
                prop_assert!(!PATTERN.is_match(bad) && Color::parse(bad).is_err(), "{}", bad);
            }
        }

        #[test]
        fn the_schema_pattern_accepts_exactly_what_parse_accepts(raw in prop_oneof![color_like(), "\\PC{0,30}"]) {
            prop_assume!(raw.len() <= MAX_COLOR_LEN);
            prop_assert_eq!(PATTERN.is_match(&raw), Color::parse(&raw).is_ok(), "{:?}", raw);
        }

        #[test]
        fn near_misses_are_refused_or_inert(
            raw in "(rgb|rgba|hsl|hsla|url|var|calc|expression)\\([ -~]{0,24}\\)|#[0-9a-fA-Fg-zG-Z<>\"]{0,10}|[a-zA-Z]{1,20}[ -~]{0,4}",
        ) {
            if let Ok(color) = Color::parse(&raw) {
                prop_assert!(is_inert(color.as_str()), "{:?}", color);
            }
        }
    }
}
