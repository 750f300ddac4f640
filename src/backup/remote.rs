//! The off-machine copy: backups in an S3-compatible bucket. Three small,
//! well-kept parts and no second HTTP or TLS stack: `rusty-s3` builds the
//! URLs (path or virtual-host style) and reads the listing XML (sans-IO);
//! AWS's own `aws-sigv4` signs each request in its `Authorization` header
//! (which every S3-compatible server checks, where presigned URLs are not
//! everywhere checked the same way); the server's outbound HTTP client
//! sends it. Objects are `<prefix><backup name>` and `<prefix><backup name>.json`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, UrlStyle};

use super::archive::{self, Archive, Manifest};
use crate::config::S3Settings;

/// Only builds URLs here (nothing is presigned), but rusty-s3 asks.
const UNSIGNED: Duration = Duration::from_secs(1);
/// Larger than any café's backup: a bound on what is read into memory.
const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// Why talking to the bucket failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("backup.s3 is not usable: {0}")]
    Settings(String),
    #[error("cannot reach the bucket at {endpoint}: {source}")]
    Unreachable {
        endpoint: String,
        #[source]
        source: ureq::Error,
    },
    #[error("the bucket answered {status} to {action}: {detail}")]
    Refused {
        action: String,
        status: u16,
        detail: String,
    },
    #[error("the bucket's {what} cannot be read: {detail}")]
    Unreadable { what: String, detail: String },
    #[error("the uploaded copy of {name} does not match: {detail}")]
    Mismatch { name: String, detail: String },
    #[error(transparent)]
    Local(#[from] archive::ArchiveError),
}

/// A backup in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteBackup {
    pub name: String,
    pub bytes: u64,
    /// Its manifest is there too.
    pub has_manifest: bool,
}

/// The bucket backups are copied to.
pub struct RemoteStore {
    bucket: Bucket,
    /// The access key and secret (their `Debug` redacts the secret).
    identity: Identity,
    prefix: String,
    endpoint: String,
    agent: ureq::Agent,
}

impl RemoteStore {
    /// The store `[backup.s3]` describes, or `None` while no bucket is set.
    pub fn from_settings(s3: &S3Settings) -> Result<Option<Self>, RemoteError> {
        let Some(name) = s3.bucket() else {
            return Ok(None);
        };
        let endpoint = s3.endpoint();
        let url = endpoint
            .parse()
            .map_err(|e| RemoteError::Settings(format!("backup.s3.endpoint `{endpoint}`: {e}")))?;
        let style = if s3.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(url, style, name.to_owned(), s3.region.clone()).map_err(|e| {
            RemoteError::Settings(format!(
                "bucket `{name}` at {endpoint}: {e:?} (an IP address or a dotted name needs backup.s3.path_style = true)"
            ))
        })?;
        let secret = |value: &Option<crate::config::Secret>| {
            value
                .as_ref()
                .map(|s| s.expose().to_owned())
                .unwrap_or_default()
        };
        let credentials = Credentials::new(
            secret(&s3.access_key_id),
            secret(&s3.secret_access_key),
            None,
            None,
            "backup.s3",
        );
        Ok(Some(Self {
            bucket,
            identity: credentials.into(),
            prefix: s3.prefix.clone(),
            endpoint,
            agent: crate::outbound::agent(
                Duration::from_secs(5),
                Duration::from_secs(600),
                ureq::tls::RootCerts::WebPki,
            ),
        }))
    }

