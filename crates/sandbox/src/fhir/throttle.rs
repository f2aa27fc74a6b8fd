//! The `rate-limited` fault: at most `Options::rate_limit` FHIR requests in
//! one second of the sandbox's clock; the rest of that second is answered
//! 429 with `Retry-After` (whole seconds, so at least 1). A fixed window,
//! as simple API gateways count, and deterministic under a test clock.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub(crate) struct Window(Mutex<(u64, u32)>);

impl Window {
    /// `Ok` when a request at `now` is within `limit` for its second;
    /// otherwise the seconds to wait.
    pub(crate) fn admit(&self, now: SystemTime, limit: u32) -> Result<(), u64> {
        let second = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut w = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if w.0 != second {
            *w = (second, 0);
        }
        if w.1 >= limit {
            return Err(1);
        }
        w.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_fixed_window_of_one_second() {
        let w = Window::default();
        let t = UNIX_EPOCH + Duration::from_secs(1_000);
        for _ in 0..3 {
            assert_eq!(w.admit(t, 3), Ok(()));
        }
        assert_eq!(w.admit(t + Duration::from_millis(999), 3), Err(1));
        assert_eq!(w.admit(t + Duration::from_secs(1), 3), Ok(()));
        assert_eq!(w.admit(t, 0), Err(1));
    }
}
