//! Where the requests of an export may go, and with what.
//!
//! - The token ([`TokenRule`]): with `requiresAccessToken: true` it goes to
//!   URLs under the FHIR base and to URLs on the base's own origin (servers
//!   such as the SMART reference server put their files there, outside the
//!   base path, and protect them like the kick-off, as the IG says they
//!   SHALL); to another origin only when the user named it
//!   (`--token-origin`, profile key `token_origins`); and never once a
//!   redirect has left the origin it was on.
//! - The address ([`Reach`]): a server must not be able to make `smart`
//!   reach into the user's own network. No manifest URL, job URL or
//!   redirect hop may lead to a loopback, private or link-local address
//!   unless the FHIR base itself is on one of that kind. IP literals are
//!   checked before any connection; names are checked as they resolve
//!   ([`Reach::resolver`]), so a name pointing inside is refused too.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Origin, Url};

use crate::discovery::FhirBase;
use crate::error::{Error, Result};
use crate::http;

/// The kinds of address a server must not lead `smart` to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Inside {
    /// 127/8, ::1, `localhost`; also 0.0.0.0 and ::, which reach this host.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7.
    Private,
    /// 169.254/16 (where clouds answer with credentials), fe80::/10.
    LinkLocal,
    /// Multicast, broadcast and reserved ranges: never a file server.
    Reserved,
}

impl Inside {
    fn name(self) -> &'static str {
        match self {
            Inside::Loopback => "a loopback address",
            Inside::Private => "a private address",
            Inside::LinkLocal => "a link-local address",
            Inside::Reserved => "a reserved or multicast address",
        }
    }
}

/// `None` for a public address.
pub fn classify_ip(ip: IpAddr) -> Option<Inside> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Inside> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() || a == 0 {
        Some(Inside::Loopback)
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some(Inside::Private)
    } else if ip.is_link_local() {
        Some(Inside::LinkLocal)
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some(Inside::Reserved)
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<Inside> {
    if ip.is_loopback() || ip.is_unspecified() {
        return Some(Inside::Loopback);
    }
    // IPv4 inside IPv6 reaches the IPv4 address: mapped (::ffff:a.b.c.d),
    // compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AB:CD::).
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return classify_v4(v4(s[1], s[2]));
    }
    match s[0] {
        x if x & 0xfe00 == 0xfc00 => Some(Inside::Private),
        // fec0::/10, site-local: deprecated, still private in effect.
        x if x & 0xffc0 == 0xfec0 => Some(Inside::Private),
        x if x & 0xffc0 == 0xfe80 => Some(Inside::LinkLocal),
        x if x & 0xff00 == 0xff00 => Some(Inside::Reserved),
        _ => None,
    }
}

/// The kind of a URL's host when its text says it (an IP literal, in any
/// form the URL parser accepts, or `localhost`); `Ok(None)` for a public
/// literal, `Err(())` for a name that only resolving can tell.
fn classify_host(host: Host<&str>) -> std::result::Result<Option<Inside>, ()> {
    match host {
        Host::Ipv4(ip) => Ok(classify_v4(ip)),
        Host::Ipv6(ip) => Ok(classify_v6(ip)),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                Ok(Some(Inside::Loopback))
            } else {
                Err(())
            }
        }
    }
}

/// The kinds of inside address an export may reach: those the FHIR base
/// itself is on (a sandbox on 127.0.0.1 may serve files on 127.0.0.1; an
/// EHR on 10.1.2.3 may redirect to storage on 10.1.2.4).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    allowed: BTreeSet<Inside>,
}

impl Reach {
    /// For `base`: its host's kind, resolving a name (a name that does not
    /// resolve counts as public: the export will fail on it anyway).
    pub async fn for_base(base: &FhirBase) -> Reach {
        let url = base.url();
        let mut allowed = BTreeSet::new();
        match url.host().map(classify_host) {
            Some(Ok(kind)) => allowed.extend(kind),
            Some(Err(())) => {
                let host = url.host_str().unwrap_or_default();
                let port = url.port_or_known_default().unwrap_or(443);
                if let Ok(addrs) = tokio::net::lookup_host((host, port)).await {
                    allowed.extend(addrs.filter_map(|a| classify_ip(a.ip())));
                }
            }
            None => {}
        }
        Reach { allowed }
    }

