//! The loopback redirect listener's HTTP: just enough HTTP/1.1 to read one
//! request head per connection and answer it, with bounds, because any local
//! process (or a web page, through the browser) can connect to it.
//!
//! - A head larger than [`MAX_HEAD`] gets `431` and the connection is closed;
//!   nothing is buffered beyond it.
//! - A connection that has not sent its whole head within [`HEAD_TIMEOUT`] is
//!   closed.
//! - At most [`MAX_READING`] connections are read at once. One more closes
//!   the oldest still unread instead of being refused: idle connections then
//!   cannot crowd out the browser's, which sends its head as soon as it
//!   connects.
//! - At most [`MAX_QUEUED`] heads wait for an answer; beyond that, `503`.
//!
//! Every connection is answered once and closed (`Connection: close`): a
//! browser needs no keep-alive for one redirect.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Browsers send 1–2 KiB; cookies set by other servers on 127.0.0.1 can add
/// more. Node's default limit.
pub const MAX_HEAD: usize = 16 * 1024;
/// A browser sends its head right after connecting.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections whose head is still being read.
pub const MAX_READING: usize = 16;
/// Requests read and not yet answered.
pub const MAX_QUEUED: usize = 16;
/// A client that does not read its answer does not hold us up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The bounds in force (the constants above, but for tests that cannot wait
/// ten seconds).
#[derive(Debug, Clone, Copy)]
struct Limits {
    head_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_timeout: HEAD_TIMEOUT,
        }
    }
}

/// One request: its target (path and query) and the connection to answer on.
pub struct Request {
    target: String,
    stream: TcpStream,
}

impl Request {
    /// The request target as sent, e.g. `/callback?code=…&state=…`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Answers and closes the connection. A client gone by then is no error
    /// of ours.
    pub fn respond(self, status: u16, headers: &[(&str, &str)], body: &str) {
        let _ = write_response(&self.stream, status, headers, body.as_bytes());
    }
}

/// A bound listener; requests arrive through [`Server::recv_timeout`].
pub struct Server {
    addr: SocketAddr,
    incoming: Mutex<Receiver<Request>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Listens on `127.0.0.1:port` (0 = ephemeral) and starts accepting.
    pub fn bind(port: u16) -> std::io::Result<Server> {
        Server::bind_with(port, Limits::default())
    }

