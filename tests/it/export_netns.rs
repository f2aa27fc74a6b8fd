//! A server must not be able to make `smart export` reach into the user's
//! own network (issue 19 §5): no manifest URL and no redirect hop may lead
//! to a loopback, private or link-local address unless the FHIR base is on
//! one of that kind.
//!
//! Showing that takes a FHIR base on a public address and storage on an
//! inside one, which a test may only have in a network namespace of its
//! own (the house rule: tests reach loopback, or namespaces they create).
//! Each test makes one on a thread of its own (`unshare(CLONE_NEWNET)`
//! moves only the calling thread), puts the addresses on its `lo`, and
//! starts the sandbox (TLS, since smart talks plain http only to
//! loopback) and `smart` from that thread, so both live in it. Needs root
//! and `ip` (iproute2) and `openssl`: under `CI` their absence fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use smart_sandbox::Options;

use crate::export::{Bulk, bulk, faults};
use crate::support::{real_part, test_certificate};

/// TEST-NET-3 (RFC 5737): public as far as smart's classes go, and never
/// routed, so nothing outside the namespace could answer it anyway.
const PUBLIC: &str = "203.0.113.10";
const PRIVATE: &str = "10.77.0.1";
const PRIVATE_2: &str = "10.77.0.2";

/// Runs `f` on a new thread inside a new network namespace whose `lo` is up
/// and carries `addrs`; `None` (after saying why) where that cannot be
/// made, which fails the test under `CI`.
fn in_netns<T: Send + 'static>(
    addrs: &[&str],
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let addrs: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    let made = std::thread::spawn(move || {
        // SAFETY: unshare takes no pointers; it moves this thread (and the
        // threads and processes it starts) into a new network namespace.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return Err(format!(
                "unshare(CLONE_NEWNET): {}",
                std::io::Error::last_os_error()
            ));
        }
        let mut steps = vec![vec!["link", "set", "lo", "up"]];
        let with_len: Vec<String> = addrs.iter().map(|a| format!("{a}/32")).collect();
        for a in &with_len {
            steps.push(vec!["addr", "add", a, "dev", "lo"]);
        }
        for args in steps {
            match Command::new("ip").args(&args).status() {
                Ok(s) if s.success() => {}
                other => return Err(format!("ip {}: {other:?}", args.join(" "))),
            }
        }
        Ok(f())
    })
    .join()
    .expect("the namespace thread");
    match made {
        Ok(t) => Some(t),
        Err(why) => {
            real_part(
                "a network namespace of the test's own",
                false,
                &format!("{why}; run as root with iproute2 installed"),
            );
            None
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// `smart export` of a sandbox whose FHIR base is on `base_ip` and whose
/// storage origin is on `storage_ip`, misbehaving as `fault` says.
struct Setup {
    b: Bulk,
    ca: PathBuf,
    _certs: tempfile::TempDir,
}

fn setup(base_ip: &str, storage_ip: &str, fault: &str) -> Setup {
    setup_with(base_ip, storage_ip, fault, |_| {})
}

fn setup_with(base_ip: &str, storage_ip: &str, fault: &str, f: impl FnOnce(&mut Options)) -> Setup {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_certificate(certs.path(), &[base_ip, storage_ip])
        .expect("openssl makes the test certificate (apt-get install openssl)");
    let (base_ip, storage_ip) = (base_ip.parse().unwrap(), storage_ip.parse().unwrap());
    let b = bulk(|o: &mut Options| {
        o.bind = base_ip;
        o.storage_bind = Some(storage_ip);
        o.tls = Some((cert, key));
        o.faults = faults(&[fault]);
        f(o);
    });
    Setup {
        b,
        ca,
        _certs: certs,
    }
}

impl Setup {
    fn export(&self) -> crate::support::Out {
        self.b
            .export(&["--cacert", path(&self.ca), "--type", "Patient", "--json"])
    }

    /// Requests that reached the storage origin.
    fn storage_requests(&self) -> usize {
        let storage = self.b.env.sb.journal.all();
        storage
            .iter()
            .filter(|r| r.path.starts_with("/bucket/") || r.path.starts_with("/protected/"))
            .count()
    }
}

#[test]
fn a_redirect_hop_to_a_private_address_is_refused_and_never_reached() {
    in_netns(&[PUBLIC, PRIVATE], || {
        let s = setup(PUBLIC, PRIVATE, "export-file-redirect");
        let o = s.export();
        assert_ne!(o.code, 0, "the export went through:\n{}", o.stderr);
        assert!(
            o.stderr.contains("a private address") && o.stderr.contains(PRIVATE),
            "the refused hop is named:\n{}",
            o.stderr
        );
        // The files were asked for on the base (which redirected), never on
        // the storage address.
        let on_base = s.b.file_requests().len();
        assert!(on_base > 0, "no file was asked for on the base");
        assert_eq!(s.storage_requests(), 0, "the private address was reached");
    });
}

#[test]
fn manifest_urls_on_loopback_are_refused_before_any_request_to_them() {
    in_netns(&[PUBLIC], || {
        let s = setup(PUBLIC, "127.0.0.1", "export-off-origin-files");
        let o = s.export();
        assert_ne!(o.code, 0, "the export went through:\n{}", o.stderr);
        assert!(
            o.stderr.contains("a loopback address") && o.stderr.contains("127.0.0.1"),
            "the refused URL is named:\n{}",
            o.stderr
        );
        assert_eq!(s.storage_requests(), 0, "loopback was reached");
        // The job itself ran: refused were its file URLs, not the server.
        assert!(!s.b.polls().is_empty());
    });
}

#[test]
fn a_base_on_a_private_address_may_redirect_to_another_private_one() {
    in_netns(&[PRIVATE, PRIVATE_2], || {
        let s = setup(PRIVATE, PRIVATE_2, "export-file-redirect");
        let o = s.export();
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(o.json()["resources"]["Patient"], 20);
        assert!(s.storage_requests() > 0, "the storage hop was followed");
    });
}

#[test]
fn a_later_manifest_page_leading_inside_is_refused_before_its_files() {
    in_netns(&[PUBLIC, PRIVATE], || {
        // Files of 5 lines: 20 Patients make 4 files, 2 pages of 2.
        let s = setup_with(PUBLIC, PRIVATE, "export-later-pages-off-origin", |o| {
            o.export_file_lines = 5;
        });
        let o = s.b.export(&[
            "--cacert",
            path(&s.ca),
            "--type",
            "Patient",
            "--partial-manifests",
        ]);
        assert_ne!(o.code, 0, "the export went through:\n{}", o.stderr);
        assert!(
            o.stderr.contains("a private address") && o.stderr.contains(PRIVATE),
            "the refused page is named:\n{}",
            o.stderr
        );
        // The second page was asked for, and the first page's files came
        // from the base; nothing reached the private address.
        let pages =
            s.b.polls()
                .iter()
                .filter(|r| r.param("page") == Some("2"))
                .count();
        assert!(pages > 0, "the second page was never asked for");
        assert!(
            !s.b.file_requests().is_empty(),
            "page 1's files were not fetched"
        );
        assert_eq!(s.storage_requests(), 0, "the private address was reached");
    });
}
