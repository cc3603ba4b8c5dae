//! Test harness: runs the real `kmsd quickstart` binary on a temp dir and talks HTTPS to it
//! with a plain rustls client (mutual TLS) and a minimal HTTP/1.1 exchange; `service` holds the
//! in-process (no network) set-up of the service tests.

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
use kms_daemon::store::scratch_db::ScratchDb;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub const USER_PIN: &str = "123456";
pub const SO_PIN: &str = "87654321";
pub const TOKEN: &str = "kms-default";

/// The store a test's new `dir` gets: `dir/kms.db`, or, when `KMS_TEST_PG` names a PostgreSQL
/// server, a fresh database of its own there. The database outlives the test (a restarted kmsd
/// finds it again); CI's PostgreSQL cluster is thrown away after the run.
pub fn store_location(dir: &Path) -> PathBuf {
    static DATABASES: Mutex<Vec<(PathBuf, ScratchDb)>> = Mutex::new(Vec::new());
    let Some(_) = std::env::var_os(kms_daemon::store::scratch_db::ENV) else {
        return dir.join("kms.db");
    };
    let mut dbs = DATABASES.lock().unwrap();
    if let Some((_, db)) = dbs.iter().find(|(d, _)| d == dir) {
        return PathBuf::from(&db.url);
    }
    let db = ScratchDb::from_env().expect("KMS_TEST_PG");
    let url = PathBuf::from(&db.url);
    dbs.push((dir.to_path_buf(), db));
    url
}

/// Whether the tests run against PostgreSQL (`KMS_TEST_PG`); a test that is SQLite by nature
/// (the store file itself) prints why it skips.
pub fn on_postgres(test: &str, why: &str) -> bool {
    let pg = std::env::var_os(kms_daemon::store::scratch_db::ENV).is_some();
    if pg {
        println!("{test}: skipped on PostgreSQL: {why}");
    }
    pg
}

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

/// A running `kmsd quickstart`; killed on drop.
pub struct Daemon {
    pub child: Child,
    pub addr: String,
    /// The operations listener (`/metrics`, `/healthz`, `/readyz`), `host:port`.
    pub metrics_addr: String,
    pub dir: PathBuf,
    pub stdout_lines: Vec<String>,
    /// kmsd's stderr lines so far, when started with [`Options::capture_stderr`].
    pub stderr_lines: Arc<Mutex<Vec<String>>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

/// How to start kmsd.
pub struct Options {
    /// `RUST_LOG` for kmsd (`None`: unset, so `[log] level` applies).
    pub rust_log: Option<&'static str>,
    /// Collect stderr in [`Daemon::stderr_lines`] instead of passing it through.
    pub capture_stderr: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rust_log: Some("warn"),
            capture_stderr: false,
        }
    }
}

impl Daemon {
    /// Starts quickstart on `dir` (new or existing) on a free port.
    pub fn start(dir: &Path) -> Daemon {
        Daemon::start_with(dir, &Options::default())
    }

