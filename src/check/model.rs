//! What a conformance check found: the verdict a probe reaches
//! ([`Verdict`]), and the result the report shows ([`CheckResult`]), with
//! its evidence. The checks themselves are in `catalogue.rs`.

use serde::Serialize;

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
    Bulk,
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
        Group::Bulk,
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
            Group::Bulk => "bulk",
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
            Group::Bulk => "Bulk Data",
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
    /// Inferno `smart_stu2_2` short ids of the same test (`bulk_data_v200:…`
    /// for a test of the Bulk Data suite).
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
    /// Which of SMART's Capability Sets the configuration's `capabilities`
    /// complete (information, never a verdict); absent without a
    /// `capabilities` array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability_sets: Option<Vec<super::capability_sets::SetResult>>,
    /// Which of smart's own workarounds this server needs (README "Server
    /// quirks"), from what the run saw: information, never a verdict.
    pub quirks: Vec<super::fingerprint::Quirk>,
}

impl Report {
    pub fn new(fhir_base: String, results: Vec<CheckResult>) -> Report {
        Report {
            fhir_base,
            smart_version: env!("CARGO_PKG_VERSION"),
            totals: Totals::of(&results),
            results,
            capability_sets: None,
            quirks: Vec::new(),
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

// The shape of a check definition; the definitions are in `catalogue.rs`.

/// The requirement set of [`Check::requirements`].
pub const REQUIREMENT_SET: &str = "hl7.fhir.uv.smart-app-launch_2.2.0";

/// What a check needs besides the FHIR base. Without it the check is
/// skipped, and the reason says what to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Needs {
    /// Runs on any server: discovery, `/metadata`, unauthenticated reads.
    Nothing,
    /// A client that signs in a user (`--client-id`, or `-p` of a public or
    /// confidential profile).
    UserClient,
    /// A backend client (`-p` of `client_type = "backend"`, or
    /// `SMART_CLIENT_ID` and `SMART_PRIVATE_KEY`).
    BackendClient,
    /// Any client: each kind proves part of it.
    AnyClient,
    /// An EHR launch (`--ehr`, with a client).
    EhrLaunch,
}

impl Needs {
    pub fn describe(self) -> &'static str {
        match self {
            Needs::Nothing => "nothing",
            Needs::UserClient => "a client",
            Needs::BackendClient => "a backend client",
            Needs::AnyClient => "a client or a backend client",
            Needs::EhrLaunch => "an EHR launch (--ehr)",
        }
    }
}

pub const NO_CLIENT: &str = "needs a client: pass --client-id ID (a public client with a loopback redirect URI; --secret-stdin makes it confidential) or -p PROFILE";
pub const NO_EHR: &str = "needs an EHR launch: run with --ehr (and a client) and open the launch URL it prints from the EHR";
pub const NO_BACKEND: &str = "needs a backend client: -p PROFILE of client_type backend (or SMART_CLIENT_ID and SMART_PRIVATE_KEY)";

/// A way to make the sandbox fail a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fails {
    /// `smart sandbox --fault NAME`
    Fault(&'static str),
    /// `smart sandbox --quirk NAME`
    Quirk(&'static str),
}

impl Fails {
    /// As the command line says it: `--fault no-pkce`.
    pub fn flag(self) -> String {
        match self {
            Fails::Fault(f) => format!("--fault {f}"),
            Fails::Quirk(q) => format!("--quirk {q}"),
        }
    }
}

impl Serialize for Fails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.flag())
    }
}

/// One entry of the catalogue: what is checked, where the spec says so, and
/// what an implementer changes when it fails.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub id: &'static str,
    pub group: Group,
    pub severity: Severity,
    pub title: &'static str,
    pub reference: &'static str,
    /// `NN` of `hl7.fhir.uv.smart-app-launch_2.2.0@NN` (see the module doc).
    pub requirements: &'static [u16],
    /// Inferno `smart_stu2_2` short ids of the same test (`bulk_data_v200:…`
    /// for a test of the Bulk Data suite).
    pub inferno: &'static [&'static str],
    /// What to change on the server when the check is not met.
    pub fix: &'static str,
    pub needs: Needs,
    /// The sandbox faults (or quirks) that make it fail or warn.
    pub failed_by: &'static [Fails],
}

impl Check {
    /// The full requirement ids: `hl7.fhir.uv.smart-app-launch_2.2.0@14`.
    pub fn requirement_ids(&self) -> Vec<String> {
        self.requirements
            .iter()
            .map(|n| format!("{REQUIREMENT_SET}@{n}"))
            .collect()
    }

    /// The check as `--list --json` shows it.
    pub fn listing(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "group": self.group,
            "severity": self.severity,
            "title": self.title,
            "reference": self.reference,
            "requirements": self.requirement_ids(),
            "inferno": self.inferno,
            "fix": self.fix,
            "needs": self.needs,
            "failed_by": self.failed_by,
        })
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
        needs: Needs::Nothing,
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
    fn capability_sets_name_the_same_requirement_set() {
        assert_eq!(
            super::super::capability_sets::REQUIREMENT_SET,
            REQUIREMENT_SET
        );
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
