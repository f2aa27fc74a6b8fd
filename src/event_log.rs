//! `DIR/log.ndjson`: the event log of smart-on-fhir/bulk-data-client
//! (its `src/loggers/index.ts` and `src/app.ts`, "logVersion 2"), one JSON
//! line per event, `{exportId, timestamp, eventId, eventDetail}`, so that
//! the consumers of that log (Cumulus ETL's `export_log.py` reads the last
//! `kickoff`'s `exportUrl` and the `status_complete` of the same `exportId`
//! for its `transactionTime`) take a `smart` export directory as it is.
//!
//! Kept apart from the export itself: anything that fetches FHIR data into
//! a directory (a crawl) can write the same log. The `exportId` is kept by
//! the caller across runs (a resumed export goes on under the id of its
//! kick-off; a new id would orphan the `kickoff` line).
//!
//! URLs are logged redacted ([`crate::redact::url_str`]): a presigned file
//! URL's signature is a credential, and the log outlives the export.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

pub const LOG_FILE: &str = "log.ndjson";

/// The log's events (bulk-data-client's `eventId`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventId {
    Kickoff,
    StatusProgress,
    StatusComplete,
    StatusError,
    StatusPageComplete,
    ManifestComplete,
    DownloadRequest,
    DownloadComplete,
    DownloadError,
    ExportComplete,
    /// `smart export --hydrate`'s own event (not bulk-data-client's): what
    /// hydration fetched and inlined.
    HydrationComplete,
}

impl EventId {
    pub fn as_str(self) -> &'static str {
        match self {
            EventId::Kickoff => "kickoff",
            EventId::StatusProgress => "status_progress",
            EventId::StatusComplete => "status_complete",
            EventId::StatusError => "status_error",
            EventId::StatusPageComplete => "status_page_complete",
            EventId::ManifestComplete => "manifest_complete",
            EventId::DownloadRequest => "download_request",
            EventId::DownloadComplete => "download_complete",
            EventId::DownloadError => "download_error",
            EventId::ExportComplete => "export_complete",
            EventId::HydrationComplete => "hydration_complete",
        }
    }
}

/// A new export id: 10 random bytes in hex, as bulk-data-client makes them.
pub fn new_export_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The log of one export, appended to by every run of it.
pub struct EventLog {
    file: Mutex<std::fs::File>,
    export_id: String,
    path: PathBuf,
}

impl EventLog {
    /// `DIR/log.ndjson`, created 0600 (never through a symlink).
    pub fn open(dir: &Path, export_id: &str) -> crate::error::Result<EventLog> {
        let path = dir.join(LOG_FILE);
        let file = crate::bulk::safe_fs::open_log(&path).map_err(|e| {
            crate::error::Error::usage(format!("cannot write {}: {e}", path.display()))
        })?;
        Ok(EventLog {
            file: Mutex::new(file),
            export_id: export_id.to_owned(),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One line. A log that cannot be written does not stop the export
    /// (the files are the product); the failure is returned for a note.
    pub fn event(&self, id: EventId, detail: Value) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(&json!({
            "exportId": self.export_id,
            "timestamp": timestamp(),
            "eventId": id.as_str(),
            "eventDetail": detail,
        }))
        .expect("events serialize");
        line.push(b'\n');
        // O_APPEND and one write per line: lines never interleave.
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(&line)
    }
}

/// `2024-08-06T18:11:57+00:00`: winston's `isoDateTime` shape, in UTC.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// A URL as the log may hold it: secret parameters redacted.
pub fn url(u: &str) -> Value {
    Value::String(crate::redact::url_str(u))
}

/// A file URL as the log may hold it: its whole query redacted, since a
/// presigned URL's signature goes by many names (`sig`, `X-Amz-Signature`,
/// `X-Goog-Signature`…).
pub fn file_url(u: &str) -> Value {
    match url::Url::parse(u) {
        Ok(mut p) => {
            if p.query().is_some() {
                p.set_query(Some(crate::redact::REDACTED));
            }
            p.set_fragment(None);
            let _ = p.set_password(None);
            Value::String(p.to_string())
        }
        Err(_) => url(u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_bulk_data_client_fields() {
        let d = tempfile::tempdir().unwrap();
        let log = EventLog::open(d.path(), "abc").unwrap();
        log.event(
            EventId::Kickoff,
            json!({"exportUrl": "http://h/fhir/$export"}),
        )
        .unwrap();
        log.event(
            EventId::StatusComplete,
            json!({"transactionTime": "2024-01-01T00:00:00Z"}),
        )
        .unwrap();
        let text = std::fs::read_to_string(d.path().join(LOG_FILE)).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["exportId"], "abc");
        assert_eq!(lines[0]["eventId"], "kickoff");
        assert_eq!(
            lines[1]["eventDetail"]["transactionTime"],
            "2024-01-01T00:00:00Z"
        );
        let ts = lines[0]["timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2024-08-06T18:11:57+00:00".len(), "{ts}");
        assert!(ts.ends_with("+00:00"));
        assert_eq!(new_export_id().len(), 20);
    }

    #[test]
    fn presigned_signatures_stay_out_of_the_log() {
        let v = file_url("https://s/bucket/j/Patient.1.ndjson?sig=SECRET");
        assert!(!v.as_str().unwrap().contains("SECRET"), "{v}");
    }
}
