//! RSA on aws-lc-rs: key generation, hash-and-sign from a digest, OAEP and PKCS#1 v1.5
//! decryption (the latter with implicit rejection, security-rules §3.2).

use super::der;
use crate::error::{Error, Result};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{
    KeyPair, KeyPairComponents, KeySize, OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey,
    PrivateDecryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey};
use aws_lc_rs::{digest, hmac};
use kms_api::mech::Hash;
use zeroize::Zeroizing;

/// The public half of an RSA key, as the `CKA_*` attributes show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublic {
    /// `CKA_MODULUS` (big-endian, no leading zero).
    pub modulus: Vec<u8>,
    /// `CKA_PUBLIC_EXPONENT`.
    pub exponent: Vec<u8>,
    /// `CKA_MODULUS_BITS`.
    pub bits: u64,
    /// `CKA_PUBLIC_KEY_INFO` (SubjectPublicKeyInfo DER).
    pub spki: Vec<u8>,
}

/// Signature padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// PKCS#1 v1.5.
    Pkcs1,
    /// PSS with MGF1 of the same hash and a salt as long as the hash.
    Pss,
}

/// Generates a key of `bits` (2048, 3072 or 4096); returns PKCS#8 DER and the public half.
pub fn generate(bits: u64) -> Result<(Zeroizing<Vec<u8>>, RsaPublic)> {
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        _ => return Err(Error::KeySizeRange(format!("RSA modulus of {bits} bits"))),
    };
    let kp = KeyPair::generate(size).map_err(|_| Error::Internal("RSA generation".into()))?;
    let pkcs8 = pkcs8_of(&kp)?;
    let public = public_of(&kp)?;
    Ok((pkcs8, public))
}

fn pkcs8_of(kp: &KeyPair) -> Result<Zeroizing<Vec<u8>>> {
    let der: Pkcs8V1Der<'static> = kp
        .as_der()
        .map_err(|_| Error::Internal("RSA PKCS#8 encoding".into()))?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

fn public_of(kp: &KeyPair) -> Result<RsaPublic> {
    let pk = kp.public_key();
    let spki = pk
        .as_der()
        .map_err(|_| Error::Internal("RSA SPKI encoding".into()))?;
    let modulus = pk.modulus().big_endian_without_leading_zero().to_vec();
    Ok(RsaPublic {
        bits: bit_len(&modulus),
        exponent: pk.exponent().big_endian_without_leading_zero().to_vec(),
        modulus,
        spki: spki.as_ref().to_vec(),
    })
}

fn bit_len(be: &[u8]) -> u64 {
    match be.iter().position(|b| *b != 0) {
        Some(i) => ((be.len() - i) as u64) * 8 - u64::from(be[i].leading_zeros()),
        None => 0,
    }
}

/// A stored private key, parsed for signing.
pub fn parse(pkcs8: &[u8]) -> Result<KeyPair> {
    KeyPair::from_pkcs8(pkcs8)
        .map_err(|_| Error::IntegrityFailure("stored RSA key unusable".into()))
}

/// The public half of a stored private key.
pub fn public_from_pkcs8(pkcs8: &[u8]) -> Result<RsaPublic> {
    public_of(&parse(pkcs8)?)
}

/// Validates an imported public key (`CKA_MODULUS`, `CKA_PUBLIC_EXPONENT`) and derives its SPKI.
/// Moduli from 2048 to 8192 bits are accepted (security R10).
pub fn public_from_components(modulus: &[u8], exponent: &[u8], ty_n: u64) -> Result<RsaPublic> {
    let strip = |b: &[u8]| b[b.iter().position(|x| *x != 0).unwrap_or(b.len())..].to_vec();
    let (n, e) = (strip(modulus), strip(exponent));
    let bits = bit_len(&n);
    if !(2048..=8192).contains(&bits) {
        return Err(Error::KeySizeRange(format!("RSA modulus of {bits} bits")));
    }
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    let int = |v: &[u8]| {
        let mut c = Vec::with_capacity(v.len() + 1);
        if v.first().is_some_and(|b| b & 0x80 != 0) {
            c.push(0);
        }
        c.extend_from_slice(v);
        tlv(0x02, &c)
    };
    let mut body = int(&n);
    body.extend(int(&e));
    let rsa_public_key = tlv(0x30, &body);
    let parsed = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &rsa_public_key)
        .map_err(|_| Error::AttributeValueInvalid(ty_n))?;
    let spki = parsed
        .as_der()
        .map_err(|_| Error::AttributeValueInvalid(ty_n))?;
    Ok(RsaPublic {
        modulus: n,
        exponent: e,
        bits,
        spki: spki.as_ref().to_vec(),
    })
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let octet = der::octet_string(content);
    out.extend_from_slice(&octet[1..]);
    out
}

