//! Opening the system browser, or deciding not to.
//!
//! `webbrowser::open` reports success as soon as a command starts, so the
//! caller always prints the URL as well and never relies on this.

use std::io::IsTerminal;

use crate::settings::Environment;

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

/// Why a browser cannot be opened here, or `None` when it can be tried.
pub fn unavailable_reason(env: &Environment) -> Option<String> {
    if env.browser().is_some() {
        return None;
    }
    if env.in_ci() {
        return Some("CI is set".into());
    }
    if cfg!(target_os = "linux") && !is_wsl() && !env.has_display() {
        return Some("no graphical display (DISPLAY/WAYLAND_DISPLAY unset)".into());
    }
    None
}

/// Opens `url` in the system browser (`BROWSER` honoured; WSL uses the
/// Windows browser through `wslview` or `cmd.exe`).
pub fn open(url: &str, env: &Environment) -> Opened {
    if let Some(why) = unavailable_reason(env) {
        return Opened::NotTried(why);
    }
    if is_wsl() && env.browser().is_none() {
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
        Ok(()) => Opened::Started(env.browser().map_or_else(
            || "the system browser".into(),
            |b| b.to_string_lossy().into_owned(),
        )),
        Err(e) => Opened::NotTried(format!("no browser could be started ({e})")),
    }
}

/// Pasting the redirected URL back is offered only to a person at a terminal.
pub fn can_paste(env: &Environment) -> bool {
    std::io::stdin().is_terminal() && !env.in_ci()
}
