//! `smart refresh`: refresh now. The rotated refresh token is stored; on
//! failure the stored set is untouched.

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::session;

pub async fn run(g: &GlobalArgs) -> Result<()> {
    let a = session::acquire(g, true).await?;
    super::status::print(
        g,
        a.settings.name(),
        Some(&a.tokens),
        &a.store,
        Some(&a.settings),
    )
}
