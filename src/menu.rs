//! The menu: every read and write of drinks goes through here, so the
//! pre-serialised menu can be served from memory and is never stale after a
//! write through this server.
//!
//! Invalidation rule: the writer counts its commits, and the count moves
//! before any write of a commit is answered; a request is served a snapshot
//! only if that snapshot was read from the database after every write that
//! had answered when the request arrived. Readers that find it stale share
//! one rebuild.
//! A change made by another process (`coffee-shop import`, the sqlite3 shell)
//! moves the count too, within about a second.

use std::hash::{DefaultHasher, Hasher};
use std::io::Write as _;
use std::sync::Arc;

use actix_web::web::Bytes;
use arc_swap::ArcSwapOption;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::db::{self, Database, DbError};
use crate::domain::{Drink, DrinkChanges, DrinkId, NewDrink};

/// The success body of every drinks route: `{"success": true, "drinks": [...]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DrinksBody<T> {
    success: bool,
    drinks: Vec<T>,
}

impl<T: Serialize> DrinksBody<T> {
    /// A success body around `drinks`.
    pub fn new(drinks: Vec<T>) -> Self {
        Self {
            success: true,
            drinks,
        }
    }
}

/// Bodies smaller than this are not worth compressing.
const GZIP_THRESHOLD: usize = 1024;

/// One rendered response body, pre-compressed, with strong validators.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The whole JSON body, `{"success": true, "drinks": [...]}`.
    pub body: Bytes,
    /// The same body gzipped, when it is large enough to be worth it.
    pub gzip: Option<Bytes>,
    /// A strong ETag for `body`, quotes included.
    pub etag: String,
    /// A strong ETag for `gzip` (another representation needs another tag).
    pub gzip_etag: String,
}

impl Rendered {
    fn new<T: Serialize>(drinks: Vec<T>) -> Result<Self, DbError> {
        let body = serde_json::to_vec(&DrinksBody::new(drinks))
            .map_err(|e| DbError::Corrupt(format!("menu: {e}")))?;
        let mut hasher = DefaultHasher::new();
        hasher.write(&body);
        let tag = format!("{:016x}-{:x}", hasher.finish(), body.len());
        let gzip = (body.len() >= GZIP_THRESHOLD)
            .then(|| gzip(&body))
            .transpose()
            .map_err(|e| DbError::Corrupt(format!("menu: {e}")))?;
        Ok(Self {
            etag: format!("\"{tag}\""),
            gzip_etag: format!("\"{tag}-gzip\""),
            body: Bytes::from(body),
            gzip: gzip.map(Bytes::from),
        })
    }

    /// True when an `If-None-Match` header value names this content in either
    /// encoding.
    pub fn matches(&self, if_none_match: &str) -> bool {
        if_none_match_names(if_none_match, &[&self.etag, &self.gzip_etag])
    }
}

/// True when an `If-None-Match` value is `*` or names one of `etags` (weak
/// comparison, as RFC 9110 asks for `If-None-Match`).
pub fn if_none_match_names(if_none_match: &str, etags: &[&str]) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*" || etags.contains(&tag)
    })
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::default());
    encoder.write_all(body)?;
    encoder.finish()
}

/// Both public forms of the whole menu, rendered from one read.
#[derive(Debug)]
pub struct MenuSnapshot {
    generation: u64,
    /// The drinks themselves, in id order (for the admin pages).
    pub drinks: Vec<Drink>,
    /// `GET /drinks`: the short form.
    pub short: Rendered,
    /// `GET /drinks-detail`: the long form.
    pub long: Rendered,
}

impl MenuSnapshot {
    /// Renders (and compresses) both forms; runs on the blocking pool.
    fn render(drinks: &[Drink], generation: u64) -> Result<Self, DbError> {
        Ok(Self {
            generation,
            drinks: drinks.to_vec(),
            short: Rendered::new(drinks.iter().map(Drink::short).collect())?,
            long: Rendered::new(drinks.iter().map(Drink::long).collect())?,
        })
    }
}

/// The drinks, with the rendered menu cached in memory.
pub struct Menu {
    database: Database,
    snapshot: ArcSwapOption<MenuSnapshot>,
    /// One rebuild at a time: the readers that missed wait for it.
    rebuild: Mutex<()>,
}

