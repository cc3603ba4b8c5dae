//! `kmsd.toml`: where the store, master key and TLS files are, and the auth policy.
//!
//! Relative paths are resolved against the directory of the config file; [`store`] reads the
//! `store` setting. Key files are checked by [`crate::secret_file`].

pub mod store;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole daemon configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:7443`).
    pub listen: SocketAddr,
    /// The store: a SQLite file, or a PostgreSQL URL (`postgres://user@host:port/db`), which
    /// several kmsd replicas can share.
    pub store: PathBuf,
    /// Mode 0600. With `[master_key] source = "file"` (the default): the 32-byte master key;
    /// with `passphrase` or `shares`: the master key record (wrapped key or share check value,
    /// no secret in clear) that `kmsd init` writes.
    pub master_key_file: PathBuf,
    /// Where the master key comes from.
    #[serde(default)]
    pub master_key: MasterKeyConfig,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT before kmsd exits.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_secs: u64,
    /// TLS files.
    pub tls: TlsConfig,
    /// Login policy.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Key life cycle.
    #[serde(default)]
    pub lifecycle: LifecycleConfig,
    /// `[policy]`: mechanism policy switches.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// The plain-HTTP operations listener (`/metrics`, `/healthz`, `/readyz`).
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// What one client identity may hold at once.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// When audit records reach the disk.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The KMIP listener; off unless configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kmip: Option<KmipConfig>,
}

/// `[kmip]`: the KMIP (binary TTLV over mutual TLS) listener. Its TLS files and client CA are
/// those of `[tls]`; it offers TLS 1.2 and 1.3 whatever `allow_tls12` says (KMIP clients such as
/// PyKMIP speak TLS 1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmipConfig {
    /// Address to listen on (`127.0.0.1:5696`; port 0: any free port, printed at start).
    pub listen: SocketAddr,
    /// The token every KMIP request acts on (its objects are the module's objects of that
    /// token); the client's identity must be admitted to it, as on `/v1`.
    pub token: String,
    /// Largest request message in bytes (default 1 MiB, like a `/v1` body).
    #[serde(default = "default_kmip_max_message")]
    pub max_message_bytes: usize,
}

fn default_kmip_max_message() -> usize {
    1 << 20
}

fn default_shutdown_timeout() -> u64 {
    10
}

/// `[master_key] source`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MasterKeySource {
    /// `master_key_file` holds the key: kmsd starts unsealed.
    #[default]
    File,
    /// The key is wrapped under a passphrase given with `kmsd unseal`.
    Passphrase,
    /// The key is split k of n; `kmsd unseal` gives the shares one at a time.
    Shares,
}

/// `[master_key]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterKeyConfig {
    /// Where the master key comes from (default `file`).
    #[serde(default)]
    pub source: MasterKeySource,
    /// Seconds after the first share of an unseal after which the shares given so far are
    /// discarded (default 600).
    #[serde(default = "default_unseal_timeout")]
    pub unseal_timeout_secs: u64,
}

fn default_unseal_timeout() -> u64 {
    600
}

impl Default for MasterKeyConfig {
    fn default() -> Self {
        MasterKeyConfig {
            source: MasterKeySource::default(),
            unseal_timeout_secs: default_unseal_timeout(),
        }
    }
}

/// `[metrics]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve the operations listener at all (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Its address: plain HTTP, so loopback unless a scraper elsewhere needs it (port 0: any
    /// free port, printed at start).
    #[serde(default = "default_metrics_listen")]
    pub listen: SocketAddr,
}

fn default_true() -> bool {
    true
}

/// The default metrics address, `127.0.0.1:9464`.
pub fn default_metrics_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            listen: default_metrics_listen(),
        }
    }
}

/// `[audit]`: when the audit record of a key use reaches the disk. Every change (creation,
/// attribute change, destruction, login, PIN change) and every use of a key with a usage limit
/// is on disk before its answer, whatever this says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Key uses (sign, MAC verify, encrypt, decrypt) and their records: `immediate` (default)
    /// syncs them to disk before the answer; `deferred` commits them before the answer (a kmsd
    /// crash loses nothing) and syncs within `flush_interval_ms`, so a power loss or an
    /// operating-system crash can lose that window's use records (whole transactions: the
    /// chain stays intact).
    #[serde(default)]
    pub key_use_durability: store::Durability,
    /// `deferred` on SQLite: the longest a use record stays off the disk, 1 to 1000 ms
    /// (default 10). PostgreSQL flushes by its own `wal_writer_delay`.
    #[serde(default = "default_flush_interval_ms")]
    pub flush_interval_ms: u64,
}

