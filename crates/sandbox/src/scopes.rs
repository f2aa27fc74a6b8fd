//! SMART scopes (v1 `patient/*.read`, v2 `patient/Observation.rs`) and what a
//! grant permits.
//!
//! This is the one place the FHIR side asks "may this token do that?", so the
//! parser is deliberately strict: a scope that does not parse grants nothing.
//!
//! Query-constrained v2 scopes (`patient/Observation.rs?category=laboratory`)
//! are parsed but grant nothing through `Grant::access`: [`Access`] cannot
//! express a constraint, and honouring such a scope as unconstrained would
//! widen it. A client that asks only for a constrained scope therefore gets
//! 403 on FHIR calls; one that also holds an unconstrained scope gets that.

pub(crate) use smart_vocab::scope::{Context, ResourceScope, is_covered, is_known, split};

use super::{Access, Grant, Interaction, Quirk, Quirks};
use smart_vocab::scope::Dialect;

/// The one scope dialect the `scopes-v1-only` / `scopes-v2-only` quirks
/// leave the server; `None`: both.
pub(crate) fn only_dialect(quirks: &Quirks) -> Option<Dialect> {
    if quirks.has(Quirk::ScopesV1Only) {
        Some(Dialect::V1)
    } else if quirks.has(Quirk::ScopesV2Only) {
        Some(Dialect::V2)
    } else {
        None
    }
}

/// True for a resource scope this server does not take: one written in the
/// other dialect than the only one it speaks.
pub(crate) fn outside_dialect(quirks: &Quirks, scope: &str) -> bool {
    match (only_dialect(quirks), ResourceScope::parse(scope)) {
        (Some(d), Some(r)) => r.v2 != (d == Dialect::V2),
        _ => false,
    }
}

impl Grant {
    /// May this grant perform `interaction` on `resource_type`, and where?
    ///
    /// The widest applicable scope wins: a `user/` or `system/` scope gives
    /// [`Access::All`]; a `patient/` scope gives the launch patient's
    /// compartment, or nothing when the grant has no patient.
    pub(crate) fn access(&self, resource_type: &str, interaction: Interaction) -> Access {
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

    /// The grant as a server that enforces only the context and the
    /// permissions of a scope sees it (the `type-scope-ignored` fault):
    /// `patient/Patient.rs` acts as `patient/*.rs`.
    pub(crate) fn ignoring_types(mut self) -> Grant {
        for s in &mut self.scopes {
            if let (Some(_), Some((context, rest))) = (ResourceScope::parse(s), s.split_once('/'))
                && let Some((_, perms)) = rest.split_once('.')
            {
                *s = format!("{context}/*.{perms}");
            }
        }
        self
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
    fn ignoring_types_widens_only_the_type() {
        let g = grant(
            "launch/patient patient/Patient.rs user/Observation.c",
            Some("p1"),
        )
        .ignoring_types();
        assert_eq!(g.scopes, ["launch/patient", "patient/*.rs", "user/*.c"]);
        assert_eq!(g.access("Observation", Interaction::Read), comp("p1"));
        assert_eq!(g.access("Condition", Interaction::Create), Access::All);
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
