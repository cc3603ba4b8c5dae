//! A small HTTPS/1.1 client that runs entirely in the calling thread: rustls over a blocking
//! `TcpStream`, with a pool of kept-alive connections per endpoint.
//!
//! It replaces reqwest's blocking client, which runs a Tokio runtime on a thread of its own:
//! p11-kit and GnuTLS initialise modules with `CKF_LIBRARY_CANT_CREATE_OS_THREADS`, a forked
//! child must not inherit a runtime, and a round trip through another thread costs latency.
//! Only what kmsd speaks is supported: `Content-Length` or chunked bodies, keep-alive.
//! Connections have TCP keepalive on, so a peer that vanished without a FIN (host down, cable
//! cut) is noticed on an idle pooled connection too.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use zeroize::Zeroizing;

/// Largest response head (status line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// Largest response body the module accepts (a malicious daemon must not exhaust memory).
const MAX_RESPONSE: usize = 16 << 20;
/// Connections kept per pool (per slot).
const MAX_IDLE: usize = 16;
/// An idle connection older than this is not reused (kmsd may have closed it).
const IDLE_LIFETIME: Duration = Duration::from_secs(50);
/// TCP keepalive: first probe after this much idle time …
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// … then one every this often.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// An HTTPS endpoint: `https://host:port`.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `host:port` for DNS and the `Host` header.
    authority: String,
    server_name: ServerName<'static>,
}

impl Endpoint {
    /// `host:port`.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// The name the server certificate must carry.
    pub(crate) fn server_name(&self) -> &ServerName<'static> {
        &self.server_name
    }
}

impl Endpoint {
    /// Parses `https://host[:port]` (default port 443).
    pub(crate) fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| format!("{url}: not https://"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!("{url}: expected https://host:port"));
        }
        let (host, authority) = match authority.rsplit_once(':') {
            Some((h, _)) if !h.ends_with(']') && h.contains(':') => {
                (authority, format!("[{authority}]:443"))
            }
            Some((h, p)) => {
                p.parse::<u16>().map_err(|_| format!("{url}: bad port"))?;
                (h, authority.to_string())
            }
            None => (authority, format!("{authority}:443")),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let server_name =
            ServerName::try_from(host.to_string()).map_err(|_| format!("{url}: bad host name"))?;
        Ok(Endpoint {
            authority,
            server_name,
        })
    }
}

/// A response: status and body.
pub(crate) struct Response {
    /// HTTP status code.
    pub(crate) status: u16,
    /// Body bytes (may hold secrets: wiped on drop).
    pub(crate) body: Zeroizing<Vec<u8>>,
}

/// Why a request failed. Only `Connect` guarantees the request was not sent.
#[derive(Debug)]
pub(crate) enum HttpError {
    /// Could not connect or complete the TLS handshake.
    Connect,
    /// The deadline passed.
    Timeout,
    /// Anything else after the request may have been sent (I/O, malformed response).
    Failed,
}

fn classify(e: &io::Error) -> HttpError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::Timeout,
        _ => HttpError::Failed,
    }
}

struct Idle {
    endpoint: usize,
    since: Instant,
    stream: Tls,
}

/// Connections to a slot's endpoints.
pub(crate) struct Pool {
    tls: Arc<ClientConfig>,
    connect_timeout: Duration,
    idle: Mutex<Vec<Idle>>,
}

