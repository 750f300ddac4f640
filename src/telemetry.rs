//! Logging: `tracing` to stderr through a background writer, filtered by
//! `RUST_LOG` or `log.level`, as text or JSON. The per-request line is
//! written by `http::request_log`.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}
