//! What a conformance check found: the verdict a probe reaches
//! ([`Verdict`]), and the result the report shows ([`CheckResult`]), with
//! its evidence. The checks themselves are in `catalogue.rs`.

use serde::Serialize;

use super::catalogue::Check;
use super::probe::Exchange;

/// The groups, in the order they run and are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Discovery,
    Authorize,
    Token,
    Fhir,
    Revocation,
    Registration,
    Backend,
}

impl Group {
    pub const ALL: &[Group] = &[
        Group::Discovery,
        Group::Authorize,
        Group::Token,
        Group::Fhir,
        Group::Revocation,
        Group::Registration,
        Group::Backend,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Discovery => "discovery",
            Group::Authorize => "authorize",
            Group::Token => "token",
            Group::Fhir => "fhir",
            Group::Revocation => "revocation",
            Group::Registration => "registration",
            Group::Backend => "backend",
        }
    }

    /// The name people read in a report: "FHIR", "Discovery"…
    pub fn title(self) -> &'static str {
        match self {
            Group::Discovery => "Discovery",
            Group::Authorize => "Authorize",
            Group::Token => "Token",
            Group::Fhir => "FHIR",
            Group::Revocation => "Revocation",
            Group::Registration => "Registration",
            Group::Backend => "Backend",
        }
    }

    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.iter().copied().find(|g| g.name() == s)
    }
}

/// How strongly the spec asks for what a check proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST/SHALL: not meeting it fails the run.
    Required,
    /// A SHOULD: not meeting it is a warning.
    Recommended,
}

/// What a probe concluded, before the check's severity is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Met(String),
    /// Not met: a fail for a required check, a warning for a recommended one.
    Unmet(String),
    /// Could not be decided here; the reason says what would let it run.
    Skip(String),
}

impl Verdict {
    pub fn met(why: impl Into<String>) -> Verdict {
        Verdict::Met(why.into())
    }
    pub fn unmet(why: impl Into<String>) -> Verdict {
        Verdict::Unmet(why.into())
    }
    pub fn skip(why: impl Into<String>) -> Verdict {
        Verdict::Skip(why.into())
    }
    /// The same verdict, its reason followed by `note`.
    pub fn with_note(self, note: &str) -> Verdict {
        let add = |r: String| format!("{r}; {note}");
        match self {
            Verdict::Met(r) => Verdict::Met(add(r)),
            Verdict::Unmet(r) => Verdict::Unmet(add(r)),
            Verdict::Skip(r) => Verdict::Skip(add(r)),
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Verdict::Met(r) | Verdict::Unmet(r) | Verdict::Skip(r) => r,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Skip,
}

/// A check as run: the catalog entry, what it found, and the exchanges that
/// show it (redacted).
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub group: Group,
    pub title: &'static str,
    pub reference: &'static str,
    pub severity: Severity,
    /// SMART App Launch 2.2 requirement ids (`hl7.fhir.uv.smart-app-launch_2.2.0@NN`).
    pub requirements: Vec<String>,
    /// Inferno `smart_stu2_2` short ids of the same test.
    pub inferno: &'static [&'static str],
    pub status: Status,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<&'static str>,
    pub evidence: Vec<Exchange>,
}

impl CheckResult {
    pub fn new(check: &Check, verdict: Verdict, evidence: Vec<Exchange>) -> CheckResult {
        let (status, reason) = match verdict {
            Verdict::Met(r) => (Status::Pass, r),
            Verdict::Unmet(r) if check.severity == Severity::Required => (Status::Fail, r),
            Verdict::Unmet(r) => (Status::Warn, r),
            Verdict::Skip(r) => (Status::Skip, r),
        };
        CheckResult {
            id: check.id,
            group: check.group,
            title: check.title,
            reference: check.reference,
            severity: check.severity,
            requirements: check.requirement_ids(),
            inferno: check.inferno,
            status,
            reason,
            fix: matches!(status, Status::Fail | Status::Warn).then_some(check.fix),
            evidence,
        }
    }
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
}

impl Totals {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Totals {
        let mut t = Totals::default();
        for r in results {
            match r.status {
                Status::Pass => t.pass += 1,
                Status::Fail => t.fail += 1,
                Status::Warn => t.warn += 1,
                Status::Skip => t.skip += 1,
            }
        }
        t
    }
}

/// The whole run, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub fhir_base: String,
    pub smart_version: &'static str,
    pub totals: Totals,
    pub results: Vec<CheckResult>,
}

impl Report {
    pub fn new(fhir_base: String, results: Vec<CheckResult>) -> Report {
        Report {
            fhir_base,
            smart_version: env!("CARGO_PKG_VERSION"),
            totals: Totals::of(&results),
            results,
        }
    }

    pub fn group(&self, g: Group) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(move |r| r.group == g)
    }

    pub fn failed(&self) -> bool {
        self.totals.fail > 0
    }

    /// Every secret value `known` holds taken out of the reasons and the
    /// evidence: a server may echo a secret anywhere, even in a header a
    /// reason quotes.
    pub fn redact_values(&mut self, known: &crate::redact::Known) {
        for r in &mut self.results {
            r.reason = known.apply(&r.reason);
            for ex in &mut r.evidence {
                ex.redact_values(known);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: Check = Check {
        id: "discovery.example",
        group: Group::Discovery,
        title: "t",
        reference: "r",
        severity: Severity::Required,
        requirements: &[14],
        inferno: &["1.1.02"],
        fix: "do it",
        needs: super::super::catalogue::Needs::Nothing,
        failed_by: &[],
    };

    #[test]
    fn an_unmet_required_check_fails_and_an_unmet_recommended_one_warns() {
        let r = CheckResult::new(&REQ, Verdict::unmet("no"), vec![]);
        assert_eq!((r.status, r.fix), (Status::Fail, Some("do it")));
        let rec = Check {
            severity: Severity::Recommended,
            ..REQ
        };
        let r = CheckResult::new(&rec, Verdict::unmet("no"), vec![]);
        assert_eq!(r.status, Status::Warn);
        let r = CheckResult::new(&rec, Verdict::met("yes"), vec![]);
        assert_eq!((r.status, r.fix), (Status::Pass, None));
        assert_eq!(r.group, Group::Discovery);
        assert_eq!(r.requirements, ["hl7.fhir.uv.smart-app-launch_2.2.0@14"]);
    }

    #[test]
    fn totals_count_each_status() {
        let rs = [
            CheckResult::new(&REQ, Verdict::unmet("a"), vec![]),
            CheckResult::new(&REQ, Verdict::met("b"), vec![]),
            CheckResult::new(&REQ, Verdict::skip("c"), vec![]),
        ];
        let t = Totals::of(&rs);
        assert_eq!((t.pass, t.fail, t.warn, t.skip), (1, 1, 0, 1));
    }
}
