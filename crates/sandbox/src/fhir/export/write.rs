//! Writing a job's NDJSON files, on a blocking thread, resource by
//! resource: memory stays flat whatever the export's size, since only the
//! line being written is ever held.
//!
//! Synthetic resources are rendered straight from the seed without the
//! overlay lock; the ones written over (or created) since start-up are
//! taken from the overlay afterwards, so writes are never blocked for long
//! and no resource is written twice.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::super::facts::Facts;
use super::super::generate::{SYNTHETIC_LAST_UPDATED, SynId};
use super::super::search::{self, Query};
use super::super::store::{Key, Store, Version};
use super::super::types::{RType, RefField};
use super::job::{Job, Output};
use super::kickoff::{Cohort, Spec};

/// Patients between two looks at the cancel flag.
const CANCEL_EVERY: usize = 256;
const WRITE_BUFFER: usize = 256 * 1024;

pub(crate) const SUBSETTED: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

/// Writes every file of `spec` into `job.dir`; the outputs in manifest
/// order. Stops with `ErrorKind::Interrupted` once the job is cancelled.
pub(crate) fn run(
    store: &Store,
    spec: &Spec,
    job: &Job,
    file_lines: usize,
    with_errors: bool,
) -> io::Result<Vec<Output>> {
    let mut outputs = match spec.organize_by_patient {
        true => organized(store, spec, job, file_lines)?,
        false => by_type(store, spec, job, file_lines)?,
    };
    if with_errors {
        let mut files = Files::new(&job.dir, "OperationOutcome", usize::MAX);
        for t in &spec.types {
            let oo = json!({
                "resourceType": "OperationOutcome",
                "issue": [{
                    "severity": "error",
                    "code": "processing",
                    "diagnostics": format!("some {t} resources could not be exported (sandbox fault export-with-errors)"),
                }]
            });
            files.write(oo.to_string().as_bytes())?;
        }
        outputs.extend(
            files
                .finish()?
                .into_iter()
                .map(|o| Output { error: true, ..o }),
        );
    }
    Ok(outputs)
}

/// Whether a resource last updated at `t` (ms) is within `_since` and `_until`.
fn in_window(spec: &Spec, t: i64) -> bool {
    spec.since.is_none_or(|s| t > s) && spec.until.is_none_or(|u| t < u)
}

/// The files of one type each: `{Type}.{n}.ndjson`.
fn by_type(store: &Store, spec: &Spec, job: &Job, file_lines: usize) -> io::Result<Vec<Output>> {
    let patients = spec.cohort.synthetic_patients(store);
    let each_patient = || -> Box<dyn Iterator<Item = u32> + '_> {
        match &patients {
            Some(ps) => Box::new(ps.iter().copied()),
            None => Box::new(0..store.synth.patient_count()),
        }
    };
    let total: u64 = spec
        .types
        .iter()
        .map(|t| match t {
            t if t.is_shared() => store.synth.shared_count(*t) as u64,
            t => each_patient()
                .map(|p| store.synth.count_of(*t, p) as u64)
                .sum(),
        })
        .sum();
    job.total.store(total.max(1), Ordering::Relaxed);

    let mut outputs = Vec::new();
    let mut line = String::with_capacity(4096);
    for (i, &rtype) in spec.types.iter().enumerate() {
        job.current.store(i, Ordering::Relaxed);
        let mut files = Files::new(&job.dir, rtype.name(), file_lines.max(1));
        let keep = spec.elements.for_type(rtype);
        let filters = spec.filters.get(&rtype).map(Vec::as_slice).unwrap_or(&[]);
        let touched: HashSet<SynId> = store.touched(&store.read(), rtype).into_iter().collect();
        // Synthetic resources were all last updated at start-up's reference day.
        let synthetic = in_window(spec, SYNTHETIC_LAST_UPDATED);
        let emit = |line: &mut String, files: &mut Files| -> io::Result<()> {
            if let Some(keep) = &keep {
                subset(line, keep);
            }
            files.write(line.as_bytes())
        };
        let mut ids = Vec::new();
        let mut one = |ids: &[SynId], files: &mut Files| -> io::Result<()> {
            for &id in ids {
                if touched.contains(&id) {
                    continue;
                }
                if !filters.is_empty() && !matches_any(&store.synth.facts(id), filters) {
                    continue;
                }
                line.clear();
                store.synth.render(id, &mut line);
                emit(&mut line, files)?;
            }
            job.done.fetch_add(ids.len() as u64, Ordering::Relaxed);
            Ok(())
        };
        if rtype.is_shared() {
            store.synth.enumerate(rtype, None, &mut ids);
            if synthetic {
                one(&ids, &mut files)?;
            }
        } else {
            for (n, p) in each_patient().enumerate() {
                if n % CANCEL_EVERY == 0 && job.cancelled.load(Ordering::Relaxed) {
                    return Err(io::ErrorKind::Interrupted.into());
                }
                ids.clear();
                store.synth.enumerate(rtype, Some(&[p]), &mut ids);
                if synthetic {
                    one(&ids, &mut files)?;
                } else {
                    job.done.fetch_add(ids.len() as u64, Ordering::Relaxed);
                }
            }
        }
        for v in written(store, rtype, &touched) {
            let Some(facts) = store.facts(rtype, &v) else {
                continue;
            };
            if !in_window(spec, v.last_updated)
                || !in_cohort(store, &spec.cohort, rtype, &facts)
                || (!filters.is_empty() && !matches_any(&facts, filters))
            {
                continue;
            }
            let mut line = String::new();
            store.render(&v, &mut line);
            emit(&mut line, &mut files)?;
        }
        if job.cancelled.load(Ordering::Relaxed) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        outputs.extend(files.finish()?);
    }
    Ok(outputs)
}

