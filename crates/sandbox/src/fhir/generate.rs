//! Deterministic synthetic FHIR R4 data.
//!
//! Only a compact record per patient is kept in memory (a few bytes); every
//! Practitioner, Encounter, Observation and Condition — and the patient's own
//! address, phone and MRN — is recomputed from `(seed, patient index)` when it
//! is needed. That keeps 100k patients (and their ~2M observations) within a
//! few MB and start-up in milliseconds, and makes the data a pure function of
//! the seed.
//!
//! Ids encode where a resource comes from, so a read needs no index:
//! `Patient/p000042`, `Encounter/e000042-2`, `Observation/o000042-2-5`
//! (encounter 2, vital sign 5), `Condition/c000042-1`, `Practitioner/pr0007`.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::dates::{self, DateRange, MS_PER_DAY};
use super::facts::{Facts, GENDER_SYSTEM};
use super::json;
use super::names::*;
use super::types::{DateField, RType, RefField, StrField, TokField};

pub const MRN_SYSTEM: &str = "http://sandbox.smart.example.org/fhir/sid/mrn";
pub(crate) const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
pub(crate) const LOINC: &str = "http://loinc.org";
pub(crate) const SNOMED: &str = "http://snomed.info/sct";
pub(crate) const UCUM: &str = "http://unitsofmeasure.org";
pub(crate) const OBS_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
pub(crate) const COND_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
pub(crate) const COND_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub(crate) const COND_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
pub(crate) const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
pub(crate) const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// 2025-01-01: "today" for the synthetic world, so data does not depend on
/// the day it is generated.
pub(crate) const REF_DAY: i64 = 20_089;
/// `meta.lastUpdated` of every synthetic resource.
pub(crate) const SYNTHETIC_LAST_UPDATED: i64 = REF_DAY * MS_PER_DAY;
const FIRST_ENCOUNTER_DAY: i64 = 18_262; // 2020-01-01

/// A synthetic resource, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum SynId {
    Patient(u32),
    Practitioner(u32),
    /// (patient, encounter)
    Encounter(u32, u8),
    /// (patient, encounter, vital sign)
    Observation(u32, u8, u8),
    /// (patient, condition)
    Condition(u32, u8),
}

impl SynId {
    pub(crate) fn rtype(self) -> RType {
        match self {
            SynId::Patient(_) => RType::Patient,
            SynId::Practitioner(_) => RType::Practitioner,
            SynId::Encounter(..) => RType::Encounter,
            SynId::Observation(..) => RType::Observation,
            SynId::Condition(..) => RType::Condition,
        }
    }

    pub(crate) fn write_id(self, out: &mut String) {
        let _ = match self {
            SynId::Patient(p) => write!(out, "p{:06}", p + 1),
            SynId::Practitioner(q) => write!(out, "pr{:04}", q + 1),
            SynId::Encounter(p, e) => write!(out, "e{:06}-{}", p + 1, e + 1),
            SynId::Observation(p, e, k) => write!(out, "o{:06}-{}-{}", p + 1, e + 1, k + 1),
            SynId::Condition(p, c) => write!(out, "c{:06}-{}", p + 1, c + 1),
        };
    }

    pub(crate) fn id(self) -> String {
        let mut s = String::with_capacity(16);
        self.write_id(&mut s);
        s
    }
}

/// Per-patient facts drawn once at start-up; ~12 bytes each.
#[derive(Debug, Clone, Copy)]
struct PatientRec {
    birth: i32,
    gp: u16,
    given: u8,
    /// `u8::MAX` = no middle name.
    middle: u8,
    family: u8,
    gender: u8,
    n_enc: u8,
    n_cond: u8,
}

const GENDERS: [&str; 4] = ["female", "male", "other", "unknown"];

