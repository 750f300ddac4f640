//! What Windows needs that Unix gets from signals.
//!
//! actix stops gracefully on SIGTERM, but on Windows it only hears Ctrl-C,
//! and then stops at once. A console window being closed, Ctrl-Break, a
//! log-off or a shutdown must also let in-flight requests finish and the
//! database close, so every server is given this as its stop signal.

use tokio::signal::windows;

/// Resolves at the first Ctrl-C, Ctrl-Break, console close, log-off or
/// shutdown. Windows allows about five seconds after a close, so the graceful
/// stop may be cut short there; the database is still consistent (WAL).
pub async fn stop_requested() {
    let (Ok(mut ctrl_c), Ok(mut ctrl_break), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) = (
        windows::ctrl_c(),
        windows::ctrl_break(),
        windows::ctrl_close(),
        windows::ctrl_logoff(),
        windows::ctrl_shutdown(),
    ) else {
        tracing::warn!("console events cannot be watched: only a kill stops this server");
        return std::future::pending().await;
    };
    let event = tokio::select! {
        _ = ctrl_c.recv() => "Ctrl-C",
        _ = ctrl_break.recv() => "Ctrl-Break",
        _ = close.recv() => "the console closing",
        _ = logoff.recv() => "a log-off",
        _ = shutdown.recv() => "a shutdown",
    };
    tracing::info!("{event}: finishing the requests in flight, then stopping");
}
