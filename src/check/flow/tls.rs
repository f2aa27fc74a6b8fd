//! Whether a server still speaks TLS 1.0 or 1.1. rustls cannot speak them,
//! so the probe is made by hand: a ClientHello that offers only TLS 1.0 and
//! 1.1 (no `supported_versions` extension, so nothing newer) sent over a
//! plain TCP socket, and a look at the first record that comes back. A
//! ServerHello for 1.0/1.1 means the server would go on with it; an alert
//! or a closed connection means it refused. The bytes in and out are pure
//! functions ([`legacy_client_hello`], [`read_first_record`]), tested on
//! samples below.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// TLS record content types and handshake message types we look at.
const HANDSHAKE: u8 = 0x16;
const ALERT: u8 = 0x15;
const SERVER_HELLO: u8 = 0x02;

/// The highest version the hello offers: TLS 1.1.
const TLS_1_1: u16 = 0x0302;

/// What the server's first record said to a TLS 1.0/1.1-only ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Legacy {
    /// A ServerHello choosing this version (0x0301 = TLS 1.0, 0x0302 = 1.1).
    Accepted(u16),
    /// A ServerHello choosing a version we did not offer (a broken server,
    /// but not one that speaks 1.0/1.1).
    ChoseOther(u16),
    /// An alert: its level and description (70 = protocol_version).
    Alert(u8, u8),
    /// The connection closed (or was reset) before any record.
    Closed,
    /// Bytes that are no TLS record (plain HTTP on a TLS port…).
    NotTls,
}

impl Legacy {
    /// Whether the server refused to speak TLS 1.0/1.1.
    pub fn refused(&self) -> bool {
        !matches!(self, Legacy::Accepted(_) | Legacy::NotTls)
    }

    pub fn describe(&self) -> String {
        match self {
            Legacy::Accepted(v) => {
                format!("it answered with a ServerHello for {}", version_name(*v))
            }
            Legacy::ChoseOther(v) => format!(
                "it answered with a ServerHello for {}, which the hello did not offer",
                version_name(*v)
            ),
            Legacy::Alert(_, d) => match alert_name(*d) {
                Some(name) => format!("refused with a {name} alert"),
                None => format!("refused with alert {d}"),
            },
            Legacy::Closed => "refused: the connection was closed".to_owned(),
            Legacy::NotTls => "its answer is not a TLS record".to_owned(),
        }
    }
}

/// The alerts a server refuses an old hello with (RFC 5246 §7.2).
fn alert_name(d: u8) -> Option<&'static str> {
    Some(match d {
        40 => "handshake_failure",
        47 => "illegal_parameter",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        _ => return None,
    })
}

pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        0x0303 => "TLS 1.2".to_owned(),
        0x0304 => "TLS 1.3".to_owned(),
        v => format!("version 0x{v:04x}"),
    }
}

fn u16be(v: usize) -> [u8; 2] {
    (v as u16).to_be_bytes()
}