/// SplitMix64 seeded from (seed, stream, index): independent, reproducible
/// streams per resource without storing any state.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.0 ^= r
            .next()
            .wrapping_add(index.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

const S_PATIENT: u64 = 1;
const S_PRACT: u64 = 2;
const S_ENC: u64 = 3;
const S_OBS: u64 = 4;
const S_COND: u64 = 5;
const S_BODY: u64 = 6;
const S_CONTACT: u64 = 7;

pub(crate) struct Synth {
    seed: u64,
    recs: Vec<PatientRec>,
    n_prac: u32,
}

impl Synth {
    pub(crate) fn new(seed: u64, patients: usize) -> anyhow::Result<Synth> {
        anyhow::ensure!(
            patients <= 999_999,
            "--patients must be at most 999999 (ids are six digits)"
        );
        let n_prac = (patients / 20).clamp(3, 9999) as u32;
        let recs = (0..patients as u64)
            .map(|i| {
                let mut r = Rng::new(seed, S_PATIENT, i);
                let g = r.below(100);
                let gender = match g {
                    0..49 => 0,
                    49..98 => 1,
                    98 => 2,
                    _ => 3,
                };
                let female = gender == 0 || (gender >= 2 && r.below(2) == 0);
                let list = if female { GIVEN_FEMALE } else { GIVEN_MALE };
                let given = r.below(list.len() as u64) as u8;
                let middle = if r.below(10) < 7 {
                    r.below(list.len() as u64) as u8
                } else {
                    u8::MAX
                };
                let family = r.below(FAMILY.len() as u64) as u8;
                // 18% children (1–17), the rest adults up to 95.
                let age_days = if r.below(100) < 18 {
                    365 + r.below(17 * 365)
                } else {
                    18 * 365 + r.below(77 * 365)
                };
                let birth = (REF_DAY - age_days as i64) as i32;
                PatientRec {
                    birth,
                    gp: r.below(n_prac as u64) as u16,
                    given: given | if female { 0x80 } else { 0 },
                    middle,
                    family,
                    gender,
                    n_enc: 1 + r.below(4) as u8,
                    n_cond: r.below(4) as u8,
                }
            })
            .collect();
        Ok(Synth { seed, recs, n_prac })
    }

    pub(crate) fn patient_count(&self) -> u32 {
        self.recs.len() as u32
    }

    /// Parses an id of our own scheme, and only if it names an existing
    /// resource; the canonical spelling is required so that one resource has
    /// exactly one id.
    pub(crate) fn parse_id(&self, rtype: RType, id: &str) -> Option<SynId> {
        let num = |s: &str, width: usize| -> Option<u32> {
            (s.len() == width && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
                .filter(|n| *n >= 1)
                .map(|n| n - 1)
        };
        let small = |s: &str| -> Option<u8> {
            (!s.starts_with('0') && s.len() <= 2)
                .then(|| s.parse::<u8>().ok())
                .flatten()
                .filter(|n| *n >= 1)
                .map(|n| n - 1)
        };
        let syn = match rtype {
            RType::Patient => SynId::Patient(num(id.strip_prefix('p')?, 6)?),
            RType::Practitioner => SynId::Practitioner(num(id.strip_prefix("pr")?, 4)?),
            RType::Encounter => {
                let (p, e) = id.strip_prefix('e')?.split_once('-')?;
                SynId::Encounter(num(p, 6)?, small(e)?)
            }
            RType::Observation => {
                let mut parts = id.strip_prefix('o')?.splitn(3, '-');
                let p = num(parts.next()?, 6)?;
                let e = small(parts.next()?)?;
                let k = small(parts.next()?)?;
                SynId::Observation(p, e, k)
            }
            RType::Condition => {
                let (p, c) = id.strip_prefix('c')?.split_once('-')?;
                SynId::Condition(num(p, 6)?, small(c)?)
            }
        };
        self.exists(syn).then_some(syn)
    }

    fn exists(&self, id: SynId) -> bool {
        let rec = |p: u32| self.recs.get(p as usize);
        match id {
            SynId::Patient(p) => rec(p).is_some(),
            SynId::Practitioner(q) => q < self.n_prac,
            SynId::Encounter(p, e) => rec(p).is_some_and(|r| e < r.n_enc),
            SynId::Observation(p, e, k) => {
                rec(p).is_some_and(|r| e < r.n_enc) && (k as usize) < VITALS.len()
            }
            SynId::Condition(p, c) => rec(p).is_some_and(|r| c < r.n_cond),
        }
    }

    /// Every synthetic resource of a type, in id order, optionally only
    /// those of some patients.
    pub(crate) fn enumerate(&self, rtype: RType, patients: Option<&[u32]>, out: &mut Vec<SynId>) {
        if rtype == RType::Practitioner {
            if patients.is_none() {
                out.extend((0..self.n_prac).map(SynId::Practitioner));
            }
            return;
        }
        let mut one = |p: u32| {
            let Some(r) = self.recs.get(p as usize) else {
                return;
            };
            match rtype {
                RType::Patient => out.push(SynId::Patient(p)),
                RType::Encounter => out.extend((0..r.n_enc).map(|e| SynId::Encounter(p, e))),
                RType::Observation => {
                    for e in 0..r.n_enc {
                        out.extend((0..VITALS.len() as u8).map(|k| SynId::Observation(p, e, k)));
                    }
                }
                RType::Condition => out.extend((0..r.n_cond).map(|c| SynId::Condition(p, c))),
                RType::Practitioner => {}
            }
        };
        match patients {
            Some(ps) => ps.iter().copied().for_each(&mut one),
            None => (0..self.patient_count()).for_each(one),
        }
    }

    /// How many synthetic resources of `rtype` belong to patient `p` (none
    /// for Practitioners, which belong to no patient): what [`enumerate`]
    /// would list, without listing it.
    ///
    /// [`enumerate`]: Synth::enumerate
    pub(crate) fn count_of(&self, rtype: RType, p: u32) -> usize {
        let Some(r) = self.recs.get(p as usize) else {
            return 0;
        };
        match rtype {
            RType::Patient => 1,
            RType::Practitioner => 0,
            RType::Encounter => r.n_enc as usize,
            RType::Observation => r.n_enc as usize * VITALS.len(),
            RType::Condition => r.n_cond as usize,
        }
    }

    pub(crate) fn practitioner_count(&self) -> u32 {
        self.n_prac
    }

    // ---- derived values -------------------------------------------------

    fn given(&self, r: &PatientRec, idx: u8) -> &'static str {
        let list = if r.given & 0x80 != 0 {
            GIVEN_FEMALE
        } else {
            GIVEN_MALE
        };
        list[idx as usize % list.len()]
    }

    fn rec(&self, p: u32) -> &PatientRec {
        &self.recs[p as usize]
    }

    /// Given names (first, optional middle) and family name.
    fn patient_names(&self, p: u32) -> ([Option<&'static str>; 2], &'static str) {
        let r = self.rec(p);
        let middle = (r.middle != u8::MAX).then(|| self.given(r, r.middle));
        (
            [Some(self.given(r, r.given & 0x7f)), middle],
            FAMILY[r.family as usize % FAMILY.len()],
        )
    }

    /// "Given Middle Family".
    pub(crate) fn patient_display(&self, p: u32) -> String {
        let (given, family) = self.patient_names(p);
        let mut s = String::new();
        for g in given.into_iter().flatten() {
            s.push_str(g);
            s.push(' ');
        }
        s.push_str(family);
        s
    }

    fn mrn(&self, p: u32) -> u32 {
        // A bijection on 0..10^8, so MRNs never collide.
        ((p as u64 * 7_919 + (self.seed % 50_000_000) + 10_000_000) % 100_000_000) as u32
    }

    fn practitioner(&self, q: u32) -> (&'static str, &'static str, &'static str, u64) {
        let mut r = Rng::new(self.seed, S_PRACT, q as u64);
        let female = r.below(2) == 0;
        let list = if female { GIVEN_FEMALE } else { GIVEN_MALE };
        let given = list[r.below(list.len() as u64) as usize];
        let family = FAMILY[r.below(FAMILY.len() as u64) as usize];
        let npi = 1_000_000_000 + (q as u64 * 104_729 + self.seed % 1000) % 900_000_000;
        (given, family, if female { "female" } else { "male" }, npi)
    }

    /// Start and end of an encounter (ms) and its type index. Encounters are
    /// spread over 2020–2024 in order, never before birth.
    fn encounter(&self, p: u32, e: u8) -> (i64, i64, usize) {
        let rec = self.rec(p);
        let base = FIRST_ENCOUNTER_DAY.max(rec.birth as i64 + 1);
        let span = (REF_DAY - 2 - base).max(rec.n_enc as i64);
        let gap = (span / rec.n_enc as i64).max(1);
        let mut r = Rng::new(self.seed, S_ENC, (p as u64) << 8 | e as u64);
        let day = base + e as i64 * gap + r.below(gap as u64) as i64;
        let start = day * MS_PER_DAY + (8 * 60 + r.below(40) as i64 * 15) * 60_000;
        let w = r.below(100);
        let mut acc = 0;
        let ty = ENCOUNTER_TYPES
            .iter()
            .position(|t| {
                acc += t.4;
                w < acc
            })
            .unwrap_or(0);
        let minutes = match ENCOUNTER_TYPES[ty].2 {
            "EMER" => 180,
            "IMP" => 2 * 24 * 60,
            _ => 30,
        };
        (start, start + minutes * 60_000, ty)
    }

    /// (value, optional second value for blood pressure).
    fn vital_value(&self, p: u32, e: u8, k: u8, when: i64) -> (f64, f64) {
        let rec = self.rec(p);
        let mut body = Rng::new(self.seed, S_BODY, p as u64);
        let male = rec.given & 0x80 == 0;
        let adult_height = if male {
            body.range(165.0, 190.0)
        } else {
            body.range(152.0, 176.0)
        };
        let adult_bmi = body.range(19.0, 35.0);
        let age = (when / MS_PER_DAY - rec.birth as i64) as f64 / 365.25;
        let growth = (age / 18.0).clamp(0.0, 1.0);
        let height = 75.0 + (adult_height - 75.0) * growth.powf(0.8);
        let bmi = if age < 18.0 {
            15.5 + growth * 3.5
        } else {
            adult_bmi
        };
        let mut r = Rng::new(
            self.seed,
            S_OBS,
            (p as u64) << 16 | (e as u64) << 8 | k as u64,
        );
        let jitter = r.range(-0.02, 0.02);
        let weight = bmi * (height / 100.0).powi(2) * (1.0 + jitter);
        match k {
            0 => (r.range(55.0, 100.0).round(), 0.0),
            1 => (r.range(12.0, 20.0).round(), 0.0),
            2 => (
                if r.below(10) == 0 {
                    r.range(37.8, 39.5)
                } else {
                    r.range(36.1, 37.4)
                },
                0.0,
            ),
            3 => (r.range(94.0, 100.0).round(), 0.0),
            4 => (weight, 0.0),
            5 => (height, 0.0),
            6 => (weight / (height / 100.0).powi(2), 0.0),
            _ => {
                let sys = r.range(100.0, 160.0).round();
                (sys, (sys * r.range(0.58, 0.68)).round())
            }
        }
    }

    /// Condition: (table index, encounter, onset day, recorded ms).
    fn condition(&self, p: u32, c: u8) -> (usize, u8, i64, i64) {
        let rec = self.rec(p);
        let mut r = Rng::new(self.seed, S_COND, (p as u64) << 8 | c as u64);
        let ix = r.below(CONDITIONS.len() as u64) as usize;
        let e = c % rec.n_enc;
        let (recorded, _, _) = self.encounter(p, e);
        let rec_day = recorded / MS_PER_DAY;
        let max_back = if CONDITIONS[ix].3 {
            (rec_day - rec.birth as i64).clamp(1, 3650)
        } else {
            7
        };
        let onset = (rec_day - r.below(max_back as u64) as i64).max(rec.birth as i64);
        (ix, e, onset, recorded)
    }

    // ---- rendering --------------------------------------------------------

    /// Appends the resource's JSON.
    pub(crate) fn render(&self, id: SynId, out: &mut String) {
        out.push_str("{\"resourceType\":\"");
        out.push_str(id.rtype().name());
        out.push_str("\",\"id\":\"");
        id.write_id(out);
        out.push_str("\",\"meta\":{\"versionId\":\"1\",\"lastUpdated\":\"2025-01-01T00:00:00Z\"},");
        match id {
            SynId::Patient(p) => self.render_patient(p, out),
            SynId::Practitioner(q) => self.render_practitioner(q, out),
            SynId::Encounter(p, e) => self.render_encounter(p, e, out),
            SynId::Observation(p, e, k) => self.render_observation(p, e, k, out),
            SynId::Condition(p, c) => self.render_condition(p, c, out),
        }
        json::close(out, '}');
    }

    fn render_patient(&self, p: u32, out: &mut String) {
        let rec = *self.rec(p);
        let (given, family) = self.patient_names(p);
        let _ = write!(
            out,
            "\"identifier\":[{{\"use\":\"usual\",\"type\":{{\"coding\":[{{\"system\":\"{V2_0203}\",\"code\":\"MR\",\"display\":\"Medical record number\"}}],\"text\":\"MRN\"}},\"system\":\"{MRN_SYSTEM}\",\"value\":\"{:08}\"}}],\"active\":true,",
            self.mrn(p)
        );
        out.push_str("\"name\":[{\"use\":\"official\",");
        json::field(out, "text", &self.patient_display(p));
        json::field(out, "family", family);
        json::key(out, "given");
        out.push('[');
        for g in given.into_iter().flatten() {
            json::string(out, g);
            out.push(',');
        }
        json::close(out, ']');
        out.push_str("}],");
        let mut r = Rng::new(self.seed, S_CONTACT, p as u64);
        let (city, state, zip) = CITIES[r.below(CITIES.len() as u64) as usize];
        let _ = write!(
            out,
            "\"telecom\":[{{\"system\":\"phone\",\"value\":\"555-{:03}-{:04}\",\"use\":\"home\"}}],",
            200 + r.below(800),
            r.below(10_000)
        );
        json::field(out, "gender", GENDERS[rec.gender as usize]);
        json::field(out, "birthDate", &dates::format_date(rec.birth as i64));
        let _ = write!(
            out,
            "\"address\":[{{\"use\":\"home\",\"line\":[\"{} {}\"],\"city\":\"{city}\",\"state\":\"{state}\",\"postalCode\":\"{zip}{:02}\",\"country\":\"US\"}}],",
            1 + r.below(9_000),
            STREETS[r.below(STREETS.len() as u64) as usize],
            r.below(100)
        );
        let (pg, pf, _, _) = self.practitioner(rec.gp as u32);
        out.push_str("\"generalPractitioner\":[{\"reference\":\"Practitioner/");
        SynId::Practitioner(rec.gp as u32).write_id(out);
        let _ = write!(out, "\",\"display\":\"Dr. {pg} {pf}\"}}],");
    }

    fn render_practitioner(&self, q: u32, out: &mut String) {
        let (given, family, gender, npi) = self.practitioner(q);
        let _ = write!(
            out,
            "\"identifier\":[{{\"system\":\"{NPI_SYSTEM}\",\"value\":\"{npi}\"}}],\"active\":true,\"name\":[{{\"use\":\"official\",\"text\":\"Dr. {given} {family}\",\"family\":\"{family}\",\"given\":[\"{given}\"],\"prefix\":[\"Dr.\"]}}],\"telecom\":[{{\"system\":\"phone\",\"value\":\"555-010-{:04}\",\"use\":\"work\"}}],\"gender\":\"{gender}\",",
            q % 10_000
        );
    }

    fn subject(&self, p: u32, out: &mut String) {
        out.push_str("\"subject\":{\"reference\":\"Patient/");
        SynId::Patient(p).write_id(out);
        out.push_str("\",\"display\":");
        json::string(out, &self.patient_display(p));
        out.push_str("},");
    }

    fn encounter_ref(&self, p: u32, e: u8, out: &mut String) {
        out.push_str("\"encounter\":{\"reference\":\"Encounter/");
        SynId::Encounter(p, e).write_id(out);
        out.push_str("\"},");
    }

    fn render_encounter(&self, p: u32, e: u8, out: &mut String) {
        let (start, end, ty) = self.encounter(p, e);
        let (code, display, class, class_display, _) = ENCOUNTER_TYPES[ty];
        let _ = write!(
            out,
            "\"status\":\"finished\",\"class\":{{\"system\":\"{ACT_CODE}\",\"code\":\"{class}\",\"display\":\"{class_display}\"}},\"type\":[{{\"coding\":[{{\"system\":\"{SNOMED}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"{display}\"}}],"
        );
        self.subject(p, out);
        let gp = self.rec(p).gp as u32;
        let (pg, pf, _, _) = self.practitioner(gp);
        out.push_str("\"participant\":[{\"individual\":{\"reference\":\"Practitioner/");
        SynId::Practitioner(gp).write_id(out);
        let _ = write!(
            out,
            "\",\"display\":\"Dr. {pg} {pf}\"}}}}],\"period\":{{\"start\":\"{}\",\"end\":\"{}\"}},",
            dates::format_instant(start),
            dates::format_instant(end)
        );
    }

    fn observation_time(&self, p: u32, e: u8, k: u8) -> i64 {
        self.encounter(p, e).0 + (k as i64 + 1) * 120_000
    }

    fn render_observation(&self, p: u32, e: u8, k: u8, out: &mut String) {
        let v = &VITALS[k as usize];
        let when = self.observation_time(p, e, k);
        let (value, second) = self.vital_value(p, e, k, when);
        let _ = write!(
            out,
            "\"status\":\"final\",\"category\":[{{\"coding\":[{{\"system\":\"{OBS_CATEGORY}\",\"code\":\"vital-signs\",\"display\":\"Vital Signs\"}}],\"text\":\"Vital Signs\"}}],\"code\":{{\"coding\":[{{\"system\":\"{LOINC}\",\"code\":\"{}\",\"display\":\"{}\"}}],\"text\":\"{}\"}},",
            v.loinc, v.display, v.display
        );
        self.subject(p, out);
        self.encounter_ref(p, e, out);
        let ts = dates::format_instant(when);
        let _ = write!(out, "\"effectiveDateTime\":\"{ts}\",\"issued\":\"{ts}\",");
        let quantity = |out: &mut String, x: f64| {
            let _ = write!(
                out,
                "{{\"value\":{:.*},\"unit\":\"{}\",\"system\":\"{UCUM}\",\"code\":\"{}\"}}",
                v.decimals, x, v.unit, v.ucum
            );
        };
        if k as usize == BP_INDEX {
            out.push_str("\"component\":[");
            for (i, ((code, display), x)) in [(SYSTOLIC, value), (DIASTOLIC, second)]
                .into_iter()
                .enumerate()
            {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"code\":{{\"coding\":[{{\"system\":\"{LOINC}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"{display}\"}},\"valueQuantity\":"
                );
                quantity(out, x);
                out.push('}');
            }
            out.push_str("],");
        } else {
            out.push_str("\"valueQuantity\":");
            quantity(out, value);
            out.push(',');
        }
    }

    fn render_condition(&self, p: u32, c: u8, out: &mut String) {
        let (ix, e, onset, recorded) = self.condition(p, c);
        let (code, display, text, chronic) = CONDITIONS[ix];
        let (status, category, cat_display) = if chronic {
            ("active", "problem-list-item", "Problem List Item")
        } else {
            ("resolved", "encounter-diagnosis", "Encounter Diagnosis")
        };
        let _ = write!(
            out,
            "\"clinicalStatus\":{{\"coding\":[{{\"system\":\"{COND_CLINICAL}\",\"code\":\"{status}\"}}]}},\"verificationStatus\":{{\"coding\":[{{\"system\":\"{COND_VERIFICATION}\",\"code\":\"confirmed\"}}]}},\"category\":[{{\"coding\":[{{\"system\":\"{COND_CATEGORY}\",\"code\":\"{category}\",\"display\":\"{cat_display}\"}}]}}],\"code\":{{\"coding\":[{{\"system\":\"{SNOMED}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"{text}\"}},"
        );
        self.subject(p, out);
        self.encounter_ref(p, e, out);
        let _ = write!(
            out,
            "\"onsetDateTime\":\"{}\",\"recordedDate\":\"{}\",",
            dates::format_date(onset),
            dates::format_instant(recorded)
        );
        if !chronic {
            let _ = write!(
                out,
                "\"abatementDateTime\":\"{}\",",
                dates::format_date(onset + 14)
            );
        }
    }

    // ---- search facts -----------------------------------------------------

    pub(crate) fn facts(&self, id: SynId) -> Facts<'static> {
        let mut f = Facts {
            id: Cow::Owned(id.id()),
            last_updated: SYNTHETIC_LAST_UPDATED,
            ..Facts::default()
        };
        let patient_ref = |p: u32| Cow::Owned(format!("Patient/{}", SynId::Patient(p).id()));
        match id {
            SynId::Patient(p) => {
                let rec = *self.rec(p);
                let (given, family) = self.patient_names(p);
                f.strings.push((StrField::Family, Cow::Borrowed(family)));
                for g in given.into_iter().flatten() {
                    f.strings.push((StrField::Given, Cow::Borrowed(g)));
                }
                f.strings
                    .push((StrField::Text, Cow::Owned(self.patient_display(p))));
                f.token(
                    TokField::Gender,
                    Some(GENDER_SYSTEM),
                    GENDERS[rec.gender as usize],
                );
                f.token(
                    TokField::Identifier,
                    Some(MRN_SYSTEM),
                    format!("{:08}", self.mrn(p)),
                );
                f.dates
                    .push((DateField::Birth, DateRange::day(rec.birth as i64)));
                f.refs.push((
                    RefField::Practitioner,
                    Cow::Owned(format!(
                        "Practitioner/{}",
                        SynId::Practitioner(rec.gp as u32).id()
                    )),
                ));
            }
            SynId::Practitioner(q) => {
                let (given, family, gender, npi) = self.practitioner(q);
                f.strings.push((StrField::Family, Cow::Borrowed(family)));
                f.strings.push((StrField::Given, Cow::Borrowed(given)));
                f.strings
                    .push((StrField::Text, Cow::Owned(format!("Dr. {given} {family}"))));
                f.token(TokField::Gender, Some(GENDER_SYSTEM), gender);
                f.token(TokField::Identifier, Some(NPI_SYSTEM), npi.to_string());
            }
            SynId::Encounter(p, e) => {
                let (start, end, ty) = self.encounter(p, e);
                let t = ENCOUNTER_TYPES[ty];
                f.token(TokField::Status, None, "finished");
                f.token(TokField::Class, Some(ACT_CODE), t.2);
                f.token(TokField::Type, Some(SNOMED), t.0);
                // Same range a stored copy would give: the end is second-precise.
                f.dates.push((
                    DateField::Date,
                    DateRange {
                        start,
                        end: end + 1000,
                    },
                ));
                f.refs.push((RefField::Subject, patient_ref(p)));
                let gp = SynId::Practitioner(self.rec(p).gp as u32).id();
                f.refs.push((
                    RefField::Practitioner,
                    Cow::Owned(format!("Practitioner/{gp}")),
                ));
            }
            SynId::Observation(p, e, k) => {
                f.token(TokField::Status, None, "final");
                f.token(TokField::Category, Some(OBS_CATEGORY), "vital-signs");
                f.token(TokField::Code, Some(LOINC), VITALS[k as usize].loinc);
                f.dates.push((
                    DateField::Date,
                    DateRange::second(self.observation_time(p, e, k)),
                ));
                f.refs.push((RefField::Subject, patient_ref(p)));
                let enc = SynId::Encounter(p, e).id();
                f.refs
                    .push((RefField::Encounter, Cow::Owned(format!("Encounter/{enc}"))));
            }
            SynId::Condition(p, c) => {
                let (ix, e, onset, recorded) = self.condition(p, c);
                let (code, _, _, chronic) = CONDITIONS[ix];
                let (status, category) = if chronic {
                    ("active", "problem-list-item")
                } else {
                    ("resolved", "encounter-diagnosis")
                };
                f.token(TokField::ClinicalStatus, Some(COND_CLINICAL), status);
                f.token(TokField::Category, Some(COND_CATEGORY), category);
                f.token(TokField::Code, Some(SNOMED), code);
                f.dates.push((DateField::Onset, DateRange::day(onset)));
                f.dates
                    .push((DateField::Recorded, DateRange::second(recorded)));
                f.refs.push((RefField::Subject, patient_ref(p)));
                let enc = SynId::Encounter(p, e).id();
                f.refs
                    .push((RefField::Encounter, Cow::Owned(format!("Encounter/{enc}"))));
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_day() {
        assert_eq!(dates::days_from_civil(2025, 1, 1), REF_DAY);
        assert_eq!(dates::days_from_civil(2020, 1, 1), FIRST_ENCOUNTER_DAY);
    }

    #[test]
    fn ids_round_trip_and_render_valid_json() {
        let s = Synth::new(7, 50).unwrap();
        for t in RType::ALL {
            let mut ids = Vec::new();
            s.enumerate(t, None, &mut ids);
            assert!(!ids.is_empty(), "{t}");
            for id in ids {
                assert_eq!(s.parse_id(t, &id.id()), Some(id));
                let mut out = String::new();
                s.render(id, &mut out);
                let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| {
                    panic!("{out}: {e}");
                });
                assert_eq!(v["resourceType"], t.name());
                // Facts agree with what a stored copy would yield.
                let a = s.facts(id);
                let b = super::super::facts::from_json(t, &v, SYNTHETIC_LAST_UPDATED);
                assert_eq!(a.id, b.id);
                assert_eq!(a.tokens.len(), b.tokens.len(), "{out}");
                assert_eq!(a.dates, b.dates, "{out}");
                assert_eq!(a.refs, b.refs, "{out}");
            }
        }
        assert_eq!(s.parse_id(RType::Patient, "p000051"), None);
        assert_eq!(s.parse_id(RType::Patient, "p51"), None);
        assert_eq!(s.parse_id(RType::Observation, "o000001-01-1"), None);
    }
}
