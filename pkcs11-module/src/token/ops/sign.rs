//! Signing: `C_SignInit`, `C_Sign`, `C_SignUpdate`, `C_SignFinal`. kmsd signs with the private or
//! secret key; a hash-and-sign mechanism hashes here and sends only the digest.

use super::{key_op, signature_len, start, Feed, MultiPart, Output};
use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::mech::SigScheme;
use crate::token::handles::ObjectEntry;
use crate::token::output::{produce, Out, Outcome, Size};
use crate::token::slot::Slot;
use cryptoki_sys::*;
use kms_api::mech::Op;
use kms_api::Mechanism;

/// An active signature.
pub struct SignOp {
    key_id: String,
    mechanism: Mechanism,
    sig_len: usize,
    feed: Feed,
    /// A signature made for a buffer that was too small, kept for the retry.
    pending: Option<Out>,
}

impl SignOp {
    /// `C_SignInit` with mechanism `m` and `key`, which is checked for it.
    pub fn new(key: &ObjectEntry, m: Mechanism) -> Result<SignOp> {
        let row = start(key, &m, Op::Sign)?;
        let scheme = SigScheme::new(row, &m.params)?;
        let sig_len = signature_len(key, row)?;
        Ok(SignOp {
            key_id: key.info.id.clone(),
            feed: Feed::new(scheme.prehash, scheme.single_part_only),
            mechanism: m,
            sig_len,
            pending: None,
        })
    }
}

impl Output for SignOp {
    /// `C_Sign` or `C_SignFinal`: a size query costs no round trip.
    fn output(&mut self, slot: &Slot, data: Option<&[u8]>, cap: Option<usize>) -> Result<Outcome> {
        if let Some(data) = data {
            if self.pending.is_none() && cap.is_some_and(|c| c >= self.sig_len) {
                self.feed.input.update(data)?;
            }
        }
        produce(&mut self.pending, cap, Size::Exact(self.sig_len), || {
            // Raw PKCS#1 v1.5 signs at most k - 11 bytes (RFC 8017 §9.2): longer input is out of
            // range whatever its content (v2.40 §5.1.8: length first).
            if self.mechanism.mechanism == CKM_RSA_PKCS as u64
                && self.feed.input.len() + 11 > self.sig_len
            {
                return Err(Error::Ck(CKR_DATA_LEN_RANGE));
            }
            let input = self.feed.input.value();
            key_op(slot, &self.key_id, KeyOp::Sign, &self.mechanism, input)
        })
    }
}

impl MultiPart for SignOp {
    fn feed(&mut self) -> &mut Feed {
        &mut self.feed
    }
}
