//! The `sessions` and `people` tables: admin page sign-ins, and the names
//! the activity log shows for token subjects.

use rusqlite::{Connection, OptionalExtension};

use super::error::DbError;

/// A signed-in person, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub subject: String,
    /// Permission names, as the access token listed them.
    pub permissions: Vec<String>,
    pub csrf_token: String,
    pub expires_at: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Who vouched for it: the token's issuer and signing key id.
    pub issuer: String,
    pub key_id: String,
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
        .prepare_cached(
            "SELECT s.subject, s.permissions, s.csrf_token, s.expires_at, p.name, p.email,
                    s.issuer, s.key_id
             FROM sessions s LEFT JOIN people p ON p.subject = s.subject
             WHERE s.id_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row((id_hash, now), |row| {
            let permissions: String = row.get(1)?;
            Ok(StoredSession {
                subject: row.get(0)?,
                permissions: permissions.split_whitespace().map(str::to_owned).collect(),
                csrf_token: row.get(2)?,
                expires_at: row.get(3)?,
                name: row.get(4)?,
                email: row.get(5)?,
                issuer: row.get(6)?,
                key_id: row.get(7)?,
            })
        })
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

/// A session as the System page lists it: who, and until when. Never its
/// id or CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub subject: String,
    pub name: Option<String>,
    pub permissions: Vec<String>,
    /// When it was signed in (RFC 3339, UTC).
    pub created_at: String,
    pub expires_at: i64,
}

/// The sessions that have not expired at `now`, newest first, at most `limit`.
pub fn list_active_sessions(
    conn: &Connection,
    now: i64,
    limit: i64,
) -> Result<Vec<ActiveSession>, DbError> {
    let mut statement = conn.prepare_cached(
        "SELECT s.subject, p.name, s.permissions, s.created_at, s.expires_at
         FROM sessions s LEFT JOIN people p ON p.subject = s.subject
         WHERE s.expires_at > ?1 ORDER BY s.created_at DESC LIMIT ?2",
    )?;
    let sessions = statement
        .query_map((now, limit), |row| {
            let permissions: String = row.get(2)?;
            Ok(ActiveSession {
                subject: row.get(0)?,
                name: row.get(1)?,
                permissions: permissions.split_whitespace().map(str::to_owned).collect(),
                created_at: row.get(3)?,
                expires_at: row.get(4)?,
            })
        })?
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
        assert_eq!(found.name.as_deref(), Some("Ana"));
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
