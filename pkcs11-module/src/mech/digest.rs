//! Hash algorithms: digests computed in the module (`C_Digest*` and hash-and-sign mechanisms),
//! and the DER `DigestInfo` prefixes of PKCS#1 v1.5 (RFC 8017 §9.2, note 1).

use aws_lc_rs::digest;
use cryptoki_sys::*;

/// A hash algorithm the module computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-1 (digest and verification of legacy signatures only).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

const ALL: [HashAlg; 5] = [
    HashAlg::Sha1,
    HashAlg::Sha224,
    HashAlg::Sha256,
    HashAlg::Sha384,
    HashAlg::Sha512,
];

impl HashAlg {
    /// The algorithm of a `CKM_SHA*` digest mechanism.
    pub fn from_mechanism(m: CK_MECHANISM_TYPE) -> Option<HashAlg> {
        ALL.into_iter().find(|h| h.mechanism() == m)
    }

    /// The `CKM_SHA*` digest mechanism.
    pub fn mechanism(self) -> CK_MECHANISM_TYPE {
        match self {
            HashAlg::Sha1 => CKM_SHA_1,
            HashAlg::Sha224 => CKM_SHA224,
            HashAlg::Sha256 => CKM_SHA256,
            HashAlg::Sha384 => CKM_SHA384,
            HashAlg::Sha512 => CKM_SHA512,
        }
    }

    /// The MGF1 generator that goes with this hash (`CKG_MGF1_SHA*`).
    pub fn mgf1(self) -> CK_RSA_PKCS_MGF_TYPE {
        match self {
            HashAlg::Sha1 => CKG_MGF1_SHA1,
            HashAlg::Sha224 => CKG_MGF1_SHA224,
            HashAlg::Sha256 => CKG_MGF1_SHA256,
            HashAlg::Sha384 => CKG_MGF1_SHA384,
            HashAlg::Sha512 => CKG_MGF1_SHA512,
        }
    }

    /// aws-lc-rs's algorithm.
    pub fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            HashAlg::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlg::Sha224 => &digest::SHA224,
            HashAlg::Sha256 => &digest::SHA256,
            HashAlg::Sha384 => &digest::SHA384,
            HashAlg::Sha512 => &digest::SHA512,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        self.algorithm().output_len()
    }

    /// The DER `DigestInfo` prefix that precedes the digest.
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            HashAlg::Sha224 => &[
                0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x04, 0x05, 0x00, 0x04, 0x1c,
            ],
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// Splits a DER `DigestInfo` into its algorithm and digest, if it is one of ours.
    pub fn parse_digest_info(data: &[u8]) -> Option<(HashAlg, &[u8])> {
        ALL.into_iter().find_map(|h| {
            let prefix = h.digest_info_prefix();
            (data.len() == prefix.len() + h.output_len() && data.starts_with(prefix))
                .then(|| (h, &data[prefix.len()..]))
        })
    }

    /// A new incremental hash.
    pub fn context(self) -> digest::Context {
        digest::Context::new(self.algorithm())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_info_round_trip() {
        for h in ALL {
            let d = digest::digest(h.algorithm(), b"abc");
            let mut info = h.digest_info_prefix().to_vec();
            info.extend_from_slice(d.as_ref());
            let (alg, got) = HashAlg::parse_digest_info(&info).unwrap();
            assert_eq!(alg, h);
            assert_eq!(got, d.as_ref());
            assert!(HashAlg::parse_digest_info(&info[1..]).is_none());
        }
    }
}
