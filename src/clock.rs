//! Where the time comes from: the one real clock, and a fixed one that tests
//! set instead of sleeping. It sits below everything that reads the time
//! (token sets, assertions, the id_token checks), so none of them need each other for it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the time comes from, in Unix seconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

/// The system clock: the one real [`Clock`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs()
    }
}

/// A clock that says what it is told, for tests.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub u64);

#[cfg(test)]
impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}
