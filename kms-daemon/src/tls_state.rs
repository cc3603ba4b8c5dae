//! The TLS configuration in force, and its reload on SIGHUP.
//!
//! Each accepted connection takes the configuration current at its handshake; a reload swaps it
//! for one read anew from the `[tls]` files (server certificate chain, key, client CA), so new
//! handshakes use the new certificate while established connections keep theirs. A reload whose
//! files have a problem ([`crate::preflight::tls_problems`]) is refused and the configuration in
//! force stays.

use crate::config::TlsConfig;
use crate::error::{Error, Result};
use crate::preflight::{tls_problems, Problem};
use parking_lot::RwLock;
use rustls::ServerConfig;
use std::sync::Arc;

/// The `[tls]` files and the server configuration made from them.
#[derive(Debug)]
pub struct TlsState {
    files: TlsConfig,
    current: RwLock<Arc<ServerConfig>>,
}

impl TlsState {
    /// Reads the files once.
    pub fn load(files: &TlsConfig) -> Result<TlsState> {
        Ok(TlsState {
            files: files.clone(),
            current: RwLock::new(crate::server::tls_config(files)?),
        })
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.read().clone()
    }

    /// Reads the files again and, if they have no problem, puts them in force. On `Err` the
    /// configuration in force is unchanged.
    pub fn reload(&self) -> std::result::Result<(), Vec<Problem>> {
        let problems = tls_problems(&self.files);
        if !problems.is_empty() {
            return Err(problems);
        }
        let fresh = crate::server::tls_config(&self.files).map_err(|e: Error| {
            vec![Problem {
                what: e.to_string(),
                fix: "correct the [tls] files, then send SIGHUP again".into(),
            }]
        })?;
        *self.current.write() = fresh;
        Ok(())
    }
}
