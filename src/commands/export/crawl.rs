//! `smart export --crawl`, and what numbered exports (`--since auto`) need
//! of every `smart export`: the command layer over [`crate::crawl`].
//!
//! Like a bulk export, everything the command line can get wrong is refused
//! before the first request, the directory's state is checked before
//! anything is written, and Ctrl-C (or `--deadline`) leaves the crawl
//! resumable.

use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::super::RunContext;
use super::super::connect;
use crate::bulk::manifest::Part;
use crate::bulk::summary::{ErrorDigest, FileSummary, Summary};
use crate::bulk::watch::{Unwatched, Watch};
use crate::cli::{ExportArgs, ExportLevelArg};
use crate::crawl::cohort::{self, Source};
use crate::crawl::gate::Gate;
use crate::crawl::numbered;
use crate::crawl::plan::{Capability, plan};
use crate::crawl::run::Crawl;
use crate::crawl::state::{CrawlState, file_name};
use crate::error::{Error, Result};
use crate::event_log::{EventId, EventLog};
use crate::fhir::client::{Fhir, Request};
use crate::output::crawl::{CrawlFacts, CrawlSummary, print_summary};
use crate::output::progress::ExportProgress;

/// How long a stopped crawl may take to journal what finished.
const WIND_DOWN: Duration = Duration::from_secs(5);

/// An export that is one of a numbered series in `top` (`--since auto`,
/// or a DIR that already holds numbered exports).
#[derive(Debug)]
pub struct Series {
    pub top: PathBuf,
    /// The finished exports before this one.
    pub earlier: Vec<PathBuf>,
}

/// Resolves `--since auto` and numbered directories before anything else:
/// `args.out` becomes the export's own subdirectory (the next number, or
/// for `--resume`/`--status`/`--cancel` the unfinished newest one) and
/// `args.since` the start of the last finished export (none: a whole
/// export). A DIR without numbered exports and without `--since auto` is
/// left as it is: one export, as `smart export --out DIR` always made.
pub fn series(args: &mut ExportArgs) -> Result<Option<Series>> {
    let auto = args.since.as_deref() == Some("auto");
    let Some(top) = args.out.clone() else {
        if auto {
            return Err(Error::usage(
                "--since auto needs --out DIR (the directory of the earlier exports)",
            ));
        }
        return Ok(None);
    };
    let numbered_dir = !numbered::exports(&top).is_empty() && !numbered::holds_plain_export(&top);
    if args.resume || args.status || args.cancel {
        if auto {
            return Err(Error::usage(
                "--since auto starts a new export; --resume, --status and --cancel take none",
            ));
        }
        if numbered_dir {
            let Some(last) = numbered::unfinished(&top) else {
                return Err(
                    Error::usage(format!("every export in {} is finished", top.display()))
                        .with_hint("start the next one with --since auto"),
                );
            };
            args.out = Some(last);
            return Ok(Some(Series {
                top,
                earlier: Vec::new(),
            }));
        }
        return Ok(None);
    }
    if !auto && !numbered_dir {
        return Ok(None);
    }
    let next = numbered::next(&top)?;
    args.out = Some(next.dir);
    if auto {
        args.since = next.since;
    }
    Ok(Some(Series {
        top,
        earlier: next.earlier,
    }))
}

/// After an export of a series: `DIR/latest` points at it once finished.
pub fn finish_series(series: &Series, export: &Path) -> Result<()> {
    if numbered::finished(export).is_some() {
        numbered::point_latest(&series.top, export)?;
    }
    Ok(())
}

/// Is `dir` a crawl's (so `--resume`/`--status` there mean the crawl)?
pub fn is_crawl_dir(dir: &Path) -> bool {
    std::fs::symlink_metadata(CrawlState::path(dir)).is_ok()
}

