//! Prometheus metrics (README: "Observability").
//!
//! Each concern records its own figures where they happen, through the
//! `metrics` facade (`counter!`, `histogram!`, `gauge!` with the names in
//! `names`). With `metrics.enabled` off no recorder is installed and every
//! such call is a no-op. The facade's recorder is process-wide by design, so
//! the exporter is installed once per process and shared by every
//! application the process builds. Figures that are cheaper to read than to
//! track (memory, open files, the database's size, sessions, the
//! certificate) are read when a scrape asks, by `Scrape`.

pub mod names;
mod process;

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::gauge;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::elapsed::seconds_between;
use crate::system;

/// Latency buckets, in seconds: from half a millisecond (a cached menu) to
/// five seconds (something is wrong).
const SECONDS_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Changes committed together by the writer (at most 64).
const BATCH_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
/// How often histogram samples are folded into buckets between scrapes, so
/// memory stays bounded when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static EXPORTER: OnceLock<PrometheusHandle> = OnceLock::new();
/// Held while installing, so two applications starting at once in one
/// process (the tests) install one exporter and both get it.
static INSTALLING: Mutex<()> = Mutex::new(());

#[derive(Debug, thiserror::Error)]
#[error("cannot set up the metrics: {0}")]
pub struct MetricsError(String);

/// The process's exporter, installed on first use; records `build_info`
/// and keeps the histograms folded.
pub fn exporter() -> Result<PrometheusHandle, MetricsError> {
    let _installing = INSTALLING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = EXPORTER.get() {
        return Ok(handle.clone());
    }
    let error = |e: metrics_exporter_prometheus::BuildError| MetricsError(e.to_string());
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
        .map_err(error)?
        .set_buckets_for_metric(
            Matcher::Full(names::DB_WRITE_BATCH_SIZE.into()),
            &BATCH_BUCKETS,
        )
        .map_err(error)?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| MetricsError("another metrics recorder is installed".into()))?;
    let _ = EXPORTER.set(handle.clone());
    gauge!(
        names::BUILD_INFO,
        "version" => system::VERSION,
        "commit" => system::COMMIT,
        "target" => system::TARGET,
    )
    .set(1.0);
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        })
        .map_err(|e| MetricsError(format!("cannot start the upkeep thread: {e}")))?;
    Ok(handle)
}

/// What a scrape reads at the moment it asks.
#[derive(Debug, Default)]
pub struct Scrape {
    pub database_bytes: u64,
    pub sessions_active: u64,
    pub signing_keys: Option<usize>,
    /// When the key set was last fetched (start-up if never), with a
    /// provider configured.
    pub keys_fetched_at: Option<SystemTime>,
    /// When the served certificate expires, with TLS on.
    pub certificate_expires: Option<SystemTime>,
}

impl Scrape {
    /// Sets the scrape-time gauges, then renders every metric.
    pub fn render(&self, exporter: &PrometheusHandle, started: SystemTime) -> String {
        let now = SystemTime::now();
        gauge!(names::UPTIME_SECONDS).set(seconds_between(started, now));
        if let Some(bytes) = process::resident_memory_bytes() {
            gauge!(names::RESIDENT_MEMORY_BYTES).set(bytes as f64);
        }
        if let Some(count) = process::open_fds() {
            gauge!(names::OPEN_FDS).set(count as f64);
        }
        gauge!(names::DB_SIZE_BYTES).set(self.database_bytes as f64);
        gauge!(names::SESSIONS_ACTIVE).set(self.sessions_active as f64);
        if let Some(keys) = self.signing_keys {
            gauge!(names::SIGNING_KEYS_LOADED).set(keys as f64);
        }
        if let Some(fetched) = self.keys_fetched_at {
            gauge!(names::JWKS_LAST_SUCCESS_AGE_SECONDS).set(seconds_between(fetched, now));
        }
        if let Some(expires) = self.certificate_expires {
            gauge!(names::TLS_CERTIFICATE_EXPIRY_TIMESTAMP)
                .set(seconds_between(UNIX_EPOCH, expires));
        }
        exporter.render()
    }
}
