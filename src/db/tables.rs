//! The row operations each engine implements, in its own SQL. Everything
//! that decides (the menu's rules, what a change records, what a sign-in
//! tidies) is written once, over this trait, in `drinks`, `activity`,
//! `sessions` and `housekeeping`.

use super::activity::{ActivityEntry, NewActivity};
use super::error::DbError;
use super::sessions::{NewSession, StoredSession};
use crate::domain::{Drink, DrinkId, DrinkTitle, Recipe};

/// One transaction (or, for reads, one connection) on either engine.
pub trait Tables {
    /// Serialises changes to the menu until the transaction ends: SQLite's
    /// single writer already does; PostgreSQL takes a row lock, so servers
    /// sharing a database cannot interleave two edits of one drink, or two
    /// creations past `menu.max_drinks`.
    fn lock_menu(&mut self) -> Result<(), DbError>;

    fn count_drinks(&mut self) -> Result<i64, DbError>;
    /// Every drink, in id order (the order the Flask API lists them).
    fn list_drinks(&mut self) -> Result<Vec<Drink>, DbError>;
    fn find_drink(&mut self, id: DrinkId) -> Result<Option<Drink>, DbError>;
    /// Inserts the row alone; `TitleTaken` when the title exists ignoring case.
    fn insert_drink(&mut self, title: &DrinkTitle, recipe: &Recipe) -> Result<DrinkId, DbError>;
    /// Writes `drink`'s title, recipe and version over the stored row.
    fn update_drink_row(&mut self, drink: &Drink) -> Result<(), DbError>;
    fn delete_drink_row(&mut self, id: DrinkId) -> Result<(), DbError>;

    fn insert_activity(&mut self, entry: &NewActivity<'_>) -> Result<(), DbError>;
    /// A page of the log, newest first, and how many rows there are in all.
    fn activity_page(
        &mut self,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ActivityEntry>, i64), DbError>;
    /// Deletes activity recorded before `cutoff` (Unix seconds); how many.
    fn delete_activity_before(&mut self, cutoff: i64) -> Result<usize, DbError>;

    fn insert_session(&mut self, session: &NewSession<'_>) -> Result<(), DbError>;
    /// Remembers the name and email of a token subject.
    fn upsert_person(
        &mut self,
        subject: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), DbError>;
    /// The session with this id hash, unless it has expired at `now`.
    fn find_session(&mut self, id_hash: &[u8], now: i64) -> Result<Option<StoredSession>, DbError>;
    /// Ends a session; true when there was one.
    fn delete_session(&mut self, id_hash: &[u8]) -> Result<bool, DbError>;
    /// Deletes the sessions expired at `now`; returns how many.
    fn delete_expired_sessions(&mut self, now: i64) -> Result<usize, DbError>;
    fn count_active_sessions(&mut self, now: i64) -> Result<u64, DbError>;
    /// The sessions that have not expired at `now`, newest first.
    fn list_active_sessions(&mut self, now: i64, limit: i64)
    -> Result<Vec<StoredSession>, DbError>;

    /// Records a sign-in (by a hash of its state) as finished until
    /// `expires_at`; false when it already was: the cookie is a replay.
    fn finish_sign_in(&mut self, state_hash: &[u8], expires_at: i64) -> Result<bool, DbError>;
    /// Forgets finished sign-ins expired at `now`; returns how many.
    fn delete_finished_sign_ins(&mut self, now: i64) -> Result<usize, DbError>;

    /// The schema version the database is at.
    fn schema_version(&mut self) -> Result<i64, DbError>;
}
