//! The FFI toolkit: the panic guard (with the [`Scope`] of a call on a session), pointer and
//! length checks, copy-in of templates and mechanisms, and the copy-out of variable-length
//! output. Every `unsafe` read or write of
//! application memory in the crate goes through here.

use crate::attr::{self, RawAttr};
use crate::error::{Error, Result};
use crate::token::output::Outcome;
use crate::token::{self, Library, SessionRef};
use cryptoki_sys::*;
use kms_api::attr::{MAX_TEMPLATE_ATTRS, MAX_VALUE_LEN};
use kms_api::mech::ParamKind;
use kms_api::{Bytes, MechParams, Mechanism};
use std::cell::{Cell, OnceCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Longest IV accepted in a mechanism parameter.
const MAX_IV_LEN: CK_ULONG = 256;

/// Which C function is running, and on which session: for the log line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    name: &'static str,
    session: Option<CK_SESSION_HANDLE>,
}

impl Call {
    /// A call of `name`, on `session` if the function takes one.
    pub(crate) const fn new(name: &'static str, session: Option<CK_SESSION_HANDLE>) -> Call {
        Call { name, session }
    }
}

/// Runs the safe body of a C function: its `Result` becomes the `CK_RV`, a panic becomes
/// `CKR_GENERAL_ERROR` (the release profile keeps `panic = "unwind"` for this), and the call is
/// logged (if the log asks for it).
pub(crate) fn guard(call: Call, body: impl FnOnce() -> Result<CK_RV>) -> CK_RV {
    guard_then(call, body, |_| {})
}

/// [`guard`] for a C function on session `h`: the body finds the session through its
/// [`Scope`], once, where its checks reach it; afterwards the session keeps why kmsd refused
/// the call, for `C_GetSessionInfo().ulDeviceError`.
pub(crate) fn guard_session(
    name: &'static str,
    h: CK_SESSION_HANDLE,
    body: impl FnOnce(&Scope<'_>) -> Result<CK_RV>,
) -> CK_RV {
    let lib = token::library();
    let scope = Scope {
        lib: &lib,
        handle: h,
        session: OnceCell::new(),
        record: Cell::new(true),
    };
    guard_then(
        Call::new(name, Some(h)),
        || body(&scope),
        |error| scope.record_device_error(error),
    )
}

/// [`guard`], with `then` told the error (if any) before the call is logged.
fn guard_then(
    call: Call,
    body: impl FnOnce() -> Result<CK_RV>,
    then: impl FnOnce(Option<&Error>),
) -> CK_RV {
    let started = std::time::Instant::now();
    let result = catch_unwind(AssertUnwindSafe(body));
    let (rv, error) = match &result {
        Ok(Ok(rv)) => (super::returns::within_spec(call.name, *rv), None),
        Ok(Err(e)) => (super::returns::within_spec(call.name, e.rv()), Some(e)),
        Err(_) => (CKR_GENERAL_ERROR, None),
    };
    then(error);
    crate::log::call(call.name, call.session, rv, error, started.elapsed());
    rv
}

/// What a C function on a session works with: the library, loaded once, and the session, looked
/// up at most once ([`Scope::session`]) and passed down as a [`SessionRef`].
pub(crate) struct Scope<'l> {
    lib: &'l Result<Arc<Library>>,
    handle: CK_SESSION_HANDLE,
    session: OnceCell<Result<SessionRef<'l>>>,
    /// Whether the call's outcome goes to the session's `ulDeviceError`.
    record: Cell<bool>,
}

impl<'l> Scope<'l> {
    /// The library, or `CKR_CRYPTOKI_NOT_INITIALIZED`: what every C function checks first,
    /// before its arguments.
    pub(crate) fn library(&self) -> Result<&'l Library> {
        self.lib.as_deref().map_err(Clone::clone)
    }

    /// The call's session and its slot, or `CKR_SESSION_HANDLE_INVALID`; looked up the first
    /// time only.
    pub(crate) fn session(&self) -> Result<&SessionRef<'l>> {
        self.session
            .get_or_init(|| self.library()?.session(self.handle))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `C_CloseSession`: the session leaves the table, so nothing is recorded in it.
    pub(crate) fn close_session(&self) -> Result<()> {
        self.record.set(false);
        self.library()?.close_session(self.handle)
    }

    /// `C_GetSessionInfo` reports `ulDeviceError`, so the call itself leaves it as it is.
    pub(crate) fn keep_device_error(&self) {
        self.record.set(false);
    }

    /// Leaves in the session why kmsd refused the call (0 when it did not).
    fn record_device_error(&self, error: Option<&Error>) {
        if !self.record.get() {
            return;
        }
        let code = error.map_or(0, Error::device_error);
        match self.session.get() {
            Some(Ok(session)) => session.record_device_error(code),
            // No such session.
            Some(Err(_)) => {}
            // The call failed before it needed its session: the one lookup is here.
            None => {
                if let Ok(session) = self.session() {
                    session.record_device_error(code);
                }
            }
        }
    }
}

