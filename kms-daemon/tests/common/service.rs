//! Service-level harness (no network): a fresh store with token "t" in a temp dir, a logged-in
//! caller, and the attribute, key-generation, wrap and derive helpers the service tests share.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_api::msg::{
    CryptoRequest, DeriveRequest, GenerateKeyPairRequest, GenerateKeyRequest, KeyPairInfo,
    LoginRequest, ObjectInfo, UnwrapRequest, UserType, WrapRequest,
};
use kms_api::{Attr, AttrValue, Bytes, MechParams, Mechanism, SecretBytes};
use kms_daemon::auth::{login, tokens, Caller};
use kms_daemon::ck::*;
use kms_daemon::config::{AuthConfig, LifecycleConfig};
use kms_daemon::crypto::ec::Curve;
use kms_daemon::keys::usage;
use kms_daemon::keys::{derive, generate, wrap};
use kms_daemon::model::op::Op;
use kms_daemon::state::Services;
use kms_daemon::store::Store;
use kms_daemon::vault::Vault;
use kms_daemon::{audit, Error};
use kms_testkit::{SO_PIN, USER_PIN};
use std::path::Path;
use zeroize::Zeroizing;

/// The vault master key `setup` uses.
pub const MASTER_KEY: [u8; 32] = [5u8; 32];

/// A new store ([`super::store_location`]: `dir/kms.db` or a PostgreSQL database) holding token
/// "t" (the kit's [`USER_PIN`] and [`SO_PIN`]), with a vault opened on `master_key` and the
/// default auth config.
pub fn open_services(dir: &Path, master_key: &[u8; 32]) -> Services {
    let store = Store::create(&super::store_location(dir)).unwrap();
    tokens::create_token(&store, "t", USER_PIN.as_bytes(), SO_PIN.as_bytes(), None).unwrap();
    Services {
        store,
        vault: Vault::from_master_key(master_key).unwrap().into(),
        auth: AuthConfig::default(),
        lifecycle: LifecycleConfig::default(),
        policy: Default::default(),
        key_cache: Default::default(),
        limits: Default::default(),
        audit: Default::default(),
    }
}

/// Identity "CN=a" from module instance "inst-1", not logged in.
pub fn new_caller() -> Caller {
    Caller {
        identity: "CN=a".into(),
        request_id: "r".into(),
        instance: Some("inst-1".into()),
        bearer: None,
        idempotency: None,
    }
}

/// Logs `caller` in as the user of token "t" and keeps the session as its bearer.
pub fn user_login(svc: &Services, caller: &mut Caller) {
    let login = login::login(
        svc,
        caller,
        "t",
        &LoginRequest {
            user_type: UserType::User,
            pin: SecretBytes::from(USER_PIN.as_bytes()),
        },
    )
    .unwrap();
    caller.bearer = Some(Zeroizing::new(STANDARD.encode(login.session.as_ref())));
}

/// A temp dir with fresh services on `master_key`, and a logged-in caller.
pub fn setup_with_master_key(master_key: &[u8; 32]) -> (tempfile::TempDir, Services, Caller) {
    let dir = tempfile::tempdir().unwrap();
    let svc = open_services(dir.path(), master_key);
    let mut caller = new_caller();
    user_login(&svc, &mut caller);
    (dir, svc, caller)
}

/// `setup_with_master_key(&MASTER_KEY)`.
pub fn setup() -> (tempfile::TempDir, Services, Caller) {
    setup_with_master_key(&MASTER_KEY)
}

pub fn attr(ty: u64, value: AttrValue) -> Attr {
    Attr { ty, value }
}
pub fn b(ty: u64, v: bool) -> Attr {
    Attr {
        ty,
        value: AttrValue::Bool(v),
    }
}
pub fn u(ty: u64, v: u64) -> Attr {
    Attr {
        ty,
        value: AttrValue::Ulong(v),
    }
}
pub fn by(ty: u64, v: &[u8]) -> Attr {
    Attr {
        ty,
        value: AttrValue::Bytes(Bytes(v.to_vec())),
    }
}

pub fn value(info: &ObjectInfo, ty: u64) -> Option<&AttrValue> {
    info.attrs.iter().find(|a| a.ty == ty).map(|a| &a.value)
}
pub fn flag(info: &ObjectInfo, ty: u64) -> Option<bool> {
    value(info, ty).and_then(AttrValue::as_bool)
}
pub fn bytes(info: &ObjectInfo, ty: u64) -> Vec<u8> {
    value(info, ty)
        .and_then(AttrValue::as_bytes)
        .unwrap()
        .to_vec()
}

