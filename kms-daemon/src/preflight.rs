//! The configuration checks `kmsd check-config` prints and `kmsd serve` runs before it starts:
//! files readable, secret files (master key, TLS key, store) owner-only, the configuration and
//! the certificate files not writable by group or others, the directories holding them not
//! writable by group or others (unless sticky), no private key in those directories that group
//! or others may read (quick start's CA key among them), certificates that parse,
//! are within their validity and match their key, a client CA that is a CA, a store whose
//! directory is writable and whose schema this kmsd knows, a valid log filter, and listen
//! addresses free to bind. Each [`Problem`] says what is wrong and how to fix it.

use crate::config::store::Location;
use crate::config::{AuditConfig, Config, LimitsConfig, MasterKeySource, TlsConfig};
use crate::store::{Reader, LATEST_SCHEMA};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use x509_parser::certificate::X509Certificate;
use x509_parser::time::ASN1Time;

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong, naming the file or setting.
    pub what: String,
    /// What to do about it (a command where there is one).
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "problem: {}\n  fix: {}", self.what, self.fix)
    }
}

fn problem(what: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem {
        what: what.into(),
        fix: fix.into(),
    }
}

/// Whether to try binding the listen addresses (`serve` binds them itself, and reports a
/// failure with [`bind_problem`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bind {
    /// Bind each address and release it at once.
    Try,
    /// Leave the addresses alone.
    Skip,
}

/// The problem of an address that could not be bound; `setting` names it (`listen`, `metrics.listen`).
pub fn bind_problem(setting: &str, addr: SocketAddr, e: &std::io::Error) -> Problem {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        problem(
            format!("{setting} address {addr} is already in use"),
            format!(
                "stop the process that holds it (see: ss -ltnp 'sport = :{}') or set {setting} to a free address",
                addr.port()
            ),
        )
    } else {
        problem(
            format!("{setting} address {addr} cannot be bound: {e}"),
            format!("set {setting} to an address of this host"),
        )
    }
}

/// A file kmsd must read: `Err` if it cannot.
fn readable(path: &Path, setting: &str) -> Result<(), Problem> {
    match std::fs::File::open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(problem(
            format!("{setting}: {} does not exist", path.display()),
            format!("create it, or set {setting} to the right path"),
        )),
        Err(e) => Err(problem(
            format!("{setting}: {} cannot be read: {e}", path.display()),
            format!(
                "let the user kmsd runs as read it (chown that-user {})",
                path.display()
            ),
        )),
    }
}

/// A secret file: readable, and neither group nor others may access it.
fn secret_file(path: &Path, setting: &str) -> Result<(), Problem> {
    use std::os::unix::fs::PermissionsExt;
    readable(path, setting)?;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0);
    if mode & 0o077 != 0 {
        return Err(problem(
            format!(
                "{setting}: {} is accessible by group or others (mode {:o})",
                path.display(),
                mode & 0o777
            ),
            format!("chmod 600 {}", path.display()),
        ));
    }
    Ok(())
}

/// A file anyone may read but only its owner may change (the configuration, certificates):
/// writable by group or others is a problem — whoever can write the client CA file can let in
/// any certificate they like.
fn not_writable_by_others(path: &Path, setting: &str) -> Option<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o022 != 0).then(|| {
        problem(
            format!(
                "{setting}: {} is writable by group or others (mode {:o})",
                path.display(),
                mode & 0o777
            ),
            format!("chmod go-w {}", path.display()),
        )
    })
}

/// The directories that hold kmsd's files: writable by group or others (and not sticky, as
/// /tmp is), anyone could replace a file in them.
fn directory_problems(paths: &[&Path]) -> Vec<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let mut dirs: Vec<&Path> = paths
        .iter()
        .map(|p| {
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut out = Vec::new();
    for dir in &dirs {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            out.push(problem(
                format!(
                    "directory {} (holding kmsd's files) is writable by group or others (mode {:o})",
                    dir.display(),
                    mode & 0o777
                ),
                format!("chmod go-w {}", dir.display()),
            ));
        }
        out.extend(exposed_private_keys(dir));
    }
    out
}

