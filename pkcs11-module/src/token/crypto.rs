//! Cryptographic operations: the `*Init`/single-part/`*Update`/`*Final` state machines of sign,
//! verify, encrypt, decrypt and digest (PKCS#11 v3.0 §5.8–5.13, spec-checklist S8/S9/S19).
//!
//! Private and secret key work is one round trip to kmsd; hash-and-sign mechanisms hash here
//! and send only the digest; public-key verification and RSA public-key encryption run here,
//! MAC verification (the key is secret) in kmsd.

use super::objects::ObjectEntry;
use super::output::{produce, Out, Outcome, Size};
use super::session::Session;
use super::slot::Slot;
use super::Library;
use crate::attr;
use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::mech::public::{curve_field_len, oaep_alg, unsigned_len, PublicKey, ED25519_SIG_LEN};
use crate::mech::scheme::single_part_only;
use crate::mech::{HashAlg, KeyFamily, SigKind, SigScheme};
use aws_lc_rs::digest;
use cryptoki_sys::*;
use kms_api::msg::{CryptoRequest, VerifyRequest};
use kms_api::{AttrValue, MechParams, Mechanism, SecretBytes};
use zeroize::Zeroizing;

/// Most input a multi-part operation buffers (kmsd's request limit leaves room for JSON).
const MAX_BUFFERED: usize = 512 * 1024;
/// GCM tag length this token produces and accepts.
const GCM_TAG_LEN: usize = 16;

/// Single-part or multi-part: once chosen, the other form is `CKR_OPERATION_ACTIVE` (S9).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Fresh,
    Single,
    Multi,
}

impl Mode {
    fn enter(&mut self, mode: Mode) -> Result<()> {
        match *self {
            Mode::Fresh => {
                *self = mode;
                Ok(())
            }
            m if m == mode => Ok(()),
            _ => Err(Error::Ck(CKR_OPERATION_ACTIVE)),
        }
    }
}

/// The input of an operation: hashed on the way in, or buffered.
#[derive(Clone)]
enum Input {
    Hash(digest::Context),
    Buffer(Zeroizing<Vec<u8>>),
}

impl Input {
    fn new(prehash: Option<HashAlg>) -> Input {
        match prehash {
            Some(h) => Input::Hash(h.context()),
            None => Input::Buffer(Zeroizing::new(Vec::new())),
        }
    }

    fn update(&mut self, data: &[u8]) -> Result<()> {
        match self {
            Input::Hash(ctx) => ctx.update(data),
            Input::Buffer(buf) => {
                if buf.len() + data.len() > MAX_BUFFERED {
                    return Err(Error::Ck(CKR_DATA_LEN_RANGE));
                }
                buf.extend_from_slice(data);
            }
        }
        Ok(())
    }

    fn len(&self) -> usize {
        match self {
            Input::Hash(ctx) => ctx.algorithm().output_len(),
            Input::Buffer(buf) => buf.len(),
        }
    }

    /// The digest, or the buffered bytes.
    fn value(&self) -> Out {
        match self {
            Input::Hash(ctx) => Zeroizing::new(ctx.clone().finish().as_ref().to_vec()),
            Input::Buffer(buf) => buf.clone(),
        }
    }
}

/// An active signature.
pub struct SignOp {
    key_id: String,
    mechanism: Mechanism,
    sig_len: usize,
    input: Input,
    mode: Mode,
    single_part: bool,
    pending: Option<Out>,
}

/// Who checks a signature.
enum Verifier {
    /// The module, with the public key.
    Local(PublicKey),
    /// kmsd, with this secret key and mechanism (HMAC).
    Daemon(String, Mechanism),
}

/// An active verification.
pub struct VerifyOp {
    verifier: Verifier,
    scheme: SigScheme,
    input: Input,
    mode: Mode,
    single_part: bool,
}

/// Where an encryption or decryption runs.
enum Engine {
    /// RSA public-key encryption, here.
    Local(PublicKey),
    /// kmsd, with this key.
    Daemon(String),
}

