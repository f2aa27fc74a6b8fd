//! The sandbox's FHIR side: synthetic data, search, paging, writes, proxy.
//!
//! Everything under `/fhir/` except `/fhir/.well-known/*` (the auth half)
//! lands in `dispatch`, which applies the faults, authenticates the bearer
//! token and then either serves from the synthetic `store` or forwards to
//! the upstream server (`proxy`). Modules:
//! - `generate` (+ `names`): deterministic synthetic data from the seed;
//! - `store`: synthetic base + overlay of versioned writes;
//! - `facts`, `search`, `types`: what search matches on, and how;
//! - `bundle`, `json`, `outcome`: response bodies;
//! - `handlers`: the REST interactions; `capability`: `/metadata`;
//! - `binary`: the attachments' content at `Binary/{id}`;
//! - `app_state`: SMART App State (`Basic`), kept apart from the data;
//! - `throttle`: the `rate-limited` fault's window; `export`: Bulk Data.

mod app_state;
mod binary;
mod bundle;
mod capability;
pub(crate) mod dates;
mod export;
mod facts;
mod generate;
mod handlers;
mod json;
mod names;
mod outcome;
mod proxy;
pub(crate) mod search;
mod store;
mod throttle;
mod types;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::{Fault, Options, Quirk, State};
use outcome::Outcome;
use store::{Key, Overlay, Store};

pub(crate) use export::storage_router;
pub use generate::MRN_SYSTEM;

/// Matched sets of recent searches, so paging a large result does not
/// re-run the query for every page.
const CACHE_ENTRIES: usize = 8;
/// Keys kept across all cached searches (8 bytes each), so the cache stays
/// small next to the 300 MB budget even when clients page through every
/// Observation of 100k patients.
const CACHE_MAX_KEYS: usize = 4_000_000;

struct CacheEntry {
    key: String,
    generation: u64,
    keys: Arc<Vec<Key>>,
}

pub(crate) struct FhirState {
    /// `None` in proxy mode.
    store: Option<Store>,
    proxy: Option<proxy::Proxy>,
    cache: Mutex<Vec<CacheEntry>>,
    /// FHIR calls so far, for the `http-429` fault and the
    /// `retry-after-hours` quirk.
    calls: AtomicU64,
    /// Requests this second, for the `rate-limited` fault.
    window: throttle::Window,
    pub(crate) exports: export::Exports,
    app_states: app_state::AppStates,
}

impl FhirState {
    pub(crate) fn new(opts: &Options) -> anyhow::Result<FhirState> {
        let (store, proxy) = match &opts.upstream {
            Some(url) => (None, Some(proxy::Proxy::new(url)?)),
            None => (
                Some(Store::new(generate::Synth::new(opts.seed, opts.patients)?)),
                None,
            ),
        };
        Ok(FhirState {
            store,
            proxy,
            cache: Mutex::new(Vec::new()),
            calls: AtomicU64::new(0),
            window: throttle::Window::default(),
            exports: export::Exports::new(),
            app_states: app_state::AppStates::default(),
        })
    }

    /// (id, display name) of the first `n` patients, for the consent page's
    /// patient picker and the default launch patient. Empty in proxy mode,
    /// where the sandbox has no patient list of its own.
    pub(crate) fn patient_choices(&self, n: usize) -> Vec<(String, String)> {
        let Some(store) = &self.store else {
            return Vec::new();
        };
        let ov = store.read();
        store
            .candidates(&ov, types::RType::Patient, None)
            .into_iter()
            .filter_map(|k| store.resolve(&ov, types::RType::Patient, k))
            .take(n)
            .filter_map(|v| {
                let f = store.facts(types::RType::Patient, &v)?;
                let name = f
                    .strings
                    .iter()
                    .find(|(k, _)| *k == types::StrField::Text)
                    .map(|(_, s)| s.to_string())
                    .unwrap_or_else(|| {
                        let parts: Vec<&str> = f.strings.iter().map(|(_, s)| s.as_ref()).collect();
                        parts.join(" ")
                    });
                Some((f.id.to_string(), name))
            })
            .collect()
    }