/// The stable code of a result: "ok" or the error's wire code.
pub fn code<T>(r: Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.code_str(),
    }
}

pub fn aes(svc: &Services, c: &Caller, len: u64, extra: Vec<Attr>) -> Result<ObjectInfo, Error> {
    let mut template = vec![u(CKA_VALUE_LEN, len)];
    template.extend(extra);
    generate::generate_key(
        svc,
        c,
        "t",
        &GenerateKeyRequest {
            mechanism: Mechanism::new(CKM_AES_KEY_GEN),
            template,
        },
    )
}

/// A wrapping/unwrapping AES key: WRAP and UNWRAP, neither ENCRYPT nor DECRYPT (R1).
pub fn kek(svc: &Services, c: &Caller, len: u64) -> String {
    aes(
        svc,
        c,
        len,
        vec![
            b(CKA_WRAP, true),
            b(CKA_UNWRAP, true),
            b(CKA_ENCRYPT, false),
            b(CKA_DECRYPT, false),
        ],
    )
    .unwrap()
    .id
}

pub fn pair(
    svc: &Services,
    c: &Caller,
    public_template: Vec<Attr>,
    private_template: Vec<Attr>,
) -> KeyPairInfo {
    try_pair(svc, c, public_template, private_template).unwrap()
}

/// Generates a key pair (EC when the public template names a curve, else RSA), or says why not.
pub fn try_pair(
    svc: &Services,
    c: &Caller,
    public_template: Vec<Attr>,
    private_template: Vec<Attr>,
) -> Result<KeyPairInfo, Error> {
    let ec = public_template.iter().any(|a| a.ty == CKA_EC_PARAMS);
    let mech = if ec {
        CKM_EC_KEY_PAIR_GEN
    } else {
        CKM_RSA_PKCS_KEY_PAIR_GEN
    };
    generate::generate_pair(
        svc,
        c,
        "t",
        &GenerateKeyPairRequest {
            mechanism: Mechanism::new(mech),
            public_template,
            private_template,
        },
    )
}

pub fn ec_pair(
    svc: &Services,
    c: &Caller,
    curve: Curve,
    private_template: Vec<Attr>,
) -> KeyPairInfo {
    pair(
        svc,
        c,
        vec![by(CKA_EC_PARAMS, curve.params())],
        private_template,
    )
}

pub fn do_wrap(
    svc: &Services,
    c: &Caller,
    mechanism: Mechanism,
    wrapping_key: &str,
    key: &str,
) -> Result<Vec<u8>, Error> {
    wrap::wrap_key(
        svc,
        c,
        "t",
        &WrapRequest {
            mechanism,
            wrapping_key: wrapping_key.into(),
            key: key.into(),
        },
    )
    .map(|r| r.data.0)
}

pub fn do_unwrap(
    svc: &Services,
    c: &Caller,
    mechanism: Mechanism,
    unwrapping_key: &str,
    wrapped: &[u8],
    template: Vec<Attr>,
) -> Result<ObjectInfo, Error> {
    wrap::unwrap_key(
        svc,
        c,
        "t",
        &UnwrapRequest {
            mechanism,
            unwrapping_key: unwrapping_key.into(),
            wrapped: Bytes(wrapped.to_vec()),
            template,
        },
    )
}

pub fn secret_template() -> Vec<Attr> {
    vec![u(CKA_CLASS, CKO_SECRET_KEY), u(CKA_KEY_TYPE, CKK_AES)]
}

pub fn m(mech: u64) -> Mechanism {
    Mechanism::new(mech)
}

pub fn oaep(hash: u64, mgf: u64) -> Mechanism {
    Mechanism {
        mechanism: CKM_RSA_PKCS_OAEP,
        params: MechParams::Oaep {
            hash,
            mgf,
            label: Bytes::default(),
        },
    }
}

