//! The quirks fingerprint: which of `smart`'s own workarounds (README,
//! "Server quirks") this server needs, with the setting to use, judged only
//! from what the check run already saw: the SMART configuration, the
//! CapabilityStatement, the code exchange's answer and access token, and
//! the first refresh answer. Information for a client developer, never a
//! verdict: every quirk here is legal or coped with.

use serde::Serialize;
use serde_json::Value;

/// What the run saw (each `None` when that step did not happen).
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The SMART configuration, and whether it came from `/metadata`'s
    /// `oauth-uris` because `.well-known/smart-configuration` was missing.
    pub config: Option<Value>,
    pub config_from_metadata: bool,
    pub capability_statement: Option<Value>,
    /// The code exchange's answer (tokens redacted: only the fields matter).
    pub token_answer: Option<Value>,
    /// Whether that access token is a JWT (three base64url parts whose
    /// first is a JSON header with `alg`).
    pub access_token_is_jwt: Option<bool>,
    /// The answer to the first refresh (without `scope`).
    pub refresh_answer: Option<Value>,
}

/// One quirk this server has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quirk {
    /// The `smart sandbox --quirk` that imitates it.
    pub quirk: &'static str,
    /// What was seen.
    pub seen: String,
    /// What `smart` does about it.
    pub smart_does: &'static str,
    /// The profile setting to use, when one matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setting: Option<&'static str>,
}

/// Whether a token looks like a JWT.
pub fn is_jwt(token: &str) -> bool {
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0].trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|h| h.get("alg").is_some())
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The quirks `o` shows, in README's order.
pub fn fingerprint(o: &Observed) -> Vec<Quirk> {
    let mut out = Vec::new();
    let mut add = |quirk, seen: String, smart_does, setting| {
        out.push(Quirk {
            quirk,
            seen,
            smart_does,
            setting,
        })
    };
    if let Some(t) = &o.token_answer
        && let Some(s) = t.get("expires_in").and_then(Value::as_str)
    {
        add(
            "expires-in-string",
            format!("expires_in is a string (\"{s}\")"),
            "reads it as seconds",
            None,
        );
    }
    if let Some(t) = &o.token_answer
        && t.get("refresh_token").is_some()
        && let Some(scope) = t.get("scope").and_then(Value::as_str)
        && !scope
            .split_whitespace()
            .any(|s| s == "offline_access" || s == "online_access")
    {
        add(
            "refresh-without-offline-access",
            "a refresh token came with a scope that has no offline_access".into(),
            "takes the refresh token as the grant (no \"not granted\" warning)",
            None,
        );
    }
    if let Some(r) = &o.refresh_answer
        && r.get("access_token").is_some()
    {
        if r.get("refresh_token").is_none() {
            add(
                "refresh-keeps-token",
                "the refresh answer has no new refresh token".into(),
                "keeps the old refresh token and uses it again",
                None,
            );
        }
        let had = |k: &str| o.token_answer.as_ref().is_some_and(|t| t.get(k).is_some());
        let lost: Vec<&str> = ["patient", "encounter"]
            .into_iter()
            .filter(|k| had(k) && r.get(*k).is_none())
            .collect();
        if !lost.is_empty() {
            add(
                "refresh-drops-context",
                format!("the refresh answer leaves out {}", lost.join(" and ")),
                "keeps the launch context of the code exchange",
                None,
            );
        }
    }
    if o.config_from_metadata {
        add(
            "no-well-known",
            "no /.well-known/smart-configuration; the endpoints came from /metadata".into(),
            "uses /metadata's oauth-uris (with a warning) and .well-known/openid-configuration",
            None,
        );
    }
    if let Some(c) = &o.config {
        let caps = strings(c.get("capabilities"));
        let (v1, v2) = (
            caps.contains(&"permission-v1"),
            caps.contains(&"permission-v2"),
        );
        let only = match (v1, v2) {
            (true, false) => Some(("scopes-v1-only", "permission-v1")),
            (false, true) => Some(("scopes-v2-only", "permission-v2")),
            _ => None,
        };
        if let Some((quirk, cap)) = only {
            add(
                quirk,
                format!("only {cap} is advertised"),
                "asks for scopes in the server's dialect (patient/*.rs ⇄ patient/*.read) and says so",
                Some("scope_translation = true (the default; false sends scopes as written)"),
            );
        }
    }
    if o.access_token_is_jwt == Some(false) {
        add(
            "opaque-tokens",
            "the access token is not a JWT".into(),
            "calls it opaque in `smart token --decode`; `smart token --introspect` reads it",
            None,
        );
    }
    if let Some(cs) = &o.capability_statement {
        let export = cs
            .get("rest")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|r| {
                let ops = |v: Option<&Value>| -> Vec<Value> {
                    v.and_then(Value::as_array).cloned().unwrap_or_default()
                };
                let mut all = ops(r.get("operation"));
                for res in ops(r.get("resource")) {
                    all.extend(ops(res.get("operation")));
                }
                all
            })
            .any(|op| {
                op.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.trim_start_matches('$') == "export")
            });
        if !export {
            add(
                "no-bulk-export",
                "the CapabilityStatement declares no $export".into(),
                "exports with `smart export --crawl` (ordinary searches, the same layout)",
                Some("smart export --crawl"),
            );
        }
    }
    out
}