fn default_flush_interval_ms() -> u64 {
    store::DEFAULT_FLUSH_INTERVAL.as_millis() as u64
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            key_use_durability: store::Durability::default(),
            flush_interval_ms: default_flush_interval_ms(),
        }
    }
}

impl AuditConfig {
    /// The flush interval.
    pub fn flush_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.flush_interval_ms)
    }
}

/// `[limits]`: caps per client identity (the subject DN of its certificate), so that one
/// client cannot take every login slot or worker from the others (security R19), on the
/// connections kmsd serves at once, and on how long a request may take to arrive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Live (not idle-expired) login sessions an identity may hold; the next login is refused
    /// with `session_limit` (default 256).
    #[serde(default = "default_max_sessions")]
    pub max_sessions_per_identity: u32,
    /// Requests an identity may have in flight; the next one is refused at once with
    /// `too_many_requests` and `Retry-After` (default 64).
    #[serde(default = "default_max_inflight")]
    pub max_inflight_per_identity: u32,
    /// Session objects (`CKA_TOKEN=false`) an identity may have on a token at once, whichever
    /// of its applications made them and with or without a login; the next creation is refused
    /// with `object_limit` (default 10,000).
    #[serde(default = "default_max_session_objects")]
    pub max_session_objects_per_identity: u32,
    /// Connections served at once, whoever opened them (each has a thread of its own); past it,
    /// new connections wait in the listen backlog until one ends (default 4096).
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// Logins and PIN changes an identity may aim, per minute, at tokens it cannot see (no such
    /// token, or one that does not admit it); past it, `too_many_requests` at once, without
    /// the argon2 run such an attempt otherwise costs (default 10).
    #[serde(default = "default_unknown_token_logins")]
    pub unknown_token_logins_per_minute: u32,
    /// Seconds a connection has to send a request's headers (and, idle between requests, the
    /// next one's) before kmsd closes it (default 10).
    #[serde(default = "default_request_timeout")]
    pub request_header_timeout_secs: u64,
    /// Seconds a request has to send its whole body once its headers are in; past it, 408
    /// `request_timeout` and the connection closes. A request counts in flight
    /// (`max_inflight_per_identity`) only once its body has arrived (default 10).
    #[serde(default = "default_request_timeout")]
    pub request_body_timeout_secs: u64,
}

fn default_request_timeout() -> u64 {
    10
}

fn default_unknown_token_logins() -> u32 {
    10
}

fn default_max_connections() -> u32 {
    4096
}

fn default_max_sessions() -> u32 {
    256
}

fn default_max_inflight() -> u32 {
    64
}

fn default_max_session_objects() -> u32 {
    10_000
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_sessions_per_identity: default_max_sessions(),
            max_inflight_per_identity: default_max_inflight(),
            max_session_objects_per_identity: default_max_session_objects(),
            max_connections: default_max_connections(),
            unknown_token_logins_per_minute: default_unknown_token_logins(),
            request_header_timeout_secs: default_request_timeout(),
            request_body_timeout_secs: default_request_timeout(),
        }
    }
}

/// `[tls]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Server certificate chain (PEM).
    pub cert: PathBuf,
    /// Server private key (PEM, mode 0600).
    pub key: PathBuf,
    /// CA that issues client certificates (PEM).
    pub client_ca: PathBuf,
    /// Also accept TLS 1.2 (default: TLS 1.3 only).
    #[serde(default)]
    pub allow_tls12: bool,
}

/// `[auth]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Wrong PINs before the PIN locks (security R16).
    #[serde(default = "default_max_pin_failures")]
    pub max_pin_failures: u32,
    /// Seconds of inactivity after which a login session ends.
    #[serde(default = "default_idle_timeout")]
    pub session_idle_timeout_secs: u64,
    /// Client identities (subject DN as kmsd prints it) allowed to log in as SO (security R17).
    #[serde(default)]
    pub so_identities: Vec<String>,
}

fn default_max_pin_failures() -> u32 {
    10
}

fn default_idle_timeout() -> u64 {
    3600
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_pin_failures: default_max_pin_failures(),
            session_idle_timeout_secs: default_idle_timeout(),
            so_identities: Vec::new(),
        }
    }
}

/// `[lifecycle]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// Seconds between a key's scheduled destruction (`C_DestroyObject`, `kmsd key destroy`)
    /// and the erasure of its material; it can be cancelled until then. 0 erases at once.
    #[serde(default = "default_destroy_wait")]
    pub destroy_wait_secs: u64,
}

