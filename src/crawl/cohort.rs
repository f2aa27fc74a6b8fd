//! Who a crawl is about: the members of a Group, the ids (or identifiers)
//! in a file, the Patients of an earlier export's directory, or every
//! Patient the token may search. Resolved once, at the start, into plain
//! Patient ids that the crawl's state keeps (a resume crawls the same
//! people even if the Group has changed since).

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use futures_util::{StreamExt, stream};
use serde::Deserialize;

pub use super::names::is_fhir_id;
use crate::error::{Error, Result};
use crate::fhir::client::{Fhir, Request};
use crate::fhir::pages::{BundleView, next_url};

/// Where the cohort comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Every Patient the token may search.
    System,
    /// `Group/{id}`'s members.
    Group(String),
    /// `--patient a,b`: ids as given.
    Ids(Vec<String>),
    /// `--patients FILE`: ids (or identifiers) one a line, or CSV.
    File(PathBuf),
    /// `--patients DIR`: the Patient files of an earlier export.
    Dir(PathBuf),
}

impl Source {
    /// For the log and the summary: `system`, `Group/x`, a file's name.
    pub fn describe(&self) -> String {
        match self {
            Source::System => "system".into(),
            Source::Group(id) => format!("Group/{id}"),
            Source::Ids(ids) => format!("{} patients", ids.len()),
            Source::File(p) | Source::Dir(p) => p.display().to_string(),
        }
    }
}

/// The values of a `--patients` file and whether they are identifiers
/// (an `MRN` column) rather than ids: one a line, or CSV whose header has
/// an `ID` or `MRN` column (case does not matter). Blank lines and lines
/// starting with `#` are skipped.
pub fn read_file(path: &Path) -> Result<(Vec<String>, bool)> {
    let f = std::fs::File::open(path)
        .map_err(|e| Error::usage(format!("cannot read --patients {}: {e}", path.display())))?;
    let mut lines = std::io::BufReader::new(f)
        .lines()
        .map(|l| l.map(|l| l.trim_end_matches('\r').to_owned()))
        .filter(|l| {
            !l.as_ref()
                .is_ok_and(|l| l.trim().is_empty() || l.starts_with('#'))
        });
    let read_err =
        |e: std::io::Error| Error::usage(format!("cannot read --patients {}: {e}", path.display()));
    let Some(first) = lines.next().transpose().map_err(read_err)? else {
        return Err(Error::usage(format!(
            "--patients {} holds no patients",
            path.display()
        )));
    };
    let header: Vec<String> = split_csv(&first)
        .into_iter()
        .map(|h| h.trim().to_ascii_uppercase())
        .collect();
    let column = ["ID", "MRN"]
        .iter()
        .find_map(|c| header.iter().position(|h| h == c).map(|i| (i, *c == "MRN")));
    let mut out = Vec::new();
    match column {
        Some((col, mrn)) => {
            for (n, l) in lines.enumerate() {
                let l = l.map_err(read_err)?;
                let v = split_csv(&l).into_iter().nth(col).unwrap_or_default();
                let v = v.trim();
                if v.is_empty() {
                    return Err(Error::usage(format!(
                        "--patients {} line {}: no value in its {} column",
                        path.display(),
                        n + 2,
                        if mrn { "MRN" } else { "ID" }
                    )));
                }
                out.push(v.to_owned());
            }
            Ok((out, mrn))
        }
        None if header.len() > 1 => Err(Error::usage(format!(
            "--patients {}: a CSV file needs an ID or MRN column",
            path.display()
        ))),
        None => {
            out.push(first.trim().to_owned());
            for l in lines {
                out.push(l.map_err(read_err)?.trim().to_owned());
            }
            Ok((out, false))
        }
    }
}

/// One CSV line's fields (RFC 4180 quoting, no line breaks in fields).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

#[derive(Deserialize)]
struct Ided {
    #[serde(rename = "resourceType", default)]
    resource_type: String,
    #[serde(default)]
    id: String,
}

