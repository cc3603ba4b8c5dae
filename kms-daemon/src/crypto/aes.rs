//! AES with a caller's secret key: CBC with PKCS#7 padding and GCM (aws-lc-rs).

use crate::error::{Error, Result};
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey, AES_128, AES_192, AES_256,
};
use aws_lc_rs::iv::FixedLength;
use zeroize::Zeroizing;

fn cipher_alg(key: &[u8]) -> Result<&'static aws_lc_rs::cipher::Algorithm> {
    Ok(match key.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        _ => {
            return Err(Error::IntegrityFailure(
                "stored AES key has a bad length".into(),
            ))
        }
    })
}

fn iv16(iv: &[u8]) -> Result<[u8; 16]> {
    iv.try_into()
        .map_err(|_| Error::MechanismParamInvalid("CBC IV must be 16 bytes"))
}

/// `CKM_AES_CBC_PAD` encryption.
pub fn cbc_pad_encrypt(key: &[u8], iv: &[u8], pt: &[u8]) -> Result<Vec<u8>> {
    let iv = iv16(iv)?;
    let k = UnboundCipherKey::new(cipher_alg(key)?, key)
        .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
        .map_err(|_| Error::Internal("AES key".into()))?;
    let mut buf = pt.to_vec();
    k.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| Error::Internal("AES-CBC encryption".into()))?;
    Ok(buf)
}

/// `CKM_AES_CBC_PAD` decryption.
pub fn cbc_pad_decrypt(key: &[u8], iv: &[u8], ct: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let iv = iv16(iv)?;
    if ct.is_empty() || !ct.len().is_multiple_of(16) {
        return Err(Error::EncryptedDataLenRange);
    }
    let k = UnboundCipherKey::new(cipher_alg(key)?, key)
        .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
        .map_err(|_| Error::Internal("AES key".into()))?;
    let mut buf = Zeroizing::new(ct.to_vec());
    let n = k
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| Error::EncryptedDataInvalid)?
        .len();
    buf.truncate(n);
    Ok(buf)
}

fn gcm_key(key: &[u8]) -> Result<LessSafeKey> {
    let alg = match key.len() {
        16 => &aead::AES_128_GCM,
        24 => &aead::AES_192_GCM,
        32 => &aead::AES_256_GCM,
        _ => {
            return Err(Error::IntegrityFailure(
                "stored AES key has a bad length".into(),
            ))
        }
    };
    UnboundKey::new(alg, key)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Internal("AES-GCM key".into()))
}

fn gcm_nonce(iv: &[u8], tag_bits: u64) -> Result<Nonce> {
    if tag_bits != 128 {
        return Err(Error::MechanismParamInvalid("GCM tag must be 128 bits"));
    }
    Nonce::try_assume_unique_for_key(iv)
        .map_err(|_| Error::MechanismParamInvalid("GCM IV must be 12 bytes"))
}

/// `CKM_AES_GCM` encryption: returns ciphertext ‖ tag.
pub fn gcm_encrypt(key: &[u8], iv: &[u8], aad: &[u8], tag_bits: u64, pt: &[u8]) -> Result<Vec<u8>> {
    let nonce = gcm_nonce(iv, tag_bits)?;
    let k = gcm_key(key)?;
    let mut buf = pt.to_vec();
    k.seal_in_place_append_tag(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| Error::Internal("AES-GCM encryption".into()))?;
    Ok(buf)
}

/// `CKM_AES_GCM` decryption of ciphertext ‖ tag.
pub fn gcm_decrypt(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    tag_bits: u64,
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let nonce = gcm_nonce(iv, tag_bits)?;
    if ct.len() < 16 {
        return Err(Error::EncryptedDataLenRange);
    }
    let k = gcm_key(key)?;
    let mut buf = Zeroizing::new(ct.to_vec());
    let n = k
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| Error::EncryptedDataInvalid)?
        .len();
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbc_pad_round_trip_and_errors() {
        for len in [16usize, 24, 32] {
            let key = vec![7u8; len];
            let iv = [1u8; 16];
            let ct = cbc_pad_encrypt(&key, &iv, b"sixteen byte msg").unwrap();
            assert_eq!(ct.len(), 32);
            assert_eq!(
                cbc_pad_decrypt(&key, &iv, &ct).unwrap().as_slice(),
                b"sixteen byte msg"
            );
            assert!(matches!(
                cbc_pad_decrypt(&key, &iv, &ct[1..]),
                Err(Error::EncryptedDataLenRange)
            ));
            assert!(matches!(
                cbc_pad_encrypt(&key, &iv[1..], b"x"),
                Err(Error::MechanismParamInvalid(_))
            ));
        }
    }

    #[test]
    fn gcm_round_trip_and_tamper() {
        let key = [3u8; 32];
        let iv = [9u8; 12];
        let ct = gcm_encrypt(&key, &iv, b"aad", 128, b"secret").unwrap();
        assert_eq!(ct.len(), 6 + 16);
        assert_eq!(
            gcm_decrypt(&key, &iv, b"aad", 128, &ct).unwrap().as_slice(),
            b"secret"
        );
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(matches!(
            gcm_decrypt(&key, &iv, b"aad", 128, &bad),
            Err(Error::EncryptedDataInvalid)
        ));
        assert!(matches!(
            gcm_encrypt(&key, &iv, b"", 96, b"x"),
            Err(Error::MechanismParamInvalid(_))
        ));
        assert!(matches!(
            gcm_encrypt(&key, &iv[..8], b"", 128, b"x"),
            Err(Error::MechanismParamInvalid(_))
        ));
    }
}
