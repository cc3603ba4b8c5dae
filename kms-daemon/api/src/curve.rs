//! The elliptic curves of `CKK_EC` keys this token offers: how `CKA_EC_PARAMS` names each
//! (the DER of its named-curve OID), its field length, the hash its ECDSA signatures pair with,
//! and its security strength. Both sides compute with their own library; these facts are stated
//! here once.

use crate::mech::Hash;

/// A curve of `CKK_EC` keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1, prime256v1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
}

impl Curve {
    /// Every curve offered.
    pub const ALL: [Curve; 3] = [Curve::P256, Curve::P384, Curve::P521];

    /// `CKA_EC_PARAMS` of this curve: the DER of its named-curve OID.
    pub fn params(self) -> &'static [u8] {
        match self {
            Curve::P256 => &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            Curve::P384 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
            Curve::P521 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
        }
    }

    /// The curve `CKA_EC_PARAMS` names, if it is one of ours.
    pub fn from_params(params: &[u8]) -> Option<Curve> {
        Curve::ALL.into_iter().find(|c| c.params() == params)
    }

    /// Field length in bytes (an ECDSA signature `r ‖ s` is twice this).
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The hash ECDSA on this curve pairs with (what a signature over a message is verified
    /// with, and the X9.63 KDF default).
    pub fn hash(self) -> Hash {
        match self {
            Curve::P256 => Hash::Sha256,
            Curve::P384 => Hash::Sha384,
            Curve::P521 => Hash::Sha512,
        }
    }

    /// Security strength in bits (NIST SP 800-57 part 1, table 2).
    pub fn strength_bits(self) -> u64 {
        match self {
            Curve::P256 => 128,
            Curve::P384 => 192,
            Curve::P521 => 256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_name_one_curve_each() {
        for c in Curve::ALL {
            assert_eq!(Curve::from_params(c.params()), Some(c));
            assert_eq!(c.params()[0], 0x06, "an OID");
            assert_eq!(c.params()[1] as usize, c.params().len() - 2);
        }
        assert_eq!(Curve::from_params(&[0x06, 0x03, 0x2b, 0x65, 0x70]), None);
    }
}
