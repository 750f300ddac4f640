//! Conditional requests (RFC 9110 §13), parsed once, at the edge: handlers
//! get typed preconditions, and storage only ever sees an
//! `ExpectedVersion`. One builder answers `ETag` and `304` everywhere.

use actix_web::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH, TryIntoHeaderPair};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::domain::{DrinkId, ExpectedVersion};
use crate::error::ApiError;

/// The strong validator of drink `id` at `version`: `"drink-<id>-v<version>"`.
pub fn drink_etag(id: DrinkId, version: i64) -> String {
    format!("\"drink-{id}-v{version}\"")
}

/// The version a strong tag from `drink_etag` names for drink `id`.
fn drink_version(tag: &str, id: DrinkId) -> Option<i64> {
    let rest = tag.strip_prefix("\"drink-")?.strip_suffix('"')?;
    let (tag_id, version) = rest.split_once("-v")?;
    (tag_id.parse::<DrinkId>().ok()? == id)
        .then(|| version.parse().ok())
        .flatten()
}

/// What the request's `If-Match` asks of drink `id`: a change then applies
/// only to the version it names. Without it (`None`) the change applies as
/// before (the mobile app does not send it). 400 when it is not ASCII.
pub fn if_match_version(
    request: &HttpRequest,
    id: DrinkId,
) -> Result<Option<ExpectedVersion>, ApiError> {
    Ok(TagList::from_header(request, IF_MATCH.as_str())?.map(|tags| tags.expected_version(id)))
}

/// A parsed `If-Match` or `If-None-Match` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagList {
    /// `*`: any current representation.
    Any,
    /// The entity tags listed, each with its quotes (and `W/` when weak).
    Tags(Vec<String>),
}

impl TagList {
    fn parse(value: &str) -> Self {
        let tags: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if tags.contains(&"*") {
            return Self::Any;
        }
        Self::Tags(tags.into_iter().map(str::to_owned).collect())
    }

    /// The header's value; 400 when it is not ASCII.
    fn from_header(request: &HttpRequest, name: &str) -> Result<Option<Self>, ApiError> {
        request
            .headers()
            .get(name)
            .map(|value| {
                value
                    .to_str()
                    .map(Self::parse)
                    .map_err(|_| ApiError::BadRequest(format!("{name} must be ASCII entity tags")))
            })
            .transpose()
    }

    /// `If-None-Match`; a value that is not ASCII names nothing.
    pub fn if_none_match(request: &HttpRequest) -> Option<Self> {
        Self::from_header(request, IF_NONE_MATCH.as_str())
            .ok()
            .flatten()
    }

    /// What `If-Match` asks of drink `id`. Strong comparison: a weak tag,
    /// or one of another drink, names no version.
    fn expected_version(&self, id: DrinkId) -> ExpectedVersion {
        match self {
            Self::Any => ExpectedVersion::Any,
            Self::Tags(tags) => ExpectedVersion::OneOf(
                tags.iter()
                    .filter_map(|tag| drink_version(tag, id))
                    .collect(),
            ),
        }
    }

    /// Weak comparison, as `If-None-Match` asks: `*`, or a listed tag equal
    /// to one of `current` once any `W/` is set aside.
    pub fn names_any(&self, current: &[&str]) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|tag| {
                let opaque = tag.strip_prefix("W/").unwrap_or(tag);
                current.contains(&opaque)
            }),
        }
    }
}

/// A `200` with a strong `ETag`, or a bodiless `304` when the client's
/// `If-None-Match` names the current state.
pub struct ConditionalResponse {
    builder: HttpResponseBuilder,
    not_modified: bool,
}

impl ConditionalResponse {
    /// `etag` tags the representation about to be sent; `current` lists the
    /// tags of every current representation (one per encoding).
    pub fn new(request: &HttpRequest, etag: &str, current: &[&str]) -> Self {
        let not_modified =
            TagList::if_none_match(request).is_some_and(|tags| tags.names_any(current));
        let mut builder = if not_modified {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        builder.insert_header((ETAG, etag.to_owned()));
        Self {
            builder,
            not_modified,
        }
    }

    /// A header sent with either answer (caching rules, `Vary`).
    pub fn header(mut self, header: impl TryIntoHeaderPair) -> Self {
        self.builder.insert_header(header);
        self
    }

    /// The `200` as `send` finishes it, or the bodiless `304`.
    pub fn send(
        mut self,
        send: impl FnOnce(&mut HttpResponseBuilder) -> HttpResponse,
    ) -> HttpResponse {
        if self.not_modified {
            self.builder.finish()
        } else {
            send(&mut self.builder)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_strongly_and_per_drink() {
        let expected = |value: &str| TagList::parse(value).expected_version(7);
        assert!(expected("\"drink-7-v3\"").allows(3));
        assert!(expected("\"x\", \"drink-7-v3\"").allows(3));
        assert!(expected("*").allows(3));
        assert!(!expected("\"drink-7-v2\"").allows(3));
        assert!(!expected("W/\"drink-7-v3\"").allows(3), "strong comparison");
        assert!(!expected("\"drink-8-v3\"").allows(3), "another drink's tag");
        assert_eq!(drink_etag(7, 3), "\"drink-7-v3\"");
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let names = |value: &str| TagList::parse(value).names_any(&["\"a\"", "\"a-gzip\""]);
        assert!(names("\"a\""));
        assert!(names("\"other\", \"a-gzip\""));
        assert!(names("W/\"a\""));
        assert!(names("*"));
        assert!(!names("\"other\""));
        assert!(!names(""));
    }
}
