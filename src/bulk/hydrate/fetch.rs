//! Reading referenced resources, `parallel` at a time, through the FHIR
//! client: the token only under the FHIR base, a refresh on 401, 429/503
//! tried again after `Retry-After` (capped by `--max-retry-wait`). What
//! comes back must be the resource asked for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use futures_util::StreamExt;
use serde_json::Value;

use super::layout::TypeWriter;
use crate::error::{Kind, Result};
use crate::fhir::client::{Fhir, Request};

/// What one read gave.
#[derive(Debug)]
pub enum Got {
    /// The resource, as one JSON line and as read.
    Resource(Vec<u8>, Value),
    /// 404 or 410: the reference points at nothing (now).
    NotFound,
    /// 403: the token may not read it.
    Refused,
    /// Anything else: a network error, a 5xx after its retries, an answer
    /// that is not the resource.
    Failed(String),
}

/// GET `[base]/Type/id`. Errors that end the whole run (the token is
/// refused and cannot be refreshed) are `Err`.
pub async fn one(fhir: &Fhir, key: &str) -> Result<Got> {
    let mut url = fhir.url(key)?;
    fhir.with_format(&mut url);
    let req = Request::get(url);
    let resp = match fhir.send_passing(&req, &[403, 404, 410]).await {
        Ok(r) => r,
        Err(e) if e.kind == Kind::Auth => return Err(e),
        Err(e) => return Ok(Got::Failed(format!("{key}: {}", e.message))),
    };
    match resp.status.as_u16() {
        404 | 410 => return Ok(Got::NotFound),
        403 => return Ok(Got::Refused),
        _ => {}
    }
    let (rtype, id) = key.split_once('/').expect("keys are Type/id");
    let v: Value = match serde_json::from_slice(&resp.body) {
        Ok(v) => v,
        Err(e) => return Ok(Got::Failed(format!("{key}: the answer is not JSON ({e})"))),
    };
    let got_type = v.get("resourceType").and_then(Value::as_str);
    let got_id = v.get("id").and_then(Value::as_str);
    if got_type != Some(rtype) || got_id != Some(id) {
        return Ok(Got::Failed(format!(
            "{key}: the server answered with {}/{} instead",
            crate::redact::printable(got_type.unwrap_or("(no type)")),
            crate::redact::printable(got_id.unwrap_or("(no id)"))
        )));
    }
    // One line whatever the server's layout (pretty-printed JSON spans many).
    let line = serde_json::to_vec(&v).expect("a parsed value serializes");
    Ok(Got::Resource(line, v))
}

/// How a batch of reads went.
#[derive(Debug, Default)]
pub struct Batch {
    pub fetched: BTreeMap<String, u64>,
    pub not_found: u64,
    pub refused: u64,
    pub failed: Vec<String>,
    /// What the resources fetched reference in turn (kept instead of the
    /// resources: a round of Observations would not fit in memory).
    pub wanted: BTreeSet<String>,
    pub off_base: u64,
    /// Files written, and resources in each.
    pub files: Vec<(String, u64)>,
}

/// Reads `keys` (`Type/id`, each once), `parallel` at a time, into new
/// files of `dir` (`next`: the first free number per type).
pub async fn batch(
    fhir: &Fhir,
    dir: &Path,
    keys: Vec<String>,
    parallel: usize,
    next: impl Fn(&str) -> u64,
) -> Result<Batch> {
    let mut out = Batch::default();
    let mut writers: BTreeMap<String, TypeWriter> = BTreeMap::new();
    let mut answers = futures_util::stream::iter(keys)
        .map(|k| async move {
            let got = one(fhir, &k).await;
            (k, got)
        })
        .buffer_unordered(parallel.max(1));
    while let Some((key, got)) = answers.next().await {
        let rtype = key.split_once('/').map_or("", |(t, _)| t).to_owned();
        match got? {
            Got::Resource(line, v) => {
                let w = writers
                    .entry(rtype.clone())
                    .or_insert_with(|| TypeWriter::new(dir, &rtype, next(&rtype)));
                w.write(&line)?;
                *out.fetched.entry(rtype).or_insert(0) += 1;
                let found = super::refs::wanted(&v, fhir.on_base());
                out.off_base += found.off_base;
                out.wanted.extend(found.local);
            }
            Got::NotFound => out.not_found += 1,
            Got::Refused => out.refused += 1,
            Got::Failed(why) => out.failed.push(why),
        }
    }
    for (_, mut w) in writers {
        w.settle()?;
        out.files.append(&mut w.settled);
    }
    Ok(out)
}