    fn bind_with(port: u16, limits: Limits) -> std::io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(MAX_QUEUED);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("smart-loopback".into())
            .spawn(move || accept_loop(listener, tx, flag, limits))?;
        Ok(Server {
            addr,
            incoming: Mutex::new(rx),
            stop,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The next request, or `None` after `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Request> {
        let rx = self.incoming.lock().unwrap_or_else(PoisonError::into_inner);
        // Disconnected only once the accept loop has ended (closed).
        rx.recv_timeout(timeout).ok()
    }

    /// Stops accepting: the port is released and later connections are
    /// refused.
    pub fn close(&self) {
        if !self.stop.swap(true, Ordering::SeqCst) {
            // Wakes the accept loop, which then sees the flag and returns
            // (dropping the listening socket).
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

/// Connections being read, oldest first, by number (clones of their
/// sockets, to close them from here).
type Reading = Arc<Mutex<VecDeque<(u64, TcpStream)>>>;

fn accept_loop(
    listener: TcpListener,
    tx: SyncSender<Request>,
    stop: Arc<AtomicBool>,
    limits: Limits,
) {
    let reading: Reading = Arc::default();
    let mut number = 0u64;
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match conn {
            Ok(s) => s,
            // Out of file descriptors, say: give the others time to close.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        number += 1;
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        {
            let mut r = reading.lock().unwrap_or_else(PoisonError::into_inner);
            while r.len() >= MAX_READING {
                if let Some((_, oldest)) = r.pop_front() {
                    let _ = oldest.shutdown(Shutdown::Both);
                }
            }
            r.push_back((number, handle));
        }
        let (queue, list, id) = (tx.clone(), reading.clone(), number);
        let spawned = std::thread::Builder::new()
            .name("smart-loopback-conn".into())
            .spawn(move || serve(stream, id, &list, &queue, limits));
        if spawned.is_err() {
            forget(&reading, number);
        }
    }
}

fn forget(reading: &Reading, id: u64) {
    reading
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|(n, _)| *n != id);
}

/// Reads one head and queues the request, or answers the failure.
fn serve(
    mut stream: TcpStream,
    id: u64,
    reading: &Reading,
    tx: &SyncSender<Request>,
    limits: Limits,
) {
    let head = read_head(&mut stream, Instant::now() + limits.head_timeout);
    forget(reading, id);
    let target = match head {
        Head::Target(t) => t,
        Head::TooLarge => {
            let _ = write_response(&stream, 431, &[], b"");
            return;
        }
        Head::Malformed => {
            let _ = write_response(&stream, 400, &[], b"");
            return;
        }
        Head::Gone => return,
    };
    let _ = stream.set_read_timeout(None);
    match tx.try_send(Request { target, stream }) {
        Ok(()) => {}
        Err(TrySendError::Full(r)) => r.respond(503, &[("Retry-After", "1")], ""),
        Err(TrySendError::Disconnected(_)) => {}
    }
}

enum Head {
    Target(String),
    TooLarge,
    Malformed,
    /// Closed, timed out, or pushed out by newer connections.
    Gone,
}

fn read_head(stream: &mut TcpStream, deadline: Instant) -> Head {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = head_end(&buf) {
            return if end > MAX_HEAD {
                Head::TooLarge
            } else {
                parse_request_line(&buf[..end])
            };
        }
        if buf.len() > MAX_HEAD {
            return Head::TooLarge;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Head::Gone;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Head::Gone,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Head::Gone,
        }
    }
}

/// Where the head ends (after its blank line); a bare LF is accepted as a
/// line end (RFC 9112 §2.2).
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `METHOD SP /target SP HTTP/1.x`: the target, in origin form.
fn parse_request_line(head: &[u8]) -> Head {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let Ok(line) = std::str::from_utf8(&head[..line_end]) else {
        return Head::Malformed;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None)
            if !m.is_empty() && t.starts_with('/') && v.starts_with("HTTP/1.") =>
        {
            Head::Target(t.to_owned())
        }
        _ => Head::Malformed,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_response(
    mut stream: &TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        // Our own values; a line break would split the response.
        debug_assert!(!value.contains(['\r', '\n']), "{name}");
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    stream.shutdown(Shutdown::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(port: u16) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    fn send(port: u16, target: &str) -> TcpStream {
        let mut s = client(port);
        write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        s
    }

    /// The status line the server answered with before it closed; empty
    /// when it closed (or reset) without one.
    fn answer(mut s: TcpStream) -> String {
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        text.lines().next().unwrap_or("").to_owned()
    }

    /// The server closed `s` (within two seconds) without answering.
    fn closed_by_server(s: &mut TcpStream) -> bool {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        match s.read(&mut [0u8; 16]) {
            Ok(n) => n == 0,
            Err(e) => e.kind() == ErrorKind::ConnectionReset,
        }
    }

    #[test]
    fn idle_and_huge_connections_do_not_hold_up_the_real_request() {
        let server = Server::bind(0).unwrap();
        let port = server.port();
        let mut idle: Vec<TcpStream> = (0..2 * MAX_READING).map(|_| client(port)).collect();
        let huge = std::thread::spawn(move || {
            let mut s = client(port);
            let mut head = b"GET /callback HTTP/1.1\r\nX-Big: ".to_vec();
            head.resize(1 << 20, b'a');
            // The server stops reading long before the end.
            let _ = s.write_all(&head);
            answer(s)
        });
        let started = Instant::now();
        let real = send(port, "/callback?code=c&state=s");
        let req = server
            .recv_timeout(Duration::from_secs(5))
            .expect("the real request is served");
        assert_eq!(req.target(), "/callback?code=c&state=s");
        req.respond(200, &[("Content-Type", "text/plain")], "ok");
        assert!(answer(real).starts_with("HTTP/1.1 200"));
        assert!(started.elapsed() < Duration::from_secs(5));

        let big = huge.join().unwrap();
        assert!(big.is_empty() || big.starts_with("HTTP/1.1 431"), "{big}");
        assert!(
            server.recv_timeout(Duration::from_millis(200)).is_none(),
            "the huge head was not passed on"
        );
        // The silent ones did not pile up: the oldest were closed to make
        // room for newer connections.
        for (i, s) in idle.iter_mut().take(MAX_READING).enumerate() {
            assert!(closed_by_server(s), "idle connection {i} still open");
        }
    }

    #[test]
    fn a_connection_that_sends_no_head_in_time_is_closed() {
        let server = Server::bind_with(
            0,
            Limits {
                head_timeout: Duration::from_millis(300),
            },
        )
        .unwrap();
        let mut silent = client(server.port());
        let mut partial = client(server.port());
        partial
            .write_all(b"GET /callback?code=c HTTP/1.1\r\nHost")
            .unwrap();
        let started = Instant::now();
        assert!(closed_by_server(&mut silent));
        assert!(closed_by_server(&mut partial));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(server.recv_timeout(Duration::from_millis(50)).is_none());
    }

    #[test]
    fn requests_beyond_the_queue_get_503() {
        let server = Server::bind(0).unwrap();
        let port = server.port();
        // Nobody answers: the queue fills up.
        let waiting: Vec<TcpStream> = (0..=MAX_QUEUED)
            .map(|i| send(port, &format!("/r{i}")))
            .collect();
        // Polled, not slept on: a loaded machine may take its time to
        // answer the one request too many.
        let mut waiting: Vec<(TcpStream, Vec<u8>)> =
            waiting.into_iter().map(|s| (s, Vec::new())).collect();
        for (s, _) in &waiting {
            s.set_nonblocking(true).unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let busy = loop {
            for (s, got) in &mut waiting {
                let mut out = [0u8; 64];
                if let Ok(n) = s.read(&mut out) {
                    got.extend_from_slice(&out[..n]);
                }
            }
            let busy = waiting
                .iter()
                .filter(|(_, got)| got.starts_with(b"HTTP/1.1 503"))
                .count();
            if busy > 0 || std::time::Instant::now() > deadline {
                break busy;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(busy, 1, "one request too many");
        // The others were queued, not turned away: each is there to take.
        for i in 0..MAX_QUEUED {
            let r = server
                .recv_timeout(Duration::from_secs(10))
                .expect("queued");
            assert!(r.target().starts_with("/r"), "{i}");
        }
    }

    #[test]
    fn request_lines_are_read_strictly() {
        let target = |s: &str| match parse_request_line(s.as_bytes()) {
            Head::Target(t) => Some(t),
            _ => None,
        };
        assert_eq!(
            target("GET /callback?code=a&state=b HTTP/1.1\r\nHost: x\r\n\r\n").as_deref(),
            Some("/callback?code=a&state=b")
        );
        assert_eq!(target("GET / HTTP/1.0\n\n").as_deref(), Some("/"));
        for bad in [
            "GET http://evil/ HTTP/1.1\r\n\r\n",
            "GET /a b HTTP/1.1\r\n\r\n",
            "GET /\r\n\r\n",
            " / HTTP/1.1\r\n\r\n",
            "GET / SPDY/3\r\n\r\n",
        ] {
            assert!(target(bad).is_none(), "{bad:?}");
        }
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nbody"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }
}
