//! How FHIR answers are written: `json`, `ndjson`, `bundle`, `table` and
//! `ids`, one resource at a time as pages arrive, plus pretty (optionally
//! colored) JSON for a single resource.
//!
//! NDJSON copies each resource's bytes from the page as they are (only a
//! resource that spans several lines is squeezed onto one), which is what
//! keeps `smart query … --all > file` as fast as the network. The other
//! formats are for people and may parse each resource.

use std::io::{self, Write};

use serde_json::Value;

use super::table::{cells, table_headers, table_row};
use crate::fhir::outcome;
use crate::fhir::pages::{BundleView, Mode};

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Pretty JSON: the resource, or an array of the search's resources
    Json,
    /// One resource per line (the default when stdout is not a terminal)
    Ndjson,
    /// The server's Bundle(s) unchanged, one per line
    Bundle,
    /// A compact table: id and a summary per type (the default on a terminal)
    Table,
    /// `Type/id`, one per line
    Ids,
}

/// Whether to keep going after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    More,
    /// `--limit` reached.
    Done,
}

/// Writes search results page by page.
pub struct SearchOut<W: Write> {
    fmt: Format,
    out: W,
    color: bool,
    /// The searched type, which decides the table's columns.
    rtype: String,
    /// Matches written so far (what `--limit` counts).
    pub written: usize,
    /// Anything written in the JSON array yet.
    opened: bool,
    widths: Option<Vec<usize>>,
}

impl<W: Write> SearchOut<W> {
    pub fn new(fmt: Format, out: W, color: bool, rtype: &str) -> Self {
        SearchOut {
            fmt,
            out,
            color,
            rtype: rtype.to_owned(),
            written: 0,
            opened: false,
            widths: None,
        }
    }

    /// Writes one page; stops at `limit` matches.
    pub fn page(
        &mut self,
        body: &[u8],
        view: &BundleView,
        limit: Option<usize>,
    ) -> io::Result<Flow> {
        let room = |written: usize| limit.is_none_or(|l| written < l);
        if self.fmt == Format::Bundle {
            // Unchanged means whole: `--limit` counts, but cannot cut a page.
            self.out.write_all(body.trim_ascii_end())?;
            self.out.write_all(b"\n")?;
            self.written += view.matches();
            self.out.flush()?;
            return Ok(if room(self.written) {
                Flow::More
            } else {
                Flow::Done
            });
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut flow = Flow::More;
        for entry in &view.entry {
            let Some(raw) = entry.resource else { continue };
            match entry.mode() {
                Mode::Outcome => {
                    warn_outcome(raw.get());
                    continue;
                }
                Mode::Match => {
                    if !room(self.written) {
                        flow = Flow::Done;
                        break;
                    }
                    self.written += 1;
                }
                Mode::Include => {
                    if !room(self.written) {
                        flow = Flow::Done;
                        break;
                    }
                }
            }
            match self.fmt {
                Format::Ndjson => write_compact(&mut self.out, raw.get())?,
                Format::Json => {
                    self.out
                        .write_all(if self.opened { b",\n" } else { b"[\n" })?;
                    self.opened = true;
                    let v: Value = serde_json::from_str(raw.get()).map_err(io::Error::other)?;
                    let mut s = String::from("  ");
                    pretty(&v, 1, self.color, &mut s);
                    self.out.write_all(s.as_bytes())?;
                }
                Format::Ids => {
                    let v: Value = serde_json::from_str(raw.get()).map_err(io::Error::other)?;
                    writeln!(self.out, "{}", type_and_id(&v))?;
                }
                Format::Table => {
                    let v: Value = serde_json::from_str(raw.get()).map_err(io::Error::other)?;
                    rows.push(table_row(&self.rtype, &v));
                }
                Format::Bundle => {}
            }
        }
        if flow == Flow::More && !room(self.written) {
            flow = Flow::Done;
        }
        if self.fmt == Format::Table && !rows.is_empty() {
            self.table(&rows)?;
        }
        self.out.flush()?;
        Ok(flow)
    }

    fn table(&mut self, rows: &[Vec<String>]) -> io::Result<()> {
        const MAX: usize = 40;
        if self.widths.is_none() {
            let headers = table_headers(&self.rtype);
            let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
            for r in rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count()).min(MAX);
                }
            }
            let line = cells(
                &headers.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
                &widths,
            );
            if self.color {
                writeln!(self.out, "\x1b[1m{line}\x1b[0m")?;
            } else {
                writeln!(self.out, "{line}")?;
            }
            self.widths = Some(widths);
        }
        let widths = self.widths.clone().unwrap_or_default();
        for r in rows {
            writeln!(self.out, "{}", cells(r, &widths))?;
        }
        Ok(())
    }

    /// Closes what needs closing (the JSON array).
    pub fn finish(&mut self) -> io::Result<()> {
        if self.fmt == Format::Json {
            self.out
                .write_all(if self.opened { b"\n]\n" } else { b"[]\n" })?;
        }
        self.out.flush()
    }
}

/// `Type/id` of a resource, printable; a field that is missing or not a
/// string shows as empty (an `id` of `null` is the server's fault, not a
/// failure to write).
pub fn type_and_id(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    let line = format!("{}/{}", s("resourceType"), s("id"));
    crate::redact::printable(&line).into_owned()
}

