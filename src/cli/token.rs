//! `token inspect` (decode without trusting) and `token verify` (check
//! against the configured issuer's keys, and say exactly why it fails).

use std::io::Read as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::CommandResult;
use crate::auth::dev::{DEV_ISSUER, DevSigner};
use crate::auth::{KeysStatus, TokenVerifier};
use crate::config::Settings;

/// A token's two readable parts, not verified.
struct Decoded {
    header: Value,
    claims: Value,
}

/// The token from the argument, or from stdin when it is `-` or missing
/// (which keeps it out of the shell history and the process list).
pub fn read_token(argument: Option<String>) -> Result<String, String> {
    let token = match argument.filter(|t| t != "-") {
        Some(token) => token,
        None => {
            let mut token = String::new();
            std::io::stdin()
                .take(1024 * 1024)
                .read_to_string(&mut token)
                .map_err(|e| format!("cannot read the token from stdin: {e}"))?;
            token
        }
    };
    let token = token.trim();
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    if token.is_empty() {
        return Err("no token given (pass it as an argument, or on stdin)".into());
    }
    Ok(token.to_owned())
}

fn decode(token: &str) -> Result<Decoded, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, _signature] = parts[..] else {
        return Err(format!(
            "not a JWT: expected 3 dot-separated parts, found {}",
            parts.len()
        ));
    };
    let part = |name: &str, text: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| format!("the {name} is not base64url: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the {name} is not JSON: {e}"))
    };
    Ok(Decoded {
        header: part("header", header)?,
        claims: part("claims", claims)?,
    })
}

/// Prints header, claims and the times in them, relative to now.
pub fn inspect(token: &str) -> CommandResult {
    let decoded = decode(token)?;
    println!("NOT VERIFIED: this only decodes the token; `coffee-shop token verify` checks it.");
    println!("header: {}", pretty(&decoded.header));
    println!("claims: {}", pretty(&decoded.claims));
    for (claim, label) in [("iat", "issued"), ("nbf", "not before"), ("exp", "expires")] {
        if let Some(seconds) = decoded.claims[claim].as_u64() {
            field(label, when(seconds));
        }
    }
    Ok(())
}

/// Verifies with the configured provider's keys (and the development key
/// with `--dev`); prints the subject and permissions, or why it fails.
pub fn verify(settings: &Settings, token: &str, development: bool) -> CommandResult {
    let decoded = decode(token)?;
    let mut verifier = TokenVerifier::from_settings(&settings.auth)?;
    if development {
        let signer = DevSigner::load_or_create(&DevSigner::key_path(&settings.database))?;
        verifier = verifier.with_development(&signer, &settings.auth);
    }
    if !verifier.is_configured() {
        return Err(
            "sign-in is not configured: set auth.issuer (or auth.domain / AUTH0_DOMAIN), \
                    or pass --dev for development tokens"
                .into(),
        );
    }
    let outcome = actix_web::rt::System::new().block_on(async {
        if let Some(keys) = verifier.key_store() {
            keys.refresh()
                .await
                .map_err(|e| format!("cannot fetch the signing keys from {}: {e}", keys.url()))?;
        }
        if let KeysStatus::Loaded { keys } = verifier.keys_status() {
            println!("trusted keys: {keys}");
        }
        Ok::<_, String>(verifier.verify(token).await)
    })?;
    match outcome {
        Ok(principal) => {
            println!("VALID");
            field("subject", principal.subject);
            match principal.permissions {
                Some(granted) => field("permissions", granted.names().join(", ")),
                None => field("permissions", "none (the token has no `permissions` claim)"),
            }
            if let Some(exp) = decoded.claims["exp"].as_u64() {
                field("expires", when(exp));
            }
            Ok(())
        }
        Err(error) => {
            let mut why = vec![error.to_string()];
            why.extend(explain(settings, development, &decoded));
            Err(format!("INVALID: {}", why.join("\n  ")).into())
        }
    }
}

/// The claims that differ from what this server expects, spelled out.
fn explain(settings: &Settings, development: bool, decoded: &Decoded) -> Vec<String> {
    let mut hints = Vec::new();
    let claims = &decoded.claims;
    let provider = settings.auth.identity_provider().ok().flatten();
    let mut issuers: Vec<&str> = provider.iter().map(|p| p.issuer.as_str()).collect();
    if development {
        issuers.push(DEV_ISSUER);
    }
    match claims["iss"].as_str() {
        Some(iss) if !issuers.contains(&iss) => hints.push(format!(
            "iss is {iss:?}; this server trusts {}",
            issuers.join(" or ")
        )),
        None => hints.push("the token has no iss claim".into()),
        Some(_) => {}
    }
    let audience = &settings.auth.audience;
    let has_audience = match &claims["aud"] {
        Value::String(aud) => aud == audience,
        Value::Array(auds) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
        _ => false,
    };
    if !has_audience {
        hints.push(format!(
            "aud is {}; this server expects {audience:?} (auth.audience / API_AUDIENCE)",
            claims["aud"]
        ));
    }
    if let Some(exp) = claims["exp"].as_u64()
        && exp <= now()
    {
        hints.push(format!("it expired {}", when(exp)));
    }
    if let Some(alg) = decoded.header["alg"].as_str().filter(|alg| *alg != "RS256") {
        hints.push(format!("alg is {alg}; only RS256 is accepted"));
    }
    hints
}

fn field(label: &str, value: impl std::fmt::Display) {
    println!("{label:>11}: {value}");
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-11-28T10:00:00Z (in 55m)` or `(3h 2m ago)`.
fn when(seconds: u64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(seconds);
    let now = now();
    let relative = if seconds >= now {
        format!(
            "in {}",
            humantime::format_duration(Duration::from_secs(seconds - now))
        )
    } else {
        format!(
            "{} ago",
            humantime::format_duration(Duration::from_secs(now - seconds))
        )
    };
    format!("{} ({relative})", humantime::format_rfc3339_seconds(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_names_what_is_wrong() {
        assert!(decode("abc").is_err_and(|e| e.contains("3 dot-separated parts")));
        assert!(decode("!!.e30.x").is_err_and(|e| e.contains("header is not base64url")));
        assert!(decode("e30.bm90IGpzb24.x").is_err_and(|e| e.contains("claims is not JSON")));
        let decoded = decode("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig").expect("decodes");
        assert_eq!(decoded.header["alg"], "RS256");
        assert_eq!(decoded.claims["sub"], "x");
    }
}
