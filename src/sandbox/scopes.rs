//! SMART scopes (v1 `patient/*.read`, v2 `patient/Observation.rs`) and what a
//! grant permits.
//!
//! This is the one place the FHIR side asks "may this token do that?", so the
//! parser is deliberately strict: a scope that does not parse grants nothing.
//!
//! Query-constrained v2 scopes (`patient/Observation.rs?category=laboratory`)
//! are parsed but grant nothing through [`Grant::access`]: [`Access`] cannot
//! express a constraint, and honouring such a scope as unconstrained would
//! widen it. A client that asks only for a constrained scope therefore gets
//! 403 on FHIR calls; one that also holds an unconstrained scope gets that.

use super::{Access, Grant, Interaction};

/// The context prefix of a resource scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    Patient,
    User,
    System,
}

/// The permission letters of a v2 scope, or the equivalent of a v1 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perms {
    pub create: bool,
    pub read: bool,
    pub update: bool,
    pub delete: bool,
    pub search: bool,
}

impl Perms {
    fn allows(self, i: Interaction) -> bool {
        match i {
            Interaction::Read => self.read,
            Interaction::Search => self.search,
            Interaction::Create => self.create,
            Interaction::Update => self.update,
            Interaction::Delete => self.delete,
        }
    }

    /// v2 letters: a non-empty subsequence of `cruds`, in that order.
    fn parse_v2(s: &str) -> Option<Perms> {
        if s.is_empty() {
            return None;
        }
        let mut p = Perms::default();
        let mut rest = "cruds";
        for ch in s.chars() {
            let at = rest.find(ch)?;
            rest = &rest[at + 1..];
            match ch {
                'c' => p.create = true,
                'r' => p.read = true,
                'u' => p.update = true,
                'd' => p.delete = true,
                's' => p.search = true,
                _ => return None,
            }
        }
        Some(p)
    }

    fn parse(s: &str) -> Option<(Perms, bool)> {
        let all = Perms {
            create: true,
            read: true,
            update: true,
            delete: true,
            search: true,
        };
        match s {
            "read" => Some((
                Perms {
                    read: true,
                    search: true,
                    ..Perms::default()
                },
                false,
            )),
            "write" => Some((
                Perms {
                    create: true,
                    update: true,
                    delete: true,
                    ..Perms::default()
                },
                false,
            )),
            "*" => Some((all, false)),
            _ => Perms::parse_v2(s).map(|p| (p, true)),
        }
    }

    /// True when any write interaction is permitted (used by the
    /// `scope-reduced` fault, which drops write scopes).
    pub fn writes(self) -> bool {
        self.create || self.update || self.delete
    }
}

/// A parsed resource scope such as `patient/Observation.rs?category=x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceScope {
    pub context: Context,
    /// `None` for `*`.
    pub resource_type: Option<String>,
    pub perms: Perms,
    /// Written in v2 letter syntax (`.rs`) rather than v1 (`.read`).
    pub v2: bool,
    /// The `?…` query constraint, if any (v2 only).
    pub constraint: Option<String>,
}

impl ResourceScope {
    /// Parses a resource scope; `None` for anything else (including
    /// `openid`, `launch/patient` and malformed resource scopes).
    pub fn parse(scope: &str) -> Option<ResourceScope> {
        let (ctx, rest) = scope.split_once('/')?;
        let context = match ctx {
            "patient" => Context::Patient,
            "user" => Context::User,
            "system" => Context::System,
            _ => return None,
        };
        let (body, constraint) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q.to_owned())),
            None => (rest, None),
        };
        let (rtype, perms) = body.split_once('.')?;
        let resource_type = match rtype {
            "*" => None,
            t if is_resource_type(t) => Some(t.to_owned()),
            _ => return None,
        };
        let (perms, v2) = Perms::parse(perms)?;
        if constraint.is_some() && !v2 {
            return None;
        }
        if constraint.as_deref() == Some("") {
            return None;
        }
        Some(ResourceScope {
            context,
            resource_type,
            perms,
            v2,
            constraint,
        })
    }

    fn covers(&self, resource_type: &str, interaction: Interaction) -> bool {
        self.constraint.is_none()
            && self
                .resource_type
                .as_deref()
                .is_none_or(|t| t == resource_type)
            && self.perms.allows(interaction)
    }
}

/// A FHIR resource type name: an upper-case letter, then letters.
fn is_resource_type(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_uppercase()) && c.all(|x| x.is_ascii_alphabetic())
}

/// True for every scope the sandbox understands and may grant: resource
/// scopes, launch context scopes, OpenID scopes and the offline/online ones.
pub fn is_known(scope: &str) -> bool {
    matches!(
        scope,
        "openid"
            | "fhirUser"
            | "profile"
            | "launch"
            | "launch/patient"
            | "launch/encounter"
            | "offline_access"
            | "online_access"
    ) || ResourceScope::parse(scope).is_some()
}

/// Splits a space-separated scope parameter, dropping empty pieces and
/// repeats, keeping the order.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

