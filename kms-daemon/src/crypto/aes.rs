//! AES with a caller's secret key: CBC with PKCS#7 padding, CBC and ECB on whole blocks, GCM and
//! CTR (aws-lc-rs). ECB, CBC and CTR serve data only: the key-transport rules (security R9) keep them out of wrapping.

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

/// A block mode on whole blocks: ECB, or CBC with this IV.
#[derive(Clone, Copy, Debug)]
pub enum Blocks<'a> {
    /// `CKM_AES_ECB`.
    Ecb,
    /// `CKM_AES_CBC` (no padding) with a 16-byte IV.
    Cbc(&'a [u8]),
}

/// `CKM_AES_ECB` and `CKM_AES_CBC`: whole blocks only (a length that is not a multiple of 16 is
/// the caller's `data_len_range` when encrypting, `encrypted_data_len_range` when decrypting).
pub fn blocks(
    key: &[u8],
    mode: Blocks<'_>,
    dir: Direction,
    input: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if !input.len().is_multiple_of(16) {
        return Err(match dir {
            Direction::Encrypt => Error::DataLenRange,
            Direction::Decrypt => Error::EncryptedDataLenRange,
        });
    }
    let iv = match mode {
        Blocks::Ecb => None,
        Blocks::Cbc(iv) => Some(FixedLength::from(iv16(iv)?)),
    };
    let k = unbound(key)?;
    let mut buf = Zeroizing::new(input.to_vec());
    let done = match dir {
        Direction::Encrypt => match mode {
            Blocks::Ecb => EncryptingKey::ecb(k),
            Blocks::Cbc(_) => EncryptingKey::cbc(k),
        }
        .and_then(|k| {
            let ctx = iv.map_or(EncryptionContext::None, EncryptionContext::Iv128);
            k.less_safe_encrypt(&mut buf, ctx).map(drop)
        }),
        Direction::Decrypt => match mode {
            Blocks::Ecb => DecryptingKey::ecb(k),
            Blocks::Cbc(_) => DecryptingKey::cbc(k),
        }
        .and_then(|k| {
            let ctx = iv.map_or(DecryptionContext::None, DecryptionContext::Iv128);
            k.decrypt(&mut buf, ctx).map(drop)
        }),
    };
    done.map_err(|_| Error::Internal("AES block mode".into()))?;
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
        let ct = blocks(&key, Blocks::Ecb, Direction::Encrypt, &pt).unwrap();
        assert_eq!(
            ct.as_slice(),
            [
                0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
                0xc5, 0x5a
            ]
        );
        assert_eq!(
            blocks(&key, Blocks::Ecb, Direction::Decrypt, &ct)
                .unwrap()
                .as_slice(),
            pt.as_slice()
        );
        assert!(matches!(
            blocks(&key, Blocks::Ecb, Direction::Encrypt, &pt[1..]),
            Err(Error::DataLenRange)
        ));
        assert!(matches!(
            blocks(&key, Blocks::Ecb, Direction::Decrypt, &pt[1..]),
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

    #[test]
    fn cbc_matches_sp800_38a() {
        // NIST SP 800-38A F.2.1/F.2.2, CBC-AES128, the first two blocks.
        let key = hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap();
        let iv = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let pt = hex::decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
            .unwrap();
        let ct = blocks(&key, Blocks::Cbc(&iv), Direction::Encrypt, &pt).unwrap();
        assert_eq!(
            hex::encode(ct.as_slice()),
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
        );
        let back = blocks(&key, Blocks::Cbc(&iv), Direction::Decrypt, &ct).unwrap();
        assert_eq!(back.as_slice(), pt.as_slice());
        assert!(matches!(
            blocks(&key, Blocks::Cbc(&iv), Direction::Encrypt, &pt[..17]),
            Err(Error::DataLenRange)
        ));
    }
}
