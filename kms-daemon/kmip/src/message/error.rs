//! A request that did not decode, with what the server still needs to answer it.

use crate::enums::{Operation, ResultReason};
use crate::error::CodecError;
use crate::ttlv::TtlvError;
use crate::version::ProtocolVersion;

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
