//! Byte strings on the wire: base64 (standard alphabet, padded) inside JSON strings.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// Public bytes (identifiers, public keys, ciphertexts, signatures).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

/// Secret bytes (PINs, plaintexts, key values): wiped on drop, never printed by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes(v.to_vec())
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(v))
    }
}

impl From<&[u8]> for SecretBytes {
    fn from(v: &[u8]) -> Self {
        SecretBytes(Zeroizing::new(v.to_vec()))
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn encode<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    // The encoded form of a secret is wiped as soon as it has been written out.
    let text = Zeroizing::new(STANDARD.encode(v));
    s.serialize_str(&text)
}

fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = Zeroizing::new(String::deserialize(d)?);
    STANDARD
        .decode(text.as_bytes())
        .map_err(|_| serde::de::Error::custom("invalid base64"))
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        encode(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d).map(Bytes)
    }
}

impl Serialize for SecretBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        encode(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(d).map(|v| SecretBytes(Zeroizing::new(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_redaction() {
        let b = Bytes(vec![0, 1, 2, 255]);
        let j = serde_json::to_string(&b).unwrap();
        assert_eq!(j, "\"AAEC/w==\"");
        assert_eq!(serde_json::from_str::<Bytes>(&j).unwrap(), b);
        let s = SecretBytes::from(b"1234".as_slice());
        assert!(!format!("{s:?}").contains("1234"));
        assert!(serde_json::from_str::<Bytes>("\"***\"").is_err());
    }
}
