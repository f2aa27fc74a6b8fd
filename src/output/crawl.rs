//! `smart export --crawl`'s summary: a bulk export's (the same fields, the
//! same lines) and what only a crawl has — patients, searches, the types
//! the server refused or the crawl left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::print_json;
use crate::bulk::summary::Summary;
use crate::error::Result;
use crate::redact::printable;

#[derive(Debug, Serialize)]
pub struct CrawlSummary {
    #[serde(flatten)]
    pub summary: Summary,
    pub crawl: CrawlFacts,
}

#[derive(Debug, Serialize)]
pub struct CrawlFacts {
    pub patients: usize,
    pub types: Vec<String>,
    /// Search requests made by this run.
    pub requests: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Patients whose whole history was crawled despite `since` (new to
    /// the series).
    pub whole_history: usize,
    /// Types the server refused, with its answer.
    pub refused: BTreeMap<String, String>,
    /// Compartment types left out of the default, with why.
    pub left_out: BTreeMap<String, String>,
}

pub fn print_summary(s: &CrawlSummary, json: bool) -> Result<()> {
    if json {
        return print_json(s);
    }
    eprint!("{}", summary_text(s));
    if let Some(h) = &s.summary.hydration {
        eprint!("{}", super::export::hydration_text(h));
    }
    Ok(())
}

pub fn summary_text(s: &CrawlSummary) -> String {
    let mut out = super::export::summary_text(&s.summary);
    let c = &s.crawl;
    let _ = write!(
        out,
        "  Crawled {} patient{} × {} type{} with {} search request{} by this run",
        c.patients,
        if c.patients == 1 { "" } else { "s" },
        c.types.len(),
        if c.types.len() == 1 { "" } else { "s" },
        c.requests,
        if c.requests == 1 { "" } else { "s" },
    );
    match &c.since {
        Some(since) => {
            let _ = writeln!(
                out,
                ", changes since {} ({} new patient{} in full)",
                printable(since),
                c.whole_history,
                if c.whole_history == 1 { "" } else { "s" }
            );
        }
        None => out.push('\n'),
    }
    for (t, why) in &c.refused {
        let _ = writeln!(
            out,
            "  Refused by the server: {}: {}",
            printable(t),
            printable(why)
        );
    }
    for (t, why) in &c.left_out {
        let _ = writeln!(out, "  Left out: {}: {}", printable(t), printable(why));
    }
    out
}
