//! One check run: which checks the user asked for, and the results so far.

use std::collections::BTreeSet;

use super::model::{Check, CheckResult, Group, Verdict};
use super::probe::{Exchange, Probe};
use crate::discovery::FhirBase;
use crate::error::{Error, Result};

/// `--only` and `--skip`, checked against the catalog.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    only: BTreeSet<Group>,
    skip: BTreeSet<&'static str>,
}

impl Selection {
    pub fn new(only: &[String], skip: &[String]) -> Result<Selection> {
        let mut sel = Selection::default();
        for g in only
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let group = Group::parse(g).ok_or_else(|| {
                Error::usage(format!("--only: unknown group `{g}`")).with_hint(format!(
                    "groups are {}",
                    Group::ALL
                        .iter()
                        .map(|g| g.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            sel.only.insert(group);
        }
        for id in skip
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let check = super::catalog()
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| {
                    Error::usage(format!("--skip: unknown check id `{id}`"))
                        .with_hint("`smart check --list` shows every check id")
                })?;
            sel.skip.insert(check.id);
        }
        Ok(sel)
    }

    pub fn runs_group(&self, g: Group) -> bool {
        self.only.is_empty() || self.only.contains(&g)
    }

    /// Whether a check's requests should be sent at all.
    pub fn wants(&self, c: &Check) -> bool {
        self.runs_group(c.group()) && !self.skip.contains(c.id)
    }
}

/// The state a run's groups share.
pub struct Run<'a> {
    pub probe: &'a Probe,
    /// Who completes the authorization requests that need a sign-in.
    pub user: Option<&'a super::user::User>,
    pub base: &'a FhirBase,
    pub selection: &'a Selection,
    /// A patient the launched one must not see (`--other-patient`).
    pub other_patient: Option<&'a str>,
    results: Vec<CheckResult>,
}

impl<'a> Run<'a> {
    pub fn new(
        probe: &'a Probe,
        user: Option<&'a super::user::User>,
        base: &'a FhirBase,
        selection: &'a Selection,
    ) -> Run<'a> {
        Run {
            probe,
            user,
            base,
            selection,
            other_patient: None,
            results: Vec::new(),
        }
    }

    /// Records a check's verdict; a check left out by `--only`/`--skip` is
    /// not reported at all (`--skip`: reported as skipped, so the count of
    /// checks stays the same from run to run).
    pub fn record(&mut self, check: &Check, verdict: Verdict, evidence: Vec<Exchange>) {
        if !self.selection.runs_group(check.group()) {
            return;
        }
        let result = if self.selection.skip.contains(check.id) {
            CheckResult::new(check, Verdict::skip("left out with --skip"), vec![])
        } else {
            CheckResult::new(check, verdict, evidence)
        };
        debug_assert!(
            !self.results.iter().any(|r| r.id == check.id),
            "{} recorded twice",
            check.id
        );
        self.results.push(result);
    }

    pub fn into_results(self) -> Vec<CheckResult> {
        self.results
    }
}
