//! Encryption, decryption, digest, signature, verification, key generation and random
//! functions (PKCS#11 v3.0 §5.8–5.16, 5.18.1–2, 5.19).

use super::guard::{
    bytes, capacity, guard_session, mechanism, non_null, ok, put, template, write_outcome, Scope,
};
use crate::client::KeyOp;
use crate::error::Result;
use crate::token::operations::OpKind;
use crate::token::output::Outcome;
use crate::token::SessionRef;
use cryptoki_sys::*;
use kms_api::Mechanism;

/// The common shape of every `*Init`: a NULL mechanism cancels (v3.0), else start.
///
/// # Safety
/// `p_mech` must be NULL or a readable `CK_MECHANISM`.
unsafe fn init(
    scope: &Scope<'_>,
    p_mech: CK_MECHANISM_PTR,
    kind: OpKind,
    start: impl FnOnce(&SessionRef<'_>, Mechanism) -> Result<()>,
) -> Result<CK_RV> {
    let session = scope.session()?;
    if p_mech.is_null() {
        session.cancel(kind);
        return ok();
    }
    // SAFETY: forwarded contract.
    start(session, unsafe { mechanism(p_mech)? })?;
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
    guard_session("C_EncryptInit", h, |scope| unsafe {
        init(scope, p_mech, OpKind::Encrypt, |s, m| {
            s.crypt_init(KeyOp::Encrypt, m, key)
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
    guard_session("C_DecryptInit", h, |scope| unsafe {
        init(scope, p_mech, OpKind::Decrypt, |s, m| {
            s.crypt_init(KeyOp::Decrypt, m, key)
        })
    })
}

/// Input of a single-part call; `None` for `*Final`.
type Input = Option<(CK_BYTE_PTR, CK_ULONG)>;

/// Copies in a call's arguments with `f`. A bad argument (a NULL pointer where data or a length
/// is needed) ends the session's operation of `kind`, as every error but
/// `CKR_BUFFER_TOO_SMALL` does (S8).
fn arguments<T>(scope: &Scope<'_>, kind: OpKind, f: impl FnOnce() -> Result<T>) -> Result<T> {
    f().inspect_err(|_| {
        if let Ok(session) = scope.session() {
            session.cancel(kind);
        }
    })
}

/// The shape of every call with variable-length output (single-part calls and `*Final`):
/// copy in, one call into the token layer, copy out under the output-length rule.
///
/// # Safety
/// Buffers as the C functions require.
unsafe fn with_output(
    scope: &Scope<'_>,
    kind: OpKind,
    input: Input,
    out: CK_BYTE_PTR,
    out_len: CK_ULONG_PTR,
    op: impl FnOnce(&SessionRef<'_>, Option<&[u8]>, Option<usize>) -> Result<Outcome>,
) -> Result<CK_RV> {
    scope.library()?;
    let (data, cap) = arguments(scope, kind, || {
        let data = match input {
            // SAFETY: forwarded contract.
            Some((p, n)) => Some(unsafe { bytes(p, n)? }),
            None => None,
        };
        // SAFETY: forwarded contract.
        Ok((data, unsafe { capacity(out, out_len)? }))
    })?;
    let outcome = op(scope.session()?, data, cap)?;
    // SAFETY: forwarded contract.
    unsafe { write_outcome(outcome, out, out_len) }
}

/// The shape of every `*Update` that only takes input.
///
/// # Safety
/// `part` must hold `len` bytes.
unsafe fn with_input(
    scope: &Scope<'_>,
    kind: OpKind,
    part: CK_BYTE_PTR,
    len: CK_ULONG,
    op: impl FnOnce(&SessionRef<'_>, &[u8]) -> Result<()>,
) -> Result<CK_RV> {
    scope.library()?;
    // SAFETY: forwarded contract.
    let part = arguments(scope, kind, || unsafe { bytes(part, len) })?;
    op(scope.session()?, part)?;
    ok()
}

/// `*Update` of encrypt/decrypt: the output of the update (whole blocks of a streamed
/// operation; nothing for one processed at `*Final`), under the output-length rule.
///
/// # Safety
/// Buffers as the C functions require.
unsafe fn crypt_update(
    scope: &Scope<'_>,
    op: KeyOp,
    part: (CK_BYTE_PTR, CK_ULONG),
    out: CK_BYTE_PTR,
    out_len: CK_ULONG_PTR,
) -> Result<CK_RV> {
    let kind = match op {
        KeyOp::Encrypt => OpKind::Encrypt,
        _ => OpKind::Decrypt,
    };
    // SAFETY: forwarded contract.
    unsafe {
        with_output(scope, kind, Some(part), out, out_len, |s, d, cap| {
            s.crypt_update(op, d.unwrap_or_default(), cap)
        })
    }
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
    guard_session("C_Encrypt", h, |scope| unsafe {
        with_output(
            scope,
            OpKind::Encrypt,
            Some((p_data, len)),
            p_out,
            pul_out,
            |s, d, cap| s.crypt(KeyOp::Encrypt, d, cap),
        )
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
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard_session("C_EncryptUpdate", h, |scope| unsafe {
        crypt_update(scope, KeyOp::Encrypt, (p_part, len), p_out, pul_out)
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
    guard_session("C_EncryptFinal", h, |scope| unsafe {
        with_output(scope, OpKind::Encrypt, None, p_out, pul_out, |s, d, cap| {
            s.crypt(KeyOp::Encrypt, d, cap)
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
    guard_session("C_Decrypt", h, |scope| unsafe {
        with_output(
            scope,
            OpKind::Decrypt,
            Some((p_data, len)),
            p_out,
            pul_out,
            |s, d, cap| s.crypt(KeyOp::Decrypt, d, cap),
        )
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
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard_session("C_DecryptUpdate", h, |scope| unsafe {
        crypt_update(scope, KeyOp::Decrypt, (p_part, len), p_out, pul_out)
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
    guard_session("C_DecryptFinal", h, |scope| unsafe {
        with_output(scope, OpKind::Decrypt, None, p_out, pul_out, |s, d, cap| {
            s.crypt(KeyOp::Decrypt, d, cap)
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
    guard_session("C_DigestInit", h, |scope| unsafe {
        init(scope, p_mech, OpKind::Digest, |s, m| s.digest_init(m))
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
    guard_session("C_Digest", h, |scope| unsafe {
        with_output(
            scope,
            OpKind::Digest,
            Some((p_data, len)),
            p_out,
            pul_out,
            |s, d, cap| s.digest(d, cap),
        )
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
    guard_session("C_DigestUpdate", h, |scope| unsafe {
        with_input(scope, OpKind::Digest, p_part, len, |s, part| {
            s.digest_update(part)
        })
    })
}

/// C_DigestKey.
///
/// # Safety
/// No pointer is taken.
#[no_mangle]
pub unsafe extern "C" fn C_DigestKey(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> CK_RV {
    guard_session("C_DigestKey", h, |scope| {
        scope.session()?.digest_key(key)?;
        ok()
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
    guard_session("C_DigestFinal", h, |scope| unsafe {
        with_output(scope, OpKind::Digest, None, p_out, pul_out, |s, d, cap| {
            s.digest(d, cap)
        })
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
    guard_session("C_SignInit", h, |scope| unsafe {
        init(scope, p_mech, OpKind::Sign, |s, m| s.sign_init(m, key))
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
    guard_session("C_Sign", h, |scope| unsafe {
        with_output(
            scope,
            OpKind::Sign,
            Some((p_data, len)),
            p_sig,
            pul_sig,
            |s, d, cap| s.sign(d, cap),
        )
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
    guard_session("C_SignUpdate", h, |scope| unsafe {
        with_input(scope, OpKind::Sign, p_part, len, |s, part| {
            s.sign_update(part)
        })
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
    guard_session("C_SignFinal", h, |scope| unsafe {
        with_output(scope, OpKind::Sign, None, p_sig, pul_sig, |s, d, cap| {
            s.sign(d, cap)
        })
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
    guard_session("C_VerifyInit", h, |scope| unsafe {
        init(scope, p_mech, OpKind::Verify, |s, m| s.verify_init(m, key))
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
    guard_session("C_Verify", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        let (data, sig) = arguments(scope, OpKind::Verify, || unsafe {
            Ok((bytes(p_data, len)?, bytes(p_sig, sig_len)?))
        })?;
        scope.session()?.verify(Some(data), sig)?;
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
    guard_session("C_VerifyUpdate", h, |scope| unsafe {
        with_input(scope, OpKind::Verify, p_part, len, |s, part| {
            s.verify_update(part)
        })
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
    guard_session("C_VerifyFinal", h, |scope| unsafe {
        with_input(scope, OpKind::Verify, p_sig, sig_len, |s, sig| {
            s.verify(None, sig)
        })
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
    guard_session("C_GenerateKey", h, |scope| {
        let session = scope.session()?;
        non_null(ph_key)?;
        // SAFETY: forwarded contract.
        let (m, raw) = unsafe { (mechanism(p_mech)?, template(p_template, count)?) };
        let key = session.generate_key(m, &raw)?;
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
    guard_session("C_GenerateKeyPair", h, |scope| {
        let session = scope.session()?;
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
        let (hpub, hpriv) = session.generate_key_pair(m, &public, &private)?;
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
    guard_session("C_SeedRandom", h, |scope| {
        scope.session()?;
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
    guard_session("C_GenerateRandom", h, |scope| {
        scope.library()?;
        if len == 0 {
            scope.session()?;
            return ok();
        }
        non_null(p_out)?;
        let data = scope.session()?.generate_random(len as usize)?;
        // SAFETY: `p_out` holds `len == data.len()` bytes by the caller's contract.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p_out, data.len()) };
        ok()
    })
}
