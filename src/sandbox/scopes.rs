//! SMART scopes (v1 `patient/*.read`, v2 `patient/Observation.rs`) and what a
//! grant permits.

use super::{Access, Grant, Interaction};

impl Grant {
    /// May this grant perform `interaction` on `resource_type`, and where?
    pub fn access(&self, _resource_type: &str, _interaction: Interaction) -> Access {
        // PLACEHOLDER until the scopes module lands: deny everything.
        Access::Denied
    }
}
