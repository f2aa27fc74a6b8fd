//! SMART scopes, v1 (`patient/*.read`) and v2 (`patient/Observation.rs`),
//! parsed strictly: a scope that does not parse grants nothing.
//!
//! Query-constrained v2 scopes (`patient/Observation.rs?category=laboratory`)
//! are parsed, but [`ResourceScope::covers`] is false for them: honouring
//! such a scope as unconstrained would widen it.

/// A FHIR interaction, as far as scopes care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    Read,
    Search,
    Create,
    Update,
    Delete,
}

/// The context prefix of a resource scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    Patient,
    User,
    System,
}

impl Context {
    /// `patient`, `user`, `system`: the scope prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Patient => "patient",
            Context::User => "user",
            Context::System => "system",
        }
    }
}

/// The two ways of writing resource scopes: SMART 1.0's `.read`/`.write`/`.*`
/// (capability `permission-v1`) and SMART 2.x's `.cruds` letters
/// (`permission-v2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    V1,
    V2,
}

impl Dialect {
    /// The capability a server advertises for it.
    pub fn capability(self) -> &'static str {
        match self {
            Dialect::V1 => "permission-v1",
            Dialect::V2 => "permission-v2",
        }
    }
}

/// The permission letters of a v2 scope, or the equivalent of a v1 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perms {
    pub create: bool,
    pub read: bool,
    pub update: bool,
    pub delete: bool,
    pub search: bool,
}

impl Perms {
    fn allows(self, i: Interaction) -> bool {
        match i {
            Interaction::Read => self.read,
            Interaction::Search => self.search,
            Interaction::Create => self.create,
            Interaction::Update => self.update,
            Interaction::Delete => self.delete,
        }
    }

    /// v2 letters: a non-empty subsequence of `cruds`, in that order.
    fn parse_v2(s: &str) -> Option<Perms> {
        if s.is_empty() {
            return None;
        }
        let mut p = Perms::default();
        let mut rest = "cruds";
        for ch in s.chars() {
            let at = rest.find(ch)?;
            rest = &rest[at + 1..];
            match ch {
                'c' => p.create = true,
                'r' => p.read = true,
                'u' => p.update = true,
                'd' => p.delete = true,
                's' => p.search = true,
                _ => return None,
            }
        }
        Some(p)
    }

    fn parse(s: &str) -> Option<(Perms, bool)> {
        let all = Perms {
            create: true,
            read: true,
            update: true,
            delete: true,
            search: true,
        };
        match s {
            "read" => Some((
                Perms {
                    read: true,
                    search: true,
                    ..Perms::default()
                },
                false,
            )),
            "write" => Some((
                Perms {
                    create: true,
                    update: true,
                    delete: true,
                    ..Perms::default()
                },
                false,
            )),
            "*" => Some((all, false)),
            _ => Perms::parse_v2(s).map(|p| (p, true)),
        }
    }

    /// True when any write interaction is permitted (used by the
    /// `scope-reduced` fault, which drops write scopes).
    pub fn writes(self) -> bool {
        self.create || self.update || self.delete
    }

    fn reads(self) -> bool {
        self.read || self.search
    }

    /// True when every interaction these permit, `wider` permits too.
    fn within(self, wider: Perms) -> bool {
        (!self.create || wider.create)
            && (!self.read || wider.read)
            && (!self.update || wider.update)
            && (!self.delete || wider.delete)
            && (!self.search || wider.search)
    }

    /// v2 letters, `cruds` order.
    fn letters(self) -> String {
        [
            (self.create, 'c'),
            (self.read, 'r'),
            (self.update, 'u'),
            (self.delete, 'd'),
            (self.search, 's'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect()
    }

    /// The v1 word that covers these permissions: v1 cannot say less than
    /// "read" (read and search) or "write" (create, update, delete), so a
    /// v2 `r` alone becomes `read`.
    fn v1_word(self) -> &'static str {
        match (self.reads(), self.writes()) {
            (true, false) => "read",
            (false, true) => "write",
            _ => "*",
        }
    }
}

/// A parsed resource scope such as `patient/Observation.rs?category=x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceScope {
    pub context: Context,
    /// `None` for `*`.
    pub resource_type: Option<String>,
    pub perms: Perms,
    /// Written in v2 letter syntax (`.rs`) rather than v1 (`.read`).
    pub v2: bool,
    /// The `?…` query constraint, if any (v2 only).
    pub constraint: Option<String>,
}