    fn cached_search(
        &self,
        ov: &Overlay,
        key: &str,
        run: impl FnOnce() -> Vec<Key>,
    ) -> Arc<Vec<Key>> {
        {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = cache
                .iter()
                .position(|e| e.key == key && e.generation == ov.generation)
            {
                let e = cache.remove(i);
                let keys = e.keys.clone();
                cache.push(e);
                return keys;
            }
        }
        let keys = Arc::new(run());
        if keys.len() <= CACHE_MAX_KEYS {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.retain(|e| e.generation == ov.generation && e.key != key);
            while cache.len() >= CACHE_ENTRIES
                || cache.iter().map(|e| e.keys.len()).sum::<usize>() + keys.len() > CACHE_MAX_KEYS
            {
                cache.remove(0);
            }
            cache.push(CacheEntry {
                key: key.to_string(),
                generation: ov.generation,
                keys: keys.clone(),
            });
        }
        keys
    }
}

pub(crate) fn router() -> axum::Router<Arc<State>> {
    axum::Router::new()
        .route("/fhir/{*path}", axum::routing::any(dispatch))
        .merge(export::outside_base_router())
}

async fn dispatch(
    AxState(state): AxState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match route(&state, &method, &uri, &headers, body).await {
        Ok(r) => r,
        Err(o) => o.into_response(),
    };
    // Browser apps read the FHIR API cross-origin (`cors: true`); the token
    // in the Authorization header, not a cookie, is what authorizes them.
    if !state.opts.faults.has(Fault::NoCors) {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            axum::http::HeaderValue::from_static("*"),
        );
    }
    // NDJSON downloads are streamed, and not one JSON document to break.
    let ndjson = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/fhir+ndjson"));
    if state.opts.faults.has(Fault::BadJson) && response.status().is_success() && !ndjson {
        truncate(response).await
    } else {
        response
    }
}

/// The `bad-json` fault: half the body, so the JSON ends mid-document.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

fn method_not_allowed(method: &Method, allow: &str) -> Outcome {
    Outcome::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "not-supported",
        format!("{method} is not supported here"),
    )
    .with_header(header::ALLOW, allow)
}

fn lenient(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim() == "handling=lenient"))
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

