//! `Tables` in SQLite's SQL, for any connection (the writer's transaction
//! or a pooled reader).

use rusqlite::{Connection, OptionalExtension, Row};

use crate::db::activity::{ActivityEntry, NewActivity};
use crate::db::drinks::{parse_stored, recipe_json};
use crate::db::error::DbError;
use crate::db::sessions::{NewSession, Person, StoredSession};
use crate::db::tables::Tables;
use crate::domain::{Drink, DrinkId, DrinkTitle, Recipe};

/// `SELECT` of the columns `stored_session` reads, then `$rest`.
macro_rules! select_sessions {
    ($rest:literal) => {
        concat!(
            "SELECT s.subject, p.name, p.email, s.permissions, s.csrf_token, s.expires_at,
                    s.issuer, s.key_id, s.created_at
             FROM sessions s LEFT JOIN people p ON p.subject = s.subject ",
            $rest
        )
    };
}

impl Tables for &Connection {
    /// The single writer already runs one change at a time.
    fn lock_menu(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    fn count_drinks(&mut self) -> Result<i64, DbError> {
        Ok(self
            .prepare_cached("SELECT count(*) FROM drinks")?
            .query_row([], |row| row.get(0))?)
    }

    fn list_drinks(&mut self) -> Result<Vec<Drink>, DbError> {
        let mut statement =
            self.prepare_cached("SELECT id, title, recipe, version FROM drinks ORDER BY id")?;
        let rows = statement.query_map([], read_drink)?;
        rows.map(|row| row?).collect()
    }

    fn find_drink(&mut self, id: DrinkId) -> Result<Option<Drink>, DbError> {
        self.prepare_cached("SELECT id, title, recipe, version FROM drinks WHERE id = ?1")?
            .query_row([id], read_drink)
            .optional()?
            .transpose()
    }

    fn insert_drink(&mut self, title: &DrinkTitle, recipe: &Recipe) -> Result<DrinkId, DbError> {
        self.prepare_cached("INSERT INTO drinks (title, title_key, recipe) VALUES (?1, ?2, ?3)")?
            .execute((title.as_str(), title.uniqueness_key(), recipe_json(recipe)?))
            .map_err(title_conflict)?;
        Ok(self.last_insert_rowid())
    }

    fn update_drink_row(&mut self, drink: &Drink) -> Result<(), DbError> {
        self.execute(
            "UPDATE drinks SET title = ?1, title_key = ?2, recipe = ?3, version = ?4,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ?5",
            (
                drink.title.as_str(),
                drink.title.uniqueness_key(),
                recipe_json(&drink.recipe)?,
                drink.version,
                drink.id,
            ),
        )
        .map_err(title_conflict)?;
        Ok(())
    }

    fn delete_drink_row(&mut self, id: DrinkId) -> Result<(), DbError> {
        self.execute("DELETE FROM drinks WHERE id = ?1", [id])?;
        Ok(())
    }

    fn insert_activity(&mut self, entry: &NewActivity<'_>) -> Result<(), DbError> {
        self.prepare_cached(
            "INSERT INTO activity (actor, action, drink_id, drink_title, before, after)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute((
            entry.actor,
            entry.action.as_str(),
            entry.drink_id,
            entry.drink_title,
            &entry.before,
            &entry.after,
        ))?;
        Ok(())
    }