/// `Ok(CKR_OK)`.
pub(crate) fn ok() -> Result<CK_RV> {
    Ok(CKR_OK)
}

/// A required pointer: NULL → `CKR_ARGUMENTS_BAD`.
pub(crate) fn non_null<T>(p: *const T) -> Result<*const T> {
    if p.is_null() {
        Err(Error::Ck(CKR_ARGUMENTS_BAD))
    } else {
        Ok(p)
    }
}

/// Borrows `len` bytes at `ptr` (NULL is fine only for zero bytes).
///
/// # Safety
/// `ptr` must point to `len` readable bytes that outlive the borrow, as the C caller promises.
pub(crate) unsafe fn bytes<'a>(ptr: *const CK_BYTE, len: CK_ULONG) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    let ptr = non_null(ptr)?;
    let len = usize::try_from(len).map_err(|_| Error::Ck(CKR_ARGUMENTS_BAD))?;
    // SAFETY: non-NULL and, by the caller's contract, valid for `len` bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Writes a value through a required out-pointer.
///
/// # Safety
/// `ptr`, if not NULL, must be valid for a write of `T`.
pub(crate) unsafe fn put<T>(ptr: *mut T, value: T) -> Result<()> {
    non_null(ptr)?;
    // SAFETY: non-NULL and writable by the caller's contract.
    unsafe { ptr.write(value) };
    Ok(())
}

/// Reads the capacity of an output buffer: `None` for a NULL buffer (a size query).
///
/// # Safety
/// `len` must be NULL or valid for reads.
pub(crate) unsafe fn capacity(buf: *const CK_BYTE, len: *const CK_ULONG) -> Result<Option<usize>> {
    let len = non_null(len)?;
    // SAFETY: non-NULL and readable by the caller's contract.
    let n = unsafe { len.read() };
    Ok((!buf.is_null()).then(|| usize::try_from(n).unwrap_or(usize::MAX)))
}

/// Copies an [`Outcome`] out under the variable-length output rule and returns its `CK_RV`.
///
/// # Safety
/// `buf` must be NULL or valid for `*len` bytes of writes; `len` valid for reads and writes.
pub(crate) unsafe fn write_outcome(
    outcome: Outcome,
    buf: *mut CK_BYTE,
    len: *mut CK_ULONG,
) -> Result<CK_RV> {
    let (n, rv) = match &outcome {
        Outcome::Len(n) => (*n, CKR_OK),
        Outcome::TooSmall(n) => (*n, CKR_BUFFER_TOO_SMALL),
        Outcome::Done(data) => {
            if !data.is_empty() {
                non_null(buf)?;
                // SAFETY: `produce` only returns Done when the capacity read from `*len` fits.
                unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
            }
            (data.len(), CKR_OK)
        }
    };
    // SAFETY: as above.
    unsafe { put(len, n as CK_ULONG)? };
    Ok(rv)
}

/// Copies in a template.
///
/// # Safety
/// `ptr` must point to `count` `CK_ATTRIBUTE`s whose `pValue` point to `ulValueLen` bytes (for
/// an attribute array, to `ulValueLen / sizeof(CK_ATTRIBUTE)` attributes of the same kind).
pub(crate) unsafe fn template(ptr: *const CK_ATTRIBUTE, count: CK_ULONG) -> Result<Vec<RawAttr>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if count as usize > MAX_TEMPLATE_ATTRS {
        return Err(Error::Ck(CKR_TEMPLATE_INCONSISTENT));
    }
    let ptr = non_null(ptr)?;
    // SAFETY: non-NULL; `count` entries by the caller's contract (bounded above).
    let attrs = unsafe { std::slice::from_raw_parts(ptr, count as usize) };
    attrs
        .iter()
        .map(|a| {
            if attr::is_array(a.type_) {
                // SAFETY: forwarded contract.
                return unsafe { array_attr(a) };
            }
            if a.ulValueLen as usize > MAX_VALUE_LEN {
                return Err(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID));
            }
            // SAFETY: `pValue` holds `ulValueLen` bytes by the caller's contract.
            let value = unsafe { bytes(a.pValue as *const CK_BYTE, a.ulValueLen)? };
            Ok(RawAttr::new(a.type_, value.to_vec()))
        })
        .collect()
}

