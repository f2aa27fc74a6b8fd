//! Which of SMART's Capability Sets the server's `capabilities` complete,
//! and which they nearly complete (one requirement missing): information
//! shown with the discovery group, never a verdict (SMART only says a server
//! SHOULD support one or more sets, and a server may serve backends only).

use serde::Serialize;
use serde_json::Value;
use smart_vocab::capability_sets::{CAPABILITY_SETS, SetStanding};

/// `model::REQUIREMENT_SET`, said again: `model` holds these results, so
/// this file may not import it (a test in `model.rs` keeps the two equal).
pub const REQUIREMENT_SET: &str = "hl7.fhir.uv.smart-app-launch_2.2.0";

/// How the server stands against one set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetResult {
    pub name: &'static str,
    /// The requirement id that defines the set.
    pub requirement: String,
    /// `complete`, `nearly` (one requirement missing) or `incomplete`.
    pub standing: &'static str,
    /// What is missing, each "a" or "a or b".
    pub missing: Vec<String>,
}

/// The four sets against the configuration's `capabilities`; `None` when it
/// has no such array (discovery.required-fields says so already).
pub fn of_configuration(config: &Value) -> Option<Vec<SetResult>> {
    let caps: Vec<&str> = config
        .get("capabilities")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Some(
        CAPABILITY_SETS
            .iter()
            .map(|set| {
                let (standing, missing) = match set.standing(&caps) {
                    SetStanding::Complete => ("complete", vec![]),
                    SetStanding::Nearly(m) => ("nearly", vec![m]),
                    SetStanding::Incomplete(m) => ("incomplete", m),
                };
                SetResult {
                    name: set.name,
                    requirement: format!("{REQUIREMENT_SET}@{}", set.requirement),
                    standing,
                    missing,
                }
            })
            .collect(),
    )
}

/// The lines the checklist shows: complete sets, then nearly complete ones
/// with what they lack.
pub fn summary(sets: &[SetResult]) -> Vec<String> {
    let names = |s: &str| -> Vec<&SetResult> { sets.iter().filter(|r| r.standing == s).collect() };
    let complete: Vec<&str> = names("complete").iter().map(|r| r.name).collect();
    let mut lines = vec![format!(
        "capability sets complete: {}",
        if complete.is_empty() {
            "none".to_owned()
        } else {
            complete.join(", ")
        }
    )];
    for r in names("nearly") {
        lines.push(format!(
            "nearly complete: {} (missing {})",
            r.name, r.missing[0]
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_configuration_is_judged_set_by_set() {
        let config = json!({"capabilities": [
            "launch-standalone", "client-public", "context-standalone-patient",
            "permission-patient", "launch-ehr", "context-ehr-patient"
        ]});
        let sets = of_configuration(&config).unwrap();
        let standing: Vec<(&str, &str)> = sets.iter().map(|s| (s.name, s.standing)).collect();
        assert_eq!(
            standing,
            [
                ("Patient Access for Standalone Apps", "complete"),
                ("Patient Access for EHR Launch", "complete"),
                ("Clinician Access for Standalone", "nearly"),
                ("Clinician Access for EHR Launch", "incomplete"),
            ]
        );
        assert_eq!(sets[2].missing, ["permission-user"]);
        assert_eq!(
            sets[0].requirement,
            "hl7.fhir.uv.smart-app-launch_2.2.0@348"
        );
        assert_eq!(
            summary(&sets),
            [
                "capability sets complete: Patient Access for Standalone Apps, Patient Access for EHR Launch",
                "nearly complete: Clinician Access for Standalone (missing permission-user)",
            ]
        );
    }

    #[test]
    fn a_backend_only_server_completes_none_and_no_capabilities_says_nothing() {
        let config = json!({"capabilities": ["client-confidential-asymmetric", "permission-v2"]});
        let sets = of_configuration(&config).unwrap();
        assert!(sets.iter().all(|s| s.standing == "incomplete"));
        assert_eq!(summary(&sets), ["capability sets complete: none"]);
        assert_eq!(
            of_configuration(&json!({"capabilities": "launch-ehr"})),
            None
        );
        assert_eq!(of_configuration(&json!({})), None);
    }
}
