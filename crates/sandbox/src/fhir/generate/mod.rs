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
//! (encounter 2, vital sign 5), `Condition/c000042-1`, `Practitioner/pr0007`;
//! per condition a `MedicationRequest/m000042-1`, per encounter a
//! `DiagnosticReport/r000042-2` (its vital signs as `result`) and a
//! `DocumentReference/d000042-2` (a note at `Binary/d000042-2`); and outside
//! every compartment `Medication/med0003`, `Organization/org0001`,
//! `Location/loc0001`, `PractitionerRole/prr0007` (one per practitioner).

//!
//! Three jobs, three files: this one is the synthetic world (what exists,
//! its ids and the values drawn from the seed); `render` writes a resource
//! as JSON; `search_facts` gives what search matches on.

use std::fmt::Write as _;

use super::dates::MS_PER_DAY;
use super::names::*;
use super::types::RType;

mod notes;
mod render;
mod search_facts;

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
pub(crate) const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub(crate) const US_CORE_DOC_CATEGORY: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category";
/// LOINC: the vital signs panel a DiagnosticReport reports.
pub(crate) const VITALS_PANEL: (&str, &str) = (
    "85353-1",
    "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel",
);

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
    /// (patient, condition it treats)
    MedicationRequest(u32, u8),
    /// (patient, encounter)
    DiagnosticReport(u32, u8),
    /// (patient, encounter)
    DocumentReference(u32, u8),
    /// Index in `MEDICATIONS` (the one for `CONDITIONS[i]`).
    Medication(u8),
    Organization(u32),
    /// One per organization, the same index.
    Location(u32),
    /// One per practitioner, the same index.
    PractitionerRole(u32),
}

impl SynId {
    pub(crate) fn rtype(self) -> RType {
        match self {
            SynId::Patient(_) => RType::Patient,
            SynId::Practitioner(_) => RType::Practitioner,
            SynId::Encounter(..) => RType::Encounter,
            SynId::Observation(..) => RType::Observation,
            SynId::Condition(..) => RType::Condition,
            SynId::MedicationRequest(..) => RType::MedicationRequest,
            SynId::DiagnosticReport(..) => RType::DiagnosticReport,
            SynId::DocumentReference(..) => RType::DocumentReference,
            SynId::Medication(_) => RType::Medication,
            SynId::Organization(_) => RType::Organization,
            SynId::Location(_) => RType::Location,
            SynId::PractitionerRole(_) => RType::PractitionerRole,
        }
    }

    pub(crate) fn write_id(self, out: &mut String) {
        let _ = match self {
            SynId::Patient(p) => write!(out, "p{:06}", p + 1),
            SynId::Practitioner(q) => write!(out, "pr{:04}", q + 1),
            SynId::Encounter(p, e) => write!(out, "e{:06}-{}", p + 1, e + 1),
            SynId::Observation(p, e, k) => write!(out, "o{:06}-{}-{}", p + 1, e + 1, k + 1),
            SynId::Condition(p, c) => write!(out, "c{:06}-{}", p + 1, c + 1),
            SynId::MedicationRequest(p, c) => write!(out, "m{:06}-{}", p + 1, c + 1),
            SynId::DiagnosticReport(p, e) => write!(out, "r{:06}-{}", p + 1, e + 1),
            SynId::DocumentReference(p, e) => write!(out, "d{:06}-{}", p + 1, e + 1),
            SynId::Medication(m) => write!(out, "med{:04}", m + 1),
            SynId::Organization(o) => write!(out, "org{:04}", o + 1),
            SynId::Location(o) => write!(out, "loc{:04}", o + 1),
            SynId::PractitionerRole(q) => write!(out, "prr{:04}", q + 1),
        };
    }

    pub(crate) fn id(self) -> String {
        let mut s = String::with_capacity(16);
        self.write_id(&mut s);
        s
    }
}