/// Private keys (PEM) in `dir` that group or others may read — quick start's CA key, for one:
/// whoever reads it can issue client certificates kmsd accepts.
fn exposed_private_keys(dir: &Path) -> Vec<Problem> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let named = path.extension().is_some_and(|e| e == "key" || e == "pem");
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if !named || !meta.is_file() || mode & 0o044 == 0 {
            continue;
        }
        let mut head = Vec::new();
        let read =
            std::fs::File::open(&path).and_then(|f| f.take(16 * 1024).read_to_end(&mut head));
        if read.is_ok() && head.windows(16).any(|w| w == b"PRIVATE KEY-----") {
            out.push(problem(
                format!(
                    "private key {} may be read by group or others (mode {:o})",
                    path.display(),
                    mode & 0o777
                ),
                format!("chmod 600 {}", path.display()),
            ));
        }
    }
    out
}

fn certificates(path: &Path, setting: &str) -> Result<Vec<CertificateDer<'static>>, Problem> {
    readable(path, setting)?;
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            problem(
                format!(
                    "{setting}: {} is not a PEM certificate file: {e}",
                    path.display()
                ),
                format!("set {setting} to a PEM file of certificates"),
            )
        })?;
    if certs.is_empty() {
        return Err(problem(
            format!("{setting}: {} holds no certificate", path.display()),
            format!("set {setting} to a PEM file of certificates"),
        ));
    }
    Ok(certs)
}

/// Parses `der` and checks its validity window; `is_ca` also asks for a CA certificate.
fn check_certificate(
    der: &CertificateDer<'_>,
    path: &Path,
    setting: &str,
    is_ca: bool,
) -> Vec<Problem> {
    let cert: X509Certificate<'_> = match x509_parser::parse_x509_certificate(der.as_ref()) {
        Ok((_, c)) => c,
        Err(e) => {
            return vec![problem(
                format!("{setting}: {} does not parse as X.509: {e}", path.display()),
                format!("set {setting} to a valid certificate"),
            )]
        }
    };
    let mut out = Vec::new();
    let now = ASN1Time::now();
    let validity = cert.validity();
    let renew = format!(
        "issue a new certificate into {} (then SIGHUP kmsd)",
        path.display()
    );
    if now < validity.not_before {
        out.push(problem(
            format!(
                "{setting}: {} ({}) is not valid before {}",
                path.display(),
                cert.subject(),
                validity.not_before
            ),
            format!("check the system clock, or {renew}"),
        ));
    }
    if now > validity.not_after {
        out.push(problem(
            format!(
                "{setting}: {} ({}) expired on {}",
                path.display(),
                cert.subject(),
                validity.not_after
            ),
            renew,
        ));
    }
    if is_ca && !cert.is_ca() {
        out.push(problem(
            format!(
                "{setting}: {} ({}) is not a CA certificate",
                path.display(),
                cert.subject()
            ),
            format!("set {setting} to the certificate of the CA that issues client certificates"),
        ));
    }
    out
}

/// The problems of the `[tls]` files (also checked before a SIGHUP reload takes them).
pub fn tls_problems(tls: &TlsConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    let key_ok = secret_file(&tls.key, "tls.key")
        .map_err(|p| out.push(p))
        .is_ok();
    let certs = certificates(&tls.cert, "tls.cert").map_err(|p| out.push(p));
    let cas = certificates(&tls.client_ca, "tls.client_ca").map_err(|p| out.push(p));
    if let Ok(certs) = &certs {
        out.extend(check_certificate(&certs[0], &tls.cert, "tls.cert", false));
        if key_ok {
            out.extend(key_match(certs.clone(), &tls.key, &tls.cert).err());
        }
    }
    if let Ok(cas) = &cas {
        for ca in cas {
            out.extend(check_certificate(ca, &tls.client_ca, "tls.client_ca", true));
        }
    }
    out.extend(not_writable_by_others(&tls.cert, "tls.cert"));
    out.extend(not_writable_by_others(&tls.client_ca, "tls.client_ca"));
    if let (Ok(certs), Ok(cas)) = (&certs, &cas) {
        out.extend(chain_to_client_ca(certs, cas, tls));
    }
    out
}

