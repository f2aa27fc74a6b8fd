//! Progress displays on stderr, all on `indicatif`: the one-line bar of
//! `smart query --all`, and `smart export`'s lines (one for the job, one per
//! file being downloaded). Commands build them only when stderr is a
//! terminal (and not `--quiet`, not CI), so scripts and logs never see them;
//! drawing is limited to ten times a second.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bulk::watch::{FileWatch, Watch};
use crate::reporter::{Notice, Reporter};

const HZ: u8 = 10;

/// One look for every bar, drawn by hand (`query_line`) or by indicatif
/// (an export's files): `[######------]`, 24 wide.
const BAR_FILLED: char = '#';
const BAR_EMPTY: char = '-';
const BAR_WIDTH: usize = 24;

fn style(template: &str) -> ProgressStyle {
    let template = template.replace("{bar}", &format!("{{bar:{BAR_WIDTH}}}"));
    ProgressStyle::with_template(&template)
        .expect("static progress template")
        .progress_chars(&format!("{BAR_FILLED}{BAR_EMPTY}"))
}

/// `smart query --all`: count, total when the server gave one, and rate.
pub struct QueryProgress {
    bar: Option<ProgressBar>,
    start: Instant,
    total: Option<u64>,
}

impl QueryProgress {
    pub fn new(on: bool) -> Self {
        let bar = on.then(|| {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(HZ))
                .with_style(style("{msg}"))
        });
        QueryProgress {
            bar,
            start: Instant::now(),
            total: None,
        }
    }

    pub fn set_total(&mut self, total: Option<u64>) {
        if self.total.is_none() {
            self.total = total;
        }
    }

    pub fn update(&mut self, count: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(query_line(count, self.total, self.start.elapsed()));
        }
    }

    /// Removes the bar, leaving the terminal as it was.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for QueryProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `[######------------------] 250/1000 resources, 830/s`, or without a
/// total `250 resources, 830/s`.
pub fn query_line(count: usize, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = count as f64 / secs;
    match total {
        Some(t) if t > 0 => {
            let frac = (count as f64 / t as f64).min(1.0);
            let filled = (frac * BAR_WIDTH as f64).round() as usize;
            format!(
                "[{}{}] {count}/{t} resources, {rate:.0}/s",
                String::from(BAR_FILLED).repeat(filled),
                String::from(BAR_EMPTY).repeat(BAR_WIDTH - filled)
            )
        }
        _ => format!("{count} resources, {rate:.0}/s"),
    }
}

/// `smart export` on a terminal: the job's line on top, a line per file
/// being downloaded under it.
pub struct ExportProgress {
    multi: MultiProgress,
    job: ProgressBar,
}

impl ExportProgress {
    pub fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(HZ));
        let job =
            multi.add(ProgressBar::new_spinner().with_style(style("{spinner} {msg} ({elapsed})")));
        job.enable_steady_tick(Duration::from_millis(250));
        ExportProgress { multi, job }
    }

    /// Removes every line (before a prompt, a summary or an error).
    pub fn clear(&self) {
        self.job.disable_steady_tick();
        self.job.finish_and_clear();
        self.multi.remove(&self.job);
        let _ = self.multi.clear();
    }
}

impl ExportProgress {
    /// Leaves the last frame as it is and draws no more (Ctrl-C): the
    /// terminal's `^C` echo has moved the cursor below the lines, where a
    /// clear would wipe the wrong ones. The next output starts on a line
    /// of its own.
    pub fn freeze(&self) {
        self.job.disable_steady_tick();
        self.multi.set_draw_target(ProgressDrawTarget::hidden());
        eprintln!();
    }
}

impl Default for ExportProgress {
    fn default() -> Self {
        Self::new()
    }
}

/// A file being downloaded: a bar when its size is known.
fn file_style(size_known: bool) -> ProgressStyle {
    style(if size_known {
        "  {msg:32} [{bar}] {bytes}/{total_bytes} {bytes_per_sec}"
    } else {
        "  {msg:32} {bytes} {bytes_per_sec}"
    })
}

struct FileLine {
    multi: MultiProgress,
    bar: ProgressBar,
}

impl FileWatch for FileLine {
    fn start(&self, at: u64, total: Option<u64>) {
        self.bar.set_style(file_style(total.is_some()));
        match total {
            Some(t) => self.bar.set_length(t),
            None => self.bar.unset_length(),
        }
        self.bar.set_position(at);
        self.bar.reset_eta();
    }

    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
}

impl Drop for FileLine {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        self.multi.remove(&self.bar);
    }
}

impl Watch for ExportProgress {
    fn job(&self, line: &str) {
        self.job.set_message(line.to_owned());
    }

    fn file(&self, name: &str) -> Box<dyn FileWatch> {
        let bar = self.multi.add(
            ProgressBar::no_length()
                .with_style(style("  {msg:32} {bytes}"))
                .with_message(Cow::Owned(name.to_owned())),
        );
        Box::new(FileLine {
            multi: self.multi.clone(),
            bar,
        })
    }

    /// Notes and warnings printed above the lines, not through them.
    fn reporter(&self) -> Reporter {
        let multi = self.multi.clone();
        let plain = Reporter::stderr();
        Reporter::new(move |notice, message| {
            multi.suspend(|| match notice {
                Notice::Warning => plain.warn(message),
                Notice::Note => plain.note(message),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_line_with_and_without_a_total() {
        let s = Duration::from_secs(2);
        assert_eq!(
            query_line(250, Some(1000), s),
            "[######------------------] 250/1000 resources, 125/s"
        );
        assert_eq!(query_line(250, None, s), "250 resources, 125/s");
        assert_eq!(query_line(250, Some(0), s), "250 resources, 125/s");
        // More than announced: a full bar, not an overflow.
        assert!(query_line(2000, Some(1000), s).starts_with(&format!("[{}]", "#".repeat(24))));
    }

    /// A terminal that keeps what is drawn on it.
    #[derive(Debug, Default, Clone)]
    struct Screen(std::sync::Arc<std::sync::Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_exports_file_bar_looks_like_the_query_bar() {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(
            Some(100),
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        bar.set_style(file_style(true));
        bar.set_position(50);
        bar.finish();
        let drawn = screen.0.lock().unwrap().clone();
        let query = query_line(50, Some(100), Duration::from_secs(1));
        let query_bar = &query[..query.find(']').unwrap() + 1];
        assert_eq!(query_bar, format!("[{}{}]", "#".repeat(12), "-".repeat(12)));
        assert!(drawn.contains(query_bar), "{drawn:?} vs {query_bar}");
    }

    #[test]
    fn an_off_bar_draws_nothing_and_stays_off() {
        let mut p = QueryProgress::new(false);
        p.set_total(Some(10));
        p.update(5);
        assert!(p.bar.is_none());
        p.finish();
    }
}