/// `organizeOutputBy=Patient`: `output.{n}.ndjson` files of patient
/// blocks, each a `Parameters` header naming the patient, then the
/// patient's resources of the requested types; a block is never split
/// across files (a file closes at a block's end once it has its lines).
/// Practitioners, in no patient's compartment, are left out, as the IG
/// allows. The manifest's `count` is of resources, headers not counted.
fn organized(store: &Store, spec: &Spec, job: &Job, file_lines: usize) -> io::Result<Vec<Output>> {
    let patients = spec.cohort.synthetic_patients(store);
    let each_patient = || -> Box<dyn Iterator<Item = u32> + '_> {
        match &patients {
            Some(ps) => Box::new(ps.iter().copied()),
            None => Box::new(0..store.synth.patient_count()),
        }
    };
    let types: Vec<RType> = spec
        .types
        .iter()
        .copied()
        .filter(|t| *t != RType::Practitioner)
        .collect();
    job.total
        .store((each_patient().count() as u64).max(1), Ordering::Relaxed);
    // What was written over or created since start-up, by patient: few,
    // so held in memory.
    let mut touched: Vec<HashSet<SynId>> = Vec::new();
    let mut extra: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for &t in &types {
        let set: HashSet<SynId> = store.touched(&store.read(), t).into_iter().collect();
        let filters = spec.filters.get(&t).map(Vec::as_slice).unwrap_or(&[]);
        for v in written(store, t, &set) {
            let Some(facts) = store.facts(t, &v) else {
                continue;
            };
            let patient = match t {
                RType::Patient => Some(facts.id.to_string()),
                _ => facts.refs.iter().find_map(|(field, r)| match field {
                    RefField::Subject => r.strip_prefix("Patient/").map(str::to_owned),
                    _ => None,
                }),
            };
            let Some(patient) = patient else { continue };
            if !in_window(spec, v.last_updated)
                || !spec.cohort.has_patient(store, &patient)
                || (!filters.is_empty() && !matches_any(&facts, filters))
            {
                continue;
            }
            let mut line = String::new();
            store.render(&v, &mut line);
            if let Some(keep) = spec.elements.for_type(t) {
                subset(&mut line, &keep);
            }
            extra.entry(patient).or_default().push(line);
        }
        touched.push(set);
    }
    let synthetic = in_window(spec, SYNTHETIC_LAST_UPDATED);
    let mut files = Files::new(&job.dir, "output", file_lines.max(1));
    let mut ids = Vec::new();
    let mut line = String::with_capacity(4096);
    let mut block: Vec<String> = Vec::new();
    for (n, p) in each_patient().enumerate() {
        if n % CANCEL_EVERY == 0 && job.cancelled.load(Ordering::Relaxed) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let pid = SynId::Patient(p).id();
        for (i, &t) in types.iter().enumerate() {
            if !synthetic {
                break;
            }
            let filters = spec.filters.get(&t).map(Vec::as_slice).unwrap_or(&[]);
            let keep = spec.elements.for_type(t);
            ids.clear();
            store.synth.enumerate(t, Some(&[p]), &mut ids);
            for &id in &ids {
                if touched[i].contains(&id)
                    || (!filters.is_empty() && !matches_any(&store.synth.facts(id), filters))
                {
                    continue;
                }
                line.clear();
                store.synth.render(id, &mut line);
                if let Some(keep) = &keep {
                    subset(&mut line, keep);
                }
                block.push(line.clone());
            }
        }
        block.extend(extra.remove(&pid).unwrap_or_default());
        write_block(&pid, &mut block, &mut files)?;
        job.done.fetch_add(1, Ordering::Relaxed);
    }
    // Created patients, and resources of patients the sandbox did not make.
    for (pid, lines) in std::mem::take(&mut extra) {
        block.extend(lines);
        write_block(&pid, &mut block, &mut files)?;
    }
    if job.cancelled.load(Ordering::Relaxed) {
        return Err(io::ErrorKind::Interrupted.into());
    }
    Ok(files
        .finish()?
        .into_iter()
        .map(|o| Output { mixed: true, ..o })
        .collect())
}

