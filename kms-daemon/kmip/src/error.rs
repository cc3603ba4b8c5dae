//! Errors above TTLV: a structure that is well-formed TTLV but not the KMIP message it should be
//! ([`CodecError`]). A request that cannot be decoded at all is a `message::MessageError`.

use crate::ttlv::ItemType;
use crate::ttlv::Tag;
use crate::version::ProtocolVersion;

/// A TTLV structure that is not the KMIP structure expected: answered with Result Reason
/// Invalid Message (or Invalid Field). When encoding, only [`CodecError::NotInVersion`] occurs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// A required field is absent.
    #[error("{tag} missing in {parent}")]
    Missing {
        /// The field.
        tag: Tag,
        /// The structure that should hold it.
        parent: Tag,
    },
    /// An item that is not the next field of its structure (unknown, repeated, or out of the
    /// specification's order).
    #[error("{tag} unexpected in {parent}")]
    Unexpected {
        /// The item's tag.
        tag: Tag,
        /// The structure that holds it.
        parent: Tag,
    },
    /// A field of the wrong type.
    #[error("{tag} is a {found:?}, not a {expected:?}")]
    WrongType {
        /// The field.
        tag: Tag,
        /// The type the specification gives it.
        expected: ItemType,
        /// The type found.
        found: ItemType,
    },
    /// A field whose value is not allowed (a negative Batch Count, a count that does not match…).
    #[error("{tag}: {reason}")]
    BadValue {
        /// The field.
        tag: Tag,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A field or operation the message's protocol version cannot carry (SetAttribute in 1.x, a
    /// Template-Attribute in 2.0 …).
    #[error("{tag} cannot be carried by KMIP {version}")]
    NotInVersion {
        /// The field.
        tag: Tag,
        /// The message's version.
        version: ProtocolVersion,
    },
}