/// The cohort as the command line gives it, checked offline.
fn source(args: &ExportArgs) -> Result<Source> {
    let from_group = match (args.level, &args.group_id) {
        (ExportLevelArg::Group, Some(id)) => {
            if !cohort::is_fhir_id(id) {
                return Err(Error::usage(format!(
                    "`{}` is not a FHIR id",
                    crate::redact::printable(id)
                )));
            }
            Some(id.clone())
        }
        (ExportLevelArg::Group, None) => {
            return Err(Error::usage(
                "`group` needs the group's id: smart export --crawl group ID",
            ));
        }
        (_, Some(id)) => {
            return Err(Error::usage(format!(
                "`{}` takes no group id (only `group ID` does)",
                crate::redact::printable(id)
            )));
        }
        _ => None,
    };
    let given = [
        from_group.is_some(),
        args.patients_from.is_some(),
        !args.patients.is_empty(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(Error::usage(
            "give the crawl's patients one way: `group ID`, --patients FILE|DIR or --patient ID,…",
        ));
    }
    if args.id_system.is_some()
        && args.patients_from.as_ref().is_none_or(|p| p.is_dir())
        && args.patients.is_empty()
    {
        return Err(Error::usage(
            "--id-system is for the values of --patients FILE or --patient",
        ));
    }
    Ok(match (from_group, &args.patients_from) {
        (Some(id), _) => Source::Group(id),
        (None, Some(p)) if p.is_dir() => Source::Dir(p.clone()),
        (None, Some(p)) => Source::File(p.clone()),
        (None, None) if !args.patients.is_empty() => Source::Ids(args.patients.clone()),
        (None, None) => Source::System,
    })
}

/// Flags of a bulk export that a crawl has no use for are refused, not
/// ignored (they would mean the result is not what was asked).
fn refuse_bulk_only(args: &ExportArgs) -> Result<()> {
    let bulk_only: [(&str, bool); 8] = [
        ("--type-filter", !args.type_filters.is_empty()),
        ("--elements", !args.elements.is_empty()),
        ("--organize-output-by", args.organize_output_by.is_some()),
        (
            "--include-associated-data",
            !args.include_associated_data.is_empty(),
        ),
        ("--param", !args.params.is_empty()),
        ("--post", args.post),
        ("--gzip", args.gzip),
        ("--partial-manifests", args.partial_manifests),
    ];
    if let Some((flag, _)) = bulk_only.iter().find(|(_, on)| *on) {
        return Err(Error::usage(format!(
            "{flag} is a bulk export parameter; a crawl (--crawl) does not take it"
        )));
    }
    if args.status || args.cancel {
        return Err(Error::usage(
            "a crawl has no job at the server: --status and --cancel are for bulk exports; --resume continues a crawl",
        ));
    }
    for (flag, v) in [("--since", &args.since), ("--until", &args.until)] {
        if let Some(v) = v {
            crate::bulk::request::check_instant(flag, v)?;
        }
    }
    if let Some(s) = &args.id_system
        && (s.is_empty() || s.contains('|') || s.chars().any(char::is_whitespace))
    {
        return Err(Error::usage(format!(
            "--id-system `{}` is not an identifier system URI",
            crate::redact::printable(s)
        )));
    }
    Ok(())
}

/// The Patient ids of the earlier exports of a series: a crawl's cohort,
/// or a bulk export's Patient files.
fn earlier_patients(earlier: &[PathBuf]) -> HashSet<String> {
    let mut out = HashSet::new();
    for d in earlier {
        if let Ok(Some(s)) = CrawlState::load(d) {
            out.extend(s.patients);
        }
        if let Ok(ids) = cohort::read_dir(d) {
            out.extend(ids);
        }
    }
    out
}

/// A FHIR instant for now, to the second (UTC).
fn instant_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

pub async fn run(ctx: &RunContext, args: ExportArgs, series: Option<Series>) -> Result<()> {
    let start = std::time::Instant::now();
    refuse_bulk_only(&args)?;
    let hydration = super::hydrate_options(ctx, &args)?;
    let dir = match &args.out {
        Some(d) => d.clone(),
        None if args.resume => {
            return Err(Error::usage(
                "--resume needs --out DIR (the directory of the crawl)",
            ));
        }
        None => super::default_out(),
    };
    let saved = CrawlState::load(&dir)?;
    let resume_cmd = super::resume_command(ctx, series.as_ref().map_or(&dir, |s| &s.top));
    let src = if args.resume {
        if args.level != ExportLevelArg::System
            || args.group_id.is_some()
            || !args.types.is_empty()
            || args.since.is_some()
            || args.until.is_some()
            || args.patients_from.is_some()
            || !args.patients.is_empty()
        {
            return Err(Error::usage(
                "--resume continues the crawl saved in --out DIR as it was started; give no level, types, patients or window with it",
            ));
        }
        match &saved {
            None => {
                return Err(Error::usage(format!(
                    "no crawl saved in {} (no {})",
                    dir.display(),
                    crate::crawl::state::STATE_FILE
                ))
                .with_hint("start one with `smart export --crawl --out DIR`"));
            }
            Some(s) if s.complete => {
                return Err(Error::usage(format!(
                    "the crawl in {} is complete; there is nothing to resume",
                    dir.display()
                ))
                .with_hint("a new crawl into it replaces it; --since auto adds to it"));
            }
            Some(_) => None,
        }
    } else {
        if let Some(s) = &saved
            && !s.complete
        {
            return Err(Error::usage(format!(
                "{} holds a crawl that is not finished",
                dir.display()
            ))
            .with_hint(format!(
                "`{resume_cmd} --crawl` continues it; or choose another --out"
            )));
        }
        if let Some(b) = crate::bulk::state::State::load(&dir)?
            && !b.complete
        {
            return Err(Error::usage(format!(
                "{} holds a bulk export that is not finished",
                dir.display()
            ))
            .with_hint("finish it with `smart export --resume`, or choose another --out"));
        }
        Some(source(&args)?)
    };
    if src.is_some() {
        super::make_out_dir(&dir)?;
    }

    let conn = connect::connect(ctx, &args.fhir).await?;
    let fhir = Arc::new(conn.fhir);
    let reporter = if args.fhir.quiet {
        crate::reporter::Reporter::default()
    } else {
        ctx.invocation.reporter.clone()
    };
    let display =
        (!args.fhir.quiet && !ctx.verbose && std::io::stderr().is_terminal() && !ctx.env().in_ci())
            .then(|| Arc::new(ExportProgress::new()));
    let watch: Arc<dyn Watch> = match &display {
        Some(d) => d.clone(),
        None => Arc::new(Unwatched(reporter.clone())),
    };
    let clear = || {
        if let Some(d) = &display {
            d.clear();
        }
    };

    let mut left_out = BTreeMap::new();
    let mut state = match (saved, src) {
        (Some(s), None) => {
            if s.fhir_base != fhir.on_base().as_str() {
                clear();
                return Err(Error::usage(format!(
                    "the crawl in {} was started on {}, not on this profile's FHIR base {}",
                    dir.display(),
                    s.fhir_base,
                    fhir.on_base()
                ))
                .with_hint("use the profile it was started with (-p NAME)"));
            }
            s
        }
        (previous, Some(src)) => {
            watch.job("crawl: reading the CapabilityStatement");
            let cap = capability(&fhir).await?;
            let p = plan(&cap, &args.types, conn.scope.as_deref())?;
            left_out = p.left_out.into_iter().collect();
            watch.job(&format!("crawl: finding the patients ({})", src.describe()));
            let started = instant_now();
            let (patients, not_found) = cohort::resolve(
                &fhir,
                &src,
                args.id_system.as_deref(),
                usize::from(args.parallel),
            )
            .await?;
            if not_found > 0 {
                watch.reporter().note(&format!(
                    "{not_found} identifier{} found no Patient; left out of the crawl",
                    if not_found == 1 { "" } else { "s" }
                ));
            }
            let whole: Vec<u32> = match (&args.since, &series) {
                (Some(_), Some(s)) if !s.earlier.is_empty() => {
                    let known = earlier_patients(&s.earlier);
                    (0..patients.len() as u32)
                        .filter(|i| !known.contains(&patients[*i as usize]))
                        .collect()
                }
                _ => Vec::new(),
            };
            // A finished export here is replaced: its files that this one
            // will not write over would pass for part of it.
            if let Some(prev) = previous {
                for t in prev.files.keys() {
                    let _ = crate::bulk::safe_fs::remove_if_there(&dir.join(file_name(t)));
                }
            }
            if let Ok(Some(prev)) = crate::bulk::state::State::load(&dir) {
                for f in prev.files.iter().filter_map(|f| f.done.as_ref()) {
                    let _ = crate::bulk::safe_fs::remove_if_there(&dir.join(&f.path));
                }
                let _ = prev.remove(&dir);
            }
            let mut s = CrawlState::new(
                fhir.on_base().as_str(),
                crate::event_log::new_export_id(),
                src.describe(),
                started,
                args.since.clone(),
                args.until.clone(),
                p.types,
                patients,
                whole,
            );
            s.save(&dir)?;
            log_kickoff(&dir, &s, &fhir, &src, &reporter);
            s
        }
        (None, None) => unreachable!("a resume has a state"),
    };

    let log = EventLog::open(&dir, &state.export_id).ok();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let crawl = Crawl {
        fhir: fhir.clone(),
        dir: dir.clone(),
        parallel: usize::from(args.parallel),
        gate: Arc::new(Gate::new(args.max_rate)),
        watch: watch.clone(),
        stop,
    };
    let ran = {
        let work = crawl.run(&mut state);
        tokio::pin!(work);
        let result = super::until_stopped(&mut work, args.deadline).await;
        match result {
            Ok(r) => {
                clear();
                r.map_err(|e| e.or_hint(format!("`{resume_cmd}` continues the crawl")))?
            }
            Err(ctrl_c) => {
                if let Some(d) = &display {
                    d.freeze();
                }
                let _ = stop_tx.send(true);
                let _ = tokio::time::timeout(WIND_DOWN, &mut work).await;
                clear();
                let e = if ctrl_c {
                    Error::interrupted("interrupted; the crawl is saved")
                } else {
                    Error::network(format!(
                        "the --deadline passed; the crawl is saved in {}",
                        dir.display()
                    ))
                };
                return Err(e.with_hint(format!("`{resume_cmd}` continues it")));
            }
        }
    };
    state.complete = true;
    state.save(&dir)?;
    let mut summary = summarize(&state, &dir, &ran, start.elapsed().as_secs_f64(), left_out);
    if let Some(log) = &log {
        let _ = log.event(
            EventId::StatusComplete,
            json!({ "transactionTime": state.started }),
        );
        let _ = log.event(
            EventId::ExportComplete,
            json!({
                "files": summary.summary.files,
                "resources": summary.summary.resources.values().sum::<u64>(),
                "bytes": summary.summary.bytes,
                "attachments": 0,
                "duration": (summary.summary.seconds * 1000.0) as u64,
            }),
        );
    }
    // Hydration reads what the crawl's resources reference, as after a
    // bulk export; the series points at this export once that is done.
    if let Some(h) = &hydration {
        summary.summary.hydration = Some(super::hydrate_with_ctrl_c(&dir, fhir.clone(), h).await?);
    }
    if let Some(s) = &series {
        finish_series(s, &dir)?;
    }
    print_summary(&summary, ctx.json)?;
    if let Some(r) = &summary.summary.hydration {
        super::hydrate_verdict(r, &dir)?;
    }
    if !summary.summary.problems.is_empty() {
        return Err(Error::server(format!(
            "{} search answer{} did not hold what a search returns (listed above)",
            summary.summary.problems.len(),
            if summary.summary.problems.len() == 1 {
                ""
            } else {
                "s"
            }
        )));
    }
    Ok(())
}

/// The CapabilityStatement, read for the crawl's plan.
async fn capability(fhir: &Fhir) -> Result<Capability> {
    let resp = fhir.send_json(&Request::get(fhir.url("metadata")?)).await?;
    let v: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|e| Error::server(format!("GET metadata: not JSON ({e})")))?;
    if v["resourceType"] != "CapabilityStatement" {
        return Err(Error::server(
            "GET metadata: the answer is not a CapabilityStatement",
        ));
    }
    Ok(Capability::parse(&v))
}

