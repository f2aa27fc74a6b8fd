//! `smart export [system | patient | group ID]`: a FHIR Bulk Data export
//! from kick-off to checked files in `--out DIR`, resumable (`--resume`),
//! with `--status` and `--cancel` for the job saved in DIR.
//!
//! Everything the command line can get wrong is refused before the first
//! request (even before a backend token is fetched). Ctrl-C stops the work,
//! leaving the state file right; on a terminal it asks whether to cancel the
//! job at the server, otherwise it says how to resume. Exit 130 either way.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::RunContext;
use super::connect;
use crate::bulk::download::Fetcher;
use crate::bulk::job::{Cancelled, Export};
use crate::bulk::reach::{Reach, parse_token_origin};
use crate::bulk::request::{ExportRequest, Level};
use crate::bulk::state::{STATE_FILE, State};
use crate::bulk::summary::Summary;
use crate::bulk::watch::{Unwatched, Watch};
use crate::cli::{ExportArgs, ExportLevelArg};
use crate::error::{Error, Kind, Result};
use crate::output::export as out;
use crate::output::progress::ExportProgress;
use crate::prompt;

/// How long a stopped export may take to wind down (a kick-off in flight
/// finishing, so that its job is saved) before it is dropped.
const WIND_DOWN: Duration = Duration::from_secs(5);

enum Mode {
    Start(Box<ExportRequest>),
    Resume,
    Status,
    Cancel,
}