/// Where the server certificate names a client-CA certificate as its issuer (one CA for both
/// sides, as quickstart sets up), it must chain to it: a CA file replaced without the server
/// certificate (or the other way round) is caught here rather than by every client.
fn chain_to_client_ca(
    certs: &[CertificateDer<'static>],
    cas: &[CertificateDer<'static>],
    tls: &TlsConfig,
) -> Option<Problem> {
    use rustls::{CertificateError, Error as TlsError};
    let (_, server) = x509_parser::parse_x509_certificate(certs[0].as_ref()).ok()?;
    let names_a_client_ca = cas.iter().any(|ca| {
        x509_parser::parse_x509_certificate(ca.as_ref())
            .is_ok_and(|(_, c)| c.subject().as_raw() == server.issuer().as_raw())
    });
    if !names_a_client_ca {
        return None;
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(cas.iter().cloned());
    let parsed = rustls::server::ParsedCertificate::try_from(&certs[0]).ok()?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let verdict = rustls::client::verify_server_cert_signed_by_trust_anchor(
        &parsed,
        &roots,
        &certs[1..],
        rustls::pki_types::UnixTime::now(),
        provider.signature_verification_algorithms.all,
    );
    match verdict {
        Ok(()) => None,
        // Reported by the validity check already.
        Err(TlsError::InvalidCertificate(
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. },
        )) => None,
        Err(e) => Some(problem(
            format!(
                "tls.cert {} names {} (in tls.client_ca {}) as its issuer but does not chain to it: {e}",
                tls.cert.display(),
                server.issuer(),
                tls.client_ca.display()
            ),
            "issue the server certificate from the CA in tls.client_ca, or restore the CA file that issued it",
        )),
    }
}

/// The private key parses and is the one the first certificate was issued for.
fn key_match(certs: Vec<CertificateDer<'static>>, key: &Path, cert: &Path) -> Result<(), Problem> {
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        problem(
            format!("tls.key: {} is not a PEM private key: {e}", key.display()),
            "set tls.key to the PEM (PKCS#8, SEC1 or PKCS#1) key of tls.cert",
        )
    })?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing = provider.key_provider.load_private_key(der).map_err(|e| {
        problem(
            format!("tls.key: {} cannot be used: {e}", key.display()),
            "use an RSA, ECDSA or Ed25519 key",
        )
    })?;
    rustls::sign::CertifiedKey::new(certs, signing)
        .keys_match()
        .map_err(|_| {
            problem(
                format!(
                    "tls.cert {} does not match the private key tls.key {}",
                    cert.display(),
                    key.display()
                ),
                "set tls.cert and tls.key to a certificate and the key it was issued for",
            )
        })
}

fn store_problems(cfg: &Config, config_hint: &str) -> Vec<Problem> {
    if let Location::Postgres(_) = Location::of(&cfg.store) {
        return schema_problems(&cfg.store, config_hint, "the PostgreSQL store");
    }
    let store = &cfg.store;
    let dir = store.parent().unwrap_or(Path::new("."));
    let probe = dir.join(format!(".kmsd-check-config-{}", std::process::id()));
    let mut out = Vec::new();
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => out.push(problem(
            format!(
                "store: the directory {} is not writable: {e}",
                dir.display()
            ),
            format!(
                "create it and let the user kmsd runs as write to it (mkdir -p {0}; chown that-user {0})",
                dir.display()
            ),
        )),
    }
    if !store.exists() {
        out.push(problem(
            format!("store: {} does not exist", store.display()),
            format!("create it with: kmsd init --config {config_hint}"),
        ));
        return out;
    }
    if let Err(p) = secret_file(store, "store") {
        out.push(p);
        return out;
    }
    out.extend(schema_problems(
        store,
        config_hint,
        &store.display().to_string(),
    ));
    out
}

