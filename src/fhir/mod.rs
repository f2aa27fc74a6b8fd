//! FHIR REST for the query commands (`query`, `get`, `create`, `update`,
//! `delete`, `capabilities`), split by concern:
//! - `client`: where the token may go (under the base only), refresh on 401, retries, limits;
//! - `params`: `name=value` search words and their encoding;
//! - `pages`: searchset pages read without building trees, `next` links;
//! - `outcome`: OperationOutcome lines and error answers; `retry`: waits;
//! - `types`: resource type names, for "did you mean Patient?".

pub mod client;
pub mod outcome;
pub mod pages;
pub mod params;
pub mod retry;
pub mod types;

#[cfg(test)]
pub(crate) mod proptests;
