//! `smart sandbox` as a command: the JSON start-up line, `launch-url`, a
//! taken port, usage errors, `--fault help` and `--quirk help`. (The server itself is tested
//! in its own crate, `crates/sandbox/tests/it`.)

use serde_json::{Value, json};

const CLI: &str = "smart-cli";
const CONF: &str = "smart-confidential";
const CONF_SECRET: &str = "smart-sandbox-secret";

// ------------------------------------------------------------ the command

/// A `smart sandbox` child process, killed on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn command_prints_json_then_serves_and_launch_url_works() {
    use std::io::BufRead;
    let bin = env!("CARGO_BIN_EXE_smart");
    let mut child = Child(
        std::process::Command::new(bin)
            .args([
                "--json",
                "sandbox",
                "--port",
                "0",
                "--patients",
                "5",
                "--fault",
                "slow-token",
                "--quirk",
                "opaque-tokens,expires-in-string",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let base = info["fhir_base"].as_str().unwrap();
    assert_eq!(info["issuer"], base);
    assert_eq!(info["export_endpoint"], format!("{base}/$export"));
    assert!(
        info["storage_origin"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(info["faults"], json!(["slow-token"]));
    assert_eq!(
        info["quirks"],
        json!(["expires-in-string", "opaque-tokens"])
    );
    let clients = info["clients"].as_array().unwrap();
    assert!(clients.iter().any(|c| c["client_id"] == CLI));
    assert!(
        clients
            .iter()
            .any(|c| c["client_id"] == CONF && c["client_secret"] == CONF_SECRET)
    );

    let out = std::process::Command::new(bin)
        .args([
            "sandbox",
            "launch-url",
            "--app",
            "https://app.example/launch",
            "--patient",
            "p1",
            "--base",
            base,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.starts_with("https://app.example/launch?iss="),
        "{printed}"
    );
    assert!(printed.contains("&launch="));

    let out = std::process::Command::new(bin)
        .args([
            "--json",
            "sandbox",
            "launch-url",
            "--app",
            "https://app.example/launch",
            "--base",
            base,
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["launch"].is_string());

    // The port is taken now: a second sandbox on it fails with exit 1, one
    // line and a hint naming the port and `--port 0`.
    let port = url::Url::parse(base).unwrap().port().unwrap().to_string();
    let out = std::process::Command::new(bin)
        .args(["sandbox", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
    let lines: Vec<&str> = err.trim().lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[1].contains("hint:")
            && lines[1].contains(&format!(":{port} is taken"))
            && lines[1].contains("--port 0"),
        "{err}"
    );
}

#[test]
fn command_usage_errors_and_fault_help() {
    let bin = env!("CARGO_BIN_EXE_smart");
    let out = std::process::Command::new(bin)
        .args(["sandbox", "--fault", "help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (name, _, _) in smart_sandbox::faults::ALL {
        assert!(text.contains(name), "{name}");
    }
    for args in [
        vec!["sandbox", "--fault", "bogus"],
        vec!["sandbox", "--quirk", "bogus"],
        vec!["sandbox", "--quirk", "http-429"],
        vec!["sandbox", "--clients", "/nonexistent/clients.json"],
        vec!["sandbox", "--upstream", "ftp://x"],
        vec!["sandbox", "--export-delay=-1"],
        vec!["sandbox", "--export-file-lines", "0"],
        vec![
            "sandbox",
            "launch-url",
            "--app",
            "https://a/",
            "--base",
            "http://127.0.0.1:1/fhir",
        ],
    ] {
        let out = std::process::Command::new(bin)
            .args(&args)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn quirk_help_names_each_quirk_and_where_it_is_seen() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smart"))
        .args(["sandbox", "--quirk", "help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for e in smart_sandbox::quirks::ALL {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", e.name)))
            .unwrap_or_else(|| panic!("{} listed: {text}", e.name));
        assert!(line.contains(e.seen), "{line}");
    }
    assert!(text.contains("reported for Epic"), "{text}");
    assert!(text.contains("Azure AD style"), "{text}");
    // A quirk given as a fault is pointed to the right flag.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smart"))
        .args(["sandbox", "--fault", "no-well-known"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--quirk no-well-known"), "{err}");
}
