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

    /// Loads and checks one file. Relative paths inside are resolved against its directory.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut config = Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for slot in &mut config.slots {
            for p in [&mut slot.ca_file, &mut slot.cert_file, &mut slot.key_file] {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
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
