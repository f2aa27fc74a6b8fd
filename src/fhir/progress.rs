//! A one-line progress bar on stderr for `smart query --all`: count, total
//! when the server gave one, and rate. Hand-rolled because it is one line of
//! text redrawn at most ten times a second; only shown when stderr is a
//! terminal and not `--quiet`, so scripts and logs never see it.

use std::io::Write;
use std::time::{Duration, Instant};

pub struct Progress {
    on: bool,
    start: Instant,
    last: Option<Instant>,
    total: Option<u64>,
    drawn: bool,
}

impl Progress {
    pub fn new(on: bool) -> Self {
        Progress {
            on,
            start: Instant::now(),
            last: None,
            total: None,
            drawn: false,
        }
    }

    pub fn set_total(&mut self, total: Option<u64>) {
        if self.total.is_none() {
            self.total = total;
        }
    }

    pub fn update(&mut self, count: usize) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        self.draw(count);
    }

    fn draw(&mut self, count: usize) {
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = count as f64 / secs;
        let line = match self.total {
            Some(t) if t > 0 => {
                let frac = (count as f64 / t as f64).min(1.0);
                let filled = (frac * 24.0).round() as usize;
                format!(
                    "[{}{}] {count}/{t} resources, {rate:.0}/s",
                    "#".repeat(filled),
                    "-".repeat(24 - filled)
                )
            }
            _ => format!("{count} resources, {rate:.0}/s"),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Removes the bar, leaving the terminal as it was.
    pub fn finish(&mut self) {
        if self.on && self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
