//! FHIR search: parsing parameters, matching, sorting and running a query.
//!
//! Semantics follow the FHIR R4 search page: a comma is OR within one
//! parameter, a repeated parameter is AND; strings match case-insensitively
//! by prefix (`:exact`, `:contains`); tokens take `system|code`, `|code`,
//! `system|` or `code` (`:not` negates); dates compare as ranges with the
//! prefixes `eq ne lt gt le ge sa eb ap` (`ap` = overlaps). Unknown
//! parameters are a 400 unless the client sent `Prefer: handling=lenient`.

use std::cmp::Ordering;

use super::dates::{self, DateRange};
use super::facts::{self, Facts};
use super::store::{Key, Overlay, Store};
use super::types::{Param, ParamKind, RType, RefField};

pub(crate) const DEFAULT_COUNT: usize = 50;
pub(crate) const MAX_COUNT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prefix {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Sa,
    Eb,
    Ap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modifier {
    None,
    Exact,
    Contains,
    Not,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FValue {
    /// Lower-cased unless the modifier is `:exact`.
    Str(String),
    /// `system`: `None` = any, `Some("")` = none.
    Token {
        system: Option<String>,
        code: Option<String>,
    },
    Date(Prefix, DateRange),
    /// `Type/id`, or a bare id when the type is open.
    Ref(String),
    Id(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub(crate) param: &'static Param,
    pub(crate) modifier: Modifier,
    /// ORed.
    pub(crate) values: Vec<FValue>,
}

#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// ANDed.
    pub(crate) filters: Vec<Filter>,
    /// (parameter, descending)
    pub(crate) sort: Vec<(&'static Param, bool)>,
    pub(crate) count: usize,
    pub(crate) offset: usize,
    pub(crate) total: bool,
    pub(crate) summary_count: bool,
    /// The parameters that shape the result set, as received, for links.
    pub(crate) link_params: Vec<(String, String)>,
}

impl Query {
    /// A stable key for the matched set (not the page).
    pub(crate) fn cache_key(&self, rtype: RType, compartment: Option<&str>) -> String {
        let mut parts: Vec<String> = self
            .link_params
            .iter()
            .filter(|(k, _)| k != "_count" && k != "_total" && k != "_summary")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        // `_sort` order matters, filter order does not.
        parts.sort();
        format!("{rtype}|{}|{}", compartment.unwrap_or(""), parts.join("&"))
    }
}

/// Splits `2020`, `ge2020-01`, … into prefix and date.
pub(crate) fn parse_date_value(s: &str) -> Result<(Prefix, DateRange), String> {
    let (prefix, rest) = match s.get(..2) {
        Some(p) if p.bytes().all(|b| b.is_ascii_lowercase()) => {
            let prefix = match p {
                "eq" => Prefix::Eq,
                "ne" => Prefix::Ne,
                "lt" => Prefix::Lt,
                "gt" => Prefix::Gt,
                "le" => Prefix::Le,
                "ge" => Prefix::Ge,
                "sa" => Prefix::Sa,
                "eb" => Prefix::Eb,
                "ap" => Prefix::Ap,
                _ => return Err(format!("unknown date prefix `{p}` in `{s}`")),
            };
            (prefix, &s[2..])
        }
        _ => (Prefix::Eq, s),
    };
    let range = dates::parse(rest).ok_or_else(|| format!("invalid date `{s}`"))?;
    Ok((prefix, range))
}

/// Does a resource's date range `r` satisfy `prefix` `p`?
pub(crate) fn date_matches(prefix: Prefix, r: DateRange, p: DateRange) -> bool {
    match prefix {
        Prefix::Eq => r.start >= p.start && r.end <= p.end,
        Prefix::Ne => !(r.start >= p.start && r.end <= p.end),
        Prefix::Lt => r.start < p.start,
        Prefix::Gt => r.end > p.end,
        Prefix::Le => r.start < p.end,
        Prefix::Ge => r.end > p.start,
        Prefix::Sa => r.start >= p.end,
        Prefix::Eb => r.end <= p.start,
        Prefix::Ap => r.start < p.end && r.end > p.start,
    }
}

fn parse_token(v: &str) -> FValue {
    match v.split_once('|') {
        Some((sys, code)) => FValue::Token {
            system: Some(sys.to_string()),
            code: (!code.is_empty()).then(|| code.to_string()),
        },
        None => FValue::Token {
            system: None,
            code: Some(v.to_string()),
        },
    }
}

/// Splits on commas not escaped with `\`.
fn split_or(v: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => out.last_mut().expect("non-empty").push(n),
                None => out.last_mut().expect("non-empty").push('\\'),
            },
            ',' => out.push(String::new()),
            c => out.last_mut().expect("non-empty").push(c),
        }
    }
    out
}

