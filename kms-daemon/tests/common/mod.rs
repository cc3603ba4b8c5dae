//! Test harness: the test kit (`kms-testkit`: the kmsd launcher, stores, PINs) re-exported, and
//! what only kmsd's tests need on top: an HTTPS client of the API (a plain rustls client, mutual
//! TLS, a minimal HTTP/1.1 exchange), the store opened beside kmsd, and JSON helpers; `service`
//! holds the in-process (no network) set-up of the service tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]
#![allow(unreachable_pub, reason = "a test helper module, not an API")]

/// A raw-API attacker with a leak oracle, for the attack tests.
pub mod attacker;
/// Service-level (no network) set-up and helpers, shared by the service tests.
pub mod service;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_daemon::store::db::{Params, Row};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[allow(
    unused_imports,
    reason = "the kit re-exported for every test binary; each uses a different part"
)]
pub use kms_testkit::{
    kmsd_with_stdin, on_postgres, rss_kib, skip_on_postgres, store_location, Kmsd, Options, SO_PIN,
    TOKEN, USER_PIN,
};

/// The store of a test's `dir` ([`store_location`]) opened beside kmsd, for tests that look at
/// or change rows behind its back: each statement commits on its own (on SQLite, the audit head
/// does not move).
pub struct RawStore(kms_daemon::store::Store);

impl RawStore {
    pub fn open(dir: &Path) -> RawStore {
        RawStore(kms_daemon::store::Store::open(&store_location(dir)).unwrap())
    }

    pub fn dialect(&self) -> kms_daemon::store::Dialect {
        self.0.dialect()
    }

    pub fn execute(&self, sql: &str, params: Params<'_>) -> kms_daemon::Result<usize> {
        self.0.read(|db| db.execute(sql, params))
    }

    pub fn execute_batch(&self, sql: &str) -> kms_daemon::Result<()> {
        self.0.read(|db| db.execute_batch(sql))
    }

    pub fn query_row<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        f: impl FnMut(&Row<'_>) -> kms_daemon::Result<T>,
    ) -> kms_daemon::Result<T> {
        self.0.read(|db| db.query_one(sql, params, f))
    }

    pub fn query_all<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        f: impl FnMut(&Row<'_>) -> kms_daemon::Result<T>,
    ) -> kms_daemon::Result<Vec<T>> {
        self.0.read(|db| db.query_all(sql, params, f))
    }
}

/// Removes the store of `dir` (kmsd stopped): its SQLite files, or every table of its
/// PostgreSQL database, so that `kmsd init` can make a new one there.
pub fn remove_store(dir: &Path) {
    let store = store_location(dir);
    match kms_daemon::config::store::Location::of(&store) {
        kms_daemon::config::store::Location::Sqlite(_) => {
            for f in ["kms.db", "kms.db-wal", "kms.db-shm", "kms.db.audit-head"] {
                let _ = std::fs::remove_file(dir.join(f));
            }
        }
        kms_daemon::config::store::Location::Postgres(_) => RawStore::open(dir)
            .execute_batch("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .unwrap(),
    }
}

/// What kmsd's tests do with a running [`Kmsd`] beyond the kit: its API through [`Client`], and
/// its operations listener.
pub trait Api {
    /// A client with the quick-start client certificate.
    fn client(&self) -> Client;
    /// A client with the quick-start admin (SO) certificate.
    fn admin_client(&self) -> Client;
    /// A client with the certificate `DIR/NAME.pem` (see `kms_testkit::pki`).
    fn client_as(&self, name: &str) -> Client;
    /// `GET path` on the plain-HTTP operations listener: (status, body).
    fn ops_get(&self, path: &str) -> (u16, String);
    /// The value of one sample line of `/metrics` (`name{labels}` exactly as rendered), or 0.
    fn metric(&self, series: &str) -> f64;
}

impl Api for Kmsd {
    fn client(&self) -> Client {
        self.client_as("client")
    }

    fn admin_client(&self) -> Client {
        self.client_as("admin")
    }

    fn client_as(&self, name: &str) -> Client {
        Client::new(
            &self.addr,
            Some(named_identity(self.dir(), name)),
            &self.dir().join("ca.pem"),
        )
    }

    fn ops_get(&self, path: &str) -> (u16, String) {
        let mut tcp = TcpStream::connect(&self.metrics_addr).expect("connect to the ops listener");
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            tcp,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.metrics_addr
        )
        .unwrap();
        let mut buf = Vec::new();
        tcp.read_to_end(&mut buf).unwrap();
        let text = String::from_utf8(buf).expect("UTF-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_owned())
    }

    fn metric(&self, series: &str) -> f64 {
        let (status, body) = self.ops_get("/metrics");
        assert_eq!(status, 200, "{body}");
        metric_value(&body, series)
    }
}

/// The quick-start client certificate and key.
pub fn tls_identity(dir: &Path) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    named_identity(dir, "client")
}

