//! The library's state, made by `C_Initialize` and dropped by `C_Finalize`: the slots, the
//! session table and the handle table; and [`SessionRef`], a session found by its handle.
//!
//! Fork: the state records the process id at `C_Initialize`; in a child every call sees
//! `CKR_CRYPTOKI_NOT_INITIALIZED` (checked without a lock) until it initializes again, and the
//! parent's state (connections included) is abandoned in the child without any network I/O.

use super::handles::{FindState, ObjectEntry, ObjectTable};
use super::ops::crypt::CryptOp;
use super::ops::digest::DigestOp;
use super::ops::sign::SignOp;
use super::ops::verify::VerifyOp;
use super::output::Out;
use super::slot::Slot;
use crate::config::Config;
use crate::error::{Error, Result};
use arc_swap::ArcSwapOption;
use cryptoki_sys::*;
use kms_api::msg::ObjectInfo;
use kms_api::AttrValue;
use parking_lot::{Mutex, MutexGuard, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The initialized library.
pub struct Library {
    pid: u32,
    slots: Vec<Slot>,
    sessions: RwLock<HashMap<CK_SESSION_HANDLE, Arc<Mutex<Session>>>>,
    objects: ObjectTable,
    next_handle: AtomicU64,
}

/// One session and the operations active in it (at most one of each kind).
pub struct Session {
    /// Its slot.
    pub slot: CK_SLOT_ID,
    /// Read/write session?
    pub rw: bool,
    /// Active `C_FindObjects*`.
    pub find: Option<FindState>,
    /// Active `C_Sign*`.
    pub sign: Option<SignOp>,
    /// Active `C_Verify*`.
    pub verify: Option<VerifyOp>,
    /// Active `C_Encrypt*`.
    pub encrypt: Option<CryptOp>,
    /// Active `C_Decrypt*`.
    pub decrypt: Option<CryptOp>,
    /// Active `C_Digest*`.
    pub digest: Option<DigestOp>,
    /// Session objects created in this session (destroyed when it closes).
    pub session_objects: Vec<CK_OBJECT_HANDLE>,
    /// A wrapped key that did not fit the caller's buffer, kept for the retry of that call.
    pub wrap_pending: Option<(String, Out)>,
    /// Why the last call on this session failed in kmsd (`ulDeviceError`), 0 if it did not.
    pub device_error: CK_ULONG,
}

impl Session {
    /// Whether a cryptographic operation (sign, verify, encrypt, decrypt, digest) is active:
    /// what `C_GetOperationState` would have to save.
    pub fn crypto_operation_active(&self) -> bool {
        self.sign.is_some()
            || self.verify.is_some()
            || self.encrypt.is_some()
            || self.decrypt.is_some()
            || self.digest.is_some()
    }

    /// A new session on `slot`, with nothing active.
    pub fn new(slot: CK_SLOT_ID, rw: bool) -> Session {
        Session {
            slot,
            rw,
            find: None,
            sign: None,
            verify: None,
            encrypt: None,
            decrypt: None,
            digest: None,
            session_objects: Vec::new(),
            wrap_pending: None,
            device_error: 0,
        }
    }
}

static LIBRARY: ArcSwapOption<Library> = ArcSwapOption::const_empty();

/// `C_Initialize`: loads the configuration and builds one daemon client per slot.
pub fn initialize() -> Result<()> {
    let pid = std::process::id();
    if let Some(current) = LIBRARY.load_full() {
        if current.pid == pid {
            return Err(Error::Ck(CKR_CRYPTOKI_ALREADY_INITIALIZED));
        }
        abandon_after_fork();
    }
    let config = Config::load().inspect_err(|e| {
        // Configuration problems are what an operator most needs to see: logged even when
        // only the environment asks for a log.
        crate::log::configure(None, None);
        crate::log::message(crate::log::Level::Error, e);
    });
    let config = config.map_err(config_error)?;
    crate::log::configure(config.log.level.as_deref(), config.log.file.as_deref());
    let instance = hex(&random_instance_id()?);
    let slots = config
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| Slot::new(i as CK_SLOT_ID, s.clone(), config.timeouts, &instance))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(config_error)?;
    let lib = Arc::new(Library {
        pid,
        slots,
        sessions: RwLock::new(HashMap::new()),
        objects: ObjectTable::default(),
        next_handle: AtomicU64::new(1),
    });
    let previous = LIBRARY.compare_and_swap(&None::<Arc<Library>>, Some(lib));
    if previous.is_some() {
        return Err(Error::Ck(CKR_CRYPTOKI_ALREADY_INITIALIZED));
    }
    Ok(())
}

/// `C_Finalize`: closes every session (ending logins on kmsd) and drops the state.
pub fn finalize() -> Result<()> {
    let lib = library()?;
    let previous = LIBRARY.compare_and_swap(&Some(Arc::clone(&lib)), None);
    let won = previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, &lib));
    drop(previous);
    if !won {
        // Another thread finalized first.
        return Err(Error::Ck(CKR_CRYPTOKI_NOT_INITIALIZED));
    }
    lib.close_all(None);
    Ok(())
}

/// The library, if initialized in this process.
pub fn library() -> Result<Arc<Library>> {
    match LIBRARY.load_full() {
        Some(lib) if lib.pid == std::process::id() => Ok(lib),
        _ => Err(Error::Ck(CKR_CRYPTOKI_NOT_INITIALIZED)),
    }
}

/// In a forked child: forget the parent's state without running its destructors, which would
/// close the parent's connections or join threads that do not exist in the child.
fn abandon_after_fork() {
    if let Some(stale) = LIBRARY.swap(None) {
        std::mem::forget(stale);
    }
}

