//! Properties of what hydration reads from an export directory (data from
//! disk, written by a server): whatever a reference or an attachment URL
//! says, what is requested is under the FHIR base, and no resource makes
//! the walk panic.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::attachments::{self, Class, Rules};
use super::refs::{self, Target};
use crate::discovery::FhirBase;
use crate::testgen;

const BASE: &str = "https://ehr.example/r4/fhir";

fn base() -> FhirBase {
    FhirBase::parse(BASE).unwrap()
}

/// References and URLs as exports hold them, and near misses: other
/// origins and bases, `..`, encoded separators, path parameters, history,
/// queries, fragments, odd ids.
fn reference() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "",
        "/",
        "./",
        "../",
        "../../",
        "https://ehr.example/r4/fhir/",
        "https://ehr.example/r4/fhir/x/",
        "https://ehr.example/r4/",
        "https://ehr.example/r4/fhir/../",
        "https://ehr.example/r4/fhir/%2e%2e/",
        "https://ehr.example:444/r4/fhir/",
        "http://ehr.example/r4/fhir/",
        "https://evil.example/r4/fhir/",
        "//evil.example/",
        "#",
        "urn:uuid:",
        "file:///",
    ]);
    let rtype = prop::sample::select(vec![
        "Medication",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "Observation",
        "Patient",
        "Binary",
        "medication",
    ]);
    let id = prop_oneof![
        3 => "[A-Za-z0-9.-]{1,64}",
        1 => Just("..".to_owned()),
        1 => Just("a%2Fb".to_owned()),
        1 => Just("a;b=c".to_owned()),
        1 => testgen::text(),
    ];
    let tail = prop::sample::select(vec!["", "/_history/2", "?x=1", "#f", "/", "/x"]);
    prop_oneof![
        4 => (prefix, rtype, id, tail).prop_map(|(p, t, i, s)| format!("{p}{t}/{i}{s}")),
        1 => testgen::text(),
    ]
}

fn rules() -> Rules {
    Rules {
        types: attachments::DEFAULT_TYPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        max_bytes: attachments::DEFAULT_MAX,
        parallel: 1,
    }
}

proptest! {
    /// A reference followed is `Type/id` of a fetched type and a FHIR id,
    /// and `[base]/Type/id` is under the base.
    #[test]
    fn prop_references_followed_stay_on_the_base(r in reference()) {
        let b = base();
        if let Some(Target::Local(k)) = refs::resolve(&r, &b, &refs::FETCHED) {
            let (t, id) = k.split_once('/').expect("Type/id");
            prop_assert!(refs::FETCHED.contains(&t), "{}", k);
            prop_assert!(refs::is_fhir_id(id), "{}", k);
            // As the FHIR client makes it (`Fhir::url`).
            let mut on = b.url().clone();
            on.set_path(&format!("{}/", on.path().trim_end_matches('/')));
            let url = on.join(&k).unwrap();
            prop_assert!(b.contains(&url), "{} → {}", r, url);
        }
    }

    /// An attachment URL is fetched only under the base, over http(s).
    #[test]
    fn prop_attachment_urls_fetched_stay_on_the_base(u in reference(), ct in testgen::text()) {
        let b = base();
        let r = rules();
        for content_type in [ct.as_str(), "text/plain", "text/html; charset=utf-8"] {
            let a = json!({"contentType": content_type, "url": u});
            if let Class::Fetch(url, m) = attachments::classify(a.as_object().unwrap(), &r.types, &b) {
                prop_assert!(b.contains(&url), "{} → {}", u, url);
                prop_assert!(r.types.contains(&m));
            }
        }
    }

    /// Any JSON, with the fields hydration reads, is walked without a panic.
    #[test]
    fn prop_hostile_resources_are_walked_without_a_panic(
        v in testgen::json_with(&[
            "resourceType", "id", "reference", "result", "hasMember", "content",
            "attachment", "presentedForm", "url", "contentType", "data",
        ]),
        rtype in prop::sample::select(vec!["DiagnosticReport", "DocumentReference", "Observation", "x"]),
    ) {
        let b = base();
        let mut v = v;
        if let Value::Object(m) = &mut v {
            m.insert("resourceType".into(), Value::String(rtype.into()));
        }
        let found = refs::wanted(&v, &b);
        for k in &found.local {
            prop_assert!(k.contains('/'));
        }
        let mut t = attachments::Tally::default();
        let _ = attachments::survey(&v, &rules(), &b, &mut t);
    }
}