impl ResourceScope {
    /// Parses a resource scope; `None` for anything else (including
    /// `openid`, `launch/patient` and malformed resource scopes).
    pub fn parse(scope: &str) -> Option<ResourceScope> {
        let (ctx, rest) = scope.split_once('/')?;
        let context = match ctx {
            "patient" => Context::Patient,
            "user" => Context::User,
            "system" => Context::System,
            _ => return None,
        };
        let (body, constraint) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q.to_owned())),
            None => (rest, None),
        };
        let (rtype, perms) = body.split_once('.')?;
        let resource_type = match rtype {
            "*" => None,
            t if is_resource_type(t) => Some(t.to_owned()),
            _ => return None,
        };
        let (perms, v2) = Perms::parse(perms)?;
        if constraint.is_some() && !v2 {
            return None;
        }
        if constraint.as_deref() == Some("") {
            return None;
        }
        Some(ResourceScope {
            context,
            resource_type,
            perms,
            v2,
            constraint,
        })
    }

    /// This scope written in `dialect`, when it is a resource scope written
    /// in the other one. `None` when there is nothing to translate, or when
    /// it cannot be said in v1 (a query-constrained v2 scope).
    pub fn in_dialect(&self, dialect: Dialect) -> Option<String> {
        let is_v2 = dialect == Dialect::V2;
        if self.v2 == is_v2 || (!is_v2 && self.constraint.is_some()) {
            return None;
        }
        let perms = if is_v2 {
            self.perms.letters()
        } else {
            self.perms.v1_word().to_owned()
        };
        Some(format!(
            "{}/{}.{perms}",
            self.context.as_str(),
            self.resource_type.as_deref().unwrap_or("*")
        ))
    }

    /// True when this scope alone permits `interaction` on `resource_type`
    /// (a query-constrained scope never does: see the module doc).
    pub fn covers(&self, resource_type: &str, interaction: Interaction) -> bool {
        self.constraint.is_none()
            && self
                .resource_type
                .as_deref()
                .is_none_or(|t| t == resource_type)
            && self.perms.allows(interaction)
    }
}

impl ResourceScope {
    /// True when `wider` grants everything this scope asks for: the same
    /// context, all types or this one, every permission (in either dialect:
    /// v1 `read` is v2 `rs`), and no query constraint or the same one. A
    /// constrained scope is never within a differently constrained one.
    pub fn is_within(&self, wider: &ResourceScope) -> bool {
        self.context == wider.context
            && wider
                .resource_type
                .as_ref()
                .is_none_or(|t| self.resource_type.as_ref() == Some(t))
            && self.perms.within(wider.perms)
            && (wider.constraint.is_none() || wider.constraint == self.constraint)
    }
}

/// True when the scopes `held` (registered for a client, or granted
/// before) cover `scope`: the same word, or for a resource scope one that
/// grants all it asks ([`ResourceScope::is_within`]), so that a client
/// registered with `system/*.rs` may ask `system/Patient.rs`,
/// `system/*.read` or `system/Patient.read`.
pub fn is_covered(scope: &str, held: &[String]) -> bool {
    if held.iter().any(|h| h == scope) {
        return true;
    }
    let Some(asked) = ResourceScope::parse(scope) else {
        return false;
    };
    held.iter()
        .filter_map(|h| ResourceScope::parse(h))
        .any(|h| asked.is_within(&h))
}

/// A FHIR resource type name: an upper-case letter, then letters.
fn is_resource_type(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_uppercase()) && c.all(|x| x.is_ascii_alphabetic())
}

/// True for every scope SMART defines: resource
/// scopes, launch context scopes, OpenID scopes and the offline/online ones.
pub fn is_known(scope: &str) -> bool {
    matches!(
        scope,
        "openid"
            | "fhirUser"
            | "profile"
            | "launch"
            | "launch/patient"
            | "launch/encounter"
            | "offline_access"
            | "online_access"
    ) || ResourceScope::parse(scope).is_some()
}

