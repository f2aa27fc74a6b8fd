//! Thin entry point: parse, run, print `smart: error: …`, exit with the
//! documented code (see `error.rs`).

use std::process::ExitCode;

use smart::cli::Cli;
use smart::commands::RunContext;
use smart::error::Error;
use smart::output;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are successes; every other parse failure is a
            // usage error, exit 1 (clap would use 2, which we reserve for the network).
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let ctx = RunContext::from_args(&cli.global);
    output::init_color(ctx.color);
    let json = ctx.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::print_error(
                &Error::usage(format!("cannot start the runtime: {e}")),
                json,
            );
            return ExitCode::from(1);
        }
    };
    // A closed stdout (`| head -1`) ends the command quietly with 0, as
    // ripgrep does; see `smart::stdout`.
    let ran = smart::stdout::guard(|| runtime.block_on(smart::commands::run(&ctx, cli.command)));
    match ran {
        Ok(Ok(())) | Err(None) => ExitCode::SUCCESS,
        Ok(Err(e)) | Err(Some(e)) => {
            output::print_error(&e, json);
            e.exit_code()
        }
    }
}
