//! The services a request reaches: store, vault and the auth policy, shared by all handlers.

use crate::config::{AuthConfig, Config, LifecycleConfig};
use crate::error::Result;
use crate::store::Store;
use crate::vault::Vault;
use std::sync::Arc;

/// Everything a request may use.
#[derive(Debug)]
pub struct Services {
    /// The SQLite store.
    pub store: Store,
    /// Seals and opens key material.
    pub vault: Vault,
    /// Login policy.
    pub auth: AuthConfig,
    /// Key life-cycle settings.
    pub lifecycle: LifecycleConfig,
}

/// Shared handle to the services (the axum state).
pub type AppState = Arc<Services>;

impl Services {
    /// Opens the store and the master key named by `cfg`.
    pub fn open(cfg: &Config) -> Result<Services> {
        let vault = Vault::load(&cfg.master_key_file)?;
        let store = Store::open(&cfg.store)?;
        Ok(Services {
            store,
            vault,
            auth: cfg.auth.clone(),
            lifecycle: cfg.lifecycle.clone(),
        })
    }
}
