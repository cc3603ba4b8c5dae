//! Response Message: a header and one batch item per request item, each with its result
//! (KMIP 1.4 §7.1–7.3), and the response that answers a request that did not decode.

use super::error::{MessageError, MessageErrorKind};
use super::header::ResponseHeader;
use super::request::count;
use crate::codec::{structure, DateTime, Field, Reader, Writer};
use crate::enums::{Operation, ResultReason, ResultStatus};
use crate::error::CodecError;
use crate::payload::ResponsePayload;
use crate::ttlv::Tag;
use crate::ttlv::{self, Item, Limits};
use crate::version::ProtocolVersion;

/// A response batch item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseBatchItem {
    /// Operation: that of the request item (absent only when the request's was unreadable).
    pub operation: Option<Operation>,
    /// Unique Batch Item ID of the request item.
    pub id: Option<Vec<u8>>,
    /// Result Status.
    pub result_status: ResultStatus,
    /// Result Reason: required when the status is a failure.
    pub result_reason: Option<ResultReason>,
    /// Result Message: a human-readable explanation.
    pub result_message: Option<String>,
    /// Asynchronous Correlation Value (for a pending result).
    pub asynchronous_correlation_value: Option<Vec<u8>>,
    /// Response Payload: present on success.
    pub payload: Option<ResponsePayload>,
    /// Message Extension.
    pub message_extension: Option<Item>,
}

impl ResponseBatchItem {
    /// A successful item carrying `payload`.
    pub fn success(id: Option<Vec<u8>>, payload: ResponsePayload) -> Self {
        Self {
            operation: Some(payload.operation()),
            id,
            result_status: ResultStatus::Success,
            result_reason: None,
            result_message: None,
            asynchronous_correlation_value: None,
            payload: Some(payload),
            message_extension: None,
        }
    }

    /// A failed item.
    pub fn failure(
        operation: Option<Operation>,
        id: Option<Vec<u8>>,
        reason: ResultReason,
        message: &str,
    ) -> Self {
        Self {
            operation,
            id,
            result_status: ResultStatus::OperationFailed,
            result_reason: Some(reason),
            result_message: (!message.is_empty()).then(|| message.to_owned()),
            asynchronous_correlation_value: None,
            payload: None,
            message_extension: None,
        }
    }

    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        let mut reader = Reader::new(item, version)?;
        let operation: Option<Operation> = reader.opt(Tag::OPERATION)?;
        let id = reader.opt(Tag::UNIQUE_BATCH_ITEM_ID)?;
        let result_status = reader.req(Tag::RESULT_STATUS)?;
        let result_reason = reader.opt(Tag::RESULT_REASON)?;
        let result_message = reader.opt(Tag::RESULT_MESSAGE)?;
        let asynchronous_correlation_value = reader.opt(Tag::ASYNCHRONOUS_CORRELATION_VALUE)?;
        let payload = match (reader.next_if(Tag::RESPONSE_PAYLOAD), operation) {
            (None, _) => None,
            (Some(payload), Some(operation)) => {
                Some(ResponsePayload::decode(operation, payload, version)?)
            }
            (Some(_), None) => {
                return Err(CodecError::Missing {
                    tag: Tag::OPERATION,
                    parent: item.tag,
                })
            }
        };
        let message_extension = reader.opt(Tag::MESSAGE_EXTENSION)?;
        reader.finish()?;
        Ok(Self {
            operation,
            id,
            result_status,
            result_reason,
            result_message,
            asynchronous_correlation_value,
            payload,
            message_extension,
        })
    }

    fn encode(&self, version: ProtocolVersion) -> Result<Item, CodecError> {
        let mut writer = Writer::new(version);
        writer.opt(Tag::OPERATION, &self.operation)?;
        writer.opt(Tag::UNIQUE_BATCH_ITEM_ID, &self.id)?;
        writer.req(Tag::RESULT_STATUS, &self.result_status)?;
        writer.opt(Tag::RESULT_REASON, &self.result_reason)?;
        writer.opt(Tag::RESULT_MESSAGE, &self.result_message)?;
        writer.opt(
            Tag::ASYNCHRONOUS_CORRELATION_VALUE,
            &self.asynchronous_correlation_value,
        )?;
        if let Some(payload) = &self.payload {
            writer.item(payload.encode(Tag::RESPONSE_PAYLOAD, version)?);
        }
        writer.opt(Tag::MESSAGE_EXTENSION, &self.message_extension)?;
        Ok(writer.finish(Tag::BATCH_ITEM))
    }
}

