//! The System page's verdict: green when all is well, amber when something
//! needs attention soon, red when something is not working now, each with
//! the reason in words a café manager can act on.

use std::time::{Duration, SystemTime};

use crate::auth::jwks::FetchHistory;
use crate::elapsed::{age, in_words};
use crate::http::server_errors::ServerError;
use crate::tls::TlsState;

/// Keys older than this (or two refresh intervals, if longer) are stale:
/// the example alert rule's threshold.
const KEYS_STALE_AFTER: Duration = Duration::from_secs(3600);
/// A certificate closer to expiry than this needs a look.
const CERTIFICATE_WARNING: Duration = Duration::from_secs(14 * 86_400);
/// Server errors this recent count against the verdict.
const RECENT_ERRORS: Duration = Duration::from_secs(3600);

/// How things stand, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Green,
    Amber,
    Red,
}

impl Level {
    /// The CSS class and the word beside the colour (never colour alone).
    pub fn name(self) -> &'static str {
        match self {
            Level::Green => "green",
            Level::Amber => "amber",
            Level::Red => "red",
        }
    }

    /// The word a finding of this level starts with.
    pub fn label(self) -> &'static str {
        match self {
            Level::Green => "OK",
            Level::Amber => "Attention",
            Level::Red => "Problem",
        }
    }

    pub fn headline(self) -> &'static str {
        match self {
            Level::Green => "All is well",
            Level::Amber => "Needs attention",
            Level::Red => "Something is not working",
        }
    }
}

/// One reason for amber or red.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub words: String,
}

/// The signing keys, as far as the verdict cares.
pub enum KeysObserved<'a> {
    /// No provider is configured (development sign-in only, or nothing).
    NoProvider,
    Provider {
        loaded: bool,
        history: &'a FetchHistory,
        refresh_interval: Duration,
    },
}

/// What the verdict is drawn from.
pub struct Observations<'a> {
    pub now: SystemTime,
    pub database_ready: bool,
    pub keys: KeysObserved<'a>,
    pub development: bool,
    /// With TLS on.
    pub tls: Option<&'a TlsState>,
    pub server_errors: &'a [ServerError],
    pub backups: BackupsObserved<'a>,
}

/// Scheduled backups, as far as the verdict cares.
#[derive(Default)]
pub struct BackupsObserved<'a> {
    /// No success for two intervals.
    pub overdue: bool,
    /// Why the last backup or its upload failed, since the last success.
    pub failure: Option<&'a str>,
}

/// The verdict: the worst level found, and every reason, worst first.
pub struct Assessment {
    pub level: Level,
    pub findings: Vec<Finding>,
}

pub fn assess(observed: &Observations) -> Assessment {
    let mut findings = Vec::new();
    let mut found = |level, words: String| findings.push(Finding { level, words });
    if !observed.database_ready {
        found(
            Level::Red,
            "The database does not answer: the menu cannot be read or changed.".into(),
        );
    }
    match &observed.keys {
        KeysObserved::NoProvider if !observed.development => found(
            Level::Red,
            "No sign-in provider is configured: every token is refused. Set auth.issuer or auth.domain.".into(),
        ),
        KeysObserved::NoProvider => {}
        KeysObserved::Provider {
            loaded,
            history,
            refresh_interval,
        } => keys_findings(observed.now, *loaded, history, *refresh_interval, &mut found),
    }
    if observed.development {
        found(
            Level::Amber,
            "Development sign-in is on: never run this on a café machine.".into(),
        );
    }
    if let Some(tls) = observed.tls {
        certificate_findings(observed.now, tls, &mut found);
    }
    backup_findings(observed, &mut found);
    server_error_findings(observed, &mut found);
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.level));
    Assessment {
        level: findings.first().map_or(Level::Green, |worst| worst.level),
        findings,
    }
}

