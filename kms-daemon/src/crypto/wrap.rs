//! Key transport (security R9): AES key wrap (RFC 3394, `CKM_AES_KEY_WRAP`) and AES key wrap
//! with padding (RFC 5649, `CKM_AES_KEY_WRAP_KWP`) on aws-lc-rs, and RSA-OAEP encryption of a
//! secret key under a public key. Decryption failures are one uniform `encrypted_data_invalid`
//! (security R11); only lengths, which are public, give `encrypted_data_len_range`.

use crate::error::{Error, Result};
use aws_lc_rs::key_wrap::{AesKek, KeyWrap as _, KeyWrapPadded as _, AES_128, AES_256};
use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};
use kms_api::mech::Hash;
use zeroize::Zeroizing;

/// The two AES key-wrap variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AesWrap {
    /// RFC 3394: the wrapped key is a multiple of 8 bytes, at least 16.
    Kw,
    /// RFC 5649: any length from 1 byte.
    Kwp,
}

/// Checks that a wrapping key of `len` bytes can be used: aws-lc-rs offers AES-128 and AES-256
/// key-encryption keys only (`key_size_range` for AES-192).
pub fn check_kek_len(len: usize) -> Result<()> {
    match len {
        16 | 32 => Ok(()),
        _ => Err(Error::KeySizeRange(
            "AES key wrap needs a 128- or 256-bit wrapping key".into(),
        )),
    }
}

fn kek(key: &[u8]) -> Result<AesKek> {
    check_kek_len(key.len())?;
    let cipher = if key.len() == 16 { &AES_128 } else { &AES_256 };
    AesKek::new(cipher, key).map_err(|_| Error::Internal("AES key-wrap key".into()))
}

/// Wraps `key_material` under the AES key `kek_bytes`. RFC 3394 refuses material whose length
/// is not a multiple of 8 or is under 16 bytes (`key_size_range`: use KWP for those).
pub fn aes_wrap(kind: AesWrap, kek_bytes: &[u8], key_material: &[u8]) -> Result<Vec<u8>> {
    let n = key_material.len();
    if n == 0 || (kind == AesWrap::Kw && (n < 16 || !n.is_multiple_of(8))) {
        return Err(Error::KeySizeRange(
            "RFC 3394 key wrap needs a key of a multiple of 8 bytes (use KWP)".into(),
        ));
    }
    let k = kek(kek_bytes)?;
    let mut out = vec![0u8; n + 16];
    let len = match kind {
        AesWrap::Kw => k.wrap(key_material, &mut out),
        AesWrap::Kwp => k.wrap_with_padding(key_material, &mut out),
    }
    .map_err(|_| Error::Internal("AES key wrap".into()))?
    .len();
    out.truncate(len);
    Ok(out)
}

/// Whether `len` can be the length of a blob of this variant (a public fact): RFC 3394 blobs are
/// a multiple of 8 and at least 24 bytes, RFC 5649 blobs a multiple of 8 and at least 16.
pub fn check_wrapped_len(kind: AesWrap, len: usize) -> Result<()> {
    let min = match kind {
        AesWrap::Kw => 24,
        AesWrap::Kwp => 16,
    };
    if len < min || !len.is_multiple_of(8) {
        return Err(Error::EncryptedDataLenRange);
    }
    Ok(())
}

/// Unwraps an AES key-wrap blob. Every failure after the length check is the same
/// `encrypted_data_invalid`.
pub fn aes_unwrap(kind: AesWrap, kek_bytes: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    check_wrapped_len(kind, blob.len())?;
    let k = kek(kek_bytes)?;
    let mut out = Zeroizing::new(vec![0u8; blob.len()]);
    let len = match kind {
        AesWrap::Kw => k.unwrap(blob, &mut out),
        AesWrap::Kwp => k.unwrap_with_padding(blob, &mut out),
    }
    .map_err(|_| Error::EncryptedDataInvalid)?
    .len();
    out.truncate(len);
    Ok(out)
}

