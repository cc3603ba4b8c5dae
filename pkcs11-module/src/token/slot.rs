//! A slot: one configured kmsd token, its daemon client, and the application's login to it
//! (PKCS#11 logins belong to the application and cover all its sessions on the token).

use crate::client::DaemonClient;
use crate::config::{SlotConfig, Timeouts};
use crate::error::Result;
use cryptoki_sys::*;
use kms_api::msg::TokenInfo;
use kms_api::SecretBytes;
use parking_lot::{Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long `C_GetTokenInfo` may answer from the last reading (PIN flags change only through
/// logins, which clear it).
const INFO_TTL: Duration = Duration::from_secs(2);

/// The application's login on a slot.
#[derive(Clone)]
pub struct Login {
    /// `CKU_USER` or `CKU_SO`.
    pub user: CK_USER_TYPE,
    /// kmsd's session token.
    pub bearer: SecretBytes,
}

/// One slot.
pub struct Slot {
    /// Slot id (its index in the configuration).
    pub id: CK_SLOT_ID,
    /// Its configuration.
    pub config: SlotConfig,
    /// Client of its token on kmsd.
    pub client: DaemonClient,
    login: RwLock<Option<Login>>,
    info: Mutex<Option<(Instant, TokenInfo)>>,
}

impl Slot {
    /// Builds a slot; no network I/O.
    pub fn new(
        id: CK_SLOT_ID,
        config: SlotConfig,
        timeouts: Timeouts,
        instance: &str,
    ) -> std::result::Result<Self, String> {
        let client = DaemonClient::new(&config, timeouts, instance)
            .map_err(|e| format!("slot {id} (token {}): {e}", config.token))?;
        Ok(Slot {
            id,
            config,
            client,
            login: RwLock::new(None),
            info: Mutex::new(None),
        })
    }

    /// The current login, if any.
    pub fn login(&self) -> Option<Login> {
        self.login.read().clone()
    }

    /// The user type logged in, if any.
    pub fn user(&self) -> Option<CK_USER_TYPE> {
        self.login.read().as_ref().map(|l| l.user)
    }

    /// The bearer token of the login, if any.
    pub fn bearer(&self) -> Option<SecretBytes> {
        self.login.read().as_ref().map(|l| l.bearer.clone())
    }

    /// Records a login unless another thread logged in first; returns whether it was recorded.
    pub fn set_login(&self, login: Login) -> bool {
        let mut slot = self.login.write();
        if slot.is_some() {
            return false;
        }
        *slot = Some(login);
        true
    }

    /// Removes the login and returns it.
    pub fn take_login(&self) -> Option<Login> {
        self.login.write().take()
    }

    /// The token's information from kmsd (cached for a moment).
    pub fn token_info(&self) -> Result<TokenInfo> {
        if let Some((at, info)) = self.info.lock().as_ref() {
            if at.elapsed() < INFO_TTL {
                return Ok(info.clone());
            }
        }
        let info = self.client.token_info()?;
        *self.info.lock() = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    /// Forgets the cached token information (after a login attempt changed the PIN flags).
    pub fn invalidate_info(&self) {
        *self.info.lock() = None;
    }
}
