//! Encryption, decryption, digest, signature, verification, key generation and random
//! functions (PKCS#11 v3.0 §5.8–5.16, 5.18.1–2, 5.19).

use super::guard::{
    bytes, capacity, guard, mechanism, non_null, ok, put, template, write_outcome, Call,
};
use crate::client::KeyOp;
use crate::error::Result;
use crate::token::operations::OpKind;
use crate::token::output::Outcome;
use crate::token::{library, Library};
use cryptoki_sys::*;
use kms_api::Mechanism;

/// The common shape of every `*Init`: a NULL mechanism cancels (v3.0), else start.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
unsafe fn init(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    kind: OpKind,
    start: impl FnOnce(Mechanism) -> Result<()>,
) -> Result<CK_RV> {
    let lib = library()?;
    if p_mech.is_null() {
        lib.cancel(h, kind)?;
        return ok();
    }
    lib.session(h)?;
    // SAFETY: forwarded contract.
    start(unsafe { mechanism(p_mech)? })?;
    ok()
}

/// C_EncryptInit.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
#[no_mangle]
pub unsafe extern "C" fn C_EncryptInit(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_EncryptInit", Some(h)), || unsafe {
        init(h, p_mech, OpKind::Encrypt, |m| {
            library()?.crypt_init(h, KeyOp::Encrypt, m, key)
        })
    })
}

/// C_DecryptInit.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
#[no_mangle]
pub unsafe extern "C" fn C_DecryptInit(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_DecryptInit", Some(h)), || unsafe {
        init(h, p_mech, OpKind::Decrypt, |m| {
            library()?.crypt_init(h, KeyOp::Decrypt, m, key)
        })
    })
}

/// Input of a single-part call; `None` for `*Final`.
type Input = Option<(CK_BYTE_PTR, CK_ULONG)>;

/// The shape of every call with variable-length output (single-part calls and `*Final`):
/// copy in, one call into the token layer, copy out under the output-length rule.
///
/// # Safety
/// Buffers as the C functions require.
unsafe fn with_output(
    input: Input,
    out: CK_BYTE_PTR,
    out_len: CK_ULONG_PTR,
    op: impl FnOnce(&Library, Option<&[u8]>, Option<usize>) -> Result<Outcome>,
) -> Result<CK_RV> {
    let lib = library()?;
    let data = match input {
        // SAFETY: forwarded contract.
        Some((p, n)) => Some(unsafe { bytes(p, n)? }),
        None => None,
    };
    // SAFETY: forwarded contract.
    let cap = unsafe { capacity(out, out_len)? };
    let outcome = op(&lib, data, cap)?;
    // SAFETY: forwarded contract.
    unsafe { write_outcome(outcome, out, out_len) }
}

/// The shape of every `*Update` that only takes input.
///
/// # Safety
/// `part` must hold `len` bytes.
unsafe fn with_input(
    part: CK_BYTE_PTR,
    len: CK_ULONG,
    op: impl FnOnce(&Library, &[u8]) -> Result<()>,
) -> Result<CK_RV> {
    let lib = library()?;
    // SAFETY: forwarded contract.
    op(&lib, unsafe { bytes(part, len)? })?;
    ok()
}

/// `*Update` of encrypt/decrypt: input is gathered, zero bytes come out until `*Final`.
///
/// # Safety
/// Buffers as the C functions require.
unsafe fn crypt_update(
    h: CK_SESSION_HANDLE,
    op: KeyOp,
    part: CK_BYTE_PTR,
    part_len: CK_ULONG,
    out_len: CK_ULONG_PTR,
) -> Result<CK_RV> {
    non_null(out_len)?;
    // SAFETY: forwarded contract.
    unsafe { with_input(part, part_len, |lib, data| lib.crypt_update(h, op, data))? };
    // SAFETY: checked for NULL above.
    unsafe { put(out_len, 0)? };
    ok()
}

