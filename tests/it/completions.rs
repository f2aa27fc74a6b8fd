//! The checked-in completion scripts and man page must match what the
//! current CLI generates. Regenerate with:
//! `SMART_UPDATE_COMPLETIONS=1 cargo test --test it completions`.

use smart::cli::generate;
use std::path::Path;

fn check(name: &str, generated: Vec<u8>) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name);
    if std::env::var_os("SMART_UPDATE_COMPLETIONS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return None;
    }
    match std::fs::read(&path) {
        Ok(on_disk) if on_disk == generated => None,
        Ok(_) => Some(format!("{name} differs from the CLI")),
        Err(e) => Some(format!("{name}: {e}")),
    }
}

#[test]
fn completions_and_man_page_are_up_to_date() {
    let mut stale: Vec<String> = generate::FILES
        .iter()
        .filter_map(|(name, shell)| check(name, generate::completion(*shell)))
        .collect();
    stale.extend(check(generate::MAN_FILE, generate::man_page()));
    assert!(
        stale.is_empty(),
        "{}; run SMART_UPDATE_COMPLETIONS=1 cargo test --test it completions",
        stale.join(", ")
    );
}

#[test]
fn the_completions_command_prints_the_same_script() {
    let out = assert_cmd::Command::cargo_bin("smart")
        .unwrap()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, generate::completion(clap_complete::Shell::Bash));
}