pub async fn run(ctx: &RunContext, args: ExportArgs) -> Result<()> {
    let start = std::time::Instant::now();
    let mode = mode(&args)?;
    // Checked before any request, like every other flag.
    let flag_origins: Vec<url::Origin> = args
        .token_origins
        .iter()
        .map(|o| parse_token_origin(o))
        .collect::<Result<_>>()?;
    let dir = args.out.clone();
    let saved = State::load(&dir)?;
    let resume_cmd = resume_command(ctx, &dir);
    match (&mode, &saved) {
        (Mode::Start(_), Some(s)) if !s.complete => {
            return Err(Error::usage(format!(
                "{} holds an export that is not finished (job {})",
                dir.display(),
                crate::redact::url_str(&s.job)
            ))
            .with_hint(format!(
                "`{resume_cmd}` continues it; `--cancel` cancels it; or choose another --out"
            )));
        }
        (Mode::Resume | Mode::Status | Mode::Cancel, None) => {
            return Err(Error::usage(format!(
                "no export saved in {} (no {STATE_FILE})",
                dir.display()
            ))
            .with_hint("start one with `smart export --out DIR`; --resume, --status and --cancel use the one saved there"));
        }
        _ => {}
    }
    if let Mode::Start(_) = mode {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::usage(format!("cannot create {}: {e}", dir.display())))?;
    }

    let conn = connect::connect(ctx, &args.fhir).await?;
    if let Some(s) = &saved
        && !matches!(mode, Mode::Start(_))
        && s.fhir_base != conn.fhir.on_base().as_str()
    {
        return Err(Error::usage(format!(
            "the export in {} was started on {}, not on this profile's FHIR base {}",
            dir.display(),
            s.fhir_base,
            conn.fhir.on_base()
        ))
        .with_hint("use the profile it was started with (-p NAME)"));
    }
    // Only for a run that takes a while; `-v` traces go to stderr as they
    // come, which a display would garble.
    let long_run = matches!(mode, Mode::Start(_) | Mode::Resume);
    let display = (long_run
        && !args.fhir.quiet
        && !ctx.verbose
        && std::io::stderr().is_terminal()
        && !ctx.env().in_ci())
    .then(|| Arc::new(ExportProgress::new()));
    let watch: Arc<dyn Watch> = match &display {
        Some(d) => d.clone(),
        None if args.fhir.quiet => Arc::new(Unwatched(crate::reporter::Reporter::default())),
        None => Arc::new(Unwatched(ctx.invocation.reporter.clone())),
    };
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let token_origins = match flag_origins {
        o if o.is_empty() => profile_token_origins(&conn.profile)?,
        o => o,
    };
    let reach = Reach::for_base(conn.fhir.on_base()).await;
    let export = Export {
        http: Fetcher::client(&ctx.http_options(false), &reach)?,
        fhir: Arc::new(conn.fhir),
        token_origins,
        reach,
        dir: dir.clone(),
        parallel: usize::from(args.parallel),
        gzip: saved
            .as_ref()
            .filter(|_| !matches!(mode, Mode::Start(_)))
            .map_or(args.gzip, |s| s.gzip),
        watch,
        stop,
    };
    let clear = || {
        if let Some(d) = &display {
            d.clear();
        }
    };

    // A new export into a DIR that holds a finished one replaces its files.
    let previous = saved
        .as_ref()
        .filter(|s| s.complete && matches!(mode, Mode::Start(_)))
        .cloned();
    let (state, req) = match mode {
        Mode::Status => {
            let s = saved.expect("checked above");
            let status = export.poll_once(&s).await;
            clear();
            return out::print_status(&s.job, &status?, s.complete, ctx.json);
        }
        Mode::Cancel => {
            let s = saved.expect("checked above");
            let cancelled = export.cancel(&s).await;
            clear();
            let known = cancelled? == Cancelled::Yes;
            s.remove(&dir)?;
            return out::print_cancelled(&s.job, known, ctx.json);
        }
        Mode::Resume => (saved, None),
        Mode::Start(req) => (None, Some(req)),
    };

    let work = async {
        let mut state = match (state, &req) {
            (Some(s), _) => s,
            (None, Some(r)) => export.kick_off(r).await?,
            (None, None) => unreachable!("a resume has a state"),
        };
        if state.manifest.is_none() {
            export.wait_for_manifest(&mut state).await?;
            if let Some(p) = &previous {
                for name in state.leftovers_of(p) {
                    let _ = std::fs::remove_file(dir.join(name));
                }
            }
        }
        if state.complete {
            return Ok(Summary::of(&state, &dir, 0, Duration::ZERO));
        }
        export.download(state).await
    };
    tokio::pin!(work);
    let result = tokio::select! {
        r = &mut work => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    let mut summary = match result {
        Some(r) => {
            clear();
            r?
        }
        None => {
            if let Some(d) = &display {
                d.freeze();
            }
            let _ = stop_tx.send(true);
            let _ = tokio::time::timeout(WIND_DOWN, &mut work).await;
            return interrupted(ctx, &export, &dir, &resume_cmd).await;
        }
    };
    summary.seconds = start.elapsed().as_secs_f64();
    out::print_summary(&summary, ctx.json)?;
    verdict(&summary)
}

/// The mode and, for a new export, its checked request.
fn mode(args: &ExportArgs) -> Result<Mode> {
    let level = match (args.level, &args.group_id) {
        (ExportLevelArg::Group, Some(id)) => Level::Group(id.clone()),
        (ExportLevelArg::Group, None) => {
            return Err(Error::usage(
                "`group` needs the group's id: smart export group ID",
            ));
        }
        (_, Some(id)) => {
            return Err(Error::usage(format!(
                "`{}` takes no group id (only `group ID` does)",
                crate::redact::printable(id)
            )));
        }
        (ExportLevelArg::System, None) => Level::System,
        (ExportLevelArg::Patient, None) => Level::Patient,
    };
    let req = ExportRequest {
        level,
        types: args.types.clone(),
        since: args.since.clone(),
        type_filters: args.type_filters.clone(),
        elements: args.elements.clone(),
        patients: args.patients.clone(),
        output_format: args.output_format.clone(),
        until: args.until.clone(),
        organize_output_by: args.organize_output_by.clone(),
        include_associated_data: args.include_associated_data.clone(),
        extra: args.params.clone(),
        lenient: args.lenient,
        post: args.post,
    };
    if !(args.resume || args.status || args.cancel) {
        req.check()?;
        return Ok(Mode::Start(Box::new(req)));
    }
    let flag = if args.resume {
        "--resume"
    } else if args.status {
        "--status"
    } else {
        "--cancel"
    };
    if req != ExportRequest::everything() || args.gzip {
        return Err(Error::usage(format!(
            "{flag} works on the export saved in --out DIR, as it was started; give no level or export parameters with it"
        )));
    }
    Ok(if args.resume {
        Mode::Resume
    } else if args.status {
        Mode::Status
    } else {
        Mode::Cancel
    })
}

