//! The `tls-legacy` fault: a server that still speaks TLS 1.0/1.1, made
//! without speaking them. rustls refuses a ClientHello that offers nothing
//! newer with an alert; under the fault the TLS listener looks at the first
//! record first, and answers such a hello with a hand-made TLS 1.1
//! ServerHello record (then closes: nothing more is needed to show what a
//! legacy server would do). Every other hello goes on to rustls.

/// What the first bytes of a connection are, as far as the fault cares.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Hello {
    /// Not enough bytes yet.
    Partial,
    /// A ClientHello offering TLS 1.1 at most: its version and first suite.
    LegacyOnly { version: u16, suite: u16 },
    /// Anything else (a modern hello, not TLS).
    Other,
}

const SUPPORTED_VERSIONS: u16 = 0x002b;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Reads a ClientHello record: legacy-only when its `client_version` is
/// TLS 1.1 or older and it has no `supported_versions` extension (which a
/// TLS 1.3 client sends, whatever its `client_version` says).
pub(crate) fn classify(b: &[u8]) -> Hello {
    if b.len() < 5 {
        return Hello::Partial;
    }
    if b[0] != 0x16 || b[1] != 0x03 {
        return Hello::Other;
    }
    let len = usize::from(u16::from_be_bytes([b[3], b[4]]));
    if b.len() < 5 + len {
        return Hello::Partial;
    }
    let hs = &b[5..5 + len];
    if hs.first() != Some(&0x01) {
        return Hello::Other;
    }
    let parse = || -> Option<Hello> {
        let body = hs.get(4..)?;
        let version = be16(body, 0)?;
        let mut at = 2 + 32;
        at += 1 + usize::from(*body.get(at)?); // session id
        let suites = usize::from(be16(body, at)?);
        let suite = be16(body, at + 2)?;
        at += 2 + suites;
        at += 1 + usize::from(*body.get(at)?); // compression methods
        let mut modern = false;
        if let Some(ext_len) = be16(body, at) {
            let end = at + 2 + usize::from(ext_len);
            at += 2;
            while at + 4 <= end {
                let (kind, len) = (be16(body, at)?, usize::from(be16(body, at + 2)?));
                modern |= kind == SUPPORTED_VERSIONS;
                at += 4 + len;
            }
        }
        Some(if version <= 0x0302 && !modern {
            Hello::LegacyOnly { version, suite }
        } else {
            Hello::Other
        })
    };
    parse().unwrap_or(Hello::Other)
}

/// A ServerHello record choosing `version` and `suite`, as a TLS 1.0/1.1
/// server answers.
pub(crate) fn server_hello(version: u16, suite: u16, random: [u8; 32]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&random);
    body.push(0); // no session id
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0); // null compression
    let mut hs = vec![0x02];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16];
    rec.extend_from_slice(&version.to_be_bytes());
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// Under the fault: peeks at the connection's first record and, for a
/// legacy-only hello, answers it with a ServerHello and closes. `true`
/// when it did (the connection is done).
pub(crate) async fn answer_legacy(tcp: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncWriteExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match tcp.peek(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        match classify(&buf[..n]) {
            Hello::Partial if n < buf.len() => {
                // Not all of it yet: wait for more (the caller's deadline
                // bounds this, as it bounds the handshake).
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Hello::LegacyOnly { version, suite } => {
                let _ = tcp
                    .write_all(&server_hello(version, suite, rand::random()))
                    .await;
                let _ = tcp.shutdown().await;
                return true;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.1 ClientHello as `openssl s_client -tls1_1` sends it, cut
    /// down to what matters: version, random, suites, compression, and an
    /// extension that is not supported_versions.
    fn hello(version: u16, extensions: &[u8]) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend_from_slice(&[9; 32]);
        body.push(0);
        body.extend_from_slice(&[0x00, 0x04, 0xc0, 0x13, 0x00, 0x2f]);
        body.extend_from_slice(&[0x01, 0x00]);
        body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        body.extend_from_slice(extensions);
        let mut hs = vec![0x01, 0x00];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 0x03, 0x01];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn a_tls_1_1_only_hello_is_legacy() {
        let ec_points = [0x00, 0x0b, 0x00, 0x02, 0x01, 0x00];
        assert_eq!(
            classify(&hello(0x0302, &ec_points)),
            Hello::LegacyOnly {
                version: 0x0302,
                suite: 0xc013
            }
        );
        assert!(matches!(
            classify(&hello(0x0301, &[])),
            Hello::LegacyOnly {
                version: 0x0301,
                ..
            }
        ));
    }

    #[test]
    fn modern_hellos_and_other_bytes_are_not() {
        // TLS 1.2 client_version.
        assert_eq!(classify(&hello(0x0303, &[])), Hello::Other);
        // A TLS 1.3 client: legacy version 1.2 and supported_versions; and a
        // (made-up) 1.1 one that still offers 1.3 through the extension.
        let sv = [0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04];
        assert_eq!(classify(&hello(0x0302, &sv)), Hello::Other);
        assert_eq!(classify(b"GET / HTTP/1.1\r\n"), Hello::Other);
        let h = hello(0x0302, &[]);
        assert_eq!(classify(&h[..h.len() - 1]), Hello::Partial);
        assert_eq!(classify(&h[..3]), Hello::Partial);
    }

    #[test]
    fn the_server_hello_is_a_tls_1_1_record() {
        let r = server_hello(0x0302, 0xc013, [1; 32]);
        assert_eq!(&r[..3], &[0x16, 0x03, 0x02]);
        assert_eq!(usize::from(u16::from_be_bytes([r[3], r[4]])), r.len() - 5);
        assert_eq!(r[5], 0x02, "ServerHello");
        assert_eq!(&r[9..11], &[0x03, 0x02], "server_version TLS 1.1");
        assert_eq!(&r[r.len() - 3..], &[0xc0, 0x13, 0x00]);
    }
}
