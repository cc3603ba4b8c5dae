//! Encryption and decryption: `C_EncryptInit`, `C_Encrypt`, `C_EncryptUpdate`, `C_EncryptFinal`
//! and the same four of decryption. AES and RSA decryption run in kmsd; RSA encryption with a
//! public key runs here. Multi-part ECB, CBC, CBC-PAD and CTR stream ([`super::stream`]): each
//! update returns its whole blocks; GCM and RSA gather multi-part input and process it at
//! `*Final`, up to the buffering cap of [`super::Feed`].

use super::stream::Stream;
use super::{key_op, public_key, signature_len, start, Feed, MultiPart, Output};
use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::mech::public::PublicKey;
use crate::token::handles::ObjectEntry;
use crate::token::output::{produce, Out, Outcome, Size};
use crate::token::slot::Slot;
use cryptoki_sys::*;
use kms_api::mech::params::{AES_BLOCK_LEN, GCM_TAG_LEN};
use kms_api::mech::table::Output as OutputLen;
use kms_api::mech::{MechInfo, Op};
use kms_api::Mechanism;
use zeroize::Zeroizing;

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
    /// The sizing of `op` (encrypt or decrypt) with the mechanism of `row` and `key`, from the
    /// row's output sizing.
    fn new(row: &MechInfo, op: Op, key: &ObjectEntry) -> Result<Sizing> {
        let encrypt = op == Op::Encrypt;
        Ok(match row.output() {
            OutputLen::Modulus if encrypt => Sizing::Fixed(signature_len(key, row)?),
            OutputLen::Modulus => Sizing::UpTo(signature_len(key, row)?),
            OutputLen::Padded if encrypt => Sizing::PadUp,
            OutputLen::Padded => Sizing::PadDown,
            OutputLen::Tagged if encrypt => Sizing::PlusTag,
            OutputLen::Tagged => Sizing::MinusTag,
            OutputLen::Blocks if encrypt => Sizing::Blocks(CKR_DATA_LEN_RANGE),
            OutputLen::Blocks => Sizing::Blocks(CKR_ENCRYPTED_DATA_LEN_RANGE),
            OutputLen::Stream => Sizing::Same,
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        })
    }

    fn size(self, input: usize) -> Result<Size> {
        Ok(match self {
            Sizing::Fixed(n) => Size::Exact(n),
            Sizing::UpTo(n) => Size::AtMost(n),
            Sizing::PadUp => Size::Exact((input / AES_BLOCK_LEN + 1) * AES_BLOCK_LEN),
            Sizing::PadDown if !input.is_multiple_of(AES_BLOCK_LEN) || input == 0 => {
                return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE))
            }
            Sizing::PadDown => Size::AtMost(input),
            Sizing::PlusTag => Size::Exact(input + GCM_TAG_LEN),
            Sizing::MinusTag if input < GCM_TAG_LEN => {
                return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE))
            }
            Sizing::MinusTag => Size::Exact(input - GCM_TAG_LEN),
            Sizing::Blocks(rv) if !input.is_multiple_of(AES_BLOCK_LEN) => {
                return Err(Error::Ck(rv))
            }
            Sizing::Blocks(_) | Sizing::Same => Size::Exact(input),
        })
    }
}

/// An active encryption or decryption.
pub struct CryptOp {
    op: KeyOp,
    row: &'static MechInfo,
    engine: Engine,
    mechanism: Mechanism,
    sizing: Sizing,
    feed: Feed,
    /// A result that did not fit the caller's buffer, kept for the retry.
    pending: Option<Out>,
    /// The streamed form of a multi-part ECB, CBC, CBC-PAD or CTR operation.
    stream: Option<Stream>,
}

impl CryptOp {
    /// `C_EncryptInit` (`op` = Encrypt) or `C_DecryptInit` (`op` = Decrypt) with mechanism `m`
    /// and `key`, which is checked for it. The module encrypts here when the table says kmsd
    /// does not (RSA with a public key).
    pub fn new(op: KeyOp, key: &ObjectEntry, m: Mechanism) -> Result<CryptOp> {
        let contract = op.contract();
        let row = start(key, &m, contract)?;
        let (engine, stream) = if row.kmsd.contains(contract) {
            let stream = Stream::new(op, row.kind, &key.info.id, &m);
            (Engine::Daemon(key.info.id.clone()), stream)
        } else {
            (Engine::Local(public_key(key, row)?), None)
        };
        Ok(CryptOp {
            op,
            row,
            engine,
            mechanism: m,
            sizing: Sizing::new(row, contract, key)?,
            feed: Feed::new(None, false),
            pending: None,
            stream,
        })
    }

    /// `C_EncryptUpdate`/`C_DecryptUpdate`: a streamed operation returns the output of its
    /// whole blocks; another gathers the input and returns nothing until `*Final`. A size
    /// query or a short buffer takes no input.
    pub fn update(&mut self, slot: &Slot, part: &[u8], cap: Option<usize>) -> Result<Outcome> {
        self.feed.enter_multi()?;
        match (&mut self.stream, cap) {
            (Some(stream), _) => stream.update(slot, part, cap),
            (None, None) => Ok(Outcome::Len(0)),
            (None, Some(_)) => {
                self.feed.update(part)?;
                Ok(Outcome::Done(Zeroizing::new(Vec::new())))
            }
        }
    }
}

impl Output for CryptOp {
    /// `C_Encrypt`/`C_Decrypt` or their `*Final`.
    fn output(&mut self, slot: &Slot, data: Option<&[u8]>, cap: Option<usize>) -> Result<Outcome> {
        if let (None, Some(stream)) = (data, &mut self.stream) {
            return stream.finish(slot, cap);
        }
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
                    self.row,
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
