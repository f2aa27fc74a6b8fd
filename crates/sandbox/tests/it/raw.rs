//! Raw HTTP/1.1 over TCP, for requests a client library would refuse or
//! tidy up first: dot segments, half-sent request heads, idle connections.

use std::net::SocketAddr;
use std::time::Duration;

use smart_sandbox::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The sandbox's listening address.
pub fn addr(sb: &Sandbox) -> SocketAddr {
    sb.origin().socket_addrs(|| None).unwrap()[0]
}

/// Sends `GET {target}` exactly as written (no normalization) and returns
/// the whole response, head and body.
pub async fn get(sb: &Sandbox, target: &str, token: &str) -> String {
    let mut tcp = TcpStream::connect(addr(sb)).await.unwrap();
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        addr(sb)
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the response within 10 s")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw response.
pub fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}
