//! Encryption and decryption: `C_EncryptInit`, `C_Encrypt`, `C_EncryptUpdate`, `C_EncryptFinal`
//! and the same four of decryption. AES and RSA decryption run in kmsd; RSA encryption with a
//! public key runs here. Multi-part input is gathered and processed at `*Final`.

use super::{check_key, key_op, public_key, signature_len, Feed, MultiPart, Output};
use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::mech::public::{oaep_alg, PublicKey};
use crate::mech::KeyFamily;
use crate::token::handles::ObjectEntry;
use crate::token::output::{produce, Out, Outcome, Size};
use crate::token::slot::Slot;
use cryptoki_sys::*;
use kms_api::{MechParams, Mechanism};
use zeroize::Zeroizing;

/// GCM tag length this token produces and accepts.
const GCM_TAG_LEN: usize = 16;

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
    feed: Feed,
    /// A result that did not fit the caller's buffer, kept for the retry.
    pending: Option<Out>,
}

impl CryptOp {
    /// `C_EncryptInit` (`op` = Encrypt) or `C_DecryptInit` (`op` = Decrypt) with mechanism `m`
    /// and `key`, which is checked for it.
    pub fn new(op: KeyOp, key: &ObjectEntry, m: Mechanism) -> Result<CryptOp> {
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
                    check_key(key, CKO_PUBLIC_KEY, &[CKK_RSA], usage, &m)?;
                    let public = public_key(key, KeyFamily::Rsa)?;
                    let n = public.sig_len;
                    (Engine::Local(public), Sizing::Fixed(n))
                } else {
                    check_key(key, CKO_PRIVATE_KEY, &[CKK_RSA], usage, &m)?;
                    (
                        Engine::Daemon(key.info.id.clone()),
                        Sizing::UpTo(signature_len(key, KeyFamily::Rsa)?),
                    )
                }
            }
            CKM_AES_CBC_PAD | CKM_AES_GCM | CKM_AES_ECB | CKM_AES_CTR => {
                check_key(key, CKO_SECRET_KEY, &[CKK_AES], usage, &m)?;
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
                (Engine::Daemon(key.info.id.clone()), sizing)
            }
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        Ok(CryptOp {
            op,
            engine,
            mechanism: m,
            sizing,
            feed: Feed::new(None, false),
            pending: None,
        })
    }
}

impl Output for CryptOp {
    /// `C_Encrypt`/`C_Decrypt` or their `*Final`.
    fn output(&mut self, slot: &Slot, data: Option<&[u8]>, cap: Option<usize>) -> Result<Outcome> {
        let input_len = data.map_or(self.feed.input.len(), <[u8]>::len);
        if let (Sizing::UpTo(k), KeyOp::Decrypt) = (self.sizing, self.op) {
            if input_len != k {
                return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE));
            }
        }
        let size = self.sizing.size(input_len)?;
        produce(&mut self.pending, cap, size, || {
            let value = match data {
                Some(d) => Zeroizing::new(d.to_vec()),
                None => self.feed.input.value(),
            };
            match &self.engine {
                Engine::Local(key) => Ok(Zeroizing::new(key.encrypt(
                    self.mechanism.mechanism as CK_MECHANISM_TYPE,
                    &self.mechanism.params,
                    &value,
                )?)),
                Engine::Daemon(id) => key_op(slot, id, self.op, &self.mechanism, value),
            }
        })
    }
}

impl MultiPart for CryptOp {
    fn feed(&mut self) -> &mut Feed {
        &mut self.feed
    }
}
