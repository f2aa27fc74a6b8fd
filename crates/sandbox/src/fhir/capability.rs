//! `/fhir/metadata`: the CapabilityStatement, built from the same type and
//! parameter table that drives search, with the SMART security block (the
//! `oauth-uris` extension) pointing at this sandbox's authorization server.
//! In proxy mode the upstream's statement is served with our security block
//! put in, since that is what clients will have to use.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::outcome::{Outcome, fhir};
use super::types::{COMMON, RType};
use crate::{Fault, Quirk, State};

const BULK_DATA: &str = "http://hl7.org/fhir/uv/bulkdata";

/// `{"name": "export", "definition": …}` of one of the IG's three `$export`s.
fn export_operation(definition: &str) -> Value {
    json!([{
        "name": "export",
        "definition": format!("{BULK_DATA}/OperationDefinition/{definition}"),
    }])
}

pub(crate) const OAUTH_URIS: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

/// The security block. With the `no-well-known` quirk it has the
/// `oauth-uris` extension but no `service` coding, as older servers do.
pub(crate) fn security(state: &State) -> Value {
    let uri =
        |name: &str, path: &str| json!({"url": name, "valueUri": state.auth_url(path).as_str()});
    let mut sec = json!({
        "cors": true,
        "service": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code": "SMART-on-FHIR",
                "display": "SMART-on-FHIR"
            }],
            "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)"
        }],
        "extension": [{
            "url": OAUTH_URIS,
            "extension": [
                uri("authorize", "authorize"),
                uri("token", "token"),
                uri("register", "register"),
                uri("introspect", "introspect"),
                uri("revoke", "revoke"),
            ]
        }]
    });
    if state.opts.quirks.has(Quirk::NoWellKnown)
        && let Some(o) = sec.as_object_mut()
    {
        o.remove("service");
    }
    sec
}

fn statement(state: &State) -> Value {
    // `no-bulk-export`: no operation, no Group (they exist only to be
    // exported), no claim to the Bulk Data IG.
    let export = !state.opts.quirks.has(Quirk::NoBulkExport);
    let mut resources: Vec<Value> = RType::ALL
        .iter()
        .map(|t| {
            let params: Vec<Value> = COMMON
                .iter()
                .chain(t.params())
                .map(|p| json!({"name": p.name, "type": p.fhir_type()}))
                .collect();
            let interactions = ["read", "vread", "search-type", "create", "update", "delete"]
                .map(|c| json!({"code": c}));
            let mut r = json!({
                "type": t.name(),
                "interaction": interactions,
                "versioning": "versioned",
                "readHistory": true,
                "updateCreate": true,
                "conditionalCreate": false,
                "conditionalUpdate": false,
                "conditionalDelete": "not-supported",
                "searchParam": params,
            });
            if *t == RType::Patient && export {
                r["operation"] = export_operation("patient-export");
            }
            r
        })
        .collect();
    // The content of attachments (`Binary/{id}`), read only.
    resources.push(json!({
        "type": "Binary",
        "interaction": [{"code": "read"}],
    }));
    if export {
        // Groups exist only to be exported (Group/all, Group/sample).
        resources.push(json!({
            "type": "Group",
            "interaction": [{"code": "read"}],
            "operation": export_operation("group-export"),
        }));
    }
    let mut statement = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2025-01-01",
        "publisher": "smart sandbox",
        "kind": "instance",
        "software": {"name": "smart sandbox", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": "smart sandbox: synthetic SMART on FHIR server",
            "url": state.fhir_base_str()
        },
        "instantiates": [format!("{BULK_DATA}/CapabilityStatement/bulk-data")],
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": security(state),
            "resource": resources,
            "operation": export_operation("export"),
        }]
    });
    let faults = &state.opts.faults;
    if (!export || faults.has(Fault::ExportNoInstantiates))
        && let Some(o) = statement.as_object_mut()
    {
        o.remove("instantiates");
    }
    if export && faults.has(Fault::ExportNotDeclared) {
        // $export still works; the statement just does not say so.
        if let Some(rest) = statement["rest"][0].as_object_mut() {
            rest.remove("operation");
        }
        if let Some(rs) = statement["rest"][0]["resource"].as_array_mut() {
            for r in rs.iter_mut().filter_map(Value::as_object_mut) {
                r.remove("operation");
            }
        }
    }
    if !export
        && let Some(rest) = statement
            .get_mut("rest")
            .and_then(|r| r.get_mut(0))
            .and_then(Value::as_object_mut)
    {
        rest.remove("operation");
    }
    statement
}

pub(crate) async fn response(state: &State) -> Result<Response, Outcome> {
    let body = match &state.fhir.proxy {
        Some(p) => {
            let mut v = p.metadata(state).await?;
            let sec = security(state);
            match v.get_mut("rest").and_then(Value::as_array_mut) {
                Some(rest) if !rest.is_empty() => {
                    for r in rest.iter_mut() {
                        if let Some(o) = r.as_object_mut() {
                            o.insert("security".into(), sec.clone());
                        }
                    }
                }
                _ => {
                    if let Some(o) = v.as_object_mut() {
                        o.insert("rest".into(), json!([{"mode": "server", "security": sec}]));
                    }
                }
            }
            v
        }
        None => statement(state),
    };
    Ok(fhir(StatusCode::OK, body.to_string()))
}
