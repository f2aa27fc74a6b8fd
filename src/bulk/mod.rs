//! FHIR Bulk Data export (Bulk Data Access IG v2), the client side of
//! `smart export`, split by concern:
//! - `request`: the level and kick-off parameters, checked offline; GET or POST;
//! - `status`: reading status answers, and when to poll again (`Retry-After`, capped);
//! - `manifest`: the complete-status manifest and the file names its entries get;
//! - `state`: `DIR/.smart-export.json`, written atomically, for `--resume`;
//! - `download`: one file, streamed, resumed with `Range`;
//! - `reach`: where requests may go (the token's origins, no inside addresses);
//! - `ndjson`: the line-by-line check of a file (plain or gzip), with `scan`, its JSON validator;
//! - `job`: the steps from kick-off to the last file; `summary`: what it produced;
//! - `watch`: what a running export reports (the command layer draws it).

pub mod download;
pub mod job;
pub mod manifest;
pub mod ndjson;
pub mod reach;
pub mod request;
pub mod scan;
pub mod state;
pub mod status;
pub mod summary;
pub mod watch;
