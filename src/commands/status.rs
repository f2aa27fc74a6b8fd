//! `smart status`: who is logged in where, with which context and scopes.
//! Exit 0 when logged in, 4 when not — scripts can branch on it.

use super::RunContext;
use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::output;
use crate::session;
use crate::settings::{Flags, Settings};

pub async fn run(ctx: &RunContext) -> Result<()> {
    let settings = Settings::resolve(&ctx.invocation, &Flags::default())?;
    let name = settings.name();
    let store = settings.store();
    // A token from SMART_ACCESS_TOKEN is what commands use; the store is not asked.
    let set = match &settings.access_token {
        Some(at) => Some(session::external(&settings, &at.value)),
        None => session::load(&store, name)?,
    };
    output::status::print(
        ctx.json,
        name,
        set.as_ref(),
        &store,
        Some(&settings),
        SystemClock.now(),
    )?;
    match set {
        Some(_) => Ok(()),
        None => Err(session::not_logged_in(name)),
    }
}
