//! The cryptographic operations a session can have active, one file per kind: [`sign`],
//! [`verify`], [`crypt`] (encryption and decryption) and [`digest`] (PKCS#11 v3.0 §5.8–5.13,
//! spec-checklist S8/S9/S19). Each is a state machine that knows its key and mechanism but not
//! the session holding it; [`super::operations`] keeps them in sessions and runs them.
//!
//! Private and secret key work is one round trip to kmsd; hash-and-sign mechanisms hash here
//! and send only the digest; public-key verification and RSA public-key encryption run here,
//! MAC verification (the key is secret) in kmsd.
//!
//! This file holds what the kinds share: single- or multi-part input ([`Feed`]), the calls with
//! output ([`Output`]), the checks of the key an operation starts with, and the round trip of a
//! key operation.

pub mod crypt;
pub mod digest;
pub mod sign;
pub mod verify;

use super::handles::ObjectEntry;
use super::output::{Out, Outcome};
use super::slot::Slot;
use crate::attr;
use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::mech::digest::Compute;
use crate::mech::public::{curve_field_len, unsigned_len, PublicKey, ED25519_SIG_LEN};
use crate::mech::{KeyFamily, SigScheme};
use aws_lc_rs::digest::Context as HashContext;
use cryptoki_sys::*;
use kms_api::mech::Hash;
use kms_api::msg::CryptoRequest;
use kms_api::{AttrValue, Mechanism, SecretBytes};
use zeroize::Zeroizing;

/// Most input a multi-part operation buffers (kmsd's request limit leaves room for JSON).
const MAX_BUFFERED: usize = 512 * 1024;

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
    Hash(HashContext),
    Buffer(Zeroizing<Vec<u8>>),
}

impl Input {
    fn new(prehash: Option<Hash>) -> Input {
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

/// What an operation has been given: the form it takes (single- or multi-part) and the input
/// so far.
pub struct Feed {
    mode: Mode,
    input: Input,
    /// The mechanism refuses `*Update` (single-part only).
    single_part_only: bool,
}

impl Feed {
    fn new(prehash: Option<Hash>, single_part_only: bool) -> Feed {
        Feed {
            mode: Mode::Fresh,
            input: Input::new(prehash),
            single_part_only,
        }
    }

    /// A single-part call (`data` given) or a `*Final` (`None`): fixes the form (S9).
    fn enter(&mut self, data: Option<&[u8]>) -> Result<()> {
        self.mode.enter(match data {
            Some(_) => Mode::Single,
            None => Mode::Multi,
        })
    }

    /// `*Update`: the operation turns multi-part and takes the input.
    pub fn update(&mut self, part: &[u8]) -> Result<()> {
        // Ends the operation (every error but CKR_OPERATION_ACTIVE does), as SoftHSM2.
        if self.single_part_only {
            return Err(Error::Ck(CKR_FUNCTION_NOT_SUPPORTED));
        }
        self.mode.enter(Mode::Multi)?;
        self.input.update(part)
    }
}

/// Operations that take input over `*Update` calls.
pub trait MultiPart {
    /// What the operation has been given.
    fn feed(&mut self) -> &mut Feed;
}

/// Operations whose single-part call and `*Final` return output under the output-length rule:
/// sign, encrypt, decrypt, digest.
pub trait Output: MultiPart {
    /// The output of a call whose form is fixed: its size for a size query or a short buffer
    /// (`capacity` None or too small), else the bytes.
    fn output(&mut self, slot: &Slot, data: Option<&[u8]>, cap: Option<usize>) -> Result<Outcome>;

    /// A single-part call (`data` given) or `*Final` (`None`).
    fn run(&mut self, slot: &Slot, data: Option<&[u8]>, cap: Option<usize>) -> Result<Outcome> {
        self.feed().enter(data)?;
        self.output(slot, data, cap)
    }
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

/// The scheme of a signing mechanism, with the key of a `C_SignInit` (`verify` false) or
/// `C_VerifyInit` checked for it.
fn signature_scheme(entry: &ObjectEntry, m: &Mechanism, verify: bool) -> Result<SigScheme> {
    let scheme = SigScheme::new(m.mechanism as CK_MECHANISM_TYPE, &m.params)?;
    let usage = if verify { CKA_VERIFY } else { CKA_SIGN };
    // The class of key that signs (or verifies) in the family.
    let class = match (scheme.family, verify) {
        (KeyFamily::Secret, _) => CKO_SECRET_KEY,
        (_, true) => CKO_PUBLIC_KEY,
        (_, false) => CKO_PRIVATE_KEY,
    };
    let key_types: &[CK_KEY_TYPE] = match scheme.family {
        KeyFamily::Rsa => &[CKK_RSA],
        KeyFamily::Ec => &[CKK_EC],
        KeyFamily::Edwards => &[CKK_EC_EDWARDS],
        KeyFamily::Secret => &[CKK_GENERIC_SECRET],
    };
    check_key(entry, class, key_types, usage, m)?;
    Ok(scheme)
}

/// Signature length of an RSA, EC or Ed25519 key: the modulus length, twice the field length,
/// or 64. (A MAC is as long as its hash.)
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

/// The public key of an object, for local use.
fn public_key(entry: &ObjectEntry, family: KeyFamily) -> Result<PublicKey> {
    let spki = attr::bytes(&entry.info, CKA_PUBLIC_KEY_INFO)
        .ok_or_else(|| Error::Device("kmsd sent no CKA_PUBLIC_KEY_INFO".into()))?;
    Ok(PublicKey::new(
        family,
        spki.to_vec(),
        signature_len(entry, family)?,
    ))
}

/// One round trip: kmsd applies key `id` to `data`.
fn key_op(slot: &Slot, id: &str, op: KeyOp, mechanism: &Mechanism, data: Out) -> Result<Out> {
    let req = CryptoRequest {
        mechanism: mechanism.clone(),
        data: SecretBytes(data),
    };
    Ok(slot.client.key_op(slot.bearer().as_ref(), id, op, &req)?.0)
}
