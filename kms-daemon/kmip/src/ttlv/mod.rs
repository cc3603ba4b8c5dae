//! TTLV, KMIP's binary encoding: every item is a 3-byte tag, a 1-byte type, a 4-byte big-endian
//! length and a value padded with zeros to a multiple of 8 bytes (KMIP 1.4 §9.1, KMIP 2.0 §9.1).
//!
//! [`decode`] is total over untrusted bytes: every input gives an [`Item`] or a typed
//! [`TtlvError`], within the [`Limits`]; [`Item::to_bytes`] is its inverse.

mod decode;
mod error;
mod frame;

pub(crate) use decode::decode_prefix;
pub use decode::{decode, decode_with};
pub use error::TtlvError;
pub use frame::{frame_length, read_frame, FrameError, HEADER_LEN};

/// A 3-byte KMIP tag: 0x42xxxx are the standard's, 0x54xxxx are extensions. Their names are
/// [`crate::tags`]'s table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u32);

/// The type byte of an item (KMIP 1.4 §9.1.1.2; Date-Time Extended is KMIP 2.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemType {
    /// 0x01: a sequence of items.
    Structure,
    /// 0x02: a signed 32-bit integer.
    Integer,
    /// 0x03: a signed 64-bit integer.
    LongInteger,
    /// 0x04: a signed big-endian two's-complement integer, a multiple of 8 bytes long.
    BigInteger,
    /// 0x05: an unsigned 32-bit enumeration value.
    Enumeration,
    /// 0x06: a 64-bit 0 or 1.
    Boolean,
    /// 0x07: UTF-8 text.
    TextString,
    /// 0x08: bytes.
    ByteString,
    /// 0x09: seconds since the Unix epoch, signed 64-bit.
    DateTime,
    /// 0x0A: an unsigned 32-bit number of seconds.
    Interval,
    /// 0x0B (KMIP 2.0): microseconds since the Unix epoch, signed 64-bit.
    DateTimeExtended,
}

impl ItemType {
    /// The type byte on the wire.
    pub const fn code(self) -> u8 {
        match self {
            Self::Structure => 0x01,
            Self::Integer => 0x02,
            Self::LongInteger => 0x03,
            Self::BigInteger => 0x04,
            Self::Enumeration => 0x05,
            Self::Boolean => 0x06,
            Self::TextString => 0x07,
            Self::ByteString => 0x08,
            Self::DateTime => 0x09,
            Self::Interval => 0x0A,
            Self::DateTimeExtended => 0x0B,
        }
    }

    /// The type of a type byte, if it names one.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x01 => Self::Structure,
            0x02 => Self::Integer,
            0x03 => Self::LongInteger,
            0x04 => Self::BigInteger,
            0x05 => Self::Enumeration,
            0x06 => Self::Boolean,
            0x07 => Self::TextString,
            0x08 => Self::ByteString,
            0x09 => Self::DateTime,
            0x0A => Self::Interval,
            0x0B => Self::DateTimeExtended,
            _ => return None,
        })
    }

    /// The one length a fixed-size type must declare (`None` for the variable-length ones).
    pub const fn fixed_len(self) -> Option<usize> {
        match self {
            Self::Integer | Self::Enumeration | Self::Interval => Some(4),
            Self::LongInteger | Self::Boolean | Self::DateTime | Self::DateTimeExtended => Some(8),
            Self::Structure | Self::BigInteger | Self::TextString | Self::ByteString => None,
        }
    }
}

/// A decoded value; the variant is the item's type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// The items of a structure, in wire order.
    Structure(Vec<Item>),
    /// A 32-bit integer.
    Integer(i32),
    /// A 64-bit integer.
    LongInteger(i64),
    /// A big-endian two's-complement integer; its length is a multiple of 8 on the wire.
    BigInteger(Vec<u8>),
    /// An enumeration value (or, for tags such as Attribute Reference, a tag value).
    Enumeration(u32),
    /// A boolean.
    Boolean(bool),
    /// UTF-8 text.
    TextString(String),
    /// Bytes.
    ByteString(Vec<u8>),
    /// Seconds since the Unix epoch.
    DateTime(i64),
    /// A number of seconds.
    Interval(u32),
    /// Microseconds since the Unix epoch (KMIP 2.0).
    DateTimeExtended(i64),
}

impl Value {
    /// The type of this value.
    pub const fn item_type(&self) -> ItemType {
        match self {
            Self::Structure(_) => ItemType::Structure,
            Self::Integer(_) => ItemType::Integer,
            Self::LongInteger(_) => ItemType::LongInteger,
            Self::BigInteger(_) => ItemType::BigInteger,
            Self::Enumeration(_) => ItemType::Enumeration,
            Self::Boolean(_) => ItemType::Boolean,
            Self::TextString(_) => ItemType::TextString,
            Self::ByteString(_) => ItemType::ByteString,
            Self::DateTime(_) => ItemType::DateTime,
            Self::Interval(_) => ItemType::Interval,
            Self::DateTimeExtended(_) => ItemType::DateTimeExtended,
        }
    }
}

/// One TTLV item: a tag and a typed value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    /// The item's tag.
    pub tag: Tag,
    /// The item's value (and so its type).
    pub value: Value,
}

impl Item {
    /// An item from its parts.
    pub const fn new(tag: Tag, value: Value) -> Self {
        Self { tag, value }
    }

    /// A structure holding `items`.
    pub const fn structure(tag: Tag, items: Vec<Item>) -> Self {
        Self::new(tag, Value::Structure(items))
    }

    /// The items of a structure, or `None` for any other type.
    pub fn children(&self) -> Option<&[Item]> {
        match &self.value {
            Value::Structure(items) => Some(items),
            _ => None,
        }
    }
}

/// Bounds the decoder holds any input to. A message over them is refused before anything in it
/// is allocated for; what is allocated stays proportional to the input (at most one `Item` per
/// 8 input bytes, and strings no longer than the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message, header included, in bytes.
    pub max_message: usize,
    /// Deepest nesting of structures; the outermost item is at depth 1.
    pub max_depth: usize,
    /// Most items in one message, structures included.
    pub max_items: usize,
}

impl Limits {
    /// 1 MiB, 16 levels, 65,536 items: far above any message of the operations served (a
    /// Register of a 4096-bit transparent RSA key is under 4 KiB and 6 levels), far below what
    /// could hurt the daemon.
    pub const DEFAULT: Self = Self {
        max_message: 1 << 20,
        max_depth: 16,
        max_items: 1 << 16,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

// The encoder: the inverse of the decoder for every item it accepts.
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

#[cfg(test)]
mod tests;