/// How the output size follows from the input size.
#[derive(Clone, Copy)]
enum Sizing {
    /// Always this many bytes (RSA encryption).
    Fixed(usize),
    /// At most this many bytes (RSA decryption).
    UpTo(usize),
    /// CBC with PKCS#7 padding, encrypting.
    PadUp,
    /// CBC with PKCS#7 padding, decrypting.
    PadDown,
    /// GCM encryption: plus the tag.
    PlusTag,
    /// GCM decryption: minus the tag.
    MinusTag,
    /// ECB: whole blocks in, as many out; a partial block is this error.
    Blocks(CK_RV),
    /// CTR: as many bytes out as in.
    Same,
}

impl Sizing {
    fn size(self, input: usize) -> Result<Size> {
        Ok(match self {
            Sizing::Fixed(n) => Size::Exact(n),
            Sizing::UpTo(n) => Size::AtMost(n),
            Sizing::PadUp => Size::Exact((input / 16 + 1) * 16),
            Sizing::PadDown if !input.is_multiple_of(16) || input == 0 => {
                return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE))
            }
            Sizing::PadDown => Size::AtMost(input),
            Sizing::PlusTag => Size::Exact(input + GCM_TAG_LEN),
            Sizing::MinusTag if input < GCM_TAG_LEN => {
                return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE))
            }
            Sizing::MinusTag => Size::Exact(input - GCM_TAG_LEN),
            Sizing::Blocks(rv) if !input.is_multiple_of(16) => return Err(Error::Ck(rv)),
            Sizing::Blocks(_) | Sizing::Same => Size::Exact(input),
        })
    }
}

/// An active encryption or decryption.
pub struct CryptOp {
    op: KeyOp,
    engine: Engine,
    mechanism: Mechanism,
    sizing: Sizing,
    input: Input,
    mode: Mode,
    pending: Option<Out>,
}

/// An active digest.
pub struct DigestOp {
    input: Input,
    mode: Mode,
}

/// Checks a key for an operation: class, key type (which takes priority, S19), usage flag,
/// and `CKA_ALLOWED_MECHANISMS`. kmsd checks all of it again.
fn check_key(
    entry: &ObjectEntry,
    class: CK_OBJECT_CLASS,
    key_types: &[CK_KEY_TYPE],
    usage: CK_ATTRIBUTE_TYPE,
    m: &Mechanism,
) -> Result<()> {
    let type_ok = entry.key_type().is_some_and(|kt| key_types.contains(&kt));
    if entry.class() != Some(class) || !type_ok {
        return Err(Error::Ck(CKR_KEY_TYPE_INCONSISTENT));
    }
    if !attr::flag(&entry.info, usage) {
        return Err(Error::Ck(CKR_KEY_FUNCTION_NOT_PERMITTED));
    }
    if let Some(AttrValue::UlongList(allowed)) = attr::value_of(&entry.info, CKA_ALLOWED_MECHANISMS)
    {
        if !allowed.contains(&m.mechanism) {
            return Err(Error::Ck(CKR_MECHANISM_INVALID));
        }
    }
    Ok(())
}

fn key_types(family: KeyFamily) -> &'static [CK_KEY_TYPE] {
    match family {
        KeyFamily::Rsa => &[CKK_RSA],
        KeyFamily::Ec => &[CKK_EC],
        KeyFamily::Edwards => &[CKK_EC_EDWARDS],
        KeyFamily::Secret => &[CKK_GENERIC_SECRET],
    }
}

/// The class of key that signs (or verifies) in a family.
fn signing_class(family: KeyFamily, verify: bool) -> CK_OBJECT_CLASS {
    match (family, verify) {
        (KeyFamily::Secret, _) => CKO_SECRET_KEY,
        (_, true) => CKO_PUBLIC_KEY,
        (_, false) => CKO_PRIVATE_KEY,
    }
}

/// Signature length of an RSA, EC or Ed25519 key: the modulus length, twice the field length,
/// or 64. A MAC is as long as its hash ([`mac_or_signature_len`]).
fn signature_len(entry: &ObjectEntry, family: KeyFamily) -> Result<usize> {
    let len = match family {
        KeyFamily::Rsa => attr::bytes(&entry.info, CKA_MODULUS).map(unsigned_len),
        KeyFamily::Ec => attr::bytes(&entry.info, CKA_EC_PARAMS)
            .and_then(curve_field_len)
            .map(|f| 2 * f),
        KeyFamily::Edwards => Some(ED25519_SIG_LEN),
        KeyFamily::Secret => None,
    };
    len.filter(|n| *n > 0)
        .ok_or(Error::Ck(CKR_KEY_TYPE_INCONSISTENT))
}