/// The checklist's lines.
pub fn summary(quirks: &[Quirk]) -> Vec<String> {
    if quirks.is_empty() {
        return vec!["server quirks: none of smart's workarounds is needed".into()];
    }
    let mut lines =
        vec!["server quirks (smart copes; `smart sandbox --quirk NAME` imitates each):".to_owned()];
    for q in quirks {
        lines.push(format!("  {}: {}; smart {}", q.quirk, q.seen, q.smart_does));
        if let Some(s) = q.setting {
            lines.push(format!("    setting: {s}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clean() -> Observed {
        Observed {
            config: Some(json!({"capabilities": ["permission-v1", "permission-v2"]})),
            config_from_metadata: false,
            capability_statement: Some(json!({"rest": [{"operation": [{"name": "export"}]}]})),
            token_answer: Some(json!({
                "access_token": "[redacted]", "expires_in": 3600, "refresh_token": "[redacted]",
                "scope": "openid offline_access patient/*.rs", "patient": "p1"
            })),
            access_token_is_jwt: Some(true),
            refresh_answer: Some(json!({
                "access_token": "[redacted]", "refresh_token": "[redacted]", "patient": "p1"
            })),
        }
    }

    fn names(o: &Observed) -> Vec<&'static str> {
        fingerprint(o).iter().map(|q| q.quirk).collect()
    }

    #[test]
    fn a_server_without_quirks_needs_no_workaround() {
        assert!(fingerprint(&clean()).is_empty());
        assert_eq!(
            summary(&[]),
            ["server quirks: none of smart's workarounds is needed"]
        );
        assert!(
            fingerprint(&Observed::default()).is_empty(),
            "nothing seen, nothing said"
        );
    }

    #[test]
    fn each_quirk_is_told_from_what_the_check_saw() {
        let mut o = clean();
        o.token_answer = Some(json!({
            "access_token": "x", "expires_in": "3600", "refresh_token": "y", "scope": "openid patient/*.rs",
            "patient": "p1", "encounter": "e1"
        }));
        o.refresh_answer = Some(json!({"access_token": "z"}));
        o.access_token_is_jwt = Some(false);
        o.config = Some(json!({"capabilities": ["permission-v1"]}));
        o.config_from_metadata = true;
        o.capability_statement = Some(json!({"rest": [{"resource": [{"type": "Patient"}]}]}));
        assert_eq!(
            names(&o),
            [
                "expires-in-string",
                "refresh-without-offline-access",
                "refresh-keeps-token",
                "refresh-drops-context",
                "no-well-known",
                "scopes-v1-only",
                "opaque-tokens",
                "no-bulk-export",
            ]
        );
        let q = fingerprint(&o);
        assert_eq!(
            q[3].seen,
            "the refresh answer leaves out patient and encounter"
        );
        assert!(
            q[5].setting
                .unwrap()
                .starts_with("scope_translation = true")
        );
        o.config = Some(json!({"capabilities": ["permission-v2"]}));
        assert!(names(&o).contains(&"scopes-v2-only"));
    }

    #[test]
    fn an_export_declared_on_a_resource_counts() {
        let mut o = clean();
        o.capability_statement = Some(json!({"rest": [{"resource": [
            {"type": "Group", "operation": [{"name": "$export"}]}
        ]}]}));
        assert!(fingerprint(&o).is_empty());
    }

    #[test]
    fn jwts_are_told_from_opaque_tokens() {
        let h = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            r#"{"alg":"RS256"}"#,
        );
        assert!(is_jwt(&format!("{h}.e30.c2ln")));
        assert!(!is_jwt("abc.def.ghi"));
        assert!(!is_jwt("2YotnFZFEjr1zCsicMWpAA"));
    }
}
