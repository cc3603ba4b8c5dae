//! PIN hashing and checking: argon2id (OWASP parameters m=19456 KiB, t=2, p=1), PHC strings.

use crate::error::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// Shortest PIN accepted (an empty PIN is refused: security R15).
pub const MIN_PIN_LEN: usize = 4;
/// Longest PIN accepted.
pub const MAX_PIN_LEN: usize = 64;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Refuses a PIN outside `MIN_PIN_LEN..=MAX_PIN_LEN` bytes.
pub fn check_len(pin: &[u8]) -> Result<()> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
        Ok(())
    } else {
        Err(Error::PinLenRange)
    }
}

/// Hashes a PIN with a fresh random salt.
pub fn hash(pin: &[u8]) -> Result<String> {
    check_len(pin)?;
    let salt_bytes = crate::crypto::rng::bytes(16)?;
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|_| Error::Internal("PIN salt".into()))?;
    argon2()
        .hash_password(pin, &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::Internal("PIN hashing".into()))
}

/// Whether `pin` matches the PHC string (argon2 compares in constant time).
pub fn verify(pin: &[u8], phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2().verify_password(pin, &h).is_ok(),
        Err(_) => false,
    }
}

/// Spends one argon2 run against a throwaway hash, so that an unknown token costs the same
/// time as a known one (security R16, Vault CVE-2025-6011).
pub fn burn(pin: &[u8]) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash(b"kmsd-dummy-pin").unwrap_or_default());
    let _ = verify(pin, phc);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verify_and_lengths() {
        let h = hash(b"123456").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("123456"));
        assert!(verify(b"123456", &h));
        assert!(!verify(b"123457", &h));
        assert!(matches!(check_len(b""), Err(Error::PinLenRange)));
        assert!(matches!(check_len(b"123"), Err(Error::PinLenRange)));
        assert!(matches!(check_len(&[b'1'; 65]), Err(Error::PinLenRange)));
        check_len(&[b'1'; 64]).unwrap();
    }
}
