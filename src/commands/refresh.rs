//! `smart refresh`: refresh now. The rotated refresh token is stored; on
//! failure the stored set is untouched.

use super::RunContext;
use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::output;
use crate::session;

pub async fn run(ctx: &RunContext) -> Result<()> {
    let a = session::acquire(&ctx.invocation, &ctx.http_options(false), true).await?;
    output::status::print(
        ctx.json,
        a.settings.name(),
        Some(&a.tokens),
        &a.store,
        Some(&a.settings),
        SystemClock.now(),
    )
}
