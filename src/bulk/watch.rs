//! What an export tells whoever watches it while it runs: a line for the
//! job, and one per file being downloaded. The command layer decides what
//! that looks like (progress bars on a terminal, nothing otherwise); the
//! domain only reports.

use crate::reporter::Reporter;

pub trait Watch: Send + Sync {
    /// The job's line: the server's progress while polling, then the
    /// download's totals.
    fn job(&self, line: &str);
    /// A file starts downloading; the handle is dropped when it ends.
    fn file(&self, name: &str) -> Box<dyn FileWatch>;
    /// Where notes and warnings go while the display is up.
    fn reporter(&self) -> Reporter;
}

pub trait FileWatch: Send + Sync {
    /// (Re)starts at byte `at` of `total`, when the length is known.
    fn start(&self, at: u64, total: Option<u64>);
    fn advance(&self, bytes: u64);
}

/// Shows nothing; notes go to the reporter.
pub struct Unwatched(pub Reporter);

struct NoFile;

impl FileWatch for NoFile {
    fn start(&self, _: u64, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
}

impl Watch for Unwatched {
    fn job(&self, _: &str) {}
    fn file(&self, _: &str) -> Box<dyn FileWatch> {
        Box::new(NoFile)
    }
    fn reporter(&self) -> Reporter {
        self.0.clone()
    }
}
