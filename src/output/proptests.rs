//! Properties of the display of FHIR answers: searchset pages in every
//! `--output` format, and one answer as `smart get` shows it. The
//! documents come from the FHIR layer's generators.

use proptest::prelude::*;
use serde_json::Value;

use crate::fhir::pages::{self, BundleView};
use crate::fhir::proptests::{TYPES, bundle, resource};
use crate::output::render::{Format, SearchOut};
use crate::testgen;

const FORMATS: &[Format] = &[
    Format::Json,
    Format::Ndjson,
    Format::Bundle,
    Format::Table,
    Format::Ids,
];

proptest! {
    #![proptest_config(testgen::cases(128))]

    /// A page that parses is shown in every format without a panic and
    /// without an error (writing to memory cannot fail, so an error here
    /// would reach the user as "cannot write to stdout"); NDJSON lines are
    /// the entries' resources; what people read (table, ids) has no
    /// control characters.
    #[test]
    fn prop_pages_show_in_every_format(
        body in testgen::body_from(bundle()),
        rtype in prop::sample::select(TYPES),
        limit in prop::option::of(0usize..4),
    ) {
        let Ok(view) = BundleView::parse("GET /fhir/Patient", &body) else { return Ok(()) };
        let _ = view.next();
        for &format in FORMATS {
            let mut out = Vec::new();
            let mut s = SearchOut::new(format, &mut out, false, rtype);
            let page = s.page(&body, &view, limit);
            prop_assert!(page.is_ok(), "{format:?}: {page:?}");
            prop_assert!(s.finish().is_ok());
            if format == Format::Bundle {
                // The server's bytes, unchanged (even where serde_json
                // skipped a string without checking its UTF-8).
                prop_assert!(out.starts_with(body.trim_ascii_end()));
                continue;
            }
            let text = String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            match format {
                Format::Ndjson => {
                    for line in text.lines() {
                        prop_assert!(serde_json::from_str::<Value>(line).is_ok(), "{line}");
                    }
                    if limit.is_none() {
                        let want = view.entry.iter().filter(|e| {
                            e.resource.is_some() && e.mode() != pages::Mode::Outcome
                        }).count();
                        prop_assert_eq!(text.lines().count(), want);
                    }
                }
                Format::Json => {
                    prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
                }
                Format::Table | Format::Ids => {
                    prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
                }
                Format::Bundle => {}
            }
        }
        // The single-answer display (`smart get` of a Bundle).
        for &format in FORMATS {
            let mut out = Vec::new();
            let shown = crate::output::resource::show("GET /fhir/x", &body, format, &mut out, false);
            prop_assert!(!matches!(shown, Err(crate::output::resource::Shown::Io(_))), "{format:?}");
        }
    }

    /// Any document at all, shown as `smart get` shows one: no panic, and
    /// only an answer that is not what the format needs is refused.
    #[test]
    fn prop_single_answers_show_or_are_refused(body in testgen::body_from(resource())) {
        for &format in FORMATS {
            let mut out = Vec::new();
            let shown = crate::output::resource::show("GET /fhir/x", &body, format, &mut out, false);
            prop_assert!(!matches!(shown, Err(crate::output::resource::Shown::Io(_))), "{format:?}");
            if format == Format::Ids {
                let text = String::from_utf8_lossy(&out);
                prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
            }
        }
    }
}