/// bulk-data-client's `kickoff` line, as SMART Fetch writes one for its
/// crawls: the `$export` URL the crawl stands in for (Cumulus ETL reads the
/// group name from it) and the crawl's parameters.
fn log_kickoff(
    dir: &Path,
    s: &CrawlState,
    fhir: &Fhir,
    src: &Source,
    reporter: &crate::reporter::Reporter,
) {
    let url = match src {
        Source::Group(id) => format!("{}Group/{id}/$export", fhir.base()),
        _ => format!("{}$export", fhir.base()),
    };
    let types: Vec<&str> = s.types.iter().map(|t| t.name.as_str()).collect();
    let logged = EventLog::open(dir, &s.export_id).and_then(|log| {
        log.event(
            EventId::Kickoff,
            json!({
                "exportUrl": crate::event_log::url(&url),
                "errorCode": null,
                "errorBody": null,
                "softwareName": null,
                "softwareVersion": null,
                "softwareReleaseDate": null,
                "fhirVersion": null,
                "requestParameters": {
                    "crawl": true,
                    "patients": s.patients.len(),
                    "_type": types.join(","),
                    "_since": s.since,
                },
                "responseHeaders": {},
                "logVersion": "2",
            }),
        )
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", log.path().display())))
    });
    if let Err(e) = logged {
        reporter.note(&e.message);
    }
}