impl Pool {
    pub(crate) fn new(tls: ClientConfig, connect_timeout: Duration) -> Pool {
        Pool {
            tls: Arc::new(tls),
            connect_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Drops the idle connections to `endpoint` (it failed: they are likely dead too).
    pub(crate) fn forget(&self, endpoint: usize) {
        self.idle.lock().retain(|c| c.endpoint != endpoint);
    }

    /// A kept-alive connection to `endpoint` that kmsd has not closed meanwhile. A request is
    /// only ever sent once: a connection found closed here is dropped before anything is sent,
    /// so there is no retry that could run a key operation twice.
    fn take_idle(&self, endpoint: usize) -> Option<Tls> {
        let mut idle = self.idle.lock();
        idle.retain(|c| c.since.elapsed() < IDLE_LIFETIME);
        while let Some(i) = idle.iter().rposition(|c| c.endpoint == endpoint) {
            let conn = idle.swap_remove(i);
            if still_open(&conn.stream.sock) {
                return Some(conn.stream);
            }
        }
        None
    }

    fn put_idle(&self, endpoint: usize, stream: Tls) {
        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                endpoint,
                since: Instant::now(),
                stream,
            });
        }
    }

    fn connect(&self, ep: &Endpoint, deadline: Instant) -> Result<Tls, HttpError> {
        let addrs: Vec<SocketAddr> = ep
            .authority
            .to_socket_addrs()
            .map_err(|_| HttpError::Connect)?
            .collect();
        let tcp = addrs
            .iter()
            .find_map(|a| {
                let left = deadline.saturating_duration_since(Instant::now());
                let limit = self.connect_timeout.min(left);
                if limit.is_zero() {
                    return None;
                }
                TcpStream::connect_timeout(a, limit).ok()
            })
            .ok_or(HttpError::Connect)?;
        tcp.set_nodelay(true).map_err(|_| HttpError::Connect)?;
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(KEEPALIVE_IDLE)
            .with_interval(KEEPALIVE_INTERVAL);
        socket2::SockRef::from(&tcp)
            .set_tcp_keepalive(&keepalive)
            .map_err(|_| HttpError::Connect)?;
        let conn = ClientConnection::new(self.tls.clone(), ep.server_name.clone())
            .map_err(|_| HttpError::Connect)?;
        let mut tls = StreamOwned::new(conn, tcp);
        let handshake_deadline = deadline.min(Instant::now() + self.connect_timeout);
        while tls.conn.is_handshaking() {
            set_deadline(&tls.sock, handshake_deadline).map_err(|_| HttpError::Connect)?;
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|_| HttpError::Connect)?;
        }
        Ok(tls)
    }

    /// Sends one request to endpoint `index` and reads the whole response, all before
    /// `deadline` (connecting takes at most the connect timeout of that).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn request(
        &self,
        index: usize,
        ep: &Endpoint,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        deadline: Instant,
    ) -> Result<Response, HttpError> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            ep.authority,
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let request = Zeroizing::new([head.as_bytes(), body].concat());
        drop(Zeroizing::new(head));
        let stream = match self.take_idle(index) {
            Some(stream) => stream,
            None => self.connect(ep, deadline)?,
        };
        self.exchange(stream, index, &request, deadline)
    }

    fn exchange(
        &self,
        mut stream: Tls,
        index: usize,
        request: &[u8],
        deadline: Instant,
    ) -> Result<Response, HttpError> {
        set_deadline(&stream.sock, deadline).map_err(|e| classify(&e))?;
        stream.write_all(request).map_err(|e| classify(&e))?;
        stream.flush().map_err(|e| classify(&e))?;
        let mut reader = Reader {
            stream: &mut stream,
            buf: Vec::new(),
            deadline,
        };
        let (status, framing, keep_alive) = reader.head()?;
        let body = reader.body(framing)?;
        if keep_alive && reader.buf.is_empty() {
            self.put_idle(index, stream);
        }
        Ok(Response { status, body })
    }
}

/// Whether an idle connection is still usable: nothing to read (no EOF, no TLS alert) and no error.
fn still_open(sock: &TcpStream) -> bool {
    if sock.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = matches!(sock.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    sock.set_nonblocking(false).is_ok() && open
}

fn set_deadline(sock: &TcpStream, deadline: Instant) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    sock.set_read_timeout(Some(left))?;
    sock.set_write_timeout(Some(left))
}

