//! The services a request reaches: store, vault and the auth policy, shared by all handlers.

use crate::config::{AuditConfig, AuthConfig, Config, LifecycleConfig, PolicyConfig};
use crate::crypto::keycache::KeyCache;
use crate::error::Result;
use crate::limits::Limits;
use crate::store::Store;
use crate::vault::slot::VaultSlot;
use std::sync::Arc;

/// Everything a request may use.
#[derive(Debug)]
pub struct Services {
    /// The SQLite store.
    pub store: Store,
    /// Seals and opens key material; empty while kmsd is sealed.
    pub vault: VaultSlot,
    /// Login policy.
    pub auth: AuthConfig,
    /// Key life-cycle settings.
    pub lifecycle: LifecycleConfig,
    /// Mechanism policy switches.
    pub policy: PolicyConfig,
    /// Private keys kept parsed between uses.
    pub key_cache: KeyCache,
    /// Caps per client identity: requests in flight, login sessions.
    pub limits: Limits,
    /// When audit records reach the disk.
    pub audit: AuditConfig,
}

/// Shared handle to the services (the axum state).
pub type AppState = Arc<Services>;

impl Services {
    /// Opens the store and the master key named by `cfg`: unsealed with a key file, sealed with
    /// a passphrase or shares source (whose record must be readable).
    pub fn open(cfg: &Config) -> Result<Services> {
        let store = Store::open_with(&cfg.store, cfg.audit.flush_interval())?;
        let (vault, _record) = crate::vault::slot::open(cfg)?;
        Ok(Services {
            store,
            vault,
            auth: cfg.auth.clone(),
            lifecycle: cfg.lifecycle.clone(),
            policy: cfg.policy.clone(),
            key_cache: KeyCache::default(),
            limits: Limits::new(cfg.limits.clone()),
            audit: cfg.audit.clone(),
        })
    }
}