/// A ClientHello record offering TLS 1.1 at most, with CBC suites every
/// TLS 1.0/1.1 server has, and `host` as SNI when it is a DNS name.
pub fn legacy_client_hello(host: &str, random: [u8; 32]) -> Vec<u8> {
    const SUITES: &[u16] = &[
        0xC014, // ECDHE_RSA_WITH_AES_256_CBC_SHA
        0xC013, // ECDHE_RSA_WITH_AES_128_CBC_SHA
        0xC00A, // ECDHE_ECDSA_WITH_AES_256_CBC_SHA
        0xC009, // ECDHE_ECDSA_WITH_AES_128_CBC_SHA
        0x0035, // RSA_WITH_AES_256_CBC_SHA
        0x002F, // RSA_WITH_AES_128_CBC_SHA
        0x000A, // RSA_WITH_3DES_EDE_CBC_SHA
        0x00FF, // EMPTY_RENEGOTIATION_INFO_SCSV
    ];
    let mut ext = Vec::new();
    // SNI for names only (RFC 6066: no IP literals).
    if host.parse::<std::net::IpAddr>().is_err() && !host.starts_with('[') {
        let name = host.as_bytes();
        ext.extend_from_slice(&[0x00, 0x00]);
        ext.extend_from_slice(&u16be(name.len() + 5));
        ext.extend_from_slice(&u16be(name.len() + 3));
        ext.push(0x00);
        ext.extend_from_slice(&u16be(name.len()));
        ext.extend_from_slice(name);
    }
    // supported_groups: x25519, secp256r1, secp384r1.
    ext.extend_from_slice(&[
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    // ec_point_formats: uncompressed.
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);

    let mut body = Vec::new();
    body.extend_from_slice(&TLS_1_1.to_be_bytes());
    body.extend_from_slice(&random);
    body.push(0); // no session id
    body.extend_from_slice(&u16be(SUITES.len() * 2));
    for s in SUITES {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[0x01, 0x00]); // compression: null
    body.extend_from_slice(&u16be(ext.len()));
    body.extend_from_slice(&ext);

    let mut hs = vec![0x01];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);

    // The record layer says TLS 1.0, as clients do for compatibility.
    let mut rec = vec![HANDSHAKE, 0x03, 0x01];
    rec.extend_from_slice(&u16be(hs.len()));
    rec.extend_from_slice(&hs);
    rec
}

/// What the first bytes a server sent say. `None`: not enough bytes yet to
/// tell (read more, unless the connection ended).
pub fn read_first_record(bytes: &[u8]) -> Option<Legacy> {
    let (&kind, rest) = bytes.split_first()?;
    // A record header: type, version 3.x, length.
    if !matches!(kind, HANDSHAKE | ALERT | 0x14 | 0x17) {
        return Some(Legacy::NotTls);
    }
    match rest.first() {
        None => return None,
        Some(3) => {}
        Some(_) => return Some(Legacy::NotTls),
    }
    if rest.len() < 4 {
        return None;
    }
    let body = &rest[4..];
    match kind {
        ALERT => match body {
            [level, description, ..] => Some(Legacy::Alert(*level, *description)),
            _ => None,
        },
        HANDSHAKE => match body {
            // msg type, 3 length bytes, then the server's version.
            [SERVER_HELLO, _, _, _, hi, lo, ..] => {
                let v = u16::from_be_bytes([*hi, *lo]);
                Some(if v <= TLS_1_1 {
                    Legacy::Accepted(v)
                } else {
                    Legacy::ChoseOther(v)
                })
            }
            [SERVER_HELLO, ..] | [] => None,
            // Another handshake message first: no ServerHello for us.
            [_, ..] => Some(Legacy::NotTls),
        },
        _ => Some(Legacy::NotTls),
    }
}

