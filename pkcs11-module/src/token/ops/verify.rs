//! Verification: `C_VerifyInit`, `C_Verify`, `C_VerifyUpdate`, `C_VerifyFinal`. A public-key
//! signature is checked here, with the key's `CKA_PUBLIC_KEY_INFO`; a MAC by kmsd, which holds
//! the secret key.

use super::{public_key, start, Feed, MultiPart};
use crate::error::Result;
use crate::mech::public::PublicKey;
use crate::mech::SigScheme;
use crate::token::handles::ObjectEntry;
use crate::token::slot::Slot;
use kms_api::mech::Op;
use kms_api::msg::VerifyRequest;
use kms_api::{Mechanism, SecretBytes};

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
    feed: Feed,
}

impl VerifyOp {
    /// `C_VerifyInit` with mechanism `m` and `key`, which is checked for it.
    pub fn new(key: &ObjectEntry, m: Mechanism) -> Result<VerifyOp> {
        let row = start(key, &m, Op::Verify)?;
        let scheme = SigScheme::new(row, &m.params)?;
        let verifier = if row.kmsd.contains(Op::Verify) {
            Verifier::Daemon(key.info.id.clone(), m)
        } else {
            Verifier::Local(public_key(key, row)?)
        };
        Ok(VerifyOp {
            verifier,
            scheme,
            feed: Feed::new(scheme.prehash, scheme.single_part_only),
        })
    }

    /// `C_Verify` (`data` given) or `C_VerifyFinal` (`None`); the operation ends either way.
    pub fn verify(&mut self, slot: &Slot, data: Option<&[u8]>, signature: &[u8]) -> Result<()> {
        self.feed.enter(data)?;
        if let Some(data) = data {
            self.feed.input.update(data)?;
        }
        let input = self.feed.input.value();
        match &self.verifier {
            Verifier::Local(key) => key.verify(&self.scheme, &input, signature),
            Verifier::Daemon(id, mechanism) => {
                let req = VerifyRequest {
                    mechanism: mechanism.clone(),
                    data: SecretBytes(input),
                    signature: kms_api::Bytes(signature.to_vec()),
                };
                slot.client.verify_mac(slot.bearer().as_ref(), id, &req)
            }
        }
    }
}

impl MultiPart for VerifyOp {
    fn feed(&mut self) -> &mut Feed {
        &mut self.feed
    }
}