    /// `s3://bucket/prefix`, for people.
    pub fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket.name(), self.prefix)
    }

    /// Uploads the backup and its manifest, then reads the backup back and
    /// checks its size and SHA-256 against the manifest.
    pub fn upload(&self, backup: &Archive) -> Result<(), RemoteError> {
        let name = &backup.manifest.file;
        let body = std::fs::read(&backup.path).map_err(|source| archive::ArchiveError::Io {
            what: "cannot read",
            path: backup.path.clone(),
            source,
        })?;
        self.put(name, &body)?;
        let manifest = serde_json::to_vec_pretty(&backup.manifest)
            .map_err(|e| RemoteError::Settings(e.to_string()))?;
        self.put(&archive::manifest_name(name), &manifest)?;
        let copy = self.get(name)?;
        let (bytes, sha256) =
            archive::digest(&copy[..]).map_err(archive::io("cannot hash", &backup.path))?;
        if bytes != backup.manifest.bytes || sha256 != backup.manifest.sha256 {
            return Err(RemoteError::Mismatch {
                name: name.clone(),
                detail: format!(
                    "{bytes} bytes, SHA-256 {sha256}; the manifest says {} bytes, {}",
                    backup.manifest.bytes, backup.manifest.sha256
                ),
            });
        }
        Ok(())
    }

    /// The backups in the bucket, oldest first.
    pub fn list(&self) -> Result<Vec<RemoteBackup>, RemoteError> {
        let mut keys: Vec<(String, u64)> = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let mut action = ListObjectsV2::new(&self.bucket, None);
            action.with_prefix(self.prefix.as_str());
            if let Some(token) = &continuation {
                action.with_continuation_token(token.as_str());
            }
            let text = self.call("list", "GET", action.sign(UNSIGNED).as_str(), None)?;
            let page =
                ListObjectsV2::parse_response(&String::from_utf8_lossy(&text)).map_err(|e| {
                    RemoteError::Unreadable {
                        what: "listing".into(),
                        detail: e.to_string(),
                    }
                })?;
            keys.extend(
                page.contents
                    .into_iter()
                    .map(|object| (object.key, object.size.unwrap_or(0))),
            );
            match page.next_continuation_token {
                Some(token) => continuation = Some(token),
                None => break,
            }
        }
        let names: Vec<(&str, u64)> = keys
            .iter()
            .filter_map(|(key, bytes)| Some((key.strip_prefix(self.prefix.as_str())?, *bytes)))
            .collect();
        let mut backups: Vec<RemoteBackup> = names
            .iter()
            .filter(|(name, _)| archive::is_backup_name(name))
            .map(|(name, bytes)| RemoteBackup {
                name: (*name).to_owned(),
                bytes: *bytes,
                has_manifest: names
                    .iter()
                    .any(|(other, _)| *other == archive::manifest_name(name)),
            })
            .collect();
        backups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(backups)
    }

    /// Downloads a backup and its manifest into `dir`; returns the backup's path.
    pub fn download(&self, name: &str, dir: &Path) -> Result<PathBuf, RemoteError> {
        std::fs::create_dir_all(dir).map_err(archive::io("cannot create", dir))?;
        let path = dir.join(name);
        let manifest: Manifest = serde_json::from_slice(&self.get(&archive::manifest_name(name))?)
            .map_err(|e| RemoteError::Unreadable {
                what: format!("{name}.json"),
                detail: format!("not a manifest: {e}"),
            })?;
        let body = self.get(name)?;
        // Whole on disk before it carries a backup's name.
        let partial = archive::Temporary(dir.join(format!(".{name}.partial")));
        std::fs::write(&partial.0, body).map_err(archive::io("cannot write", &partial.0))?;
        archive::write_manifest(&path, &manifest)?;
        std::fs::rename(&partial.0, &path).map_err(archive::io("cannot write", &path))?;
        Ok(path)
    }

    /// Deletes the oldest backups (and manifests) beyond `keep`; returns how many went.
    pub fn prune(&self, keep: usize) -> Result<usize, RemoteError> {
        let backups = self.list()?;
        let excess = backups.len().saturating_sub(keep);
        for old in &backups[..excess] {
            for name in [old.name.clone(), archive::manifest_name(&old.name)] {
                let key = self.key(&name);
                let url = self.bucket.delete_object(None, &key).sign(UNSIGNED);
                self.call(&format!("delete {name}"), "DELETE", url.as_str(), None)?;
            }
        }
        Ok(excess)
    }

    /// The backup name in `key`: without the configured prefix, if it has it.
    pub fn name_of_key<'k>(&self, key: &'k str) -> &'k str {
        key.strip_prefix(self.prefix.as_str()).unwrap_or(key)
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn put(&self, name: &str, body: &[u8]) -> Result<(), RemoteError> {
        let url = self.bucket.put_object(None, &self.key(name)).sign(UNSIGNED);
        self.call(&format!("upload {name}"), "PUT", url.as_str(), Some(body))?;
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Vec<u8>, RemoteError> {
        let url = self.bucket.get_object(None, &self.key(name)).sign(UNSIGNED);
        self.call(&format!("get {name}"), "GET", url.as_str(), None)
    }

    /// One signed request; any status but 2xx is an error naming S3's code.
    fn call(
        &self,
        action: &str,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, RemoteError> {
        let headers = self.signed_headers(method, url, body.unwrap_or_default())?;
        let unreachable = |source| RemoteError::Unreachable {
            endpoint: self.endpoint.clone(),
            source,
        };
        let response = match method {
            "PUT" => with_headers(self.agent.put(url), &headers).send(body.unwrap_or_default()),
            "DELETE" => with_headers(self.agent.delete(url), &headers).call(),
            _ => with_headers(self.agent.get(url), &headers).call(),
        };
        let mut response = response.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text =
            crate::outbound::read_body(&mut response, MAX_OBJECT_BYTES).map_err(unreachable)?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        Err(RemoteError::Refused {
            action: action.to_owned(),
            status,
            detail: s3_error(&String::from_utf8_lossy(&text)),
        })
    }

    /// The SigV4 headers (`Authorization`, `x-amz-date`,
    /// `x-amz-content-sha256`) for this request, signed over its payload.
    fn signed_headers(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, RemoteError> {
        let failed = |e: &dyn std::fmt::Display| {
            RemoteError::Settings(format!("cannot sign the request: {e}"))
        };
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(self.bucket.region())
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| failed(&e))?
            .into();
        let request =
            SignableRequest::new(method, url, std::iter::empty(), SignableBody::Bytes(body))
                .map_err(|e| failed(&e))?;
        let (instructions, _) = sign(request, &params).map_err(|e| failed(&e))?.into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }
}

fn with_headers<B>(
    mut request: ureq::RequestBuilder<B>,
    headers: &[(String, String)],
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request
}

/// "Code: Message" from an S3 error document, or a note that there was none.
fn s3_error(xml: &str) -> String {
    let field = |tag: &str| {
        let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = xml[start..].find(&format!("</{tag}>"))? + start;
        Some(xml[start..end].to_owned())
    };
    match (field("Code"), field("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => "no error document".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_errors_are_read_from_their_document() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>InvalidAccessKeyId</Code><Message>The key does not exist.</Message></Error>";
        assert_eq!(s3_error(xml), "InvalidAccessKeyId: The key does not exist.");
        assert_eq!(s3_error(""), "no error document");
    }
}
