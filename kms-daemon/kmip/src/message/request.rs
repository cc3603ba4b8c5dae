//! Request Message: a header and batch items (KMIP 1.4 §7.1–7.2). Decoding keeps track of what
//! it has read, so that a request that fails still yields the version and batch item IDs the
//! server needs to answer it (see [`MessageError`]).

use super::error::{BatchItemStub, MessageError, MessageErrorKind};
use super::header::RequestHeader;
use crate::codec::{structure, Field, Reader, TagSpec, Writer};
use crate::enums::Operation;
use crate::error::CodecError;
use crate::payload::RequestPayload;
use crate::ttlv::Tag;
use crate::ttlv::{self, Item, Limits};
use crate::version::ProtocolVersion;

/// A request batch item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestBatchItem {
    /// Ephemeral (2.0): do not keep the object made.
    pub ephemeral: Option<bool>,
    /// Unique Batch Item ID: required when a batch has more than one item.
    pub id: Option<Vec<u8>>,
    /// The payload, which also gives the Operation.
    pub payload: RequestPayload,
    /// Message Extension, as received.
    pub message_extension: Option<Item>,
}

impl RequestBatchItem {
    /// An item with only its payload.
    pub fn new(payload: RequestPayload) -> Self {
        Self {
            ephemeral: None,
            id: None,
            payload,
            message_extension: None,
        }
    }

    /// The item's Operation.
    pub fn operation(&self) -> Operation {
        self.payload.operation()
    }

    /// The operation and ID of this item.
    fn stub(&self) -> BatchItemStub {
        BatchItemStub {
            operation: Some(self.operation()),
            id: self.id.clone(),
        }
    }

    /// Reads a batch item, noting its operation and ID in `stub` as they are read.
    fn decode(
        item: &Item,
        version: ProtocolVersion,
        stub: &mut BatchItemStub,
    ) -> Result<Self, CodecError> {
        let mut reader = Reader::new(item, version)?;
        let operation: Operation = reader.req(Tag::OPERATION)?;
        stub.operation = Some(operation);
        let ephemeral = reader.opt(TagSpec::v2(Tag::EPHEMERAL))?;
        let id: Option<Vec<u8>> = reader.opt(Tag::UNIQUE_BATCH_ITEM_ID)?;
        stub.id.clone_from(&id);
        let payload = reader
            .next_if(Tag::REQUEST_PAYLOAD)
            .ok_or(CodecError::Missing {
                tag: Tag::REQUEST_PAYLOAD,
                parent: item.tag,
            })?;
        let payload = RequestPayload::decode(operation, payload, version)?;
        let message_extension = reader.opt(Tag::MESSAGE_EXTENSION)?;
        reader.finish()?;
        Ok(Self {
            ephemeral,
            id,
            payload,
            message_extension,
        })
    }

    fn encode(&self, version: ProtocolVersion) -> Result<Item, CodecError> {
        let mut writer = Writer::new(version);
        writer.req(Tag::OPERATION, &self.operation())?;
        writer.opt(TagSpec::v2(Tag::EPHEMERAL), &self.ephemeral)?;
        writer.opt(Tag::UNIQUE_BATCH_ITEM_ID, &self.id)?;
        writer.item(self.payload.encode(Tag::REQUEST_PAYLOAD, version)?);
        writer.opt(Tag::MESSAGE_EXTENSION, &self.message_extension)?;
        Ok(writer.finish(Tag::BATCH_ITEM))
    }
}

/// A Request Message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestMessage {
    /// Request Header; its Protocol Version decides the encoding.
    pub header: RequestHeader,
    /// Batch items, in order.
    pub items: Vec<RequestBatchItem>,
}

impl RequestMessage {
    /// A request of `items`, with the header's Batch Count set to their number.
    pub fn new(header: RequestHeader, items: Vec<RequestBatchItem>) -> Self {
        Self {
            header: RequestHeader {
                batch_count: count(items.len()),
                ..header
            },
            items,
        }
    }

    /// Decodes a request within [`Limits::DEFAULT`].
    pub fn decode(bytes: &[u8]) -> Result<Self, MessageError> {
        Self::decode_with(bytes, &Limits::DEFAULT)
    }

