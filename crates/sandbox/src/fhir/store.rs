//! Resources: the synthetic base plus an overlay of writes.
//!
//! The synthetic data is immutable; creates, updates and deletes go to an
//! overlay that keeps every version, so a written resource shadows its
//! synthetic original (version 1) and deletes leave a tombstone (410 Gone).
//! A generation counter bumps on every write so cached search results can
//! tell they are stale.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::facts::{self, Facts};
use super::generate::{SYNTHETIC_LAST_UPDATED, SynId, Synth};
use super::types::RType;

/// A search candidate: a synthetic resource, or the n-th resource created
/// under a non-synthetic id. Small and `Copy` so result lists of millions
/// stay cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    Syn(SynId),
    Ext(u32),
}

/// A written version's document and its serialization.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) value: Value,
    pub(crate) json: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Synthetic(SynId),
    Stored(Arc<Stored>),
}

#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) vid: u32,
    pub(crate) last_updated: i64,
    /// `None` for a deletion.
    pub(crate) body: Option<Body>,
}

pub(crate) enum Lookup {
    Found(Version),
    /// Deleted; carries the tombstone and the last live version.
    Deleted {
        tombstone: Version,
        last: Version,
    },
    Missing,
}

#[derive(Default)]
pub(crate) struct Overlay {
    entries: HashMap<(RType, String), Vec<Version>>,
    touched: HashSet<SynId>,
    /// Non-synthetic ids per type, in creation order (`Key::Ext` indexes).
    created: HashMap<RType, Vec<String>>,
    per_type: HashMap<RType, usize>,
    pub(crate) generation: u64,
    next_id: u64,
}

pub(crate) struct Store {
    pub(crate) synth: Synth,
    pub(crate) overlay: RwLock<Overlay>,
}

impl Store {
    pub(crate) fn new(synth: Synth) -> Store {
        Store {
            synth,
            overlay: RwLock::new(Overlay::default()),
        }
    }

    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Overlay> {
        self.overlay.write().unwrap_or_else(|e| e.into_inner())
    }

    fn synthetic_version(id: SynId) -> Version {
        Version {
            vid: 1,
            last_updated: SYNTHETIC_LAST_UPDATED,
            body: Some(Body::Synthetic(id)),
        }
    }

    /// All versions of a resource, oldest first (empty if it never existed).
    pub(crate) fn history(&self, ov: &Overlay, rtype: RType, id: &str) -> Vec<Version> {
        let syn = self.synth.parse_id(rtype, id);
        let mut out: Vec<Version> = syn.map(Self::synthetic_version).into_iter().collect();
        if let Some(vs) = ov.entries.get(&(rtype, id.to_string())) {
            out.extend(vs.iter().cloned());
        }
        out
    }

    pub(crate) fn lookup(&self, ov: &Overlay, rtype: RType, id: &str) -> Lookup {
        let mut versions = self.history(ov, rtype, id);
        let Some(latest) = versions.pop() else {
            return Lookup::Missing;
        };
        if latest.body.is_some() {
            return Lookup::Found(latest);
        }
        match versions.into_iter().rev().find(|v| v.body.is_some()) {
            Some(last) => Lookup::Deleted {
                tombstone: latest,
                last,
            },
            None => Lookup::Missing,
        }
    }

    /// The current version behind a search candidate, if not deleted.
    pub(crate) fn resolve(&self, ov: &Overlay, rtype: RType, key: Key) -> Option<Version> {
        match key {
            Key::Syn(s) if !ov.touched.contains(&s) => Some(Self::synthetic_version(s)),
            Key::Syn(s) => match self.lookup(ov, rtype, &s.id()) {
                Lookup::Found(v) => Some(v),
                _ => None,
            },
            Key::Ext(i) => {
                let id = ov.created.get(&rtype)?.get(i as usize)?;
                match self.lookup(ov, rtype, id) {
                    Lookup::Found(v) => Some(v),
                    _ => None,
                }
            }
        }
    }