/// C_Encrypt.
///
/// # Safety
/// Buffers as C_Encrypt requires.
#[no_mangle]
pub unsafe extern "C" fn C_Encrypt(
    h: CK_SESSION_HANDLE,
    p_data: CK_BYTE_PTR,
    len: CK_ULONG,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_Encrypt", Some(h)), || unsafe {
        with_output(Some((p_data, len)), p_out, pul_out, |lib, d, cap| {
            lib.crypt(h, KeyOp::Encrypt, d, cap)
        })
    })
}

/// C_EncryptUpdate.
///
/// # Safety
/// Buffers as C_EncryptUpdate requires.
#[no_mangle]
pub unsafe extern "C" fn C_EncryptUpdate(
    h: CK_SESSION_HANDLE,
    p_part: CK_BYTE_PTR,
    len: CK_ULONG,
    _p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_EncryptUpdate", Some(h)), || unsafe {
        crypt_update(h, KeyOp::Encrypt, p_part, len, pul_out)
    })
}

/// C_EncryptFinal.
///
/// # Safety
/// Buffers as C_EncryptFinal requires.
#[no_mangle]
pub unsafe extern "C" fn C_EncryptFinal(
    h: CK_SESSION_HANDLE,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_EncryptFinal", Some(h)), || unsafe {
        with_output(None, p_out, pul_out, |lib, d, cap| {
            lib.crypt(h, KeyOp::Encrypt, d, cap)
        })
    })
}

/// C_Decrypt.
///
/// # Safety
/// Buffers as C_Decrypt requires.
#[no_mangle]
pub unsafe extern "C" fn C_Decrypt(
    h: CK_SESSION_HANDLE,
    p_data: CK_BYTE_PTR,
    len: CK_ULONG,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_Decrypt", Some(h)), || unsafe {
        with_output(Some((p_data, len)), p_out, pul_out, |lib, d, cap| {
            lib.crypt(h, KeyOp::Decrypt, d, cap)
        })
    })
}

/// C_DecryptUpdate.
///
/// # Safety
/// Buffers as C_DecryptUpdate requires.
#[no_mangle]
pub unsafe extern "C" fn C_DecryptUpdate(
    h: CK_SESSION_HANDLE,
    p_part: CK_BYTE_PTR,
    len: CK_ULONG,
    _p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_DecryptUpdate", Some(h)), || unsafe {
        crypt_update(h, KeyOp::Decrypt, p_part, len, pul_out)
    })
}

/// C_DecryptFinal.
///
/// # Safety
/// Buffers as C_DecryptFinal requires.
#[no_mangle]
pub unsafe extern "C" fn C_DecryptFinal(
    h: CK_SESSION_HANDLE,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_DecryptFinal", Some(h)), || unsafe {
        with_output(None, p_out, pul_out, |lib, d, cap| {
            lib.crypt(h, KeyOp::Decrypt, d, cap)
        })
    })
}

/// C_DigestInit.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
#[no_mangle]
pub unsafe extern "C" fn C_DigestInit(h: CK_SESSION_HANDLE, p_mech: CK_MECHANISM_PTR) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_DigestInit", Some(h)), || unsafe {
        init(h, p_mech, OpKind::Digest, |m| library()?.digest_init(h, m))
    })
}

/// C_Digest.
///
/// # Safety
/// Buffers as C_Digest requires.
#[no_mangle]
pub unsafe extern "C" fn C_Digest(
    h: CK_SESSION_HANDLE,
    p_data: CK_BYTE_PTR,
    len: CK_ULONG,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_Digest", Some(h)), || unsafe {
        with_output(Some((p_data, len)), p_out, pul_out, |lib, d, cap| {
            lib.digest(h, d, cap)
        })
    })
}

