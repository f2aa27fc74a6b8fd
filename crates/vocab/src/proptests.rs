//! Properties of the vocabulary's parsers: the scope grammar, the
//! capability names and the FHIR base URL.

use proptest::prelude::*;

use crate::base::{FhirBase, is_loopback};
use crate::capabilities::{KNOWN_CAPABILITIES, is_known};
use crate::scope::{
    Context, Interaction, Perms, ResourceScope, is_covered, is_known as scope_known, split,
};

fn context() -> impl Strategy<Value = (Context, &'static str)> {
    prop::sample::select(vec![
        (Context::Patient, "patient"),
        (Context::User, "user"),
        (Context::System, "system"),
    ])
}

/// v2 letters: a non-empty subsequence of `cruds`.
fn v2_letters() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), 5)
        .prop_filter("at least one letter", |b| b.iter().any(|x| *x))
        .prop_map(|b| {
            "cruds"
                .chars()
                .zip(b)
                .filter(|(_, on)| *on)
                .map(|(c, _)| c)
                .collect()
        })
}

fn perms_of(letters: &str) -> Perms {
    Perms {
        create: letters.contains('c'),
        read: letters.contains('r'),
        update: letters.contains('u'),
        delete: letters.contains('d'),
        search: letters.contains('s'),
    }
}

/// A resource scope from few enough parts that covering pairs are common.
fn small_scope() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["patient", "system"]),
        prop::sample::select(vec!["*", "Patient", "Observation"]),
        prop_oneof![
            prop::sample::select(vec!["read", "write", "*"]).prop_map(str::to_owned),
            v2_letters(),
        ],
        prop::option::of(prop::sample::select(vec!["category=a", "category=b"])),
    )
        .prop_map(|(ctx, t, perms, q)| {
            let v1 = matches!(perms.as_str(), "read" | "write" | "*");
            match q.filter(|_| !v1) {
                Some(q) => format!("{ctx}/{t}.{perms}?{q}"),
                None => format!("{ctx}/{t}.{perms}"),
            }
        })
}

const INTERACTIONS: &[Interaction] = &[
    Interaction::Read,
    Interaction::Search,
    Interaction::Create,
    Interaction::Update,
    Interaction::Delete,
];