/// AES-GCM encryption of a fixed block under a fixed IV: equal outputs mean equal keys.
pub fn fingerprint(svc: &Services, c: &Caller, id: &str) -> Vec<u8> {
    let req = CryptoRequest {
        mechanism: Mechanism {
            mechanism: CKM_AES_GCM,
            params: MechParams::Gcm {
                iv: vec![7u8; 12].into(),
                aad: Bytes::default(),
                tag_bits: 128,
            },
        },
        data: SecretBytes::from(&[0x11u8; 16][..]),
    };
    usage::run(svc, c, "t", id, Op::Encrypt, &req)
        .unwrap()
        .data
        .as_ref()
        .to_vec()
}

pub fn last_audit(svc: &Services) -> audit::Event {
    svc.store.read(audit::records).unwrap().pop().unwrap().event
}

pub fn ec_sign_verify(svc: &Services, c: &Caller, id: &str, curve: Curve, spki: &[u8]) {
    let msg = b"unwrapped key signs";
    let (dalg, vfy, mech): (_, &'static signature::EcdsaVerificationAlgorithm, _) = match curve {
        Curve::P256 => (
            &digest::SHA256,
            &signature::ECDSA_P256_SHA256_FIXED,
            CKM_ECDSA_SHA256,
        ),
        Curve::P384 => (
            &digest::SHA384,
            &signature::ECDSA_P384_SHA384_FIXED,
            CKM_ECDSA_SHA384,
        ),
        Curve::P521 => (
            &digest::SHA512,
            &signature::ECDSA_P521_SHA512_FIXED,
            CKM_ECDSA_SHA512,
        ),
    };
    let d = digest::digest(dalg, msg);
    let req = CryptoRequest {
        mechanism: m(mech),
        data: SecretBytes::from(d.as_ref()),
    };
    let sig = usage::run(svc, c, "t", id, Op::Sign, &req).unwrap();
    ParsedPublicKey::new(vfy, spki)
        .unwrap()
        .verify_sig(msg, sig.data.as_ref())
        .unwrap();
}

pub fn rsa_sign_verify(svc: &Services, c: &Caller, id: &str, spki: &[u8]) {
    let msg = b"rsa key signs";
    let d = digest::digest(&digest::SHA256, msg);
    let req = CryptoRequest {
        mechanism: m(CKM_SHA256_RSA_PKCS),
        data: SecretBytes::from(d.as_ref()),
    };
    let sig = usage::run(svc, c, "t", id, Op::Sign, &req).unwrap();
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, spki)
        .unwrap()
        .verify_sig(msg, sig.data.as_ref())
        .unwrap();
}

pub fn ecdh(kdf: u64, shared: &[u8], public_data: &[u8]) -> Mechanism {
    Mechanism {
        mechanism: CKM_ECDH1_DERIVE,
        params: MechParams::Ecdh {
            kdf,
            shared_data: Bytes(shared.to_vec()),
            public_data: Bytes(public_data.to_vec()),
        },
    }
}

pub fn do_derive(
    svc: &Services,
    c: &Caller,
    mechanism: Mechanism,
    base: &str,
    template: Vec<Attr>,
) -> Result<ObjectInfo, Error> {
    derive::derive_key(
        svc,
        c,
        "t",
        &DeriveRequest {
            mechanism,
            base_key: base.into(),
            template,
        },
    )
}

pub fn aes_template(len: u64) -> Vec<Attr> {
    vec![
        u(CKA_CLASS, CKO_SECRET_KEY),
        u(CKA_KEY_TYPE, CKK_AES),
        u(CKA_VALUE_LEN, len),
    ]
}

/// An AES-GCM request over `data` with the 12-byte IV `[iv; 12]`, no AAD, 128-bit tag.
pub fn gcm(iv: u8, data: &[u8]) -> CryptoRequest {
    CryptoRequest {
        mechanism: Mechanism {
            mechanism: CKM_AES_GCM,
            params: MechParams::Gcm {
                iv: vec![iv; 12].into(),
                aad: Bytes::default(),
                tag_bits: 128,
            },
        },
        data: SecretBytes::from(data),
    }
}

/// A token generic secret of 32 bytes that signs and verifies (HMAC).
pub fn hmac_key(svc: &Services, c: &Caller) -> String {
    generate::generate_key(
        svc,
        c,
        "t",
        &GenerateKeyRequest {
            mechanism: Mechanism::new(CKM_GENERIC_SECRET_KEY_GEN),
            template: vec![
                u(CKA_VALUE_LEN, 32),
                b(CKA_TOKEN, true),
                b(CKA_SIGN, true),
                b(CKA_VERIFY, true),
            ],
        },
    )
    .unwrap()
    .id
}
