//! In-memory records of everything the authorization server hands out:
//! pending consents, codes, access and refresh tokens, EHR launches and seen
//! assertion `jti`s.
//!
//! Codes and tokens from one authorization share a *family* id so that a
//! replayed code can revoke everything issued from it (RFC 6749 §4.1.2,
//! RFC 9700 §4.5), and a revoked refresh token takes its access tokens along
//! (RFC 7009 §2.1), and a rotated-away refresh token presented again
//! revokes its whole family (RFC 9700 §4.14.2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::random_token;
use crate::Grant;
use crate::clock::Clock;

/// What one user authorization carries from consent to code to tokens.
#[derive(Debug, Clone)]
pub(crate) struct Authorization {
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) patient: Option<String>,
    pub(crate) encounter: Option<String>,
    pub(crate) fhir_user: Option<String>,
    /// True for standalone launches (no EHR around the app to show one).
    pub(crate) need_patient_banner: bool,
    /// Launch context was established (EHR `launch` or standalone picker):
    /// the token response then carries the context parameters.
    pub(crate) has_context: bool,
    /// Ties the code, its access tokens and refresh tokens together.
    pub(crate) family: String,
}

/// An authorization request that passed validation and waits for the
/// consent page's answer.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) launch: Option<LaunchContext>,
    /// Standalone `launch/patient`: the user must pick a patient.
    pub(crate) needs_patient: bool,
    pub(crate) expires: SystemTime,
}

#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) auth: Authorization,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) expires: SystemTime,
    pub(crate) used: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Refresh {
    pub(crate) auth: Authorization,
    pub(crate) expires: SystemTime,
    pub(crate) issued_at: SystemTime,
}

#[derive(Debug, Clone)]
struct AccessRecord {
    grant: Grant,
    issued_at: SystemTime,
    family: Option<String>,
}

/// An EHR launch issued by `/auth/launch`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LaunchContext {
    pub(crate) patient: Option<String>,
    pub(crate) encounter: Option<String>,
}

/// What a token looks like to introspection.
#[derive(Debug, Clone)]
pub(crate) enum Introspected {
    Access { grant: Grant, issued_at: SystemTime },
    Refresh(Refresh),
}

/// How long a code lives (SMART recommends at most a few minutes).
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long a consent page may stay open.
pub(crate) const PENDING_LIFETIME: Duration = Duration::from_secs(600);
/// How long a used code is remembered, to detect replays.
const USED_CODE_MEMORY: Duration = Duration::from_secs(600);

pub(crate) struct Store {
    clock: Arc<dyn Clock>,
    access: Mutex<HashMap<String, AccessRecord>>,
    refresh: Mutex<HashMap<String, Refresh>>,
    /// Rotated-away refresh tokens → (family, expiry), to detect reuse.
    spent_refresh: Mutex<HashMap<String, (String, SystemTime)>>,
    codes: Mutex<HashMap<String, Code>>,
    pending: Mutex<HashMap<String, Pending>>,
    launches: Mutex<HashMap<String, LaunchContext>>,
    /// (client_id, jti) → the assertion's exp, after which the jti may be forgotten.
    jtis: Mutex<HashMap<(String, String), SystemTime>>,
}

