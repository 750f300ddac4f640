//! The menu service: every read and write of drinks goes through here, so
//! the cached menu (`cache`) is never stale after a write through this
//! server, and every change writes its activity row (in `db`).

mod cache;
mod precompressed;

use std::sync::Arc;

pub use cache::MenuSnapshot;
pub use precompressed::PrecompressedJson;

use crate::db::{self, Database, DbError};
use crate::domain::{Drink, DrinkChanges, DrinkId, ExpectedVersion, NewDrink};

/// The drinks: writes go to the database, reads come from the cache.
pub struct MenuService {
    database: Database,
    cache: cache::MenuCache,
    /// `menu.max_drinks`: creating beyond it is refused.
    max_drinks: u32,
}

impl MenuService {
    /// A menu over `database`, holding at most `max_drinks`; the first read
    /// renders it.
    pub fn new(database: Database, max_drinks: u32) -> Self {
        Self {
            database,
            cache: cache::MenuCache::new(),
            max_drinks,
        }
    }

    /// The current menu, from memory unless a write made it stale.
    pub async fn snapshot(&self) -> Result<Arc<MenuSnapshot>, DbError> {
        self.cache.snapshot(&self.database).await
    }

    /// One drink, as fresh as `snapshot`; `None` when there is no such drink.
    pub async fn find(&self, id: DrinkId) -> Result<Option<Drink>, DbError> {
        let snapshot = self.snapshot().await?;
        Ok(snapshot.drinks.iter().find(|drink| drink.id == id).cloned())
    }

    /// Creates a drink, recording `actor` in the activity log; `MenuFull`
    /// when the menu already holds `max_drinks`.
    pub async fn create(&self, drink: NewDrink, actor: String) -> Result<Drink, DbError> {
        let max_drinks = self.max_drinks;
        self.database
            .change(move |tables| db::create_drink(tables, &drink, &actor, max_drinks))
            .await
    }

    /// Applies a partial update; `None` when there is no such drink, `Stale`
    /// when `expected` refuses its current version.
    pub async fn update(
        &self,
        id: DrinkId,
        changes: DrinkChanges,
        actor: String,
        expected: Option<ExpectedVersion>,
    ) -> Result<Option<Drink>, DbError> {
        self.database
            .change(move |tables| db::update_drink(tables, id, &changes, &actor, expected.as_ref()))
            .await
    }

    /// Deletes a drink; `None` when there is no such drink, `Stale` when
    /// `expected` refuses its current version.
    pub async fn delete(
        &self,
        id: DrinkId,
        actor: String,
        expected: Option<ExpectedVersion>,
    ) -> Result<Option<Drink>, DbError> {
        self.database
            .change(move |tables| db::delete_drink(tables, id, &actor, expected.as_ref()))
            .await
    }
}