/// Parses decoded `(name, value)` pairs. `lenient` drops unknown
/// parameters instead of failing.
pub(crate) fn parse(
    rtype: RType,
    pairs: &[(String, String)],
    lenient: bool,
) -> Result<Query, String> {
    let mut q = Query {
        filters: Vec::new(),
        sort: Vec::new(),
        count: DEFAULT_COUNT,
        offset: 0,
        total: true,
        summary_count: false,
        link_params: Vec::new(),
    };
    for (name, value) in pairs {
        match name.as_str() {
            "_count" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| format!("_count must be a non-negative integer, not `{value}`"))?;
                q.count = n.min(MAX_COUNT);
                continue;
            }
            "_offset" => {
                q.offset = value.parse().map_err(|_| {
                    format!("_offset must be a non-negative integer, not `{value}`")
                })?;
                continue;
            }
            "_total" => match value.as_str() {
                "none" => q.total = false,
                "estimate" | "accurate" => q.total = true,
                _ => {
                    return Err(format!(
                        "_total must be none, estimate or accurate, not `{value}`"
                    ));
                }
            },
            "_summary" => match value.as_str() {
                "count" => q.summary_count = true,
                "false" => {}
                _ if lenient => continue,
                _ => {
                    return Err(format!(
                        "_summary={value} is not supported (only count and false)"
                    ));
                }
            },
            "_format" => match value.as_str() {
                "json" | "application/json" | "application/fhir+json" => continue,
                _ => {
                    return Err(format!(
                        "_format={value} is not supported; this server speaks JSON"
                    ));
                }
            },
            "_pretty" => continue,
            "_sort" => {
                for part in value.split(',').filter(|p| !p.is_empty()) {
                    let (desc, pname) = match part.strip_prefix('-') {
                        Some(p) => (true, p),
                        None => (false, part),
                    };
                    match rtype.param(pname) {
                        Some(p) => q.sort.push((p, desc)),
                        None if lenient => {}
                        None => return Err(format!("cannot sort {rtype} by `{pname}`")),
                    }
                }
            }
            _ => {
                let (pname, modifier) = match name.split_once(':') {
                    Some((p, m)) => (p, Some(m)),
                    None => (name.as_str(), None),
                };
                let Some(param) = rtype.param(pname) else {
                    if lenient {
                        continue;
                    }
                    return Err(format!("unknown search parameter `{pname}` for {rtype}"));
                };
                let modifier = match (modifier, param.kind) {
                    (None, _) => Modifier::None,
                    (Some("exact"), ParamKind::Str(_)) => Modifier::Exact,
                    (Some("contains"), ParamKind::Str(_)) => Modifier::Contains,
                    (Some("not"), ParamKind::Token(_) | ParamKind::Id) => Modifier::Not,
                    (Some(m), _) => {
                        return Err(format!("modifier `:{m}` is not supported on `{pname}`"));
                    }
                };
                let mut values = Vec::new();
                for v in split_or(value) {
                    if v.is_empty() {
                        return Err(format!("empty value for `{name}`"));
                    }
                    values.push(match param.kind {
                        ParamKind::Id => FValue::Id(v),
                        ParamKind::Str(_) if modifier == Modifier::Exact => FValue::Str(v),
                        ParamKind::Str(_) => FValue::Str(v.to_lowercase()),
                        ParamKind::Token(_) => parse_token(&v),
                        ParamKind::Date(_) | ParamKind::LastUpdated => {
                            let (p, r) = parse_date_value(&v)?;
                            FValue::Date(p, r)
                        }
                        ParamKind::Ref(_, target) => {
                            let r = facts::normalize_ref(&v).to_string();
                            match (target, r.split_once('/')) {
                                (Some(t), None) => FValue::Ref(format!("{t}/{r}")),
                                (Some(t), Some((ty, _))) if ty != t => {
                                    return Err(format!(
                                        "`{pname}` must reference a {t}, not `{v}`"
                                    ));
                                }
                                _ => FValue::Ref(r),
                            }
                        }
                    });
                }
                q.filters.push(Filter {
                    param,
                    modifier,
                    values,
                });
            }
        }
        q.link_params.push((name.clone(), value.clone()));
    }
    Ok(q)
}

