//! Logging: `tracing` to stderr through a background writer, filtered by
//! `RUST_LOG` or `log.level`, as text or JSON, with colour only where
//! `log.color` allows it. The per-request line is written by
//! `http::request_log`.

use std::io::IsTerminal;

use tracing::{Level, Metadata};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

use crate::config::{LogColor, LogFormat, LogSettings};

/// Crates whose debug and trace output dumps HTTP headers and bodies, with
/// tokens and secrets in them (ureq's protocol trace of the token exchange,
/// for one). They are capped at info whatever the filter says, so "tokens
/// and secrets are never logged" holds even under `RUST_LOG=trace`.
const WIRE_TARGETS: [&str; 6] = [
    "ureq",
    "ureq_proto",
    "rustls",
    "h2",
    "actix_http",
    "aws_sigv4",
];

/// True unless `metadata` is debug or trace output of a `WIRE_TARGETS` crate.
fn not_wire_detail(metadata: &Metadata) -> bool {
    if *metadata.level() <= Level::INFO {
        return true;
    }
    let target = metadata.target();
    !WIRE_TARGETS.iter().any(|crate_name| {
        target
            .strip_prefix(crate_name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

/// Keeps the background log writer alive; dropping it flushes pending lines.
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber; a second call (as in tests) is a no-op.
///
/// Lines go through a background thread so a slow terminal or journal never
/// stalls a request. If it falls more than 128k lines behind, lines are
/// dropped rather than making requests wait.
pub fn init(settings: &LogSettings) -> LogGuard {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let layer = match settings.format {
        LogFormat::Text => fmt::layer()
            .with_ansi(colored(settings.color))
            .with_writer(writer)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .with_ansi(false)
            .flatten_event(true)
            .with_writer(writer)
            .boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(
            layer
                .with_filter(filter)
                .with_filter(filter_fn(not_wire_detail)),
        )
        .try_init();
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}

/// True when text lines get colour codes: asked for, or on a terminal
/// without `NO_COLOR` (<https://no-color.org>).
fn colored(color: LogColor) -> bool {
    match color {
        LogColor::Always => true,
        LogColor::Never => false,
        LogColor::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::callsite::Identifier;
    use tracing::field::FieldSet;
    use tracing::metadata::Kind;

    struct Callsite;
    impl tracing::callsite::Callsite for Callsite {
        fn set_interest(&self, _: tracing::subscriber::Interest) {}
        fn metadata(&self) -> &Metadata<'_> {
            unreachable!("not registered")
        }
    }
    static CALLSITE: Callsite = Callsite;

    fn event(target: &'static str, level: Level) -> Metadata<'static> {
        Metadata::new(
            "event",
            target,
            level,
            None,
            None,
            None,
            FieldSet::new(&[], Identifier(&CALLSITE)),
            Kind::EVENT,
        )
    }

    #[test]
    fn wire_crates_are_capped_at_info_and_everything_else_passes() {
        assert!(!not_wire_detail(&event("ureq_proto::client", Level::TRACE)));
        assert!(!not_wire_detail(&event("ureq", Level::DEBUG)));
        assert!(not_wire_detail(&event("ureq", Level::INFO)));
        assert!(not_wire_detail(&event("ureqx", Level::TRACE)));
        assert!(not_wire_detail(&event("coffee_shop::auth", Level::TRACE)));
    }
}