impl Menu {
    /// A menu over `database`; the first read renders it.
    pub fn new(database: Database) -> Self {
        Self {
            database,
            snapshot: ArcSwapOption::empty(),
            rebuild: Mutex::new(()),
        }
    }

    /// The current menu, from memory unless a write made it stale.
    pub async fn snapshot(&self) -> Result<Arc<MenuSnapshot>, DbError> {
        // Every write that finished before this request arrived is at or
        // below this generation; any snapshot read after it will do.
        let needed = self.database.committed_writes();
        if let Some(current) = self.covering(needed) {
            return Ok(current);
        }
        let _rebuilding = self.rebuild.lock().await;
        if let Some(current) = self.covering(needed) {
            return Ok(current); // The rebuild we waited for covers us.
        }
        // Read the generation before the data: a write that commits during
        // the read bumps it, so later requests do not take this snapshot.
        let generation = self.database.committed_writes();
        let snapshot = self
            .database
            .run(move |conn| MenuSnapshot::render(&db::list_drinks(conn)?, generation))
            .await?;
        let snapshot = Arc::new(snapshot);
        self.snapshot.store(Some(Arc::clone(&snapshot)));
        Ok(snapshot)
    }

    /// The cached snapshot, if it was read after every write up to `needed`.
    fn covering(&self, needed: u64) -> Option<Arc<MenuSnapshot>> {
        self.snapshot
            .load_full()
            .filter(|snapshot| snapshot.generation >= needed)
    }

    /// One drink, as fresh as `snapshot`; `None` when there is no such drink.
    pub async fn find(&self, id: DrinkId) -> Result<Option<Drink>, DbError> {
        let snapshot = self.snapshot().await?;
        Ok(snapshot.drinks.iter().find(|drink| drink.id == id).cloned())
    }

    /// Creates a drink, recording `actor` in the activity log.
    pub async fn create(&self, drink: NewDrink, actor: String) -> Result<Drink, DbError> {
        self.database
            .write(move |conn| db::create_drink(conn, &drink, &actor))
            .await
    }

    /// Applies a partial update; `None` when there is no such drink, `Stale`
    /// when `if_match` (an `If-Match` value) does not name its current version.
    pub async fn update(
        &self,
        id: DrinkId,
        changes: DrinkChanges,
        actor: String,
        if_match: Option<String>,
    ) -> Result<Option<Drink>, DbError> {
        self.database
            .write(move |conn| db::update_drink(conn, id, &changes, &actor, if_match.as_deref()))
            .await
    }

    /// Deletes a drink; `None` when there is no such drink, `Stale` when
    /// `if_match` does not name its current version.
    pub async fn delete(
        &self,
        id: DrinkId,
        actor: String,
        if_match: Option<String>,
    ) -> Result<Option<Drink>, DbError> {
        self.database
            .write(move |conn| db::delete_drink(conn, id, &actor, if_match.as_deref()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn etags_follow_the_content() {
        let a = Rendered::new(vec![json!({"id": 1})]).expect("renders");
        let b = Rendered::new(vec![json!({"id": 1})]).expect("renders");
        let c = Rendered::new(vec![json!({"id": 2})]).expect("renders");
        assert_eq!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
    }

    #[test]
    fn large_bodies_are_also_kept_gzipped() {
        let small = Rendered::new(vec![json!({"id": 1})]).expect("renders");
        assert!(small.gzip.is_none());
        let drinks: Vec<_> = (0..100)
            .map(|id| json!({"id": id, "title": "Latte"}))
            .collect();
        let large = Rendered::new(drinks).expect("renders");
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
        assert!(large.matches(&large.gzip_etag));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let rendered = Rendered::new(vec![json!({"id": 1})]).expect("renders");
        let etag = rendered.etag.clone();
        assert!(rendered.matches(&etag));
        assert!(rendered.matches(&format!("\"other\", {etag}")));
        assert!(rendered.matches(&format!("W/{etag}")));
        assert!(rendered.matches("*"));
        assert!(!rendered.matches("\"other\""));
        assert!(!rendered.matches(""));
    }
}
