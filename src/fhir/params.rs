//! Search parameters given as `name=value` words, and their encoding.
//!
//! The name part is FHIR search syntax — modifiers (`name:exact`), chains
//! (`subject:Patient.name`), reverse chains (`_has:Observation:patient:code`)
//! — and is checked only for characters that would change the request's
//! shape (`&`, `#`, spaces). Values are taken literally: a comma stays a FHIR
//! OR, a `|` a token separator. Both are percent-encoded with one encoder for
//! the query string and the `POST _search` form body alike, leaving the
//! characters FHIR syntax uses (`:`, `,`, `/`, `$`, `@`) readable in a trace.

use crate::error::{Error, Result};

/// One `name=value` search parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: String,
}

/// Parses a `name=value` word; the value may itself contain `=`.
pub fn parse_word(word: &str) -> Result<Param> {
    let bad = |why: &str| {
        Error::usage(format!("malformed search parameter `{word}`: {why}")).with_hint(
            "write search parameters as name=value, e.g. family=smith or birthdate=ge1970",
        )
    };
    let Some((name, value)) = word.split_once('=') else {
        return Err(bad("no `=`"));
    };
    if name.is_empty() {
        return Err(bad("empty name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '$')))
    {
        return Err(bad(&format!(
            "`{}` is not allowed in a parameter name",
            c.escape_default()
        )));
    }
    if value.is_empty() {
        return Err(bad("empty value"));
    }
    Ok(Param {
        name: name.to_owned(),
        value: value.to_owned(),
    })
}

/// `a=1&b=2`, percent-encoded for a query string or a form body.
pub fn encode(params: &[Param]) -> String {
    let mut out = String::new();
    for p in params {
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(&p.name, &mut out);
        out.push('=');
        encode_into(&p.value, &mut out);
    }
    out
}

fn encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:,/$@".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    fn p(w: &str) -> Param {
        parse_word(w).unwrap()
    }

    #[test]
    fn words_split_at_the_first_equals() {
        assert_eq!(p("name:exact=Smith").name, "name:exact");
        assert_eq!(p("code=a=b").value, "a=b");
        assert_eq!(p("subject:Patient.name=x").name, "subject:Patient.name");
        assert_eq!(
            p("_has:Observation:patient:code=1234").name,
            "_has:Observation:patient:code"
        );
    }

    #[test]
    fn malformed_words_are_refused() {
        for w in ["family", "=x", "fam ily=x", "a&b=c", "name="] {
            let e = parse_word(w).unwrap_err();
            assert!(e.message.contains("malformed"), "{w}: {}", e.message);
        }
    }

    #[test]
    fn encoding_keeps_fhir_syntax_readable_and_escapes_the_rest() {
        let q = encode(&[
            p("name:exact=O'Brien Smith"),
            p("code=http://loinc.org|1234-5"),
            p("gender=male,female"),
            p("given=Zoë&x=1"),
            p("date=ge2020-01-01T00:00:00+01:00"),
        ]);
        assert_eq!(
            q,
            "name:exact=O%27Brien%20Smith&code=http://loinc.org%7C1234-5&gender=male,female\
             &given=Zo%C3%AB%26x%3D1&date=ge2020-01-01T00:00:00%2B01:00"
        );
        // What a server decodes is exactly what was given.
        let back: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(back[0].1, "O'Brien Smith");
        assert_eq!(back[3].1, "Zoë&x=1");
        assert_eq!(back[4].1, "ge2020-01-01T00:00:00+01:00");
    }
}
