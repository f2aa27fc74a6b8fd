//! Every command ends quietly when whoever reads its stdout has gone
//! (`smart status | head -1`): exit 0, no panic text, never Rust's 101 (which
//! the exit-code table lacks). The reader here closes before the command's
//! first line, so each write meets a closed pipe; a reader that closed after
//! one line would only race the command's remaining writes.

use crate::support;

use std::process::Stdio;

use support::{APPROVE, SandboxServer, TempConfig, browser_script};

/// Runs `smart ARGS` with its stdout a pipe whose reading end is already
/// closed; returns the exit code and stderr.
fn with_stdout_closed(cfg: &TempConfig, args: &[&str]) -> (i32, String) {
    let mut cmd = cfg.file_store_std();
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("smart starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("smart runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_ends_quietly_when_stdout_is_closed() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    cfg.file_store_cmd()
        .args(["profile", "add", "sb", "--fhir-base", &sb.fhir_base])
        .args(["--client-id", "smart-cli"])
        .assert()
        .success();
    let browser = browser_script(cfg.dir.path(), "browser.sh", APPROVE);
    cfg.file_store_cmd()
        .env("BROWSER", &browser)
        .args(["login", "--timeout", "20", "--scope"])
        .arg("openid fhirUser user/*.rs offline_access")
        .assert()
        .success();
    let commands: &[&[&str]] = &[
        &["status"],
        &["--json", "status"],
        &["profile", "list"],
        &["profile", "show"],
        &["discover", &sb.fhir_base],
        &["--json", "discover", &sb.fhir_base],
        &["check", "--list"],
        &["capabilities"],
        &["query", "Patient"],
        &["get", "Patient/p000001"],
        &["token"],
        &["completions", "bash"],
        &["man"],
        // Last: it ends the session the others use.
        &["logout"],
    ];
    for args in commands {
        let (code, stderr) = with_stdout_closed(&cfg, args);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "smart {args:?} on a closed stdout: {stderr}"
        );
        assert_eq!(code, 0, "smart {args:?} on a closed stdout: {stderr}");
    }
}
