//! Writing to stdout so that a reader who stops reading (`smart status |
//! head -1`) ends the command quietly instead of a panic and exit 101, the
//! way ripgrep does. `println!` panics on a closed pipe, so the crate prints
//! through `outln!` and `out!` instead (clippy's `disallowed-macros`
//! keeps `print!`/`println!` out).
//!
//! A failed write unwinds (with [`std::panic::resume_unwind`], which prints
//! nothing) to [`guard`] in `main`: unwinding runs every `Drop` on the way
//! (locks, temporary files), which a `process::exit` deep in a command would
//! skip, and no command needs a `Result` for each line it prints.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::error::Error;

/// `println!` on stdout that stops the command when stdout is gone.
macro_rules! outln {
    () => { $crate::stdout::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` on stdout that stops the command when stdout is gone.
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::write(format_args!($($arg)*)) };
}

/// The unwind payload of a write to stdout that failed.
enum Stopped {
    /// The reader went away (EPIPE): end quietly.
    Closed,
    /// Any other failure (a full disk): reported.
    Failed(String),
}

/// Writes to stdout; on failure, unwinds to [`guard`].
pub(crate) fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        stop(e)
    }
}

/// Stdout as an [`std::io::Write`] for streaming writers (JSON): a write
/// that fails stops the command like [`write()`] does.
pub(crate) struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = std::io::stdout().lock();
        match out.write_all(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => stop(e),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().lock().flush() {
            Ok(()) => Ok(()),
            Err(e) => stop(e),
        }
    }
}

/// Ends the command because a write to stdout failed with `e`.
pub(crate) fn stop(e: std::io::Error) -> ! {
    drop(std::io::stdout().lock());
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        resume_unwind(Box::new(Stopped::Closed))
    } else {
        resume_unwind(Box::new(Stopped::Failed(e.to_string())))
    }
}

/// Runs `f` (the whole command). A write to stdout that failed inside it
/// comes back as `Err`: `None` when the reader went away (exit quietly, 0),
/// `Some` error otherwise. Any real panic goes on as a panic.
pub fn guard<R>(f: impl FnOnce() -> R) -> Result<R, Option<Error>> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Ok(r),
        Err(payload) => match payload.downcast::<Stopped>() {
            Ok(stopped) => match *stopped {
                Stopped::Closed => Err(None),
                Stopped::Failed(e) => {
                    Err(Some(Error::usage(format!("cannot write to stdout: {e}"))))
                }
            },
            Err(other) => resume_unwind(other),
        },
    }
}
