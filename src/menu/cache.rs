//! The menu kept in memory, read once per change.
//!
//! Invalidation rule: the writer counts its commits, and the count moves
//! before any write of a commit is answered; a request is served a snapshot
//! only if that snapshot was read from the database after every write that
//! had answered when the request arrived. Readers that find it stale share
//! one rebuild. A change made by another process (`coffee-shop import`, the
//! sqlite3 shell) moves the count too, within about a second.
//!
//! Bound: one snapshot, the size of the menu in three forms (the drinks,
//! and each public body in at most two encodings).

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use serde::Serialize;
use tokio::sync::Mutex;

use super::precompressed::PrecompressedJson;
use crate::db::{Database, DbError, StorageProblem};
use crate::domain::{Drink, DrinksBody};
use crate::metrics::names;

/// Both public forms of the whole menu, rendered from one read.
#[derive(Debug)]
pub struct MenuSnapshot {
    generation: u64,
    /// The drinks themselves, in id order (for the admin pages).
    pub drinks: Vec<Drink>,
    /// `GET /drinks`: the short form.
    pub short: PrecompressedJson,
    /// `GET /drinks-detail`: the long form.
    pub long: PrecompressedJson,
}

impl MenuSnapshot {
    /// Renders (and compresses) both forms; runs on the blocking pool.
    fn render(drinks: Vec<Drink>, generation: u64) -> Result<Self, DbError> {
        fn encode<T: Serialize>(drinks: Vec<T>) -> Result<PrecompressedJson, DbError> {
            PrecompressedJson::new(&DrinksBody::new(drinks))
                .map_err(|e| DbError::Corrupt(format!("menu: {e}")))
        }
        Ok(Self {
            generation,
            short: encode(drinks.iter().map(Drink::short).collect())?,
            long: encode(drinks.iter().map(Drink::long).collect())?,
            drinks,
        })
    }
}

/// The latest snapshot, and the lock that makes readers share a rebuild.
pub struct MenuCache {
    snapshot: ArcSwapOption<MenuSnapshot>,
    rebuild: Mutex<()>,
}

impl MenuCache {
    pub fn new() -> Self {
        Self {
            snapshot: ArcSwapOption::empty(),
            rebuild: Mutex::new(()),
        }
    }

    /// The current menu, from memory unless a write made it stale.
    pub async fn snapshot(&self, database: &Database) -> Result<Arc<MenuSnapshot>, DbError> {
        // Every write that finished before this request arrived is at or
        // below this generation; any snapshot read after it will do.
        let needed = database.committed_writes();
        if let Some(current) = self.covering(needed) {
            return Ok(current);
        }
        let _rebuilding = self.rebuild.lock().await;
        if let Some(current) = self.covering(needed) {
            return Ok(current); // The rebuild we waited for covers us.
        }
        // Read the generation before the data: a write that commits during
        // the read bumps it, so later requests do not take this snapshot.
        let generation = database.committed_writes();
        let read = database
            .read(move |tables| MenuSnapshot::render(tables.list_drinks()?, generation))
            .await;
        let snapshot = match (read, self.snapshot.load_full()) {
            (Ok(snapshot), _) => snapshot,
            // The database server is unreachable (PostgreSQL restarting, a
            // network down): the last menu read is still the café's menu.
            (Err(error), Some(last))
                if error.storage_problem() == Some(StorageProblem::Unavailable) =>
            {
                tracing::warn!(%error, "serving the last menu read: the database does not answer");
                return Ok(last);
            }
            (Err(error), _) => return Err(error),
        };
        metrics::counter!(names::MENU_REBUILDS).increment(1);
        metrics::gauge!(names::MENU_DRINKS).set(snapshot.drinks.len() as f64);
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
}