fn default_destroy_wait() -> u64 {
    7 * 24 * 3600
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            destroy_wait_secs: default_destroy_wait(),
        }
    }
}

/// `[policy]`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Raw `CKM_RSA_PKCS` signing of inputs other than a SHA-2 `DigestInfo` (a SHA-1 or MD5
    /// `DigestInfo`, TLS 1.0's MD5+SHA-1): for old clients only. Off by default (security rule
    /// R9: MD5/SHA-1 signatures are refused).
    #[serde(default)]
    pub legacy_rsa_signatures: bool,
    /// Public token objects (`CKA_TOKEN=true`, `CKA_PRIVATE=false`) created, copied, changed
    /// or destroyed in a public session (no user login), as the PKCS#11 session table allows
    /// in an R/W public session. Off by default: then only public *session* objects may be
    /// made without a login, and a public token object needs the user PIN
    /// (`user_not_logged_in`), so that whoever holds an admitted certificate but not the PIN
    /// cannot add, rename or remove what every application of the token finds.
    #[serde(default)]
    pub public_token_objects_without_login: bool,
}

/// `[log]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `tracing` filter (`info`, `kms_daemon=debug` …); `RUST_LOG` wins when set.
    #[serde(default = "default_level")]
    pub level: String,
    /// Line format on stderr.
    #[serde(default)]
    pub format: LogFormat,
}

/// `[log] format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (tracing's default format).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
    /// `key=value` pairs, one line per event.
    Logfmt,
}

fn default_level() -> String {
    "info".to_owned()
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: default_level(),
            format: LogFormat::default(),
        }
    }
}

impl Config {
    /// Reads and parses `path`, resolving relative paths against its directory.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading config {}", path.display()), e))?;
        let mut cfg: Config =
            toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        let base = path
            .canonicalize()
            .map_err(|e| Error::io(format!("resolving {}", path.display()), e))?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        cfg.resolve(&base);
        if cfg.auth.max_pin_failures == 0 {
            return Err(Error::Config(
                "auth.max_pin_failures must be at least 1".into(),
            ));
        }
        if cfg.master_key.unseal_timeout_secs == 0 {
            return Err(Error::Config(
                "master_key.unseal_timeout_secs must be at least 1".into(),
            ));
        }
        Ok(cfg)
    }

    fn resolve(&mut self, base: &Path) {
        for p in [
            &mut self.store,
            &mut self.master_key_file,
            &mut self.tls.cert,
            &mut self.tls.key,
            &mut self.tls.client_ca,
        ] {
            let url = p.to_str().is_some_and(store::is_postgres_url);
            if p.is_relative() && !url {
                *p = base.join(&*p);
            }
        }
    }

    /// Writes the config as TOML.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Internal(format!("serialising config: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kmsd.toml");
        std::fs::write(
            &p,
            "listen = \"127.0.0.1:1\"\nstore = \"s.db\"\nmaster_key_file = \"/abs/mk\"\n\
             [tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\nclient_ca = \"ca.pem\"\n",
        )
        .unwrap();
        let cfg = Config::load(&p).unwrap();
        let base = dir.path().canonicalize().unwrap();
        assert_eq!(cfg.store, base.join("s.db"));
        assert_eq!(cfg.master_key_file, PathBuf::from("/abs/mk"));
        assert_eq!(cfg.auth.max_pin_failures, 10);
        assert!(!cfg.tls.allow_tls12);
        assert_eq!(cfg.lifecycle.destroy_wait_secs, 7 * 24 * 3600);
        assert_eq!(cfg.shutdown_timeout_secs, 10);
        assert!(cfg.metrics.enabled);
        assert_eq!(cfg.metrics.listen, default_metrics_listen());
        assert_eq!(cfg.log.format, LogFormat::Text);
        assert_eq!(cfg.master_key.source, MasterKeySource::File);
        assert_eq!(cfg.master_key.unseal_timeout_secs, 600);
        assert_eq!(cfg.limits, LimitsConfig::default());
        assert_eq!(cfg.limits.max_sessions_per_identity, 256);
        assert_eq!(cfg.limits.max_inflight_per_identity, 64);

        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            format!("{text}[master_key]\nsource = \"shares\"\nunseal_timeout_secs = 0\n"),
        )
        .unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("unseal_timeout_secs must be at least 1"),
            "{err}"
        );
        std::fs::write(&p, format!("{text}[master_key]\nsource = \"vault\"\n")).unwrap();
        assert!(Config::load(&p).is_err(), "unknown source");
    }
}