/// How the body of a response is delimited.
enum Framing {
    Length(usize),
    Chunked,
}

struct Reader<'a> {
    stream: &'a mut Tls,
    buf: Vec<u8>,
    deadline: Instant,
}

impl Reader<'_> {
    fn fill(&mut self) -> Result<(), HttpError> {
        set_deadline(&self.stream.sock, self.deadline).map_err(|e| classify(&e))?;
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(HttpError::Failed),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => Err(classify(&e)),
        }
    }

    /// Takes bytes up to and including `delim`, reading more as needed (at most `max`).
    fn take_until(&mut self, delim: &[u8], max: usize) -> Result<Vec<u8>, HttpError> {
        loop {
            if let Some(i) = self.buf.windows(delim.len()).position(|w| w == delim) {
                return Ok(self.buf.drain(..i + delim.len()).collect());
            }
            if self.buf.len() > max {
                return Err(HttpError::Failed);
            }
            self.fill()?;
        }
    }

    fn take_exact(&mut self, n: usize) -> Result<Vec<u8>, HttpError> {
        if n > MAX_RESPONSE {
            return Err(HttpError::Failed);
        }
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn head(&mut self) -> Result<(u16, Framing, bool), HttpError> {
        let head = self.take_until(b"\r\n\r\n", MAX_HEAD)?;
        let text = std::str::from_utf8(&head).map_err(|_| HttpError::Failed)?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().ok_or(HttpError::Failed)?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        let status = parts
            .next()
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or(HttpError::Failed)?;
        if !version.starts_with("HTTP/1.") {
            return Err(HttpError::Failed);
        }
        let (mut length, mut chunked, mut keep_alive) = (None, false, version == "HTTP/1.1");
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').ok_or(HttpError::Failed)?;
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => {
                    length = Some(value.parse::<usize>().map_err(|_| HttpError::Failed)?)
                }
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" if value.eq_ignore_ascii_case("close") => keep_alive = false,
                _ => {}
            }
        }
        let framing = match (chunked, length) {
            (true, _) => Framing::Chunked,
            (false, Some(n)) => Framing::Length(n),
            // kmsd always frames its bodies; an unframed one cannot be told from a cut one.
            (false, None) => return Err(HttpError::Failed),
        };
        Ok((status, framing, keep_alive))
    }

    fn body(&mut self, framing: Framing) -> Result<Zeroizing<Vec<u8>>, HttpError> {
        match framing {
            Framing::Length(n) => Ok(Zeroizing::new(self.take_exact(n)?)),
            Framing::Chunked => {
                let mut body = Zeroizing::new(Vec::new());
                loop {
                    let line = self.take_until(b"\r\n", 64)?;
                    let size = std::str::from_utf8(&line[..line.len() - 2])
                        .ok()
                        .and_then(|s| {
                            usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok()
                        })
                        .ok_or(HttpError::Failed)?;
                    if size == 0 {
                        self.take_until(b"\r\n", MAX_HEAD)?;
                        return Ok(body);
                    }
                    if body.len() + size > MAX_RESPONSE {
                        return Err(HttpError::Failed);
                    }
                    let chunk = Zeroizing::new(self.take_exact(size + 2)?);
                    body.extend_from_slice(&chunk[..size]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = Endpoint::parse("https://127.0.0.1:7443").unwrap();
        assert_eq!(e.authority, "127.0.0.1:7443");
        assert!(matches!(e.server_name, ServerName::IpAddress(_)));
        let e = Endpoint::parse("https://kms.example/").unwrap();
        assert_eq!(e.authority, "kms.example:443");
        let e = Endpoint::parse("https://[::1]:8443").unwrap();
        assert_eq!(e.authority, "[::1]:8443");
        assert!(Endpoint::parse("http://x:1").is_err());
        assert!(Endpoint::parse("https://x:99999").is_err());
        assert!(Endpoint::parse("https://x:1/path").is_err());
    }
}
