//! Reading a secret from the person or the pipe on stdin (`--secret-stdin`,
//! `smart profile set-secret`): never from an argument, where it would land
//! in the shell history and the process list.

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
