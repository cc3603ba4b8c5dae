//! The cryptographic operations a session can have active, one file per kind: [`sign`],
//! [`verify`], [`crypt`] (encryption and decryption) and [`digest`] (PKCS#11 v3.0 §5.8–5.13,
//! spec-checklist S8/S9/S19). Each is a state machine that knows its key and mechanism but not
//! the session holding it; [`super::operations`] keeps them in sessions and runs them.
//!
//! What each mechanism is comes from kms-api's table: the operations kmsd performs (private and
//! secret key work, one round trip) and those the module performs itself (public-key
//! verification and RSA public-key encryption; MAC verification is kmsd's, the key is secret),
//! the hash of hash-and-sign mechanisms (hashed here, only the digest is sent), output sizes.
//!
//! This file holds what the kinds share: single- or multi-part input ([`Feed`]), the calls with
//! output ([`Output`]), the start of an operation (mechanism, key and parameters checked, in
//! kmsd's order, with kms-api's checks), and the round trip of a key operation.

pub mod crypt;
pub mod digest;
pub mod sign;
pub mod stream;
pub mod verify;

use super::handles::ObjectEntry;
use super::output::{Out, Outcome};
use super::slot::Slot;
use crate::attr;
use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::mech;
use crate::mech::digest::Compute;
use crate::mech::public::{unsigned_len, PublicKey};
use aws_lc_rs::digest::Context as HashContext;
use cryptoki_sys::*;
use kms_api::curve::Curve;
use kms_api::mech::table::Output as OutputLen;
use kms_api::mech::{params, Hash, MechInfo, Op};
use kms_api::msg::CryptoRequest;
use kms_api::{vendor, AttrValue, Mechanism, SecretBytes};
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
        self.enter_multi()?;
        self.input.update(part)
    }

    /// An `*Update`: the operation turns multi-part.
    pub fn enter_multi(&mut self) -> Result<()> {
        // Ends the operation (every error but CKR_OPERATION_ACTIVE does), as SoftHSM2.
        if self.single_part_only {
            return Err(Error::Ck(CKR_FUNCTION_NOT_SUPPORTED));
        }
        self.mode.enter(Mode::Multi)
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

/// Starts an operation with a key, checking in kmsd's order (spec-checklist S19): the token
/// offers the mechanism for `op`, the key fits it ([`check_key`]), then the parameters — with
/// kms-api's [`params::check`], the function kmsd runs, so that the module accepts at `*Init`
/// exactly the parameters kmsd accepts (`CKR_MECHANISM_PARAM_INVALID` for the others). Returns
/// the mechanism's row.
fn start(key: &ObjectEntry, m: &Mechanism, op: Op) -> Result<&'static MechInfo> {
    let row = mech::offered(m, op)?;
    check_key(key, row, op, m)?;
    params::check(row, &m.params)?;
    Ok(row)
}