    /// Search candidates in canonical order: a superset of the matches,
    /// narrowed to some patients' synthetic resources when the query or the
    /// compartment pins the patient. Written resources are always included
    /// (their subject may have changed), so filters must still be applied.
    pub(crate) fn candidates(
        &self,
        ov: &Overlay,
        rtype: RType,
        patients: Option<&[u32]>,
    ) -> Vec<Key> {
        let mut syn = Vec::new();
        self.synth.enumerate(rtype, patients, &mut syn);
        let mut keys: Vec<Key> = syn.into_iter().map(Key::Syn).collect();
        if patients.is_some() && ov.per_type.get(&rtype).copied().unwrap_or(0) > 0 {
            keys.extend(
                ov.touched
                    .iter()
                    .filter(|s| s.rtype() == rtype)
                    .map(|s| Key::Syn(*s)),
            );
            keys.sort_unstable();
            keys.dedup();
        }
        if let Some(ids) = ov.created.get(&rtype) {
            keys.extend((0..ids.len() as u32).map(Key::Ext));
        }
        keys
    }

    /// The written-over synthetic resources of a type, in id order: the
    /// ones whose current version is not the synthetic one.
    pub(crate) fn touched(&self, ov: &Overlay, rtype: RType) -> Vec<SynId> {
        let mut t: Vec<SynId> = ov
            .touched
            .iter()
            .copied()
            .filter(|s| s.rtype() == rtype)
            .collect();
        t.sort_unstable();
        t
    }

    /// Every resource of a type created under a non-synthetic id, as keys.
    pub(crate) fn created(&self, ov: &Overlay, rtype: RType) -> impl Iterator<Item = Key> + use<> {
        let n = ov.created.get(&rtype).map_or(0, Vec::len) as u32;
        (0..n).map(Key::Ext)
    }

    /// The `Key::Ext` of a resource created under a non-synthetic id.
    pub(crate) fn ext_key(&self, ov: &Overlay, rtype: RType, id: &str) -> Option<Key> {
        let ids = ov.created.get(&rtype)?;
        ids.iter().position(|i| i == id).map(|i| Key::Ext(i as u32))
    }

    pub(crate) fn facts<'a>(&self, rtype: RType, v: &'a Version) -> Option<Facts<'a>> {
        match v.body.as_ref()? {
            Body::Synthetic(s) => Some(self.synth.facts(*s)),
            Body::Stored(st) => Some(facts::from_json(rtype, &st.value, v.last_updated)),
        }
    }

    /// Appends a version's JSON.
    pub(crate) fn render(&self, v: &Version, out: &mut String) {
        match &v.body {
            Some(Body::Synthetic(s)) => self.synth.render(*s, out),
            Some(Body::Stored(st)) => out.push_str(&st.json),
            None => {}
        }
    }

    /// A fresh server-assigned id.
    pub(crate) fn new_id(&self, ov: &mut Overlay, rtype: RType) -> String {
        loop {
            ov.next_id += 1;
            let id = format!("n{}", ov.next_id);
            if matches!(self.lookup(ov, rtype, &id), Lookup::Missing) {
                return id;
            }
        }
    }

    /// Records a new version (a document, or `None` to delete) and returns
    /// it. `value` gets `id` and `meta.versionId`/`meta.lastUpdated` here so
    /// stored copies are always consistent with their version.
    pub(crate) fn put(
        &self,
        ov: &mut Overlay,
        rtype: RType,
        id: &str,
        value: Option<Value>,
        now_ms: i64,
    ) -> Version {
        let prev = self
            .history(ov, rtype, id)
            .last()
            .map(|v| v.vid)
            .unwrap_or(0);
        let vid = prev + 1;
        let body = value.map(|mut value| {
            if let Some(obj) = value.as_object_mut() {
                obj.insert("id".into(), Value::String(id.into()));
                let meta = obj
                    .entry("meta")
                    .or_insert_with(|| Value::Object(Default::default()));
                if !meta.is_object() {
                    *meta = Value::Object(Default::default());
                }
                if let Some(m) = meta.as_object_mut() {
                    m.insert("versionId".into(), Value::String(vid.to_string()));
                    m.insert(
                        "lastUpdated".into(),
                        Value::String(super::dates::format_instant(now_ms)),
                    );
                }
            }
            let json = value.to_string();
            Body::Stored(Arc::new(Stored { value, json }))
        });
        let version = Version {
            vid,
            last_updated: now_ms,
            body,
        };
        let key = (rtype, id.to_string());
        if !ov.entries.contains_key(&key) {
            *ov.per_type.entry(rtype).or_default() += 1;
            match self.synth.parse_id(rtype, id) {
                Some(s) => {
                    ov.touched.insert(s);
                }
                None => ov.created.entry(rtype).or_default().push(id.to_string()),
            }
        }
        ov.entries.entry(key).or_default().push(version.clone());
        ov.generation += 1;
        version
    }
}
