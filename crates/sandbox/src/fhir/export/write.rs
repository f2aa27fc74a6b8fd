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
        let synthetic = spec.since.is_none_or(|s| s < SYNTHETIC_LAST_UPDATED);
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
            if spec.since.is_some_and(|s| v.last_updated <= s)
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
}

impl<'a> Files<'a> {
    fn new(dir: &'a Path, rtype: &'static str, limit: usize) -> Self {
        Files {
            dir,
            rtype,
            limit,
            open: None,
            done: Vec::new(),
        }
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        if self
            .open
            .as_ref()
            .is_some_and(|(_, o)| o.count as usize >= self.limit)
        {
            self.close()?;
        }
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
                };
                self.open
                    .insert((BufWriter::with_capacity(WRITE_BUFFER, f), o))
            }
        };
        w.write_all(line)?;
        w.write_all(b"\n")?;
        o.count += 1;
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
