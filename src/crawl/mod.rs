//! `smart export --crawl`: a complete export from a server whose `$export`
//! is missing, slow or partial, made of ordinary FHIR searches — per patient
//! and type — into exactly the layout of a bulk export (`DIR/<Type>.<n>.ndjson`,
//! `log.ndjson`, the same summary), so that whatever reads one reads the
//! other. Split by concern:
//! - `plan`: the types and the parameter that names the patient, from the
//!   CapabilityStatement and the token's scopes;
//! - `names`: the ids and names that may go into searches and file names;
//! - `cohort`: who (a Group, a file, an earlier export, every Patient);
//! - `state`: the snapshot and journal that `--resume` goes on from;
//! - `gate`: `--max-rate`, and one back-off for all searches on 429/503;
//! - `run`: the searches and the files;
//! - `numbered`: incremental exports (`--since auto`) in numbered
//!   subdirectories, for crawls and bulk exports alike.

pub mod cohort;
pub mod gate;
pub mod names;
pub mod numbered;
pub mod plan;
pub mod run;
pub mod state;