fn summarize(
    state: &CrawlState,
    dir: &Path,
    ran: &crate::crawl::run::Ran,
    seconds: f64,
    left_out: BTreeMap<String, String>,
) -> CrawlSummary {
    let mut file_list = Vec::new();
    let mut resources = BTreeMap::new();
    let mut bytes = 0;
    for (t, m) in state.files.iter().filter(|(_, m)| m.count > 0) {
        bytes += m.len;
        resources.insert(t.clone(), m.count);
        file_list.push(FileSummary {
            path: file_name(t),
            part: Part::Output,
            rtype: t.clone(),
            resources: m.count,
            expected: None,
            bytes: m.len,
        });
    }
    CrawlSummary {
        summary: Summary {
            job: format!("crawl of {}", state.cohort_source),
            transaction_time: state.started.clone(),
            dir: dir.display().to_string(),
            files: file_list.len(),
            file_list,
            resources,
            bytes,
            // Written by this run: the search answers around them are not
            // what "fetched" means for the files.
            transferred: ran.written_bytes,
            seconds,
            download_seconds: ran.seconds,
            throughput: if ran.seconds > 0.0 {
                ran.written_bytes as f64 / ran.seconds
            } else {
                0.0
            },
            problems: ran.problems.clone(),
            errors: ErrorDigest::default(),
            hydration: None,
        },
        crawl: CrawlFacts {
            patients: state.patients.len(),
            types: state.types.iter().map(|t| t.name.clone()).collect(),
            requests: ran.requests,
            since: state.since.clone(),
            whole_history: state.whole.len(),
            refused: state.refused.clone(),
            left_out,
        },
    }
}

/// A bulk export that failed before the server took a job: if the
/// server's CapabilityStatement has no `export` operation, the error says
/// that `--crawl` gets the data without one.
pub async fn hint_crawl(
    ctx: &RunContext,
    fhir_args: &crate::cli::FhirArgs,
    out: Option<&Path>,
    e: Error,
) -> Error {
    if out.is_some_and(|d| matches!(crate::bulk::state::State::load(d), Ok(Some(_)))) {
        return e;
    }
    let Ok(conn) = connect::connect(ctx, fhir_args).await else {
        return e;
    };
    match capability(&conn.fhir).await {
        Ok(cap) if !cap.has_export => e.with_hint(
            "this server's CapabilityStatement has no $export operation: `smart export --crawl` gets the same data with FHIR searches",
        ),
        _ => e,
    }
}
