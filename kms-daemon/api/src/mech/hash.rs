//! The hash functions mechanisms and their parameters name: what each is called in PKCS#11
//! (`CKM_SHA*`, `CKG_MGF1_*`) and how long its output is. Both sides compute hashes with their
//! own library; these facts are stated here once.

use cryptoki_sys::{
    CKG_MGF1_SHA1, CKG_MGF1_SHA224, CKG_MGF1_SHA256, CKG_MGF1_SHA384, CKG_MGF1_SHA512, CKM_SHA224,
    CKM_SHA256, CKM_SHA384, CKM_SHA512, CKM_SHA_1,
};

/// A hash function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hash {
    /// SHA-1: digests, legacy signature verification and RSA-OAEP only.
    Sha1,
    /// SHA-224: digests only.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// Every hash, weakest first.
    pub const ALL: [Hash; 5] = [
        Hash::Sha1,
        Hash::Sha224,
        Hash::Sha256,
        Hash::Sha384,
        Hash::Sha512,
    ];

    /// The `CKM_SHA*` digest mechanism.
    pub fn ckm(self) -> u64 {
        (match self {
            Hash::Sha1 => CKM_SHA_1,
            Hash::Sha224 => CKM_SHA224,
            Hash::Sha256 => CKM_SHA256,
            Hash::Sha384 => CKM_SHA384,
            Hash::Sha512 => CKM_SHA512,
        }) as u64
    }

    /// The hash a `CKM_SHA*` value names.
    pub fn from_ckm(m: u64) -> Option<Hash> {
        Hash::ALL.into_iter().find(|h| h.ckm() == m)
    }

    /// The `CKG_MGF1_*` mask generator that goes with this hash.
    pub fn mgf1(self) -> u64 {
        (match self {
            Hash::Sha1 => CKG_MGF1_SHA1,
            Hash::Sha224 => CKG_MGF1_SHA224,
            Hash::Sha256 => CKG_MGF1_SHA256,
            Hash::Sha384 => CKG_MGF1_SHA384,
            Hash::Sha512 => CKG_MGF1_SHA512,
        }) as u64
    }

    /// The DER `DigestInfo` prefix that precedes a digest of this hash in a PKCS#1 v1.5
    /// signature (RFC 8017 §9.2, note 1).
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Hash::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Hash::Sha224 => &[
                0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x04, 0x05, 0x00, 0x04, 0x1c,
            ],
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// A DER `DigestInfo` for `digest`.
    pub fn digest_info(self, digest: &[u8]) -> Vec<u8> {
        let mut out = self.digest_info_prefix().to_vec();
        out.extend_from_slice(digest);
        out
    }

    /// Splits a DER `DigestInfo` into its hash and digest; `None` for anything else.
    pub fn parse_digest_info(data: &[u8]) -> Option<(Hash, &[u8])> {
        Hash::ALL.into_iter().find_map(|h| {
            let digest = data.strip_prefix(h.digest_info_prefix())?;
            (digest.len() == h.len()).then_some((h, digest))
        })
    }

    /// Output length in bytes.
    #[allow(
        clippy::len_without_is_empty,
        reason = "a digest length, not a container"
    )]
    pub fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha224 => 28,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for h in Hash::ALL {
            assert_eq!(Hash::from_ckm(h.ckm()), Some(h));
        }
        assert_eq!(Hash::from_ckm(0x1234), None);
        for h in Hash::ALL {
            let info = h.digest_info(&vec![7; h.len()]);
            assert_eq!(
                Hash::parse_digest_info(&info),
                Some((h, &info[info.len() - h.len()..]))
            );
            assert_eq!(Hash::parse_digest_info(&info[1..]), None);
            assert_eq!(Hash::parse_digest_info(&info[..info.len() - 1]), None);
        }
    }
}