/// `DIR/NAME.pem` and `DIR/NAME.key`.
pub fn named_identity(
    dir: &Path,
    name: &str,
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let certs = CertificateDer::pem_file_iter(dir.join(format!("{name}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key"))).unwrap();
    (certs, key)
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error code of an error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// One-request-per-connection HTTPS client.
pub struct Client {
    addr: String,
    config: Arc<ClientConfig>,
    pub bearer: Option<String>,
    pub instance: Option<String>,
}

impl Client {
    pub fn new(
        addr: &str,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        ca: &Path,
    ) -> Client {
        Client::with_versions(addr, identity, ca, rustls::DEFAULT_VERSIONS)
    }

    /// A client that offers only the given TLS versions.
    pub fn with_versions(
        addr: &str,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        ca: &Path,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Client {
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let builder = ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
        let config = match identity {
            Some((certs, key)) => builder.with_client_auth_cert(certs, key).unwrap(),
            None => builder.with_no_client_auth(),
        };
        Client {
            addr: addr.to_owned(),
            config: Arc::new(config),
            bearer: None,
            instance: None,
        }
    }

    /// Connects and completes the TLS handshake (from the client's side).
    pub fn connect(&self) -> std::io::Result<Conn> {
        Ok(Conn {
            tls: self.tls_stream()?,
            bearer: self.bearer.clone(),
            instance: self.instance.clone(),
        })
    }

    /// A TLS stream to the address, its handshake done (from the client's side).
    pub fn tls_stream(
        &self,
    ) -> std::io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
        let mut tcp = TcpStream::connect(&self.addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut conn = rustls::ClientConnection::new(self.config.clone(), name)
            .map_err(std::io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        Ok(rustls::StreamOwned::new(conn, tcp))
    }

    /// Sends raw bytes as the body on a new connection; returns the response, or an error if
    /// the connection fails before a complete response arrives.
    pub fn raw(&self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
        self.connect()?.send(method, path, body, false)
    }

    /// [`Client::raw`] with another `Content-Type`.
    pub fn raw_typed(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> std::io::Result<Response> {
        self.connect()?.send_with_headers(
            method,
            path,
            body,
            false,
            &[("Content-Type", content_type)],
        )
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        self.raw(method, path, &bytes).expect("request failed")
    }

    pub fn login(&mut self, pin: &str) -> Response {
        self.login_as("user", pin)
    }

    /// Logs in as `user_type` (`"user"` or `"so"`); keeps the session on success.
    pub fn login_as(&mut self, user_type: &str, pin: &str) -> Response {
        let r = self.call(
            "POST",
            &format!("/v1/tokens/{TOKEN}/login"),
            Some(serde_json::json!({"user_type": user_type, "pin": STANDARD.encode(pin)})),
        );
        if r.status == 200 {
            self.bearer = Some(r.json()["session"].as_str().unwrap().to_owned());
        }
        r
    }
}

/// The value of the sample `series` in an exposition, or 0 when it is absent.
pub fn metric_value(exposition: &str, series: &str) -> f64 {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// One TLS connection to kmsd, for one request (`Connection: close`) or several (keep-alive).
pub struct Conn {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    bearer: Option<String>,
    instance: Option<String>,
}

impl Conn {
    /// Sends one request and reads its response.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
        keep_alive: bool,
    ) -> std::io::Result<Response> {
        self.send_with_headers(method, path, body, keep_alive, &[])
    }

    /// [`Conn::send`] with extra request headers.
    pub fn send_with_headers(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
        keep_alive: bool,
        extra: &[(&str, &str)],
    ) -> std::io::Result<Response> {
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let content_type = extra
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map_or("application/json", |(_, v)| *v);
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: {connection}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(b) = &self.bearer {
            head.push_str(&format!("Authorization: Bearer {b}\r\n"));
        }
        if let Some(i) = &self.instance {
            head.push_str(&format!("x-kms-instance: {i}\r\n"));
        }
        for (name, value) in extra
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-type"))
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.write_raw(head.as_bytes())?;
        self.write_raw(body)?;
        self.read_response()
    }

    /// Writes bytes on the connection as they are (a request sent in pieces).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.tls.write_all(bytes)?;
        self.tls.flush()
    }

    /// Reads one response.
    pub fn read_response(&mut self) -> std::io::Result<Response> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        loop {
            if let Some(resp) = parse(&buf) {
                return Ok(resp);
            }
            match self.tls.read(&mut chunk) {
                Ok(0) => {
                    return parse(&buf).ok_or_else(|| {
                        std::io::Error::other("connection closed before a response")
                    })
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return parse(&buf).ok_or(e),
            }
        }
    }

    /// The server's end-entity certificate (DER).
    pub fn peer_certificate(&self) -> Vec<u8> {
        self.tls.conn.peer_certificates().unwrap()[0].to_vec()
    }
}

pub fn login_body(pin: &str) -> Value {
    serde_json::json!({"user_type": "user", "pin": STANDARD.encode(pin)})
}

fn parse(buf: &[u8]) -> Option<Response> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body = buf.get(end + 4..end + 4 + len)?.to_vec();
    Some(Response {
        status,
        headers,
        body,
    })
}

pub fn b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().expect("base64 string")).unwrap()
}

