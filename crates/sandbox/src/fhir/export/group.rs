//! `GET /fhir/Group/{all|sample}`: the sandbox's two groups as Group
//! resources, so that a client without `$export` (a crawl) can read who is
//! in them. Patients of the synthetic store only, as their exports have.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::kickoff::{Group, in_sample};
use crate::Grant;
use crate::fhir::generate::SynId;
use crate::fhir::outcome::{Outcome, fhir};
use crate::fhir::store::Store;
use smart_vocab::scope::Interaction;

pub(crate) fn read(store: &Store, grant: &Grant, id: &str) -> Result<Response, Outcome> {
    let Some(group) = Group::parse(id) else {
        return Err(Outcome::not_found(format!(
            "Group/{id} does not exist; this server has Group/all and Group/sample"
        )));
    };
    crate::fhir::handlers::authorize(grant, "Group", Interaction::Read)?;
    let members: Vec<Value> = (0..store.synth.patient_count())
        .filter(|p| group == Group::All || in_sample(*p))
        .map(|p| json!({"entity": {"reference": format!("Patient/{}", SynId::Patient(p).id())}}))
        .collect();
    let body = json!({
        "resourceType": "Group",
        "id": id,
        "type": "person",
        "actual": true,
        "quantity": members.len(),
        "member": members,
    });
    Ok(fhir(StatusCode::OK, body.to_string()))
}
