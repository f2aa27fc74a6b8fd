//! SMART App Launch 2.x capabilities (conformance.html, "Capabilities").

/// Every capability defined by SMART App Launch 2.x.
pub const KNOWN_CAPABILITIES: &[&str] = &[
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-banner",
    "context-style",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "context-standalone-encounter",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
    "smart-app-state",
];

/// True for a capability SMART App Launch 2.x defines.
pub fn is_known(capability: &str) -> bool {
    KNOWN_CAPABILITIES.contains(&capability)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_has_no_repeats() {
        let mut v = super::KNOWN_CAPABILITIES.to_vec();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), super::KNOWN_CAPABILITIES.len());
        assert!(super::is_known("permission-v2"));
        assert!(!super::is_known("launch-implicit"));
    }
}
