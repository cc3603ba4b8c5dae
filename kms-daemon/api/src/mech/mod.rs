//! Mechanisms: the `CKM_*` number and its parsed parameters on the wire, the one table of what
//! each mechanism is ([`table`]), and the parameter checks both sides run ([`params`]).
//!
//! The module parses `CK_MECHANISM` once at the C edge into these types; kmsd checks them again.
//! For hash-and-sign mechanisms (`CKM_SHA256_RSA_PKCS`, `CKM_ECDSA_SHA256` …) the module hashes
//! and the request's data is the digest: kmsd never receives the message.

pub mod hash;
pub mod params;
pub mod table;

pub use hash::Hash;
pub use table::{info, MechInfo, Op, ParamKind};

use crate::bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A mechanism with its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanism {
    /// The `CKM_*` value.
    pub mechanism: u64,
    /// Parameters, already parsed.
    #[serde(default)]
    pub params: MechParams,
}

impl Mechanism {
    /// A mechanism without parameters.
    pub fn new(mechanism: u64) -> Self {
        Mechanism {
            mechanism,
            params: MechParams::None,
        }
    }
}

/// Parsed mechanism parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MechParams {
    /// No parameter.
    #[default]
    None,
    /// An initialisation vector (`CKM_AES_CBC_PAD`).
    Iv(Bytes),
    /// `CK_GCM_PARAMS`.
    Gcm {
        /// The IV (12 bytes is the supported length).
        iv: Bytes,
        /// Additional authenticated data.
        aad: Bytes,
        /// Tag length in bits.
        tag_bits: u64,
    },
    /// `CK_RSA_PKCS_OAEP_PARAMS`.
    Oaep {
        /// `CKM_SHA_1`, `CKM_SHA256` …
        hash: u64,
        /// `CKG_MGF1_SHA1` …
        mgf: u64,
        /// The label (`CKZ_DATA_SPECIFIED` source data); empty when none.
        label: Bytes,
    },
    /// `CK_ECDH1_DERIVE_PARAMS`.
    Ecdh {
        /// `CKD_NULL`, `CKD_SHA256_KDF` …
        kdf: u64,
        /// Shared data for the KDF (empty with `CKD_NULL`).
        shared_data: Bytes,
        /// The other party's public point (uncompressed, raw or DER OCTET STRING).
        public_data: Bytes,
    },
    /// `CK_AES_CTR_PARAMS`.
    Ctr {
        /// `ulCounterBits`: how many low-order bits of the block are the counter (1..=128).
        counter_bits: u64,
        /// `cb`: the initial counter block (16 bytes).
        cb: Bytes,
    },
    /// `CK_RSA_PKCS_PSS_PARAMS`.
    Pss {
        /// `CKM_SHA256` …
        hash: u64,
        /// `CKG_MGF1_SHA256` …
        mgf: u64,
        /// Salt length in bytes.
        salt_len: u64,
    },
}
