//! Searchset Bundles, written straight into one buffer (see `json`).
//!
//! Paging is offset-based: `next`/`previous` repeat the query with
//! `_count` and `_offset`. Because the matched set is computed in a
//! canonical order (and cached per data generation), the same query always
//! pages the same way while nobody writes.

use std::fmt::Write as _;

use super::dates;
use super::json;
use super::search::Query;
use super::store::{Body, Store, Version};
use super::types::RType;

fn link_url(base: &str, rtype: RType, q: &Query, offset: usize) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &q.link_params {
        ser.append_pair(k, v);
    }
    ser.append_pair("_count", &q.count.to_string());
    if offset > 0 {
        ser.append_pair("_offset", &offset.to_string());
    }
    format!("{base}/{rtype}?{}", ser.finish())
}

fn write_id(v: &Version, out: &mut String) {
    match &v.body {
        Some(Body::Synthetic(s)) => s.write_id(out),
        Some(Body::Stored(st)) => {
            out.push_str(st.value.get("id").and_then(|i| i.as_str()).unwrap_or(""))
        }
        None => {}
    }
}

/// One page of search results.
pub(crate) fn searchset(
    store: &Store,
    base: &str,
    rtype: RType,
    q: &Query,
    total: usize,
    page: &[Version],
    now_ms: i64,
) -> String {
    let mut out = String::with_capacity(256 + page.len() * 1400);
    out.push_str("{\"resourceType\":\"Bundle\",");
    let _ = write!(
        out,
        "\"meta\":{{\"lastUpdated\":\"{}\"}},\"type\":\"searchset\",",
        dates::format_instant(now_ms)
    );
    if q.total || q.summary_count {
        let _ = write!(out, "\"total\":{total},");
    }
    out.push_str("\"link\":[");
    let link = |out: &mut String, rel: &str, offset: usize| {
        out.push_str("{\"relation\":\"");
        out.push_str(rel);
        out.push_str("\",\"url\":");
        json::string(out, &link_url(base, rtype, q, offset));
        out.push_str("},");
    };
    link(&mut out, "self", q.offset);
    if !q.summary_count {
        if q.count > 0 && q.offset + q.count < total {
            link(&mut out, "next", q.offset + q.count);
        }
        if q.offset > 0 {
            link(
                &mut out,
                "previous",
                q.offset.saturating_sub(q.count.max(1)),
            );
        }
    }
    json::close(&mut out, ']');
    if !page.is_empty() {
        out.push_str(",\"entry\":[");
        for v in page {
            out.push_str("{\"fullUrl\":\"");
            out.push_str(base);
            out.push('/');
            out.push_str(rtype.name());
            out.push('/');
            write_id(v, &mut out);
            out.push_str("\",\"resource\":");
            store.render(v, &mut out);
            out.push_str(",\"search\":{\"mode\":\"match\"}},");
        }
        json::close(&mut out, ']');
    }
    out.push('}');
    out
}
