//! Sessions and login (PKCS#11 v3.0 §5.6): open/close, session state, `C_Login`/`C_Logout`,
//! the PINs, and `C_InitToken`.
//!
//! The login belongs to the application: it covers every session on the slot and ends when the
//! last one closes. Closing a session destroys the session objects it created.

use super::library::{Library, Session, SessionRef};
use super::slot::{Login, Slot};
use crate::error::{Error, Result};
use cryptoki_sys::*;
use kms_api::msg::UserType;
use kms_api::{SecretBytes, MAX_PIN_LEN, MIN_PIN_LEN};

/// `CKR_PIN_LEN_RANGE` unless the PIN has the length the contract allows (kms-api's
/// `MIN_PIN_LEN..=MAX_PIN_LEN`; kmsd checks again).
fn check_pin_len(pin: &SecretBytes) -> Result<()> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.as_ref().len()) {
        Ok(())
    } else {
        Err(Error::Ck(CKR_PIN_LEN_RANGE))
    }
}

/// What `C_GetSessionInfo` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionView {
    /// Slot id.
    pub slot: CK_SLOT_ID,
    /// `CKS_*`.
    pub state: CK_STATE,
    /// `CKF_SERIAL_SESSION` and maybe `CKF_RW_SESSION`.
    pub flags: CK_FLAGS,
    /// `ulDeviceError`: kmsd's code for the last failed call (`KMS_DEVICE_ERROR_*`), or 0.
    pub device_error: CK_ULONG,
}

impl Library {
    /// Number of sessions and of read/write sessions on a slot.
    pub fn session_counts(&self, slot: &Slot) -> (usize, usize) {
        let all = self.sessions_on(Some(slot.id));
        let rw = all.iter().filter(|(_, s)| s.lock().rw).count();
        (all.len(), rw)
    }

    /// `C_OpenSession`.
    pub fn open_session(&self, slot_id: CK_SLOT_ID, flags: CK_FLAGS) -> Result<CK_SESSION_HANDLE> {
        let slot = self.slot(slot_id)?;
        if flags & CKF_SERIAL_SESSION == 0 {
            return Err(Error::Ck(CKR_SESSION_PARALLEL_NOT_SUPPORTED));
        }
        let rw = flags & CKF_RW_SESSION != 0;
        if !rw && slot.user() == Some(CKU_SO) {
            return Err(Error::Ck(CKR_SESSION_READ_WRITE_SO_EXISTS));
        }
        Ok(self.add_session(Session::new(slot_id, rw)))
    }

    /// `C_CloseSession`.
    pub fn close_session(&self, h: CK_SESSION_HANDLE) -> Result<()> {
        let session = self
            .remove_session(h)
            .ok_or(Error::Ck(CKR_SESSION_HANDLE_INVALID))?;
        let (slot_id, objects) = {
            let mut s = session.lock();
            (s.slot, std::mem::take(&mut s.session_objects))
        };
        let slot = self.slot(slot_id)?;
        self.destroy_session_objects(slot, &objects);
        if self.sessions_on(Some(slot_id)).is_empty() {
            self.end_login(slot);
        }
        Ok(())
    }

    /// `C_CloseAllSessions` (`slot` given) and `C_Finalize` (`None`: every slot).
    pub fn close_all(&self, slot: Option<&Slot>) {
        for (h, _) in self.sessions_on(slot.map(|s| s.id)) {
            let _ = self.close_session(h);
        }
        for s in slot.map_or(self.slots(), std::slice::from_ref) {
            self.end_login(s);
        }
    }

    fn destroy_session_objects(&self, slot: &Slot, objects: &[CK_OBJECT_HANDLE]) {
        let bearer = slot.bearer();
        for h in objects {
            if let Some(entry) = self.objects().remove(*h) {
                // Best effort: kmsd also drops session objects of instances that went away.
                let _ = slot.client.destroy(bearer.as_ref(), &entry.info.id);
            }
        }
    }

    /// Ends the login on a slot, locally and on kmsd; private object handles become invalid.
    fn end_login(&self, slot: &Slot) -> bool {
        let Some(login) = slot.take_login() else {
            return false;
        };
        self.objects().forget_private(slot.id);
        // kmsd ends idle sessions by itself; an unreachable daemon does not keep us logged in.
        let _ = slot.client.logout(&login.bearer);
        slot.invalidate_info();
        true
    }

