//! The token layer: the library's state (slots, sessions, object handles, login) and every
//! PKCS#11 function as a safe method returning `Result`. Nothing here is `unsafe`; the FFI
//! layer converts C arguments into these calls.
//!
//! Lock order (outer to inner): the session map → one session → a slot's login → the object
//! table. No lock is held across a round trip to kmsd: operations are taken out of their
//! session, run, and put back.
//!
//! Fork: the state records the process id at `C_Initialize`; in a child every call sees
//! `CKR_CRYPTOKI_NOT_INITIALIZED` (checked without a lock) until it initializes again, and the
//! parent's state (connections included) is abandoned in the child without any network I/O.

pub mod keys;
pub mod objects;
pub mod operations;
pub mod ops;
pub mod output;
pub mod session;
pub mod slot;
pub mod transport;

use crate::config::Config;
use crate::error::{Error, Result};
use arc_swap::ArcSwapOption;
use cryptoki_sys::*;
use objects::ObjectTable;
use parking_lot::{Mutex, RwLock};
use session::Session;
use slot::Slot;
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

/// Leaves in session `h` (if it exists) why its last call failed, for `ulDeviceError`.
pub fn record_device_error(h: CK_SESSION_HANDLE, code: CK_ULONG) {
    if let Ok(session) = library().and_then(|lib| lib.session(h)) {
        session.lock().device_error = code;
    }
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
    // The application gets CKR_GENERAL_ERROR; the reason goes to stderr once, as the
    // configuration is the first thing a user must fix. It never contains a secret.
    eprintln!("kms-pkcs11: configuration error: {message}");
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

    /// A fresh handle: non-zero and never reused in this process.
    fn new_handle(&self) -> CK_ULONG {
        self.next_handle.fetch_add(1, Ordering::Relaxed) as CK_ULONG
    }

    /// The object table.
    pub fn objects(&self) -> &ObjectTable {
        &self.objects
    }
}