/// The ids of the Patients in an export directory's `Patient.*.ndjson`
/// files (a numbered export's latest one, if DIR holds those).
pub fn read_dir(dir: &Path) -> Result<Vec<String>> {
    let dir = super::numbered::latest(dir)?.unwrap_or_else(|| dir.to_path_buf());
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::usage(format!("cannot read --patients {}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("Patient.") && n.ends_with(".ndjson"))
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in &names {
        let f = crate::bulk::safe_fs::open_read(p)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", p.display())))?;
        for line in std::io::BufReader::new(f).split(b'\n') {
            let line =
                line.map_err(|e| Error::usage(format!("cannot read {}: {e}", p.display())))?;
            if let Ok(r) = serde_json::from_slice::<Ided>(&line)
                && r.resource_type == "Patient"
            {
                out.push(r.id);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::usage(format!(
            "--patients {}: no Patient.*.ndjson file with patients in it",
            dir.display()
        ))
        .with_hint("give the directory of an earlier export that holds Patient files"));
    }
    Ok(out)
}

/// The cohort's Patient ids, in order, each once, and how many of the
/// identifiers given (with `id_system`) found no Patient.
pub async fn resolve(
    fhir: &Fhir,
    source: &Source,
    id_system: Option<&str>,
    parallel: usize,
) -> Result<(Vec<String>, usize)> {
    let (values, identifiers) = match source {
        Source::System => (
            search_ids(fhir, fhir.url("Patient?_count=1000")?).await?,
            false,
        ),
        Source::Group(id) => (group_members(fhir, id).await?, false),
        Source::Ids(ids) => (ids.clone(), id_system.is_some()),
        Source::File(p) => {
            let (v, mrn) = read_file(p)?;
            if mrn && id_system.is_none() {
                return Err(Error::usage(format!(
                    "--patients {}: its MRN column holds identifiers; say whose with --id-system URI",
                    p.display()
                )));
            }
            (v, mrn || id_system.is_some())
        }
        Source::Dir(p) => (read_dir(p)?, false),
    };
    let (ids, missing) = if identifiers {
        let system = id_system.unwrap_or_default();
        by_identifier(fhir, system, &values, parallel).await?
    } else {
        if let Some(bad) = values.iter().find(|v| !is_fhir_id(v)) {
            return Err(Error::usage(format!(
                "`{}` is not a FHIR id (1-64 of A-Z a-z 0-9 - .)",
                crate::redact::printable(bad)
            ))
            .with_hint("identifiers such as MRNs need --id-system URI"));
        }
        (values, 0)
    };
    let mut seen = HashSet::new();
    Ok((
        ids.into_iter().filter(|i| seen.insert(i.clone())).collect(),
        missing,
    ))
}

/// The ids of every resource a search finds, page after page.
async fn search_ids(fhir: &Fhir, first: url::Url) -> Result<Vec<String>> {
    let mut url = first;
    fhir.with_format(&mut url);
    let mut out = Vec::new();
    loop {
        let req = Request::get(url);
        let resp = fhir.send_json(&req).await?;
        let what = fhir.describe(&req);
        let page = BundleView::parse(&what, &resp.body)?;
        for e in &page.entry {
            if e.mode() != crate::fhir::pages::Mode::Match {
                continue;
            }
            if let Some(r) = e.resource
                && let Ok(r) = serde_json::from_str::<Ided>(r.get())
                && is_fhir_id(&r.id)
            {
                out.push(r.id);
            }
        }
        match page.next() {
            Some(n) => url = next_url(fhir, n)?,
            None => return Ok(out),
        }
    }
}

/// `Group/{id}`'s active members that are Patients.
async fn group_members(fhir: &Fhir, id: &str) -> Result<Vec<String>> {
    if !is_fhir_id(id) {
        return Err(Error::usage(format!(
            "`{}` is not a FHIR id",
            crate::redact::printable(id)
        )));
    }
    let req = Request::get(fhir.url(&format!("Group/{id}"))?);
    let resp = fhir.send_json(&req).await?;
    let group: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|e| Error::server(format!("GET Group/{id}: not JSON ({e})")))?;
    if group["resourceType"] != "Group" {
        return Err(Error::server(format!(
            "GET Group/{id}: the answer is not a Group"
        )));
    }
    let mut out = Vec::new();
    for m in group["member"].as_array().into_iter().flatten() {
        if m["inactive"] == true {
            continue;
        }
        let Some(r) = m["entity"]["reference"].as_str() else {
            continue;
        };
        // `Patient/7` or a full URL ending in it.
        let mut segs = r.rsplit('/');
        if let (Some(id), Some("Patient")) = (segs.next(), segs.next())
            && is_fhir_id(id)
        {
            out.push(id.to_owned());
        }
    }
    if out.is_empty() {
        return Err(Error::server(format!(
            "Group/{id} has no active Patient members"
        )));
    }
    Ok(out)
}

/// Each value as `identifier=SYSTEM|VALUE`: the ids of the Patients found,
/// and how many values found none (skipped; the caller reports them).
async fn by_identifier(
    fhir: &Fhir,
    system: &str,
    values: &[String],
    parallel: usize,
) -> Result<(Vec<String>, usize)> {
    let found: Vec<Result<(String, Vec<String>)>> = stream::iter(values.iter().cloned())
        .map(|v| async move {
            let mut url = fhir.url("Patient")?;
            url.query_pairs_mut()
                .append_pair("identifier", &format!("{system}|{v}"));
            Ok((v, search_ids(fhir, url).await?))
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let mut out = Vec::new();
    let mut missing = 0usize;
    for r in found {
        let (_, ids) = r?;
        if ids.is_empty() {
            missing += 1;
        }
        out.extend(ids);
    }
    if out.is_empty() {
        return Err(Error::server(format!(
            "no Patient has any of the {} identifiers of system {system}",
            values.len()
        ))
        .with_hint("check --id-system: it must be the identifier system the server uses"));
    }
    Ok((out, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_ids_and_csv_with_id_or_mrn_columns() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ids.txt");
        std::fs::write(&p, "# cohort\np1\n\np2\r\n").unwrap();
        assert_eq!(
            read_file(&p).unwrap(),
            (vec!["p1".into(), "p2".into()], false)
        );
        std::fs::write(&p, "name,Id\n\"Doe, Jane\",a-1\nRoe,b.2\n").unwrap();
        assert_eq!(
            read_file(&p).unwrap(),
            (vec!["a-1".into(), "b.2".into()], false)
        );
        std::fs::write(&p, "MRN,name\n123,x\n").unwrap();
        assert_eq!(read_file(&p).unwrap(), (vec!["123".into()], true));
        std::fs::write(&p, "name,dob\nx,y\n").unwrap();
        assert!(read_file(&p).unwrap_err().message.contains("ID or MRN"));
        std::fs::write(&p, "ID,name\n,x\n").unwrap();
        assert!(read_file(&p).unwrap_err().message.contains("line 2"));
    }
}
