//! How a `smart check` report looks: the grouped checklist on a terminal,
//! JUnit XML for CI dashboards, and the plain-text transcript.

use colored::Colorize;

use crate::check::{CheckResult, Exchange, Group, Report, Status};
use crate::redact::printable;

/// The checklist: one line per check, a `fix:` line under each failure and
/// warning, totals at the end.
pub fn checklist(r: &Report) -> String {
    let mut out = format!("{} {}\n", "SMART check of".bold(), r.fhir_base);
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
            out.push_str(&format!(
                "  {mark} {id}  {}\n      {}\n",
                c.title,
                printable(&c.reason).dimmed()
            ));
            if let Some(fix) = c.fix {
                out.push_str(&format!("      {} {fix}\n", "fix:".bold()));
            }
        }
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

/// JUnit XML: one testsuite per group. A warning is a passed test case with
/// the warning in its `system-out` (JUnit has no third state).
pub fn junit(r: &Report) -> String {
    let t = r.totals;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"smart check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
        r.results.len(),
        t.fail,
        t.skip
    ));
    for g in Group::ALL {
        let results: Vec<&CheckResult> = r.group(*g).collect();
        if results.is_empty() {
            continue;
        }
        let gt = crate::check::Totals::of(results.iter().copied());
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
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
                Status::Skip => out.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    xml(&c.reason)
                )),
                Status::Warn => out.push_str(&format!(
                    "      <system-out>warning: {} (fix: {})</system-out>\n",
                    xml(&c.reason),
                    xml(c.fix.unwrap_or_default())
                )),
                Status::Pass => {}
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

/// Text for XML attributes and elements; characters XML 1.0 cannot carry
/// (most control characters) are dropped.
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
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(
            xml("a<b & \"c\"\u{1b}[31m"),
            "a&lt;b &amp; &quot;c&quot;[31m"
        );
    }
}
