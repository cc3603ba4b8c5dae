//! The module's configuration: TOML at `$KMS_PKCS11_CONFIG`, else `/etc/kms-pkcs11/config.toml`.
//!
//! ```toml
//! [[slots]]
//! token = "kms-default"                       # token label on kmsd
//! endpoints = ["https://127.0.0.1:7443"]      # one or more kmsd replicas (load spread,
//!                                             # failover: client::endpoints)
//! ca_file = "/etc/kms-pkcs11/ca.pem"          # CA that issued kmsd's certificate
//! cert_file = "/etc/kms-pkcs11/client.pem"    # this client's certificate
//! key_file = "/etc/kms-pkcs11/client.key"     # its private key (the only secret referenced)
//!
//! [timeouts]
//! connect_ms = 2000                           # TCP + TLS connect
//! request_ms = 5000                           # whole call, every endpoint tried included,
//!                                             # after which CKR_DEVICE_ERROR
//! ```
//!
//! **Files the module trusts** (issue 20, item 7; as ssh does): the configuration and the CA
//! and certificate files it names must be regular files of at most [`MAX_FILE_BYTES`] — never a
//! device or a FIFO, which would read forever or block `C_Initialize` — and none of them may be
//! writable by group or others (whoever could write them could point the module at their own
//! kmsd or CA). The client key must be readable by its owner only (mode 0600 or 0400); the one
//! exception is a key owned by root that only root may write and no "other" may read (0640,
//! 0440: a system path shared with a service group). Anything else fails `C_Initialize` with one
//! line naming the file, its mode and the `chmod` that fixes it.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "KMS_PKCS11_CONFIG";
/// Config file used when the variable is not set.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/kms-pkcs11/config.toml";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// One slot per entry, in this order (slot ids 0, 1, …).
    #[serde(default)]
    pub slots: Vec<SlotConfig>,
    /// Network timeouts.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// The module's log (`KMS_PKCS11_LOG` and `KMS_PKCS11_LOG_FILE` override it).
    #[serde(default)]
    pub log: LogConfig,
}

/// `[log]`: off unless a level is given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `off`, `error`, `info` or `debug`.
    pub level: Option<String>,
    /// Log file (appended to, created owner-only); standard error when absent.
    pub file: Option<PathBuf>,
}

/// One slot: a token on kmsd and how to reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotConfig {
    /// The token label on kmsd.
    pub token: String,
    /// kmsd endpoints (`https://host:port`): replicas over one store. Calls are spread over
    /// them and move on from one that fails (`client` documents when).
    pub endpoints: Vec<String>,
    /// PEM file with the CA certificate(s) that issued kmsd's certificate.
    pub ca_file: PathBuf,
    /// PEM file with this client's certificate (chain).
    pub cert_file: PathBuf,
    /// PEM file with this client's private key.
    pub key_file: PathBuf,
    /// SHA-256 of kmsd's server certificate (hex, colons allowed): when set, the certificate
    /// must also be exactly this one.
    #[serde(default)]
    pub server_cert_sha256: Option<String>,
}

/// Network timeouts in milliseconds.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Connect (TCP and TLS handshake).
    #[serde(default = "default_connect_ms")]
    pub connect_ms: u64,
    /// Whole C call: every attempt on every endpoint within it.
    #[serde(default = "default_request_ms")]
    pub request_ms: u64,
}

fn default_connect_ms() -> u64 {
    2000
}

fn default_request_ms() -> u64 {
    5000
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_ms: default_connect_ms(),
            request_ms: default_request_ms(),
        }
    }
}