/// Splits a space-separated scope parameter, dropping empty pieces and
/// repeats, keeping the order.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_forms() {
        let s = ResourceScope::parse("patient/*.read").unwrap();
        assert_eq!(
            (s.context, s.resource_type.as_deref(), s.v2),
            (Context::Patient, None, false)
        );
        assert!(s.covers("Observation", Interaction::Search));
        assert!(!s.covers("Observation", Interaction::Create));
        let s = ResourceScope::parse("user/Observation.cud").unwrap();
        assert!(s.v2 && s.perms.writes() && !s.perms.read);
        assert!(!s.covers("Condition", Interaction::Create));
    }

    #[test]
    fn malformed_scopes_do_not_parse() {
        for bad in [
            "patient/Observation.sr",
            "patient/Observation.rr",
            "patient/Observation.",
            "patient/observation.rs",
            "practitioner/*.rs",
            "patient/*.read?category=x",
            "patient/*.rs?",
        ] {
            assert!(ResourceScope::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn constrained_scopes_cover_nothing() {
        let s = ResourceScope::parse("patient/Observation.rs?category=laboratory").unwrap();
        assert_eq!(s.constraint.as_deref(), Some("category=laboratory"));
        assert!(!s.covers("Observation", Interaction::Read));
    }

    #[test]
    fn dialects_translate_both_ways() {
        let to = |s: &str, d| ResourceScope::parse(s).unwrap().in_dialect(d);
        assert_eq!(
            to("patient/*.rs", Dialect::V1).as_deref(),
            Some("patient/*.read")
        );
        assert_eq!(
            to("patient/*.r", Dialect::V1).as_deref(),
            Some("patient/*.read")
        );
        assert_eq!(
            to("user/Observation.cud", Dialect::V1).as_deref(),
            Some("user/Observation.write")
        );
        assert_eq!(
            to("system/*.cruds", Dialect::V1).as_deref(),
            Some("system/*.*")
        );
        assert_eq!(
            to("patient/*.read", Dialect::V2).as_deref(),
            Some("patient/*.rs")
        );
        assert_eq!(
            to("user/Patient.write", Dialect::V2).as_deref(),
            Some("user/Patient.cud")
        );
        assert_eq!(
            to("patient/*.*", Dialect::V2).as_deref(),
            Some("patient/*.cruds")
        );
        // Already in the dialect, or not sayable in v1: nothing to do.
        assert_eq!(to("patient/*.rs", Dialect::V2), None);
        assert_eq!(to("patient/*.read", Dialect::V1), None);
        assert_eq!(
            to("patient/Observation.rs?category=laboratory", Dialect::V1),
            None
        );
        assert_eq!(Dialect::V1.capability(), "permission-v1");
    }

    #[test]
    fn covered_in_either_dialect() {
        let held = |s: &str| split(s);
        let star = held("system/*.rs");
        for ok in [
            "system/*.rs",
            "system/Patient.rs",
            "system/Patient.r",
            "system/*.s",
            "system/*.read",
            "system/Patient.read",
            "system/Observation.rs?category=laboratory",
        ] {
            assert!(is_covered(ok, &star), "{ok}");
        }
        for no in [
            "system/*.cruds",
            "system/*.*",
            "system/Patient.write",
            "system/Patient.c",
            "patient/*.rs",
            "user/Patient.rs",
            "openid",
            "system/patient.rs",
        ] {
            assert!(!is_covered(no, &star), "{no}");
        }
        // v1 registered, v2 asked (and back); per type.
        assert!(is_covered("system/Patient.rs", &held("system/*.read")));
        assert!(is_covered("system/Patient.cud", &held("system/*.*")));
        assert!(is_covered("patient/Observation.rs", &held("patient/*.rs")));
        assert!(!is_covered("patient/*.rs", &held("patient/Observation.rs")));
        // v1 `read` is read and search: `r` alone does not cover it.
        assert!(!is_covered("system/*.read", &held("system/*.r")));
        // Constraints: only the same one, or an unconstrained scope.
        let lab = held("patient/Observation.rs?category=laboratory");
        assert!(is_covered(
            "patient/Observation.rs?category=laboratory",
            &lab
        ));
        assert!(is_covered(
            "patient/Observation.r?category=laboratory",
            &lab
        ));
        assert!(!is_covered("patient/Observation.rs", &lab));
        assert!(!is_covered(
            "patient/Observation.rs?category=vital-signs",
            &lab
        ));
        // Other scopes: word for word.
        assert!(is_covered("offline_access", &held("openid offline_access")));
        assert!(!is_covered("launch", &held("launch/patient")));
    }

    #[test]
    fn known_scopes_and_split() {
        for s in [
            "openid",
            "fhirUser",
            "launch",
            "launch/patient",
            "offline_access",
            "patient/*.rs",
        ] {
            assert!(is_known(s), "{s}");
        }
        assert!(!is_known("bogus"));
        assert_eq!(split("  a b  a c "), vec!["a", "b", "c"]);
    }
}