    /// `C_InitToken` on the token of `slot_id`: refused while this application has a session
    /// on it (`CKR_SESSION_EXISTS`); the label must be the token's own (the configuration names
    /// the token by it, so it cannot change here: `CKR_ARGUMENTS_BAD`).
    pub fn init_token(&self, slot_id: CK_SLOT_ID, so_pin: SecretBytes, label: &[u8]) -> Result<()> {
        let slot = self.slot(slot_id)?;
        if !self.sessions_on(Some(slot_id)).is_empty() {
            return Err(Error::Ck(CKR_SESSION_EXISTS));
        }
        let label = std::str::from_utf8(label)
            .map(|l| l.trim_end_matches([' ', '\0']))
            .map_err(|_| Error::Ck(CKR_ARGUMENTS_BAD))?;
        if label != slot.client.token() {
            return Err(Error::Ck(CKR_ARGUMENTS_BAD));
        }
        check_pin_len(&so_pin)?;
        let result = slot.client.init_token(so_pin);
        // Every slot of this application on the same token sees the change at once.
        for other in self.slots().iter().filter(|o| o.client.token() == label) {
            other.invalidate_info();
            if result.is_ok() {
                self.objects().forget_all(other.id);
            }
        }
        result
    }
}

impl SessionRef<'_> {
    /// `C_GetSessionInfo`.
    pub fn info(&self) -> SessionView {
        let (rw, device_error) = {
            let s = self.lock();
            (s.rw, s.device_error)
        };
        let state = match (self.slot().user(), rw) {
            (Some(CKU_SO), _) => CKS_RW_SO_FUNCTIONS,
            (Some(_), true) => CKS_RW_USER_FUNCTIONS,
            (Some(_), false) => CKS_RO_USER_FUNCTIONS,
            (None, true) => CKS_RW_PUBLIC_SESSION,
            (None, false) => CKS_RO_PUBLIC_SESSION,
        };
        let flags = CKF_SERIAL_SESSION | if rw { CKF_RW_SESSION } else { 0 };
        SessionView {
            slot: self.slot().id,
            state,
            flags,
            device_error,
        }
    }

    /// `C_Login`.
    pub fn login(&self, user: CK_USER_TYPE, pin: SecretBytes) -> Result<()> {
        let slot = self.slot();
        let user_type = match user {
            CKU_USER => UserType::User,
            CKU_SO => UserType::So,
            CKU_CONTEXT_SPECIFIC => {
                // No key here needs CKA_ALWAYS_AUTHENTICATE, so no operation awaits it.
                return Err(Error::Ck(match slot.user() {
                    None => CKR_USER_NOT_LOGGED_IN,
                    Some(_) => CKR_OPERATION_NOT_INITIALIZED,
                }));
            }
            _ => return Err(Error::Ck(CKR_USER_TYPE_INVALID)),
        };
        match slot.user() {
            Some(u) if u == user => return Err(Error::Ck(CKR_USER_ALREADY_LOGGED_IN)),
            Some(_) => return Err(Error::Ck(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)),
            None => {}
        }
        let on_slot = || self.library().sessions_on(Some(slot.id));
        if user == CKU_SO && on_slot().iter().any(|(_, s)| !s.lock().rw) {
            return Err(Error::Ck(CKR_SESSION_READ_ONLY_EXISTS));
        }
        check_pin_len(&pin)?;
        slot.invalidate_info();
        let resp = slot.client.login(user_type, pin)?;
        let login = Login {
            user,
            bearer: resp.session,
        };
        if !slot.set_login(login.clone()) {
            let _ = slot.client.logout(&login.bearer);
            return Err(Error::Ck(CKR_USER_ALREADY_LOGGED_IN));
        }
        Ok(())
    }

    /// `C_SetPIN`: changes the PIN of the user type logged in (the user's in a public session).
    pub fn set_pin(&self, old_pin: SecretBytes, new_pin: SecretBytes) -> Result<()> {
        let slot = self.slot();
        if !self.lock().rw {
            return Err(Error::Ck(CKR_SESSION_READ_ONLY));
        }
        check_pin_len(&old_pin)?;
        check_pin_len(&new_pin)?;
        slot.invalidate_info();
        slot.client
            .set_pin(slot.bearer().as_ref(), old_pin, new_pin)
    }

    /// `C_InitPIN`: the SO sets the user PIN (and so unlocks it).
    pub fn init_pin(&self, pin: SecretBytes) -> Result<()> {
        let slot = self.slot();
        let login = slot
            .login()
            .filter(|l| l.user == CKU_SO)
            .ok_or(Error::Ck(CKR_USER_NOT_LOGGED_IN))?;
        if !self.lock().rw {
            return Err(Error::Ck(CKR_SESSION_READ_ONLY));
        }
        check_pin_len(&pin)?;
        slot.invalidate_info();
        slot.client.init_pin(&login.bearer, pin)
    }

    /// `C_Logout`.
    pub fn logout(&self) -> Result<()> {
        if self.library().end_login(self.slot()) {
            Ok(())
        } else {
            Err(Error::Ck(CKR_USER_NOT_LOGGED_IN))
        }
    }
}