/// The components of an imported RSA private key (`CKA_MODULUS` … `CKA_COEFFICIENT`).
pub struct RsaComponents {
    /// `CKA_MODULUS`.
    pub n: Vec<u8>,
    /// `CKA_PUBLIC_EXPONENT`.
    pub e: Vec<u8>,
    /// `CKA_PRIVATE_EXPONENT`.
    pub d: Zeroizing<Vec<u8>>,
    /// `CKA_PRIME_1`.
    pub p: Zeroizing<Vec<u8>>,
    /// `CKA_PRIME_2`.
    pub q: Zeroizing<Vec<u8>>,
    /// `CKA_EXPONENT_1`.
    pub dp: Zeroizing<Vec<u8>>,
    /// `CKA_EXPONENT_2`.
    pub dq: Zeroizing<Vec<u8>>,
    /// `CKA_COEFFICIENT`.
    pub qinv: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for RsaComponents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaComponents({} modulus bits)", bit_len(&self.n))
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    &b[b.iter().position(|x| *x != 0).unwrap_or(b.len())..]
}

/// Builds a private key from its components. aws-lc checks that they agree (n = pq, the CRT
/// values, d·e ≡ 1); the key then passes a pairwise sign/verify test (security R12). Returns the
/// PKCS#8 DER to seal and the public half. Moduli of 2048 to 8192 bits (`key_size_range`);
/// components that do not form a key → `template_inconsistent`.
pub fn from_components(c: &RsaComponents) -> Result<(Zeroizing<Vec<u8>>, RsaPublic)> {
    let n = strip_zeros(&c.n);
    let bits = bit_len(n);
    if !(2048..=8192).contains(&bits) {
        return Err(Error::KeySizeRange(format!("RSA modulus of {bits} bits")));
    }
    let inconsistent =
        || Error::TemplateInconsistent("the RSA components do not form a key".into());
    let components = KeyPairComponents {
        public_key: PublicKeyComponents {
            n,
            e: strip_zeros(&c.e),
        },
        d: c.d.as_slice(),
        p: c.p.as_slice(),
        q: c.q.as_slice(),
        dP: c.dp.as_slice(),
        dQ: c.dq.as_slice(),
        qInv: c.qinv.as_slice(),
    };
    let kp = KeyPair::from_components(&components).map_err(|_| inconsistent())?;
    pairwise_check(&kp).map_err(|_| inconsistent())?;
    Ok((pkcs8_of(&kp)?, public_of(&kp)?))
}

/// Parses a PKCS#8 RSA private key from outside (an unwrapped blob), checks its size (2048 to
/// 8192 bits) and runs the pairwise test (security R12). Returns the key re-encoded by aws-lc
/// and its public half. Any failure is `None`: the caller reports one uniform error.
pub fn from_foreign_pkcs8(pkcs8: &[u8]) -> Option<(Zeroizing<Vec<u8>>, RsaPublic)> {
    let kp = KeyPair::from_pkcs8(pkcs8).ok()?;
    let public = public_of(&kp).ok()?;
    if !(2048..=8192).contains(&public.bits) {
        return None;
    }
    pairwise_check(&kp).ok()?;
    Some((pkcs8_of(&kp).ok()?, public))
}

/// Signs a fixed message and verifies the signature with the public half.
fn pairwise_check(kp: &KeyPair) -> Result<()> {
    let msg = b"kmsd pairwise consistency test";
    let mut sig = vec![0u8; kp.public_modulus_len()];
    kp.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        msg,
        &mut sig,
    )
    .map_err(|_| Error::Internal("pairwise test: signing".into()))?;
    let spki = public_of(kp)?.spki;
    let failed = |_| Error::Internal("pairwise test: verification".into());
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &spki)
        .map_err(|_| Error::Internal("pairwise test: public key".into()))?
        .verify_sig(msg, &sig)
        .map_err(failed)
}

