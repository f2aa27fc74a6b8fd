//! The `table` output: the columns shown for each resource type (a summary
//! a person can scan: Patient name/gender/birth date, Observation
//! code/value/date, …) and the padding of cells to a column width.

use serde_json::Value;

pub(super) fn table_headers(rtype: &str) -> Vec<&'static str> {
    match rtype {
        "Patient" | "Practitioner" | "RelatedPerson" | "Person" => {
            vec!["ID", "NAME", "GENDER", "BIRTH DATE"]
        }
        "Observation" => vec!["ID", "CODE", "VALUE", "DATE"],
        "Condition" => vec!["ID", "CODE", "STATUS", "ONSET"],
        "Encounter" => vec!["ID", "STATUS", "CLASS", "START"],
        _ => vec!["ID", "LAST UPDATED"],
    }
}

/// A human summary of one resource, in the searched type's columns, safe
/// for a terminal (the server's text cannot drive it).
pub(super) fn table_row(rtype: &str, v: &Value) -> Vec<String> {
    summary_cells(rtype, v)
        .into_iter()
        .map(|c| crate::redact::printable(&c).into_owned())
        .collect()
}

/// The cells of [`table_row`] as the resource has them. A resource of
/// another type (an `_include`) shows as `Type/id`.
fn summary_cells(rtype: &str, v: &Value) -> Vec<String> {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let own = v.get("resourceType").and_then(Value::as_str) == Some(rtype);
    let id = if own {
        s("/id")
    } else {
        format!("{}/{}", s("/resourceType"), s("/id"))
    };
    let updated = s("/meta/lastUpdated");
    if !own {
        let mut row = vec![id];
        row.resize(table_headers(rtype).len() - 1, String::new());
        row.push(updated);
        return row;
    }
    match rtype {
        "Patient" | "Practitioner" | "RelatedPerson" | "Person" => {
            vec![id, human_name(v), s("/gender"), s("/birthDate")]
        }
        "Observation" => vec![
            id,
            concept(v.get("code")),
            obs_value(v),
            first(&[
                s("/effectiveDateTime"),
                s("/effectivePeriod/start"),
                s("/effectiveInstant"),
                s("/issued"),
            ]),
        ],
        "Condition" => vec![
            id,
            concept(v.get("code")),
            concept(v.get("clinicalStatus")),
            first(&[
                s("/onsetDateTime"),
                s("/onsetPeriod/start"),
                s("/recordedDate"),
            ]),
        ],
        "Encounter" => vec![
            id,
            s("/status"),
            first(&[
                s("/class/display"),
                s("/class/code"),
                concept(v.pointer("/class/0")),
            ]),
            s("/period/start"),
        ],
        _ => vec![id, updated],
    }
}

fn first(options: &[String]) -> String {
    options
        .iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_default()
}

fn human_name(v: &Value) -> String {
    let Some(n) = v.pointer("/name/0") else {
        return String::new();
    };
    if let Some(t) = n.get("text").and_then(Value::as_str) {
        return t.to_owned();
    }
    let mut parts: Vec<&str> = n
        .get("given")
        .and_then(Value::as_array)
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(f) = n.get("family").and_then(Value::as_str) {
        parts.push(f);
    }
    parts.join(" ")
}

/// CodeableConcept → its text, else the first coding's display or code.
fn concept(c: Option<&Value>) -> String {
    let Some(c) = c else { return String::new() };
    let s = |p: &str| c.pointer(p).and_then(Value::as_str).map(str::to_owned);
    s("/text")
        .or_else(|| s("/coding/0/display"))
        .or_else(|| s("/coding/0/code"))
        .unwrap_or_default()
}

/// `148 mmHg`: a number and its unit (`unit`, else the UCUM `code`), a
/// space between, as SI writes them; `%` stays attached (`98%`), as it is
/// read and written.
fn quantity(q: &Value) -> String {
    let n = q.get("value").map(|n| n.to_string()).unwrap_or_default();
    let unit = q
        .get("unit")
        .or_else(|| q.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match unit {
        "%" => format!("{n}%"),
        _ => format!("{n} {unit}").trim().to_owned(),
    }
}

fn obs_value(v: &Value) -> String {
    if let Some(q) = v.get("valueQuantity") {
        return quantity(q);
    }
    if let Some(c) = v.get("valueCodeableConcept") {
        return concept(Some(c));
    }
    for k in [
        "valueString",
        "valueDateTime",
        "valueBoolean",
        "valueInteger",
    ] {
        match v.get(k) {
            Some(Value::String(s)) => return s.clone(),
            Some(other) => return other.to_string(),
            None => {}
        }
    }
    if let Some(parts) = v.get("component").and_then(Value::as_array) {
        let shown: Vec<String> = parts
            .iter()
            .map(|c| c.get("valueQuantity").map(quantity).unwrap_or_default())
            .collect();
        return shown.join(" / ");
    }
    String::new()
}

/// Cells padded to their widths (the last one not padded), overlong ones cut.
pub(super) fn cells(row: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, (c, w)) in row.iter().zip(widths).enumerate() {
        let n = c.chars().count();
        let shown: String = if n > *w {
            c.chars().take(w.saturating_sub(1)).chain(['…']).collect()
        } else {
            c.clone()
        };
        if i + 1 == row.len().min(widths.len()) {
            line.push_str(&shown);
        } else {
            line.push_str(&shown);
            line.extend(std::iter::repeat_n(' ', w - shown.chars().count() + 2));
        }
    }
    line.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_quantity_has_a_space_before_its_unit_but_percent_stays_attached() {
        let bp = json!({"component": [
            {"valueQuantity": {"value": 148, "unit": "mmHg"}},
            {"valueQuantity": {"value": 95, "code": "mm[Hg]"}}]});
        assert_eq!(obs_value(&bp), "148 mmHg / 95 mm[Hg]");
        let spo2 = json!({"valueQuantity": {"value": 98, "unit": "%"}});
        assert_eq!(obs_value(&spo2), "98%");
        let bare = json!({"valueQuantity": {"value": 1.5}});
        assert_eq!(obs_value(&bare), "1.5");
    }
}