/// Checks a key for `op` with the mechanism of `row`: its class and key type (the row's key for
/// the operation; the type takes priority, S19), its usage attribute,
/// `CKA_ALLOWED_MECHANISMS`, and its life-cycle state where that refusal is final: a key last
/// seen destroyed, or deactivated or compromised for an operation that protects new data, can
/// never again do `op` (time only deactivates; nothing reactivates), so `*Init` refuses it
/// rather than the use. A pre-active or active key is left to kmsd, which applies the validity
/// window at the moment of use. kmsd checks all of it again.
fn check_key(entry: &ObjectEntry, row: &MechInfo, op: Op, m: &Mechanism) -> Result<()> {
    let (class, key_type) = row.key(op).ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
    let usage = op.usage().ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
    if entry.class() != Some(class as CK_OBJECT_CLASS)
        || entry.key_type() != Some(key_type as CK_KEY_TYPE)
    {
        return Err(Error::Ck(CKR_KEY_TYPE_INCONSISTENT));
    }
    if !attr::flag(&entry.info, usage as CK_ATTRIBUTE_TYPE) {
        return Err(Error::Ck(CKR_KEY_FUNCTION_NOT_PERMITTED));
    }
    let state = attr::ulong(&entry.info, vendor::CKA_KMS_STATE as CK_ATTRIBUTE_TYPE);
    if state.is_some_and(|s| {
        let s = s as u64;
        s != vendor::CK_KMS_STATE_PRE_ACTIVE && !op.allowed_in_state(s)
    }) {
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

/// The length of a signature of `row` with the key `entry`, or of an RSA block, by the row's
/// output sizing: the modulus length, twice the curve's field length, a fixed length (Ed25519)
/// or the hash's (a MAC).
fn signature_len(entry: &ObjectEntry, row: &MechInfo) -> Result<usize> {
    let len = match row.output() {
        OutputLen::Modulus => attr::bytes(&entry.info, CKA_MODULUS).map(unsigned_len),
        OutputLen::EcSignature => attr::bytes(&entry.info, CKA_EC_PARAMS)
            .and_then(Curve::from_params)
            .map(Curve::field_len)
            .map(|f| 2 * f),
        OutputLen::Fixed(n) => Some(n),
        OutputLen::HashLen => row.hash.map(Hash::len),
        _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
    };
    len.filter(|n| *n > 0)
        .ok_or(Error::Ck(CKR_KEY_TYPE_INCONSISTENT))
}

/// The public key of an object, for local use with the mechanism of `row`.
fn public_key(entry: &ObjectEntry, row: &MechInfo) -> Result<PublicKey> {
    let spki = attr::bytes(&entry.info, CKA_PUBLIC_KEY_INFO)
        .ok_or_else(|| Error::Device("kmsd sent no CKA_PUBLIC_KEY_INFO".into()))?;
    let key_type = row.key_type.ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
    Ok(PublicKey::new(
        key_type,
        spki.to_vec(),
        signature_len(entry, row)?,
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

#[cfg(test)]
mod tests {
    use super::crypt::CryptOp;
    use super::digest::DigestOp;
    use super::sign::SignOp;
    use super::verify::VerifyOp;
    use super::*;
    use kms_api::mech::table::MECHANISMS;
    use kms_api::msg::ObjectInfo;
    use kms_api::{Attr, Bytes, MechParams};

    /// A key fit for `op` with the mechanism of `row`: the class and type the row names, every
    /// usage flag, and what sizing and local public-key work read.
    fn key_for(row: &MechInfo, op: Op) -> ObjectEntry {
        let (class, key_type) = row.key(op).expect("a keyed operation");
        let attr = |ty: CK_ATTRIBUTE_TYPE, value| Attr {
            ty: ty as u64,
            value,
        };
        let mut attrs = vec![
            attr(CKA_CLASS, AttrValue::Ulong(class)),
            attr(CKA_KEY_TYPE, AttrValue::Ulong(key_type)),
            attr(CKA_MODULUS, AttrValue::Bytes(Bytes(vec![0xc5; 256]))),
            attr(
                CKA_EC_PARAMS,
                AttrValue::Bytes(Bytes(Curve::P256.params().to_vec())),
            ),
            attr(CKA_PUBLIC_KEY_INFO, AttrValue::Bytes(Bytes(vec![0x30; 8]))),
        ];
        for usage in Op::ALL.into_iter().filter_map(Op::usage) {
            attrs.push(attr(usage as CK_ATTRIBUTE_TYPE, AttrValue::Bool(true)));
        }
        let id = "key".to_owned();
        let sensitive = Vec::new();
        ObjectEntry {
            slot: 0,
            info: ObjectInfo {
                id,
                attrs,
                sensitive,
            },
        }
    }

    /// Parameters of every structure, with values kms-api accepts and values it refuses.
    fn parameter_sets() -> Vec<MechParams> {
        let b = |n| Bytes(vec![7; n]);
        let gcm = |iv, tag_bits| MechParams::Gcm {
            iv: b(iv),
            aad: b(3),
            tag_bits,
        };
        let ctr = |counter_bits| MechParams::Ctr {
            counter_bits,
            cb: b(16),
        };
        let mut sets = vec![
            MechParams::None,
            MechParams::Iv(b(16)),
            MechParams::Iv(b(8)),
            gcm(12, 128),
            gcm(16, 128),
            gcm(12, 96),
            ctr(32),
            ctr(0),
            ctr(129),
            MechParams::Ecdh {
                kdf: CKD_NULL as u64,
                shared_data: b(0),
                public_data: b(65),
            },
        ];
        for hash in Hash::ALL {
            for mgf in Hash::ALL {
                sets.push(MechParams::Oaep {
                    hash: hash.ckm(),
                    mgf: mgf.mgf1(),
                    label: b(0),
                });
                for salt_len in [hash.len() as u64, 20] {
                    sets.push(MechParams::Pss {
                        hash: hash.ckm(),
                        mgf: mgf.mgf1(),
                        salt_len,
                    });
                }
            }
        }
        sets
    }

    /// The module's `*Init` of `op` with the mechanism of `row` and `params`, with a fitting key;
    /// `None` for operations that do not start through an `*Init` of a data operation.
    fn init(row: &MechInfo, op: Op, params: MechParams) -> Option<Result<()>> {
        let m = Mechanism {
            mechanism: row.ty,
            params,
        };
        let key = || key_for(row, op);
        Some(match op {
            Op::Sign => SignOp::new(&key(), m).map(drop),
            Op::Verify => VerifyOp::new(&key(), m).map(drop),
            Op::Encrypt => CryptOp::new(KeyOp::Encrypt, &key(), m).map(drop),
            Op::Decrypt => CryptOp::new(KeyOp::Decrypt, &key(), m).map(drop),
            Op::Digest => DigestOp::new(&m).map(drop),
            _ => return None,
        })
    }

    /// The module accepts at `*Init` exactly the parameters kms-api's `params::check` — the
    /// check kmsd runs — accepts, for every row and operation, whoever performs it: were it to
    /// accept more, an application would learn only at the round trip (as RSA-OAEP with
    /// SHA-384 once did, at `C_Decrypt`).
    #[test]
    fn init_accepts_exactly_the_parameters_kmsd_accepts() {
        let mut compared = 0;
        for row in MECHANISMS {
            for op in row.ops.iter() {
                for params in parameter_sets() {
                    let contract = params::check(row, &params);
                    let Some(module) = init(row, op, params.clone()) else {
                        continue;
                    };
                    let want = contract.map_err(Error::from);
                    assert_eq!(module, want, "{} {op:?} {params:?}", row.name);
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000, "{compared} comparisons");
    }
}
