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