fn backup_findings(observed: &Observations, found: &mut impl FnMut(Level, String)) {
    if observed.backups.overdue {
        found(
            Level::Amber,
            "No backup has been made for two backup intervals: a lost machine would lose more than one interval of changes.".into(),
        );
    }
    if let Some(why) = observed.backups.failure {
        found(Level::Amber, format!("The last backup failed: {why}"));
    }
}

/// Any 5xx in the last hour is worth a look.
fn server_error_findings(observed: &Observations, found: &mut impl FnMut(Level, String)) {
    let recent_errors = observed
        .server_errors
        .iter()
        .filter(|error| age(observed.now, error.at) < RECENT_ERRORS)
        .count();
    if recent_errors > 0 {
        let errors = if recent_errors == 1 {
            "error"
        } else {
            "errors"
        };
        found(
            Level::Amber,
            format!(
                "{recent_errors} server {errors} in the last hour: see Server errors below, and the log by request id."
            ),
        );
    }
}

fn keys_findings(
    now: SystemTime,
    loaded: bool,
    history: &FetchHistory,
    refresh_interval: Duration,
    found: &mut impl FnMut(Level, String),
) {
    let last_failure = history
        .last_attempt
        .as_ref()
        .and_then(|attempt| attempt.failure.as_deref());
    if !loaded {
        let why = last_failure.map_or(String::new(), |why| format!(" ({why})"));
        found(
            Level::Red,
            format!(
                "The signing keys could not be loaded{why}: every sign-in and every token is refused."
            ),
        );
        return;
    }
    if let Some(why) = last_failure {
        found(
            Level::Amber,
            format!(
                "The last fetch of the signing keys failed ({why}); the last good keys are still trusted."
            ),
        );
    }
    let stale_after = KEYS_STALE_AFTER.max(refresh_interval * 2);
    if let Some(success) = history.last_success
        && age(now, success) > stale_after
    {
        found(
            Level::Amber,
            format!(
                "The signing keys were last refreshed {} ago: keys the provider rotates in are not seen.",
                in_words(age(now, success))
            ),
        );
    }
}

