//! The mechanism table: one row per mechanism the token offers, read by both sides.
//!
//! The module reports it (`C_GetMechanismList`, `C_GetMechanismInfo`), parses each mechanism's
//! parameter structure ([`ParamKind`]), hashes for hash-and-sign mechanisms ([`MechInfo::prehash`])
//! and sizes outputs ([`Output`]); kmsd checks a key against it before any use (the class and
//! type of key each operation takes, [`Op::key_class`]) and runs what [`MechInfo::kmsd`] names.
//! The parameters both sides accept are checked by the one function in [`super::params`], so the
//! module never accepts a mechanism or a parameter that kmsd refuses.
//!
//! The key-transport policy of security rule R9 shows here: no `Wrap`/`Unwrap` on `CKM_RSA_PKCS`,
//! ECB or CTR (those are for data only), no key-wrap mechanism as a cipher.

use super::hash::Hash;
use cryptoki_sys::*;

/// An operation a mechanism serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `C_Sign`.
    Sign,
    /// `C_Verify`.
    Verify,
    /// `C_Encrypt`.
    Encrypt,
    /// `C_Decrypt`.
    Decrypt,
    /// `C_WrapKey` (with the wrapping key).
    Wrap,
    /// `C_UnwrapKey` (with the unwrapping key).
    Unwrap,
    /// `C_DeriveKey` (with the base key).
    Derive,
    /// `C_GenerateKey`.
    Generate,
    /// `C_GenerateKeyPair`.
    GenerateKeyPair,
    /// `C_Digest`.
    Digest,
}

impl Op {
    /// Every operation, in `CKF_*` order.
    pub const ALL: [Op; 10] = [
        Op::Encrypt,
        Op::Decrypt,
        Op::Digest,
        Op::Sign,
        Op::Verify,
        Op::Generate,
        Op::GenerateKeyPair,
        Op::Wrap,
        Op::Unwrap,
        Op::Derive,
    ];

    const fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The `CKF_*` flag of `CK_MECHANISM_INFO` for this operation.
    pub fn ckf(self) -> u64 {
        (match self {
            Op::Sign => CKF_SIGN,
            Op::Verify => CKF_VERIFY,
            Op::Encrypt => CKF_ENCRYPT,
            Op::Decrypt => CKF_DECRYPT,
            Op::Wrap => CKF_WRAP,
            Op::Unwrap => CKF_UNWRAP,
            Op::Derive => CKF_DERIVE,
            Op::Generate => CKF_GENERATE,
            Op::GenerateKeyPair => CKF_GENERATE_KEY_PAIR,
            Op::Digest => CKF_DIGEST,
        }) as u64
    }

    /// The usage attribute (`CKA_SIGN` …) a key needs for this operation; `None` for operations
    /// that take no key.
    pub fn usage(self) -> Option<u64> {
        Some(
            (match self {
                Op::Sign => CKA_SIGN,
                Op::Verify => CKA_VERIFY,
                Op::Encrypt => CKA_ENCRYPT,
                Op::Decrypt => CKA_DECRYPT,
                Op::Wrap => CKA_WRAP,
                Op::Unwrap => CKA_UNWRAP,
                Op::Derive => CKA_DERIVE,
                Op::Generate | Op::GenerateKeyPair | Op::Digest => return None,
            }) as u64,
        )
    }

    /// Whether the operation only processes data protected earlier (decrypt, verify, unwrap),
    /// which a deactivated or compromised key may still do; the others protect new data.
    pub fn processes_protected_data(self) -> bool {
        matches!(self, Op::Decrypt | Op::Verify | Op::Unwrap)
    }

    /// Whether a key in life-cycle state `state` (a `CK_KMS_STATE_*` value, the effective state)
    /// may be used for this operation: an active key for anything its usage allows; a
    /// deactivated or compromised key only to process protected data; a pre-active or destroyed
    /// key for nothing (KMIP 2.1 §3.22).
    pub fn allowed_in_state(self, state: u64) -> bool {
        use crate::vendor::*;
        match state {
            CK_KMS_STATE_ACTIVE => true,
            CK_KMS_STATE_DEACTIVATED | CK_KMS_STATE_COMPROMISED => self.processes_protected_data(),
            _ => false,
        }
    }

