//! A value that request threads read while one background task updates it
//! (the key fetch history, the backup status, the recent server errors).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// A `Mutex` that never stays poisoned: the values kept here are plain
/// records, whole after every update, so a panic in one holder must not take
/// the status pages and metrics down with it.
#[derive(Debug, Default)]
pub struct Shared<T>(Mutex<T>);

impl<T> Shared<T> {
    /// Answers what `look` makes of the value, without copying it.
    pub fn read<R>(&self, look: impl FnOnce(&T) -> R) -> R {
        look(&self.lock())
    }

    /// Changes the value in place, and answers what `change` answers.
    pub fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        change(&mut self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Clone> Shared<T> {
    /// A copy of the value as it is now.
    pub fn snapshot(&self) -> T {
        self.read(T::clone)
    }
}
