//! Blocking work (keychain D-Bus calls, file locks) called from async code.

/// Runs blocking token-store work (keychain D-Bus calls, file locks) without
/// stalling the async runtime.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