impl Grant {
    /// May this grant perform `interaction` on `resource_type`, and where?
    ///
    /// The widest applicable scope wins: a `user/` or `system/` scope gives
    /// [`Access::All`]; a `patient/` scope gives the launch patient's
    /// compartment, or nothing when the grant has no patient.
    pub fn access(&self, resource_type: &str, interaction: Interaction) -> Access {
        let mut best = Access::Denied;
        for scope in self.scopes.iter().filter_map(|s| ResourceScope::parse(s)) {
            if !scope.covers(resource_type, interaction) {
                continue;
            }
            match scope.context {
                Context::User | Context::System => return Access::All,
                Context::Patient => {
                    if let Some(p) = &self.patient {
                        best = Access::Compartment(p.clone());
                    }
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn grant(scopes: &str, patient: Option<&str>) -> Grant {
        Grant {
            client_id: "c".into(),
            scopes: split(scopes),
            patient: patient.map(str::to_owned),
            encounter: None,
            fhir_user: None,
            expires_at: SystemTime::now(),
        }
    }

    fn comp(p: &str) -> Access {
        Access::Compartment(p.into())
    }

    #[test]
    fn v1_read_write_star() {
        let g = grant("patient/*.read", Some("p1"));
        assert_eq!(g.access("Observation", Interaction::Read), comp("p1"));
        assert_eq!(g.access("Patient", Interaction::Search), comp("p1"));
        assert_eq!(g.access("Patient", Interaction::Create), Access::Denied);

        let g = grant("user/Observation.write", None);
        assert_eq!(g.access("Observation", Interaction::Create), Access::All);
        assert_eq!(g.access("Observation", Interaction::Update), Access::All);
        assert_eq!(g.access("Observation", Interaction::Delete), Access::All);
        assert_eq!(g.access("Observation", Interaction::Read), Access::Denied);
        assert_eq!(g.access("Condition", Interaction::Create), Access::Denied);

        let g = grant("user/Patient.*", None);
        for i in [
            Interaction::Read,
            Interaction::Search,
            Interaction::Create,
            Interaction::Update,
            Interaction::Delete,
        ] {
            assert_eq!(g.access("Patient", i), Access::All);
        }
    }

    #[test]
    fn v2_letters() {
        let g = grant("patient/Observation.rs", Some("p1"));
        assert_eq!(g.access("Observation", Interaction::Read), comp("p1"));
        assert_eq!(g.access("Observation", Interaction::Search), comp("p1"));
        assert_eq!(g.access("Observation", Interaction::Update), Access::Denied);

        let g = grant("system/*.rs", None);
        assert_eq!(g.access("Encounter", Interaction::Search), Access::All);
        assert_eq!(g.access("Encounter", Interaction::Delete), Access::Denied);

        let g = grant("user/Condition.cud", None);
        assert_eq!(g.access("Condition", Interaction::Delete), Access::All);
        assert_eq!(g.access("Condition", Interaction::Read), Access::Denied);

        let g = grant("user/*.cruds", None);
        assert_eq!(g.access("Anything", Interaction::Delete), Access::All);
    }

    #[test]
    fn letters_must_be_in_order_and_unique() {
        for bad in [
            "patient/Observation.sr",
            "patient/Observation.rr",
            "patient/Observation.x",
            "patient/Observation.",
            "patient/observation.rs",
            "patient/Obs-ervation.rs",
            "practitioner/*.rs",
            "patient*.rs",
            "patient/*.read?category=x",
            "patient/*.rs?",
        ] {
            assert!(ResourceScope::parse(bad).is_none(), "{bad}");
            assert_eq!(
                grant(bad, Some("p1")).access("Observation", Interaction::Read),
                Access::Denied,
                "{bad}"
            );
        }
    }

    #[test]
    fn patient_scopes_need_a_patient() {
        let g = grant("patient/*.rs", None);
        assert_eq!(g.access("Observation", Interaction::Read), Access::Denied);
    }

    #[test]
    fn widest_scope_wins() {
        let g = grant("patient/*.rs user/Observation.rs", Some("p1"));
        assert_eq!(g.access("Observation", Interaction::Read), Access::All);
        assert_eq!(g.access("Condition", Interaction::Read), comp("p1"));
        let g = grant("user/Observation.rs patient/*.rs", Some("p1"));
        assert_eq!(g.access("Observation", Interaction::Search), Access::All);
    }

    #[test]
    fn query_constrained_scopes_grant_nothing_alone() {
        let s = ResourceScope::parse("patient/Observation.rs?category=laboratory").unwrap();
        assert_eq!(s.constraint.as_deref(), Some("category=laboratory"));
        let g = grant("patient/Observation.rs?category=laboratory", Some("p1"));
        assert_eq!(g.access("Observation", Interaction::Read), Access::Denied);
        let g = grant(
            "patient/Observation.rs?category=laboratory patient/Observation.r",
            Some("p1"),
        );
        assert_eq!(g.access("Observation", Interaction::Read), comp("p1"));
        assert_eq!(g.access("Observation", Interaction::Search), Access::Denied);
    }

    #[test]
    fn non_resource_scopes() {
        for s in [
            "openid",
            "fhirUser",
            "launch",
            "launch/patient",
            "offline_access",
        ] {
            assert!(ResourceScope::parse(s).is_none());
            assert!(is_known(s));
        }
        assert!(!is_known("bogus"));
        assert!(is_known("patient/*.rs"));
        assert_eq!(split("  a b  a c "), vec!["a", "b", "c"]);
    }
}
