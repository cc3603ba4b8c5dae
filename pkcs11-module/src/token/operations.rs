//! The cryptographic functions of a session: `*Init`, single-part, `*Update` and `*Final` of
//! sign, verify, encrypt, decrypt and digest. A session holds at most one operation of each
//! kind; the helpers here start one, run a step of it and end it by the rules every kind shares
//! (spec-checklist S8), and each C function is a short method that hands the work to its
//! operation in [`super::ops`].

use super::handles::ObjectEntry;
use super::library::{Session, SessionRef};
use super::ops::crypt::CryptOp;
use super::ops::digest::DigestOp;
use super::ops::sign::SignOp;
use super::ops::verify::VerifyOp;
use super::ops::{MultiPart, Output};
use super::output::Outcome;
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

/// Where a session keeps its operation of one kind, for the generic helpers below.
type Field<O> = fn(&mut Session) -> &mut Option<O>;

/// Where a session keeps its encryption or its decryption.
fn crypt_field(op: KeyOp) -> Field<CryptOp> {
    if op == KeyOp::Encrypt {
        |s| &mut s.encrypt
    } else {
        |s| &mut s.decrypt
    }
}

impl SessionRef<'_> {
    /// `*Init`: `CKR_OPERATION_ACTIVE` if one of the kind is active, else `make` starts one.
    fn start<O>(&self, field: Field<O>, make: impl FnOnce() -> Result<O>) -> Result<()> {
        if field(&mut self.lock()).is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        let op = make()?;
        *field(&mut self.lock()) = Some(op);
        Ok(())
    }

    /// Runs a step of an active operation without holding the session lock, and puts the
    /// operation back only if it goes on (S8: errors end it, except `CKR_OPERATION_ACTIVE`).
    fn step<O, T>(
        &self,
        field: Field<O>,
        keep: fn(&T) -> bool,
        f: impl FnOnce(&mut O) -> Result<T>,
    ) -> Result<T> {
        let mut op = field(&mut self.lock())
            .take()
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))?;
        let result = f(&mut op);
        let goes_on = match &result {
            Ok(v) => keep(v),
            Err(e) => e.rv() == CKR_OPERATION_ACTIVE,
        };
        if goes_on {
            *field(&mut self.lock()) = Some(op);
        }
        result
    }

    /// `*Update`: the operation turns multi-part and takes the input.
    fn update<O: MultiPart>(&self, field: Field<O>, part: &[u8]) -> Result<()> {
        self.step(field, |_| true, |op| op.feed().update(part))
    }

    /// A single-part call or `*Final` with output: the operation goes on while the output is
    /// only sized.
    fn output<O: Output>(
        &self,
        field: Field<O>,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        let keep = Outcome::keeps_operation;
        self.step(field, keep, |op| op.run(self.slot(), data, capacity))
    }

    /// The key of an operation: a vanished object is a bad key handle ([`Error::for_key`]).
    fn key(&self, key: CK_OBJECT_HANDLE) -> Result<Arc<ObjectEntry>> {
        self.object(key).map_err(Error::for_key)
    }

    /// `C_SignInit`.
    pub fn sign_init(&self, m: Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.start(|s| &mut s.sign, || SignOp::new(&*self.key(key)?, m))
    }

    /// `C_Sign` (`data` given) or `C_SignFinal` (`data` None).
    pub fn sign(&self, data: Option<&[u8]>, capacity: Option<usize>) -> Result<Outcome> {
        self.output(|s| &mut s.sign, data, capacity)
    }

    /// `C_SignUpdate`.
    pub fn sign_update(&self, part: &[u8]) -> Result<()> {
        self.update(|s| &mut s.sign, part)
    }

    /// `C_VerifyInit`.
    pub fn verify_init(&self, m: Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.start(|s| &mut s.verify, || VerifyOp::new(&*self.key(key)?, m))
    }

    /// `C_Verify` (`data` given) or `C_VerifyFinal`; always ends the operation.
    pub fn verify(&self, data: Option<&[u8]>, signature: &[u8]) -> Result<()> {
        let slot = self.slot();
        self.step(
            |s| &mut s.verify,
            |_| false,
            |op| op.verify(slot, data, signature),
        )
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, part: &[u8]) -> Result<()> {
        self.update(|s| &mut s.verify, part)
    }

    /// `C_EncryptInit` (`op` = Encrypt) and `C_DecryptInit` (`op` = Decrypt).
    pub fn crypt_init(&self, op: KeyOp, m: Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.start(crypt_field(op), || CryptOp::new(op, &*self.key(key)?, m))
    }

    /// `C_Encrypt`/`C_Decrypt` (`data` given) or their `*Final` (`data` None).
    pub fn crypt(
        &self,
        op: KeyOp,
        data: Option<&[u8]>,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        self.output(crypt_field(op), data, capacity)
    }

    /// `C_EncryptUpdate`/`C_DecryptUpdate`: the update's output ([`CryptOp::update`]); the
    /// operation goes on unless the call fails.
    pub fn crypt_update(&self, op: KeyOp, part: &[u8], capacity: Option<usize>) -> Result<Outcome> {
        let slot = self.slot();
        self.step(
            crypt_field(op),
            |_| true,
            |o| o.update(slot, part, capacity),
        )
    }

    /// `C_DigestInit`.
    pub fn digest_init(&self, m: Mechanism) -> Result<()> {
        self.start(|s| &mut s.digest, || DigestOp::new(&m))
    }

    /// `C_Digest` (`data` given) or `C_DigestFinal`.
    pub fn digest(&self, data: Option<&[u8]>, capacity: Option<usize>) -> Result<Outcome> {
        self.output(|s| &mut s.digest, data, capacity)
    }

    /// `C_DigestUpdate`.
    pub fn digest_update(&self, part: &[u8]) -> Result<()> {
        self.update(|s| &mut s.digest, part)
    }

    /// `C_DigestKey`: the operation and handle checks come first, so an application learns
    /// exactly why (a handle that is no object is `CKR_KEY_HANDLE_INVALID`); then
    /// [`DigestOp::digest_key`].
    pub fn digest_key(&self, key: CK_OBJECT_HANDLE) -> Result<()> {
        self.step(
            |s| &mut s.digest,
            |_| true,
            |op| op.digest_key(&*self.key(key)?),
        )
    }

    /// `*Init(pMechanism = NULL)` and `C_SessionCancel`: ends the operation of that kind.
    pub fn cancel(&self, kind: OpKind) {
        let mut s = self.lock();
        match kind {
            OpKind::Sign => s.sign = None,
            OpKind::Verify => s.verify = None,
            OpKind::Encrypt => s.encrypt = None,
            OpKind::Decrypt => s.decrypt = None,
            OpKind::Digest => s.digest = None,
        }
    }
}
