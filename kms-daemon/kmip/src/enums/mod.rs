//! KMIP enumerations as data: each is one table of (value, name in the specification), from
//! which `kmip_enum!` derives the Rust enum, its conversions and its TTLV encoding.
//!
//! Values are those of the KMIP specifications (KMIP 1.4 §9.1.3.2, KMIP 2.0 §11); each table
//! notes the version that added its later rows. Decoding never fails on a value a table does not
//! name: it becomes `Other(value)`, so a later version's or a vendor's value (0x8xxxxxxx) reaches
//! the server, which answers it (Feature Not Supported, Invalid Field…) as the operation needs.

mod crypto;
mod message;
mod object;

pub use crypto::{
    BlockCipherMode, CryptographicAlgorithm, DigitalSignatureAlgorithm, HashingAlgorithm,
    KeyRoleType, MaskGenerator, PaddingMethod, UsageMask,
};
pub use message::{
    BatchErrorContinuationOption, CredentialType, Operation, QueryFunction, ResultReason,
    ResultStatus,
};
pub use object::{
    CertificateType, DerivationMethod, EncodingOption, KeyCompressionType, KeyFormatType,
    KeyWrapType, LinkType, NameType, ObjectGroupMember, ObjectType, OpaqueDataType,
    RevocationReasonCode, SecretDataType, State, ValidityIndicator, WrappingMethod,
};

/// Declares a KMIP enumeration from its table of `Variant = value, "Name";` rows.
macro_rules! kmip_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal, $text:literal;)* }) => {
        $(#[$meta])*
        ///
        /// Equality and hashing are by wire value, so `Other(v)` equals the named variant of `v`.
        #[derive(Clone, Copy, Debug)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant,)*
            /// A value the table does not name: a later version's or a vendor extension.
            Other(u32),
        }

        impl $name {
            /// Every named value: (wire value, name in the specification).
            pub const TABLE: &'static [(u32, &'static str)] = &[$(($value, $text),)*];

            /// The variant of a wire value.
            pub const fn from_u32(value: u32) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Other(other),
                }
            }

            /// The wire value.
            pub const fn to_u32(self) -> u32 {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Other(value) => value,
                }
            }

            /// The name the specification gives the value, if the table has it.
            pub fn name(self) -> Option<&'static str> {
                let value = self.to_u32();
                Self::TABLE.iter().find(|row| row.0 == value).map(|row| row.1)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.to_u32() == other.to_u32()
            }
        }

        impl Eq for $name {}

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.to_u32().hash(state)
            }
        }

        impl $crate::codec::Field for $name {
            fn decode(
                item: &$crate::ttlv::Item,
                _: $crate::ProtocolVersion,
            ) -> Result<Self, $crate::CodecError> {
                match item.value {
                    $crate::ttlv::Value::Enumeration(value) => Ok(Self::from_u32(value)),
                    _ => Err($crate::codec::wrong_type(item, $crate::ttlv::ItemType::Enumeration)),
                }
            }

            fn encode(
                &self,
                tag: $crate::ttlv::Tag,
                _: $crate::ProtocolVersion,
            ) -> Result<$crate::ttlv::Item, $crate::CodecError> {
                Ok($crate::ttlv::Item::new(tag, $crate::ttlv::Value::Enumeration(self.to_u32())))
            }
        }
    };
}

pub(crate) use kmip_enum;

#[cfg(test)]
mod tests {
    use super::*;

    /// Each table's values are distinct, and every row maps to its variant and back.
    fn check(table: &[(u32, &str)], round_trip: impl Fn(u32) -> (u32, Option<&'static str>)) {
        let mut values: Vec<u32> = table.iter().map(|row| row.0).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), table.len());
        for &(value, name) in table {
            assert_eq!(round_trip(value), (value, Some(name)));
        }
    }

    macro_rules! check_all {
        ($($t:ident),*) => {
            $(check($t::TABLE, |v| ($t::from_u32(v).to_u32(), $t::from_u32(v).name()));)*
        };
    }

    #[test]
    fn tables_are_consistent() {
        check_all!(
            BlockCipherMode,
            CryptographicAlgorithm,
            DigitalSignatureAlgorithm,
            HashingAlgorithm,
            KeyRoleType,
            MaskGenerator,
            PaddingMethod,
            BatchErrorContinuationOption,
            CredentialType,
            Operation,
            QueryFunction,
            ResultReason,
            ResultStatus,
            CertificateType,
            DerivationMethod,
            EncodingOption,
            KeyCompressionType,
            KeyFormatType,
            KeyWrapType,
            LinkType,
            NameType,
            ObjectGroupMember,
            ObjectType,
            OpaqueDataType,
            RevocationReasonCode,
            SecretDataType,
            State,
            ValidityIndicator,
            WrappingMethod
        );
    }

    #[test]
    fn unnamed_values_are_kept_and_equal_by_value() {
        assert_eq!(
            Operation::from_u32(0x8000_0001),
            Operation::Other(0x8000_0001)
        );
        assert_eq!(Operation::Other(1), Operation::Create);
        assert_eq!(Operation::Other(0x77).name(), None);
        assert_eq!(Operation::SignatureVerify.name(), Some("Signature Verify"));
    }
}
