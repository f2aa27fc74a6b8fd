//! Where code below the commands sends what it has to say (warnings, notes)
//! instead of printing it. The command layer makes the reporter
//! (`Reporter::stderr`, in `output`) and hands it down; this module is part
//! of the ground, so the domain depends on it and not on `output`.

use std::sync::Arc;

/// What code below the commands has to say while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `smart: warning: …`: something the user should know about.
    Warning,
    /// `smart: …`: progress, e.g. a retry being waited for.
    Note,
}

/// Where domain code sends warnings and notes instead of printing them: the
/// command layer makes one ([`Reporter::stderr`]) and hands it down, so that
/// it alone decides where they go. The default says nothing.
#[derive(Clone, Default)]
pub struct Reporter(Option<Arc<ReportFn>>);

type ReportFn = dyn Fn(Notice, &str) + Send + Sync;

impl Reporter {
    pub fn new(f: impl Fn(Notice, &str) + Send + Sync + 'static) -> Reporter {
        Reporter(Some(Arc::new(f)))
    }

    /// True for the default reporter, which says nothing.
    pub fn is_silent(&self) -> bool {
        self.0.is_none()
    }

    pub fn warn(&self, message: &str) {
        self.report(Notice::Warning, message);
    }

    pub fn note(&self, message: &str) {
        self.report(Notice::Note, message);
    }

    fn report(&self, notice: Notice, message: &str) {
        if let Some(f) = &self.0 {
            f(notice, message);
        }
    }
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Reporter"
        } else {
            "Reporter(silent)"
        })
    }
}