fn str_matches(modifier: Modifier, have: &str, want: &str) -> bool {
    match modifier {
        Modifier::Exact => have == want,
        Modifier::Contains => have.to_lowercase().contains(want),
        _ => {
            // Prefix match without allocating for the common ASCII case.
            have.len() >= want.len()
                && have.is_char_boundary(want.len())
                && have[..want.len()].to_lowercase() == want
        }
    }
}

fn value_matches(f: &Facts, filter: &Filter, v: &FValue) -> bool {
    match (filter.param.kind, v) {
        (ParamKind::Id, FValue::Id(id)) => f.id == id.as_str(),
        (ParamKind::Str(fields), FValue::Str(want)) => f
            .strings
            .iter()
            .any(|(field, s)| fields.contains(field) && str_matches(filter.modifier, s, want)),
        (ParamKind::Token(field), FValue::Token { system, code }) => f.tokens.iter().any(|t| {
            t.field == field
                && match system.as_deref() {
                    None => true,
                    Some("") => t.system.is_none(),
                    Some(s) => t.system.as_deref() == Some(s),
                }
                && code.as_deref().is_none_or(|c| t.code == c)
        }),
        (ParamKind::Date(field), FValue::Date(prefix, p)) => f
            .dates
            .iter()
            .any(|(df, r)| *df == field && date_matches(*prefix, *r, *p)),
        (ParamKind::LastUpdated, FValue::Date(prefix, p)) => {
            date_matches(*prefix, DateRange::instant(f.last_updated), *p)
        }
        (ParamKind::Ref(field, _), FValue::Ref(want)) => f.refs.iter().any(|(rf, r)| {
            *rf == field
                && if want.contains('/') {
                    r == want
                } else {
                    r.rsplit('/').next() == Some(want.as_str())
                }
        }),
        _ => false,
    }
}

