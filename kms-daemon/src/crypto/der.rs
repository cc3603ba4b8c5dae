//! The few DER shapes kmsd writes and reads itself: `CKA_EC_POINT` (an OCTET STRING around the
//! point), `CKA_EC_PARAMS` (a named-curve OID) and PKCS#1 `DigestInfo` prefixes.

use kms_api::mech::Hash;

/// Encodes a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// DER OCTET STRING around `content`.
pub fn octet_string(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(0x04);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// The content of a DER OCTET STRING that spans all of `der`, if it is one.
pub fn parse_octet_string(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x04 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        if len < 0x80 || rest[0] == 0 {
            return None; // not minimal: not DER
        }
        (len, &rest[n..])
    };
    (rest.len() == len).then_some(rest)
}

/// Splits the first DER TLV off `der`: `(tag, content, rest)`. Definite, minimal lengths only
/// (up to 4 length bytes); `None` for anything else.
pub fn split_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        if len < 0x80 {
            return None; // not minimal: not DER
        }
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Splits a DER `DigestInfo` into its hash and digest, for the hashes `CKM_RSA_PKCS` signing
/// accepts (SHA-2: SHA-256, SHA-384, SHA-512); `None` for anything else.
pub fn parse_digest_info(data: &[u8]) -> Option<(Hash, &[u8])> {
    Hash::parse_digest_info(data)
        .filter(|(h, _)| matches!(h, Hash::Sha256 | Hash::Sha384 | Hash::Sha512))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_strings_round_trip() {
        let short = [7u8; 65];
        assert_eq!(&octet_string(&short)[..2], &[0x04, 0x41]);
        assert_eq!(parse_octet_string(&octet_string(&short)).unwrap(), &short);
        let long = [1u8; 200];
        assert_eq!(&octet_string(&long)[..3], &[0x04, 0x81, 200]);
        assert_eq!(parse_octet_string(&octet_string(&long)).unwrap(), &long);
        assert!(parse_octet_string(&[0x04, 0x02, 1]).is_none());
        assert!(parse_octet_string(&[0x03, 0x01, 1]).is_none());
    }

    #[test]
    fn tlvs_split_and_refuse_what_is_not_der() {
        let seq = [0x30, 0x03, 0x02, 0x01, 0x05, 0xff];
        assert_eq!(split_tlv(&seq), Some((0x30, &seq[2..5], &seq[5..])));
        let long = octet_string(&[9u8; 300]);
        assert_eq!(
            split_tlv(&long).map(|(t, c, r)| (t, c.len(), r.len())),
            Some((4, 300, 0))
        );
        assert!(split_tlv(&[0x02, 0x05, 1]).is_none(), "content cut short");
        assert!(
            split_tlv(&[0x02, 0x81, 0x05, 1, 2, 3, 4, 5]).is_none(),
            "long form for 5"
        );
        assert!(split_tlv(&[0x02, 0x80]).is_none(), "indefinite length");
        assert!(split_tlv(&[0x02]).is_none());
    }

    #[test]
    fn digest_info_parses_known_hashes_only() {
        let d = [9u8; 32];
        let di = Hash::Sha256.digest_info(&d);
        assert_eq!(parse_digest_info(&di), Some((Hash::Sha256, &d[..])));
        assert!(parse_digest_info(&di[..di.len() - 1]).is_none());
        assert!(parse_digest_info(&d).is_none());
    }
}
