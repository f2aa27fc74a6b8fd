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
use crate::bulk::hydrate;
use crate::bulk::job::{Cancelled, Export};
use crate::bulk::kickoffs;
use crate::bulk::reach::{Reach, parse_token_origin};
use crate::bulk::request::{ExportRequest, Level};
use crate::bulk::state::{STATE_FILE, State};
use crate::bulk::summary::Summary;
use crate::bulk::watch::{Unwatched, Watch};
use crate::cli::{ExportArgs, ExportLevelArg};
use crate::crawl::numbered;
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

// `--crawl`, `--since auto` and numbered exports (issue 20): their own
// module, in front of the bulk export below.
mod crawl;

pub async fn run(ctx: &RunContext, mut args: ExportArgs) -> Result<()> {
    // `--hydrate` alone hydrates what `--out` holds (the newest export of a
    // numbered series too), before a series would number a new export.
    if !args.crawl
        && let Some(h) = hydrate_options(ctx, &args)?
        && let Some(dir) = hydrate_only_dir(&args, &mode(&args)?)?
    {
        return hydrate_existing(ctx, &args, &dir, &h).await;
    }
    let series = crawl::series(&mut args)?;
    let crawl_dir = args.out.as_deref().is_some_and(crawl::is_crawl_dir);
    if args.crawl || (args.resume && crawl_dir) {
        return crawl::run(ctx, args, series).await;
    }
    let fresh = !(args.resume || args.status || args.cancel);
    let (out, fhir_args) = (args.out.clone(), args.fhir.clone());
    let result = run_bulk(ctx, args).await;
    if let (Some(s), Some(out)) = (&series, &out) {
        crawl::finish_series(s, out)?;
    }
    match result {
        // Only what a server answered (a 404 or 403 to the kick-off) is
        // worth a look at its CapabilityStatement.
        Err(e) if fresh && matches!(e.kind, Kind::Server | Kind::Auth) => {
            Err(crawl::hint_crawl(ctx, &fhir_args, out.as_deref(), e).await)
        }
        r => r,
    }
}

async fn run_bulk(ctx: &RunContext, args: ExportArgs) -> Result<()> {
    let start = std::time::Instant::now();
    let mode = mode(&args)?;
    let hydration = hydrate_options(ctx, &args)?;
    // Checked before any request, like every other flag.
    let flag_origins: Vec<url::Origin> = args
        .token_origins
        .iter()
        .map(|o| parse_token_origin(o))
        .collect::<Result<_>>()?;
    let dir = match (&args.out, &mode) {
        (Some(d), _) => d.clone(),
        (None, Mode::Start(_)) => default_out(),
        (None, _) => {
            return Err(Error::usage(
                "--resume, --status and --cancel need --out DIR (the directory of the export)",
            ));
        }
    };
    // Data from disk: a state that cannot be read, or that fails its
    // checks, stops everything here, before any request or write.
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
        (Mode::Resume | Mode::Status | Mode::Cancel, Some(s)) => {
            ours(ctx, &dir, &s.job)?;
        }
        _ => {}
    }
    // Made (0700) before the kick-off so that a directory that cannot be
    // made fails before a job exists; removed again if the kick-off fails.
    let made_dir = if let Mode::Start(_) = mode {
        make_out_dir(&dir)?
    } else {
        false
    };
    let unmake = || {
        if made_dir {
            // Only if still empty: a job saved there stays.
            let _ = std::fs::remove_dir(&dir);
        }
    };

    let conn = match connect::connect(ctx, &args.fhir).await {
        Ok(c) => c,
        Err(e) => {
            unmake();
            return Err(e);
        }
    };
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
        http: Fetcher::client(&conn.http_options, &reach)?,
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
        log: std::sync::Mutex::new(None),
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

    let keep_job = args.keep_job;
    let work = async {
        let mut state = match (state, &req) {
            (Some(mut s), _) => {
                if s.export_id.is_empty() {
                    // A state from before the log: this run logs under a new id.
                    s.export_id = crate::event_log::new_export_id();
                }
                export.open_log(&s.export_id);
                s
            }
            (None, Some(r)) => {
                let s = export.kick_off(r, args.partial_manifests).await?;
                if let Err(e) = ctx
                    .env()
                    .state_dir()
                    .and_then(|sd| kickoffs::record(&sd, &s.job))
                {
                    export.watch.reporter().note(&format!(
                        "{}; --resume, --status and --cancel will refuse this job",
                        e.message
                    ));
                }
                s
            }
            (None, None) => unreachable!("a resume has a state"),
        };
        if state.manifest.is_none() {
            export.wait_for_manifest(&mut state).await?;
            if let Some(p) = &previous {
                for name in state.leftovers_of(p) {
                    let _ = crate::bulk::safe_fs::remove_if_there(&dir.join(name));
                }
                // What a hydration of the previous export added goes with it.
                hydrate::forget(&dir);
            }
        }
        let (summary, mut state, was_complete) = if state.complete {
            (Summary::of(&state, &dir, 0, Duration::ZERO), state, true)
        } else {
            let (s, st) = export.download(state).await?;
            (s, st, false)
        };
        // Every file is downloaded; checked and clean, the job may go.
        let delete = !keep_job && !state.job_deleted && summary.problems.is_empty();
        if delete {
            export.delete_finished(&mut state).await;
        }
        // One snapshot for "complete" and the DELETE (a crash between them
        // only means a DELETE sent again, which a 404 makes harmless).
        if delete || !was_complete {
            state.save(&dir)?;
        }
        Ok::<Summary, Error>(summary)
    };
    tokio::pin!(work);
    let result = until_stopped(&mut work, args.deadline).await;
    let mut summary = match result {
        Ok(r) => {
            clear();
            if r.is_err() && State::load(&dir).ok().flatten().is_none() {
                // Refused at kick-off: no empty directory left behind.
                unmake();
            }
            r?
        }
        Err(ctrl_c) => {
            if let Some(d) = &display {
                d.freeze();
            }
            let _ = stop_tx.send(true);
            let _ = tokio::time::timeout(WIND_DOWN, &mut work).await;
            if !ctrl_c {
                clear();
                return Err(Error::network(format!(
                    "the --deadline of {} passed; the export is saved in {}",
                    human_duration(args.deadline.unwrap_or_default()),
                    dir.display()
                ))
                .with_hint(format!("`{resume_cmd}` continues it")));
            }
            return interrupted(ctx, &export, &dir, &resume_cmd).await;
        }
    };
    summary.seconds = start.elapsed().as_secs_f64();
    // Hydration only once the export checked out.
    if let Some(h) = &hydration {
        if verdict(&summary).is_ok() {
            summary.hydration = Some(hydrate_with_ctrl_c(&dir, export.fhir.clone(), h).await?);
        } else {
            h.reporter.note(&format!(
                "not hydrated: the export did not check out; `smart export --hydrate --out {}` hydrates it as it is",
                dir.display()
            ));
        }
    }
    out::print_summary(&summary, ctx.json)?;
    verdict(&summary)?;
    match &summary.hydration {
        Some(r) => hydrate_verdict(r, &dir),
        None => Ok(()),
    }
}

