//! Where output goes and how it looks: color decisions (flag, `NO_COLOR`,
//! TTY), JSON printing, and the `smart: error: …` line.

use colored::{Color, Colorize};
use serde::Serialize;
use std::io::{IsTerminal, Write};

use crate::cli::ColorChoice;
use crate::error::Error;

/// Decides once whether stdout gets colors, and tells `colored`.
pub fn init_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && std::io::stdout().is_terminal()
                // CI logs are read later, often as plain text.
                && !crate::oauth::browser::in_ci()
        }
    };
    colored::control::set_override(on);
}

/// Pretty JSON on stdout, newline-terminated.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> crate::error::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| Error::usage(format!("cannot write JSON: {e}")))?;
    writeln!(out).ok();
    Ok(())
}

/// `smart: error: message` (and `  hint: …`) on stderr; JSON when asked.
pub fn print_error(err: &Error, json: bool) {
    if json {
        let mut v = serde_json::json!({
            "error": {
                "kind": format!("{:?}", err.kind).to_lowercase(),
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
    eprintln!(
        "smart: {} {}",
        stderr_label("error:", Color::Red),
        err.message
    );
    for line in &err.details {
        eprintln!("  {line}");
    }
    if let Some(h) = &err.hint {
        eprintln!("  hint: {h}");
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
pub fn label(text: &str, width: usize) -> String {
    format!("  {:<width$}", text).bold().to_string()
}
