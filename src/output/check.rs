//! How a `smart check` report looks: the grouped checklist on a terminal,
//! JUnit XML for CI dashboards, and the plain-text transcript.

use colored::Colorize;

use crate::check::{Check, CheckResult, Exchange, Group, Report, Status};
use crate::redact::printable;

/// Where a check comes from: its SMART 2.2 requirements and the Inferno
/// tests of the same thing, as one line (empty when it has neither).
fn provenance(requirements: &[String], inferno: &[&str]) -> String {
    let mut parts = Vec::new();
    if !requirements.is_empty() {
        let short: Vec<&str> = requirements
            .iter()
            .map(|r| r.rsplit_once('@').map_or(r.as_str(), |(_, n)| n))
            .collect();
        parts.push(format!(
            "SMART 2.2 {}",
            short
                .iter()
                .map(|n| format!("@{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if !inferno.is_empty() {
        parts.push(format!("Inferno {}", inferno.join(" ")));
    }
    parts.join(" · ")
}

/// `smart check --list`: every check, its severity, title, reference and
/// where it comes from.
pub fn catalogue(all: &[Check]) -> String {
    let mut out = String::new();
    for c in all {
        let sev = match c.severity {
            crate::check::Severity::Required => "required",
            crate::check::Severity::Recommended => "recommended",
        };
        out.push_str(&format!(
            "{:<38} {sev:<11} {}\n{:<38} {}\n",
            c.id, c.title, "", c.reference
        ));
        let from = provenance(&c.requirement_ids(), c.inferno);
        if !from.is_empty() {
            out.push_str(&format!("{:<38} {from}\n", ""));
        }
    }
    out
}

/// The checklist: one line per check, a `fix:` line under each failure and
/// warning, totals at the end.
pub fn checklist(r: &Report) -> String {
    let mut out = format!("{} {}\n", "SMART check of".bold(), r.fhir_base);
    let shared = shared_skips(r);
    for g in Group::ALL {
        let results: Vec<&CheckResult> = r.group(*g).collect();
        if results.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{}\n", g.name().bold().underline()));
        for c in results {
            let (mark, id) = match c.status {
                Status::Pass => ("✓".green(), c.id.normal()),
                Status::Fail => ("✗".red().bold(), c.id.red().bold()),
                Status::Warn => ("!".yellow().bold(), c.id.yellow()),
                Status::Skip => ("–".dimmed(), c.id.dimmed()),
            };
            out.push_str(&format!("  {mark} {id}  {}\n", c.title));
            if !(c.status == Status::Skip && shared.iter().any(|(why, _)| *why == c.reason)) {
                out.push_str(&format!("      {}\n", printable(&c.reason).dimmed()));
            }
            let from = provenance(&c.requirements, c.inferno);
            if !from.is_empty() && matches!(c.status, Status::Fail | Status::Warn) {
                out.push_str(&format!("      {}\n", from.dimmed()));
            }
            if let Some(fix) = c.fix {
                out.push_str(&format!("      {} {fix}\n", "fix:".bold()));
            }
        }
        if *g == Group::Discovery
            && let Some(sets) = &r.capability_sets
        {
            for line in crate::check::capability_sets::summary(sets) {
                out.push_str(&format!("  {} {}\n", "i".blue(), printable(&line)));
            }
        }
    }
    if !shared.is_empty() {
        out.push('\n');
    }
    for (why, n) in &shared {
        out.push_str(&format!(
            "{} {n} checks skipped: {}\n",
            "–".dimmed(),
            printable(why)
        ));
    }
    out.push('\n');
    for line in crate::check::fingerprint::summary(&r.quirks) {
        out.push_str(&format!("{}\n", printable(&line)));
    }
    let t = r.totals;
    out.push_str(&format!(
        "\n{} passed, {} failed, {} warnings, {} skipped\n",
        t.pass.to_string().green(),
        if t.fail > 0 {
            t.fail.to_string().red().bold()
        } else {
            t.fail.to_string().normal()
        },
        t.warn.to_string().yellow(),
        t.skip
    ));
    out
}

/// Skip reasons shared by three checks or more (what a missing client or
/// endpoint leaves undone), with their counts: said once, not per check.
fn shared_skips(r: &Report) -> Vec<(&str, usize)> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for c in r.results.iter().filter(|c| c.status == Status::Skip) {
        match counts.iter_mut().find(|(why, _)| *why == c.reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((&c.reason, 1)),
        }
    }
    counts.retain(|(_, n)| *n >= 3);
    counts
}

/// JUnit XML: one testsuite per group. A warning is a passed test case with
/// the warning in its `system-out` (JUnit has no third state).
pub fn junit(r: &Report) -> String {
    let t = r.totals;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // What the Jenkins JUnit schemas (junit-4.xsd, junit-10.xsd) allow:
    // no `skipped` count on testsuites, `errors` on every testsuite, and
    // the reason for a skip as the text of <skipped>, not an attribute.
    out.push_str(&format!(
        "<testsuites name=\"smart check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n",
        r.results.len(),
        t.fail,
    ));
    for g in Group::ALL {
        let results: Vec<&CheckResult> = r.group(*g).collect();
        if results.is_empty() {
            continue;
        }
        let gt = crate::check::Totals::of(results.iter().copied());
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
            g.name(),
            results.len(),
            gt.fail,
            gt.skip
        ));
        for c in results {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n",
                g.name(),
                xml(c.id)
            ));
            match c.status {
                Status::Fail => out.push_str(&format!(
                    "      <failure message=\"{}\" type=\"required\">{}\n{}</failure>\n",
                    xml(&c.reason),
                    xml(c.fix.unwrap_or_default()),
                    xml(c.reference)
                )),
                Status::Skip => {
                    out.push_str(&format!("      <skipped>{}</skipped>\n", xml(&c.reason)))
                }
                Status::Warn => out.push_str(&format!(
                    "      <system-out>warning: {} (fix: {})</system-out>\n",
                    xml(&c.reason),
                    xml(c.fix.unwrap_or_default())
                )),
                Status::Pass => {}
            }
            let from = provenance(&c.requirements, c.inferno);
            if !from.is_empty() {
                out.push_str(&format!("      <system-out>{}</system-out>\n", xml(&from)));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Every exchange of the run, redacted, for a bug report.
pub fn transcript(r: &Report, exchanges: &[Exchange]) -> String {
    let mut out = format!(
        "# smart check {} of {}: {} exchanges, secrets redacted\n",
        r.smart_version,
        r.fhir_base,
        exchanges.len()
    );
    for (i, ex) in exchanges.iter().enumerate() {
        out.push_str(&format!("\n## {}\n{}", i + 1, ex.to_text()));
    }
    out
}

/// One self-contained HTML page (no external assets): the totals at the
/// top, one foldable section per group (open when something in it failed
/// or warned), and under each check its reason, fix, reference and the
/// exchanges that show it.
pub fn html(r: &Report) -> String {
    let e = |s: &str| crate::oauth::callback::html_escape(s);
    let t = r.totals;
    let mut out = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SMART check of {base}</title>
<style>{STYLE}</style></head><body>
<h1>SMART check of <code>{base}</code></h1>
<p class="summary" id="summary"><span class="pass">{} passed</span> · <span class="{}">{} failed</span> · <span class="{}">{} warnings</span> · <span class="skip">{} skipped</span> — smart {}</p>
"#,
        t.pass,
        if t.fail > 0 { "fail" } else { "none" },
        t.fail,
        if t.warn > 0 { "warn" } else { "none" },
        t.warn,
        t.skip,
        e(r.smart_version),
        base = e(&r.fhir_base),
    );
    // What a reader came for first: what failed and warned, with the fix.
    let wrong: Vec<&CheckResult> = r
        .results
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Warn))
        .collect();
    out.push_str("<section id=\"to-fix\">\n");
    if wrong.is_empty() {
        out.push_str("<p>Nothing failed and nothing warned.</p>\n");
    } else {
        out.push_str("<h2>To fix</h2>\n<ul>\n");
        for c in &wrong {
            let status = if c.status == Status::Fail {
                "fail"
            } else {
                "warn"
            };
            out.push_str(&format!(
                "<li class=\"{status}\"><span class=\"status\">{status}</span> <a href=\"#{id}\"><code>{id}</code></a> {title}: {reason}<br><b>Fix:</b> {fix}</li>\n",
                id = e(c.id),
                title = e(c.title),
                reason = e(&c.reason),
                fix = e(c.fix.unwrap_or_default()),
            ));
        }
        out.push_str("</ul>\n");
    }
    for (why, n) in shared_skips(r) {
        out.push_str(&format!(
            "<p class=\"skip\">{n} checks skipped: {}</p>\n",
            e(why)
        ));
    }
    out.push_str("</section>\n");
    for g in Group::ALL {
        let results: Vec<&CheckResult> = r.group(*g).collect();
        if results.is_empty() {
            continue;
        }
        let gt = crate::check::Totals::of(results.iter().copied());
        let open = if gt.fail + gt.warn > 0 { " open" } else { "" };
        out.push_str(&format!(
            r#"<details class="group" id="group-{name}"{open}><summary><h2>{title}</h2> <span>{} passed, {} failed, {} warnings, {} skipped</span></summary>
"#,
            gt.pass,
            gt.fail,
            gt.warn,
            gt.skip,
            name = g.name(),
            title = g.title(),
        ));
        for c in results {
            let status = match c.status {
                Status::Pass => "pass",
                Status::Fail => "fail",
                Status::Warn => "warn",
                Status::Skip => "skip",
            };
            out.push_str(&format!(
                r#"<section class="check {status}" id="{id}"><h3><span class="status">{status}</span> <code>{id}</code> {title}</h3>
<p class="reason">{}</p>
"#,
                e(&c.reason),
                id = e(c.id),
                title = e(c.title),
            ));
            if let Some(fix) = c.fix {
                out.push_str(&format!("<p class=\"fix\"><b>Fix:</b> {}</p>\n", e(fix)));
            }
            let from = provenance(&c.requirements, c.inferno);
            out.push_str(&format!(
                "<p class=\"ref\">{} · <a href=\"{ref_}\">{ref_}</a>{}</p>\n",
                match c.severity {
                    crate::check::Severity::Required => "required (MUST)",
                    crate::check::Severity::Recommended => "recommended (SHOULD)",
                },
                if from.is_empty() {
                    String::new()
                } else {
                    format!(" · <span class=\"from\">{}</span>", e(&from))
                },
                ref_ = e(c.reference)
            ));
            if !c.evidence.is_empty() {
                out.push_str("<details class=\"evidence\"><summary>Evidence</summary>\n");
                for ex in &c.evidence {
                    out.push_str(&format!("<pre>{}</pre>\n", e(&ex.to_text())));
                }
                out.push_str("</details>\n");
            }
            out.push_str("</section>\n");
        }
        out.push_str("</details>\n");
    }
    out.push_str("</body></html>\n");
    out
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
code,pre{font-family:ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:.5rem;font-size:12px}\
.summary span{font-weight:600}.pass .status,.summary .pass{color:#17702b}.fail .status,.summary .fail{color:#b00020}\
.warn .status,.summary .warn{color:#a15c00}.skip .status,.summary .skip,.summary .none{color:#666}#to-fix li{margin:.4rem 0}\
details.group>summary h2{display:inline;font-size:1.2rem}details.group{margin:1rem 0;border-top:1px solid #ddd}\
.check{margin:.6rem 0 .6rem 1rem}.check h3{font-size:1rem;margin:.2rem 0}.status{text-transform:uppercase;font-size:.8rem}\
.fix{background:#fff4e5;padding:.3rem .5rem}.fail .fix{background:#fdecee}.reason{margin:.2rem 0}.ref{font-size:.85rem;color:#555}";

/// Text for XML attributes and elements; characters XML 1.0 cannot carry
/// (most control characters, U+FFFE, U+FFFF) are dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            // XML 1.0 Char: no other C0 control, and not U+FFFE or U+FFFF
            // (surrogates cannot be in a Rust string).
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_with_characters_xml_forbids_is_still_well_formed_junit() {
        use crate::check::catalogue;
        let reason = "echoed \u{1}\u{FFFF}\u{FFFE}\u{1b}[31m <tag> & \"quoted\"";
        let mut r = Report::new("https://ehr.example/fhir".into(), vec![]);
        for (c, v) in [
            (&catalogue::WELL_KNOWN, crate::check::Verdict::unmet(reason)),
            (&catalogue::CORS, crate::check::Verdict::unmet(reason)),
            (&catalogue::HTTPS, crate::check::Verdict::skip(reason)),
        ] {
            r.results.push(CheckResult::new(c, v, vec![]));
        }
        let x = junit(&r);
        let doc = roxmltree::Document::parse(&x).unwrap_or_else(|e| panic!("{e}:\n{x}"));
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("testcase"))
                .count(),
            3
        );
        assert!(!x.contains('\u{FFFF}') && !x.contains('\u{1}'));
    }

    #[test]
    fn the_html_opens_on_what_to_fix_and_says_fhir() {
        use crate::check::Verdict;
        use crate::check::catalogue;
        let r = Report::new(
            "https://ehr.example/fhir".into(),
            vec![
                CheckResult::new(
                    &catalogue::TOKEN_REQUIRED,
                    Verdict::unmet("answered 200"),
                    vec![],
                ),
                CheckResult::new(&catalogue::CAPABILITY_STATEMENT, Verdict::met("ok"), vec![]),
            ],
        );
        let h = html(&r);
        let fix = h.find("<h2>To fix</h2>").expect("a to-fix summary");
        assert!(fix < h.find("<details").unwrap(), "the summary comes first");
        assert!(h[fix..].contains("refuse FHIR requests without a valid access token"));
        assert!(h.contains("<h2>FHIR</h2>"));
        assert!(
            h.contains(r#"<span class="none">0 warnings</span>"#),
            "zero is not coloured"
        );
        let clean = Report::new("https://ehr.example/fhir".into(), vec![]);
        assert!(html(&clean).contains(r#"<span class="none">0 failed</span>"#));
    }

    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(
            xml("a<b & \"c\"\u{1b}[31m"),
            "a&lt;b &amp; &quot;c&quot;[31m"
        );
    }
}