/// The profile's `token_origins` (used when no `--token-origin` is given).
fn profile_token_origins(profile: &crate::config::Profile) -> Result<Vec<url::Origin>> {
    profile
        .token_origins
        .iter()
        .map(|o| {
            parse_token_origin(o)
                .map_err(|e| Error::usage(format!("the profile's token_origins: {}", e.message)))
        })
        .collect()
}

/// Exit status once the summary is out: files that do not check out, or
/// errors the server reported, fail the command (exit 3).
fn verdict(s: &Summary) -> Result<()> {
    if !s.problems.is_empty() {
        return Err(Error::server(format!(
            "{} problem{} in the downloaded files (listed above)",
            s.problems.len(),
            if s.problems.len() == 1 { "" } else { "s" }
        ))
        .with_hint("the files are kept as they came; the server sent something else than its manifest says"));
    }
    if s.errors.errors > 0 {
        return Err(Error::server(format!(
            "the server reported {} error{} for this export (in {}/error/)",
            s.errors.errors,
            if s.errors.errors == 1 { "" } else { "s" },
            s.dir
        )));
    }
    Ok(())
}

/// After Ctrl-C: offer to cancel the job on a terminal; else say how to
/// resume. Exit 130.
async fn interrupted(
    ctx: &RunContext,
    export: &Export,
    dir: &Path,
    resume_cmd: &str,
) -> Result<()> {
    let Ok(Some(state)) = State::load(dir) else {
        return Err(Error::interrupted(
            "interrupted before the server accepted an export job",
        ));
    };
    if state.complete {
        return Err(Error::interrupted("interrupted; the export was complete"));
    }
    if prompt::can_ask(ctx.env().in_ci()) && ask("Cancel the export job at the server?").await {
        return match export.cancel(&state).await {
            Ok(_) => {
                state.remove(dir)?;
                Err(Error::interrupted(
                    "interrupted; the export job is cancelled at the server",
                ))
            }
            Err(e) => Err(Error {
                kind: Kind::Interrupted,
                message: format!("interrupted; cancelling the job failed: {}", e.message),
                ..e
            }
            .with_hint(format!(
                "`{resume_cmd}` continues it; `--cancel` tries again"
            ))),
        };
    }
    Err(
        Error::interrupted("interrupted; the export job keeps running at the server")
            .with_hint(format!("resume with `{resume_cmd}`")),
    )
}

/// A yes/no question; a second Ctrl-C is a no. The answer is read on a
/// thread of its own, which a second Ctrl-C leaves behind (the process
/// exits right after).
async fn ask(question: &str) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let q = question.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(prompt::confirm(&q).unwrap_or(false));
    });
    tokio::select! {
        r = rx => r.unwrap_or(false),
        _ = tokio::signal::ctrl_c() => {
            eprintln!();
            false
        }
    }
}

/// `smart [-p NAME] export --resume --out DIR`, for hints.
fn resume_command(ctx: &RunContext, dir: &Path) -> String {
    let profile = ctx
        .invocation
        .profile_name()
        .map_or(String::new(), |p| format!(" -p {p}"));
    let dir: PathBuf = dir.to_path_buf();
    format!("smart{profile} export --resume --out {}", dir.display())
}
