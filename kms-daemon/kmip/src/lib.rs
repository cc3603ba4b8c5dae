//! KMIP wire codec for kmsd's KMIP front end: a bounded TTLV decoder and encoder and the tag
//! table of KMIP 1.0–1.4 and 2.0.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod tags;
pub mod ttlv;

pub use tags::Tag;
pub use ttlv::{Item, ItemType, Limits, TtlvError, Value};
