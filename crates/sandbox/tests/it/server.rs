//! The server's own limits, over raw TCP: a deadline for each request head
//! (no slowloris) and a cap on open connections.

use std::time::{Duration, Instant};

use smart_sandbox::{Options, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::raw;

async fn start(header_read_timeout: Duration, max_connections: usize) -> Sandbox {
    Sandbox::start(Options {
        header_read_timeout,
        max_connections,
        ..Options::default()
    })
    .await
    .expect("sandbox starts")
}

/// Reads until the server closes the connection; (bytes read, how long).
/// Panics if it is still open after `limit`.
async fn until_closed(tcp: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection was still open after {limit:?}"
    );
    (out, started.elapsed())
}

#[tokio::test]
async fn a_slow_request_head_is_cut_off_at_the_header_timeout() {
    // Whole seconds: a loaded machine must not cut off the head that
    // arrives in time.
    let timeout = Duration::from_secs(2);
    let sb = start(timeout, 16).await;
    for (what, sent) in [
        (
            "half an HTTP/1.1 head",
            &b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\n"[..],
        ),
        ("nothing at all", &b""[..]),
        ("half an HTTP/2 preface", &b"PRI * HTTP/2.0\r\n"[..]),
    ] {
        let mut tcp = TcpStream::connect(raw::addr(&sb)).await.unwrap();
        tcp.write_all(sent).await.unwrap();
        let (got, took) = until_closed(&mut tcp, Duration::from_secs(5)).await;
        assert!(took >= timeout / 2, "{what}: closed after {took:?}");
        let text = String::from_utf8_lossy(&got);
        assert!(
            got.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{what}: {text}"
        );
    }
    // A head that arrives in time, in pieces, is answered.
    let mut tcp = TcpStream::connect(raw::addr(&sb)).await.unwrap();
    tcp.write_all(b"GET /fhir/metadata HTTP/1.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(timeout / 4).await;
    tcp.write_all(b"Host: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (got, _) = until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&String::from_utf8_lossy(&got)), 200);
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let sb = start(Duration::from_secs(30), 2).await;
    let idle_a = TcpStream::connect(raw::addr(&sb)).await.unwrap();
    let _idle_b = TcpStream::connect(raw::addr(&sb)).await.unwrap();
    let mut third = TcpStream::connect(raw::addr(&sb)).await.unwrap();
    third
        .write_all(b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "the third connection was served while two were open: {early:?}"
    );
    drop(idle_a);
    let (got, _) = until_closed(&mut third, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&String::from_utf8_lossy(&got)), 200);
}