fn config_error(message: String) -> Error {
    // The application gets CKR_GENERAL_ERROR; the reason goes to stderr once, and to syslog
    // (an application may hide stderr), as the configuration is the first thing a user must
    // fix. It never contains a secret.
    eprintln!("kms-pkcs11: configuration error: {message}");
    crate::log::syslog(&format!(
        "C_Initialize refused: configuration error: {message}"
    ));
    Error::Ck(CKR_GENERAL_ERROR)
}

fn random_instance_id() -> Result<[u8; 16]> {
    let mut id = [0u8; 16];
    aws_lc_rs::rand::fill(&mut id).map_err(|_| Error::Ck(CKR_GENERAL_ERROR))?;
    Ok(id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Library {
    /// All slots, in configuration order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// One slot, or `CKR_SLOT_ID_INVALID`.
    pub fn slot(&self, id: CK_SLOT_ID) -> Result<&Slot> {
        self.slots
            .get(id as usize)
            .ok_or(Error::Ck(CKR_SLOT_ID_INVALID))
    }

    /// The object table.
    pub fn objects(&self) -> &ObjectTable {
        &self.objects
    }

    /// The session of handle `h` with its slot, or `CKR_SESSION_HANDLE_INVALID`. A C call on a
    /// session looks it up here once and passes the [`SessionRef`] down.
    pub fn session(&self, h: CK_SESSION_HANDLE) -> Result<SessionRef<'_>> {
        let session = self
            .sessions
            .read()
            .get(&h)
            .cloned()
            .ok_or(Error::Ck(CKR_SESSION_HANDLE_INVALID))?;
        let slot = self.slot(session.lock().slot)?;
        Ok(SessionRef {
            lib: self,
            slot,
            session,
        })
    }

    /// Puts a new session in the table and returns its handle.
    pub(super) fn add_session(&self, session: Session) -> CK_SESSION_HANDLE {
        let h = self.new_handle();
        self.sessions
            .write()
            .insert(h, Arc::new(Mutex::new(session)));
        h
    }

    /// Takes a session out of the table.
    pub(super) fn remove_session(&self, h: CK_SESSION_HANDLE) -> Option<Arc<Mutex<Session>>> {
        self.sessions.write().remove(&h)
    }

    /// The handles and sessions on slot `slot`, or on every slot (`None`).
    pub(super) fn sessions_on(
        &self,
        slot: Option<CK_SLOT_ID>,
    ) -> Vec<(CK_SESSION_HANDLE, Arc<Mutex<Session>>)> {
        self.sessions
            .read()
            .iter()
            .filter(|(_, s)| slot.is_none_or(|id| s.lock().slot == id))
            .map(|(h, s)| (*h, Arc::clone(s)))
            .collect()
    }

    /// Records an object kmsd reported and returns its handle.
    pub fn register(&self, slot: CK_SLOT_ID, mut info: ObjectInfo) -> CK_OBJECT_HANDLE {
        let id_attr = kms_api::vendor::CKA_KMS_OBJECT_ID;
        if kms_api::attr::find(&info.attrs, id_attr).is_none() {
            let value = AttrValue::Bytes(kms_api::Bytes(info.id.as_bytes().to_vec()));
            info.attrs.push(kms_api::Attr { ty: id_attr, value });
        }
        self.objects.register(slot, info, || self.new_handle())
    }

    /// A fresh handle: non-zero and never reused in this process.
    fn new_handle(&self) -> CK_ULONG {
        self.next_handle.fetch_add(1, Ordering::Relaxed) as CK_ULONG
    }
}

/// A session found by its handle, with its slot: what every C function on a session works on.
/// It holds no lock; [`SessionRef::lock`] takes the session's for a moment.
pub struct SessionRef<'l> {
    lib: &'l Library,
    slot: &'l Slot,
    session: Arc<Mutex<Session>>,
}

impl<'l> SessionRef<'l> {
    /// The library.
    pub fn library(&self) -> &'l Library {
        self.lib
    }

    /// The session's slot.
    pub fn slot(&self) -> &'l Slot {
        self.slot
    }

    /// The session's state, locked. Never held across a round trip to kmsd.
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        self.session.lock()
    }

    /// Leaves in the session why the call on it failed in kmsd (`ulDeviceError`), 0 if it
    /// did not.
    pub fn record_device_error(&self, code: CK_ULONG) {
        self.lock().device_error = code;
    }

    /// The object behind a handle, as visible from this session's slot and login state
    /// (`CKR_OBJECT_HANDLE_INVALID` otherwise).
    pub fn object(&self, h: CK_OBJECT_HANDLE) -> Result<Arc<ObjectEntry>> {
        let entry = self
            .lib
            .objects
            .get(h)
            .ok_or(Error::Ck(CKR_OBJECT_HANDLE_INVALID))?;
        if entry.slot != self.slot.id || (entry.is_private() && self.slot.user().is_none()) {
            return Err(Error::Ck(CKR_OBJECT_HANDLE_INVALID));
        }
        Ok(entry)
    }

    /// Refuses to change token objects from a read-only session (`CKR_SESSION_READ_ONLY`).
    pub fn check_writable(&self, token_object: bool) -> Result<()> {
        if token_object && !self.lock().rw {
            return Err(Error::Ck(CKR_SESSION_READ_ONLY));
        }
        Ok(())
    }

    /// Registers a new object and, for a session object, ties it to this session.
    pub fn adopt(&self, info: ObjectInfo) -> Result<CK_OBJECT_HANDLE> {
        let h = self.lib.register(self.slot.id, info);
        let entry = self
            .lib
            .objects
            .get(h)
            .ok_or(Error::Ck(CKR_GENERAL_ERROR))?;
        if !entry.is_token() {
            self.lock().session_objects.push(h);
        }
        Ok(h)
    }
}