    /// Decodes a request within `limits`. On failure the error carries the request's version
    /// and batch items as far as they could be read, even when the TTLV itself is broken after
    /// the header.
    pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Self, MessageError> {
        let error = match ttlv::decode_with(bytes, limits) {
            Ok(item) => return Self::from_ttlv(&item),
            Err(error) => error,
        };
        // Read what precedes the broken item, for the version and the batch items before it.
        let children = match ttlv::decode_prefix(bytes, limits) {
            Some((Tag::REQUEST_MESSAGE, children)) => children,
            _ => return Err(MessageError::headless(error)),
        };
        let context = match Self::from_items(&children) {
            Ok(request) => MessageError {
                version: Some(request.header.protocol_version),
                batch_items: request.items.iter().map(RequestBatchItem::stub).collect(),
                ..MessageError::headless(error.clone())
            },
            Err(partial) => partial,
        };
        Err(MessageError {
            kind: error.into(),
            ..context
        })
    }

    /// Reads a request from its TTLV.
    pub fn from_ttlv(item: &Item) -> Result<Self, MessageError> {
        if item.tag != Tag::REQUEST_MESSAGE {
            let unexpected = CodecError::Unexpected {
                tag: item.tag,
                parent: Tag::REQUEST_MESSAGE,
            };
            return Err(MessageError::headless(unexpected));
        }
        let children = structure(item).map_err(MessageError::headless)?;
        Self::from_items(children)
    }

    /// Reads a request from the items of its Request Message structure.
    fn from_items(children: &[Item]) -> Result<Self, MessageError> {
        let Some((first, rest)) = children.split_first() else {
            let missing = CodecError::Missing {
                tag: Tag::REQUEST_HEADER,
                parent: Tag::REQUEST_MESSAGE,
            };
            return Err(MessageError::headless(missing));
        };
        if first.tag != Tag::REQUEST_HEADER {
            let missing = CodecError::Missing {
                tag: Tag::REQUEST_HEADER,
                parent: Tag::REQUEST_MESSAGE,
            };
            return Err(MessageError::headless(missing));
        }
        // The header's fields are the same in every version.
        let header =
            RequestHeader::decode(first, ProtocolVersion::V1_0).map_err(MessageError::headless)?;
        let version = header.protocol_version;
        let mut error = MessageError {
            kind: MessageErrorKind::UnsupportedVersion(version),
            version: Some(version),
            batch_items: Vec::new(),
        };
        if !version.is_supported() {
            return Err(error);
        }
        let mut items = Vec::with_capacity(rest.len());
        for child in rest {
            let mut stub = BatchItemStub::default();
            let decoded = if child.tag == Tag::BATCH_ITEM {
                RequestBatchItem::decode(child, version, &mut stub)
            } else {
                Err(CodecError::Unexpected {
                    tag: child.tag,
                    parent: Tag::REQUEST_MESSAGE,
                })
            };
            error.batch_items.push(stub);
            match decoded {
                Ok(item) => items.push(item),
                Err(codec) => {
                    return Err(MessageError {
                        kind: codec.into(),
                        ..error
                    })
                }
            }
        }
        if usize::try_from(header.batch_count).ok() != Some(items.len()) {
            let bad = CodecError::BadValue {
                tag: Tag::BATCH_COUNT,
                reason: "does not match the batch items",
            };
            return Err(MessageError {
                kind: bad.into(),
                ..error
            });
        }
        Ok(Self { header, items })
    }

    /// The request as TTLV, in the encoding of its header's Protocol Version; Batch Count is
    /// written from the number of items.
    pub fn to_ttlv(&self) -> Result<Item, CodecError> {
        let version = self.header.protocol_version;
        let header = RequestHeader {
            batch_count: count(self.items.len()),
            ..self.header.clone()
        };
        let mut items = vec![header.encode(Tag::REQUEST_HEADER, version)?];
        for item in &self.items {
            items.push(item.encode(version)?);
        }
        Ok(Item::structure(Tag::REQUEST_MESSAGE, items))
    }

    /// The request as TTLV bytes.
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        Ok(self.to_ttlv()?.to_bytes())
    }
}

/// A batch count as the Integer the header carries.
pub(crate) fn count(items: usize) -> i32 {
    i32::try_from(items).unwrap_or(i32::MAX)
}