/// Opens the store read-only and checks its schema version; `what` names it in messages (never
/// a PostgreSQL URL, which may carry a password).
fn schema_problems(store: &Path, config_hint: &str, what: &str) -> Vec<Problem> {
    let version = Reader::open(store).and_then(|r| r.schema_version());
    match version {
        Err(e) => vec![problem(
            format!("store: {what} cannot be opened as a kmsd store: {e}"),
            "set store to the kmsd store file or a reachable postgres:// URL (or restore the \
             store from a backup)",
        )],
        Ok(0) if matches!(Location::of(store), Location::Postgres(_)) => vec![problem(
            format!("store: {what} holds no kmsd store yet"),
            format!("create it with: kmsd init --config {config_hint}"),
        )],
        Ok(v) if v > LATEST_SCHEMA => vec![problem(
            format!(
                "store: {what} has schema version {v}, newer than this kmsd knows ({})",
                LATEST_SCHEMA
            ),
            "run the kmsd version that wrote it (or a newer one)",
        )],
        Ok(_) => Vec::new(),
    }
}

fn bind_check(setting: &str, addr: SocketAddr) -> Option<Problem> {
    std::net::TcpListener::bind(addr)
        .err()
        .map(|e| bind_problem(setting, addr, &e))
}

/// A flush interval of 0 would sync every use (say `immediate`); past a second, a power loss
/// could take too many records.
fn audit_problem(audit: &AuditConfig) -> Option<Problem> {
    (!(1..=1000).contains(&audit.flush_interval_ms)).then(|| {
        problem(
            format!(
                "audit.flush_interval_ms is {}: it must be 1 to 1000",
                audit.flush_interval_ms
            ),
            "set [audit] flush_interval_ms between 1 and 1000, or remove it for the default (10)",
        )
    })
}

/// A zero limit would refuse every login, every request, every session object or every
/// connection.
fn limits_problems(limits: &LimitsConfig) -> Vec<Problem> {
    let secs = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    [
        (
            "max_sessions_per_identity",
            limits.max_sessions_per_identity,
            "every login",
        ),
        (
            "request_header_timeout_secs",
            secs(limits.request_header_timeout_secs),
            "every request (no time to send it)",
        ),
        (
            "request_body_timeout_secs",
            secs(limits.request_body_timeout_secs),
            "every request with a body",
        ),
        (
            "max_inflight_per_identity",
            limits.max_inflight_per_identity,
            "every request",
        ),
        (
            "max_session_objects_per_identity",
            limits.max_session_objects_per_identity,
            "every session object",
        ),
        (
            "max_connections",
            limits.max_connections,
            "every connection",
        ),
        (
            "unknown_token_logins_per_minute",
            limits.unknown_token_logins_per_minute,
            "every login to a token the client cannot see, even without a PIN check",
        ),
    ]
    .into_iter()
    .filter(|(_, v, _)| *v == 0)
    .map(|(key, _, what)| {
        problem(
            format!("limits.{key} is 0: kmsd would refuse {what}"),
            format!("set [limits] {key} to at least 1, or remove it for the default"),
        )
    })
    .collect()
}

/// The problems of `[kmip]`: its token label, its message bound, and its address (another
/// listener's, or, with `bind`, one that cannot be bound).
fn kmip_problems(cfg: &Config, bind: Bind) -> Vec<Problem> {
    let Some(kmip) = &cfg.kmip else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if kmip.token.is_empty() || kmip.token.len() > 32 {
        out.push(problem(
            format!(
                "kmip.token {:?} is not a token label (1 to 32 bytes)",
                kmip.token
            ),
            "set [kmip] token to the label of the token KMIP requests act on (kmsd token list)",
        ));
    }
    if !(MIN_KMIP_MESSAGE..=MAX_KMIP_MESSAGE).contains(&kmip.max_message_bytes) {
        out.push(problem(
            format!(
                "kmip.max_message_bytes is {}: it must be {MIN_KMIP_MESSAGE} to {MAX_KMIP_MESSAGE}",
                kmip.max_message_bytes
            ),
            format!("set [kmip] max_message_bytes between {MIN_KMIP_MESSAGE} and {MAX_KMIP_MESSAGE}, or remove it for 1 MiB"),
        ));
    }
    let taken = kmip.listen.port() != 0
        && (kmip.listen == cfg.listen
            || (cfg.metrics.enabled && kmip.listen == cfg.metrics.listen));
    if taken {
        out.push(problem(
            format!("kmip.listen {} is another listener's address", kmip.listen),
            "give [kmip] listen a port of its own (KMIP's is 5696)",
        ));
    } else if bind == Bind::Try {
        out.extend(bind_check("kmip.listen", kmip.listen));
    }
    out
}

