//! Key generation: `C_GenerateKey` and `C_GenerateKeyPair`, performed by kmsd.

use super::library::SessionRef;
use crate::attr::{self, RawAttr};
use crate::error::Result;
use crate::mech;
use cryptoki_sys::*;
use kms_api::mech::Op;
use kms_api::msg::{GenerateKeyPairRequest, GenerateKeyRequest};
use kms_api::{AttrValue, Mechanism, Template};

pub(crate) fn wants_token(t: &Template) -> bool {
    kms_api::attr::find(t, CKA_TOKEN as u64)
        .and_then(AttrValue::as_bool)
        .unwrap_or(false)
}

impl SessionRef<'_> {
    /// `C_GenerateKey`.
    pub fn generate_key(&self, mechanism: Mechanism, raw: &[RawAttr]) -> Result<CK_OBJECT_HANDLE> {
        let slot = self.slot();
        mech::offered(&mechanism, Op::Generate)?;
        let template = attr::decode_template(raw)?;
        self.check_writable(wants_token(&template))?;
        let req = GenerateKeyRequest {
            mechanism,
            template,
        };
        let info = slot.client.generate_key(slot.bearer().as_ref(), &req)?;
        self.adopt(info)
    }

    /// `C_GenerateKeyPair`: returns (public, private) handles.
    pub fn generate_key_pair(
        &self,
        mechanism: Mechanism,
        public_raw: &[RawAttr],
        private_raw: &[RawAttr],
    ) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE)> {
        let slot = self.slot();
        mech::offered(&mechanism, Op::GenerateKeyPair)?;
        let public_template = attr::decode_template(public_raw)?;
        let private_template = attr::decode_template(private_raw)?;
        self.check_writable(wants_token(&public_template) || wants_token(&private_template))?;
        let req = GenerateKeyPairRequest {
            mechanism,
            public_template,
            private_template,
        };
        let pair = slot
            .client
            .generate_key_pair(slot.bearer().as_ref(), &req)?;
        let public = self.adopt(pair.public)?;
        let private = self.adopt(pair.private)?;
        Ok((public, private))
    }

    /// `C_GenerateRandom`, from kmsd's generator.
    pub fn generate_random(&self, len: usize) -> Result<Vec<u8>> {
        let slot = self.slot();
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let n = (len - out.len()).min(kms_api::msg::MAX_RANDOM_LEN as usize);
            out.extend(slot.client.random(n)?);
        }
        Ok(out)
    }
}
