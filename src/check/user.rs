//! `--browser`: a person (or a `BROWSER` program that plays one) completes
//! the authorization requests a server will not answer at once. Each goes
//! to the system browser; the redirect comes back to a loopback listener
//! and is judged as it is, not checked as a login would check it.

use std::time::{Duration, Instant};

use url::Url;

use crate::error::{Error, Result};
use crate::oauth::browser::{self, Opened};
use crate::oauth::callback::Listener;
use crate::settings::Environment;

pub struct User {
    listener: Listener,
    env: Environment,
    wait: Duration,
}

impl User {
    pub fn new(listener: Listener, env: Environment, wait: Duration) -> User {
        User {
            listener,
            env,
            wait,
        }
    }

    /// The redirect URI the listener answers on.
    pub fn redirect_uri(&self) -> String {
        self.listener.redirect_uri()
    }

    /// Opens `url` in the browser and waits for the redirect back.
    pub async fn authorize(&self, url: &Url) -> Result<Url> {
        if let Opened::NotTried(why) = browser::open(url.as_str(), &self.env) {
            return Err(Error::auth(format!("cannot open a browser: {why}"))
                .with_hint("set BROWSER, or run without --browser"));
        }
        let deadline = Instant::now() + self.wait;
        tokio::task::block_in_place(|| self.listener.wait_for_redirect(deadline))
    }
}
