//! AES with a caller's secret key: CBC with PKCS#7 padding, GCM, CTR and ECB (aws-lc-rs). ECB
//! and CTR serve data only: the key-transport rules (security R9) keep them out of wrapping.

use crate::error::{Error, Result};
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey, AES_128, AES_192, AES_256,
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

fn unbound(key: &[u8]) -> Result<UnboundCipherKey> {
    UnboundCipherKey::new(cipher_alg(key)?, key).map_err(|_| Error::Internal("AES key".into()))
}

/// Which way an unpadded mode runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Encrypt.
    Encrypt,
    /// Decrypt.
    Decrypt,
}

/// `CKM_AES_ECB`: whole blocks only (a length that is not a multiple of 16 is the caller's
/// `data_len_range` when encrypting, `encrypted_data_len_range` when decrypting).
pub fn ecb(key: &[u8], dir: Direction, input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if !input.len().is_multiple_of(16) {
        return Err(match dir {
            Direction::Encrypt => Error::DataLenRange,
            Direction::Decrypt => Error::EncryptedDataLenRange,
        });
    }
    let mut buf = Zeroizing::new(input.to_vec());
    let failed = |_| Error::Internal("AES-ECB".into());
    match dir {
        Direction::Encrypt => {
            EncryptingKey::ecb(unbound(key)?)
                .and_then(|k| k.less_safe_encrypt(&mut buf, EncryptionContext::None))
                .map_err(failed)?;
        }
        Direction::Decrypt => {
            DecryptingKey::ecb(unbound(key)?)
                .and_then(|k| k.decrypt(&mut buf, DecryptionContext::None).map(|_| ()))
                .map_err(failed)?;
        }
    }
    Ok(buf)
}

/// `CKM_AES_CTR` with `CK_AES_CTR_PARAMS`: the low `counter_bits` bits of the 16-byte block `cb`
/// count blocks. Input that would wrap that counter (and so repeat key stream) is refused with
/// `data_len_range`. Encryption and decryption are the same operation.
pub fn ctr(key: &[u8], counter_bits: u64, cb: &[u8], input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let block: [u8; 16] = cb
        .try_into()
        .map_err(|_| Error::MechanismParamInvalid("CTR counter block must be 16 bytes"))?;
    if !(1..=128).contains(&counter_bits) {
        return Err(Error::MechanismParamInvalid(
            "CTR counter bits must be 1..=128",
        ));
    }
    let blocks = input.len().div_ceil(16) as u128;
    if counter_bits < 128 {
        let counter = u128::from_be_bytes(block) & ((1u128 << counter_bits) - 1);
        if counter + blocks > 1u128 << counter_bits {
            return Err(Error::DataLenRange);
        }
    }
    let mut buf = Zeroizing::new(input.to_vec());
    EncryptingKey::ctr(unbound(key)?)
        .and_then(|k| {
            k.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(block)))
        })
        .map_err(|_| Error::Internal("AES-CTR".into()))?;
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
    fn ecb_matches_the_fips_197_vector_and_needs_whole_blocks() {
        // FIPS-197 Appendix C.1 (AES-128).
        let key: Vec<u8> = (0u8..16).collect();
        let pt: Vec<u8> = (0u8..16).map(|i| i * 0x11).collect();
        let ct = ecb(&key, Direction::Encrypt, &pt).unwrap();
        assert_eq!(
            ct.as_slice(),
            [
                0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
                0xc5, 0x5a
            ]
        );
        assert_eq!(
            ecb(&key, Direction::Decrypt, &ct).unwrap().as_slice(),
            pt.as_slice()
        );
        assert!(matches!(
            ecb(&key, Direction::Encrypt, &pt[1..]),
            Err(Error::DataLenRange)
        ));
        assert!(matches!(
            ecb(&key, Direction::Decrypt, &pt[1..]),
            Err(Error::EncryptedDataLenRange)
        ));
    }

    #[test]
    fn ctr_round_trips_and_refuses_a_wrapping_counter() {
        let key = [5u8; 32];
        let cb = [0u8; 16];
        let ct = ctr(&key, 128, &cb, b"any length at all").unwrap();
        assert_eq!(ct.len(), 17);
        assert_eq!(
            ctr(&key, 128, &cb, &ct).unwrap().as_slice(),
            b"any length at all"
        );
        // An 8-bit counter at 0xff has room for one block only.
        let mut near_end = [0u8; 16];
        near_end[15] = 0xff;
        assert!(ctr(&key, 8, &near_end, &[0u8; 16]).is_ok());
        assert!(matches!(
            ctr(&key, 8, &near_end, &[0u8; 17]),
            Err(Error::DataLenRange)
        ));
        assert!(matches!(
            ctr(&key, 0, &cb, b"x"),
            Err(Error::MechanismParamInvalid(_))
        ));
        assert!(matches!(
            ctr(&key, 64, &cb[1..], b"x"),
            Err(Error::MechanismParamInvalid(_))
        ));
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
