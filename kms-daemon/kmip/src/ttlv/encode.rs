//! The TTLV encoder: the inverse of the decoder for every item it accepts.

use super::{Item, Value};

impl Item {
    /// The item as TTLV bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// Appends the item's TTLV bytes to `out`.
    ///
    /// A Big Integer whose length is not a multiple of 8 is sign-extended on the left to one;
    /// lengths above `u32::MAX` (4 GiB) cannot be framed and are not supported.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let tag = self.tag.0.to_be_bytes();
        out.extend_from_slice(&tag[1..]);
        out.push(self.value.item_type().code());
        let length_at = out.len();
        out.extend_from_slice(&[0; 4]);
        let start = out.len();
        match &self.value {
            Value::Structure(items) => items.iter().for_each(|item| item.encode(out)),
            Value::Integer(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Enumeration(v) | Value::Interval(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::LongInteger(v) | Value::DateTime(v) | Value::DateTimeExtended(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Value::Boolean(v) => out.extend_from_slice(&u64::from(*v).to_be_bytes()),
            Value::BigInteger(bytes) => {
                let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                out.resize(out.len() + (8 - bytes.len() % 8) % 8, fill);
                out.extend_from_slice(bytes);
            }
            Value::TextString(text) => out.extend_from_slice(text.as_bytes()),
            Value::ByteString(bytes) => out.extend_from_slice(bytes),
        }
        let length = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
        out[length_at..start].copy_from_slice(&length.to_be_bytes());
        out.resize(out.len() + (8 - (out.len() - start) % 8) % 8, 0);
    }

    /// How many bytes [`to_bytes`](Self::to_bytes) writes.
    pub fn encoded_len(&self) -> usize {
        let value = match &self.value {
            Value::Structure(items) => items.iter().map(Item::encoded_len).sum(),
            Value::BigInteger(bytes) => bytes.len().div_ceil(8) * 8,
            Value::TextString(text) => text.len(),
            Value::ByteString(bytes) => bytes.len(),
            other => other.item_type().fixed_len().unwrap_or(0),
        };
        8 + value.div_ceil(8) * 8
    }
}
