//! What may go into a crawl's searches and file names: FHIR ids, type
//! names, parameter names. Checked wherever they come from (the command
//! line, a file, the server, a state file on disk).

/// A FHIR `id`: 1–64 of `A-Z a-z 0-9 - .`. Anything else would change the
/// meaning of the search it goes into.
pub fn is_fhir_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// A FHIR resource type name: what may become part of a file name.
pub fn is_type_name(t: &str) -> bool {
    t.len() <= 64
        && t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A search parameter name as a CapabilityStatement may give it.
pub fn is_param_name(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 64
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_types_and_parameters() {
        assert!(is_fhir_id("a-1.B"));
        assert!(!is_fhir_id("a&b=c"));
        assert!(!is_fhir_id(""));
        assert!(!is_fhir_id(&"x".repeat(65)));
        assert!(is_type_name("Observation"));
        assert!(!is_type_name("../x") && !is_type_name("observation"));
        assert!(is_param_name("_id") && is_param_name("policy-holder"));
        assert!(!is_param_name("a=b"));
    }
}
