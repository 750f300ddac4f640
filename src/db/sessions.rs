//! The `sessions` and `people` tables: admin page sign-ins, and the names
//! the activity log shows for token subjects.

use rusqlite::{Connection, OptionalExtension, Row};

use super::error::DbError;

/// Someone who signs in or changes the menu: the token's subject, with the
/// name and email of their last sign-in to the admin pages (none for
/// someone who only used the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Person {
    /// Reads `subject, name, email` from the three columns from `first`.
    pub(super) fn from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            subject: row.get(first)?,
            name: row.get(first + 1)?,
            email: row.get(first + 2)?,
        })
    }

    /// The name to show: the name, else the email, else the subject.
    pub fn shown_as(&self) -> String {
        let known = self.name.as_ref().or(self.email.as_ref());
        known.unwrap_or(&self.subject).clone()
    }
}

/// A signed-in person, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub person: Person,
    /// Permission names, as the access token listed them.
    pub permissions: Vec<String>,
    pub csrf_token: String,
    pub expires_at: i64,
    /// Who vouched for it: the token's issuer and signing key id.
    pub issuer: String,
    pub key_id: String,
    /// When it was signed in (RFC 3339, UTC).
    pub created_at: String,
}

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

fn stored_session(row: &Row<'_>) -> rusqlite::Result<StoredSession> {
    Ok(StoredSession {
        person: Person::from_row(row, 0)?,
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

/// A new session to store.
pub struct NewSession<'a> {
    pub id_hash: &'a [u8],
    pub subject: &'a str,
    pub permissions: &'a [String],
    pub csrf_token: &'a str,
    pub expires_at: i64,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub issuer: &'a str,
    pub key_id: &'a str,
    /// The session this browser had before, ended by this sign-in.
    pub replaces: Option<&'a [u8]>,
}

/// Stores a session (ending the one it replaces), remembers the person's
/// name and email, and drops sessions that have expired (a sign-in is a
/// good moment to tidy).
pub fn create_session(
    conn: &Connection,
    session: &NewSession<'_>,
    now: i64,
) -> Result<(), DbError> {
    delete_expired(conn, now)?;
    if let Some(previous) = session.replaces {
        conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [previous])?;
    }
    conn.execute(
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
    conn.execute(
        "INSERT INTO people (subject, name, email) VALUES (?1, ?2, ?3)
         ON CONFLICT (subject) DO UPDATE SET name = excluded.name, email = excluded.email,
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        (session.subject, session.name, session.email),
    )?;
    Ok(())
}

/// The session with this id hash, unless it has expired at `now`.
pub fn find_session(
    conn: &Connection,
    id_hash: &[u8],
    now: i64,
) -> Result<Option<StoredSession>, DbError> {
    let session = conn
        .prepare_cached(select_sessions!(
            "WHERE s.id_hash = ?1 AND s.expires_at > ?2"
        ))?
        .query_row((id_hash, now), stored_session)
        .optional()?;
    Ok(session)
}

/// Deletes the sessions expired at `now`; returns how many.
pub fn delete_expired(conn: &Connection, now: i64) -> Result<usize, DbError> {
    Ok(conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?)
}

/// How many sessions have not expired at `now`.
pub fn count_active_sessions(conn: &Connection, now: i64) -> Result<u64, DbError> {
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM sessions WHERE expires_at > ?1")?
        .query_row([now], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The sessions that have not expired at `now`, newest first, at most `limit`.
pub fn list_active_sessions(
    conn: &Connection,
    now: i64,
    limit: i64,
) -> Result<Vec<StoredSession>, DbError> {
    let mut statement = conn.prepare_cached(select_sessions!(
        "WHERE s.expires_at > ?1 ORDER BY s.created_at DESC LIMIT ?2"
    ))?;
    let sessions = statement
        .query_map((now, limit), stored_session)?
        .collect::<Result<_, _>>()?;
    Ok(sessions)
}

/// Ends a session (sign-out); true when there was one.
pub fn delete_session(conn: &Connection, id_hash: &[u8]) -> Result<bool, DbError> {
    Ok(conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().expect("memory db");
        super::super::migrations::migrations(false)
            .to_latest(&mut conn)
            .expect("migrates");
        conn
    }

    fn session<'a>(
        id_hash: &'a [u8],
        permissions: &'a [String],
        expires_at: i64,
    ) -> NewSession<'a> {
        NewSession {
            id_hash,
            subject: "auth0|ana",
            permissions,
            csrf_token: "csrf",
            expires_at,
            name: Some("Ana"),
            email: Some("ana@example.com"),
            issuer: "https://idp.example/",
            key_id: "key-a",
            replaces: None,
        }
    }

    #[test]
    fn sessions_are_found_until_they_expire_and_end_on_delete() {
        let conn = database();
        let permissions = vec!["get:drinks-detail".to_owned(), "post:drinks".to_owned()];
        create_session(&conn, &session(b"one", &permissions, 2000), 1000).expect("stored");
        let found = find_session(&conn, b"one", 1500)
            .expect("reads")
            .expect("found");
        assert_eq!(found.permissions, permissions);
        assert_eq!(found.person.name.as_deref(), Some("Ana"));
        assert_eq!(
            (found.issuer.as_str(), found.key_id.as_str()),
            ("https://idp.example/", "key-a")
        );
        assert!(
            find_session(&conn, b"one", 2000).expect("reads").is_none(),
            "expired"
        );
        assert!(find_session(&conn, b"two", 1500).expect("reads").is_none());
        assert!(delete_session(&conn, b"one").expect("deletes"));
        assert!(find_session(&conn, b"one", 1500).expect("reads").is_none());
    }

    #[test]
    fn a_person_is_shown_by_name_else_email_else_subject() {
        let mut person = Person {
            subject: "auth0|x".into(),
            name: None,
            email: None,
        };
        assert_eq!(person.shown_as(), "auth0|x");
        person.email = Some("x@cafe.example".into());
        assert_eq!(person.shown_as(), "x@cafe.example");
        person.name = Some("Xavi".into());
        assert_eq!(person.shown_as(), "Xavi");
    }

    #[test]
    fn a_sign_in_tidies_expired_sessions_and_updates_the_name() {
        let conn = database();
        create_session(&conn, &session(b"old", &[], 1100), 1000).expect("stored");
        let mut renamed = session(b"new", &[], 5000);
        renamed.name = Some("Ana María");
        create_session(&conn, &renamed, 2000).expect("stored");
        let sessions: i64 = conn
            .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
            .expect("count");
        assert_eq!(sessions, 1, "the expired one was removed");
        let name: String = conn
            .query_row(
                "SELECT name FROM people WHERE subject = 'auth0|ana'",
                [],
                |row| row.get(0),
            )
            .expect("name");
        assert_eq!(name, "Ana María");
    }
}
