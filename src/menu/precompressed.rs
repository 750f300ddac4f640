//! A JSON body serialised once and kept in both encodings, each with its
//! own strong `ETag`, so a read costs no serialising and no compressing.

use std::hash::{DefaultHasher, Hasher};
use std::io::Write as _;

use actix_web::web::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;

/// Bodies smaller than this are not worth compressing.
const GZIP_THRESHOLD: usize = 1024;

/// One response body, identity and (when large enough) gzip.
#[derive(Debug, Clone)]
pub struct PrecompressedJson {
    /// The JSON body as sent without compression.
    pub body: Bytes,
    /// The same body gzipped, when it is large enough to be worth it.
    pub gzip: Option<Bytes>,
    /// A strong ETag for `body`, quotes included.
    pub etag: String,
    /// A strong ETag for `gzip` (another representation needs another tag).
    pub gzip_etag: String,
}

impl PrecompressedJson {
    /// Serialises `value` and compresses it when worthwhile.
    pub fn new(value: &impl Serialize) -> Result<Self, std::io::Error> {
        let body = serde_json::to_vec(value)?;
        let mut hasher = DefaultHasher::new();
        hasher.write(&body);
        let tag = format!("{:016x}-{:x}", hasher.finish(), body.len());
        let gzip = (body.len() >= GZIP_THRESHOLD)
            .then(|| gzip(&body))
            .transpose()?;
        Ok(Self {
            etag: format!("\"{tag}\""),
            gzip_etag: format!("\"{tag}-gzip\""),
            body: Bytes::from(body),
            gzip: gzip.map(Bytes::from),
        })
    }

    /// Both tags: either names the current content for `If-None-Match`.
    pub fn etags(&self) -> [&str; 2] {
        [&self.etag, &self.gzip_etag]
    }
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::default());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn etags_follow_the_content() {
        let a = PrecompressedJson::new(&json!([{"id": 1}])).expect("renders");
        let b = PrecompressedJson::new(&json!([{"id": 1}])).expect("renders");
        let c = PrecompressedJson::new(&json!([{"id": 2}])).expect("renders");
        assert_eq!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
    }

    #[test]
    fn large_bodies_are_also_kept_gzipped() {
        let small = PrecompressedJson::new(&json!([{"id": 1}])).expect("renders");
        assert!(small.gzip.is_none());
        let drinks: Vec<_> = (0..100)
            .map(|id| json!({"id": id, "title": "Latte"}))
            .collect();
        let large = PrecompressedJson::new(&drinks).expect("renders");
        let gzipped = large.gzip.clone().expect("compressed");
        assert!(gzipped.len() < large.body.len() / 4);
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gzipped[..]),
            &mut decoded,
        )
        .expect("valid gzip");
        assert_eq!(decoded, large.body);
        assert_ne!(large.etag, large.gzip_etag);
    }
}