/// Copies in an attribute-array value (`CKA_WRAP_TEMPLATE` …): whole `CK_ATTRIBUTE`s, at most
/// [`MAX_TEMPLATE_ATTRS`], copied one level deep — an array inside one is not followed (it is
/// marked and refused when decoded: security T24, no recursion on application data).
///
/// # Safety
/// `a.pValue` must point to `a.ulValueLen / sizeof(CK_ATTRIBUTE)` attributes whose own `pValue`
/// point to `ulValueLen` bytes.
unsafe fn array_attr(a: &CK_ATTRIBUTE) -> Result<RawAttr> {
    let size = std::mem::size_of::<CK_ATTRIBUTE>();
    let len = a.ulValueLen as usize;
    if !len.is_multiple_of(size) || len / size > MAX_TEMPLATE_ATTRS {
        return Err(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID));
    }
    let inner: &[CK_ATTRIBUTE] = if len == 0 {
        &[]
    } else {
        let p = non_null(a.pValue as *const CK_ATTRIBUTE)?;
        // SAFETY: non-NULL; `len / size` entries by the caller's contract (bounded above).
        unsafe { std::slice::from_raw_parts(p, len / size) }
    };
    let nested = inner
        .iter()
        .map(|n| {
            if attr::is_array(n.type_) {
                return Ok(RawAttr {
                    ty: n.type_,
                    bytes: Vec::new(),
                    nested: Some(Vec::new()),
                });
            }
            if n.ulValueLen as usize > MAX_VALUE_LEN {
                return Err(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID));
            }
            // SAFETY: `pValue` holds `ulValueLen` bytes by the caller's contract.
            let value = unsafe { bytes(n.pValue as *const CK_BYTE, n.ulValueLen)? };
            Ok(RawAttr::new(n.type_, value.to_vec()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RawAttr {
        ty: a.type_,
        bytes: Vec::new(),
        nested: Some(nested),
    })
}

/// Reads a parameter structure of exactly its own size.
///
/// # Safety
/// `m.pParameter` must point to `m.ulParameterLen` readable bytes.
unsafe fn param<T: Copy>(m: &CK_MECHANISM) -> Result<T> {
    if m.pParameter.is_null() || m.ulParameterLen as usize != std::mem::size_of::<T>() {
        return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
    }
    // SAFETY: non-NULL and exactly `size_of::<T>()` bytes; read unaligned to be safe.
    Ok(unsafe { (m.pParameter as *const T).read_unaligned() })
}

/// Bytes inside a parameter structure (`CKR_MECHANISM_PARAM_INVALID` when inconsistent).
///
/// # Safety
/// As [`bytes`].
unsafe fn param_bytes(ptr: *const CK_BYTE, len: CK_ULONG, max: CK_ULONG) -> Result<Bytes> {
    if len > max {
        return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
    }
    // SAFETY: forwarded contract.
    let b = unsafe { bytes(ptr, len) }.map_err(|_| Error::Ck(CKR_MECHANISM_PARAM_INVALID))?;
    Ok(Bytes(b.to_vec()))
}

/// The v2.40 header's `CK_GCM_PARAMS` without `ulIvBits`, still sent by some applications.
#[repr(C)]
#[derive(Clone, Copy)]
struct GcmParamsV240 {
    p_iv: *mut CK_BYTE,
    ul_iv_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
    ul_tag_bits: CK_ULONG,
}

/// Copies in a mechanism and parses its parameter by the structure kms-api's mechanism table
/// names ([`ParamKind`]; `CKR_MECHANISM_INVALID` for a mechanism this token does not offer).
///
/// # Safety
/// `ptr` must be NULL or point to a `CK_MECHANISM` whose parameter is readable.
pub(crate) unsafe fn mechanism(ptr: *const CK_MECHANISM) -> Result<Mechanism> {
    let ptr = non_null(ptr)?;
    // SAFETY: non-NULL by the check above; readable by the caller's contract.
    let m = unsafe { ptr.read() };
    let row = kms_api::mech::info(m.mechanism as u64).ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
    let params = match row.params {
        ParamKind::None if m.ulParameterLen == 0 => MechParams::None,
        ParamKind::None => return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
        ParamKind::Iv16 if m.ulParameterLen == 16 => {
            // SAFETY: the parameter is 16 readable bytes.
            MechParams::Iv(unsafe { param_bytes(m.pParameter as *const CK_BYTE, 16, 16)? })
        }
        ParamKind::Iv16 => return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
        ParamKind::Gcm => {
            let (iv, iv_len, aad, aad_len, tag_bits) =
                if m.ulParameterLen as usize == std::mem::size_of::<GcmParamsV240>() {
                    // SAFETY: size checked in `param`.
                    let p: GcmParamsV240 = unsafe { param(&m)? };
                    (p.p_iv, p.ul_iv_len, p.p_aad, p.ul_aad_len, p.ul_tag_bits)
                } else {
                    // SAFETY: size checked in `param`.
                    let p: CK_GCM_PARAMS = unsafe { param(&m)? };
                    (p.pIv, p.ulIvLen, p.pAAD, p.ulAADLen, p.ulTagBits)
                };
            MechParams::Gcm {
                // SAFETY: pointers and lengths from the application's structure.
                iv: unsafe { param_bytes(iv, iv_len, MAX_IV_LEN)? },
                // SAFETY: as above.
                aad: unsafe { param_bytes(aad, aad_len, MAX_VALUE_LEN as CK_ULONG)? },
                tag_bits: tag_bits as u64,
            }
        }
        ParamKind::Oaep => {
            // SAFETY: size checked in `param`.
            let p: CK_RSA_PKCS_OAEP_PARAMS = unsafe { param(&m)? };
            let label = match p.source {
                // SAFETY: pointer and length from the application's structure.
                CKZ_DATA_SPECIFIED => unsafe {
                    param_bytes(
                        p.pSourceData as *const CK_BYTE,
                        p.ulSourceDataLen,
                        MAX_VALUE_LEN as CK_ULONG,
                    )?
                },
                0 if p.ulSourceDataLen == 0 => Bytes::default(),
                _ => return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
            };
            MechParams::Oaep {
                hash: p.hashAlg as u64,
                mgf: p.mgf as u64,
                label,
            }
        }
        ParamKind::Ecdh => {
            // SAFETY: size checked in `param`.
            let p: CK_ECDH1_DERIVE_PARAMS = unsafe { param(&m)? };
            MechParams::Ecdh {
                kdf: p.kdf as u64,
                // SAFETY: pointers and lengths from the application's structure.
                shared_data: unsafe {
                    param_bytes(p.pSharedData, p.ulSharedDataLen, MAX_VALUE_LEN as CK_ULONG)?
                },
                // SAFETY: as above.
                public_data: unsafe {
                    param_bytes(p.pPublicData, p.ulPublicDataLen, MAX_VALUE_LEN as CK_ULONG)?
                },
            }
        }
        ParamKind::Ctr => {
            // SAFETY: size checked in `param`.
            let p: CK_AES_CTR_PARAMS = unsafe { param(&m)? };
            MechParams::Ctr {
                counter_bits: p.ulCounterBits as u64,
                cb: Bytes(p.cb.to_vec()),
            }
        }
        ParamKind::Pss => {
            // SAFETY: size checked in `param`.
            let p: CK_RSA_PKCS_PSS_PARAMS = unsafe { param(&m)? };
            MechParams::Pss {
                hash: p.hashAlg as u64,
                mgf: p.mgf as u64,
                salt_len: p.sLen as u64,
            }
        }
    };
    Ok(Mechanism {
        mechanism: m.mechanism as u64,
        params,
    })
}

/// Copies a string into a fixed-size, blank-padded `CK_UTF8CHAR` field (truncating at a
/// character boundary).
pub(crate) fn padded<const N: usize>(s: &str) -> [CK_UTF8CHAR; N] {
    let mut out = [b' '; N];
    let mut end = s.len().min(N);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out[..end].copy_from_slice(&s.as_bytes()[..end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_panics_into_general_error() {
        let call = Call::new("C_Test", None);
        assert_eq!(guard(call, || panic!("boom")), CKR_GENERAL_ERROR);
        assert_eq!(
            guard(call, || Err(Error::Ck(CKR_PIN_INCORRECT))),
            CKR_PIN_INCORRECT
        );
        assert_eq!(guard(call, ok), CKR_OK);
    }

    #[test]
    fn padding_is_blank_and_char_safe() {
        assert_eq!(&padded::<8>("abc"), b"abc     ");
        assert_eq!(&padded::<3>("aé"), b"a\xc3\xa9");
        assert_eq!(&padded::<2>("aé"), b"a ");
    }
}