/// Sends the legacy hello to `host:port` and reads the first record.
pub async fn probe(host: &str, port: u16, wait: Duration) -> Result<Legacy, String> {
    let work = async {
        let addr = host.trim_start_matches('[').trim_end_matches(']');
        let mut tcp = tokio::net::TcpStream::connect((addr, port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let random: [u8; 32] = rand::random();
        tcp.write_all(&legacy_client_hello(host, random))
            .await
            .map_err(|e| format!("cannot send the hello: {e}"))?;
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        loop {
            if let Some(l) = read_first_record(&got) {
                return Ok(l);
            }
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) if got.is_empty() => return Ok(Legacy::Closed),
                Ok(0) | Err(_) => return Ok(Legacy::NotTls),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            if got.len() > 64 {
                return Ok(Legacy::NotTls);
            }
        }
    };
    tokio::time::timeout(wait, work)
        .await
        .unwrap_or_else(|_| Err(format!("{host}:{port} sent nothing in {}s", wait.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hello_offers_tls_1_1_at_most_and_is_well_formed() {
        let h = legacy_client_hello("fhir.example.org", [7; 32]);
        assert_eq!(&h[..3], &[0x16, 0x03, 0x01]);
        let len = u16::from_be_bytes([h[3], h[4]]) as usize;
        assert_eq!(h.len(), 5 + len);
        assert_eq!(h[5], 0x01, "a ClientHello");
        let hs_len = u32::from_be_bytes([0, h[6], h[7], h[8]]) as usize;
        assert_eq!(hs_len, len - 4);
        assert_eq!(&h[9..11], &[0x03, 0x02], "client_version TLS 1.1");
        assert_eq!(&h[11..43], &[7; 32]);
        // The extensions: SNI, groups, point formats, and no
        // supported_versions (0x002b), so nothing above 1.1 is offered.
        assert_eq!(extension_types(&h), [0x0000, 0x000a, 0x000b]);
        assert!(h.windows(16).any(|w| w == b"fhir.example.org"));
        // No SNI for an address.
        let ip = legacy_client_hello("127.0.0.1", [7; 32]);
        assert_eq!(extension_types(&ip), [0x000a, 0x000b]);
    }

    /// The extension types of a ClientHello record, in order.
    fn extension_types(h: &[u8]) -> Vec<u16> {
        let body = &h[9..];
        let be = |at: usize| usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
        let mut at = 2 + 32;
        at += 1 + usize::from(body[at]);
        at += 2 + be(at);
        at += 1 + usize::from(body[at]);
        let end = at + 2 + be(at);
        at += 2;
        let mut types = Vec::new();
        while at < end {
            types.push(be(at) as u16);
            at += 4 + be(at + 2);
        }
        assert_eq!(at, end, "the extensions fill their length exactly");
        assert_eq!(end, body.len(), "nothing after the extensions");
        types
    }

    #[test]
    fn a_tls_1_1_server_hello_is_an_acceptance() {
        // A ServerHello record as a TLS 1.1 server sends it (truncated after
        // the version: that is all the probe reads).
        let hello = [
            0x16, 0x03, 0x02, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x46, 0x03, 0x02,
        ];
        assert_eq!(read_first_record(&hello), Some(Legacy::Accepted(0x0302)));
        let tls10 = [
            0x16, 0x03, 0x01, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x46, 0x03, 0x01,
        ];
        assert_eq!(read_first_record(&tls10), Some(Legacy::Accepted(0x0301)));
        assert!(!Legacy::Accepted(0x0301).refused());
    }

    #[test]
    fn an_alert_or_a_close_is_a_refusal() {
        // What rustls and OpenSSL send: fatal protocol_version.
        let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46];
        assert_eq!(read_first_record(&alert), Some(Legacy::Alert(2, 70)));
        assert!(Legacy::Alert(2, 70).refused());
        assert_eq!(
            Legacy::Alert(2, 40).describe(),
            "refused with a handshake_failure alert"
        );
        assert!(Legacy::Closed.refused());
        // A ServerHello for 1.2 to a 1.1-only hello: broken, but no 1.1.
        let other = [
            0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x46, 0x03, 0x03,
        ];
        assert_eq!(read_first_record(&other), Some(Legacy::ChoseOther(0x0303)));
    }

    #[test]
    fn partial_records_ask_for_more_and_other_bytes_are_not_tls() {
        for partial in [
            &[][..],
            &[0x16],
            &[0x16, 0x03, 0x02, 0x00],
            &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02],
        ] {
            assert_eq!(read_first_record(partial), None, "{partial:?}");
        }
        assert_eq!(
            read_first_record(&[0x16, 0x03, 0x02, 0x00, 0x4a, 0x02, 0x00]),
            None
        );
        assert_eq!(
            read_first_record(b"HTTP/1.1 400 Bad Request"),
            Some(Legacy::NotTls)
        );
        assert_eq!(read_first_record(&[0x16, 0x07]), Some(Legacy::NotTls));
        // A Certificate before any ServerHello is no answer to our hello.
        let cert = [0x16, 0x03, 0x02, 0x00, 0x10, 0x0b, 0x00, 0x00, 0x0c];
        assert_eq!(read_first_record(&cert), Some(Legacy::NotTls));
    }
}