/// The smallest `[kmip] max_message_bytes`: a Register of a 4096-bit key needs ~4 KiB.
pub const MIN_KMIP_MESSAGE: usize = 8 << 10;
/// The largest `[kmip] max_message_bytes`.
pub const MAX_KMIP_MESSAGE: usize = 16 << 20;

/// Every problem of `cfg` (loaded from `config_path`); empty when kmsd can start with it.
pub fn check(cfg: &Config, config_path: &Path, bind: Bind) -> Vec<Problem> {
    let hint = config_path.display().to_string();
    let mut out = Vec::new();
    out.extend(not_writable_by_others(config_path, "the configuration"));
    let mut files = vec![
        config_path,
        cfg.master_key_file.as_path(),
        cfg.tls.cert.as_path(),
        cfg.tls.key.as_path(),
        cfg.tls.client_ca.as_path(),
    ];
    if let Location::Sqlite(store) = Location::of(&cfg.store) {
        files.push(store);
    }
    out.extend(directory_problems(&files));
    match secret_file(&cfg.master_key_file, "master_key_file") {
        Err(p) if !cfg.master_key_file.exists() => out.push(problem(
            p.what,
            format!("create it with: kmsd init --config {hint} (or restore it from a backup)"),
        )),
        Err(p) => out.push(p),
        Ok(()) => {
            let (loaded, fix) = match cfg.master_key.source {
                MasterKeySource::File => (
                    crate::vault::Vault::load(&cfg.master_key_file).map(drop),
                    "restore the 32-byte master key file from a backup",
                ),
                MasterKeySource::Passphrase | MasterKeySource::Shares => (
                    crate::vault::slot::load_record(cfg).map(drop),
                    "restore the master key record from a backup, or fix [master_key] source",
                ),
            };
            if let Err(e) = loaded {
                out.push(problem(format!("master_key_file: {e}"), fix));
            }
        }
    }
    out.extend(tls_problems(&cfg.tls));
    out.extend(store_problems(cfg, &hint));
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&cfg.log.level) {
        out.push(problem(
            format!("log.level {:?} is not a valid filter: {e}", cfg.log.level),
            "use a level (error, warn, info, debug, trace) or directives like info,kms_daemon=debug",
        ));
    }
    out.extend(cfg.auth.so_identities.iter().filter_map(|id| {
        crate::auth::identity::canonical(id).err().map(|e| {
            problem(
                format!("auth.so_identities: {e}"),
                "write each SO identity as a distinguished name, e.g. \"CN=kms-admin,O=Example\"",
            )
        })
    }));
    out.extend(limits_problems(&cfg.limits));
    out.extend(audit_problem(&cfg.audit));
    out.extend(kmip_problems(cfg, bind));
    if cfg.metrics.enabled && cfg.metrics.listen == cfg.listen && cfg.listen.port() != 0 {
        out.push(problem(
            format!(
                "metrics.listen {} is the API's listen address",
                cfg.metrics.listen
            ),
            "give [metrics] listen another port",
        ));
    } else if bind == Bind::Try {
        out.extend(bind_check("listen", cfg.listen));
        if cfg.metrics.enabled {
            out.extend(bind_check("metrics.listen", cfg.metrics.listen));
        }
    }
    out
}

/// Prints `problems` to stderr and returns the error that refuses to start.
pub fn refusal(problems: &[Problem]) -> crate::Error {
    for p in problems {
        eprintln!("{p}");
    }
    crate::Error::Config(format!(
        "{} configuration problem(s); not starting",
        problems.len()
    ))
}

/// [`refusal`] if there is any problem.
pub fn refuse_on(problems: &[Problem]) -> crate::Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(refusal(problems))
    }
}