/// What an attachment of a synthetic resource is; its content is served at
/// `Binary/{the resource's id}` (see `notes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attachment {
    pub(crate) content_type: &'static str,
    pub(crate) title: &'static str,
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
    /// Organizations, and as many Locations.
    n_org: u32,
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
        let n_org = (n_prac / 3).clamp(2, 9999);
        Ok(Synth {
            seed,
            recs,
            n_prac,
            n_org,
        })
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
            RType::MedicationRequest => {
                let (p, c) = id.strip_prefix('m')?.split_once('-')?;
                SynId::MedicationRequest(num(p, 6)?, small(c)?)
            }
            RType::DiagnosticReport => {
                let (p, e) = id.strip_prefix('r')?.split_once('-')?;
                SynId::DiagnosticReport(num(p, 6)?, small(e)?)
            }
            RType::DocumentReference => {
                let (p, e) = id.strip_prefix('d')?.split_once('-')?;
                SynId::DocumentReference(num(p, 6)?, small(e)?)
            }
            RType::Medication => {
                SynId::Medication(u8::try_from(num(id.strip_prefix("med")?, 4)?).ok()?)
            }
            RType::Organization => SynId::Organization(num(id.strip_prefix("org")?, 4)?),
            RType::Location => SynId::Location(num(id.strip_prefix("loc")?, 4)?),
            RType::PractitionerRole => SynId::PractitionerRole(num(id.strip_prefix("prr")?, 4)?),
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
            SynId::Condition(p, c) | SynId::MedicationRequest(p, c) => {
                rec(p).is_some_and(|r| c < r.n_cond)
            }
            SynId::DiagnosticReport(p, e) | SynId::DocumentReference(p, e) => {
                rec(p).is_some_and(|r| e < r.n_enc)
            }
            SynId::Medication(m) => (m as usize) < MEDICATIONS.len(),
            SynId::Organization(o) | SynId::Location(o) => o < self.n_org,
            SynId::PractitionerRole(q) => q < self.n_prac,
        }
    }

    /// How many resources of a shared type ([`RType::is_shared`]) there are.
    pub(crate) fn shared_count(&self, rtype: RType) -> u32 {
        match rtype {
            RType::Practitioner | RType::PractitionerRole => self.n_prac,
            RType::Organization | RType::Location => self.n_org,
            RType::Medication => MEDICATIONS.len() as u32,
            _ => 0,
        }
    }

    /// The shared resources of a type, in id order.
    fn shared(&self, rtype: RType) -> impl Iterator<Item = SynId> + use<> {
        let n = self.shared_count(rtype);
        (0..n).filter_map(move |i| match rtype {
            RType::Practitioner => Some(SynId::Practitioner(i)),
            RType::PractitionerRole => Some(SynId::PractitionerRole(i)),
            RType::Organization => Some(SynId::Organization(i)),
            RType::Location => Some(SynId::Location(i)),
            RType::Medication => u8::try_from(i).ok().map(SynId::Medication),
            _ => None,
        })
    }

    /// Every synthetic resource of a type, in id order, optionally only
    /// those of some patients.
    pub(crate) fn enumerate(&self, rtype: RType, patients: Option<&[u32]>, out: &mut Vec<SynId>) {
        if rtype.is_shared() {
            if patients.is_none() {
                out.extend(self.shared(rtype));
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
                RType::MedicationRequest => {
                    out.extend((0..r.n_cond).map(|c| SynId::MedicationRequest(p, c)))
                }
                RType::DiagnosticReport => {
                    out.extend((0..r.n_enc).map(|e| SynId::DiagnosticReport(p, e)))
                }
                RType::DocumentReference => {
                    out.extend((0..r.n_enc).map(|e| SynId::DocumentReference(p, e)))
                }
                RType::Practitioner
                | RType::Medication
                | RType::Organization
                | RType::Location
                | RType::PractitionerRole => {}
            }
        };
        match patients {
            Some(ps) => ps.iter().copied().for_each(&mut one),
            None => (0..self.patient_count()).for_each(one),
        }
    }

    /// How many synthetic resources of `rtype` belong to patient `p` (none
    /// of a shared type, which belong to no patient): what [`enumerate`]
    /// would list, without listing it.
    ///
    /// [`enumerate`]: Synth::enumerate
    pub(crate) fn count_of(&self, rtype: RType, p: u32) -> usize {
        let Some(r) = self.recs.get(p as usize) else {
            return 0;
        };
        match rtype {
            RType::Patient => 1,
            RType::Encounter | RType::DiagnosticReport | RType::DocumentReference => {
                r.n_enc as usize
            }
            RType::Observation => r.n_enc as usize * VITALS.len(),
            RType::Condition | RType::MedicationRequest => r.n_cond as usize,
            RType::Practitioner
            | RType::Medication
            | RType::Organization
            | RType::Location
            | RType::PractitionerRole => 0,
        }
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

    /// "Dr. Given Family".
    fn practitioner_display(&self, q: u32) -> String {
        let (g, f, _, _) = self.practitioner(q);
        format!("Dr. {g} {f}")
    }

    /// When vital sign `k` of an encounter was taken (ms).
    fn observation_time(&self, p: u32, e: u8, k: u8) -> i64 {
        self.encounter(p, e).0 + (k as i64 + 1) * 120_000
    }

    /// The organization a practitioner works for (and its location).
    fn organization_of(&self, q: u32) -> u32 {
        q % self.n_org
    }

    /// Organizations' NPIs: another range than the practitioners'.
    fn organization_npi(&self, o: u32) -> u64 {
        1_500_000_000 + (o as u64 * 7_877 + self.seed % 1000) % 400_000_000
    }

    /// "Riverside Community Clinic", then "… 2" once the list runs out.
    pub(crate) fn organization_name(&self, o: u32) -> String {
        let n = ORGANIZATIONS.len() as u32;
        let name = ORGANIZATIONS[(o % n) as usize];
        match o / n {
            0 => name.to_owned(),
            k => format!("{name} {}", k + 1),
        }
    }

    /// The attachment a resource points to (`Binary/{its id}`): every
    /// DocumentReference has a note, every second DiagnosticReport (the
    /// encounter's second, fourth…) a report as HTML; `None` for the rest.
    pub(crate) fn attachment(&self, id: SynId) -> Option<Attachment> {
        if !self.exists(id) {
            return None;
        }
        match id {
            SynId::DocumentReference(p, e) => {
                let (_, _, ty) = self.encounter(p, e);
                let html = ENCOUNTER_TYPES[ty].2 != "AMB";
                Some(Attachment {
                    content_type: if html { "text/html" } else { "text/plain" },
                    title: match ENCOUNTER_TYPES[ty].2 {
                        "IMP" => "Discharge summary",
                        "EMER" => "Emergency department note",
                        _ => "Progress note",
                    },
                })
            }
            SynId::DiagnosticReport(_, e) if e % 2 == 1 => Some(Attachment {
                content_type: "text/html",
                title: "Vital signs report",
            }),
            _ => None,
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
}

#[cfg(test)]
mod tests {
    use super::super::dates;
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
