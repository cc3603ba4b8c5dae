//! The cryptographic functions of a session: `*Init`, single-part, `*Update` and `*Final` of
//! sign, verify, encrypt, decrypt and digest. A session holds at most one operation of each
//! kind; the helpers here start one, run a step of it and end it by the rules every kind shares
//! (spec-checklist S8), and each C function is a short method that hands the work to its
//! operation in [`super::ops`].

use super::objects::ObjectEntry;
use super::ops::crypt::CryptOp;
use super::ops::digest::DigestOp;
use super::ops::sign::SignOp;
use super::ops::verify::VerifyOp;
use super::ops::MultiPart;
use super::output::Outcome;
use super::session::Session;
use super::slot::Slot;
use super::Library;
use crate::client::KeyOp;
use crate::error::{Error, Result};
use cryptoki_sys::*;
use kms_api::Mechanism;
use std::sync::Arc;

/// The kinds of operation a session holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Sign.
    Sign,
    /// Verify.
    Verify,
    /// Encrypt.
    Encrypt,
    /// Decrypt.
    Decrypt,
    /// Digest.
    Digest,
}

/// Accessors of each operation slot of a session, for the generic helpers below.
type Field<O> = fn(&mut Session) -> &mut Option<O>;

/// The session's slot for encryption or decryption.
fn crypt_field(op: KeyOp) -> Field<CryptOp> {
    if op == KeyOp::Encrypt {
        |s| &mut s.encrypt
    } else {
        |s| &mut s.decrypt
    }
}

impl Library {
    fn init_op<O>(
        &self,
        h: CK_SESSION_HANDLE,
        field: Field<O>,
        make: impl FnOnce(&Slot) -> Result<O>,
    ) -> Result<()> {
        let (session, slot) = self.session_slot(h)?;
        if field(&mut session.lock()).is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        let op = make(slot)?;
        *field(&mut session.lock()) = Some(op);
        Ok(())
    }

