//! Verification: `C_VerifyInit`, `C_Verify`, `C_VerifyUpdate`, `C_VerifyFinal`. A public-key
//! signature is checked here, with the key's `CKA_PUBLIC_KEY_INFO`; a MAC by kmsd, which holds
//! the secret key.

use super::{public_key, signature_scheme, Feed, MultiPart};
use crate::error::Result;
use crate::mech::public::PublicKey;
use crate::mech::scheme::single_part_only;
use crate::mech::{KeyFamily, SigScheme};
use crate::token::handles::ObjectEntry;
use crate::token::slot::Slot;
use cryptoki_sys::*;
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
        let scheme = signature_scheme(key, &m, true)?;
        let single_part = single_part_only(m.mechanism as CK_MECHANISM_TYPE);
        let verifier = match scheme.family {
            KeyFamily::Secret => Verifier::Daemon(key.info.id.clone(), m),
            family => Verifier::Local(public_key(key, family)?),
        };
        Ok(VerifyOp {
            verifier,
            scheme,
            feed: Feed::new(scheme.prehash, single_part),
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
