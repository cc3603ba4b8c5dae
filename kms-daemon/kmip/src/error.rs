//! Errors above TTLV: a structure that is well-formed TTLV but not the KMIP message it should be
//! ([`CodecError`]), and a request that cannot be decoded, with what the server needs to answer
//! it anyway ([`MessageError`]).

use crate::enums::{Operation, ResultReason};
use crate::tags::Tag;
use crate::ttlv::{ItemType, TtlvError};
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

/// What went wrong in a request that did not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageErrorKind {
    /// The bytes are not TTLV within the limits.
    #[error(transparent)]
    Ttlv(#[from] TtlvError),
    /// The TTLV is not a KMIP request.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The request's protocol version is not one this codec reads.
    #[error("protocol version {0} is not supported")]
    UnsupportedVersion(ProtocolVersion),
}

/// A batch item of a request that did not decode, as far as it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchItemStub {
    /// Its Operation, if read.
    pub operation: Option<Operation>,
    /// Its Unique Batch Item ID, if it has one and it was read.
    pub id: Option<Vec<u8>>,
}

/// A request that did not decode, with what was read of it before the failure. When
/// [`version`](Self::version) is `Some`, the header decoded and the server answers with a
/// well-formed ResponseMessage (see [`MessageError::response`]); when it is `None` nothing can
/// be answered and the server closes the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid KMIP request: {kind}")]
pub struct MessageError {
    /// The failure.
    pub kind: MessageErrorKind,
    /// The request's protocol version, if its header decoded (it may be one this codec does not
    /// support: see [`MessageErrorKind::UnsupportedVersion`]).
    pub version: Option<ProtocolVersion>,
    /// The batch items read before the failure, then the one that failed as far as it was read.
    pub batch_items: Vec<BatchItemStub>,
}

impl MessageError {
    /// An error found before the header decoded.
    pub(crate) fn headless(kind: impl Into<MessageErrorKind>) -> Self {
        Self {
            kind: kind.into(),
            version: None,
            batch_items: Vec::new(),
        }
    }

    /// The Result Reason to answer with: Operation Not Supported when the failing item's
    /// operation is one KMIP does not define, Invalid Message for any other failure to decode
    /// (KMIP 1.4 §11 "Error Handling").
    pub fn result_reason(&self) -> ResultReason {
        match self.batch_items.last().and_then(|item| item.operation) {
            Some(Operation::Other(_)) => ResultReason::OperationNotSupported,
            _ => ResultReason::InvalidMessage,
        }
    }
}