/// Attribute JSON helpers (kms-api wire form).
pub fn a_bool(ty: u64, v: bool) -> Value {
    serde_json::json!({"t": ty, "v": {"bool": v}})
}
pub fn a_ulong(ty: u64, v: u64) -> Value {
    serde_json::json!({"t": ty, "v": {"ulong": v}})
}
pub fn a_bytes(ty: u64, v: &[u8]) -> Value {
    serde_json::json!({"t": ty, "v": {"bytes": b64(v)}})
}

/// The value of attribute `ty` in an ObjectInfo JSON.
pub fn attr(info: &Value, ty: u64) -> Option<&Value> {
    info["attrs"]
        .as_array()?
        .iter()
        .find(|a| a["t"].as_u64() == Some(ty))
        .map(|a| &a["v"])
}

/// The DER OID of P-256 (`CKA_EC_PARAMS`).
pub const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Generates a P-256 token key pair that may sign (`c` logged in); the private key's id.
pub fn generate_signing_pair(c: &Client) -> String {
    let r = c.call(
        "POST",
        &format!("/v1/tokens/{TOKEN}/keys/generate-pair"),
        Some(serde_json::json!({
            "mechanism": {"mechanism": kms_daemon::ck::CKM_EC_KEY_PAIR_GEN},
            "public_template": [a_bytes(kms_daemon::ck::CKA_EC_PARAMS, &P256_OID),
                                a_bool(kms_daemon::ck::CKA_TOKEN, true)],
            "private_template": [a_bool(kms_daemon::ck::CKA_TOKEN, true),
                                 a_bool(kms_daemon::ck::CKA_SIGN, true)],
        })),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["private"]["id"].as_str().unwrap().to_owned()
}

/// Asserts that `kmsd audit verify` finds the audit chain of `dir`'s store intact.
pub fn assert_audit_verifies(dir: &Path) {
    let out = kmsd_with_stdin(dir, &["audit", "verify"], "");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs 32 bytes with ECDSA through the API (`c` logged in).
pub fn ecdsa_sign(c: &Client, id: &str) -> Response {
    c.call(
        "POST",
        &format!("/v1/tokens/{TOKEN}/objects/{id}/sign"),
        Some(
            serde_json::json!({"mechanism": {"mechanism": kms_daemon::ck::CKM_ECDSA},
                                "data": b64(&[9u8; 32])}),
        ),
    )
}

/// AES-GCM `op` (`encrypt`, `decrypt`) of `data` with key `id` (fixed IV, no AAD, 128-bit tag).
pub fn gcm(c: &Client, id: &str, op: &str, data: &[u8]) -> Response {
    c.call(
        "POST",
        &format!("/v1/tokens/{TOKEN}/objects/{id}/{op}"),
        Some(serde_json::json!({
            "mechanism": {"mechanism": kms_daemon::ck::CKM_AES_GCM,
                          "params": {"gcm": {"iv": b64(&[4u8; 12]), "aad": "", "tag_bits": 128}}},
            "data": b64(data)})),
    )
}

/// Starts quickstart on `dir` and logs a client in as the user.
pub fn start_logged_in(dir: &Path) -> (Kmsd, Client) {
    let d = Kmsd::start_in(dir);
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    (d, c)
}
