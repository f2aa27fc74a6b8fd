//! `smart sandbox` — see `crate::sandbox`. (Being built: the server is not wired in yet.)

use crate::cli::{GlobalArgs, SandboxArgs};
use crate::error::{Error, Result};

pub async fn run(_g: &GlobalArgs, args: SandboxArgs) -> Result<()> {
    if args.serve.faults.iter().any(|f| f == "help") {
        print!("{}", crate::sandbox::faults::help());
        return Ok(());
    }
    Err(Error::usage(
        "smart sandbox is not available in this build yet",
    ))
}