    /// Starts quickstart on `dir` as `opts` say.
    pub fn start_with(dir: &Path, opts: &Options) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kmsd"));
        match opts.rust_log {
            Some(filter) => cmd.env("RUST_LOG", filter),
            None => cmd.env_remove("RUST_LOG"),
        };
        let stderr = if opts.capture_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        };
        if !dir.join("kmsd.toml").exists() {
            cmd.arg("quickstart")
                .arg("--store")
                .arg(store_location(dir));
        } else {
            cmd.arg("quickstart");
        }
        let mut child = cmd
            .arg("--dir")
            .arg(dir)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--user-pin",
                USER_PIN,
                "--so-pin",
                SO_PIN,
            ])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn kmsd");
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let stderr_reader = child.stderr.take().map(|err| {
            let sink = stderr_lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            })
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let mut daemon = Daemon {
            child,
            addr: String::new(),
            metrics_addr: String::new(),
            dir: dir.to_path_buf(),
            stdout_lines: Vec::new(),
            stderr_lines,
            stderr_reader,
        };
        // The address lines, the export line and, last of the block, the module line.
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("kmsd did not print its addresses");
            lines.push(line.clone());
            if let Some(url) = line.strip_prefix("kmsd listening on https://") {
                daemon.addr = url.trim().to_owned();
            }
            if let Some(url) = line.strip_prefix("kmsd metrics on http://") {
                daemon.metrics_addr = url.trim().trim_end_matches("/metrics").to_owned();
            }
            if line.starts_with("module: ") {
                break;
            }
        }
        assert!(!daemon.addr.is_empty(), "no listening line in {lines:?}");
        daemon.stdout_lines = lines;
        daemon
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) {
        self.terminate();
    }

    /// Stops kmsd like [`Daemon::stop`] and returns every line it wrote to stderr (captured).
    pub fn stop_and_collect_stderr(mut self) -> Vec<String> {
        self.terminate();
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().unwrap();
        }
        self.stderr_lines.lock().unwrap().clone()
    }

    fn terminate(&mut self) {
        self.signal("TERM");
        let st = self.wait_for_exit();
        assert!(st.success(), "kmsd exited with {st}");
    }

    /// Waits (at most 60 s) for kmsd to exit on its own.
    pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..1200 {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("kmsd did not stop within 60 s");
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("kmsd.toml")
    }

    /// Sends `signal` (`HUP`, `TERM` …) to kmsd.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// `GET path` on the plain-HTTP operations listener: (status, body).
    pub fn ops_get(&self, path: &str) -> (u16, String) {
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

    /// The value of one sample line of `/metrics` (`name{labels}` exactly as rendered), or 0.
    pub fn metric(&self, series: &str) -> f64 {
        let (status, body) = self.ops_get("/metrics");
        assert_eq!(status, 200, "{body}");
        metric_value(&body, series)
    }

    pub fn client(&self) -> Client {
        Client::new(
            &self.addr,
            Some(tls_identity(&self.dir)),
            &self.dir.join("ca.pem"),
        )
    }

    /// A client with the quick-start admin (SO) certificate.
    pub fn admin_client(&self) -> Client {
        Client::new(
            &self.addr,
            Some(named_identity(&self.dir, "admin")),
            &self.dir.join("ca.pem"),
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
        let mut tcp = TcpStream::connect(&self.addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut conn = rustls::ClientConnection::new(self.config.clone(), name)
            .map_err(std::io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        Ok(Conn {
            tls: rustls::StreamOwned::new(conn, tcp),
            bearer: self.bearer.clone(),
            instance: self.instance.clone(),
        })
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

/// Runs `kmsd ARGS --config DIR/kmsd.toml` with `stdin` as its standard input (which kmsd may
/// not read when it refuses early).
pub fn kmsd_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kmsd"))
        .args(args)
        .arg("--config")
        .arg(dir.join("kmsd.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap()
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

/// Starts another replica on the store of `dir`'s config: `kmsd serve --config DIR/kmsd.toml
/// --listen 127.0.0.1:PORT` on a free port; returns once it accepts connections.
pub fn start_replica(dir: &Path) -> Daemon {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_kmsd"))
        .env("RUST_LOG", "warn")
        .args(["serve", "--config"])
        .arg(dir.join("kmsd.toml"))
        .args(["--listen", &addr])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn kmsd serve");
    let mut daemon = Daemon {
        child,
        addr: addr.clone(),
        metrics_addr: String::new(),
        dir: dir.to_path_buf(),
        stdout_lines: Vec::new(),
        stderr_lines: Arc::new(Mutex::new(Vec::new())),
        stderr_reader: None,
    };
    for _ in 0..1200 {
        if TcpStream::connect(&addr).is_ok() {
            return daemon;
        }
        if let Some(st) = daemon.child.try_wait().unwrap() {
            panic!("kmsd serve exited with {st}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("kmsd serve did not listen on {addr} within 60 s");
}

/// Starts quickstart on `dir` and logs a client in as the user.
pub fn start_logged_in(dir: &Path) -> (Daemon, Client) {
    let d = Daemon::start(dir);
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    (d, c)
}
