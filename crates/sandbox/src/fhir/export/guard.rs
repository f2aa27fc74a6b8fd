//! Who may see an export job, and how many a client may start.
//!
//! A job belongs to the grant that started it, not only to its client: a
//! client may hold a system-level token and a patient-limited one at once,
//! and the second must not read what the first exported. A later token
//! sees the job when it is of the same client and reaches, for every type
//! in the job, at least as far as the starting grant did (so a fresh token
//! of the same kind goes on with the job).
//!
//! Kick-offs are bounded, so that a client cannot fill the disk or the
//! blocking threads: jobs still running per client, and the bytes all
//! written exports hold. Past a bound the answer is 429 with `Retry-After`.

use std::path::Path;
use std::time::SystemTime;

use axum::http::{StatusCode, header};

use super::super::outcome::Outcome;
use super::super::types::RType;
use super::Exports;
use crate::{Access, Grant, Interaction};

/// True when `requester` may see the job `owner` started over `types`.
pub(crate) fn admits(owner: &Grant, types: &[RType], requester: &Grant) -> bool {
    requester.client_id == owner.client_id
        && types.iter().all(|t| {
            let reach = |g: &Grant| g.access(t.name(), Interaction::Read);
            match (reach(owner), reach(requester)) {
                (Access::Denied, _) | (_, Access::All) => true,
                (Access::Compartment(a), Access::Compartment(b)) => a == b,
                _ => false,
            }
        })
}

/// When a refused kick-off may try again: a running job takes seconds.
const RETRY_AFTER_SECS: u64 = 10;

/// The bounds a kick-off of `client_id` must stay within.
pub(crate) fn check_bounds(
    exports: &Exports,
    client_id: &str,
    now: SystemTime,
    jobs_per_client: usize,
    disk_limit: u64,
) -> Result<(), Outcome> {
    let running = exports
        .jobs()
        .values()
        .filter(|j| j.client_id == client_id && j.is_running(now))
        .count();
    if running >= jobs_per_client {
        return Err(too_many(format!(
            "this client has {running} export jobs running, the most this server allows; wait for one to finish or cancel one (DELETE its status URL)"
        )));
    }
    let held = exports.root().map_or(0, |r| bytes_under(&r));
    if held >= disk_limit {
        return Err(too_many(format!(
            "the exports kept hold {held} bytes, the most this server allows ({disk_limit}); delete finished ones (DELETE their status URLs) or wait for them to expire"
        )));
    }
    Ok(())
}

fn too_many(why: String) -> Outcome {
    Outcome::new(StatusCode::TOO_MANY_REQUESTS, "throttled", why)
        .with_header(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())
}

/// The size of the files below `dir` (two levels: job directories, files).
fn bytes_under(dir: &Path) -> u64 {
    let Ok(jobs) = std::fs::read_dir(dir) else {
        return 0;
    };
    jobs.flatten()
        .filter_map(|j| std::fs::read_dir(j.path()).ok())
        .flat_map(|files| files.flatten())
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(client: &str, scopes: &str, patient: Option<&str>) -> Grant {
        Grant {
            client_id: client.into(),
            scopes: scopes.split(' ').map(str::to_owned).collect(),
            patient: patient.map(str::to_owned),
            encounter: None,
            fhir_user: None,
            expires_at: SystemTime::now(),
        }
    }

    #[test]
    fn a_job_is_seen_by_grants_that_reach_as_far() {
        let types = [RType::Patient, RType::Observation];
        let system = grant("c", "system/*.rs", None);
        let p1 = grant("c", "patient/*.rs", Some("p1"));
        // The same client with a patient-limited token: not a system job.
        assert!(!admits(&system, &types, &p1));
        assert!(admits(&system, &types, &grant("c", "system/*.read", None)));
        assert!(!admits(
            &system,
            &types,
            &grant("c", "system/Patient.rs", None)
        ));
        assert!(!admits(
            &system,
            &types,
            &grant("other", "system/*.rs", None)
        ));
        // A patient's job: that patient's tokens, or wider ones.
        assert!(admits(&p1, &types, &grant("c", "patient/*.rs", Some("p1"))));
        assert!(!admits(
            &p1,
            &types,
            &grant("c", "patient/*.rs", Some("p2"))
        ));
        assert!(admits(&p1, &types, &system));
    }
}
