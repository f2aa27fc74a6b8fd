//! SMART writes resource scopes two ways — 1.0's `patient/*.read` and 2.x's
//! `patient/*.rs` — and a server may take only one (it says which with the
//! `permission-v1` / `permission-v2` capability). Asking such a server in
//! the other dialect gets those scopes silently dropped; so, unless the
//! profile says `scope_translation = false`, a login asks in the dialect
//! the server speaks, and says so.

use smart_vocab::scope::{Dialect, ResourceScope, split};

/// A scope rewritten for a server of one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The scope to ask for.
    pub scope: String,
    /// The dialect the server advertises alone.
    pub dialect: Dialect,
    /// (as written, as asked) for each scope rewritten.
    pub changed: Vec<(String, String)>,
}

/// The one dialect a server's capabilities name; `None` for both or none
/// (nothing to go by: scopes are sent as written).
pub fn only_dialect(capabilities: &[&str]) -> Option<Dialect> {
    let has = |d: Dialect| capabilities.contains(&d.capability());
    match (has(Dialect::V1), has(Dialect::V2)) {
        (true, false) => Some(Dialect::V1),
        (false, true) => Some(Dialect::V2),
        _ => None,
    }
}

/// `scope` in the dialect of a server with these capabilities, when that
/// changes anything. Scopes that cannot be said in the server's dialect (a
/// query-constrained v2 scope for a v1 server) stay as written.
pub fn for_server(scope: &str, capabilities: &[&str]) -> Option<Translated> {
    let dialect = only_dialect(capabilities)?;
    let mut changed = Vec::new();
    let rewritten: Vec<String> = split(scope)
        .into_iter()
        .map(
            |s| match ResourceScope::parse(&s).and_then(|r| r.in_dialect(dialect)) {
                Some(t) => {
                    changed.push((s, t.clone()));
                    t
                }
                None => s,
            },
        )
        .collect();
    if changed.is_empty() {
        return None;
    }
    Some(Translated {
        scope: split(&rewritten.join(" ")).join(" "),
        dialect,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_dialect_server_gets_its_dialect() {
        let v1 = ["launch-standalone", "permission-v1"];
        let t = for_server("openid patient/*.rs patient/*.read offline_access", &v1).unwrap();
        assert_eq!(
            t.scope, "openid patient/*.read offline_access",
            "one, not two"
        );
        assert_eq!(t.dialect, Dialect::V1);
        assert_eq!(
            t.changed,
            [("patient/*.rs".to_owned(), "patient/*.read".to_owned())]
        );

        let v2 = ["permission-v2"];
        let t = for_server("user/Observation.read user/Patient.write", &v2).unwrap();
        assert_eq!(t.scope, "user/Observation.rs user/Patient.cud");
        assert_eq!(t.changed.len(), 2);
    }

    #[test]
    fn nothing_changes_without_a_single_dialect_or_anything_to_rewrite() {
        assert_eq!(
            for_server("patient/*.rs", &["permission-v1", "permission-v2"]),
            None
        );
        assert_eq!(for_server("patient/*.rs", &[]), None);
        assert_eq!(for_server("openid patient/*.rs", &["permission-v2"]), None);
        assert_eq!(
            for_server(
                "patient/Observation.rs?category=laboratory",
                &["permission-v1"]
            ),
            None,
            "a constrained scope has no v1 form"
        );
    }
}
