//! Why a byte string is not a TTLV message within the limits. Every variant names the byte offset
//! (from the start of the input) of the item header at fault, so that a log line points at it.

use super::ItemType;
use super::Tag;

/// A TTLV decoding failure. The server answers it with Result Reason Invalid Message when the
/// request header could be read, and closes the connection when it could not.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TtlvError {
    /// The input ends inside an item header or before the end of a declared value: the peer
    /// sent less than it announced.
    #[error("truncated at byte {offset}: {needed} more bytes announced than present")]
    Truncated {
        /// Offset of the item whose header or value is cut.
        offset: usize,
        /// How many bytes are missing.
        needed: usize,
    },
    /// An item runs past the end of the structure that holds it.
    #[error("item at byte {offset} runs {excess} bytes past the end of its structure")]
    Overrun {
        /// Offset of the item.
        offset: usize,
        /// How many bytes it runs over.
        excess: usize,
    },
    /// The value fits but its padding to 8 bytes does not: the structure or the input ends
    /// inside the padding.
    #[error("item at byte {offset}: padding cut short")]
    BadPadding {
        /// Offset of the item.
        offset: usize,
    },
    /// A padding byte is not zero (KMIP requires zero padding).
    #[error("item at byte {offset}: non-zero padding")]
    NonZeroPadding {
        /// Offset of the item.
        offset: usize,
    },
    /// The type byte names no TTLV type.
    #[error("item at byte {offset}: unknown type 0x{code:02x}")]
    UnknownType {
        /// Offset of the item.
        offset: usize,
        /// The type byte.
        code: u8,
    },
    /// The declared length is not one the type allows (4 for Integer, 8 for Long Integer, a
    /// multiple of 8 for Big Integer and Structure…).
    #[error("item at byte {offset}: length {length} is wrong for a {item_type:?}")]
    WrongLength {
        /// Offset of the item.
        offset: usize,
        /// The item's type.
        item_type: ItemType,
        /// The declared length.
        length: u32,
    },
    /// A Boolean whose value is neither 0 nor 1.
    #[error("item at byte {offset}: boolean value {value} is neither 0 nor 1")]
    BadBoolean {
        /// Offset of the item.
        offset: usize,
        /// The value found.
        value: u64,
    },
    /// A Text String that is not UTF-8.
    #[error("item at byte {offset} ({tag}): text is not UTF-8")]
    InvalidUtf8 {
        /// Offset of the item.
        offset: usize,
        /// Its tag.
        tag: Tag,
    },
    /// Structures nest deeper than [`Limits::max_depth`](super::Limits::max_depth).
    #[error("item at byte {offset}: structures nest deeper than {limit}")]
    TooDeep {
        /// Offset of the first item past the bound.
        offset: usize,
        /// The bound.
        limit: usize,
    },
    /// The message holds more items than [`Limits::max_items`](super::Limits::max_items).
    #[error("item at byte {offset}: more than {limit} items")]
    TooManyItems {
        /// Offset of the first item past the bound.
        offset: usize,
        /// The bound.
        limit: usize,
    },
    /// The message is larger than [`Limits::max_message`](super::Limits::max_message): refused
    /// from its header, before its body is read.
    #[error("message of {length} bytes is over the limit of {limit}")]
    TooLarge {
        /// The message's length, header included.
        length: u64,
        /// The bound.
        limit: usize,
    },
    /// Bytes follow the one top-level item.
    #[error("{count} bytes follow the message that ends at byte {offset}")]
    TrailingBytes {
        /// Where the message ends.
        offset: usize,
        /// How many bytes follow.
        count: usize,
    },
    /// A message must be one structure (Request Message or Response Message).
    #[error("a message starts with a {found:?}, not a structure")]
    NotAStructure {
        /// The type found.
        found: ItemType,
    },
}