/// Signs a digest (the daemon never hashes: the module sends the digest).
pub fn sign_digest(
    pkcs8: &[u8],
    padding: Padding,
    hash: Hash,
    digest_bytes: &[u8],
) -> Result<Vec<u8>> {
    sign_digest_with(&parse(pkcs8)?, padding, hash, digest_bytes)
}

/// [`sign_digest`] with a parsed key ([`super::keycache`]).
pub fn sign_digest_with(
    kp: &KeyPair,
    padding: Padding,
    hash: Hash,
    digest_bytes: &[u8],
) -> Result<Vec<u8>> {
    let encoding: &'static dyn signature::RsaEncoding = match (padding, hash) {
        (Padding::Pkcs1, Hash::Sha256) => &signature::RSA_PKCS1_SHA256,
        (Padding::Pkcs1, Hash::Sha384) => &signature::RSA_PKCS1_SHA384,
        (Padding::Pkcs1, Hash::Sha512) => &signature::RSA_PKCS1_SHA512,
        (Padding::Pss, Hash::Sha256) => &signature::RSA_PSS_SHA256,
        (Padding::Pss, Hash::Sha384) => &signature::RSA_PSS_SHA384,
        (Padding::Pss, Hash::Sha512) => &signature::RSA_PSS_SHA512,
        (_, Hash::Sha1) => return Err(Error::MechanismParamInvalid("SHA-1 signatures are off")),
        (_, Hash::Sha224) => {
            return Err(Error::MechanismParamInvalid(
                "SHA-224 signatures are not offered",
            ))
        }
    };
    let d = digest::Digest::import_less_safe(digest_bytes, super::digest_alg(hash))
        .map_err(|_| Error::DataLenRange)?;
    let mut sig = vec![0u8; kp.public_modulus_len()];
    // aws-lc verifies the CRT result before releasing a signature (fault check, security R12).
    kp.sign_digest(encoding, &d, &mut sig)
        .map_err(|_| Error::Internal("RSA signing".into()))?;
    Ok(sig)
}

/// A stored private key, parsed for decryption.
pub fn decrypting_key(pkcs8: &[u8]) -> Result<PrivateDecryptingKey> {
    PrivateDecryptingKey::from_pkcs8(pkcs8)
        .map_err(|_| Error::IntegrityFailure("stored RSA key unusable".into()))
}

/// RSA-OAEP decryption (SHA-1 or SHA-256, MGF1 of the same hash, optional label).
pub fn decrypt_oaep(
    pkcs8: &[u8],
    hash: Hash,
    label: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    decrypt_oaep_with(&oaep_key(pkcs8)?, hash, label, ct)
}

/// A stored private key, parsed for OAEP decryption.
pub fn oaep_key(pkcs8: &[u8]) -> Result<OaepPrivateDecryptingKey> {
    OaepPrivateDecryptingKey::new(decrypting_key(pkcs8)?)
        .map_err(|_| Error::Internal("OAEP key".into()))
}

/// aws-lc-rs's RSA-OAEP with `hash` for the label and for MGF1 (the pairs the contract accepts:
/// `kms_api::mech::params::oaep`).
pub fn oaep_algorithm(hash: Hash) -> Result<&'static aws_lc_rs::rsa::OaepAlgorithm> {
    use aws_lc_rs::rsa::{
        OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    };
    Ok(match hash {
        Hash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        Hash::Sha256 => &OAEP_SHA256_MGF1SHA256,
        Hash::Sha384 => &OAEP_SHA384_MGF1SHA384,
        Hash::Sha512 => &OAEP_SHA512_MGF1SHA512,
        Hash::Sha224 => {
            return Err(Error::MechanismParamInvalid(
                "OAEP with SHA-224 is not offered",
            ))
        }
    })
}

/// [`decrypt_oaep`] with a parsed key ([`super::keycache`]).
pub fn decrypt_oaep_with(
    key: &OaepPrivateDecryptingKey,
    hash: Hash,
    label: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let alg = oaep_algorithm(hash)?;
    if ct.len() != key.key_size_bytes() {
        return Err(Error::EncryptedDataLenRange);
    }
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let label = (!label.is_empty()).then_some(label);
    let n = key
        .decrypt(alg, ct, &mut out, label)
        .map_err(|_| Error::EncryptedDataInvalid)?
        .len();
    out.truncate(n);
    Ok(out)
}