/// `export-20261207-190501`: a new directory in the current one, never the
/// current directory itself (a second export there would mix with the
/// first's files).
fn default_out() -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    PathBuf::from(format!(
        "export-{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    ))
}

/// Makes `dir` (0700) if it is not there; whether it did.
fn make_out_dir(dir: &Path) -> Result<bool> {
    if std::fs::symlink_metadata(dir).is_ok() {
        crate::bulk::safe_fs::make_dir(dir)
            .map_err(|e| Error::usage(format!("cannot use {}: {e}", dir.display())))?;
        return Ok(false);
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::usage(format!("cannot create {}: {e}", parent.display())))?;
    }
    crate::bulk::safe_fs::make_dir(dir)
        .map_err(|e| Error::usage(format!("cannot create {}: {e}", dir.display())))?;
    Ok(true)
}

/// The job URL of a saved state is acted on only if a kick-off of this
/// user returned it ([`kickoffs`]).
fn ours(ctx: &RunContext, dir: &Path, job: &str) -> Result<()> {
    let sd = ctx.env().state_dir()?;
    if kickoffs::known(&sd, job)? {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{} is refused: its job URL {} was not returned by a kick-off of yours (not in {})",
        State::path(dir).display(),
        crate::redact::url_str(job),
        sd.join(kickoffs::RECORD_FILE).display()
    ))
    .with_hint("smart sends no request to a job it did not start; if you did start it with another SMART_STATE_DIR, use that one"))
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
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
    if req != ExportRequest::everything() || args.gzip || args.partial_manifests {
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

// Hydration (`--hydrate`, issue 20 §3): after an export, or on the
// directory of one that is finished.

/// The hydration's options from the flags; `None` without `--hydrate`.
/// Checked before any request, like every other flag.
fn hydrate_options(ctx: &RunContext, args: &ExportArgs) -> Result<Option<hydrate::Options>> {
    if !args.hydrate {
        return Ok(None);
    }
    if args.status || args.cancel {
        return Err(Error::usage(
            "--hydrate goes with an export (new or --resume) or alone with --out DIR, not with --status or --cancel",
        ));
    }
    let types: Vec<String> = if args.attachment_types.is_empty() {
        hydrate::attachments::DEFAULT_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect()
    } else {
        args.attachment_types
            .iter()
            .map(|t| t.trim().to_ascii_lowercase())
            .collect()
    };
    for t in &types {
        let ok = t.split_once('/').is_some_and(|(a, b)| {
            let token = |x: &str| {
                !x.is_empty()
                    && x.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
            };
            token(a) && token(b)
        });
        if !ok {
            return Err(Error::usage(format!(
                "--attachment-types `{}` is not a MIME type",
                crate::redact::printable(t)
            ))
            .with_hint("give types such as text/plain,text/html (no parameters, no wildcards)"));
        }
    }
    Ok(Some(hydrate::Options {
        parallel: usize::from(args.parallel),
        attachments: hydrate::attachments::Rules {
            types,
            max_bytes: args
                .attachment_max_size
                .unwrap_or(hydrate::attachments::DEFAULT_MAX),
            parallel: usize::from(args.parallel),
        },
        reporter: if args.fhir.quiet {
            crate::reporter::Reporter::default()
        } else {
            ctx.invocation.reporter.clone()
        },
    }))
}

/// `--out DIR` when `--hydrate` is to hydrate what DIR holds instead of
/// starting an export: no export parameters, and DIR holds a finished
/// export (or, with no state of `smart`'s, data files of another kind, such
/// as a crawl's). An unfinished export there is refused as for any start.
/// DIR may be the top of a `--since auto` series: then its newest finished
/// export is the one hydrated.
fn hydrate_only_dir(args: &ExportArgs, mode: &Mode) -> Result<Option<PathBuf>> {
    let (Mode::Start(req), Some(dir)) = (mode, &args.out) else {
        return Ok(None);
    };
    if **req != ExportRequest::everything() || args.gzip || args.partial_manifests || !dir.is_dir()
    {
        return Ok(None);
    }
    if !numbered::holds_plain_export(dir)
        && let Some(newest) = numbered::latest(dir)?
    {
        return Ok(Some(newest));
    }
    let finished = match State::load(dir)? {
        Some(s) => s.complete,
        None => !hydrate::layout::data_files(dir)?.is_empty(),
    };
    Ok(finished.then(|| dir.clone()))
}

/// `smart export --hydrate --out DIR`: no kick-off, only the hydration.
async fn hydrate_existing(
    ctx: &RunContext,
    args: &ExportArgs,
    dir: &Path,
    opts: &hydrate::Options,
) -> Result<()> {
    let conn = connect::connect(ctx, &args.fhir).await?;
    if let Some(s) = State::load(dir)?
        && s.fhir_base != conn.fhir.on_base().as_str()
    {
        return Err(Error::usage(format!(
            "the export in {} was made from {}, not from this profile's FHIR base {}",
            dir.display(),
            s.fhir_base,
            conn.fhir.on_base()
        ))
        .with_hint("use the profile it was made with (-p NAME)"));
    }
    let report = hydrate_with_ctrl_c(dir, Arc::new(conn.fhir), opts).await?;
    out::print_hydration(&report, ctx.json)?;
    hydrate_verdict(&report, dir)
}

/// Hydration until done or Ctrl-C (exit 130: what is written is whole,
/// and a run again fetches only what is still missing).
async fn hydrate_with_ctrl_c(
    dir: &Path,
    fhir: Arc<crate::fhir::client::Fhir>,
    opts: &hydrate::Options,
) -> Result<hydrate::Report> {
    tokio::select! {
        r = hydrate::run(dir, fhir, opts) => r,
        _ = tokio::signal::ctrl_c() => Err(Error::interrupted(
            "interrupted during hydration; the files written so far are whole",
        )
        .with_hint(format!(
            "`smart export --hydrate --out {}` fetches what is still missing",
            dir.display()
        ))),
    }
}

/// References or notes that could not be fetched (not those the server
/// says are gone or forbidden: that is the data) fail the command (exit 3).
fn hydrate_verdict(r: &hydrate::Report, dir: &Path) -> Result<()> {
    let failed = r.failed + r.attachments.failed;
    if failed == 0 {
        return Ok(());
    }
    Err(Error::server(format!(
        "hydration could not fetch {failed} referenced resource{} or note{} (listed above)",
        if failed == 1 { "" } else { "s" },
        if failed == 1 { "" } else { "s" }
    ))
    .with_hint(format!(
        "`smart export --hydrate --out {}` tries them again; what is there is not fetched again",
        dir.display()
    )))
}

/// `work` to its end, or `Err(true)` at Ctrl-C, `Err(false)` when
/// `deadline` (`--deadline`) has passed first: how an export or a crawl
/// runs. `work` is borrowed, so that a stopped run can still wind down.
async fn until_stopped<T>(
    work: &mut (impl std::future::Future<Output = T> + Unpin),
    deadline: Option<Duration>,
) -> std::result::Result<T, bool> {
    let deadline = async {
        match deadline {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = work => Ok(r),
        _ = tokio::signal::ctrl_c() => Err(true),
        _ = deadline => Err(false),
    }
}
