//! The status block: who is logged in where, with which context and
//! scopes (`smart status`, and the summary after `login` and `refresh`).

use colored::Colorize;
use serde_json::json;

use crate::error::Result;
use crate::oauth::token_set::TokenSet;
use crate::settings::{Settings, Source};
use crate::token_store::TokenStore;

fn human_duration(secs: i64) -> String {
    let a = secs.unsigned_abs();
    let text = if a >= 86400 {
        format!("{}d {}h", a / 86400, a % 86400 / 3600)
    } else if a >= 3600 {
        format!("{}h {}m", a / 3600, a % 3600 / 60)
    } else if a >= 60 {
        format!("{}m {}s", a / 60, a % 60)
    } else {
        format!("{a}s")
    };
    if secs < 0 {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

/// Prints a status report (also the summary after `smart login`). Never
/// prints a token.
pub fn print(
    json: bool,
    profile: &str,
    set: Option<&TokenSet>,
    store: &TokenStore,
    settings: Option<&Settings>,
    now: u64,
) -> Result<()> {
    if json {
        let mut v = match set {
            None => json!({"profile": profile, "logged_in": false, "store": store.describe()}),
            Some(s) => json!({
                "profile": profile,
                "logged_in": true,
                "store": store.describe(),
                "fhir_base": s.fhir_base,
                "client_id": s.client_id,
                "user": s.context.fhir_user,
                "context": s.context,
                "scopes": s.scopes(),
                "scopes_asked": s.scope_asked.as_deref().map(|a| a.split_whitespace().collect::<Vec<_>>()),
                "scopes_dropped": s.dropped(),
                "expires_at": s.expires_at,
                "expires_in": s.expires_in(now),
                "expired": s.expires_in(now).is_some_and(|x| x <= 0),
                "refresh_token": s.refresh_token.is_some(),
                "id_token": s.id_token.is_some(),
                "token_endpoint": s.token_endpoint,
            }),
        };
        if let Some(s) = settings {
            // Where each value came from (secrets redacted).
            v["settings"] = s.provenance();
            v["client_type"] = json!(s.client_type.value.to_string());
            if s.access_token.is_some() {
                v["store"] = json!("none (SMART_ACCESS_TOKEN)");
            }
        }
        return super::print_json(&v);
    }
    const W: usize = 16;
    let l = |t: &str| super::label(t, W);
    // The user, context and scopes come from the server: printable only.
    let p = crate::redact::printable;
    let Some(s) = set else {
        outln!("{}{profile}", l("Profile"));
        outln!("{}{}", l("Logged in"), "no".red());
        return Ok(());
    };
    outln!("{}{profile}", l("Profile"));
    outln!("{}{}", l("Server"), s.fhir_base);
    outln!("{}{}", l("Logged in"), "yes".green());
    outln!("{}{}", l("Client"), s.client_id);
    if let Some(u) = &s.context.fhir_user {
        outln!("{}{}", l("User"), p(u));
    }
    if let Some(pt) = &s.context.patient {
        outln!("{}{}", l("Patient"), p(pt));
    }
    if let Some(e) = &s.context.encounter {
        outln!("{}{}", l("Encounter"), p(e));
    }
    if let Some(i) = &s.context.intent {
        outln!("{}{}", l("Intent"), p(i));
    }
    if let Some(t) = &s.context.tenant {
        outln!("{}{}", l("Tenant"), p(t));
    }
    outln!("{}{}", l("Scopes"), p(&s.scope));
    // What was asked, when the server gave something else.
    if let Some(asked) = &s.scope_asked {
        let same = |a: &str, b: &str| {
            let (mut a, mut b): (Vec<&str>, Vec<&str>) = (
                a.split_whitespace().collect(),
                b.split_whitespace().collect(),
            );
            a.sort_unstable();
            b.sort_unstable();
            a == b
        };
        if !same(asked, &s.scope) {
            outln!("{}{}", l("Asked for"), p(asked));
        }
        let dropped = s.dropped();
        if !dropped.is_empty() {
            outln!("{}{}", l("Not granted"), p(&dropped.join(" ")).yellow());
        }
    }
    let exp = match s.expires_in(now) {
        None => "unknown (no expires_in)".to_owned(),
        Some(x) if x <= 0 => format!("expired {}", human_duration(x))
            .yellow()
            .to_string(),
        Some(x) => format!("expires {}", human_duration(x)),
    };
    outln!("{}{exp}", l("Access token"));
    outln!(
        "{}{}",
        l("Refresh token"),
        if s.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    match settings {
        Some(st) if st.access_token.is_some() => {
            outln!("{}SMART_ACCESS_TOKEN (not stored)", l("Token from"))
        }
        _ => outln!("{}{}", l("Stored in"), store.describe()),
    }
    if let Some(st) = settings {
        let from_env = env_names(st);
        if !from_env.is_empty() {
            outln!("{}{}", l("From env"), from_env.join(", "));
        }
    }
    Ok(())
}

/// The environment variables that supplied values (`status` names them so
/// that a surprising value can be traced).
fn env_names(s: &Settings) -> Vec<&'static str> {
    let sources = [
        Some(&s.profile.source),
        s.fhir_base.as_ref().map(|v| &v.source),
        s.client_id.as_ref().map(|v| &v.source),
        Some(&s.scope.source),
        Some(&s.client_type.source),
        s.client_secret.as_ref().map(|v| &v.source),
        s.private_key.as_ref().map(|v| &v.source),
        s.kid.as_ref().map(|v| &v.source),
        s.alg.as_ref().map(|v| &v.source),
        s.jku.as_ref().map(|v| &v.source),
        s.access_token.as_ref().map(|v| &v.source),
        Some(&s.token_store.source),
    ];
    sources
        .into_iter()
        .flatten()
        .filter_map(|src| match src {
            Source::Env(name) => Some(*name),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(3599), "in 59m 59s");
        assert_eq!(human_duration(-30), "30s ago");
        assert_eq!(human_duration(90000), "in 1d 1h");
    }
}