    fn activity_page(
        &mut self,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ActivityEntry>, i64), DbError> {
        let total: i64 = self.query_row("SELECT count(*) FROM activity", [], |row| row.get(0))?;
        let mut statement = self.prepare_cached(
            "SELECT a.at, a.actor, p.name, p.email, a.action, a.drink_id, a.drink_title, a.before, a.after
             FROM activity a LEFT JOIN people p ON p.subject = a.actor
             ORDER BY a.id DESC LIMIT ?1 OFFSET ?2",
        )?;
        let entries = statement
            .query_map((limit, offset), |row| {
                Ok(ActivityEntry {
                    at: row.get(0)?,
                    actor: person(row, 1)?,
                    action: row.get(4)?,
                    drink_id: row.get(5)?,
                    drink_title: row.get(6)?,
                    before: row.get(7)?,
                    after: row.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((entries, total))
    }

    fn delete_activity_before(&mut self, cutoff: i64) -> Result<usize, DbError> {
        // `at` is stored as strftime('%Y-%m-%dT%H:%M:%fZ'), so text order is time order.
        Ok(self.execute(
            "DELETE FROM activity WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, 'unixepoch')",
            [cutoff],
        )?)
    }

    fn insert_session(&mut self, session: &NewSession<'_>) -> Result<(), DbError> {
        self.execute(
            "INSERT INTO sessions (id_hash, subject, permissions, csrf_token, expires_at, issuer, key_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            (
                session.id_hash,
                session.subject,
                session.permissions.join(" "),
                session.csrf_token,
                session.expires_at,
                session.issuer,
                session.key_id,
            ),
        )?;
        Ok(())
    }

    fn upsert_person(
        &mut self,
        subject: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), DbError> {
        self.execute(
            "INSERT INTO people (subject, name, email) VALUES (?1, ?2, ?3)
             ON CONFLICT (subject) DO UPDATE SET name = excluded.name, email = excluded.email,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (subject, name, email),
        )?;
        Ok(())
    }

    fn find_session(&mut self, id_hash: &[u8], now: i64) -> Result<Option<StoredSession>, DbError> {
        Ok(self
            .prepare_cached(select_sessions!(
                "WHERE s.id_hash = ?1 AND s.expires_at > ?2"
            ))?
            .query_row((id_hash, now), stored_session)
            .optional()?)
    }

    fn delete_session(&mut self, id_hash: &[u8]) -> Result<bool, DbError> {
        Ok(self.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])? > 0)
    }

    fn delete_expired_sessions(&mut self, now: i64) -> Result<usize, DbError> {
        Ok(self.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?)
    }

    fn count_active_sessions(&mut self, now: i64) -> Result<u64, DbError> {
        let count: i64 = self
            .prepare_cached("SELECT count(*) FROM sessions WHERE expires_at > ?1")?
            .query_row([now], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn list_active_sessions(
        &mut self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<StoredSession>, DbError> {
        let mut statement = self.prepare_cached(select_sessions!(
            "WHERE s.expires_at > ?1 ORDER BY s.created_at DESC LIMIT ?2"
        ))?;
        let sessions = statement
            .query_map((now, limit), stored_session)?
            .collect::<Result<_, _>>()?;
        Ok(sessions)
    }

    fn finish_sign_in(&mut self, state_hash: &[u8], expires_at: i64) -> Result<bool, DbError> {
        let inserted = self.execute(
            "INSERT INTO finished_sign_ins (state_hash, expires_at) VALUES (?1, ?2)
             ON CONFLICT (state_hash) DO NOTHING",
            (state_hash, expires_at),
        )?;
        Ok(inserted == 1)
    }

    fn delete_finished_sign_ins(&mut self, now: i64) -> Result<usize, DbError> {
        Ok(self.execute(
            "DELETE FROM finished_sign_ins WHERE expires_at <= ?1",
            [now],
        )?)
    }

    fn schema_version(&mut self) -> Result<i64, DbError> {
        super::schema_version(self)
    }
}

fn read_drink(row: &Row<'_>) -> rusqlite::Result<Result<Drink, DbError>> {
    let id: DrinkId = row.get(0)?;
    let title: String = row.get(1)?;
    let recipe: String = row.get(2)?;
    let version: i64 = row.get(3)?;
    Ok(parse_stored(id, &title, &recipe, version))
}

/// Reads `subject, name, email` from the three columns from `first`.
fn person(row: &Row<'_>, first: usize) -> rusqlite::Result<Person> {
    Ok(Person {
        subject: row.get(first)?,
        name: row.get(first + 1)?,
        email: row.get(first + 2)?,
    })
}

fn stored_session(row: &Row<'_>) -> rusqlite::Result<StoredSession> {
    Ok(StoredSession {
        person: person(row, 0)?,
        permissions: row
            .get::<_, String>(3)?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        csrf_token: row.get(4)?,
        expires_at: row.get(5)?,
        issuer: row.get(6)?,
        key_id: row.get(7)?,
        created_at: row.get(8)?,
    })
}

/// Maps a uniqueness violation on the title to `TitleTaken`.
fn title_conflict(error: rusqlite::Error) -> DbError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            DbError::TitleTaken
        }
        _ => DbError::Sqlite(error),
    }
}