/// C_DigestUpdate.
///
/// # Safety
/// Buffers as C_DigestUpdate requires.
#[no_mangle]
pub unsafe extern "C" fn C_DigestUpdate(
    h: CK_SESSION_HANDLE,
    p_part: CK_BYTE_PTR,
    len: CK_ULONG,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_DigestUpdate", Some(h)), || unsafe {
        with_input(p_part, len, |lib, part| lib.digest_update(h, part))
    })
}

/// C_DigestKey.
///
/// # Safety
/// No pointer is taken.
#[no_mangle]
pub unsafe extern "C" fn C_DigestKey(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> CK_RV {
    guard(Call::new("C_DigestKey", Some(h)), || {
        library()?.digest_key(h, key).map(|()| CKR_OK)
    })
}

/// C_DigestFinal.
///
/// # Safety
/// Buffers as C_DigestFinal requires.
#[no_mangle]
pub unsafe extern "C" fn C_DigestFinal(
    h: CK_SESSION_HANDLE,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_DigestFinal", Some(h)), || unsafe {
        with_output(None, p_out, pul_out, |lib, d, cap| lib.digest(h, d, cap))
    })
}

/// C_SignInit.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
#[no_mangle]
pub unsafe extern "C" fn C_SignInit(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_SignInit", Some(h)), || unsafe {
        init(h, p_mech, OpKind::Sign, |m| library()?.sign_init(h, m, key))
    })
}

/// C_Sign.
///
/// # Safety
/// Buffers as C_Sign requires.
#[no_mangle]
pub unsafe extern "C" fn C_Sign(
    h: CK_SESSION_HANDLE,
    p_data: CK_BYTE_PTR,
    len: CK_ULONG,
    p_sig: CK_BYTE_PTR,
    pul_sig: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_Sign", Some(h)), || unsafe {
        with_output(Some((p_data, len)), p_sig, pul_sig, |lib, d, cap| {
            lib.sign(h, d, cap)
        })
    })
}

/// C_SignUpdate.
///
/// # Safety
/// Buffers as C_SignUpdate requires.
#[no_mangle]
pub unsafe extern "C" fn C_SignUpdate(
    h: CK_SESSION_HANDLE,
    p_part: CK_BYTE_PTR,
    len: CK_ULONG,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_SignUpdate", Some(h)), || unsafe {
        with_input(p_part, len, |lib, part| lib.sign_update(h, part))
    })
}

/// C_SignFinal.
///
/// # Safety
/// Buffers as C_SignFinal requires.
#[no_mangle]
pub unsafe extern "C" fn C_SignFinal(
    h: CK_SESSION_HANDLE,
    p_sig: CK_BYTE_PTR,
    pul_sig: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_SignFinal", Some(h)), || unsafe {
        with_output(None, p_sig, pul_sig, |lib, d, cap| lib.sign(h, d, cap))
    })
}

/// C_VerifyInit.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
#[no_mangle]
pub unsafe extern "C" fn C_VerifyInit(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_VerifyInit", Some(h)), || unsafe {
        init(h, p_mech, OpKind::Verify, |m| {
            library()?.verify_init(h, m, key)
        })
    })
}

/// C_Verify.
///
/// # Safety
/// Buffers as C_Verify requires.
#[no_mangle]
pub unsafe extern "C" fn C_Verify(
    h: CK_SESSION_HANDLE,
    p_data: CK_BYTE_PTR,
    len: CK_ULONG,
    p_sig: CK_BYTE_PTR,
    sig_len: CK_ULONG,
) -> CK_RV {
    guard(Call::new("C_Verify", Some(h)), || {
        let lib = library()?;
        // SAFETY: forwarded contract.
        let (data, sig) = unsafe { (bytes(p_data, len)?, bytes(p_sig, sig_len)?) };
        lib.verify(h, Some(data), sig)?;
        ok()
    })
}

