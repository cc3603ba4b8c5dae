//! KMIP wire codec for kmsd's KMIP front end: a bounded TTLV decoder and encoder, the tag and
//! enumeration tables of KMIP 1.0–1.4 and 2.0, and typed request and response messages.
//!
//! Layers, bottom up:
//! - [`ttlv`]: bytes ↔ [`Item`]s. Total over untrusted input (every input is an item or a
//!   [`TtlvError`]), bounded by [`Limits`]; [`ttlv::read_frame`] frames messages on a stream.
//! - [`tags`] and [`enums`]: the specification's tables as data.
//! - [`RequestMessage`] / [`ResponseMessage`]: items ↔ typed messages. The typed model is one
//!   for all versions; the header's [`ProtocolVersion`] decides the encoding where 1.x and 2.0
//!   differ (attributes, Locate, Get Attributes, the attribute operations).
//!
//! A request that does not decode gives a [`MessageError`] that still carries the version and
//! batch items read, so that the server can answer with a well-formed response
//! ([`MessageError::response`]) rather than drop the connection.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attr;
mod codec;
pub mod enums;
mod error;
pub mod message;
pub mod object;
pub mod params;
pub mod payload;
pub mod tags;
pub mod ttlv;
mod version;

pub use codec::{BigInt, DateTime};
pub use error::CodecError;
pub use message::{BatchItemStub, MessageError, MessageErrorKind};
pub use message::{RequestBatchItem, RequestMessage, ResponseBatchItem, ResponseMessage};
pub use ttlv::Tag;
pub use ttlv::{Item, ItemType, Limits, TtlvError, Value};
pub use version::ProtocolVersion;
