//! `smart query <Type> [name=value …]`: a FHIR search, streamed.
//!
//! Pages are handled one at a time: the page is parsed (resources stay
//! slices of its bytes), the fetch of the next page is started, and only
//! then is the page written — so the network works while stdout does, and
//! at most two pages are in memory however many there are. `--limit` stops
//! fetching as soon as the page in hand has enough.

use std::io::{BufWriter, IsTerminal};
use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;

use super::RunContext;
use super::connect;
use crate::cli::QueryArgs;
use crate::error::{Error, Result};
use crate::fhir::client::{self, Fhir, Request};
use crate::fhir::pages::{self, BundleView};
use crate::fhir::params::{self, Param};
use crate::fhir::types;
use crate::output::progress::QueryProgress;
use crate::output::render::{Flow, Format, SearchOut};
use crate::output::stdout_error;

/// Profile key that makes `--post` the default (`post_search = true`).
pub const POST_SEARCH_KEY: &str = "post_search";

pub async fn run(ctx: &RunContext, args: QueryArgs) -> Result<()> {
    types::check(&args.resource_type)?;
    let limit = args.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
    let mut search: Vec<Param> = args
        .params
        .iter()
        .map(|w| params::parse_word(w))
        .collect::<Result<_>>()?;
    if let Some(n) = args.count {
        if search.iter().any(|p| p.name == "_count") {
            return Err(Error::usage(
                "give the page size once: --count N or _count=N",
            ));
        }
        search.push(Param {
            name: "_count".into(),
            value: n.to_string(),
        });
    } else if let Some(l) = limit
        && l < 1000
        && !search.iter().any(|p| p.name == "_count")
    {
        // No point asking for more than will be shown.
        search.push(Param {
            name: "_count".into(),
            value: l.to_string(),
        });
    }
    let format = args.output.map(Format::from).unwrap_or(if ctx.json {
        Format::Json
    } else if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Ndjson
    });

    let conn = connect::connect(ctx, &args.fhir).await?;
    let post = !args.get
        && (args.post
            || conn
                .profile
                .extra
                .get(POST_SEARCH_KEY)
                .and_then(toml::Value::as_bool)
                .unwrap_or(false));
    let fhir = Arc::new(conn.fhir);
    if fhir.format_json() && !search.iter().any(|p| p.name == "_format") {
        search.push(Param {
            name: "_format".into(),
            value: "json".into(),
        });
    }
    let first = first_request(&fhir, &args.resource_type, &search, post)?;
    let follow = args.all || limit.is_some();
    let progress_on =
        args.all && !args.fhir.quiet && std::io::stderr().is_terminal() && !ctx.env().in_ci();

    let out = BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut out = SearchOut::new(format, out, crate::output::color(), &args.resource_type);
    let mut progress = QueryProgress::new(progress_on);
    let mut pending = Some(client::spawn_fetch(&fhir, first));
    let mut last_total = None;
    let mut more_available = false;
    // A server whose `next` leads back to a page it sent would be followed
    // for ever.
    let mut followed = std::collections::HashSet::new();

    while let Some(task) = pending.take() {
        let (req, resp) = task
            .await
            .map_err(|e| Error::usage(format!("the page fetch failed: {e}")))??;
        let what = fhir.describe(&req);
        let view = BundleView::parse(&what, &resp.body)?;
        last_total = view.total.or(last_total);
        progress.set_total(view.total);
        let next = view.next().map(str::to_owned);
        let enough = limit.is_some_and(|l| out.written + view.matches() >= l);
        // A bad next link fails the command, but after this page is out.
        let mut bad_link = None;
        if let Some(link) = &next {
            if follow && !enough {
                match pages::next_url(&fhir, link) {
                    Ok(url) if !followed.insert(url.to_string()) => {
                        bad_link = Some(Error::server(format!(
                            "the server's next link leads back to a page it already sent ({}); stopping",
                            crate::redact::url(&url)
                        )));
                    }
                    Ok(url) => pending = Some(client::spawn_fetch(&fhir, Request::get(url))),
                    Err(e) => bad_link = Some(e),
                }
            } else {
                more_available = !enough;
            }
        }
        let flow = match out.page(&resp.body, &view, limit) {
            Ok(f) => f,
            Err(e) => {
                if let Some(p) = pending.take() {
                    p.abort();
                }
                progress.finish();
                return stdout_error(e).map_or(Ok(()), Err);
            }
        };
        progress.update(out.written);
        if let Some(e) = bad_link {
            progress.finish();
            return Err(e);
        }
        if flow == Flow::Done
            && let Some(p) = pending.take()
        {
            p.abort();
        }
    }
    progress.finish();
    if let Err(e) = out.finish() {
        return stdout_error(e).map_or(Ok(()), Err);
    }
    if more_available && !args.fhir.quiet && std::io::stderr().is_terminal() {
        let total = last_total.map_or(String::new(), |t| format!(" of {t}"));
        eprintln!("{}{total} shown; more with --all or --limit N", out.written);
    }
    Ok(())
}

/// `GET [base]/Type?params`, or `POST [base]/Type/_search` with the
/// parameters as a form body and none in the URL.
fn first_request(fhir: &Fhir, rtype: &str, search: &[Param], post: bool) -> Result<Request> {
    let query = params::encode(search);
    if post {
        let url = fhir.url(&format!("{rtype}/_search"))?;
        return Ok(Request {
            method: Method::POST,
            url,
            body: Some((
                "application/x-www-form-urlencoded",
                Bytes::from(query.into_bytes()),
            )),
            headers: Vec::new(),
            idempotent: true,
        });
    }
    let mut url = fhir.url(rtype)?;
    if !query.is_empty() {
        url.set_query(Some(&query));
    }
    Ok(Request::get(url))
}