impl Config {
    /// Loads the file named by `$KMS_PKCS11_CONFIG`, else the default path.
    pub fn load() -> Result<Config, String> {
        let path = std::env::var_os(CONFIG_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH));
        Config::from_file(&path)
    }

    /// Loads and checks one file (module doc: regular, bounded, not writable by others), and
    /// the modes of the files it names. Relative paths inside are resolved against its
    /// directory.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let bytes = read_trusted(path, Trust::Public)?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        let mut config = Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for slot in &mut config.slots {
            for p in [&mut slot.ca_file, &mut slot.cert_file, &mut slot.key_file] {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
            // A missing key is reported where it is used (`client::tls`, kms-pkcs11-check's
            // credentials step); one that others may read is refused now.
            if slot.key_file.exists() {
                check_trusted(&slot.key_file, Trust::Secret)?;
            }
        }
        if let Some(f) = config.log.file.as_mut().filter(|f| f.is_relative()) {
            *f = base.join(&*f);
        }
        Ok(config)
    }

    /// Parses TOML text and checks it.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.message().to_string())?;
        for (i, slot) in config.slots.iter().enumerate() {
            if slot.token.is_empty() || slot.token.len() > 32 {
                return Err(format!("slot {i}: token label must be 1 to 32 bytes"));
            }
            if slot.endpoints.is_empty() {
                return Err(format!("slot {i}: at least one endpoint is needed"));
            }
            if let Some(bad) = slot.endpoints.iter().find(|e| !e.starts_with("https://")) {
                return Err(format!("slot {i}: endpoint {bad} is not https://"));
            }
        }
        if config.timeouts.connect_ms == 0 || config.timeouts.request_ms == 0 {
            return Err("timeouts must be greater than 0".into());
        }
        Ok(config)
    }
}

/// The most bytes the module reads from a file it trusts (configuration, CA, certificate, key).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Who may read or write a file the module trusts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Anyone may read it; only its owner may write it (configuration, certificates).
    Public,
    /// Only its owner may read it (the client key), but for root's shared system keys.
    Secret,
}

/// Opens `path` without blocking (a FIFO would) and checks it (module doc); the open file.
fn open_trusted(path: &Path, trust: Trust) -> Result<std::fs::File, String> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a regular file (a device, FIFO or directory); point to a file",
            path.display()
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {} bytes; point to the right file",
            path.display(),
            MAX_FILE_BYTES
        ));
    }
    let mode = meta.mode() & 0o7777;
    let shown = path.display();
    if mode & 0o022 != 0 {
        return Err(format!(
            "{shown} is writable by group or others (mode {:o}); fix: chmod go-w {shown}",
            mode & 0o777
        ));
    }
    let root_shared = meta.uid() == 0 && mode & 0o004 == 0;
    if trust == Trust::Secret && mode & 0o077 != 0 && !root_shared {
        return Err(format!(
            "{shown}: the private key may be read by group or others (mode {:o}); \
             fix: chmod 600 {shown}",
            mode & 0o777
        ));
    }
    Ok(file)
}

/// Checks the file at `path` as [`read_trusted`] would, without reading it.
pub fn check_trusted(path: &Path, trust: Trust) -> Result<(), String> {
    open_trusted(path, trust).map(drop)
}

/// The contents of a file the module trusts (module doc), or one line saying why not.
pub fn read_trusted(path: &Path, trust: Trust) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = open_trusted(path, trust)?;
    let mut out = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{} grew past {MAX_FILE_BYTES} bytes",
            path.display()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[slots]]
token = "kms-default"
endpoints = ["https://127.0.0.1:7443"]
ca_file = "ca.pem"
cert_file = "/abs/client.pem"
key_file = "client.key"
"#;

    #[test]
    fn parses_with_default_timeouts() {
        let c = Config::parse(GOOD).unwrap();
        assert_eq!(c.slots.len(), 1);
        assert_eq!(c.timeouts.request_ms, 5000);
    }

    #[test]
    fn rejects_plain_http_unknown_keys_and_empty_endpoints() {
        assert!(Config::parse(&GOOD.replace("https://", "http://")).is_err());
        assert!(Config::parse(&format!("{GOOD}\nbogus = 1\n")).is_err());
        assert!(Config::parse(&GOOD.replace(r#"["https://127.0.0.1:7443"]"#, "[]")).is_err());
    }

    #[test]
    fn resolves_relative_paths_against_the_file() {
        let dir = std::env::temp_dir().join(format!("kms-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("p.toml");
        std::fs::write(&file, GOOD).unwrap();
        let c = Config::from_file(&file).unwrap();
        assert_eq!(c.slots[0].ca_file, dir.join("ca.pem"));
        assert_eq!(c.slots[0].cert_file, PathBuf::from("/abs/client.pem"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
