//! SMART App Launch 2.2's Capability Sets (conformance.html, "Capability
//! Sets"): the four combinations of capabilities that make a use case, and
//! which of them a server's `capabilities` list completes or nearly
//! completes (one requirement missing). Informational: SMART says a server
//! SHOULD support one or more sets, and no set is required.

/// One requirement of a set: any one of these capabilities.
pub type AnyOf = &'static [&'static str];

/// A Capability Set: its name and its requirements, each met by any one of
/// its capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapabilitySet {
    pub name: &'static str,
    /// The `NN` of `hl7.fhir.uv.smart-app-launch_2.2.0@NN` that defines it.
    pub requirement: u16,
    pub needs: &'static [AnyOf],
}

/// "At least one of `client-public` or `client-confidential-symmetric`"
/// (`client-confidential-asymmetric` is a MAY on top: it does not count).
const USER_CLIENT: AnyOf = &["client-public", "client-confidential-symmetric"];

/// The four sets, in the order the conformance page lists them.
pub const CAPABILITY_SETS: &[CapabilitySet] = &[
    CapabilitySet {
        name: "Patient Access for Standalone Apps",
        requirement: 348,
        needs: &[
            &["launch-standalone"],
            USER_CLIENT,
            &["context-standalone-patient"],
            &["permission-patient"],
        ],
    },
    CapabilitySet {
        name: "Patient Access for EHR Launch",
        requirement: 349,
        needs: &[
            &["launch-ehr"],
            USER_CLIENT,
            &["context-ehr-patient"],
            &["permission-patient"],
        ],
    },
    CapabilitySet {
        name: "Clinician Access for Standalone",
        requirement: 350,
        needs: &[
            &["launch-standalone"],
            USER_CLIENT,
            &["permission-user"],
            &["permission-patient"],
        ],
    },
    CapabilitySet {
        name: "Clinician Access for EHR Launch",
        requirement: 351,
        needs: &[
            &["launch-ehr"],
            USER_CLIENT,
            &["context-ehr-patient"],
            &["context-ehr-encounter"],
            &["permission-user"],
            &["permission-patient"],
        ],
    },
];

/// How a capability list stands against one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetStanding {
    Complete,
    /// One requirement is missing; what would complete it ("a or b" when
    /// any one of several would).
    Nearly(String),
    /// More than one requirement is missing.
    Incomplete(Vec<String>),
}

impl CapabilitySet {
    /// The requirements `capabilities` leaves unmet, each said as "a" or
    /// "a or b".
    pub fn missing<S: AsRef<str>>(&self, capabilities: &[S]) -> Vec<String> {
        self.needs
            .iter()
            .filter(|any| {
                !any.iter()
                    .any(|c| capabilities.iter().any(|have| have.as_ref() == *c))
            })
            .map(|any| any.join(" or "))
            .collect()
    }

    pub fn standing<S: AsRef<str>>(&self, capabilities: &[S]) -> SetStanding {
        let mut missing = self.missing(capabilities);
        match missing.len() {
            0 => SetStanding::Complete,
            1 => SetStanding::Nearly(missing.remove(0)),
            _ => SetStanding::Incomplete(missing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(set: usize, caps: &[&str]) -> SetStanding {
        CAPABILITY_SETS[set].standing(caps)
    }

    #[test]
    fn a_patient_standalone_server_completes_that_set_and_no_other() {
        let caps = [
            "launch-standalone",
            "client-public",
            "context-standalone-patient",
            "permission-patient",
        ];
        assert_eq!(standing(0, &caps), SetStanding::Complete);
        assert_eq!(
            standing(1, &caps),
            SetStanding::Incomplete(vec!["launch-ehr".into(), "context-ehr-patient".into()])
        );
        assert_eq!(
            standing(2, &caps),
            SetStanding::Nearly("permission-user".into())
        );
    }

    #[test]
    fn either_user_client_type_will_do_but_asymmetric_alone_will_not() {
        let mut caps = vec![
            "launch-ehr",
            "client-confidential-asymmetric",
            "context-ehr-patient",
            "permission-patient",
        ];
        assert_eq!(
            standing(1, &caps),
            SetStanding::Nearly("client-public or client-confidential-symmetric".into())
        );
        caps.push("client-confidential-symmetric");
        assert_eq!(standing(1, &caps), SetStanding::Complete);
    }

    #[test]
    fn the_clinician_ehr_set_needs_the_encounter_context() {
        let caps = [
            "launch-ehr",
            "client-public",
            "context-ehr-patient",
            "permission-user",
            "permission-patient",
        ];
        assert_eq!(
            standing(3, &caps),
            SetStanding::Nearly("context-ehr-encounter".into())
        );
        assert_eq!(standing(1, &caps), SetStanding::Complete);
        let none: [&str; 0] = [];
        assert!(matches!(standing(3, &none), SetStanding::Incomplete(m) if m.len() == 6));
    }

    #[test]
    fn every_capability_a_set_names_is_in_the_vocabulary() {
        for set in CAPABILITY_SETS {
            for any in set.needs {
                for c in *any {
                    assert!(crate::capabilities::is_known(c), "{}: {c}", set.name);
                }
            }
        }
    }
}
