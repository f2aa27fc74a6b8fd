//! `smart refresh`: refresh now. The rotated refresh token is stored; on
//! failure the stored set is untouched.

use crate::cli::GlobalArgs;
use crate::config::Store;
use crate::error::Result;
use crate::session;
use crate::token_store::TokenStore;

pub async fn run(g: &GlobalArgs) -> Result<()> {
    let config = Store::load()?;
    let (name, _) = config.resolve(g.profile.as_deref())?;
    let store = TokenStore::new(g.token_store);
    let set = session::usable(&super::http_options(g, false), &store, name, true).await?;
    super::status::print(g, name, Some(&set), &store)
}
