//! `--browser`: a person (or a `BROWSER` program that plays one) completes
//! the authorization requests a server will not answer at once. Each goes
//! to the system browser; the redirect comes back to a loopback listener
//! and is judged as it is, not checked as a login would check it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use crate::error::{Error, Result};
use crate::oauth::browser::{self, Opened};
use crate::oauth::callback::{self, Listener};
use crate::settings::Environment;

pub struct User {
    /// Shared with the EHR launch of a `--ehr` run: one redirect URI.
    listener: Arc<Listener>,
    env: Environment,
    wait: Duration,
}

impl User {
    pub fn new(listener: Arc<Listener>, env: Environment, wait: Duration) -> User {
        User {
            listener,
            env,
            wait,
        }
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

    /// Sends the authorization request `fields` to `endpoint` as a form
    /// POST from the browser: it opens a local page (on the listener) that
    /// submits the form, and waits for the redirect back.
    pub async fn authorize_post(&self, endpoint: &Url, fields: &[(String, String)]) -> Result<Url> {
        // A fresh path per request: an old tab cannot post an old form.
        let path = format!("/authorize-post/{}", crate::oauth::pkce::random_b64(12));
        let local = self.listener.url_of(&path);
        if let Opened::NotTried(why) = browser::open(&local, &self.env) {
            return Err(Error::auth(format!("cannot open a browser: {why}"))
                .with_hint("set BROWSER, or run without --browser"));
        }
        let html = callback::auto_post_page(endpoint.as_str(), fields);
        let deadline = Instant::now() + self.wait;
        tokio::task::block_in_place(|| {
            self.listener
                .wait_for_redirect_serving(deadline, Some((&path, &html)))
        })
    }
}