/// PKCS#1 v1.5 decryption with implicit rejection: bad padding yields a deterministic synthetic
/// message derived from the ciphertext and a per-key secret, never an error. The synthetic
/// message is computed on every call, so both outcomes do the same work.
pub fn decrypt_pkcs1(pkcs8: &[u8], ct: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let key = Pkcs1PrivateDecryptingKey::new(decrypting_key(pkcs8)?)
        .map_err(|_| Error::Internal("PKCS#1 key".into()))?;
    let k = key.key_size_bytes();
    if ct.len() != k {
        return Err(Error::EncryptedDataLenRange);
    }
    let synthetic = synthetic_message(pkcs8, ct, k);
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    match key.decrypt(ct, &mut out) {
        Ok(pt) => {
            let n = pt.len();
            out.truncate(n);
            Ok(out)
        }
        Err(_) => Ok(synthetic),
    }
}

/// The implicit-rejection message (after draft-irtf-cfrg-rsa-guidance): KDK = HMAC-SHA256 keyed
/// by SHA-256 of the private key, over the ciphertext; a PRF on the KDK picks a length in
/// `0..=k-11` (from 128 masked 16-bit candidates, the last one in range) and the bytes.
pub fn synthetic_message(pkcs8: &[u8], ct: &[u8], k: usize) -> Zeroizing<Vec<u8>> {
    let secret = Zeroizing::new(super::sha256(pkcs8));
    let kdk_tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref()), ct);
    let kdk = hmac::Key::new(hmac::HMAC_SHA256, kdk_tag.as_ref());
    let max_len = k.saturating_sub(11);
    let lengths = prf(&kdk, b"length", 256);
    let mask = (max_len + 1).next_power_of_two() - 1;
    let mut len = 0usize;
    for pair in lengths.chunks_exact(2) {
        let cand = (usize::from(pair[0]) << 8 | usize::from(pair[1])) & mask;
        // Branch-free select: take `cand` when it is in range.
        let take = usize::from(cand <= max_len);
        len = take * cand + (1 - take) * len;
    }
    let bytes = prf(&kdk, b"message", k);
    Zeroizing::new(bytes[k - len..].to_vec())
}