fn certificate_findings(now: SystemTime, tls: &TlsState, found: &mut impl FnMut(Level, String)) {
    match tls {
        TlsState::Pending { reason } => found(
            Level::Red,
            format!("HTTPS has no certificate yet: {reason}"),
        ),
        TlsState::Serving {
            certificate,
            renewal_problem,
            ..
        } => {
            let left = certificate
                .not_after
                .duration_since(now)
                .unwrap_or_default();
            if left.is_zero() {
                found(
                    Level::Red,
                    "The HTTPS certificate has expired: phones refuse to connect.".into(),
                );
            } else if left < CERTIFICATE_WARNING {
                found(
                    Level::Amber,
                    format!("The HTTPS certificate expires in {}.", in_words(left)),
                );
            }
            if let Some(why) = renewal_problem {
                found(
                    Level::Amber,
                    format!("Renewing the HTTPS certificate failed: {why}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwks::FetchAttempt;
    use crate::tls::certificate::CertificateInfo;

    const HOUR: Duration = Duration::from_secs(3600);

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn fetched(ago: Duration, failure: Option<&str>) -> FetchHistory {
        let at = now() - ago;
        FetchHistory {
            last_attempt: Some(FetchAttempt {
                at,
                failure: failure.map(str::to_owned),
            }),
            last_success: failure.is_none().then_some(at),
            ..FetchHistory::default()
        }
    }

    fn observe(history: &FetchHistory, loaded: bool, tls: Option<&TlsState>) -> Assessment {
        assess(&Observations {
            now: now(),
            database_ready: true,
            keys: KeysObserved::Provider {
                loaded,
                history,
                refresh_interval: Duration::from_secs(600),
            },
            development: false,
            tls,
            server_errors: &[],
            backups: BackupsObserved::default(),
        })
    }

    fn serving(expires_in: Duration) -> TlsState {
        TlsState::Serving {
            certificate: CertificateInfo {
                subject: "cafe.example".into(),
                names: vec!["cafe.example".into()],
                not_before: now() - HOUR,
                not_after: now() + expires_in,
            },
            next_renewal: None,
            renewal_problem: None,
        }
    }

    #[test]
    fn fresh_keys_and_a_distant_expiry_are_green() {
        let tls = serving(60 * 24 * HOUR);
        let verdict = observe(&fetched(Duration::from_secs(300), None), true, Some(&tls));
        assert_eq!(verdict.level, Level::Green);
        assert!(verdict.findings.is_empty());
    }

    #[test]
    fn stale_or_failing_keys_are_amber_and_missing_keys_red() {
        let stale = observe(&fetched(2 * HOUR, None), true, None);
        assert_eq!(stale.level, Level::Amber);
        assert!(stale.findings[0].words.contains("last refreshed 2 h ago"));

        let mut failing = fetched(HOUR / 2, None);
        failing.last_attempt = Some(FetchAttempt {
            at: now(),
            failure: Some("the key set answered HTTP 503".into()),
        });
        let verdict = observe(&failing, true, None);
        assert_eq!(verdict.level, Level::Amber);
        assert!(verdict.findings[0].words.contains("HTTP 503"));

        let never = observe(&fetched(HOUR, Some("connection refused")), false, None);
        assert_eq!(never.level, Level::Red);
        assert!(never.findings[0].words.contains("connection refused"));
    }

    #[test]
    fn a_long_refresh_interval_moves_the_staleness_threshold() {
        let history = fetched(3 * HOUR, None);
        let observe_with = |refresh_interval| {
            assess(&Observations {
                now: now(),
                database_ready: true,
                keys: KeysObserved::Provider {
                    loaded: true,
                    history: &history,
                    refresh_interval,
                },
                development: false,
                tls: None,
                server_errors: &[],
                backups: BackupsObserved::default(),
            })
            .level
        };
        assert_eq!(observe_with(HOUR), Level::Amber, "past two intervals");
        assert_eq!(observe_with(2 * HOUR), Level::Green, "within two intervals");
    }

    #[test]
    fn certificates_near_expiry_are_amber_and_expired_ones_red() {
        let keys = fetched(Duration::from_secs(60), None);
        let soon = serving(10 * 24 * HOUR);
        let verdict = observe(&keys, true, Some(&soon));
        assert_eq!(verdict.level, Level::Amber);
        assert_eq!(
            verdict.findings[0].words,
            "The HTTPS certificate expires in 10 days."
        );
        let mut expired = serving(Duration::ZERO);
        if let TlsState::Serving { certificate, .. } = &mut expired {
            certificate.not_after = now() - HOUR;
        }
        assert_eq!(observe(&keys, true, Some(&expired)).level, Level::Red);
    }

    #[test]
    fn recent_server_errors_and_a_silent_database_count_worst_first() {
        let keys = fetched(Duration::from_secs(60), None);
        let error = |ago: Duration| ServerError {
            at: now() - ago,
            request_id: "r".into(),
            method: "GET".into(),
            path: "/drinks".into(),
            status: 500,
        };
        let errors = [error(Duration::from_secs(60)), error(3 * HOUR)];
        let verdict = assess(&Observations {
            now: now(),
            database_ready: false,
            keys: KeysObserved::Provider {
                loaded: true,
                history: &keys,
                refresh_interval: Duration::from_secs(600),
            },
            development: true,
            tls: None,
            server_errors: &errors,
            backups: BackupsObserved {
                overdue: true,
                failure: None,
            },
        });
        assert_eq!(verdict.level, Level::Red);
        let levels: Vec<Level> = verdict.findings.iter().map(|f| f.level).collect();
        assert_eq!(
            levels,
            [Level::Red, Level::Amber, Level::Amber, Level::Amber]
        );
        assert!(
            verdict.findings[0]
                .words
                .starts_with("The database does not answer")
        );
        assert!(
            verdict
                .findings
                .iter()
                .any(|f| f.words.starts_with("1 server error in the last hour"))
        );
        assert!(
            verdict
                .findings
                .iter()
                .any(|f| f.words.starts_with("No backup has been made for two"))
        );
    }
}
