//! The last server errors (5xx), kept in memory for the System page: when,
//! the request id (to find the log line), the method, the path and the
//! status. Never a query, a header or a body, so never a token.

use crate::shared::Shared;
use std::collections::VecDeque;
use std::time::SystemTime;

/// How many server errors are remembered; older ones are forgotten.
pub const REMEMBERED: usize = 20;
/// A longer path is cut here: it is a hint for the log, not evidence.
const MAX_PATH_CHARS: usize = 120;

/// One answer with a 5xx status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub at: SystemTime,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// A bounded ring of the latest server errors, shared by every worker.
#[derive(Debug, Default)]
pub struct ServerErrors {
    latest: Shared<VecDeque<ServerError>>,
}

impl ServerErrors {
    pub fn record(&self, mut error: ServerError) {
        if let Some((cut, _)) = error.path.char_indices().nth(MAX_PATH_CHARS) {
            error.path.truncate(cut);
            error.path.push('…');
        }
        self.latest.update(|latest| {
            if latest.len() == REMEMBERED {
                latest.pop_front();
            }
            latest.push_back(error);
        });
    }

    /// The remembered errors, newest first.
    pub fn newest_first(&self) -> Vec<ServerError> {
        self.latest
            .read(|latest| latest.iter().rev().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(number: usize, path: String) -> ServerError {
        ServerError {
            at: SystemTime::UNIX_EPOCH,
            request_id: format!("id-{number}"),
            method: "GET".into(),
            path,
            status: 500,
        }
    }

    #[test]
    fn only_the_latest_are_kept_newest_first() {
        let errors = ServerErrors::default();
        for number in 0..REMEMBERED + 5 {
            errors.record(error(number, "/drinks".into()));
        }
        let kept = errors.newest_first();
        assert_eq!(kept.len(), REMEMBERED);
        assert_eq!(kept[0].request_id, format!("id-{}", REMEMBERED + 4));
        assert_eq!(kept[REMEMBERED - 1].request_id, "id-5");
    }

    #[test]
    fn long_paths_are_cut() {
        let errors = ServerErrors::default();
        errors.record(error(1, "/é".repeat(200)));
        let path = &errors.newest_first()[0].path;
        assert_eq!(path.chars().count(), MAX_PATH_CHARS + 1);
        assert!(path.ends_with('…'));
    }
}
