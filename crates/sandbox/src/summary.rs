//! What `smart sandbox` prints when it starts (`--json`: one line): the
//! endpoints, the clients with their secrets (a test server's secrets are
//! public), the faults and quirks switched on.

use serde_json::{Value, json};

use crate::Sandbox;
use crate::auth::Client;

impl Sandbox {
    /// The start-up summary, for `--json` and the human banner alike.
    pub fn summary(&self) -> Value {
        let st = &self.state;

        let base = st.fhir_base_str();
        json!({
            "fhir_base": base,
            "issuer": base,
            "smart_configuration": format!("{base}/.well-known/smart-configuration"),
            "authorization_endpoint": st.auth_url("authorize").as_str(),
            "token_endpoint": st.auth_url("token").as_str(),
            "launch_endpoint": st.auth_url("launch").as_str(),
            "export_endpoint": format!("{base}/$export"),
            "storage_origin": st.storage_origin.as_str().trim_end_matches('/'),
            "auto_approve": st.opts.auto_approve,
            "clients": st.auth.clients.all().iter().map(client_json).collect::<Vec<_>>(),
            "faults": st.opts.faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "quirks": st.opts.quirks.iter().map(|q| q.name()).collect::<Vec<_>>(),
        })
    }
}

fn client_json(c: &Client) -> Value {
    let mut v = json!({
        "client_id": c.client_id,
        "type": if c.is_public() { "public" } else if c.secret.is_some() { "confidential-symmetric" } else { "confidential-asymmetric" },
        "token_endpoint_auth_methods": c.auth_methods.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "redirect_uris": c.redirect_uris,
        "grant_types": c.grant_types,
    });
    if let Some(s) = &c.secret {
        v["client_secret"] = json!(s);
    }
    if let Some(n) = &c.client_name {
        v["client_name"] = json!(n);
    }
    v
}
