//! FHIR Bulk Data export (Bulk Data Access IG v2), the client side of
//! `smart export`, split by concern:
//! - `request`: the level and kick-off parameters, checked offline; GET or POST;
//! - `status`: reading status answers, and when to poll again (`Retry-After`, capped);
//! - `manifest`: the complete-status manifest and the file names its entries get;
//! - `state`: `DIR/.smart-export.json`, the snapshot for `--resume`, checked
//!   when read; `journal`: what happened since, one line per event;
//! - `safe_fs`: opening files in DIR without following symlinks, 0600/0700;
//! - `kickoffs`: the user's own record of the job URLs kick-offs returned;
//! - `reach`: where requests may go (the token's origins, no inside addresses);
//! - `download`: one file, streamed, resumed with `Range`, token only under the base;
//! - `ndjson`: the line-by-line check of a file (plain or gzip), with `scan`, its JSON validator
//!   (and `scan_stream`, the same check across chunks for lines too long to buffer);
//! - `job`: the steps from kick-off to the last file; `summary`: what it produced;
//! - `watch`: what a running export reports (the command layer draws it);
//! - `hydrate`: what an export left out (referenced resources, notes),
//!   fetched afterwards into its directory.

pub mod download;
pub mod hydrate;
pub mod job;
pub mod journal;
pub mod kickoffs;
pub mod manifest;
pub mod ndjson;
pub mod reach;
pub mod request;
pub mod safe_fs;
pub mod scan;
pub mod scan_stream;
pub mod state;
pub mod status;
pub mod summary;
pub mod watch;
