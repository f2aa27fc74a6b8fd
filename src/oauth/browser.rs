//! Opening the system browser, or deciding not to.
//!
//! `webbrowser::open` reports success as soon as a command starts, so the
//! caller always prints the URL as well and never relies on this.

use std::io::IsTerminal;

/// What happened when we tried to show the user a URL.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// A browser command was started (it may still fail; the URL is printed anyway).
    Started(String),
    /// No browser was tried, and why.
    NotTried(String),
}

/// True when this process runs under WSL (Linux on Windows).
pub fn is_wsl() -> bool {
    cfg!(target_os = "linux")
        && std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.to_ascii_lowercase().contains("microsoft"))
            .unwrap_or(false)
}

/// True for CI systems (`CI=true` or `CI=1`), where nothing may prompt or pop up.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// Why a browser cannot be opened here, or `None` when it can be tried.
pub fn unavailable_reason() -> Option<String> {
    if std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty()) {
        return None;
    }
    if in_ci() {
        return Some("CI is set".into());
    }
    if cfg!(target_os = "linux") && !is_wsl() {
        let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        if !has_display {
            return Some("no graphical display (DISPLAY/WAYLAND_DISPLAY unset)".into());
        }
    }
    None
}

/// Opens `url` in the system browser (`BROWSER` honoured; WSL uses the
/// Windows browser through `wslview` or `cmd.exe`).
pub fn open(url: &str) -> Opened {
    if let Some(why) = unavailable_reason() {
        return Opened::NotTried(why);
    }
    if is_wsl() && std::env::var_os("BROWSER").is_none() {
        for (cmd, args) in [("wslview", vec![]), ("cmd.exe", vec!["/c", "start", ""])] {
            let mut c = std::process::Command::new(cmd);
            // cmd.exe treats & specially; quote the URL for it.
            let arg = if cmd == "cmd.exe" {
                url.replace('&', "^&")
            } else {
                url.to_owned()
            };
            c.args(args).arg(arg);
            c.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            if c.spawn().is_ok() {
                return Opened::Started(cmd.to_owned());
            }
        }
        return Opened::NotTried("WSL without wslview or cmd.exe".into());
    }
    match webbrowser::open(url) {
        Ok(()) => Opened::Started(
            std::env::var("BROWSER").unwrap_or_else(|_| "the system browser".into()),
        ),
        Err(e) => Opened::NotTried(format!("no browser could be started ({e})")),
    }
}

/// Pasting the redirected URL back is offered only to a person at a terminal.
pub fn can_paste() -> bool {
    std::io::stdin().is_terminal() && !in_ci()
}