pub(crate) fn matches(f: &Facts, filter: &Filter) -> bool {
    let any = filter.values.iter().any(|v| value_matches(f, filter, v));
    if filter.modifier == Modifier::Not {
        !any
    } else {
        any
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortVal {
    Int(i64),
    Str(String),
}

fn sort_value(f: &Facts, p: &Param, desc: bool) -> Option<SortVal> {
    match p.kind {
        ParamKind::Id => Some(SortVal::Str(f.id.to_string())),
        ParamKind::LastUpdated => Some(SortVal::Int(f.last_updated)),
        ParamKind::Str(fields) => {
            // Family before given before text, as people expect for `name`.
            fields.iter().find_map(|field| {
                f.strings
                    .iter()
                    .find(|(sf, _)| sf == field)
                    .map(|(_, s)| SortVal::Str(s.to_lowercase()))
            })
        }
        ParamKind::Token(field) => f
            .tokens
            .iter()
            .find(|t| t.field == field)
            .map(|t| SortVal::Str(t.code.to_string())),
        ParamKind::Date(field) => {
            let mut ds = f
                .dates
                .iter()
                .filter(|(df, _)| *df == field)
                .map(|(_, r)| *r);
            // Ascending sorts on the earliest start, descending on the latest end.
            if desc {
                ds.map(|r| r.end).max().map(SortVal::Int)
            } else {
                ds.next().map(|r| SortVal::Int(r.start))
            }
        }
        ParamKind::Ref(field, _) => f
            .refs
            .iter()
            .find(|(rf, _)| *rf == field)
            .map(|(_, r)| SortVal::Str(r.to_string())),
    }
}

/// Narrows candidates: explicit `_id`s, else one patient's resources.
enum Narrow {
    Keys(Vec<Key>),
    Patients(Vec<u32>),
    All,
}

fn narrow(
    store: &Store,
    ov: &Overlay,
    rtype: RType,
    q: &Query,
    compartment: Option<&str>,
) -> Narrow {
    let synth_patient = |r: &str| -> Option<u32> {
        let id = r.strip_prefix("Patient/").unwrap_or(r);
        match store.synth.parse_id(RType::Patient, id) {
            Some(super::generate::SynId::Patient(p)) => Some(p),
            _ => None,
        }
    };
    if let Some(f) = q
        .filters
        .iter()
        .find(|f| f.param.kind == ParamKind::Id && f.modifier == Modifier::None)
    {
        let mut keys = Vec::new();
        for v in &f.values {
            if let FValue::Id(id) = v {
                if let Some(s) = store.synth.parse_id(rtype, id) {
                    keys.push(Key::Syn(s));
                }
                keys.extend(store.ext_key(ov, rtype, id));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        return Narrow::Keys(keys);
    }
    if let Some(p) = compartment {
        return Narrow::Patients(synth_patient(p).into_iter().collect());
    }
    if let Some(f) = q.filters.iter().find(|f| {
        matches!(f.param.kind, ParamKind::Ref(RefField::Subject, _)) && f.modifier == Modifier::None
    }) {
        return Narrow::Patients(
            f.values
                .iter()
                .filter_map(|v| match v {
                    FValue::Ref(r) => synth_patient(r),
                    _ => None,
                })
                .collect(),
        );
    }
    Narrow::All
}

/// Runs a query: the keys of all matches, in result order.
pub(crate) fn execute(
    store: &Store,
    ov: &Overlay,
    rtype: RType,
    q: &Query,
    compartment: Option<&str>,
) -> Vec<Key> {
    let mut candidates = match narrow(store, ov, rtype, q, compartment) {
        Narrow::Keys(k) => k,
        Narrow::Patients(ps) => store.candidates(ov, rtype, Some(&ps)),
        Narrow::All => store.candidates(ov, rtype, None),
    };
    let plain = q.filters.is_empty() && q.sort.is_empty() && compartment.is_none();
    if plain {
        candidates.retain(|k| store.resolve(ov, rtype, *k).is_some());
        return candidates;
    }
    let mut hits: Vec<(Vec<Option<SortVal>>, Key)> = Vec::new();
    for key in candidates {
        let Some(version) = store.resolve(ov, rtype, key) else {
            continue;
        };
        let Some(f) = store.facts(rtype, &version) else {
            continue;
        };
        if compartment.is_some_and(|p| !f.in_compartment(rtype, p)) {
            continue;
        }
        if !q.filters.iter().all(|flt| matches(&f, flt)) {
            continue;
        }
        let sv = q.sort.iter().map(|(p, d)| sort_value(&f, p, *d)).collect();
        hits.push((sv, key));
    }
    if !q.sort.is_empty() {
        // Stable: ties keep canonical order, so paging is deterministic.
        hits.sort_by(|(a, _), (b, _)| {
            for ((x, y), (_, desc)) in a.iter().zip(b).zip(&q.sort) {
                let o = match (x, y) {
                    (Some(x), Some(y)) if *desc => y.cmp(x),
                    (Some(x), Some(y)) => x.cmp(y),
                    // Resources without a value go last either way.
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
    hits.into_iter().map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(s.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn date_prefixes() {
        let (p, r) = parse_date_value("ge2020-01").unwrap();
        assert_eq!(p, Prefix::Ge);
        assert_eq!(r, dates::parse("2020-01").unwrap());
        assert_eq!(parse_date_value("2020").unwrap().0, Prefix::Eq);
        assert!(parse_date_value("xx2020").is_err());
        assert!(parse_date_value("ge20").is_err());

        let day = |s| dates::parse(s).unwrap();
        let jan1 = day("2000-01-01");
        assert!(date_matches(Prefix::Eq, jan1, day("2000")));
        assert!(date_matches(Prefix::Eq, jan1, day("2000-01")));
        assert!(!date_matches(Prefix::Eq, jan1, day("2000-01-02")));
        assert!(date_matches(Prefix::Ne, jan1, day("2000-01-02")));
        assert!(date_matches(Prefix::Ge, jan1, day("2000-01-01")));
        assert!(!date_matches(Prefix::Gt, jan1, day("2000-01-01")));
        assert!(date_matches(Prefix::Le, jan1, day("2000-01-01")));
        assert!(!date_matches(Prefix::Lt, jan1, day("2000-01-01")));
        assert!(date_matches(Prefix::Lt, jan1, day("2000-01-02")));
        assert!(date_matches(Prefix::Gt, jan1, day("1999")));
        assert!(date_matches(Prefix::Sa, jan1, day("1999-12-31")));
        assert!(date_matches(Prefix::Eb, jan1, day("2000-01-02")));
        assert!(date_matches(Prefix::Ap, jan1, day("2000")));
    }

    #[test]
    fn parameters() {
        let q = parse(
            RType::Patient,
            &pairs("family:exact=Smith&given=jo,ma&gender=female&_count=5000&_sort=-birthdate,_id"),
            false,
        )
        .unwrap();
        assert_eq!(q.count, MAX_COUNT);
        assert_eq!(q.filters.len(), 3);
        assert_eq!(q.filters[0].modifier, Modifier::Exact);
        assert_eq!(q.filters[0].values, vec![FValue::Str("Smith".into())]);
        assert_eq!(
            q.filters[1].values,
            vec![FValue::Str("jo".into()), FValue::Str("ma".into())]
        );
        assert_eq!(q.sort.len(), 2);
        assert!(q.sort[0].1);

        let q = parse(
            RType::Observation,
            &pairs("code=http://loinc.org|8867-4&subject=123"),
            false,
        )
        .unwrap();
        assert_eq!(
            q.filters[0].values[0],
            FValue::Token {
                system: Some("http://loinc.org".into()),
                code: Some("8867-4".into())
            }
        );
        assert_eq!(q.filters[1].values[0], FValue::Ref("123".into()));
        let q = parse(RType::Observation, &pairs("patient=123"), false).unwrap();
        assert_eq!(q.filters[0].values[0], FValue::Ref("Patient/123".into()));

        assert!(parse(RType::Patient, &pairs("nope=1"), false).is_err());
        assert!(parse(RType::Patient, &pairs("nope=1"), true).is_ok());
        assert!(parse(RType::Patient, &pairs("gender:exact=male"), false).is_err());
        assert!(parse(RType::Patient, &pairs("_count=-1"), false).is_err());
        assert!(parse(RType::Patient, &pairs("birthdate=2020-13"), false).is_err());
        assert!(parse(RType::Observation, &pairs("patient=Group/1"), false).is_err());
        assert!(parse(RType::Patient, &pairs("_sort=colour"), false).is_err());
    }

    #[test]
    fn escaped_commas() {
        assert_eq!(
            split_or(r"a\,b,c"),
            vec!["a,b".to_string(), "c".to_string()]
        );
    }
}
