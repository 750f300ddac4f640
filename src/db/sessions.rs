//! The `sessions` and `people` tables: admin page sign-ins, and the names
//! the activity log shows for token subjects.

use super::error::DbError;
use super::tables::Tables;

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
    tables: &mut dyn Tables,
    session: &NewSession<'_>,
    now: i64,
) -> Result<(), DbError> {
    tables.delete_expired_sessions(now)?;
    if let Some(previous) = session.replaces {
        tables.delete_session(previous)?;
    }
    tables.insert_session(session)?;
    tables.upsert_person(session.subject, session.name, session.email)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> rusqlite::Connection {
        crate::db::sqlite::migrated_in_memory(false)
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
        let tables = &mut &conn;
        let permissions = vec!["get:drinks-detail".to_owned(), "post:drinks".to_owned()];
        create_session(tables, &session(b"one", &permissions, 2000), 1000).expect("stored");
        let found = tables
            .find_session(b"one", 1500)
            .expect("reads")
            .expect("found");
        assert_eq!(found.permissions, permissions);
        assert_eq!(found.person.name.as_deref(), Some("Ana"));
        assert_eq!(
            (found.issuer.as_str(), found.key_id.as_str()),
            ("https://idp.example/", "key-a")
        );
        assert!(
            tables.find_session(b"one", 2000).expect("reads").is_none(),
            "expired"
        );
        assert!(tables.find_session(b"two", 1500).expect("reads").is_none());
        assert!(tables.delete_session(b"one").expect("deletes"));
        assert!(tables.find_session(b"one", 1500).expect("reads").is_none());
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
        create_session(&mut &conn, &session(b"old", &[], 1100), 1000).expect("stored");
        let mut renamed = session(b"new", &[], 5000);
        renamed.name = Some("Ana María");
        create_session(&mut &conn, &renamed, 2000).expect("stored");
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
