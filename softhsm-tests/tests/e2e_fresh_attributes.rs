//! No stale attributes across processes (issue 22): what `C_GetAttributeValue` returns is never
//! older than the last change kmsd acknowledged before the call began.
//!
//! Two applications are two loads of the module (the library copied to a file of each one's
//! own, so that dlopen gives each its own state: handle table, instance and login), each
//! `C_Initialize`d. Application A reads an object, application B (or `kmsd key …`, a separate
//! process) changes it, and A reads it again: the label B set, the life-cycle state the
//! administrator set, and `CKR_OBJECT_HANDLE_INVALID` once B destroyed it. The same holds when A
//! and B talk to two kmsd replicas over one store (PostgreSQL in `.ci/run`'s PostgreSQL pass).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_api::vendor::{
    CKA_KMS_OBJECT_ID, CKA_KMS_STATE, CK_KMS_STATE_ACTIVE, CK_KMS_STATE_DEACTIVATED,
};
use kms_testkit::{module_path, rv, Kmsd, USER_PIN};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One application: a load of the module of its own, initialized on `config`, logged in.
struct App {
    _ctx: Pkcs11,
    s: Session,
}

impl App {
    /// Loads the module file `module` with `KMS_PKCS11_CONFIG=config`, opens an R/W session
    /// and logs in.
    fn start(module: &Path, config: &Path) -> App {
        // The configuration is read from the environment at C_Initialize: one at a time.
        static ENV: Mutex<()> = Mutex::new(());
        let ctx = {
            let _one = ENV.lock().unwrap_or_else(|e| e.into_inner());
            std::env::set_var("KMS_PKCS11_CONFIG", config);
            let ctx = Pkcs11::new(module).expect("load the module");
            ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
                .expect("C_Initialize");
            ctx
        };
        let slot = ctx.get_slots_with_token().expect("slots")[0];
        let s = ctx.open_rw_session(slot).expect("C_OpenSession");
        s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
            .expect("C_Login");
        App { _ctx: ctx, s }
    }

    fn label(&self, key: ObjectHandle) -> Result<Vec<u8>, RvError> {
        match self.s.get_attributes(key, &[AttributeType::Label]) {
            Ok(mut v) => match v.pop() {
                Some(Attribute::Label(l)) => Ok(l),
                other => panic!("no label: {other:?}"),
            },
            Err(e) => Err(rv(e)),
        }
    }

    fn vendor(&self, key: ObjectHandle, ty: u64) -> Vec<u8> {
        let ty = AttributeType::VendorDefined(ty as _);
        match self.s.get_attributes(key, &[ty]).unwrap().pop() {
            Some(Attribute::VendorDefined((_, bytes))) => bytes,
            other => panic!("no vendor attribute: {other:?}"),
        }
    }

    fn state(&self, key: ObjectHandle) -> u64 {
        let bytes = self.vendor(key, CKA_KMS_STATE);
        u64::from_ne_bytes(bytes.try_into().expect("a CK_ULONG"))
    }

    fn find(&self, label: &[u8]) -> ObjectHandle {
        let found = self
            .s
            .find_objects(&[Attribute::Label(label.to_vec())])
            .unwrap();
        assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(label));
        found[0]
    }

    fn aes(&self, label: &[u8]) -> ObjectHandle {
        let t = [
            Attribute::Token(true),
            Attribute::ValueLen(32.into()),
            Attribute::Encrypt(true),
            Attribute::Label(label.to_vec()),
        ];
        self.s.generate_key(&Mechanism::AesKeyGen, &t).unwrap()
    }
}

/// The module copied to `dir` as `name`: a file of its own, so that dlopen loads an instance
/// of its own.
fn module_copy(dir: &Path, name: &str) -> PathBuf {
    let copy = dir.join(format!("libkms_pkcs11-{name}.so"));
    std::fs::copy(module_path(), &copy).expect("copy the module");
    copy
}

/// A changes nothing, B relabels and destroys; A sees both at its next read.
fn label_and_destroy_are_seen(a: &App, b: &App) {
    let key = a.aes(b"before");
    assert_eq!(a.label(key).unwrap(), b"before");
    let theirs = b.find(b"before");
    b.s.update_attributes(theirs, &[Attribute::Label(b"after".to_vec())])
        .unwrap();
    assert_eq!(a.label(key).unwrap(), b"after", "A reads B's label");
    assert_eq!(a.find(b"after"), key, "and finds the same handle by it");

    b.s.destroy_object(theirs).unwrap();
    assert_eq!(
        a.label(key),
        Err(RvError::ObjectHandleInvalid),
        "A's handle of the object B destroyed"
    );
}

#[test]
fn another_process_and_the_admin_cli_are_never_hidden_by_old_copies() {
    let kmsd = Kmsd::start();
    let dir = tempfile::tempdir().unwrap();
    let a = App::start(&module_copy(dir.path(), "a"), &kmsd.module_config());
    let b = App::start(&module_copy(dir.path(), "b"), &kmsd.module_config());
    label_and_destroy_are_seen(&a, &b);

    // A life-cycle change by the administrator (`kmsd key deactivate`, another process).
    let key = a.aes(b"lifecycle");
    assert_eq!(a.state(key), CK_KMS_STATE_ACTIVE);
    let id = String::from_utf8(a.vendor(key, CKA_KMS_OBJECT_ID)).unwrap();
    let (ok, out) = kmsd.admin(&["key", "deactivate", "--id", &id]);
    assert!(ok, "kmsd key deactivate: {out}");
    assert_eq!(a.state(key), CK_KMS_STATE_DEACTIVATED);
    let (ok, out) = kmsd.admin(&["key", "destroy", "--id", &id]);
    assert!(ok, "kmsd key destroy: {out}");
    assert_eq!(a.label(key), Err(RvError::ObjectHandleInvalid));
}

#[test]
fn replicas_over_one_store_are_never_hidden_by_old_copies() {
    let kmsd = Kmsd::start();
    let replica = kmsd.replica();
    let dir = tempfile::tempdir().unwrap();
    // One configuration per application, each naming one replica only.
    let only_first = dir.path().join("pkcs11-first.toml");
    std::fs::copy(
        kmsd.module_config_endpoints(&[kmsd.endpoint()]),
        &only_first,
    )
    .unwrap();
    let only_second = kmsd.module_config_endpoints(&[replica.endpoint()]);
    let a = App::start(&module_copy(dir.path(), "a"), &only_first);
    let b = App::start(&module_copy(dir.path(), "b"), &only_second);
    label_and_destroy_are_seen(&a, &b);
}
