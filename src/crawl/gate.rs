//! How fast a crawl may go: at most `--max-rate` requests a second across
//! all its searches, and when the server answers 429 or 503 with
//! `Retry-After`, every search waits that long — not only the one that was
//! told — so a crawl of many parallel searches backs off as one client.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct Gate {
    /// Seconds between two requests (`None`: no limit).
    interval: Option<Duration>,
    inner: Mutex<Slots>,
}

struct Slots {
    /// The earliest the next request may go.
    next: Instant,
}

impl Gate {
    pub fn new(max_rate: Option<f64>) -> Gate {
        Gate {
            interval: max_rate
                .filter(|r| *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            inner: Mutex::new(Slots {
                next: Instant::now(),
            }),
        }
    }

    /// Waits for this request's turn.
    pub async fn pass(&self) {
        let at = {
            let mut s = self.inner.lock().await;
            self.reserve(&mut s, Instant::now())
        };
        tokio::time::sleep_until(at).await;
    }

    /// When a request asking at `now` may go; books the slot.
    fn reserve(&self, s: &mut Slots, now: Instant) -> Instant {
        let at = s.next.max(now);
        // No rate: only a pause holds requests back.
        s.next = self.interval.map_or(at, |i| at + i);
        at
    }

    /// The server asked everyone to wait `d`.
    pub async fn pause(&self, d: Duration) {
        let mut s = self.inner.lock().await;
        let until = Instant::now() + d;
        if until > s.next {
            s.next = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_and_a_pause_holds_everyone() {
        let now = Instant::now();
        let g = Gate::new(Some(10.0));
        let mut s = Slots { next: now };
        let slots: Vec<Duration> = (0..3).map(|_| g.reserve(&mut s, now) - now).collect();
        assert_eq!(
            slots,
            [
                Duration::ZERO,
                Duration::from_millis(100),
                Duration::from_millis(200)
            ]
        );
        // A pause of 3 s: the next slot is after it.
        s.next = now + Duration::from_secs(3);
        assert_eq!(g.reserve(&mut s, now) - now, Duration::from_secs(3));
        let free = Gate::new(None);
        let mut s = Slots { next: now };
        assert_eq!(free.reserve(&mut s, now), now);
        assert_eq!(free.reserve(&mut s, now), now);
    }
}