/// A Response Message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseMessage {
    /// Response Header; its Protocol Version decides the encoding.
    pub header: ResponseHeader,
    /// Batch items, in the order of the request's.
    pub items: Vec<ResponseBatchItem>,
}

impl ResponseMessage {
    /// A response of `items`, with the header's Batch Count set to their number.
    pub fn new(header: ResponseHeader, items: Vec<ResponseBatchItem>) -> Self {
        Self {
            header: ResponseHeader {
                batch_count: count(items.len()),
                ..header
            },
            items,
        }
    }

    /// Decodes a response within [`Limits::DEFAULT`] (what a client, or a test, does).
    pub fn decode(bytes: &[u8]) -> Result<Self, MessageError> {
        let item = ttlv::decode_with(bytes, &Limits::DEFAULT).map_err(MessageError::headless)?;
        Self::from_ttlv(&item).map_err(MessageError::headless)
    }

    /// Reads a response from its TTLV.
    pub fn from_ttlv(item: &Item) -> Result<Self, CodecError> {
        if item.tag != Tag::RESPONSE_MESSAGE {
            return Err(CodecError::Unexpected {
                tag: item.tag,
                parent: Tag::RESPONSE_MESSAGE,
            });
        }
        let children = structure(item)?;
        let missing = CodecError::Missing {
            tag: Tag::RESPONSE_HEADER,
            parent: Tag::RESPONSE_MESSAGE,
        };
        let (first, rest) = children.split_first().ok_or(missing.clone())?;
        if first.tag != Tag::RESPONSE_HEADER {
            return Err(missing);
        }
        let header = ResponseHeader::decode(first, ProtocolVersion::V1_0)?;
        let version = header.protocol_version;
        let items = rest
            .iter()
            .map(|child| match child.tag {
                Tag::BATCH_ITEM => ResponseBatchItem::decode(child, version),
                tag => Err(CodecError::Unexpected {
                    tag,
                    parent: Tag::RESPONSE_MESSAGE,
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if usize::try_from(header.batch_count).ok() != Some(items.len()) {
            return Err(CodecError::BadValue {
                tag: Tag::BATCH_COUNT,
                reason: "does not match the batch items",
            });
        }
        Ok(Self { header, items })
    }

    /// The response as TTLV, in the encoding of its header's Protocol Version; Batch Count is
    /// written from the number of items.
    pub fn to_ttlv(&self) -> Result<Item, CodecError> {
        let version = self.header.protocol_version;
        let header = ResponseHeader {
            batch_count: count(self.items.len()),
            ..self.header.clone()
        };
        let mut items = vec![header.encode(Tag::RESPONSE_HEADER, version)?];
        for item in &self.items {
            items.push(item.encode(version)?);
        }
        Ok(Item::structure(Tag::RESPONSE_MESSAGE, items))
    }

    /// The response as TTLV bytes.
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        Ok(self.to_ttlv()?.to_bytes())
    }
}

impl MessageError {
    /// The response to a request that did not decode, in `version` (the request's when this
    /// codec supports it, else the one the server picks): one failed batch item per batch item
    /// read (or one without an ID when none was), with [`result_reason`](Self::result_reason)
    /// and `message`. `None` when the request's header did not decode: the server closes the
    /// connection instead.
    pub fn response(
        &self,
        fallback: ProtocolVersion,
        time_stamp: DateTime,
        message: &str,
    ) -> Option<ResponseMessage> {
        let requested = self.version?;
        let version = if requested.is_supported() {
            requested
        } else {
            fallback
        };
        let reason = match self.kind {
            MessageErrorKind::UnsupportedVersion(_) if version.is_v2() => {
                ResultReason::UnsupportedProtocolVersion
            }
            _ => self.result_reason(),
        };
        let mut items: Vec<_> = self
            .batch_items
            .iter()
            .map(|stub| {
                ResponseBatchItem::failure(stub.operation, stub.id.clone(), reason, message)
            })
            .collect();
        if items.is_empty() {
            items.push(ResponseBatchItem::failure(None, None, reason, message));
        }
        Some(ResponseMessage::new(
            ResponseHeader::new(version, time_stamp),
            items,
        ))
    }
}