/// Locks a map; a poisoned lock only means another request panicked
/// mid-update of plain data, which is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Store {
        Store {
            clock,
            access: Default::default(),
            refresh: Default::default(),
            spent_refresh: Default::default(),
            codes: Default::default(),
            pending: Default::default(),
            launches: Default::default(),
            jtis: Default::default(),
        }
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// Records an access token made by the caller.
    pub(crate) fn insert_access(&self, token: String, grant: Grant, family: Option<String>) {
        let now = self.now();
        let mut map = lock(&self.access);
        // Expired tokens are useless; drop them now and then so that a
        // long-running sandbox does not grow without bound.
        if map.len() > 10_000 {
            map.retain(|_, r| r.grant.expires_at > now);
        }
        map.insert(
            token,
            AccessRecord {
                grant,
                issued_at: now,
                family,
            },
        );
    }

    pub(crate) fn access_grant(&self, token: &str) -> Option<Grant> {
        lock(&self.access).get(token).map(|r| r.grant.clone())
    }

    pub(crate) fn issue_refresh(&self, auth: Authorization, lifetime: Duration) -> String {
        let token = random_token();
        let now = self.now();
        let mut map = lock(&self.refresh);
        map.retain(|_, r| r.expires > now);
        map.insert(
            token.clone(),
            Refresh {
                auth,
                expires: now + lifetime,
                issued_at: now,
            },
        );
        token
    }

    /// Removes and returns a live refresh token (rotation: it is spent).
    /// A spent token presented again means it leaked (RFC 9700 §4.14.2):
    /// every token of its authorization is revoked, and `None` returned.
    pub(crate) fn take_refresh(&self, token: &str, client_id: &str) -> Option<Refresh> {
        let now = self.now();
        let reused = {
            let mut spent = lock(&self.spent_refresh);
            spent.retain(|_, (_, exp)| *exp > now);
            spent.get(token).map(|(family, _)| family.clone())
        };
        if let Some(family) = reused {
            self.revoke_family(&family);
            return None;
        }
        let r = {
            let mut map = lock(&self.refresh);
            if map.get(token)?.auth.client_id != client_id {
                return None;
            }
            map.remove(token)?
        };
        lock(&self.spent_refresh).insert(token.to_owned(), (r.auth.family.clone(), r.expires));
        (r.expires > now).then_some(r)
    }

    /// A live refresh token of `client_id`, left in place (no rotation).
    pub(crate) fn peek_refresh(&self, token: &str, client_id: &str) -> Option<Refresh> {
        lock(&self.refresh)
            .get(token)
            .filter(|r| r.auth.client_id == client_id && r.expires > self.now())
            .cloned()
    }

    pub(crate) fn introspect(&self, token: &str) -> Option<Introspected> {
        if let Some(r) = lock(&self.access).get(token) {
            return Some(Introspected::Access {
                grant: r.grant.clone(),
                issued_at: r.issued_at,
            });
        }
        lock(&self.refresh)
            .get(token)
            .filter(|r| r.expires > self.now())
            .cloned()
            .map(Introspected::Refresh)
    }

    /// Revokes a token issued to `client_id`: an access token alone, or a
    /// refresh token with every access token of its family. Tokens of other
    /// clients are left alone (RFC 7009 §2.1).
    pub(crate) fn revoke(&self, token: &str, client_id: &str) {
        {
            let mut access = lock(&self.access);
            if access
                .get(token)
                .is_some_and(|r| r.grant.client_id == client_id)
            {
                access.remove(token);
                return;
            }
        }
        let family = {
            let mut refresh = lock(&self.refresh);
            match refresh.get(token) {
                Some(r) if r.auth.client_id == client_id => {
                    refresh.remove(token).map(|r| r.auth.family)
                }
                _ => None,
            }
        };
        if let Some(f) = family {
            self.revoke_family(&f);
        }
    }

    /// Revokes every access and refresh token of one authorization.
    pub(crate) fn revoke_family(&self, family: &str) {
        lock(&self.access).retain(|_, r| r.family.as_deref() != Some(family));
        lock(&self.refresh).retain(|_, r| r.auth.family != family);
    }

    pub(crate) fn add_pending(&self, p: Pending) -> String {
        let id = random_token();
        let now = self.now();
        let mut map = lock(&self.pending);
        map.retain(|_, p| p.expires > now);
        map.insert(id.clone(), p);
        id
    }

    /// A consent answer spends its pending request: a form cannot be
    /// submitted twice.
    pub(crate) fn take_pending(&self, id: &str) -> Option<Pending> {
        lock(&self.pending)
            .remove(id)
            .filter(|p| p.expires > self.now())
    }

    pub(crate) fn issue_code(&self, code: Code) -> String {
        let id = random_token();
        let now = self.now();
        let mut map = lock(&self.codes);
        map.retain(|_, c| c.expires + USED_CODE_MEMORY > now);
        map.insert(id.clone(), code);
        id
    }

    /// Marks a code used and returns it. `Err(Some(family))` when the code
    /// had been used before: the caller must refuse it and revoke that
    /// family. `Err(None)` when the code is unknown or expired.
    pub(crate) fn redeem_code(&self, id: &str) -> Result<Code, Option<String>> {
        let mut map = lock(&self.codes);
        let code = map.get_mut(id).ok_or(None)?;
        if code.used {
            return Err(Some(code.auth.family.clone()));
        }
        code.used = true;
        if code.expires <= self.now() {
            return Err(None);
        }
        Ok(code.clone())
    }

    /// A valid code, used or not (for the `code-reusable` fault).
    pub(crate) fn peek_code(&self, id: &str) -> Option<Code> {
        lock(&self.codes)
            .get(id)
            .filter(|c| c.expires > self.now())
            .cloned()
    }

    pub(crate) fn create_launch(&self, ctx: LaunchContext) -> String {
        let id = random_token();
        lock(&self.launches).insert(id.clone(), ctx);
        id
    }

    pub(crate) fn launch(&self, id: &str) -> Option<LaunchContext> {
        lock(&self.launches).get(id).cloned()
    }

    /// Records an assertion's `jti`; false when it was seen before and has
    /// not yet expired (a replay).
    pub(crate) fn fresh_jti(&self, client_id: &str, jti: &str, exp: SystemTime) -> bool {
        let now = self.now();
        let mut map = lock(&self.jtis);
        map.retain(|_, e| *e > now);
        let key = (client_id.to_owned(), jti.to_owned());
        if map.contains_key(&key) {
            return false;
        }
        map.insert(key, exp);
        true
    }
}