    /// The class of key (`CKO_*`) this operation takes with a key of type `key_type`: a secret
    /// key for the symmetric types; for a key pair, the private half signs, decrypts, unwraps
    /// and derives, the public half verifies, encrypts and wraps. `None` for operations that
    /// take no key.
    pub fn key_class(self, key_type: u64) -> Option<u64> {
        let symmetric = [CKK_AES, CKK_GENERIC_SECRET].map(|k| k as u64);
        Some(
            (match self {
                Op::Generate | Op::GenerateKeyPair | Op::Digest => return None,
                _ if symmetric.contains(&key_type) => CKO_SECRET_KEY,
                Op::Sign | Op::Decrypt | Op::Unwrap | Op::Derive => CKO_PRIVATE_KEY,
                Op::Verify | Op::Encrypt | Op::Wrap => CKO_PUBLIC_KEY,
            }) as u64,
        )
    }
}

/// A set of [`Op`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ops(u16);

impl Ops {
    /// No operation.
    pub const NONE: Ops = Ops(0);

    /// The set of `ops`.
    pub const fn of(ops: &[Op]) -> Ops {
        let mut bits = 0;
        let mut i = 0;
        while i < ops.len() {
            bits |= ops[i].bit();
            i += 1;
        }
        Ops(bits)
    }

    /// Whether `op` is in the set.
    pub fn contains(self, op: Op) -> bool {
        self.0 & op.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The operations in the set, in `CKF_*` order.
    pub fn iter(self) -> impl Iterator<Item = Op> {
        Op::ALL.into_iter().filter(move |op| self.contains(*op))
    }
}

/// The parameter structure a mechanism takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// No parameter (`pParameter` NULL, length 0).
    None,
    /// A 16-byte IV.
    Iv16,
    /// `CK_GCM_PARAMS`.
    Gcm,
    /// `CK_RSA_PKCS_OAEP_PARAMS`.
    Oaep,
    /// `CK_RSA_PKCS_PSS_PARAMS`.
    Pss,
    /// `CK_ECDH1_DERIVE_PARAMS`.
    Ecdh,
    /// `CK_AES_CTR_PARAMS`.
    Ctr,
}

/// What a mechanism computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Secret key generation.
    KeyGen,
    /// Key pair generation.
    KeyPairGen,
    /// RSASSA-PKCS1-v1_5 signatures; with `CKM_RSA_PKCS`, also PKCS#1 v1.5 encryption.
    RsaPkcs1,
    /// RSASSA-PSS signatures.
    RsaPss,
    /// RSAES-OAEP encryption and key transport.
    RsaOaep,
    /// ECDSA, raw `r ‖ s`.
    Ecdsa,
    /// Pure EdDSA (Ed25519) over the whole message.
    Eddsa,
    /// HMAC over the whole message.
    Hmac,
    /// AES-CBC without padding (whole blocks).
    AesCbc,
    /// AES-CBC with PKCS#7 padding.
    AesCbcPad,
    /// AES-GCM.
    AesGcm,
    /// AES-CTR.
    AesCtr,
    /// AES-ECB (whole blocks).
    AesEcb,
    /// AES key wrap (RFC 3394).
    AesKeyWrap,
    /// AES key wrap with padding (RFC 5649).
    AesKeyWrapPad,
    /// ECDH key derivation.
    Ecdh,
    /// A hash.
    Digest,
}

/// How long an output is, given the key and the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The RSA modulus length: signatures and encryptions exactly, decryptions at most (and a
    /// ciphertext to decrypt is exactly that long).
    Modulus,
    /// Twice the curve's field length (ECDSA `r ‖ s`).
    EcSignature,
    /// This many bytes (an Ed25519 signature: 64).
    Fixed(usize),
    /// The hash's length (HMAC, digests).
    HashLen,
    /// CBC with PKCS#7 padding: encryption rounds up to the next whole block (always adding
    /// one), decryption takes whole blocks and gives at most as many bytes.
    Padded,
    /// GCM: encryption adds the 16-byte tag, decryption removes it.
    Tagged,
    /// ECB and unpadded CBC: whole blocks in, as many out.
    Blocks,
    /// CTR: as many bytes out as in.
    Stream,
    /// Not a data operation (generation, key transport, derivation).
    NotData,
}