/// A search's OperationOutcome entry (warnings about the search) on stderr.
fn warn_outcome(raw: &str) {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        for line in outcome::issue_lines(&v) {
            eprintln!("smart: server: {}", crate::redact::printable(&line));
        }
    }
}

/// One JSON document on one line: as is when it already is, else with the
/// whitespace between tokens removed (JSON strings cannot hold raw newlines,
/// so this never touches a value).
pub fn write_compact(out: &mut impl Write, raw: &str) -> io::Result<()> {
    if !raw.bytes().any(|b| b == b'\n' || b == b'\r') {
        out.write_all(raw.as_bytes())?;
        return out.write_all(b"\n");
    }
    let mut s = Vec::with_capacity(raw.len());
    let (mut in_str, mut esc) = (false, false);
    for b in raw.bytes() {
        if in_str {
            s.push(b);
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if !b.is_ascii_whitespace() {
            s.push(b);
            in_str = b == b'"';
        }
    }
    s.push(b'\n');
    out.write_all(&s)
}

const KEY: &str = "\x1b[34;1m";
const STR: &str = "\x1b[32m";
const NUM: &str = "\x1b[36m";
const LIT: &str = "\x1b[33m";
const NULL: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Pretty JSON (two-space indent, like `serde_json::to_string_pretty`),
/// colored like `jq` when asked; `level` is the starting indent.
pub fn pretty(v: &Value, level: usize, color: bool, out: &mut String) {
    let paint = |out: &mut String, code: &str, text: &str| {
        if color {
            out.push_str(code);
            out.push_str(text);
            out.push_str(RESET);
        } else {
            out.push_str(text);
        }
    };
    let indent = |out: &mut String, n: usize| out.extend(std::iter::repeat_n("  ", n));
    match v {
        Value::Null => paint(out, NULL, "null"),
        Value::Bool(b) => paint(out, LIT, if *b { "true" } else { "false" }),
        Value::Number(n) => paint(out, NUM, &n.to_string()),
        Value::String(s) => paint(out, STR, &json_string(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 1);
                pretty(item, level + 1, color, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                indent(out, level + 1);
                paint(out, KEY, &json_string(k));
                out.push_str(": ");
                pretty(item, level + 1, color, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push('}');
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// A single document on stdout: pretty, colored when asked.
pub fn write_document(out: &mut impl Write, v: &Value, color: bool) -> io::Result<()> {
    let mut s = String::new();
    pretty(v, 0, color, &mut s);
    s.push('\n');
    out.write_all(s.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_keeps_one_line_documents_and_squeezes_others() {
        let mut out = Vec::new();
        write_compact(&mut out, r#"{"a": "x y"}"#).unwrap();
        write_compact(&mut out, "{\n  \"a\": \"x \\\" y\",\n  \"b\": [1, 2]\n}").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\": \"x y\"}\n{\"a\":\"x \\\" y\",\"b\":[1,2]}\n"
        );
    }

    #[test]
    fn pretty_matches_serde_when_uncolored() {
        let v = json!({"resourceType":"Patient","name":[{"given":["A","B"]}],"x":{},"y":[],"n":1.5,"b":true,"z":null});
        let mut s = String::new();
        pretty(&v, 0, false, &mut s);
        assert_eq!(s, serde_json::to_string_pretty(&v).unwrap());
        let mut c = String::new();
        pretty(&v, 0, true, &mut c);
        assert!(c.contains("\x1b[34;1m\"resourceType\"\x1b[0m"));
    }

    // Found by prop_pages_show_in_every_format: an `id` that was not a
    // string failed the page as "cannot write to stdout", and control
    // characters in ids reached the terminal.
    #[test]
    fn ids_of_any_shape_are_written_printable() {
        let body = br#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":null}},
            {"resource":{"resourceType":"Patient","id":"a\u001b[2Jb"}}]}"#;
        let view = BundleView::parse("GET x", body).unwrap();
        let mut out = Vec::new();
        SearchOut::new(Format::Ids, &mut out, false, "Patient")
            .page(body, &view, None)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Patient/\nPatient/a\\u{1b}[2Jb\n"
        );
    }

    #[test]
    fn table_rows_summarize_per_type() {
        let p = json!({"resourceType":"Patient","id":"p1","name":[{"given":["Ann"],"family":"Lee"}],"gender":"female","birthDate":"1970-01-02"});
        assert_eq!(
            table_row("Patient", &p),
            vec!["p1", "Ann Lee", "female", "1970-01-02"]
        );
        let o = json!({"resourceType":"Observation","id":"o1","code":{"coding":[{"code":"8867-4","display":"Heart rate"}]},
                       "valueQuantity":{"value":72,"unit":"/min"},"effectiveDateTime":"2020-01-01"});
        assert_eq!(
            table_row("Observation", &o),
            vec!["o1", "Heart rate", "72 /min", "2020-01-01"]
        );
        let other = json!({"resourceType":"Device","id":"d","meta":{"lastUpdated":"2021"}});
        assert_eq!(table_row("Device", &other), vec!["d", "2021"]);
        assert_eq!(cells(&["abcdef".into(), "x".into()], &[4, 3]), "abc…  x");
    }
}