/// RSA-OAEP encryption of a secret key under the public key `spki` (SubjectPublicKeyInfo DER).
pub fn oaep_wrap(spki: &[u8], hash: Hash, label: &[u8], key_material: &[u8]) -> Result<Vec<u8>> {
    let alg = super::rsa::oaep_algorithm(hash)?;
    let pk = PublicEncryptingKey::from_der(spki)
        .map_err(|_| Error::IntegrityFailure("stored RSA public key unusable".into()))?;
    let key = OaepPublicEncryptingKey::new(pk).map_err(|_| Error::Internal("OAEP key".into()))?;
    if key_material.len() > key.max_plaintext_size(alg) {
        return Err(Error::KeySizeRange(
            "the key is too long for RSA-OAEP under this modulus".into(),
        ));
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let label = (!label.is_empty()).then_some(label);
    let len = key
        .encrypt(alg, key_material, &mut out, label)
        .map_err(|_| Error::Internal("OAEP encryption".into()))?
        .len();
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3394 §4.6 (256-bit KEK, 256-bit key) and RFC 5649 §6 (192-bit KEK cannot be used here,
    /// so round trips and tamper checks stand in for KWP).
    #[test]
    fn rfc3394_vector_and_round_trips() {
        let kek_bytes =
            hex::decode("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
                .unwrap();
        let key = hex::decode("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
            .unwrap();
        let expected = hex::decode(
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21",
        )
        .unwrap();
        let blob = aes_wrap(AesWrap::Kw, &kek_bytes, &key).unwrap();
        assert_eq!(blob, expected);
        assert_eq!(
            aes_unwrap(AesWrap::Kw, &kek_bytes, &blob)
                .unwrap()
                .as_slice(),
            key.as_slice()
        );
        for len in [1usize, 7, 20, 32, 1218] {
            let material = vec![0x5au8; len];
            let b = aes_wrap(AesWrap::Kwp, &kek_bytes[..16], &material).unwrap();
            assert!(b.len().is_multiple_of(8));
            assert_eq!(
                aes_unwrap(AesWrap::Kwp, &kek_bytes[..16], &b)
                    .unwrap()
                    .as_slice(),
                material.as_slice()
            );
            let mut bad = b.clone();
            bad[3] ^= 1;
            assert!(matches!(
                aes_unwrap(AesWrap::Kwp, &kek_bytes[..16], &bad),
                Err(Error::EncryptedDataInvalid)
            ));
        }
        // Wrong key, tampered blob: the same error.
        assert!(matches!(
            aes_unwrap(AesWrap::Kw, &[9u8; 32], &blob),
            Err(Error::EncryptedDataInvalid)
        ));
        let mut bad = blob.clone();
        bad[30] ^= 0x80;
        assert!(matches!(
            aes_unwrap(AesWrap::Kw, &kek_bytes, &bad),
            Err(Error::EncryptedDataInvalid)
        ));
        // Lengths are public facts.
        assert!(matches!(
            aes_unwrap(AesWrap::Kw, &kek_bytes, &blob[..39]),
            Err(Error::EncryptedDataLenRange)
        ));
        assert!(matches!(
            aes_unwrap(AesWrap::Kw, &kek_bytes, &blob[..16]),
            Err(Error::EncryptedDataLenRange)
        ));
        assert!(matches!(
            aes_wrap(AesWrap::Kw, &kek_bytes, &[1u8; 20]),
            Err(Error::KeySizeRange(_))
        ));
        assert!(matches!(
            aes_wrap(AesWrap::Kw, &[1u8; 24], &key),
            Err(Error::KeySizeRange(_))
        ));
    }

    #[test]
    fn oaep_wrap_decrypts_with_the_private_key() {
        let (pkcs8, public) = super::super::rsa::generate(2048).unwrap();
        let secret = [0x42u8; 32];
        for hash in [Hash::Sha1, Hash::Sha256, Hash::Sha384, Hash::Sha512] {
            let blob = oaep_wrap(&public.spki, hash, b"label", &secret).unwrap();
            assert_eq!(blob.len(), 256);
            let back = super::super::rsa::decrypt_oaep(&pkcs8, hash, b"label", &blob).unwrap();
            assert_eq!(back.as_slice(), &secret);
            assert!(super::super::rsa::decrypt_oaep(&pkcs8, hash, b"other", &blob).is_err());
        }
        assert!(matches!(
            oaep_wrap(&public.spki, Hash::Sha224, b"", &secret),
            Err(Error::MechanismParamInvalid(_))
        ));
    }
}
