//! The operations a key may be used for, and the usage flag each needs.

/// The key operations: the data operations (`keys::usage`) and the
/// key-management ones (`keys::wrap`, `keys::derive`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `C_Sign`.
    Sign,
    /// `C_Verify` with a secret key (HMAC).
    Verify,
    /// `C_Decrypt`.
    Decrypt,
    /// `C_Encrypt`.
    Encrypt,
    /// `C_WrapKey` (the wrapping key).
    Wrap,
    /// `C_UnwrapKey` (the unwrapping key).
    Unwrap,
    /// `C_DeriveKey` (the base key).
    Derive,
}

impl Op {
    /// The audit action of this operation.
    pub fn action(self) -> &'static str {
        match self {
            Op::Sign => "key.sign",
            Op::Verify => "key.verify",
            Op::Decrypt => "key.decrypt",
            Op::Encrypt => "key.encrypt",
            Op::Wrap => "key.wrap",
            Op::Unwrap => "key.unwrap",
            Op::Derive => "key.derive",
        }
    }

    /// The usage attribute that allows this operation (`CKA_SIGN` …), as the mechanism table
    /// states it.
    pub fn flag(self) -> u64 {
        self.contract()
            .usage()
            .expect("every key operation has a usage attribute")
    }

    /// Whether the operation only processes data protected earlier (decrypt, verify, unwrap),
    /// as the contract says ([`kms_api::mech::Op::processes_protected_data`]).
    pub fn processes_protected_data(self) -> bool {
        self.contract().processes_protected_data()
    }

    /// The operation as the mechanism table names it.
    pub fn contract(self) -> kms_api::mech::Op {
        use kms_api::mech::Op as C;
        match self {
            Op::Sign => C::Sign,
            Op::Verify => C::Verify,
            Op::Decrypt => C::Decrypt,
            Op::Encrypt => C::Encrypt,
            Op::Wrap => C::Wrap,
            Op::Unwrap => C::Unwrap,
            Op::Derive => C::Derive,
        }
    }

    /// Whether this is one of the data operations (sign, verify, decrypt, encrypt).
    pub fn is_data(self) -> bool {
        matches!(self, Op::Sign | Op::Verify | Op::Decrypt | Op::Encrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ck::*;

    #[test]
    fn every_key_operation_has_its_usage_flag() {
        let ops = [
            Op::Sign,
            Op::Verify,
            Op::Decrypt,
            Op::Encrypt,
            Op::Wrap,
            Op::Unwrap,
            Op::Derive,
        ];
        for op in ops {
            assert_eq!(Some(op.flag()), op.contract().usage(), "{op:?}");
        }
        assert_eq!((Op::Sign.flag(), Op::Derive.flag()), (CKA_SIGN, CKA_DERIVE));
    }
}