    /// A reach that allows these kinds.
    #[cfg(test)]
    pub fn allowing(kinds: &[Inside]) -> Reach {
        Reach {
            allowed: kinds.iter().copied().collect(),
        }
    }

    fn refused(&self, kind: Option<Inside>) -> Option<Inside> {
        kind.filter(|k| !self.allowed.contains(k))
    }

    /// `url` (a manifest's file URL, a job URL, a redirect hop: `what`
    /// says which) may be requested, as far as its text tells; names are
    /// checked again as they resolve.
    pub fn check(&self, url: &Url, what: &str) -> Result<()> {
        let Some(host) = url.host() else {
            return Ok(());
        };
        if let Ok(kind) = classify_host(host)
            && let Some(k) = self.refused(kind)
        {
            return Err(Error::server(format!(
                "refusing {what} {}: it is on {} ({}), and the FHIR base is not",
                http::origin_path(url),
                k.name(),
                url.host_str().unwrap_or_default()
            ))
            .with_hint(
                "a server's manifest or redirect must not lead smart into your own network; ask the server's operators",
            ));
        }
        Ok(())
    }

    /// The addresses of a resolved name that may be reached; an error
    /// naming the host when none may.
    fn filter(&self, host: &str, addrs: Vec<SocketAddr>) -> std::io::Result<Vec<SocketAddr>> {
        let kinds: Vec<Option<Inside>> = addrs.iter().map(|a| classify_ip(a.ip())).collect();
        let ok: Vec<SocketAddr> = addrs
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| self.refused(**k).is_none())
            .map(|(a, _)| *a)
            .collect();
        if ok.is_empty()
            && let Some(k) = kinds.iter().find_map(|k| self.refused(*k))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "refusing {host}: it resolves to {}, and the FHIR base is not on one",
                    k.name()
                ),
            ));
        }
        Ok(ok)
    }

    /// A DNS resolver for the download client that drops addresses this
    /// reach refuses (and fails when nothing is left), so that a name
    /// cannot do what an IP literal may not.
    pub fn resolver(&self) -> Arc<Resolver> {
        Arc::new(Resolver(self.clone()))
    }
}

pub struct Resolver(Reach);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok = reach.filter(&host, addrs)?;
            let it: reqwest::dns::Addrs = Box::new(ok.into_iter());
            Ok(it)
        })
    }
}

/// Why a request went without the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// It carried the token.
    No,
    /// The manifest says the files need none.
    NotRequired,
    /// Another origin than the FHIR base's, not named with `--token-origin`.
    OtherOrigin,
    /// A redirect left the origin the request was on.
    AfterRedirect,
}

/// Where the token goes for an export's files.
#[derive(Debug, Clone)]
pub struct TokenRule {
    pub requires_token: bool,
    pub base: FhirBase,
    /// `--token-origin` / profile `token_origins`.
    pub origins: Vec<Origin>,
}

impl TokenRule {
    /// Whether a request to `url` carries the token; `crossed` is true once
    /// a redirect of this request left its origin.
    pub fn decide(&self, url: &Url, crossed: bool) -> Withheld {
        if !self.requires_token {
            Withheld::NotRequired
        } else if crossed {
            Withheld::AfterRedirect
        } else if self.base.contains(url)
            || url.origin() == self.base.url().origin()
            || self.origins.contains(&url.origin())
        {
            Withheld::No
        } else {
            Withheld::OtherOrigin
        }
    }
}