/// The current versions of the written-over (`touched`) and created
/// resources of a type, taken out of the overlay so the lock is held only
/// for this.
fn written(store: &Store, rtype: RType, touched: &HashSet<SynId>) -> Vec<Version> {
    let ov = store.read();
    let mut keys: Vec<Key> = touched.iter().copied().map(Key::Syn).collect();
    keys.sort_unstable();
    keys.extend(store.created(&ov, rtype));
    keys.into_iter()
        .filter_map(|k| store.resolve(&ov, rtype, k))
        .collect()
}

fn matches_any(f: &Facts, queries: &[Query]) -> bool {
    queries
        .iter()
        .any(|q| q.filters.iter().all(|flt| search::matches(f, flt)))
}

/// One patient's block: its header, then its lines (none: no block).
fn write_block(patient: &str, block: &mut Vec<String>, files: &mut Files) -> io::Result<()> {
    if block.is_empty() {
        return Ok(());
    }
    files.start_block()?;
    let header = json!({
        "resourceType": "Parameters",
        "parameter": [{"name": "header", "valueReference": {"reference": format!("Patient/{patient}")}}]
    });
    files.write_header(header.to_string().as_bytes())?;
    for l in block.drain(..) {
        files.write(l.as_bytes())?;
    }
    Ok(())
}

/// Is a written resource in the cohort's compartments? Synthetic ones are
/// by construction (they are enumerated per patient).
fn in_cohort(store: &Store, cohort: &Cohort, rtype: RType, f: &Facts) -> bool {
    if matches!(cohort, Cohort::Everything) {
        return true;
    }
    let patient = match rtype {
        RType::Patient => Some(f.id.as_ref()),
        _ => f.refs.iter().find_map(|(field, r)| match field {
            RefField::Subject => r.strip_prefix("Patient/"),
            _ => None,
        }),
    };
    patient.is_some_and(|p| cohort.has_patient(store, p))
}

/// `_elements`: keeps the listed top-level elements (and what identifies
/// the resource) and tags it SUBSETTED, as FHIR asks of partial resources.
fn subset(line: &mut String, keep: &[&str]) {
    let Ok(Value::Object(mut o)) = serde_json::from_str::<Value>(line) else {
        return;
    };
    o.retain(|k, _| {
        matches!(k.as_str(), "resourceType" | "id" | "meta") || keep.contains(&k.as_str())
    });
    let meta = o.entry("meta").or_insert_with(|| json!({}));
    if let Some(m) = meta.as_object_mut() {
        let tags = m.entry("tag").or_insert_with(|| json!([]));
        if let Some(t) = tags.as_array_mut() {
            t.push(json!({"system": SUBSETTED, "code": "SUBSETTED"}));
        }
    }
    *line = Value::Object(o).to_string();
}

/// The files of one type: `{Type}.1.ndjson`, `{Type}.2.ndjson`, … of at
/// most `limit` lines each, opened only when there is a line for them.
struct Files<'a> {
    dir: &'a Path,
    rtype: &'static str,
    limit: usize,
    open: Option<(BufWriter<File>, Output)>,
    done: Vec<Output>,
    /// Closed between blocks only ([`Files::start_block`]).
    blocks: bool,
}

impl<'a> Files<'a> {
    fn new(dir: &'a Path, rtype: &'static str, limit: usize) -> Self {
        Files {
            dir,
            rtype,
            limit,
            open: None,
            done: Vec::new(),
            blocks: false,
        }
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        if !self.blocks
            && self
                .open
                .as_ref()
                .is_some_and(|(_, o)| o.count as usize >= self.limit)
        {
            self.close()?;
        }
        self.line(line, true)
    }

    /// Files of blocks: a file is closed only between blocks, once full.
    fn start_block(&mut self) -> io::Result<()> {
        self.blocks = true;
        if self
            .open
            .as_ref()
            .is_some_and(|(_, o)| o.count as usize >= self.limit)
        {
            self.close()?;
        }
        Ok(())
    }

    /// A block's header: a line, but not a resource of the export.
    fn write_header(&mut self, line: &[u8]) -> io::Result<()> {
        self.line(line, false)
    }

    fn line(&mut self, line: &[u8], counted: bool) -> io::Result<()> {
        let (w, o) = match &mut self.open {
            Some(open) => open,
            None => {
                let name = format!("{}.{}.ndjson", self.rtype, self.done.len() + 1);
                let f = File::create(self.dir.join(&name))?;
                let o = Output {
                    rtype: self.rtype,
                    name,
                    count: 0,
                    len: 0,
                    error: false,
                    mixed: false,
                };
                self.open
                    .insert((BufWriter::with_capacity(WRITE_BUFFER, f), o))
            }
        };
        w.write_all(line)?;
        w.write_all(b"\n")?;
        o.count += u64::from(counted);
        o.len += line.len() as u64 + 1;
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some((w, o)) = self.open.take() {
            w.into_inner().map_err(|e| e.into_error())?;
            self.done.push(o);
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Vec<Output>> {
        self.close()?;
        Ok(self.done)
    }
}