async fn route(
    state: &Arc<State>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, Outcome> {
    if state.opts.faults.has(Fault::RateLimited)
        && let Err(wait) = state.fhir.window.admit(state.now(), state.opts.rate_limit)
    {
        return Err(Outcome::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            format!(
                "more than {} requests in one second (sandbox fault rate-limited); retry after {wait} s",
                state.opts.rate_limit
            ),
        )
        .with_header(header::RETRY_AFTER, wait.to_string()));
    }
    let path = uri.path().strip_prefix("/fhir/").unwrap_or("");
    let mut segs: Vec<&str> = path.split('/').collect();
    if segs.len() > 1 && segs.last() == Some(&"") {
        segs.pop();
    }
    if segs == ["metadata"] {
        if method != Method::GET {
            return Err(method_not_allowed(method, "GET"));
        }
        return capability::response(state).await;
    }
    if state.opts.quirks.has(Quirk::RetryAfterHours) {
        // Bulk-data style: come back in two hours (429 and 503 in turn).
        let n = state.fhir.calls.fetch_add(1, Ordering::Relaxed);
        let (status, code) = match n.is_multiple_of(2) {
            true => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            false => (StatusCode::SERVICE_UNAVAILABLE, "transient"),
        };
        return Err(Outcome::new(
            status,
            code,
            "busy (sandbox quirk retry-after-hours); retry after 7200 s",
        )
        .with_header(header::RETRY_AFTER, "7200"));
    }
    if state.opts.faults.has(Fault::Http429)
        && state
            .fhir
            .calls
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(2)
    {
        return Err(Outcome::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "too many requests (sandbox fault http-429); retry after 1 s",
        )
        .with_header(header::RETRY_AFTER, "1"));
    }
    let anonymous = state.opts.faults.has(Fault::NoTokenRequired)
        && !headers.contains_key(header::AUTHORIZATION);
    let grant = if anonymous {
        Ok(crate::Grant {
            client_id: "anonymous".into(),
            scopes: vec!["user/*.rs".into()],
            patient: None,
            encounter: None,
            fhir_user: None,
            expires_at: state.now() + std::time::Duration::from_secs(60),
        })
    } else {
        state.auth.authenticate(headers)
    };
    let grant = grant.map(|g| match state.opts.faults.has(Fault::TypeScopeIgnored) {
        true => g.ignoring_types(),
        false => g,
    });
    if grant.is_err() {
        if let Some(r) = export::kickoff_without_token(state, &segs, headers) {
            return Ok(r);
        }
        if let Some(r) = export::file_without_token(state, &segs, headers).await {
            return Ok(r);
        }
    }
    let grant = grant.map_err(|u| {
        let quote = |s: &str| s.replace(['"', '\\'], "'");
        Outcome::new(StatusCode::UNAUTHORIZED, "login", u.description.clone()).with_header(
            header::WWW_AUTHENTICATE,
            format!(
                "Bearer realm=\"smart-sandbox\", error=\"{}\", error_description=\"{}\"",
                u.error,
                quote(&u.description)
            ),
        )
    })?;
    if state.opts.quirks.has(Quirk::NoBulkExport) {
        if let Some(op) = segs.iter().find(|s| export::is_export_op(s)) {
            return Err(Outcome::new(
                StatusCode::NOT_FOUND,
                "not-supported",
                format!("this server has no `{op}` operation (sandbox quirk no-bulk-export)"),
            ));
        }
    } else if state.fhir.store.is_some()
        && let Some(r) = export::route(state, &grant, method, &segs, uri, headers, &body).await
    {
        return r;
    }
    // App state is the sandbox's own, in front of an upstream server too.
    if segs[0] == "Basic" {
        let query = query_pairs(uri.query());
        return app_state::route(state, &grant, method, &segs, &query, headers, &body);
    }
    if let Some(p) = &state.fhir.proxy {
        return p
            .forward(state, &grant, method, &segs, uri.query(), headers, body)
            .await;
    }
    if segs[0] == "Binary" {
        return binary::route(state, &grant, method, &segs[1..], headers);
    }
    let Some(rtype) = types::RType::parse(segs[0]) else {
        return Err(Outcome::not_found(format!(
            "Unknown resource type `{}`; this server has {}",
            segs[0],
            types::RType::ALL.map(|t| t.name()).join(", ")
        )));
    };
    let m = method.clone();
    match (&segs[1..], m) {
        ([], Method::GET) => handlers::search(
            state,
            &grant,
            rtype,
            &query_pairs(uri.query()),
            lenient(headers),
        ),
        ([], Method::POST) => handlers::create(state, &grant, rtype, headers, &body),
        ([], _) => Err(method_not_allowed(method, "GET, POST")),
        (["_search"], Method::POST) => {
            let mut pairs = query_pairs(uri.query());
            pairs.extend(url::form_urlencoded::parse(&body).into_owned());
            handlers::search(state, &grant, rtype, &pairs, lenient(headers))
        }
        (["_search"], _) => Err(method_not_allowed(method, "POST")),
        ([id], Method::GET) => handlers::read(state, &grant, rtype, id),
        ([id], Method::PUT) => handlers::update(state, &grant, rtype, id, headers, &body),
        ([id], Method::DELETE) => handlers::delete(state, &grant, rtype, id, headers),
        ([_], _) => Err(method_not_allowed(method, "GET, PUT, DELETE")),
        ([id, "_history", vid], Method::GET) => handlers::vread(state, &grant, rtype, id, vid),
        ([_, "_history", _], _) => Err(method_not_allowed(method, "GET")),
        _ => Err(Outcome::not_found(format!(
            "`{}` is not an interaction this server supports",
            uri.path()
        ))),
    }
}