    /// Runs a step of an active operation without holding the session lock, and puts the
    /// operation back only if it goes on (S8: errors end it, except `CKR_OPERATION_ACTIVE`).
    fn step_op<O, T>(
        &self,
        h: CK_SESSION_HANDLE,
        field: Field<O>,
        keep: fn(&T) -> bool,
        f: impl FnOnce(&mut O, &Slot) -> Result<T>,
    ) -> Result<T> {
        let (session, slot) = self.session_slot(h)?;
        let mut op = field(&mut session.lock())
            .take()
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))?;
        let result = f(&mut op, slot);
        let goes_on = match &result {
            Ok(v) => keep(v),
            Err(e) => e.rv() == CKR_OPERATION_ACTIVE,
        };
        if goes_on {
            *field(&mut session.lock()) = Some(op);
        }
        result
    }

    /// `*Update`: the operation turns multi-part and takes the input.
    fn update_op<O: MultiPart>(
        &self,
        h: CK_SESSION_HANDLE,
        field: Field<O>,
        part: &[u8],
    ) -> Result<()> {
        self.step_op(h, field, |_| true, |op, _| op.feed().update(part))
    }

    /// The key of an operation: a vanished object is a bad key handle ([`Error::for_key`]).
    fn key(&self, h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<Arc<ObjectEntry>> {
        self.object(h, key).map_err(Error::for_key)
    }

    /// `*Init` with a NULL mechanism (v3.0): cancels the active operation of that kind.
    fn cancel_op<O>(&self, h: CK_SESSION_HANDLE, field: Field<O>) -> Result<()> {
        let session = self.session(h)?;
        field(&mut session.lock()).take();
        Ok(())
    }

    /// `C_SignInit`.
    pub fn sign_init(
        &self,
        h: CK_SESSION_HANDLE,
        m: Mechanism,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.init_op(
            h,
            |s| &mut s.sign,
            |_| SignOp::new(self.key(h, key)?.as_ref(), m),
        )
    }

    /// `C_Sign` (`data` given) or `C_SignFinal` (`data` None).
    pub fn sign(
        &self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        self.step_op(
            h,
            |s| &mut s.sign,
            Outcome::keeps_operation,
            |op, slot| op.sign(slot, data, capacity),
        )
    }

    /// `C_SignUpdate`.
    pub fn sign_update(&self, h: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.update_op(h, |s| &mut s.sign, part)
    }

    /// `C_VerifyInit`.
    pub fn verify_init(
        &self,
        h: CK_SESSION_HANDLE,
        m: Mechanism,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.init_op(
            h,
            |s| &mut s.verify,
            |_| VerifyOp::new(self.key(h, key)?.as_ref(), m),
        )
    }

    /// `C_Verify` (`data` given) or `C_VerifyFinal`; always ends the operation.
    pub fn verify(
        &self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        signature: &[u8],
    ) -> Result<()> {
        self.step_op(
            h,
            |s| &mut s.verify,
            |_| false,
            |op, slot| op.verify(slot, data, signature),
        )
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, h: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.update_op(h, |s| &mut s.verify, part)
    }

    /// `C_EncryptInit` (`op` = Encrypt) and `C_DecryptInit` (`op` = Decrypt).
    pub fn crypt_init(
        &self,
        h: CK_SESSION_HANDLE,
        op: KeyOp,
        m: Mechanism,
        key: CK_OBJECT_HANDLE,
    ) -> Result<()> {
        self.init_op(h, crypt_field(op), |_| {
            CryptOp::new(op, self.key(h, key)?.as_ref(), m)
        })
    }

    /// `C_Encrypt`/`C_Decrypt` (`data` given) or their `*Final` (`data` None).
    pub fn crypt(
        &self,
        h: CK_SESSION_HANDLE,
        op: KeyOp,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        self.step_op(h, crypt_field(op), Outcome::keeps_operation, |c, slot| {
            c.run(slot, data, capacity)
        })
    }

    /// `C_EncryptUpdate`/`C_DecryptUpdate`: input is gathered and processed at `*Final`, so
    /// each update outputs zero bytes.
    pub fn crypt_update(&self, h: CK_SESSION_HANDLE, op: KeyOp, part: &[u8]) -> Result<()> {
        self.update_op(h, crypt_field(op), part)
    }

    /// `C_DigestInit`.
    pub fn digest_init(&self, h: CK_SESSION_HANDLE, m: Mechanism) -> Result<()> {
        self.init_op(h, |s| &mut s.digest, |_| DigestOp::new(&m))
    }

    /// `C_Digest` (`data` given) or `C_DigestFinal`.
    pub fn digest(
        &self,
        h: CK_SESSION_HANDLE,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        self.step_op(
            h,
            |s| &mut s.digest,
            Outcome::keeps_operation,
            |op, _| op.digest(data, capacity),
        )
    }

    /// `C_DigestUpdate`.
    pub fn digest_update(&self, h: CK_SESSION_HANDLE, part: &[u8]) -> Result<()> {
        self.update_op(h, |s| &mut s.digest, part)
    }

    /// `C_DigestKey`: the session, operation and handle checks come first, so an application
    /// learns exactly why (a handle that is no object is `CKR_KEY_HANDLE_INVALID`); then
    /// [`DigestOp::digest_key`].
    pub fn digest_key(&self, h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.step_op(
            h,
            |s| &mut s.digest,
            |_| true,
            |op, _| op.digest_key(self.key(h, key)?.as_ref()),
        )
    }

    /// `*Init(pMechanism = NULL)`: cancels the operation of that kind.
    pub fn cancel(&self, h: CK_SESSION_HANDLE, kind: OpKind) -> Result<()> {
        match kind {
            OpKind::Sign => self.cancel_op(h, |s| &mut s.sign),
            OpKind::Verify => self.cancel_op(h, |s| &mut s.verify),
            OpKind::Encrypt => self.cancel_op(h, |s| &mut s.encrypt),
            OpKind::Decrypt => self.cancel_op(h, |s| &mut s.decrypt),
            OpKind::Digest => self.cancel_op(h, |s| &mut s.digest),
        }
    }
}
