//! `Tables` in PostgreSQL's SQL, inside a transaction (every read and
//! change runs in one, so a page's queries see one snapshot).

use postgres::error::SqlState;
use postgres::{Row, Transaction};

use crate::db::activity::{ActivityEntry, NewActivity};
use crate::db::drinks::{parse_stored, recipe_json};
use crate::db::error::DbError;
use crate::db::sessions::{NewSession, Person, StoredSession};
use crate::db::tables::Tables;
use crate::domain::{Drink, DrinkId, DrinkTitle, Recipe};

/// The channel every server is told on when a menu change commits.
macro_rules! menu_channel {
    () => {
        "coffee_shop_menu"
    };
}
pub(super) use menu_channel;

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

impl Tables for Transaction<'_> {
    /// Locks the menu's one state row until commit, bumps its version, and
    /// queues the notification (PostgreSQL sends it only if this commits).
    fn lock_menu(&mut self) -> Result<(), DbError> {
        self.batch_execute(concat!(
            "UPDATE menu_state SET version = version + 1; SELECT pg_notify('",
            menu_channel!(),
            "', '')"
        ))?;
        Ok(())
    }

    fn count_drinks(&mut self) -> Result<i64, DbError> {
        Ok(self
            .query_one("SELECT count(*) FROM drinks", &[])?
            .try_get(0)?)
    }

    fn list_drinks(&mut self) -> Result<Vec<Drink>, DbError> {
        self.query(
            "SELECT id, title, recipe, version FROM drinks ORDER BY id",
            &[],
        )?
        .iter()
        .map(read_drink)
        .collect()
    }

    fn find_drink(&mut self, id: DrinkId) -> Result<Option<Drink>, DbError> {
        self.query_opt(
            "SELECT id, title, recipe, version FROM drinks WHERE id = $1",
            &[&id],
        )?
        .as_ref()
        .map(read_drink)
        .transpose()
    }

    fn insert_drink(&mut self, title: &DrinkTitle, recipe: &Recipe) -> Result<DrinkId, DbError> {
        let row = self
            .query_one(
                "INSERT INTO drinks (title, title_key, recipe) VALUES ($1, $2, $3) RETURNING id",
                &[
                    &title.as_str(),
                    &title.uniqueness_key(),
                    &recipe_json(recipe)?,
                ],
            )
            .map_err(title_conflict)?;
        Ok(row.try_get(0)?)
    }

    fn update_drink_row(&mut self, drink: &Drink) -> Result<(), DbError> {
        self.execute(
            "UPDATE drinks SET title = $1, title_key = $2, recipe = $3, version = $4,
                    updated_at = coffee_shop_now()
             WHERE id = $5",
            &[
                &drink.title.as_str(),
                &drink.title.uniqueness_key(),
                &recipe_json(&drink.recipe)?,
                &drink.version,
                &drink.id,
            ],
        )
        .map_err(title_conflict)?;
        Ok(())
    }

    fn delete_drink_row(&mut self, id: DrinkId) -> Result<(), DbError> {
        self.execute("DELETE FROM drinks WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn insert_activity(&mut self, entry: &NewActivity<'_>) -> Result<(), DbError> {
        self.execute(
            "INSERT INTO activity (actor, action, drink_id, drink_title, before, after)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &entry.actor,
                &entry.action.as_str(),
                &entry.drink_id,
                &entry.drink_title,
                &entry.before,
                &entry.after,
            ],
        )?;
        Ok(())
    }

    fn activity_page(
        &mut self,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ActivityEntry>, i64), DbError> {
        let total: i64 = self
            .query_one("SELECT count(*) FROM activity", &[])?
            .try_get(0)?;
        let entries = self
            .query(
                "SELECT a.at, a.actor, p.name, p.email, a.action, a.drink_id, a.drink_title,
                        a.before, a.after
                 FROM activity a LEFT JOIN people p ON p.subject = a.actor
                 ORDER BY a.id DESC LIMIT $1 OFFSET $2",
                &[&limit, &offset],
            )?
            .iter()
            .map(|row| {
                Ok(ActivityEntry {
                    at: row.try_get(0)?,
                    actor: person(row, 1)?,
                    action: row.try_get(4)?,
                    drink_id: row.try_get(5)?,
                    drink_title: row.try_get(6)?,
                    before: row.try_get(7)?,
                    after: row.try_get(8)?,
                })
            })
            .collect::<Result<_, postgres::Error>>()?;
        Ok((entries, total))
    }

    fn delete_activity_before(&mut self, cutoff: i64) -> Result<usize, DbError> {
        // `at` is ISO 8601 text in UTC, so text order is time order.
        let deleted = self.execute(
            "DELETE FROM activity
             WHERE at < to_char(to_timestamp($1) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
            &[&(cutoff as f64)],
        )?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    fn insert_session(&mut self, session: &NewSession<'_>) -> Result<(), DbError> {
        self.execute(
            "INSERT INTO sessions (id_hash, subject, permissions, csrf_token, expires_at, issuer, key_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &session.id_hash,
                &session.subject,
                &session.permissions.join(" "),
                &session.csrf_token,
                &session.expires_at,
                &session.issuer,
                &session.key_id,
            ],
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
            "INSERT INTO people (subject, name, email) VALUES ($1, $2, $3)
             ON CONFLICT (subject) DO UPDATE SET name = excluded.name, email = excluded.email,
                 updated_at = coffee_shop_now()",
            &[&subject, &name, &email],
        )?;
        Ok(())
    }

    fn find_session(&mut self, id_hash: &[u8], now: i64) -> Result<Option<StoredSession>, DbError> {
        Ok(self
            .query_opt(
                select_sessions!("WHERE s.id_hash = $1 AND s.expires_at > $2"),
                &[&id_hash, &now],
            )?
            .as_ref()
            .map(stored_session)
            .transpose()?)
    }

    fn delete_session(&mut self, id_hash: &[u8]) -> Result<bool, DbError> {
        Ok(self.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])? > 0)
    }

    fn delete_expired_sessions(&mut self, now: i64) -> Result<usize, DbError> {
        let deleted = self.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    fn count_active_sessions(&mut self, now: i64) -> Result<u64, DbError> {
        let count: i64 = self
            .query_one(
                "SELECT count(*) FROM sessions WHERE expires_at > $1",
                &[&now],
            )?
            .try_get(0)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn list_active_sessions(
        &mut self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<StoredSession>, DbError> {
        Ok(self
            .query(
                select_sessions!("WHERE s.expires_at > $1 ORDER BY s.created_at DESC LIMIT $2"),
                &[&now, &limit],
            )?
            .iter()
            .map(stored_session)
            .collect::<Result<_, _>>()?)
    }

    fn finish_sign_in(&mut self, state_hash: &[u8], expires_at: i64) -> Result<bool, DbError> {
        let inserted = self.execute(
            "INSERT INTO finished_sign_ins (state_hash, expires_at) VALUES ($1, $2)
             ON CONFLICT (state_hash) DO NOTHING",
            &[&state_hash, &expires_at],
        )?;
        Ok(inserted == 1)
    }

    fn delete_finished_sign_ins(&mut self, now: i64) -> Result<usize, DbError> {
        let deleted = self.execute(
            "DELETE FROM finished_sign_ins WHERE expires_at <= $1",
            &[&now],
        )?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    fn schema_version(&mut self) -> Result<i64, DbError> {
        super::migrations::schema_version(self)
    }
}

fn read_drink(row: &Row) -> Result<Drink, DbError> {
    parse_stored(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    )
}

/// `subject, name, email` from the three columns from `first`.
fn person(row: &Row, first: usize) -> Result<Person, postgres::Error> {
    Ok(Person {
        subject: row.try_get(first)?,
        name: row.try_get(first + 1)?,
        email: row.try_get(first + 2)?,
    })
}

fn stored_session(row: &Row) -> Result<StoredSession, postgres::Error> {
    Ok(StoredSession {
        person: person(row, 0)?,
        permissions: row
            .try_get::<_, &str>(3)?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        csrf_token: row.try_get(4)?,
        expires_at: row.try_get(5)?,
        issuer: row.try_get(6)?,
        key_id: row.try_get(7)?,
        created_at: row.try_get(8)?,
    })
}

/// Maps a uniqueness violation (the title's key) to `TitleTaken`.
fn title_conflict(error: postgres::Error) -> DbError {
    if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        DbError::TitleTaken
    } else {
        DbError::Postgres(error)
    }
}