proptest! {
    /// A scope written from the grammar's parts parses back to those
    /// parts: context, type (or `*`), v1 or v2 permissions, constraint.
    #[test]
    fn prop_scopes_from_the_grammar_read_back_as_their_parts(
        (ctx, ctx_name) in context(),
        rtype in prop::option::of("[A-Z][a-zA-Z]{0,20}"),
        v1 in prop::option::of(prop::sample::select(vec!["read", "write", "*"])),
        letters in v2_letters(),
        constraint in prop::option::of("[a-z_=&:|.0-9-]{1,20}"),
    ) {
        let constraint = constraint.filter(|_| v1.is_none());
        let perms_text = v1.map_or(letters.clone(), str::to_owned);
        let mut text = format!("{ctx_name}/{}.{perms_text}", rtype.as_deref().unwrap_or("*"));
        if let Some(c) = &constraint {
            text.push('?');
            text.push_str(c);
        }
        let s = ResourceScope::parse(&text).ok_or_else(|| TestCaseError::fail(text.clone()))?;
        prop_assert_eq!(s.context, ctx);
        prop_assert_eq!(&s.resource_type, &rtype);
        prop_assert_eq!(s.v2, v1.is_none());
        prop_assert_eq!(&s.constraint, &constraint);
        let want = match v1 {
            Some("read") => perms_of("rs"),
            Some("write") => perms_of("cud"),
            Some(_) => perms_of("cruds"),
            None => perms_of(&letters),
        };
        prop_assert_eq!(s.perms, want);
        prop_assert!(scope_known(&text));
        // A constrained scope grants nothing on its own.
        let t = rtype.as_deref().unwrap_or("Observation");
        for &i in INTERACTIONS {
            if constraint.is_some() {
                prop_assert!(!s.covers(t, i));
            }
        }
    }

    /// v2 letters out of order, repeated or unknown never parse: a scope
    /// that does not parse grants nothing.
    #[test]
    fn prop_v2_letters_parse_only_in_order(letters in "[crudsx*]{0,7}") {
        let parsed = ResourceScope::parse(&format!("patient/Observation.{letters}"));
        let in_order = !letters.is_empty() && {
            let mut rest = "cruds";
            letters.chars().all(|c| match rest.find(c) {
                Some(i) => {
                    rest = &rest[i + 1..];
                    true
                }
                None => false,
            })
        };
        prop_assert_eq!(parsed.is_some(), in_order || letters == "*");
    }

    /// Any text parses as a scope or not, without a panic; one that does
    /// starts with a context and grants only what it says.
    #[test]
    fn prop_any_scope_text_parses_or_grants_nothing(s in prop_oneof![".{0,40}", "(patient|user|system|x)/[A-Za-z*]{0,8}\\.[a-z*]{0,6}(\\?.{0,6})?"]) {
        if let Some(r) = ResourceScope::parse(&s) {
            prop_assert!(s.starts_with("patient/") || s.starts_with("user/") || s.starts_with("system/"));
            if r.constraint.is_some() {
                prop_assert!(INTERACTIONS.iter().all(|&i| !r.covers("Observation", i)));
            }
        }
        let _ = scope_known(&s);
    }

    /// Splitting a scope parameter drops empty pieces and repeats, and
    /// what it gives, joined again, splits the same.
    #[test]
    fn prop_split_scopes_round_trip(words in prop::collection::vec("[a-zA-Z/*.]{0,6}", 0..8), gaps in "[ ]{1,3}") {
        let text = words.join(&gaps);
        let parts = split(&text);
        prop_assert!(parts.iter().all(|p| !p.is_empty() && !p.contains(' ')));
        let mut seen = std::collections::HashSet::new();
        prop_assert!(parts.iter().all(|p| seen.insert(p.clone())));
        prop_assert_eq!(split(&parts.join(" ")), parts);
    }

    /// A scope granted because a held one covers it never permits what the
    /// held one does not, for any type and interaction, in either dialect.
    #[test]
    fn prop_a_covered_scope_never_widens(asked in small_scope(), held in small_scope()) {
        let (a, h) = (
            ResourceScope::parse(&asked).ok_or_else(|| TestCaseError::fail(asked.clone()))?,
            ResourceScope::parse(&held).ok_or_else(|| TestCaseError::fail(held.clone()))?,
        );
        prop_assert!(is_covered(&asked, std::slice::from_ref(&asked)));
        if is_covered(&asked, std::slice::from_ref(&held)) {
            prop_assert_eq!(a.context, h.context);
            for t in ["Patient", "Observation", "Condition"] {
                for &i in INTERACTIONS {
                    prop_assert!(!a.covers(t, i) || h.covers(t, i), "{asked} within {held}: {t} {i:?}");
                }
            }
        }
    }

    /// A capability is known exactly when SMART App Launch 2.x lists it.
    #[test]
    fn prop_capabilities_are_known_exactly_when_listed(c in prop_oneof![
        prop::sample::select(KNOWN_CAPABILITIES).prop_map(str::to_owned),
        "[a-z-]{0,24}",
        ".{0,12}",
    ]) {
        prop_assert_eq!(is_known(&c), KNOWN_CAPABILITIES.contains(&c.as_str()));
    }
}

/// URLs as users and servers write FHIR bases, right and wrong.
fn base_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?|ftp|file)://[a-z0-9.-]{0,12}(:[0-9]{1,5})?(/[a-zA-Z0-9%._~-]{0,8}){0,3}/?",
        "https?://(127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|\\[::1\\]|localhost|LOCALHOST|localhost\\.evil)(:[0-9]{1,4})?/fhir",
        "https://[a-z]{1,8}(/[^?#]{0,8})?[?#]?.{0,4}",
        " ?https://x\\.org/fhir/{0,3} ?",
        ".{0,32}",
    ]
}

proptest! {
    /// Any text is a FHIR base or one refusal, no panic; a base is
    /// https (http only on loopback), has no query, fragment or trailing
    /// slash, reads back as itself, and a path joined to it stays on it.
    #[test]
    fn prop_fhir_bases_read_back_and_keep_their_origin(text in base_text(), path in ".{0,24}") {
        let Ok(b) = FhirBase::parse(&text) else { return Ok(()) };
        let u = b.url();
        prop_assert!(u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u)));
        prop_assert!(u.query().is_none() && u.fragment().is_none());
        prop_assert!(!b.as_str().ends_with('/'), "{}", b.as_str());
        let again = FhirBase::parse(b.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&again, &b);
        let joined = b.join(&path);
        prop_assert_eq!(joined.origin(), u.origin(), "{}", joined);
    }
}