fn public_key(entry: &ObjectEntry, family: KeyFamily) -> Result<PublicKey> {
    let spki = attr::bytes(&entry.info, CKA_PUBLIC_KEY_INFO)
        .ok_or_else(|| Error::Device("kmsd sent no CKA_PUBLIC_KEY_INFO".into()))?;
    Ok(PublicKey::new(
        family,
        spki.to_vec(),
        signature_len(entry, family)?,
    ))
}

fn key_op(slot: &Slot, id: &str, op: KeyOp, mechanism: &Mechanism, data: Out) -> Result<Out> {
    let req = CryptoRequest {
        mechanism: mechanism.clone(),
        data: SecretBytes(data),
    };
    Ok(slot.client.key_op(slot.bearer().as_ref(), id, op, &req)?.0)
}

/// The session's slot for encryption or decryption.
fn crypt_field(op: KeyOp) -> Field<CryptOp> {
    if op == KeyOp::Encrypt {
        |s| &mut s.encrypt
    } else {
        |s| &mut s.decrypt
    }
}

/// Operations that gather input over `*Update` calls.
trait MultiPart {
    fn parts(&mut self) -> (&mut Mode, &mut Input);

    /// Whether the mechanism refuses `*Update` (single-part only).
    fn single_part(&self) -> bool {
        false
    }
}

macro_rules! multi_part {
    ($($op:ty),*) => {$(
        impl MultiPart for $op {
            fn parts(&mut self) -> (&mut Mode, &mut Input) {
                (&mut self.mode, &mut self.input)
            }
        }
    )*};
    ($($op:ty),*; single_part) => {$(
        impl MultiPart for $op {
            fn parts(&mut self) -> (&mut Mode, &mut Input) {
                (&mut self.mode, &mut self.input)
            }

            fn single_part(&self) -> bool {
                self.single_part
            }
        }
    )*};
}

multi_part!(CryptOp, DigestOp);
multi_part!(SignOp, VerifyOp; single_part);

/// Accessors of each operation slot of a session, for the generic helpers below.
type Field<O> = fn(&mut Session) -> &mut Option<O>;

impl Library {
    fn init_op<O>(
        &self,
        h: CK_SESSION_HANDLE,
        field: Field<O>,
        make: impl FnOnce(&Slot) -> Result<O>,
    ) -> Result<()> {
        let (session, slot) = self.session_slot(h)?;
        if field(&mut session.lock()).is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        let op = make(slot)?;
        *field(&mut session.lock()) = Some(op);
        Ok(())
    }

