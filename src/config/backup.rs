//! `[backup]`: scheduled backups beside the database, and an optional copy
//! of each in an S3-compatible bucket (`[backup.s3]`).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::types::{Secret, read_or_off, write_or_off};
use super::validate::{check_range, invalid};
use super::{Settings, SettingsError};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    /// How often a backup is made; `None` ("off") for never.
    #[serde(
        deserialize_with = "duration_or_off",
        serialize_with = "write_duration_or_off"
    )]
    pub interval: Option<Duration>,
    /// How many backups are kept, here and in the bucket.
    pub keep: u32,
    /// Where backups are written; `backups/` beside the database when unset.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    pub s3: S3Settings,
}

/// `[backup.s3]`: on while `bucket` is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// `https://s3.<region>.amazonaws.com` when unset.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub bucket: Option<String>,
    /// Put before every object's name, e.g. `"coffee-shop/"`.
    pub prefix: String,
    pub region: String,
    /// `https://host/bucket/key` instead of `https://bucket.host/key`: for
    /// MinIO, Backblaze B2, Cloudflare R2, Wasabi and IP addresses.
    pub path_style: bool,
    /// Also read from `AWS_ACCESS_KEY_ID`.
    #[serde(default)]
    pub access_key_id: Option<Secret>,
    /// Also read from `AWS_SECRET_ACCESS_KEY`.
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
}

impl S3Settings {
    /// The bucket, when the off-machine copy is on.
    pub fn bucket(&self) -> Option<&str> {
        self.bucket
            .as_deref()
            .filter(|bucket| !bucket.trim().is_empty())
    }

    /// The endpoint, AWS's for the region unless one is set.
    pub fn endpoint(&self) -> String {
        match self.endpoint.as_deref().filter(|e| !e.trim().is_empty()) {
            Some(endpoint) => endpoint.trim().to_owned(),
            None => format!("https://s3.{}.amazonaws.com", self.region),
        }
    }
}

impl Settings {
    /// How often backups are made by themselves: `backup.interval`, and
    /// never on PostgreSQL, which has backups of its own (`pg_dump`, the
    /// provider's); the banner says so.
    pub fn scheduled_backups(&self) -> Option<Duration> {
        self.backup.interval.filter(|_| self.database.url.is_none())
    }

    /// Where backups are written.
    pub fn backup_dir(&self) -> PathBuf {
        match &self.backup.dir {
            Some(dir) => dir.clone(),
            None => self
                .database
                .path
                .parent()
                .unwrap_or(std::path::Path::new(""))
                .join("backups"),
        }
    }

    pub(super) fn validate_backup(&self) -> Result<(), SettingsError> {
        let backup = &self.backup;
        check_range("backup.keep", backup.keep.into(), 1, 10_000)?;
        if backup
            .interval
            .is_some_and(|interval| interval < Duration::from_secs(1))
        {
            return Err(invalid(
                "backup.interval",
                "is shorter than a second".into(),
                "use a duration such as \"6h\" or \"30min\", or \"off\"",
            ));
        }
        let s3 = &backup.s3;
        if s3.bucket().is_none() {
            return Ok(());
        }
        let endpoint = s3.endpoint();
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(invalid(
                "backup.s3.endpoint",
                format!("`{endpoint}` is not an http(s) URL"),
                "write it as https://host[:port], e.g. https://s3.eu-central-1.wasabisys.com",
            ));
        }
        let missing = |secret: &Option<Secret>| secret.as_ref().is_none_or(Secret::is_empty);
        if missing(&s3.access_key_id) || missing(&s3.secret_access_key) {
            return Err(invalid(
                "backup.s3.access_key_id",
                "or backup.s3.secret_access_key is not set, and backup.s3.bucket is".into(),
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or COFFEE_SHOP__BACKUP__S3__ACCESS_KEY_ID \
                 and ..._SECRET_ACCESS_KEY), or unset backup.s3.bucket",
            ));
        }
        Ok(())
    }
}

/// A duration such as "6h" or "90s", or "off".
fn duration_or_off<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    read_or_off(deserializer, |text| {
        humantime::parse_duration(text).map_err(|error| {
            format!("`{text}` is not a duration ({error}); write e.g. \"6h\" or \"off\"")
        })
    })
}

fn write_duration_or_off<S: Serializer>(
    interval: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    write_or_off(interval.map(humantime::format_duration), serializer)
}

#[cfg(test)]
mod tests {
    use crate::config::tests::load;

    #[test]
    fn backups_run_every_six_hours_beside_the_database_by_default() {
        let settings = load(&[]).expect("defaults");
        assert_eq!(
            settings.backup.interval,
            Some(std::time::Duration::from_secs(6 * 3600))
        );
        assert_eq!(settings.backup.keep, 28);
        assert_eq!(settings.backup_dir(), std::path::Path::new("backups"));
        assert!(settings.backup.s3.bucket().is_none());
    }

    #[test]
    fn a_bucket_needs_credentials_and_a_duration_must_read_as_one() {
        let error = load(&[("COFFEE_SHOP__BACKUP__S3__BUCKET", "cafe")]).expect_err("no keys");
        assert!(error.to_string().contains("AWS_ACCESS_KEY_ID"), "{error}");
        let error =
            load(&[("COFFEE_SHOP__BACKUP__INTERVAL", "often")]).expect_err("not a duration");
        assert!(
            error.to_string().contains("backup.interval") || error.to_string().contains("often"),
            "{error}"
        );
        let off = load(&[("COFFEE_SHOP__BACKUP__INTERVAL", "off")]).expect("off");
        assert_eq!(off.backup.interval, None);
    }
}
