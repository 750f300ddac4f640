//! `check-config`: the effective configuration, validated, and a real fetch
//! of the signing keys.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::CommandResult;
use crate::auth::jwks::KeyStore;
use crate::config::{Settings, TlsMode};
use crate::tls::TlsState;
use crate::tls::acme::AcmeFiles;
use crate::tls::certificate::load_files;

/// Prints where the settings came from and their effective values (no
/// setting holds a secret today; any that does is written as a redacted
/// type), then fetches the key set. Fails when the keys cannot be fetched.
pub fn check_config(settings: &Settings, config_file: Option<&Path>) -> CommandResult {
    match Settings::file_in_use(config_file) {
        Some(file) => println!("# config file: {}", file.display()),
        None => println!("# config file: none (embedded defaults and environment only)"),
    }
    println!("# effective configuration, after COFFEE_SHOP__* and AUTH0_DOMAIN/API_AUDIENCE:");
    println!("{}", toml::to_string_pretty(settings)?);
    println!("configuration: valid");
    println!("tls: {}", tls_report(settings)?);
    let Some(provider) = settings.auth.identity_provider()? else {
        println!(
            "sign-in: not configured; the menu is public and changes answer 503. \
             Set AUTH0_DOMAIN and API_AUDIENCE, or try `coffee-shop serve --dev`."
        );
        return Ok(());
    };
    println!(
        "sign-in: issuer {}, audience {:?}",
        provider.issuer, provider.audience
    );
    let keys = Arc::new(KeyStore::new(
        provider.jwks_url.clone(),
        Duration::from_secs(settings.auth.refresh_cooldown_secs),
        Duration::from_secs(settings.auth.refresh_interval_secs),
    ));
    actix_web::rt::System::new()
        .block_on(keys.refresh())
        .map_err(|e| format!("signing keys: cannot use {}: {e}", provider.jwks_url))?;
    println!(
        "signing keys: {} usable RS256 key(s) at {}",
        keys.loaded_keys().unwrap_or(0),
        provider.jwks_url
    );
    Ok(())
}

/// What HTTPS will serve: the files' certificate (a bad file fails the
/// check), the stored ACME certificate and its renewal, or "off".
fn tls_report(settings: &Settings) -> Result<String, Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now();
    Ok(match settings.tls_mode() {
        TlsMode::Off => "off (plain HTTP on server.bind)".to_owned(),
        TlsMode::Files { cert, key } => {
            let loaded = load_files(&cert, &key)?;
            format!("certificate files: {}", loaded.info.summary(now))
        }
        TlsMode::Acme(acme) => match AcmeFiles::new(&acme).stored_certificate() {
            Some(stored) => {
                let state = TlsState::Serving {
                    next_renewal: Some(stored.info.renewal_due()),
                    certificate: stored.info,
                    renewal_problem: None,
                };
                format!("ACME ({}): {}", acme.directory, state.summary(now))
            }
            None => format!(
                "ACME ({}): no certificate stored yet; one is ordered for {} at start-up",
                acme.directory,
                acme.domains.join(", ")
            ),
        },
    })
}
