//! Where output goes and how it looks: colors (decided once by the command
//! layer), JSON printing, the `smart: error: …` line, the shared status and
//! resource displays, and [`Reporter::stderr`]. It sits between the commands
//! and the domain: it may print domain values, and the domain never calls it
//! (it reports through a [`Reporter`] instead).

use colored::{Color, Colorize};
use serde::Serialize;
use std::io::IsTerminal;

use crate::error::Error;
pub use crate::reporter::{Notice, Reporter};

pub(crate) mod check;
pub(crate) mod crawl;
pub(crate) mod export;
pub(crate) mod progress;
pub(crate) mod render;
pub(crate) mod resource;
pub(crate) mod status;
mod table;

#[cfg(test)]
mod proptests;

/// README's `smart check` table, made from the check catalogue (a test
/// keeps README.md equal to it).
pub fn check_table() -> String {
    crate::check::catalogue::markdown_table()
}

/// Tells `colored` once whether stdout gets colors.
pub fn init_color(on: bool) {
    colored::control::set_override(on);
}

/// Whether stdout gets colors (as decided by [`init_color`]).
pub fn color() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

/// Warnings and notes on stderr: the reporter the command layer hands down.
impl Reporter {
    pub fn stderr() -> Reporter {
        Reporter::new(|notice, message| match notice {
            Notice::Warning => warn(message),
            Notice::Note => eprintln!("smart: {message}"),
        })
    }
}

/// Pretty JSON on stdout, newline-terminated.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> crate::error::Result<()> {
    // Streamed, not made into one string first: an export's summary lists
    // every file (MBs at 10,000 files). What the commands print are
    // structs and `Value`s with string keys, which serialize without
    // error, so nothing is left half-written.
    let mut out = std::io::BufWriter::with_capacity(64 << 10, crate::stdout::Stdout);
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| Error::usage(format!("cannot write JSON: {e}")))?;
    std::io::Write::write_all(&mut out, b"\n")
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| Error::usage(format!("cannot write JSON: {e}")))?;
    Ok(())
}

/// `smart: error: message` (and `  hint: …`) on stderr; JSON when asked.
pub fn print_error(err: &Error, json: bool) {
    if json {
        let mut v = serde_json::json!({
            "error": {
                "kind": err.kind.name(),
                "exit_code": err.kind.exit_code(),
                "message": err.message,
                "hint": err.hint,
            }
        });
        if !err.details.is_empty() {
            v["error"]["details"] = serde_json::json!(err.details);
        }
        if let Some(o) = &err.outcome {
            v["error"]["operation_outcome"] = (**o).clone();
        }
        eprintln!("{v}");
        return;
    }
    // Messages quote servers (OperationOutcome lines, names): printable only.
    let p = crate::redact::printable;
    eprintln!(
        "smart: {} {}",
        stderr_label("error:", Color::Red),
        p(&err.message)
    );
    for line in &err.details {
        eprintln!("  {}", p(line));
    }
    if let Some(h) = &err.hint {
        eprintln!("  hint: {}", p(h));
    }
}

/// A write error on stdout: a closed pipe (`| head`) ends the command
/// quietly; anything else is reported.
pub(crate) fn stdout_error(e: std::io::Error) -> Option<Error> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        None
    } else {
        Some(Error::usage(format!("cannot write to stdout: {e}")))
    }
}

/// A warning line on stderr.
pub fn warn(message: &str) {
    eprintln!(
        "smart: {} {message}",
        stderr_label("warning:", Color::Yellow)
    );
}

/// A bold colored label for stderr. Color follows the stdout decision,
/// except that a redirected stderr never gets escapes.
fn stderr_label(text: &str, color: Color) -> String {
    if colored::control::SHOULD_COLORIZE.should_colorize() && std::io::stderr().is_terminal() {
        text.color(color).bold().to_string()
    } else {
        text.to_owned()
    }
}

/// A left-aligned label column for human summaries.
pub(crate) fn label(text: &str, width: usize) -> String {
    format!("  {:<width$}", text).bold().to_string()
}
