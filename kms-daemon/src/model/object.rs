//! A stored object: its revealable attributes, sealed material, and who may see it.

use super::lifecycle::{has_lifecycle, Lifecycle};
use crate::ck::*;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use kms_api::msg::ObjectInfo;
use kms_api::{Attr, AttrValue};
use std::collections::BTreeMap;

/// Attributes by type (one value each), in type order.
pub type AttrMap = BTreeMap<u64, AttrValue>;

/// One row of the `objects` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    /// Random 16-byte id, hex.
    pub id: String,
    /// Token label.
    pub token: String,
    /// `CKO_*`.
    pub class: u64,
    /// `CKK_*` for keys.
    pub key_type: Option<u64>,
    /// `CKA_PRIVATE`.
    pub is_private: bool,
    /// For `CKA_TOKEN=false` objects: the (identity, instance) tag of the owner.
    pub ephemeral_owner: Option<String>,
    /// Every revealable attribute (never a secret component).
    pub attrs: AttrMap,
    /// Sealed key material (vault blob), for private and secret keys.
    pub sealed: Option<Vec<u8>>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// The primary version of the material (1 until `kmsd key rotate`; `keys::versions`).
    pub version: u32,
    /// Life cycle and use policy (keys; the default for other objects).
    pub life: Lifecycle,
}

impl StoredObject {
    /// The boolean attribute `ty`, false when absent.
    pub fn flag(&self, ty: u64) -> bool {
        self.attrs
            .get(&ty)
            .and_then(AttrValue::as_bool)
            .unwrap_or(false)
    }

    /// The byte attribute `ty`, if present.
    pub fn bytes(&self, ty: u64) -> Option<&[u8]> {
        self.attrs.get(&ty).and_then(AttrValue::as_bytes)
    }

    /// The template attribute `ty` (`CKA_WRAP_TEMPLATE` …), empty when absent.
    pub fn template(&self, ty: u64) -> &[kms_api::Attr] {
        self.attrs
            .get(&ty)
            .and_then(AttrValue::as_template)
            .unwrap_or_default()
    }

    /// The vault AAD of this object's (primary) material in its current state: identity and
    /// security attributes ([`super::aad::base`]), the life cycle ([`Lifecycle::bind`]), then the
    /// version when it is not the first.
    pub fn aad(&self) -> Vec<u8> {
        let mut aad = super::aad::base(
            &self.id,
            &self.token,
            self.class,
            self.key_type,
            &self.attrs,
        );
        self.life.bind(&mut aad);
        if self.version != 1 {
            aad.extend_from_slice(b"kmsd-version");
            aad.extend_from_slice(&self.version.to_be_bytes());
        }
        aad
    }

    /// The vault AAD of retired version `version` of this object's material
    /// ([`super::aad::retired`]).
    pub fn retired_aad(&self, version: u32) -> Vec<u8> {
        super::aad::retired(self, version)
    }

    /// The attributes PKCS#11 shows: the stored ones, plus `CKA_KMS_STATE` (the effective
    /// state now) and `CKA_KMS_KEY_VERSION` on keys.
    pub fn shown_attrs(&self) -> AttrMap {
        let mut attrs = self.attrs.clone();
        if has_lifecycle(self.class) {
            attrs.insert(
                kms_api::vendor::CKA_KMS_STATE,
                AttrValue::Ulong(self.life.effective(now_ms()).ck_value()),
            );
            attrs.insert(
                kms_api::vendor::CKA_KMS_KEY_VERSION,
                AttrValue::Ulong(u64::from(self.version)),
            );
        }
        attrs
    }

    /// What the module sees.
    pub fn info(&self) -> ObjectInfo {
        ObjectInfo {
            id: self.id.clone(),
            attrs: self
                .shown_attrs()
                .into_iter()
                .map(|(ty, value)| Attr { ty, value })
                .collect(),
            sensitive: sensitive_components(self.class, self.key_type).to_vec(),
        }
    }

    /// Whether every attribute of `template` is shown here with the same value.
    pub fn matches(&self, template: &[Attr]) -> bool {
        let shown = self.shown_attrs();
        template.iter().all(|a| shown.get(&a.ty) == Some(&a.value))
    }

    /// Whether the caller may see this object: never once its destruction is scheduled or done;
    /// private objects need a user login on the token; session objects need the same
    /// (identity, instance) as their creator.
    pub fn visible(&self, user_logged_in: bool, owner: Option<&str>) -> bool {
        !self.life.is_gone()
            && (!self.is_private || user_logged_in)
            && match &self.ephemeral_owner {
                None => true,
                Some(o) => owner == Some(o.as_str()),
            }
    }
}

/// Secret components an object of this class and key type has (`ObjectInfo.sensitive`).
pub fn sensitive_components(class: u64, key_type: Option<u64>) -> &'static [u64] {
    match (class, key_type) {
        (CKO_SECRET_KEY, _) => &[CKA_VALUE],
        (CKO_PRIVATE_KEY, Some(CKK_RSA)) => &[
            CKA_PRIVATE_EXPONENT,
            CKA_PRIME_1,
            CKA_PRIME_2,
            CKA_EXPONENT_1,
            CKA_EXPONENT_2,
            CKA_COEFFICIENT,
        ],
        (CKO_PRIVATE_KEY, _) => &[CKA_VALUE],
        _ => &[],
    }
}

/// The owner tag of a session object: SHA-256 over identity and instance, hex.
pub fn owner_tag(identity: &str, instance: &str) -> String {
    let mut buf = Vec::with_capacity(identity.len() + instance.len() + 1);
    buf.extend_from_slice(identity.as_bytes());
    buf.push(0);
    buf.extend_from_slice(instance.as_bytes());
    hex::encode(crate::crypto::sha256(&buf))
}

/// Attributes as stored (JSON of a kms-api template, in type order).
pub fn attrs_to_json(attrs: &AttrMap) -> Result<String> {
    let t: Vec<Attr> = attrs
        .iter()
        .map(|(ty, v)| Attr {
            ty: *ty,
            value: v.clone(),
        })
        .collect();
    serde_json::to_string(&t).map_err(|e| Error::Internal(format!("encoding attributes: {e}")))
}

/// Attributes from their stored JSON.
pub fn attrs_from_json(json: &str) -> Result<AttrMap> {
    let t: Vec<Attr> = serde_json::from_str(json)
        .map_err(|_| Error::IntegrityFailure("stored attributes unreadable".into()))?;
    Ok(t.into_iter().map(|a| (a.ty, a.value)).collect())
}