/// One mechanism.
#[derive(Debug, Clone, Copy)]
pub struct MechInfo {
    /// `CKM_*`.
    pub ty: u64,
    /// Its PKCS#11 name (`CKM_SHA256_RSA_PKCS`): for logs, audit records and metrics.
    pub name: &'static str,
    /// What it computes.
    pub kind: Kind,
    /// The `CKK_*` key type it takes; `None` for digests.
    pub key_type: Option<u64>,
    /// The operations it serves.
    pub ops: Ops,
    /// Those of [`Self::ops`] kmsd performs (with the private or secret key, or — for key
    /// transport — a key it holds); the module performs the others itself (verification and
    /// encryption with a public key, digests).
    pub kmsd: Ops,
    /// Its parameter structure.
    pub params: ParamKind,
    /// The hash the mechanism names, if it names one: the hash of hash-and-sign mechanisms, of
    /// an HMAC, of a digest.
    pub hash: Option<Hash>,
    /// Hash-and-sign: the module hashes the input with [`Self::hash`] and sends kmsd the digest
    /// (kmsd never receives the message).
    pub prehash: bool,
    /// Sign and verify are single-part only (PKCS#11 v3.0 §2.1 mechanism tables): `*Update`
    /// on them is `CKR_FUNCTION_NOT_SUPPORTED`.
    pub single_part: bool,
    /// Smallest and largest key size of `CK_MECHANISM_INFO`: bits for RSA, EC, Edwards curves
    /// and generic secrets, bytes for AES (as SoftHSM2 and most tokens report).
    pub key_size: (u64, u64),
}

impl MechInfo {
    /// The `flags` of `CK_MECHANISM_INFO`: the operations, `CKF_HW` when kmsd performs any of
    /// them (stock tools then treat the mechanism as the token's), and the curve capabilities of
    /// EC mechanisms.
    pub fn flags(&self) -> u64 {
        let mut flags = self.ops.iter().fold(0, |f, op| f | op.ckf());
        if !self.kmsd.is_empty() {
            flags |= CKF_HW as u64;
        }
        if self.key_type == Some(CKK_EC as u64) {
            flags |= (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS) as u64;
        }
        flags
    }

    /// How long this mechanism's output is.
    pub fn output(&self) -> Output {
        match self.kind {
            Kind::RsaPkcs1 | Kind::RsaPss | Kind::RsaOaep => Output::Modulus,
            Kind::Ecdsa => Output::EcSignature,
            Kind::Eddsa => Output::Fixed(64),
            Kind::Hmac | Kind::Digest => Output::HashLen,
            Kind::AesCbcPad => Output::Padded,
            Kind::AesGcm => Output::Tagged,
            Kind::AesEcb | Kind::AesCbc => Output::Blocks,
            Kind::AesCtr => Output::Stream,
            Kind::KeyGen
            | Kind::KeyPairGen
            | Kind::AesKeyWrap
            | Kind::AesKeyWrapPad
            | Kind::Ecdh => Output::NotData,
        }
    }

    /// The class and type of key (`CKO_*`, `CKK_*`) `op` takes with this mechanism, whoever
    /// performs it; `None` when the mechanism does not serve `op` with a key.
    pub fn key(&self, op: Op) -> Option<(u64, u64)> {
        let key_type = self.key_type?;
        self.ops
            .contains(op)
            .then(|| op.key_class(key_type).map(|class| (class, key_type)))
            .flatten()
    }

    /// The class of key `op` takes with this mechanism, when the mechanism serves `op` in kmsd.
    pub fn kmsd_key(&self, op: Op) -> Option<(u64, u64)> {
        self.kmsd.contains(op).then(|| self.key(op)).flatten()
    }
}

/// A table row; `ops` first, then those of them kmsd performs.
#[allow(clippy::too_many_arguments, reason = "a table row, read as one line")]
const fn row(
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    kind: Kind,
    key_type: Option<CK_KEY_TYPE>,
    ops: &[Op],
    kmsd: &[Op],
    params: ParamKind,
    hash: Option<Hash>,
    key_size: (u64, u64),
) -> MechInfo {
    MechInfo {
        ty: ty as u64,
        name,
        kind,
        key_type: match key_type {
            Some(k) => Some(k as u64),
            None => None,
        },
        ops: Ops::of(ops),
        kmsd: Ops::of(kmsd),
        params,
        hash,
        prehash: false,
        single_part: false,
        key_size,
    }
}

