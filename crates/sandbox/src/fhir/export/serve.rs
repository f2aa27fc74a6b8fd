//! Serving a job's files from disk, streamed (never read whole): byte
//! ranges (`206`), gzip on request, and the file faults (`export-no-range`,
//! `export-truncated-file`, `export-slow-files`). The same answer on the FHIR base and on the
//! storage origin.

use std::io::{self, SeekFrom, Write as _};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::{Stream, StreamExt, stream};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::super::outcome::Outcome;
use super::job::{Job, NDJSON, Output};
use crate::{Fault, Faults};

const CHUNK: usize = 256 * 1024;

/// The answer to a download of `out`.
pub(crate) async fn file(
    job: &Job,
    out: &Output,
    headers: &HeaderMap,
    faults: &Faults,
) -> Response {
    if let Some(times) = super::transient_times(faults)
        && job.transient_file(&out.name, times)
    {
        return super::transient(&format!("{} is being moved", out.name)).into_response();
    }
    let mut f = match tokio::fs::File::open(job.dir.join(&out.name)).await {
        Ok(f) => f,
        // Cancelled (or expired) while the request came in.
        Err(_) => return Outcome::not_found(format!("{} is gone", out.name)).into_response(),
    };
    let ranges = !faults.has(Fault::ExportNoRange);
    let truncate = faults.has(Fault::ExportTruncatedFile) && job.first_download(&out.name);
    let slow = faults.has(Fault::ExportSlowFiles);
    let mut r = if accepts_gzip(headers) {
        let cut = truncate.then_some(out.len / 2);
        let mut r = Response::new(paced(gzip(f, cut, chunk_size(out.len, slow)), slow));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let range = match headers.get(header::RANGE).filter(|_| ranges) {
            None => None,
            Some(v) => match byte_range(v.to_str().unwrap_or(""), out.len) {
                Ok(r) => r,
                Err(()) => return unsatisfiable(out.len),
            },
        };
        let (start, end) = range.unwrap_or((0, out.len.saturating_sub(1)));
        let len = if out.len == 0 { 0 } else { end - start + 1 };
        if start > 0 && f.seek(SeekFrom::Start(start)).await.is_err() {
            return Outcome::not_found(format!("{} is gone", out.name)).into_response();
        }
        let sent = if truncate { len / 2 } else { len };
        let body = ReaderStream::with_capacity(f.take(sent), chunk_size(len, slow));
        let mut r = if truncate {
            Response::new(paced(body.chain(cut_off()), slow))
        } else {
            Response::new(paced(body, slow))
        };
        let h = r.headers_mut();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if range.is_some() {
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{}", out.len)) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
        }
        r
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if ranges {
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    r
}

/// An error item: the server then drops the connection mid-body, which is
/// what a truncated download looks like to a client. The pause first lets
/// hyper flush the head and the half body it holds (it writes when the
/// body is pending), or a small file would lose them with the connection.
fn cut_off() -> impl Stream<Item = io::Result<Bytes>> {
    stream::once(async {
        tokio::time::sleep(FLUSH_PAUSE).await;
        Err(io::Error::other(
            "cut off halfway (sandbox fault export-truncated-file)",
        ))
    })
}

/// The pause before a cut-off.
const FLUSH_PAUSE: Duration = Duration::from_millis(100);

/// `export-slow-files`: a file arrives in this many pieces, this far apart.
const SLOW_PIECES: u64 = 20;
const SLOW_GAP: Duration = Duration::from_millis(150);

/// The read size for a file of `len` bytes.
fn chunk_size(len: u64, slow: bool) -> usize {
    match slow {
        true => len.div_ceil(SLOW_PIECES).max(1) as usize,
        false => CHUNK,
    }
}

/// A body stream, each piece after a pause when `slow`.
fn paced<S>(s: S, slow: bool) -> Body
where
    S: Stream<Item = io::Result<Bytes>> + Send + 'static,
{
    match slow {
        true => Body::from_stream(s.then(|piece| async move {
            tokio::time::sleep(SLOW_GAP).await;
            piece
        })),
        false => Body::from_stream(s),
    }
}

fn unsatisfiable(len: u64) -> Response {
    let mut r = Outcome::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "invalid",
        format!("the Range is outside the file's {len} bytes"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
        r.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    r
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let q_zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            name.eq_ignore_ascii_case("gzip") && !q_zero
        })
}

/// One `bytes=` range of a file of `len` bytes, inclusive: `Ok(None)` when
/// the header is to be ignored (another unit, several ranges, bad syntax;
/// RFC 9110 lets a server serve the whole file then), `Err` when it does
/// not overlap the file (416).
pub(crate) fn byte_range(value: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let num = |s: &str| s.trim().parse::<u64>().ok();
    match (a.trim().is_empty(), num(a), num(b)) {
        // `-N`: the last N bytes.
        (true, _, Some(n)) => match n.min(len) {
            0 => Err(()),
            n => Ok(Some((len - n, len - 1))),
        },
        (false, Some(start), end) if b.trim().is_empty() || end.is_some() => {
            if start >= len {
                return Err(());
            }
            match end {
                Some(end) if end < start => Ok(None),
                Some(end) => Ok(Some((start, end.min(len - 1)))),
                None => Ok(Some((start, len - 1))),
            }
        }
        _ => Ok(None),
    }
}

/// The file gzipped as it is read; with `cut`, cut off once that many
/// bytes of it were read.
fn gzip(
    f: tokio::fs::File,
    cut: Option<u64>,
    chunk: usize,
) -> impl Stream<Item = io::Result<Bytes>> {
    let start = (
        ReaderStream::with_capacity(f, chunk),
        GzEncoder::new(Vec::new(), Compression::fast()),
        0u64,
    );
    stream::unfold(Some(start), move |state| async move {
        let (mut reader, mut enc, mut read) = state?;
        loop {
            if cut.is_some_and(|c| read >= c) {
                tokio::time::sleep(FLUSH_PAUSE).await;
                let e = io::Error::other("cut off halfway (sandbox fault export-truncated-file)");
                return Some((Err(e), None));
            }
            match reader.next().await {
                Some(Ok(chunk)) => {
                    read += chunk.len() as u64;
                    if let Err(e) = enc.write_all(&chunk) {
                        return Some((Err(e), None));
                    }
                    if !enc.get_ref().is_empty() {
                        let out = Bytes::from(std::mem::take(enc.get_mut()));
                        return Some((Ok(out), Some((reader, enc, read))));
                    }
                }
                Some(Err(e)) => return Some((Err(e), None)),
                None => {
                    return Some((enc.finish().map(Bytes::from), None));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-", 10), Ok(Some((0, 9))));
        assert_eq!(byte_range("bytes=4-", 10), Ok(Some((4, 9))));
        assert_eq!(byte_range("bytes=2-5", 10), Ok(Some((2, 5))));
        assert_eq!(byte_range("bytes=2-50", 10), Ok(Some((2, 9))));
        assert_eq!(byte_range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(byte_range("bytes=-30", 10), Ok(Some((0, 9))));
        assert_eq!(byte_range("bytes=10-", 10), Err(()));
        assert_eq!(byte_range("bytes=-0", 10), Err(()));
        assert_eq!(byte_range("bytes=5-2", 10), Ok(None));
        assert_eq!(byte_range("bytes=0-1,4-5", 10), Ok(None));
        assert_eq!(byte_range("items=0-1", 10), Ok(None));
        assert_eq!(byte_range("bytes=x-", 10), Ok(None));
    }
}
