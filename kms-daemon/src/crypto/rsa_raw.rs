//! Raw PKCS#1 v1.5 signing (RFC 8017 §8.2.1, EMSA-PKCS1-v1_5 over a `T` the caller made): the
//! `CKM_RSA_PKCS` signature of inputs aws-lc-rs cannot sign — a SHA-1 or MD5 `DigestInfo`, the
//! 36-byte MD5‖SHA-1 of TLS 1.0/1.1. aws-lc-rs signs only SHA-2 `DigestInfo`s and exposes no raw
//! RSA private operation, so this one operation is computed here with constant-time arithmetic
//! (`crypto-bigint`'s Montgomery exponentiation: no branch or memory access depends on the
//! private exponent), and the result is checked with the public exponent before it leaves (a
//! faulty signature can give the key away, security R12). It runs only when `[policy]
//! legacy_rsa_signatures` is on (security rule R9: MD5/SHA-1 signatures are off by default).

use super::der;
use crate::error::{Error, Result};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use zeroize::Zeroizing;

/// The public modulus and exponents of a key, from its PKCS#8 document.
struct RawKey {
    n: Vec<u8>,
    e: Vec<u8>,
    d: Zeroizing<Vec<u8>>,
}

fn malformed() -> Error {
    Error::IntegrityFailure("stored RSA key is not a PKCS#8 RSAPrivateKey".into())
}

/// An INTEGER's magnitude without its sign byte or leading zeros.
fn unsigned(int: &[u8]) -> &[u8] {
    let skip = int.iter().take_while(|b| **b == 0).count();
    &int[skip..]
}

impl RawKey {
    /// PrivateKeyInfo { version, algorithm, OCTET STRING { RSAPrivateKey { version, n, e, d, … } } }.
    fn from_pkcs8(pkcs8: &[u8]) -> Result<RawKey> {
        let (_, info, _) = der::split_tlv(pkcs8).ok_or_else(malformed)?;
        let (_, _version, rest) = der::split_tlv(info).ok_or_else(malformed)?;
        let (_, _algorithm, rest) = der::split_tlv(rest).ok_or_else(malformed)?;
        let (_, inner, _) = der::split_tlv(rest).ok_or_else(malformed)?;
        let (_, rsa, _) = der::split_tlv(inner).ok_or_else(malformed)?;
        let mut ints = Vec::with_capacity(4);
        let mut rest = rsa;
        while ints.len() < 4 {
            let (tag, value, next) = der::split_tlv(rest).ok_or_else(malformed)?;
            if tag != 0x02 {
                return Err(malformed());
            }
            ints.push(value);
            rest = next;
        }
        Ok(RawKey {
            n: unsigned(ints[1]).to_vec(),
            e: unsigned(ints[2]).to_vec(),
            d: Zeroizing::new(unsigned(ints[3]).to_vec()),
        })
    }
}

/// EMSA-PKCS1-v1_5 encoding of `t` for a `k`-byte modulus: `00 01 FF…FF 00 ‖ T`, at least eight
/// `FF`s (`CKR_DATA_LEN_RANGE` when `t` is longer than `k − 11`).
fn encode(t: &[u8], k: usize) -> Result<Vec<u8>> {
    if t.len() + 11 > k {
        return Err(Error::DataLenRange);
    }
    let mut em = vec![0xff; k];
    em[0] = 0x00;
    em[1] = 0x01;
    em[k - t.len() - 1] = 0x00;
    em[k - t.len()..].copy_from_slice(t);
    Ok(em)
}

/// The `CKM_RSA_PKCS` signature of `t` under the key in `pkcs8`.
pub fn sign_pkcs1v15(pkcs8: &[u8], t: &[u8]) -> Result<Vec<u8>> {
    let key = RawKey::from_pkcs8(pkcs8)?;
    let k = key.n.len();
    let em = encode(t, k)?;
    let bits = u32::try_from((k * 8).next_multiple_of(64)).map_err(|_| malformed())?;
    let int = |bytes: &[u8]| BoxedUint::from_be_slice(bytes, bits).map_err(|_| malformed());
    let n = Option::<Odd<BoxedUint>>::from(Odd::new(int(&key.n)?)).ok_or_else(malformed)?;
    let params = BoxedMontyParams::new(n);
    let m = int(&em)?;
    let d = Zeroizing::new(int(&key.d)?);
    let s = BoxedMontyForm::new(m.clone(), params.clone())
        .pow(&d)
        .retrieve();
    // The fault check: s^e must give the encoded message back.
    let e = int(&key.e)?;
    let back = BoxedMontyForm::new(s.clone(), params).pow_bounded_exp(&e, e.bits());
    if back.retrieve() != m {
        return Err(Error::Internal("RSA signature failed its check".into()));
    }
    let bytes = s.to_be_bytes();
    Ok(bytes[bytes.len() - k..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rsa;
    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    use kms_api::mech::Hash;

    #[test]
    fn a_sha256_digest_info_signs_exactly_as_aws_lc_does() {
        // PKCS#1 v1.5 is deterministic: the raw path must give aws-lc's signature bit for bit.
        let (pkcs8, _) = rsa::generate(2048).unwrap();
        let digest = [0x5au8; 32];
        let t = Hash::Sha256.digest_info(&digest);
        let ours = sign_pkcs1v15(&pkcs8, &t).unwrap();
        let theirs = rsa::sign_digest(&pkcs8, rsa::Padding::Pkcs1, Hash::Sha256, &digest).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_sha1_digest_info_verifies_and_long_inputs_are_refused() {
        let (pkcs8, public) = rsa::generate(2048).unwrap();
        let msg = b"legacy client";
        let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, msg);
        let mut t = vec![
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ];
        t.extend_from_slice(sha1.as_ref());
        let sig = sign_pkcs1v15(&pkcs8, &t).unwrap();
        assert_eq!(sig.len(), 256);
        UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            &public.spki,
        )
        .verify(msg, &sig)
        .expect("SHA-1 signature verifies");
        assert!(matches!(
            sign_pkcs1v15(&pkcs8, &[1u8; 246]),
            Err(Error::DataLenRange)
        ));
        assert!(sign_pkcs1v15(&pkcs8, &[1u8; 245]).is_ok());
        assert!(matches!(
            sign_pkcs1v15(&pkcs8[..40], &t),
            Err(Error::IntegrityFailure(_))
        ));
    }
}