/// `row!(CKM_X, …)`: a row named after its constant.
macro_rules! row {
    ($ty:ident, $($rest:expr),* $(,)?) => {
        row($ty, stringify!($ty), $($rest),*)
    };
}

/// A hash-and-sign row: the module hashes the input.
const fn prehashed(r: MechInfo) -> MechInfo {
    MechInfo { prehash: true, ..r }
}

/// A row whose sign and verify are single-part only.
const fn single_part(r: MechInfo) -> MechInfo {
    MechInfo {
        single_part: true,
        ..r
    }
}

use Hash::{Sha1, Sha224, Sha256, Sha384, Sha512};
use Op::{Decrypt, Derive, Digest, Encrypt, Generate, GenerateKeyPair, Sign, Unwrap, Verify, Wrap};

const RSA: Option<CK_KEY_TYPE> = Some(CKK_RSA);
const EC: Option<CK_KEY_TYPE> = Some(CKK_EC);
const ED: Option<CK_KEY_TYPE> = Some(CKK_EC_EDWARDS);
const SECRET: Option<CK_KEY_TYPE> = Some(CKK_GENERIC_SECRET);
const AES: Option<CK_KEY_TYPE> = Some(CKK_AES);
const RSA_BITS: (u64, u64) = (2048, 4096);
const EC_BITS: (u64, u64) = (256, 521);
const ED_BITS: (u64, u64) = (255, 255);
const SECRET_BITS: (u64, u64) = (112, 4096);
const AES_BYTES: (u64, u64) = (16, 32);
const NO_KEY: (u64, u64) = (0, 0);
const SIGN: &[Op] = &[Sign, Verify];
const CRYPT: &[Op] = &[Encrypt, Decrypt];
const TRANSPORT: &[Op] = &[Wrap, Unwrap];