    /// Runs a step of an active operation without holding the session lock, and puts the
    /// operation back only if it goes on (S8: errors end it, except `CKR_OPERATION_ACTIVE`).
    fn step_op<O, T>(
        &self,
        h: CK_SESSION_HANDLE,
        field: Field<O>,
        keep: fn(&T) -> bool,
        f: impl FnOnce(&mut O, &Slot) -> Result<T>,
    ) -> Result<T> {
        let (session, slot) = self.session_slot(h)?;
        let mut op = field(&mut session.lock())
            .take()
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))?;
        let result = f(&mut op, slot);
        let goes_on = match &result {
            Ok(v) => keep(v),
            Err(e) => e.rv() == CKR_OPERATION_ACTIVE,
        };
        if goes_on {
            *field(&mut session.lock()) = Some(op);
        }
        result
    }

    /// `*Update`: the operation turns multi-part and takes the input.
    fn update_op<O: MultiPart>(
        &self,
        h: CK_SESSION_HANDLE,
        field: Field<O>,
        part: &[u8],
    ) -> Result<()> {
        self.step_op(
            h,
            field,
            |_| true,
            |op, _| {
                // Ends the operation (every error but CKR_OPERATION_ACTIVE does), as SoftHSM2.
                if op.single_part() {
                    return Err(Error::Ck(CKR_FUNCTION_NOT_SUPPORTED));
                }
                let (mode, input) = op.parts();
                mode.enter(Mode::Multi)?;
                input.update(part)
            },
        )
    }

    /// `*Init` with a NULL mechanism (v3.0): cancels the active operation of that kind.
    fn cancel_op<O>(&self, h: CK_SESSION_HANDLE, field: Field<O>) -> Result<()> {
        let session = self.session(h)?;
        field(&mut session.lock()).take();
        Ok(())
    }

    /// The key of a `C_SignInit`/`C_VerifyInit` and the mechanism's scheme, checked.
    fn signature_key(
        &self,
        h: CK_SESSION_HANDLE,
        key: CK_OBJECT_HANDLE,
        m: &Mechanism,
        verify: bool,
    ) -> Result<(std::sync::Arc<ObjectEntry>, SigScheme)> {
        let entry = self.object(h, key).map_err(Error::for_key)?;
        let scheme = SigScheme::new(m.mechanism as CK_MECHANISM_TYPE, &m.params)?;
        let usage = if verify { CKA_VERIFY } else { CKA_SIGN };
        let class = signing_class(scheme.family, verify);
        check_key(&entry, class, key_types(scheme.family), usage, m)?;
        Ok((entry, scheme))
    }

    /// `C_SignInit`.
    pub fn sign_init(
        &self,
        h: CK_SESSION_HANDLE,
        m: Mechanism,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.init_op(
            h,
            |s| &mut s.sign,
            |_| {
                let (entry, scheme) = self.signature_key(h, key, &m, false)?;
                let sig_len = match (scheme.kind, scheme.hash) {
                    (SigKind::Hmac, Some(hash)) => hash.output_len(),
                    _ => signature_len(&entry, scheme.family)?,
                };
                Ok(SignOp {
                    key_id: entry.info.id.clone(),
                    single_part: single_part_only(m.mechanism as CK_MECHANISM_TYPE),
                    mechanism: m,
                    sig_len,
                    input: Input::new(scheme.prehash),
                    mode: Mode::Fresh,
                    pending: None,
                })
            },
        )
    }

    /// `C_Sign` (`data` given) or `C_SignFinal` (`data` None).
    pub fn sign(
        &self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        self.step_op(
            h,
            |s| &mut s.sign,
            Outcome::keeps_operation,
            |op, slot| {
                if let Some(data) = data {
                    op.mode.enter(Mode::Single)?;
                    if op.pending.is_none() && capacity.is_some_and(|c| c >= op.sig_len) {
                        op.input.update(data)?;
                    }
                } else {
                    op.mode.enter(Mode::Multi)?;
                }
                produce(&mut op.pending, capacity, Size::Exact(op.sig_len), || {
                    // Raw PKCS#1 v1.5 signs at most k - 11 bytes (RFC 8017 §9.2): longer input
                    // is out of range whatever its content (v2.40 §5.1.8: length first).
                    if op.mechanism.mechanism == CKM_RSA_PKCS as u64
                        && op.input.len() + 11 > op.sig_len
                    {
                        return Err(Error::Ck(CKR_DATA_LEN_RANGE));
                    }
                    key_op(
                        slot,
                        &op.key_id,
                        KeyOp::Sign,
                        &op.mechanism,
                        op.input.value(),
                    )
                })
            },
        )
    }

    /// `C_SignUpdate`.
    pub fn sign_update(&self, h: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.update_op(h, |s| &mut s.sign, part)
    }

    /// `C_VerifyInit`.
    pub fn verify_init(
        &self,
        h: CK_SESSION_HANDLE,
        m: Mechanism,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.init_op(
            h,
            |s| &mut s.verify,
            |_| {
                let (entry, scheme) = self.signature_key(h, key, &m, true)?;
                let single_part = single_part_only(m.mechanism as CK_MECHANISM_TYPE);
                let verifier = match scheme.family {
                    KeyFamily::Secret => Verifier::Daemon(entry.info.id.clone(), m),
                    family => Verifier::Local(public_key(&entry, family)?),
                };
                Ok(VerifyOp {
                    verifier,
                    scheme,
                    input: Input::new(scheme.prehash),
                    mode: Mode::Fresh,
                    single_part,
                })
            },
        )
    }

    /// `C_Verify` (`data` given) or `C_VerifyFinal`; always ends the operation.
    pub fn verify(
        &self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        signature: &[u8],
    ) -> Result<()> {
        self.step_op(
            h,
            |s| &mut s.verify,
            |_| false,
            |op, slot| {
                match data {
                    Some(d) => {
                        op.mode.enter(Mode::Single)?;
                        op.input.update(d)?;
                    }
                    None => op.mode.enter(Mode::Multi)?,
                }
                match &op.verifier {
                    Verifier::Local(key) => key.verify(&op.scheme, &op.input.value(), signature),
                    Verifier::Daemon(id, mechanism) => {
                        let req = VerifyRequest {
                            mechanism: mechanism.clone(),
                            data: SecretBytes(op.input.value()),
                            signature: kms_api::Bytes(signature.to_vec()),
                        };
                        slot.client.verify_mac(slot.bearer().as_ref(), id, &req)
                    }
                }
            },
        )
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, h: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.update_op(h, |s| &mut s.verify, part)
    }

    /// `C_EncryptInit` (`op` = Encrypt) and `C_DecryptInit` (`op` = Decrypt).
    pub fn crypt_init(
        &self,
        h: CK_SESSION_HANDLE,
        op: KeyOp,
        m: Mechanism,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        let field = crypt_field(op);
        self.init_op(h, field, |_| {
            let entry = self.object(h, key).map_err(Error::for_key)?;
            let usage = if op == KeyOp::Encrypt {
                CKA_ENCRYPT
            } else {
                CKA_DECRYPT
            };
            let mech = m.mechanism as CK_MECHANISM_TYPE;
            let (engine, sizing) = match mech {
                CKM_RSA_PKCS | CKM_RSA_PKCS_OAEP => {
                    if let MechParams::Oaep { hash, mgf, .. } = &m.params {
                        oaep_alg(*hash, *mgf)?;
                    }
                    if op == KeyOp::Encrypt {
                        check_key(&entry, CKO_PUBLIC_KEY, &[CKK_RSA], usage, &m)?;
                        let key = public_key(&entry, KeyFamily::Rsa)?;
                        let n = key.sig_len;
                        (Engine::Local(key), Sizing::Fixed(n))
                    } else {
                        check_key(&entry, CKO_PRIVATE_KEY, &[CKK_RSA], usage, &m)?;
                        (
                            Engine::Daemon(entry.info.id.clone()),
                            Sizing::UpTo(signature_len(&entry, KeyFamily::Rsa)?),
                        )
                    }
                }
                CKM_AES_CBC_PAD | CKM_AES_GCM | CKM_AES_ECB | CKM_AES_CTR => {
                    check_key(&entry, CKO_SECRET_KEY, &[CKK_AES], usage, &m)?;
                    let sizing = match (mech, op) {
                        (CKM_AES_CBC_PAD, KeyOp::Encrypt) => Sizing::PadUp,
                        (CKM_AES_CBC_PAD, _) => Sizing::PadDown,
                        (CKM_AES_ECB, KeyOp::Encrypt) => Sizing::Blocks(CKR_DATA_LEN_RANGE),
                        (CKM_AES_ECB, _) => Sizing::Blocks(CKR_ENCRYPTED_DATA_LEN_RANGE),
                        (CKM_AES_CTR, _) => Sizing::Same,
                        (_, KeyOp::Encrypt) => Sizing::PlusTag,
                        _ => Sizing::MinusTag,
                    };
                    if let MechParams::Ctr { counter_bits, .. } = &m.params {
                        if !(1..=128).contains(counter_bits) {
                            return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
                        }
                    }
                    if let MechParams::Gcm { iv, tag_bits, .. } = &m.params {
                        if iv.0.len() != 12 || *tag_bits != 8 * GCM_TAG_LEN as u64 {
                            return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
                        }
                    }
                    (Engine::Daemon(entry.info.id.clone()), sizing)
                }
                _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
            };
            Ok(CryptOp {
                op,
                engine,
                mechanism: m,
                sizing,
                input: Input::new(None),
                mode: Mode::Fresh,
                pending: None,
            })
        })
    }

    /// `C_Encrypt`/`C_Decrypt` (`data` given) or their `*Final` (`data` None).
    pub fn crypt(
        &self,
        h: CK_SESSION_HANDLE,
        op: KeyOp,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        let field = crypt_field(op);
        self.step_op(h, field, Outcome::keeps_operation, |c, slot| {
            let input_len = match data {
                Some(d) => {
                    c.mode.enter(Mode::Single)?;
                    d.len()
                }
                None => {
                    c.mode.enter(Mode::Multi)?;
                    c.input.len()
                }
            };
            if let (Sizing::UpTo(k), KeyOp::Decrypt) = (c.sizing, c.op) {
                if input_len != k {
                    return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE));
                }
            }
            let size = c.sizing.size(input_len)?;
            let CryptOp {
                engine,
                mechanism,
                input,
                pending,
                op,
                ..
            } = c;
            produce(pending, capacity, size, || {
                let value = match data {
                    Some(d) => Zeroizing::new(d.to_vec()),
                    None => input.value(),
                };
                match engine {
                    Engine::Local(key) => Ok(Zeroizing::new(key.encrypt(
                        mechanism.mechanism as CK_MECHANISM_TYPE,
                        &mechanism.params,
                        &value,
                    )?)),
                    Engine::Daemon(id) => key_op(slot, id, *op, mechanism, value),
                }
            })
        })
    }

    /// `C_EncryptUpdate`/`C_DecryptUpdate`: input is gathered and processed at `*Final`, so
    /// each update outputs zero bytes.
    pub fn crypt_update(&self, h: CK_SESSION_HANDLE, op: KeyOp, part: &[u8]) -> Result<()> {
        let field = crypt_field(op);
        self.update_op(h, field, part)
    }

    /// `C_DigestInit`.
    pub fn digest_init(&self, h: CK_SESSION_HANDLE, m: Mechanism) -> Result<()> {
        self.init_op(
            h,
            |s| &mut s.digest,
            |_| {
                let alg = HashAlg::from_mechanism(m.mechanism as CK_MECHANISM_TYPE)
                    .ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
                if m.params != MechParams::None {
                    return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
                }
                Ok(DigestOp {
                    input: Input::new(Some(alg)),
                    mode: Mode::Fresh,
                })
            },
        )
    }

    /// `C_Digest` (`data` given) or `C_DigestFinal`.
    pub fn digest(
        &self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        self.step_op(
            h,
            |s| &mut s.digest,
            Outcome::keeps_operation,
            |op, _| {
                let mut input = op.input.clone();
                match data {
                    Some(d) => {
                        op.mode.enter(Mode::Single)?;
                        input.update(d)?;
                    }
                    None => op.mode.enter(Mode::Multi)?,
                }
                produce(&mut None, capacity, Size::Exact(input.len()), || {
                    Ok(input.value())
                })
            },
        )
    }

    /// `C_DigestUpdate`.
    pub fn digest_update(&self, h: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.update_op(h, |s| &mut s.digest, part)
    }

    /// `C_DigestKey`: the value of a secret key would join the digest — if the module could see
    /// it. The module hashes locally and kmsd never reveals a secret key's value in clear (not
    /// even an unsensitive one: values leave kmsd only wrapped), so every key is
    /// `CKR_KEY_INDIGESTIBLE`; a handle that is no object is `CKR_KEY_HANDLE_INVALID`. Like
    /// `C_DigestUpdate`, an error ends the digest operation. The session, operation and handle
    /// checks come first, so an application learns exactly why.
    pub fn digest_key(&self, h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.step_op(
            h,
            |s| &mut s.digest,
            |_| true,
            |_: &mut DigestOp, _| {
                self.object(h, key).map_err(|e| match e.rv() {
                    CKR_OBJECT_HANDLE_INVALID => Error::Ck(CKR_KEY_HANDLE_INVALID),
                    _ => e,
                })?;
                Err(Error::Ck(CKR_KEY_INDIGESTIBLE))
            },
        )
    }

    /// `*Init(pMechanism = NULL)`: cancels the operation of that kind.
    pub fn cancel(&self, h: CK_SESSION_HANDLE, kind: OpKind) -> Result<()> {
        match kind {
            OpKind::Sign => self.cancel_op(h, |s| &mut s.sign),
            OpKind::Verify => self.cancel_op(h, |s| &mut s.verify),
            OpKind::Encrypt => self.cancel_op(h, |s| &mut s.encrypt),
            OpKind::Decrypt => self.cancel_op(h, |s| &mut s.decrypt),
            OpKind::Digest => self.cancel_op(h, |s| &mut s.digest),
        }
    }
}

/// The kinds of operation a session holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Sign.
    Sign,
    /// Verify.
    Verify,
    /// Encrypt.
    Encrypt,
    /// Decrypt.
    Decrypt,
    /// Digest.
    Digest,
}
