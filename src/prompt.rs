//! Reading a secret from the person or the pipe on stdin (`--secret-stdin`,
//! `smart profile set-secret`): never from an argument, where it would land
//! in the shell history and the process list. And yes/no questions, asked
//! only of a person at a terminal.

use std::io::{BufRead, IsTerminal};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// One line from stdin; a hidden prompt when stdin is a terminal, unless
/// `in_ci` (nobody is there to answer).
pub fn read_secret_stdin(in_ci: bool) -> Result<Secret> {
    if std::io::stdin().is_terminal() {
        if in_ci {
            return Err(
                Error::auth("CI is set: smart does not prompt for the client secret")
                    .with_hint("pipe it to stdin, or set SMART_CLIENT_SECRET"),
            );
        }
        let s = rpassword::prompt_password("Client secret: ")
            .map_err(|e| Error::usage(format!("cannot read the secret: {e}")))?;
        if s.is_empty() {
            return Err(Error::usage("no secret given"));
        }
        return Ok(Secret::new(s));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::usage(format!("cannot read the secret from stdin: {e}")))?;
    let s = line.trim_end_matches(['\r', '\n']);
    if s.is_empty() {
        return Err(Error::usage("no secret on stdin (expected one line)"));
    }
    Ok(Secret::new(s))
}

/// Whether a person can be asked: stdin and stderr are terminals and CI is
/// not set. Otherwise a question must be an error naming the flag instead.
pub fn can_ask(in_ci: bool) -> bool {
    !in_ci && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks `question` on stderr and reads the answer from stdin; anything but
/// yes is no. Call only when [`can_ask`].
pub fn confirm(question: &str) -> Result<bool> {
    use std::io::Write;
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::usage(format!("cannot read the answer: {e}")))?;
    Ok(is_yes(&line))
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_is_yes() {
        for a in ["y\n", "Y", " yes \r\n", "YES"] {
            assert!(is_yes(a), "{a:?}");
        }
        for a in ["", "\n", "n", "no", "yess", "y es", "sure"] {
            assert!(!is_yes(a), "{a:?}");
        }
    }
}
