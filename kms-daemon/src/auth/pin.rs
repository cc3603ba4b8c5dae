//! PIN hashing and checking: argon2id (OWASP parameters m=19456 KiB, t=2, p=1), PHC strings,
//! computed in a bounded set of reused work areas.

use crate::error::{Error, Result};
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use parking_lot::{Condvar, Mutex};
use std::sync::OnceLock;
use zeroize::{Zeroize, Zeroizing};

// The PIN lengths accepted are the contract's (an empty PIN is refused: security R15).
use kms_api::{MAX_PIN_LEN, MIN_PIN_LEN};

/// argon2id memory in KiB (one 1 KiB block each), passes and lanes.
const M_COST: u32 = 19456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// Length of the stored hash.
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN)).unwrap_or_default()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// argon2 work areas, reused, at most one per core: a flood of logins waits here instead of
/// allocating 19 MiB per attempt, so kmsd's memory stays flat and PIN checks cannot take more
/// cores than the machine has. Each area is wiped after use.
struct WorkAreas {
    /// Idle areas, and how many exist.
    state: Mutex<(Vec<Box<[Block]>>, usize)>,
    returned: Condvar,
}

static AREAS: WorkAreas = WorkAreas {
    state: Mutex::new((Vec::new(), 0)),
    returned: Condvar::new(),
};

fn with_work_area<T>(f: impl FnOnce(&mut [Block]) -> T) -> T {
    let max = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut area = {
        let mut state = AREAS.state.lock();
        loop {
            if let Some(a) = state.0.pop() {
                break a;
            }
            if state.1 < max {
                state.1 += 1;
                break vec![Block::new(); M_COST as usize].into_boxed_slice();
            }
            AREAS.returned.wait(&mut state);
        }
    };
    let out = f(&mut area);
    area.iter_mut().for_each(Zeroize::zeroize);
    AREAS.state.lock().0.push(area);
    AREAS.returned.notify_one();
    out
}

/// The raw argon2id output for `pin` and raw `salt`, computed in a reused work area.
fn raw_hash(pin: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; OUTPUT_LEN]>> {
    let mut out = Zeroizing::new([0u8; OUTPUT_LEN]);
    with_work_area(|area| argon2().hash_password_into_with_memory(pin, salt, &mut *out, area))
        .map_err(|_| Error::Internal("PIN hashing".into()))?;
    Ok(out)
}

/// Refuses a PIN outside `MIN_PIN_LEN..=MAX_PIN_LEN` bytes.
pub fn check_len(pin: &[u8]) -> Result<()> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
        Ok(())
    } else {
        Err(Error::PinLenRange)
    }
}

/// Hashes a PIN with a fresh random salt; returns the PHC string.
pub fn hash(pin: &[u8]) -> Result<String> {
    check_len(pin)?;
    let salt_bytes = crate::crypto::rng::bytes(16)?;
    let salt_b64 =
        SaltString::encode_b64(&salt_bytes).map_err(|_| Error::Internal("PIN salt".into()))?;
    let out = raw_hash(pin, &salt_bytes)?;
    let internal = |_| Error::Internal("PIN hash encoding".into());
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).map_err(internal)?,
        salt: Some(Salt::from(&salt_b64)),
        hash: Some(Output::new(&*out).map_err(internal)?),
    };
    Ok(phc.to_string())
}

/// Whether `pin` matches the PHC string; the comparison takes constant time.
pub fn verify(pin: &[u8], phc: &str) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let ours = h.algorithm == argon2::ARGON2ID_IDENT
        && Params::try_from(&h).is_ok_and(|p| p == params())
        && h.version == Some(Version::V0x13.into());
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return false;
    };
    if !ours {
        // Another parameter set (a hash from an older kmsd): argon2's own path.
        use argon2::password_hash::PasswordVerifier;
        return argon2().verify_password(pin, &h).is_ok();
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    match raw_hash(pin, salt) {
        Ok(out) => crate::crypto::ct_eq(&*out, expected.as_bytes()),
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
        // A hash made by argon2's own encoder (as older kmsd stored) verifies the same way.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = argon2()
            .hash_password(b"654321", &salt)
            .unwrap()
            .to_string();
        assert!(verify(b"654321", &theirs));
        assert!(!verify(b"654320", &theirs));
        assert!(!verify(
            b"654321",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA"
        ));
        assert!(matches!(check_len(b""), Err(Error::PinLenRange)));
        assert!(matches!(check_len(b"123"), Err(Error::PinLenRange)));
        assert!(matches!(check_len(&[b'1'; 65]), Err(Error::PinLenRange)));
        check_len(&[b'1'; 64]).unwrap();
    }
}
