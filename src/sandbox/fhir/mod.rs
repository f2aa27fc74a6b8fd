//! The sandbox's FHIR side: synthetic data, search, paging, writes, proxy.

use std::sync::Arc;

use super::{Options, State};

pub struct FhirState {}

impl FhirState {
    pub fn new(_opts: &Options) -> anyhow::Result<FhirState> {
        Ok(FhirState {})
    }
}

pub fn router() -> axum::Router<Arc<State>> {
    axum::Router::new()
}

impl FhirState {
    /// (id, display name) of the first `n` patients, for the consent page's
    /// patient picker and the default EHR launch patient. Interim version
    /// added by the auth half so the tree compiles; the FHIR half replaces
    /// it with real patients.
    pub fn patient_choices(&self, _n: usize) -> Vec<(String, String)> {
        Vec::new()
    }
}
