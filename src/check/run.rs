//! One check run: which checks the user asked for, and the results so far.
//! Selection is decided here once: the groups ask [`Run::wants`] before
//! sending a check's requests and [`Run::record`] its verdict; what was left
//! out or never decided gets its result in [`Run::finish`], so that every
//! selected check has exactly one.

use std::collections::{BTreeMap, BTreeSet};

use super::catalogue::{self, Check, Needs};
use super::model::{CheckResult, Group, Verdict};
use super::probe::{Exchange, Probe};
use crate::discovery::FhirBase;
use crate::error::{Error, Result};

/// The reason of a check left out with `--skip`.
pub const SKIPPED: &str = "skipped by --skip";
/// The reason of a check no group decided: a bug, said as one.
pub const UNDECIDED: &str = "no verdict was reached (a bug in smart check: please report it)";

/// `--only` (groups or check ids) and `--skip` (check ids), checked against
/// the catalogue.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    only_groups: BTreeSet<Group>,
    only_ids: BTreeSet<&'static str>,
    skip: BTreeSet<&'static str>,
}

fn words(list: &[String]) -> impl Iterator<Item = &str> {
    list.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Selection {
    pub fn new(only: &[String], skip: &[String]) -> Result<Selection> {
        let mut sel = Selection::default();
        for w in words(only) {
            if let Some(g) = Group::parse(w) {
                sel.only_groups.insert(g);
            } else if let Some(c) = catalogue::find(w) {
                sel.only_ids.insert(c.id);
            } else {
                let groups: Vec<&str> = Group::ALL.iter().map(|g| g.name()).collect();
                return Err(
                    Error::usage(format!("--only: unknown group or check id `{w}`")).with_hint(
                        format!(
                            "groups are {}; `smart check --list` shows every check id",
                            groups.join(", ")
                        ),
                    ),
                );
            }
        }
        for id in words(skip) {
            let check = catalogue::find(id).ok_or_else(|| {
                Error::usage(format!("--skip: unknown check id `{id}`"))
                    .with_hint("`smart check --list` shows every check id")
            })?;
            sel.skip.insert(check.id);
        }
        Ok(sel)
    }

    /// Whether a check is in the report at all: everything, or what
    /// `--only` names.
    pub fn reports(&self, c: &Check) -> bool {
        (self.only_groups.is_empty() && self.only_ids.is_empty())
            || self.only_groups.contains(&c.group)
            || self.only_ids.contains(c.id)
    }

    /// Whether a check's requests should be sent at all.
    pub fn wants(&self, c: &Check) -> bool {
        self.reports(c) && !self.skip.contains(c.id)
    }
}

/// The state a run's groups share.
pub struct Run<'a> {
    pub probe: &'a Probe,
    /// Who completes the authorization requests that need a sign-in.
    pub user: Option<&'a super::user::User>,
    pub base: &'a FhirBase,
    selection: &'a Selection,
    /// A patient the launched one must not see (`--other-patient`).
    pub other_patient: Option<&'a str>,
    results: BTreeMap<&'static str, CheckResult>,
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
            results: BTreeMap::new(),
        }
    }

    /// Whether `check` is selected: send its requests.
    pub fn wants(&self, check: &Check) -> bool {
        self.selection.wants(check)
    }

    /// Records a check's verdict. A check the selection leaves out is not
    /// recorded here (its result comes from [`Run::finish`]), so a group may
    /// compute verdicts it needs for itself whatever was selected.
    pub fn record(&mut self, check: &Check, verdict: Verdict, evidence: Vec<Exchange>) {
        if !self.selection.wants(check) {
            return;
        }
        let previous = self
            .results
            .insert(check.id, CheckResult::new(check, verdict, evidence));
        debug_assert!(previous.is_none(), "{} recorded twice", check.id);
    }

    /// Records `why` as the skip of every check that needs what is missing
    /// and has no verdict yet.
    pub fn skip_needing(&mut self, needs: Needs, why: &str) {
        for c in catalogue::ALL.iter().filter(|c| c.needs == needs) {
            if !self.results.contains_key(c.id) {
                self.record(c, Verdict::skip(why), vec![]);
            }
        }
    }

    /// Every selected check's result, in catalogue order: what was
    /// recorded, `--skip`ped ones as skipped, and a check no group decided
    /// as skipped with [`UNDECIDED`] (so that none vanishes).
    pub fn finish(mut self) -> Vec<CheckResult> {
        catalogue::ALL
            .iter()
            .filter(|c| self.selection.reports(c))
            .map(|c| {
                if self.selection.skip.contains(c.id) {
                    CheckResult::new(c, Verdict::skip(SKIPPED), vec![])
                } else {
                    self.results
                        .remove(c.id)
                        .unwrap_or_else(|| CheckResult::new(c, Verdict::skip(UNDECIDED), vec![]))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(only: &[&str], skip: &[&str]) -> Result<Selection> {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Selection::new(&v(only), &v(skip))
    }

    #[test]
    fn only_takes_groups_and_check_ids() {
        let s = sel(&["discovery,token.refresh"], &[]).unwrap();
        assert!(s.reports(&catalogue::WELL_KNOWN));
        assert!(s.reports(&catalogue::REFRESH));
        assert!(!s.reports(&catalogue::REFRESH_REUSE));
        let s = sel(&[], &["token.refresh"]).unwrap();
        assert!(s.reports(&catalogue::REFRESH) && !s.wants(&catalogue::REFRESH));
        let e = sel(&["discovry"], &[]).unwrap_err();
        assert!(e.message.contains("`discovry`"), "{}", e.message);
        assert!(sel(&[], &["discovery"]).is_err(), "--skip takes ids only");
    }
}