/// C_VerifyUpdate.
///
/// # Safety
/// Buffers as C_VerifyUpdate requires.
#[no_mangle]
pub unsafe extern "C" fn C_VerifyUpdate(
    h: CK_SESSION_HANDLE,
    p_part: CK_BYTE_PTR,
    len: CK_ULONG,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_VerifyUpdate", Some(h)), || unsafe {
        with_input(p_part, len, |lib, part| lib.verify_update(h, part))
    })
}

/// C_VerifyFinal.
///
/// # Safety
/// Buffers as C_VerifyFinal requires.
#[no_mangle]
pub unsafe extern "C" fn C_VerifyFinal(
    h: CK_SESSION_HANDLE,
    p_sig: CK_BYTE_PTR,
    sig_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_VerifyFinal", Some(h)), || unsafe {
        with_input(p_sig, sig_len, |lib, sig| lib.verify(h, None, sig))
    })
}

/// C_GenerateKey.
///
/// # Safety
/// Pointers as C_GenerateKey requires.
#[no_mangle]
pub unsafe extern "C" fn C_GenerateKey(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
    ph_key: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard(Call::new("C_GenerateKey", Some(h)), || {
        let lib = library()?;
        lib.session(h)?;
        non_null(ph_key)?;
        // SAFETY: forwarded contract.
        let (m, raw) = unsafe { (mechanism(p_mech)?, template(p_template, count)?) };
        let key = lib.generate_key(h, m, &raw)?;
        // SAFETY: checked for NULL above.
        unsafe { put(ph_key, key)? };
        ok()
    })
}

/// C_GenerateKeyPair.
///
/// # Safety
/// Pointers as C_GenerateKeyPair requires.
#[no_mangle]
pub unsafe extern "C" fn C_GenerateKeyPair(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    p_public: CK_ATTRIBUTE_PTR,
    public_count: CK_ULONG,
    p_private: CK_ATTRIBUTE_PTR,
    private_count: CK_ULONG,
    ph_public: CK_OBJECT_HANDLE_PTR,
    ph_private: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard(Call::new("C_GenerateKeyPair", Some(h)), || {
        let lib = library()?;
        lib.session(h)?;
        non_null(ph_public)?;
        non_null(ph_private)?;
        // SAFETY: forwarded contract.
        let (m, public, private) = unsafe {
            (
                mechanism(p_mech)?,
                template(p_public, public_count)?,
                template(p_private, private_count)?,
            )
        };
        let (hpub, hpriv) = lib.generate_key_pair(h, m, &public, &private)?;
        // SAFETY: checked for NULL above.
        unsafe {
            put(ph_public, hpub)?;
            put(ph_private, hpriv)?;
        }
        ok()
    })
}

/// C_SeedRandom: kmsd's generator takes no outside seed.
///
/// # Safety
/// Buffers as C_SeedRandom requires.
#[no_mangle]
pub unsafe extern "C" fn C_SeedRandom(
    h: CK_SESSION_HANDLE,
    p_seed: CK_BYTE_PTR,
    len: CK_ULONG,
) -> CK_RV {
    guard(Call::new("C_SeedRandom", Some(h)), || {
        library()?.session(h)?;
        // SAFETY: forwarded contract.
        unsafe { bytes(p_seed, len)? };
        Ok(CKR_RANDOM_SEED_NOT_SUPPORTED)
    })
}

/// C_GenerateRandom.
///
/// # Safety
/// `p_out` must hold `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn C_GenerateRandom(
    h: CK_SESSION_HANDLE,
    p_out: CK_BYTE_PTR,
    len: CK_ULONG,
) -> CK_RV {
    guard(Call::new("C_GenerateRandom", Some(h)), || {
        let lib = library()?;
        if len == 0 {
            lib.session(h)?;
            return ok();
        }
        non_null(p_out)?;
        let data = lib.generate_random(h, len as usize)?;
        // SAFETY: `p_out` holds `len == data.len()` bytes by the caller's contract.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p_out, data.len()) };
        ok()
    })
}
