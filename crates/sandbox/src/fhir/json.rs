//! A tiny JSON writer for the hot path.
//!
//! Synthetic resources are written straight into the response buffer instead
//! of being built as `serde_json::Value` trees: paging 100k patients at
//! ≥ 50k resources/s leaves no room for a tree of small allocations per
//! resource.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal (with quotes).
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        last = i + 1;
    }
    out.push_str(&s[last..]);
    out.push('"');
}

/// Appends `"key":` — keys are our own literals, never request data.
pub(crate) fn key(out: &mut String, k: &str) {
    out.push('"');
    out.push_str(k);
    out.push_str("\":");
}

/// Appends `"key":"value",` with the value escaped.
pub(crate) fn field(out: &mut String, k: &str, v: &str) {
    key(out, k);
    string(out, v);
    out.push(',');
}

/// Drops a trailing comma left by the field writers before closing a
/// container.
pub(crate) fn close(out: &mut String, c: char) {
    if out.ends_with(',') {
        out.pop();
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_serde() {
        for s in ["plain", "a\"b\\c", "tab\tnl\n", "\u{1}x", "é ✓"] {
            let mut out = String::new();
            super::string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }
}
