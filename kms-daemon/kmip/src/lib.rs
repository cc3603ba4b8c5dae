//! KMIP wire codec for kmsd's KMIP front end: a bounded TTLV decoder and encoder, the tag and
//! enumeration tables of KMIP 1.0–1.4 and 2.0, attributes, parameters and managed objects.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attr;
mod codec;
pub mod enums;
mod error;
pub mod object;
pub mod params;
pub mod tags;
pub mod ttlv;
mod version;

pub use codec::{BigInt, DateTime};
pub use error::{BatchItemStub, CodecError, MessageError, MessageErrorKind};
pub use tags::Tag;
pub use ttlv::{Item, ItemType, Limits, TtlvError, Value};
pub use version::ProtocolVersion;
