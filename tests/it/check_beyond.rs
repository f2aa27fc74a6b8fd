//! `smart check` beyond Inferno: the client-confidential-asymmetric
//! assertions a server must refuse, as the sandbox received them.

use base64::Engine;
use serde_json::Value;

use crate::support::{SandboxServer, TempConfig};

fn check(env: &[(&str, String)], extra: &[&str]) -> Value {
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["check", "--json"])
        .args(extra)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

/// A JWT's header and claims, undecoded by any verifier.
fn parts(jwt: &str) -> (Value, Value) {
    let seg = |i: usize| -> Value {
        let s = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap(),
        )
        .unwrap()
    };
    (seg(0), seg(1))
}

const ASYMMETRIC: [&str; 5] = [
    "backend.jku-unregistered",
    "backend.iss-not-sub",
    "backend.exp-too-far",
    "backend.alg-none",
    "backend.hs256-public-key",
];

#[test]
fn the_asymmetric_forgeries_reach_the_server_each_with_its_one_fault() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, env) = crate::check::with_backend_client(dir.path(), |_| {});
    let only = ASYMMETRIC.join(",");
    let report = check(&env, &["--only", &only]);
    for id in ASYMMETRIC {
        let r = result(&report, id);
        assert_eq!(r["status"], "pass", "{r:#}");
        assert_eq!(r["reason"], "refused: 401 invalid_client", "{r:#}");
        assert!(
            r["requirements"]
                .as_array()
                .unwrap()
                .contains(&"hl7.fhir.uv.smart-app-launch_2.2.0@340".into())
        );
        assert_eq!(r["inferno"], serde_json::json!([]));
    }
    // What the token endpoint received: the good assertion the group starts
    // with, then the five, each a client_credentials request of `bot`
    // differing from a good assertion in exactly its rule.
    let assertions: Vec<(Value, Value, String)> = sb
        .journal
        .to("/auth/token")
        .iter()
        .filter(|r| r.param("grant_type") == Some("client_credentials"))
        .map(|r| {
            let jwt = r.param("client_assertion").unwrap();
            let (h, c) = parts(jwt);
            (h, c, jwt.rsplit('.').next().unwrap().to_owned())
        })
        .collect();
    assert_eq!(assertions.len(), 6, "{assertions:?}");
    let forged = &assertions[1..];
    for (h, c, _) in forged {
        assert_eq!((&c["iss"], &h["kid"]), (&"bot".into(), &"bot-key".into()));
        assert_eq!(c["aud"], format!("{}/auth/token", sb.origin));
    }
    let count =
        |p: &dyn Fn(&(Value, Value, String)) -> bool| forged.iter().filter(|a| p(a)).count();
    assert_eq!(
        count(&|(h, _, _)| h["jku"] == "https://smart-check.invalid/jwks.json"),
        1
    );
    assert_eq!(count(&|(_, c, _)| c["sub"] != c["iss"]), 1);
    assert_eq!(
        count(&|(_, c, _)| c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap() > 300),
        1
    );
    assert_eq!(
        count(&|(h, _, sig)| h["alg"] == "none" && sig.is_empty()),
        1
    );
    assert_eq!(
        count(&|(h, _, sig)| h["alg"] == "HS256" && !sig.is_empty()),
        1
    );
    // Each has its own jti: a replay is never why one is refused.
    let mut jtis: Vec<&str> = assertions
        .iter()
        .map(|(_, c, _)| c["jti"].as_str().unwrap())
        .collect();
    jtis.sort();
    jtis.dedup();
    assert_eq!(jtis.len(), 6);
}

const APP_STATE: [&str; 3] = [
    "fhir.app-state",
    "fhir.app-state-if-match",
    "fhir.app-state-stale-version",
];

#[test]
fn the_app_state_round_trip_sends_what_smart_asks_and_the_sandbox_refuses_what_it_must() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
        .args(["--only", &APP_STATE.join(",")])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for id in APP_STATE {
        assert_eq!(result(&report, id)["status"], "pass", "{report:#}");
    }
    assert_eq!(
        result(&report, "fhir.app-state-if-match")["reason"],
        "PUT without If-Match: 412"
    );
    // Its token was asked for the app-state scope alone (beside the run's
    // own code exchange, which every user-client run makes).
    let scopes: Vec<String> = sb
        .journal
        .to("/auth/authorize")
        .iter()
        .filter_map(|r| r.param("scope").map(str::to_owned))
        .filter(|s| s.contains("Basic"))
        .collect();
    assert_eq!(scopes, ["launch/patient patient/Basic.cruds"]);
    let basic: Vec<_> = sb
        .journal
        .all()
        .into_iter()
        .filter(|r| r.path.starts_with("/fhir/Basic"))
        .collect();
    let seen: Vec<(String, Option<String>)> = basic
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.headers
                    .get("if-match")
                    .map(|v| v.to_str().unwrap().to_owned()),
            )
        })
        .collect();
    let m = |method: &str, tag: Option<&str>| (method.to_owned(), tag.map(str::to_owned));
    assert_eq!(
        seen,
        [
            m("POST", None),
            m("PUT", None),
            m("PUT", Some("W/\"1\"")),
            m("PUT", Some("W/\"1\"")),
            m("GET", None),
            m("DELETE", Some("W/\"2\"")),
            m("GET", None),
        ]
    );
    // The state: for the launched patient, an absolute reference; found
    // by its code and that subject.
    let created = basic[0].json.as_ref().unwrap();
    let subject = created["subject"]["reference"].as_str().unwrap();
    assert!(
        subject.starts_with(&format!("{}/Patient/", sb.fhir_base.trim_end_matches('/'))),
        "{subject}"
    );
    assert!(created.get("id").is_none());
    let code = format!(
        "https://smart-check.invalid|{}",
        created["code"]["coding"][0]["code"].as_str().unwrap()
    );
    for search in [&basic[4], &basic[6]] {
        assert_eq!(search.param("code"), Some(code.as_str()));
        assert_eq!(search.param("subject"), Some(subject));
    }
}

#[test]
fn the_quirks_fingerprint_names_what_the_sandbox_imitates_and_nothing_on_a_clean_one() {
    let quirks = "expires-in-string,opaque-tokens,refresh-keeps-token,scopes-v1-only,no-bulk-export,refresh-drops-context";
    let run = |sb: &SandboxServer| -> Value {
        let out = TempConfig::new()
            .cmd()
            .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let report = run(&SandboxServer::with_quirks(quirks));
    let names: Vec<&str> = report["quirks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["quirk"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "expires-in-string",
            "refresh-keeps-token",
            "refresh-drops-context",
            "scopes-v1-only",
            "opaque-tokens",
            "no-bulk-export",
        ]
    );
    let v1 = &report["quirks"][3];
    assert!(
        v1["setting"]
            .as_str()
            .unwrap()
            .starts_with("scope_translation = true")
    );
    let clean = run(&SandboxServer::auto_approve());
    assert_eq!(clean["quirks"], serde_json::json!([]));
    let sets = clean["capability_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 4);
    assert!(sets.iter().all(|s| s["standing"] == "complete"), "{sets:?}");
}
