//! `[metrics]`: the Prometheus endpoint. Off unless asked for; when on, it
//! is served on its own listener (loopback by default) and, only with a
//! token, on the main port as well, so it is never public by accident.

use serde::{Deserialize, Serialize};

use super::types::{BindAddress, Secret, bind_or_off, optional_bind};
use super::validate::invalid;
use super::{Settings, SettingsError};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    /// The scrape listener; `"off"` for none.
    #[serde(deserialize_with = "optional_bind", serialize_with = "bind_or_off")]
    pub bind: Option<BindAddress>,
    /// A bearer token that lets scrapes in at `/metrics` on the main port.
    #[serde(default)]
    pub token: Option<Secret>,
}

impl MetricsSettings {
    /// The token for the main port, when one is set.
    pub fn main_port_token(&self) -> Option<&Secret> {
        self.token.as_ref().filter(|token| !token.is_empty())
    }
}

/// Below this a token could be guessed.
const MIN_TOKEN_CHARS: usize = 16;

impl Settings {
    pub(super) fn validate_metrics(&self) -> Result<(), SettingsError> {
        let metrics = &self.metrics;
        if let Some(token) = metrics.main_port_token()
            && token.expose().chars().count() < MIN_TOKEN_CHARS
        {
            return Err(invalid(
                "metrics.token",
                format!("is shorter than {MIN_TOKEN_CHARS} characters"),
                "use a long random value, e.g. from `openssl rand -hex 32`",
            ));
        }
        if metrics.enabled && metrics.bind.is_none() && metrics.main_port_token().is_none() {
            return Err(invalid(
                "metrics.bind",
                "is off and metrics.token is not set, so nothing could scrape the metrics".into(),
                "set metrics.bind (e.g. 127.0.0.1:9464), or metrics.token to serve /metrics on \
                 the main port to holders of the token",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{assert_refused_naming, load};

    #[test]
    fn metrics_are_off_and_loopback_by_default() {
        let settings = load(&[]).expect("defaults load");
        assert!(!settings.metrics.enabled);
        let bind = settings.metrics.bind.expect("a listener address");
        assert!(bind.is_loopback(), "{bind}");
        assert!(settings.metrics.main_port_token().is_none());
    }

    #[test]
    fn a_short_token_or_no_way_to_scrape_is_refused_by_name() {
        for (env, key) in [
            (
                vec![("COFFEE_SHOP__METRICS__TOKEN", "short")],
                "metrics.token",
            ),
            (
                vec![
                    ("COFFEE_SHOP__METRICS__ENABLED", "true"),
                    ("COFFEE_SHOP__METRICS__BIND", "off"),
                ],
                "metrics.bind",
            ),
        ] {
            assert_refused_naming(&env, key);
        }
    }
}