/// Every mechanism offered, in the order `C_GetMechanismList` reports them.
#[rustfmt::skip]
pub static MECHANISMS: &[MechInfo] = &[
    row!(CKM_RSA_PKCS_KEY_PAIR_GEN, Kind::KeyPairGen, RSA, &[GenerateKeyPair], &[GenerateKeyPair], ParamKind::None, None, RSA_BITS),
    single_part(row!(CKM_RSA_PKCS, Kind::RsaPkcs1, RSA, &[Sign, Verify, Encrypt, Decrypt], &[Sign, Decrypt], ParamKind::None, None, RSA_BITS)),
    prehashed(row!(CKM_SHA256_RSA_PKCS, Kind::RsaPkcs1, RSA, SIGN, &[Sign], ParamKind::None, Some(Sha256), RSA_BITS)),
    prehashed(row!(CKM_SHA384_RSA_PKCS, Kind::RsaPkcs1, RSA, SIGN, &[Sign], ParamKind::None, Some(Sha384), RSA_BITS)),
    prehashed(row!(CKM_SHA512_RSA_PKCS, Kind::RsaPkcs1, RSA, SIGN, &[Sign], ParamKind::None, Some(Sha512), RSA_BITS)),
    single_part(row!(CKM_RSA_PKCS_PSS, Kind::RsaPss, RSA, SIGN, &[Sign], ParamKind::Pss, None, RSA_BITS)),
    prehashed(row!(CKM_SHA256_RSA_PKCS_PSS, Kind::RsaPss, RSA, SIGN, &[Sign], ParamKind::Pss, Some(Sha256), RSA_BITS)),
    prehashed(row!(CKM_SHA384_RSA_PKCS_PSS, Kind::RsaPss, RSA, SIGN, &[Sign], ParamKind::Pss, Some(Sha384), RSA_BITS)),
    prehashed(row!(CKM_SHA512_RSA_PKCS_PSS, Kind::RsaPss, RSA, SIGN, &[Sign], ParamKind::Pss, Some(Sha512), RSA_BITS)),
    row!(CKM_RSA_PKCS_OAEP, Kind::RsaOaep, RSA, &[Encrypt, Decrypt, Wrap, Unwrap], &[Decrypt, Wrap, Unwrap], ParamKind::Oaep, None, RSA_BITS),
    row!(CKM_EC_KEY_PAIR_GEN, Kind::KeyPairGen, EC, &[GenerateKeyPair], &[GenerateKeyPair], ParamKind::None, None, EC_BITS),
    single_part(row!(CKM_ECDSA, Kind::Ecdsa, EC, SIGN, &[Sign], ParamKind::None, None, EC_BITS)),
    prehashed(row!(CKM_ECDSA_SHA256, Kind::Ecdsa, EC, SIGN, &[Sign], ParamKind::None, Some(Sha256), EC_BITS)),
    prehashed(row!(CKM_ECDSA_SHA384, Kind::Ecdsa, EC, SIGN, &[Sign], ParamKind::None, Some(Sha384), EC_BITS)),
    prehashed(row!(CKM_ECDSA_SHA512, Kind::Ecdsa, EC, SIGN, &[Sign], ParamKind::None, Some(Sha512), EC_BITS)),
    row!(CKM_ECDH1_DERIVE, Kind::Ecdh, EC, &[Derive], &[Derive], ParamKind::Ecdh, None, EC_BITS),
    row!(CKM_EC_EDWARDS_KEY_PAIR_GEN, Kind::KeyPairGen, ED, &[GenerateKeyPair], &[GenerateKeyPair], ParamKind::None, None, ED_BITS),
    single_part(row!(CKM_EDDSA, Kind::Eddsa, ED, SIGN, &[Sign], ParamKind::None, None, ED_BITS)),
    row!(CKM_GENERIC_SECRET_KEY_GEN, Kind::KeyGen, SECRET, &[Generate], &[Generate], ParamKind::None, None, SECRET_BITS),
    row!(CKM_SHA256_HMAC, Kind::Hmac, SECRET, SIGN, SIGN, ParamKind::None, Some(Sha256), SECRET_BITS),
    row!(CKM_SHA384_HMAC, Kind::Hmac, SECRET, SIGN, SIGN, ParamKind::None, Some(Sha384), SECRET_BITS),
    row!(CKM_SHA512_HMAC, Kind::Hmac, SECRET, SIGN, SIGN, ParamKind::None, Some(Sha512), SECRET_BITS),
    row!(CKM_AES_KEY_GEN, Kind::KeyGen, AES, &[Generate], &[Generate], ParamKind::None, None, AES_BYTES),
    row!(CKM_AES_CBC, Kind::AesCbc, AES, CRYPT, CRYPT, ParamKind::Iv16, None, AES_BYTES),
    row!(CKM_AES_CBC_PAD, Kind::AesCbcPad, AES, CRYPT, CRYPT, ParamKind::Iv16, None, AES_BYTES),
    row!(CKM_AES_GCM, Kind::AesGcm, AES, CRYPT, CRYPT, ParamKind::Gcm, None, AES_BYTES),
    row!(CKM_AES_CTR, Kind::AesCtr, AES, CRYPT, CRYPT, ParamKind::Ctr, None, AES_BYTES),
    row!(CKM_AES_ECB, Kind::AesEcb, AES, CRYPT, CRYPT, ParamKind::None, None, AES_BYTES),
    row!(CKM_AES_KEY_WRAP, Kind::AesKeyWrap, AES, TRANSPORT, TRANSPORT, ParamKind::None, None, AES_BYTES),
    row!(CKM_AES_KEY_WRAP_KWP, Kind::AesKeyWrapPad, AES, TRANSPORT, TRANSPORT, ParamKind::None, None, AES_BYTES),
    row!(CKM_SHA_1, Kind::Digest, None, &[Digest], &[], ParamKind::None, Some(Sha1), NO_KEY),
    row!(CKM_SHA224, Kind::Digest, None, &[Digest], &[], ParamKind::None, Some(Sha224), NO_KEY),
    row!(CKM_SHA256, Kind::Digest, None, &[Digest], &[], ParamKind::None, Some(Sha256), NO_KEY),
    row!(CKM_SHA384, Kind::Digest, None, &[Digest], &[], ParamKind::None, Some(Sha384), NO_KEY),
    row!(CKM_SHA512, Kind::Digest, None, &[Digest], &[], ParamKind::None, Some(Sha512), NO_KEY),
];

