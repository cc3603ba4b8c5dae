//! Digests: `C_DigestInit`, `C_Digest`, `C_DigestUpdate`, `C_DigestKey`, `C_DigestFinal`,
//! computed here.

use super::{Feed, MultiPart, Output};
use crate::error::{Error, Result};
use crate::mech;
use crate::token::handles::ObjectEntry;
use crate::token::output::{produce, Outcome, Size};
use crate::token::slot::Slot;
use cryptoki_sys::*;
use kms_api::mech::{params, Op};
use kms_api::Mechanism;

/// An active digest.
pub struct DigestOp {
    feed: Feed,
}

impl DigestOp {
    /// `C_DigestInit` with mechanism `m`.
    pub fn new(m: &Mechanism) -> Result<DigestOp> {
        let row = mech::offered(m, Op::Digest)?;
        params::check(row, &m.params)?;
        let hash = row.hash.ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
        Ok(DigestOp {
            feed: Feed::new(Some(hash), false),
        })
    }

    /// `C_DigestKey`: the value of a secret key would join the digest — if the module could
    /// see it. The module hashes locally and kmsd never reveals a secret key's value in clear
    /// (not even an unsensitive one: values leave kmsd only wrapped), so every key is
    /// `CKR_KEY_INDIGESTIBLE`. Like `C_DigestUpdate`, the error ends the digest operation.
    pub fn digest_key(&mut self, _key: &ObjectEntry) -> Result<()> {
        Err(Error::Ck(CKR_KEY_INDIGESTIBLE))
    }
}

impl Output for DigestOp {
    /// `C_Digest` or `C_DigestFinal`. A size query leaves the input as it was, so the call that
    /// follows digests the same data.
    fn output(&mut self, _: &Slot, data: Option<&[u8]>, cap: Option<usize>) -> Result<Outcome> {
        let mut input = self.feed.input.clone();
        if let Some(data) = data {
            input.update(data)?;
        }
        produce(&mut None, cap, Size::Exact(input.len()), || {
            Ok(input.value())
        })
    }
}

impl MultiPart for DigestOp {
    fn feed(&mut self) -> &mut Feed {
        &mut self.feed
    }
}