/// A `--token-origin` value: `https://files.example.org` (a port may
/// follow; plain http only on loopback), nothing after the host.
pub fn parse_token_origin(s: &str) -> Result<Origin> {
    let bad = |why: &str| {
        Error::usage(format!(
            "--token-origin `{}` {why}",
            crate::redact::printable(&s.chars().take(80).collect::<String>())
        ))
        .with_hint("give an origin, e.g. --token-origin https://files.example.org")
    };
    let url = Url::parse(s.trim()).map_err(|_| bad("is not a URL"))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && smart_vocab::is_loopback(&url)) {
        return Err(bad("is not https (plain http only on loopback)"));
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad("is not just an origin (scheme, host, port)"));
    }
    Ok(url.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_addresses_are_classified() {
        for (a, k) in [
            ("127.0.0.1", Some(Inside::Loopback)),
            ("127.255.0.9", Some(Inside::Loopback)),
            ("0.0.0.0", Some(Inside::Loopback)),
            ("10.1.2.3", Some(Inside::Private)),
            ("172.16.0.1", Some(Inside::Private)),
            ("172.31.255.255", Some(Inside::Private)),
            ("192.168.1.1", Some(Inside::Private)),
            ("100.64.0.1", Some(Inside::Private)),
            ("169.254.169.254", Some(Inside::LinkLocal)),
            ("224.0.0.1", Some(Inside::Reserved)),
            ("255.255.255.255", Some(Inside::Reserved)),
            ("172.32.0.1", None),
            ("100.128.0.1", None),
            ("8.8.8.8", None),
            ("93.184.216.34", None),
        ] {
            assert_eq!(classify_ip(ip(a)), k, "{a}");
        }
    }

    #[test]
    fn ipv6_addresses_and_ipv4_inside_them_are_classified() {
        for (a, k) in [
            ("::1", Some(Inside::Loopback)),
            ("::", Some(Inside::Loopback)),
            ("fd00::1", Some(Inside::Private)),
            ("fc12:3456::1", Some(Inside::Private)),
            ("fec0::1", Some(Inside::Private)),
            ("fe80::1", Some(Inside::LinkLocal)),
            ("ff02::1", Some(Inside::Reserved)),
            ("::ffff:127.0.0.1", Some(Inside::Loopback)),
            ("::ffff:10.0.0.1", Some(Inside::Private)),
            ("::ffff:169.254.169.254", Some(Inside::LinkLocal)),
            ("::10.0.0.1", Some(Inside::Private)),
            ("64:ff9b::a9fe:a9fe", Some(Inside::LinkLocal)),
            ("2002:c0a8:0101::1", Some(Inside::Private)),
            ("::ffff:8.8.8.8", None),
            ("2001:db8::1", None),
            ("2606:4700::1111", None),
        ] {
            assert_eq!(classify_ip(ip(a)), k, "{a}");
        }
    }

    #[test]
    fn url_hosts_in_every_form_the_parser_accepts_are_classified() {
        let kind = |u: &str| classify_host(Url::parse(u).unwrap().host().unwrap());
        // The URL parser turns decimal, octal and hex forms into the address.
        assert_eq!(kind("http://2130706433/x"), Ok(Some(Inside::Loopback)));
        assert_eq!(kind("http://0x7f.1/x"), Ok(Some(Inside::Loopback)));
        assert_eq!(kind("http://012.1.2.3/x"), Ok(Some(Inside::Private)));
        assert_eq!(
            kind("http://0xa9.0xfe.0xa9.0xfe/x"),
            Ok(Some(Inside::LinkLocal))
        );
        assert_eq!(kind("http://[::ffff:a00:1]/x"), Ok(Some(Inside::Private)));
        assert_eq!(kind("http://LocalHost./x"), Ok(Some(Inside::Loopback)));
        assert_eq!(kind("http://api.localhost/x"), Ok(Some(Inside::Loopback)));
        assert_eq!(kind("https://8.8.8.8/x"), Ok(None));
        assert_eq!(kind("https://files.example.org/x"), Err(()));
    }

    #[test]
    fn inside_addresses_are_refused_unless_the_base_is_on_one_of_their_kind() {
        let u = |s: &str| Url::parse(s).unwrap();
        let public = Reach::default();
        for bad in [
            "http://127.0.0.1:9/f",
            "http://10.0.0.8/f",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/f",
            "http://localhost/f",
        ] {
            let e = public.check(&u(bad), "the redirect to").unwrap_err();
            assert!(
                e.message.starts_with("refusing the redirect to"),
                "{}",
                e.message
            );
            assert!(
                e.message.contains("and the FHIR base is not"),
                "{}",
                e.message
            );
        }
        let e = public
            .check(
                &u("http://169.254.169.254/x?secret=1"),
                "the manifest's file URL",
            )
            .unwrap_err();
        assert!(
            e.message.contains("a link-local address (169.254.169.254)"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("secret"), "no query: {}", e.message);
        assert!(
            public
                .check(&u("https://storage.example.org/f"), "x")
                .is_ok()
        );
        assert!(public.check(&u("https://8.8.8.8/f"), "x").is_ok());

        // A base on loopback may lead to loopback, and to nothing else inside.
        let lo = Reach::allowing(&[Inside::Loopback]);
        assert!(lo.check(&u("http://127.0.0.1:9/f"), "x").is_ok());
        assert!(lo.check(&u("http://[::1]:9/f"), "x").is_ok());
        assert!(lo.check(&u("http://10.0.0.8/f"), "x").is_err());
        assert!(lo.check(&u("http://169.254.169.254/f"), "x").is_err());
        let private = Reach::allowing(&[Inside::Private]);
        assert!(private.check(&u("http://10.0.0.8/f"), "x").is_ok());
        assert!(private.check(&u("http://127.0.0.1/f"), "x").is_err());
    }

    #[test]
    fn resolved_names_keep_only_the_addresses_that_may_be_reached() {
        let a = |s: &str| SocketAddr::new(ip(s), 443);
        let public = Reach::default();
        let e = public
            .filter("files.example.org", vec![a("10.0.0.1"), a("169.254.1.1")])
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(
            e.to_string()
                .starts_with("refusing files.example.org: it resolves to a private address"),
            "{e}"
        );
        assert_eq!(
            public
                .filter("h", vec![a("10.0.0.1"), a("93.184.216.34")])
                .unwrap(),
            [a("93.184.216.34")]
        );
        let lo = Reach::allowing(&[Inside::Loopback]);
        assert_eq!(
            lo.filter("localhost", vec![a("127.0.0.1")]).unwrap(),
            [a("127.0.0.1")]
        );
    }

    #[test]
    fn the_token_goes_under_the_base_on_its_origin_and_to_named_origins_only() {
        let u = |s: &str| Url::parse(s).unwrap();
        let rule = TokenRule {
            requires_token: true,
            base: FhirBase::parse("https://ehr.example/abc/fhir").unwrap(),
            origins: vec![parse_token_origin("https://files.example.org").unwrap()],
        };
        assert_eq!(
            rule.decide(&u("https://ehr.example/abc/fhir/f/1"), false),
            Withheld::No
        );
        // Same origin, outside the base path (the reference server's files).
        assert_eq!(
            rule.decide(
                &u("https://ehr.example/xyz/fhir/bulkfiles/1.Patient.ndjson"),
                false
            ),
            Withheld::No
        );
        assert_eq!(
            rule.decide(&u("https://files.example.org/f/1"), false),
            Withheld::No
        );
        assert_eq!(
            rule.decide(&u("https://files.example.org:8443/f"), false),
            Withheld::OtherOrigin
        );
        assert_eq!(
            rule.decide(&u("http://ehr.example/abc/fhir/f"), false),
            Withheld::OtherOrigin
        );
        assert_eq!(
            rule.decide(&u("https://s3.example.com/b/f"), false),
            Withheld::OtherOrigin
        );
        // After a redirect that left its origin: never, even to a named one.
        assert_eq!(
            rule.decide(&u("https://files.example.org/f/1"), true),
            Withheld::AfterRedirect
        );
        assert_eq!(
            rule.decide(&u("https://ehr.example/abc/fhir/f/1"), true),
            Withheld::AfterRedirect
        );
        let open = TokenRule {
            requires_token: false,
            ..rule
        };
        assert_eq!(
            open.decide(&u("https://ehr.example/abc/fhir/f/1"), false),
            Withheld::NotRequired
        );
    }

    #[test]
    fn token_origins_are_bare_origins() {
        assert!(parse_token_origin("https://files.example.org").is_ok());
        assert!(parse_token_origin("https://files.example.org:8443/").is_ok());
        assert!(parse_token_origin("http://127.0.0.1:9000").is_ok());
        for bad in [
            "files.example.org",
            "http://files.example.org",
            "https://files.example.org/bucket",
            "https://u:p@files.example.org",
            "https://files.example.org/?x=1",
            "ftp://files.example.org",
        ] {
            let e = parse_token_origin(bad).unwrap_err();
            assert!(
                e.message.starts_with("--token-origin `"),
                "{bad}: {}",
                e.message
            );
        }
    }
}