/// The row of a mechanism, if the token offers it.
pub fn info(ty: u64) -> Option<&'static MechInfo> {
    MECHANISMS.iter().find(|m| m.ty == ty)
}

/// A mechanism's name (`CKM_…`), or its number in hex (`CKM_0x…`) when the token does not offer
/// it.
pub fn name(ty: u64) -> String {
    match info(ty) {
        Some(m) => m.name.to_owned(),
        None => format!("CKM_0x{ty:08X}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mechanism_once_and_kmsd_does_only_what_is_offered() {
        for (i, m) in MECHANISMS.iter().enumerate() {
            assert!(
                MECHANISMS[i + 1..].iter().all(|o| o.ty != m.ty),
                "{} twice",
                m.name
            );
            assert_eq!(m.kmsd.0 & !m.ops.0, 0, "{}", m.name);
            assert!(!m.prehash || m.hash.is_some(), "{}", m.name);
        }
    }

    #[test]
    fn no_legacy_key_transport() {
        for data_only in [
            CKM_RSA_PKCS,
            CKM_AES_ECB,
            CKM_AES_CTR,
            CKM_AES_CBC_PAD,
            CKM_AES_GCM,
        ] {
            let m = info(data_only as u64).unwrap();
            assert!(
                !m.ops.contains(Op::Wrap) && !m.ops.contains(Op::Unwrap),
                "R9: {} is for data only",
                m.name
            );
        }
        for transport in [CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_KWP] {
            let m = info(transport as u64).unwrap();
            assert!(
                !m.ops.contains(Op::Encrypt) && !m.ops.contains(Op::Decrypt),
                "R9: {} is no cipher",
                m.name
            );
        }
    }

    #[test]
    fn reported_flags_follow_the_operations() {
        for data_only in [CKM_RSA_PKCS, CKM_AES_ECB, CKM_AES_CTR] {
            let m = info(data_only as u64).unwrap();
            assert_eq!(
                m.flags() & (CKF_WRAP | CKF_UNWRAP) as u64,
                0,
                "R9: C_GetMechanismInfo reports no key transport for {}",
                m.name
            );
        }
        let rsa = info(CKM_RSA_PKCS as u64).unwrap();
        let both = (CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT) as u64;
        assert_eq!(rsa.flags(), both);
        let sha = info(CKM_SHA256 as u64).unwrap();
        assert_eq!(
            sha.flags(),
            CKF_DIGEST as u64,
            "digests are the module's, no CKF_HW"
        );
    }

    #[test]
    fn usage_attribute_per_operation() {
        assert_eq!(Op::Sign.usage(), Some(CKA_SIGN as u64));
        assert_eq!(Op::Unwrap.usage(), Some(CKA_UNWRAP as u64));
        assert_eq!(Op::Digest.usage(), None);
        for op in Op::ALL {
            assert_eq!(op.usage().is_some(), op.key_class(CKK_AES as u64).is_some());
        }
        let oaep = info(CKM_RSA_PKCS_OAEP as u64).unwrap();
        let rsa = CKK_RSA as u64;
        assert_eq!(oaep.key(Op::Encrypt), Some((CKO_PUBLIC_KEY as u64, rsa)));
        assert_eq!(oaep.key(Op::Sign), None, "OAEP does not sign");
    }

    #[test]
    fn private_halves_sign_and_public_halves_wrap() {
        let oaep = info(CKM_RSA_PKCS_OAEP as u64).unwrap();
        let rsa = CKK_RSA as u64;
        assert_eq!(oaep.kmsd_key(Op::Wrap), Some((CKO_PUBLIC_KEY as u64, rsa)));
        assert_eq!(
            oaep.kmsd_key(Op::Unwrap),
            Some((CKO_PRIVATE_KEY as u64, rsa))
        );
        assert_eq!(oaep.kmsd_key(Op::Encrypt), None, "encrypted in the module");
        let hmac = info(CKM_SHA256_HMAC as u64).unwrap();
        assert_eq!(
            hmac.kmsd_key(Op::Verify),
            Some((CKO_SECRET_KEY as u64, CKK_GENERIC_SECRET as u64))
        );
        assert_eq!(name(CKM_ECDSA as u64), "CKM_ECDSA");
        assert_eq!(name(0x8000_1234), "CKM_0x80001234");
    }
}
