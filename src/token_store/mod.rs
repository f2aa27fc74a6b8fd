//! Where tokens and client secrets live: the OS keychain by default, an
//! explicit 0600 file store, or nowhere. (Being written.)

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)
    Keychain,
    /// Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)
    File,
    /// Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)
    None,
}