fn prf(key: &hmac::Key, label: &[u8], out_len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(out_len + 32));
    let bits = ((out_len * 8) as u16).to_be_bytes();
    let mut i: u16 = 0;
    while out.len() < out_len {
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(&i.to_be_bytes());
        ctx.update(label);
        ctx.update(&bits);
        out.extend_from_slice(ctx.sign().as_ref());
        i += 1;
    }
    out.truncate(out_len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};

    #[test]
    fn implicit_rejection_is_deterministic_and_valid_padding_decrypts() {
        let (pkcs8, public) = generate(2048).unwrap();
        let k = public.modulus.len();
        let bad = vec![0x5au8; k];
        let a = decrypt_pkcs1(&pkcs8, &bad).unwrap();
        let b = decrypt_pkcs1(&pkcs8, &bad).unwrap();
        assert_eq!(*a, *b, "same ciphertext, same synthetic message");
        assert!(a.len() <= k - 11);
        let mut other = bad.clone();
        other[5] ^= 1;
        assert_ne!(*decrypt_pkcs1(&pkcs8, &other).unwrap(), *a);
        // Another key gives another synthetic message for the same ciphertext.
        let (pkcs8b, _) = generate(2048).unwrap();
        assert_ne!(*decrypt_pkcs1(&pkcs8b, &bad).unwrap(), *a);

        let pk = PublicEncryptingKey::from_der(&public.spki).unwrap();
        let enc = Pkcs1PublicEncryptingKey::new(pk).unwrap();
        let mut ct = vec![0u8; k];
        enc.encrypt(b"volume key", &mut ct).unwrap();
        assert_eq!(
            decrypt_pkcs1(&pkcs8, &ct).unwrap().as_slice(),
            b"volume key"
        );
        assert!(matches!(
            decrypt_pkcs1(&pkcs8, &ct[1..]),
            Err(Error::EncryptedDataLenRange)
        ));
    }

    /// The TLVs directly inside `der` (short test helper; definite lengths only).
    fn tlvs(mut der: &[u8]) -> Vec<(u8, &[u8])> {
        let mut out = Vec::new();
        while !der.is_empty() {
            let tag = der[0];
            let (len, hdr) = if der[1] < 0x80 {
                (der[1] as usize, 2)
            } else {
                let n = (der[1] & 0x7f) as usize;
                let len = der[2..2 + n].iter().fold(0, |a, b| (a << 8) | *b as usize);
                (len, 2 + n)
            };
            out.push((tag, &der[hdr..hdr + len]));
            der = &der[hdr + len..];
        }
        out
    }

    /// The nine INTEGERs of the RSAPrivateKey inside a PKCS#8 document.
    fn rsa_ints(pkcs8: &[u8]) -> Vec<Vec<u8>> {
        let top = tlvs(pkcs8);
        let info = tlvs(top[0].1);
        let rsa = tlvs(info[2].1);
        tlvs(rsa[0].1).iter().map(|(_, v)| v.to_vec()).collect()
    }

    fn components(ints: &[Vec<u8>]) -> RsaComponents {
        let z = |i: usize| Zeroizing::new(ints[i].clone());
        RsaComponents {
            n: ints[1].clone(),
            e: ints[2].clone(),
            d: z(3),
            p: z(4),
            q: z(5),
            dp: z(6),
            dq: z(7),
            qinv: z(8),
        }
    }

    #[test]
    fn components_import_checks_consistency() {
        let (pkcs8, public) = generate(2048).unwrap();
        let ints = rsa_ints(&pkcs8);
        let (imported, p2) = from_components(&components(&ints)).unwrap();
        assert_eq!(p2, public);
        assert_eq!(public_from_pkcs8(&imported).unwrap(), public);
        assert!(!format!("{:?}", components(&ints)).contains(&hex::encode(&ints[3][..8])));
        // A wrong CRT coefficient (the fault Clulow's T15 injects) or prime is refused.
        for i in [4usize, 8] {
            let mut bad = ints.clone();
            let last = bad[i].len() - 1;
            bad[i][last] ^= 2;
            assert!(matches!(
                from_components(&components(&bad)),
                Err(Error::TemplateInconsistent(_))
            ));
        }
        let mut small = ints.clone();
        small[1] = vec![0xff; 128];
        assert!(matches!(
            from_components(&components(&small)),
            Err(Error::KeySizeRange(_))
        ));
        let (again, p3) = from_foreign_pkcs8(&pkcs8).unwrap();
        assert_eq!(p3, public);
        assert_eq!(public_from_pkcs8(&again).unwrap(), public);
        assert!(from_foreign_pkcs8(&pkcs8[..pkcs8.len() - 1]).is_none());
    }

    #[test]
    fn sign_digest_verifies_and_components_round_trip() {
        let (pkcs8, public) = generate(2048).unwrap();
        assert_eq!(public.bits, 2048);
        assert_eq!(public.exponent, vec![1, 0, 1]);
        let msg = b"hello";
        let d = digest::digest(&digest::SHA256, msg);
        for (pad, alg) in [
            (Padding::Pkcs1, &signature::RSA_PKCS1_2048_8192_SHA256),
            (Padding::Pss, &signature::RSA_PSS_2048_8192_SHA256),
        ] {
            let sig = sign_digest(&pkcs8, pad, Hash::Sha256, d.as_ref()).unwrap();
            ParsedPublicKey::new(alg, &public.spki)
                .unwrap()
                .verify_sig(msg, &sig)
                .unwrap();
        }
        assert!(matches!(
            sign_digest(&pkcs8, Padding::Pkcs1, Hash::Sha256, &[0u8; 31]),
            Err(Error::DataLenRange)
        ));
        let again = public_from_components(&public.modulus, &[0, 1, 0, 1], 0).unwrap();
        assert_eq!(again, public);
        assert_eq!(public_from_pkcs8(&pkcs8).unwrap(), public);
        assert!(matches!(
            public_from_components(&[0xff; 128], &[3], 0),
            Err(Error::KeySizeRange(_))
        ));
    }
}
