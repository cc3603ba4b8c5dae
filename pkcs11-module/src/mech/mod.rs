//! Mechanisms: what the token offers is kms-api's table ([`kms_api::mech::table`]), read here;
//! this folder holds the module's own part: hashing, the signature schemes, and the public-key
//! operations done in the module.

pub mod digest;
pub mod public;
pub mod scheme;

pub use scheme::SigScheme;

use crate::error::{Error, Result};
use cryptoki_sys::CKR_MECHANISM_INVALID;
use kms_api::mech::{MechInfo, Op};
use kms_api::Mechanism;

/// The table row of `m` when the token offers it for `op`; `CKR_MECHANISM_INVALID` otherwise.
pub fn offered(m: &Mechanism, op: Op) -> Result<&'static MechInfo> {
    kms_api::mech::info(m.mechanism)
        .filter(|row| row.ops.contains(op))
        .ok_or(Error::Ck(CKR_MECHANISM_INVALID))
}
