//! Helpers shared by the backend-services, environment and registration
//! tests: a test environment (temp config, file token store, in-process
//! sandbox), keys made with `smart keys generate`, sandbox client files, and
//! a bearer request to the sandbox's FHIR base.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

use crate::support::{SandboxServer, TempConfig, browser_script};

/// A temp dir with a config path and a file token store, plus a sandbox.
pub struct Env {
    pub cfg: TempConfig,
    pub sb: SandboxServer,
}

impl Env {
    pub fn new(sb: SandboxServer) -> Env {
        Env {
            cfg: TempConfig::new(),
            sb,
        }
    }

    pub fn dir(&self) -> &Path {
        self.cfg.dir.path()
    }

    pub fn state(&self) -> PathBuf {
        self.cfg.state()
    }

    /// `smart` with the temp config and the file store in the temp dir.
    pub fn cmd(&self) -> assert_cmd::Command {
        self.cfg.file_store_cmd()
    }

    pub fn browser(&self, body: &str) -> String {
        browser_script(self.dir(), "browser.sh", body)
            .display()
            .to_string()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(args).arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }

    pub fn token(&self, profile: &str) -> String {
        let out = self.cmd().args(["-p", profile, "token"]).assert().success();
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .trim()
            .to_owned()
    }
}

/// A key made by `smart keys generate` in `dir`: (private key path, JWKS).
pub fn keygen(dir: &Path, alg: &str, kid: Option<&str>) -> (PathBuf, Value) {
    let cfg = dir.join("keygen-config.toml");
    let out_dir = dir.join(format!("keys-{alg}-{}", kid.unwrap_or("thumb")));
    let mut c = crate::support::smart(&cfg);
    c.args(["keys", "generate", "--alg", alg, "--out"])
        .arg(&out_dir);
    if let Some(k) = kid {
        c.args(["--kid", k]);
    }
    let out = c.assert().success();
    let jwks: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    (out_dir.join("smart.key.pem"), jwks)
}

/// A backend client registration for the sandbox's `--clients` file.
pub fn backend_client(id: &str, keys: Value) -> Value {
    json!({
        "client_id": id,
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials"],
        "jwks": keys,
    })
}

/// A confidential-asymmetric (code flow) client registration.
pub fn asymmetric_client(id: &str, keys: Value) -> Value {
    json!({
        "client_id": id,
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["http://127.0.0.1/callback"],
        "jwks": keys,
    })
}

/// A sandbox that knows `clients` (written to a file in `dir`).
pub fn sandbox_with(
    dir: &Path,
    clients: Vec<Value>,
    f: impl FnOnce(&mut smart_sandbox::Options),
) -> SandboxServer {
    let path = dir.join(format!("clients-{}.json", rand_suffix()));
    std::fs::write(&path, Value::Array(clients).to_string()).unwrap();
    let mut opts = smart_sandbox::Options {
        auto_approve: true,
        clients_file: Some(path),
        ..Default::default()
    };
    f(&mut opts);
    SandboxServer::start(opts)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// GET `{fhir_base}/{path}` with the token; (status, body).
pub fn fhir_get(fhir_base: &str, path: &str, token: &str) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new()
        .get(format!("{fhir_base}/{path}"))
        .bearer_auth(token)
        .header("accept", "application/fhir+json")
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

pub fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

pub fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}
