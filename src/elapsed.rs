//! How long: a span in words ("2 h 5 min"), how long ago a moment was,
//! and seconds as a gauge holds them. The System page, the banner, the
//! backup line and the metrics all say time this one way.

use std::time::{Duration, SystemTime};

/// How long ago `then` was at `now` (zero for a time in the future).
pub fn age(now: SystemTime, then: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or_default()
}

/// A span of time as people say it, to the minute: "less than a minute",
/// "7 min", "2 h 5 min", "3 days 4 h".
pub fn in_words(span: Duration) -> String {
    let minutes = span.as_secs() / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (days, hours, minutes) {
        (0, 0, 0) => "less than a minute".to_owned(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => plural(d, "day", "days"),
        (d, h, _) => format!("{} {h} h", plural(d, "day", "days")),
    }
}

/// Seconds from `earlier` to `later`, as a gauge holds them (0 if `later` is earlier).
pub fn seconds_between(earlier: SystemTime, later: SystemTime) -> f64 {
    later
        .duration_since(earlier)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        let words = |secs| in_words(Duration::from_secs(secs));
        assert_eq!(words(59), "less than a minute");
        assert_eq!(words(7 * 60), "7 min");
        assert_eq!(words(2 * 3600), "2 h");
        assert_eq!(words(2 * 3600 + 5 * 60 + 30), "2 h 5 min");
        assert_eq!(words(86_400 + 120), "1 day");
        assert_eq!(words(3 * 86_400 + 4 * 3600), "3 days 4 h");
    }
}
