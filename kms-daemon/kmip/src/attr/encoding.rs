//! The two encodings of attributes and of references to them.
//!
//! | | KMIP 1.x | KMIP 2.0 |
//! |---|---|---|
//! | one attribute | `Attribute` { Attribute Name, Attribute Index?, Attribute Value } | the value, tagged with the attribute's tag |
//! | a set (Create, Register…) | `Template-Attribute` { Attribute* } | `Attributes` { values } |
//! | a set inline (Locate, Get Attributes response, Key Value) | Attribute* | `Attributes` { values } |
//! | one to add/change (Add, Modify, Set) | `Attribute` | `New Attribute` { value }, `Current Attribute` { value } |
//! | a reference (Get Attributes, Delete Attribute) | Attribute Name (text) | Attribute Reference: Enumeration of the tag, or { Vendor Identification, Attribute Name } |

use super::{Attribute, AttributeValue};
use crate::codec::{structure, wrong_type, Field, Reader, TagSpec, Writer};
use crate::error::CodecError;
use crate::ttlv::Tag;
use crate::ttlv::{Item, ItemType, Value};
use crate::version::ProtocolVersion;

/// A Template-Attribute (KMIP 1.x) or an Attributes structure (KMIP 2.0): a set of attributes
/// for a new object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributeList(pub Vec<Attribute>);

/// A set of attributes inline in 1.x and in an `Attributes` structure in 2.0.
pub(crate) const INLINE_ATTRIBUTES: TagSpec = TagSpec::both(Tag::ATTRIBUTE, Tag::ATTRIBUTES);

impl Attribute {
    /// The KMIP 1.x Attribute Name of this attribute.
    fn name_v1(&self, version: ProtocolVersion) -> Result<String, CodecError> {
        if let AttributeValue::Custom { name, .. } = &self.value {
            return Ok(name.clone());
        }
        let tag = self.value.tag().unwrap_or(Tag::ATTRIBUTE_NAME);
        match tag.info() {
            Some(row) if row.attribute => Ok(row.name.to_owned()),
            _ => Err(CodecError::NotInVersion { tag, version }),
        }
    }

    /// Reads a KMIP 2.0 attribute: an item tagged with the attribute's tag.
    fn decode_v2(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        Ok(Self::new(AttributeValue::decode(item.tag, item, version)?))
    }

    /// Writes a KMIP 2.0 attribute (its index, which 2.0 does not have, is dropped).
    fn encode_v2(&self, version: ProtocolVersion) -> Result<Item, CodecError> {
        let tag = self.value.tag().ok_or(CodecError::NotInVersion {
            tag: Tag::ATTRIBUTE_NAME,
            version,
        })?;
        self.value.encode(tag, version)
    }
}

/// An attribute in a field: in 1.x an `Attribute` structure; in 2.0 a structure (New Attribute,
/// Current Attribute) holding the attribute's item.
impl Field for Attribute {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        if version.is_v2() {
            return match structure(item)? {
                [only] => Self::decode_v2(only, version),
                [] => Err(CodecError::Missing {
                    tag: Tag::ATTRIBUTE,
                    parent: item.tag,
                }),
                [_, extra, ..] => Err(CodecError::Unexpected {
                    tag: extra.tag,
                    parent: item.tag,
                }),
            };
        }
        let mut reader = Reader::new(item, version)?;
        let name: String = reader.req(Tag::ATTRIBUTE_NAME)?;
        let index = reader.opt(Tag::ATTRIBUTE_INDEX)?;
        let value_item = reader
            .next_if(Tag::ATTRIBUTE_VALUE)
            .ok_or(CodecError::Missing {
                tag: Tag::ATTRIBUTE_VALUE,
                parent: item.tag,
            })?;
        reader.finish()?;
        let value = match Tag::of_attribute_name(&name) {
            Some(tag) => AttributeValue::decode(tag, value_item, version)?,
            None => AttributeValue::Custom {
                name,
                value: value_item.value.clone(),
            },
        };
        Ok(Self { index, value })
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        if version.is_v2() {
            return Ok(Item::structure(tag, vec![self.encode_v2(version)?]));
        }
        let mut writer = Writer::new(version);
        writer.req(Tag::ATTRIBUTE_NAME, &self.name_v1(version)?)?;
        writer.opt(Tag::ATTRIBUTE_INDEX, &self.index)?;
        writer.item(self.value.encode(Tag::ATTRIBUTE_VALUE, version)?);
        Ok(writer.finish(tag))
    }
}

impl Field for AttributeList {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        if version.is_v2() {
            let attributes = structure(item)?
                .iter()
                .map(|child| Attribute::decode_v2(child, version));
            return attributes.collect::<Result<_, _>>().map(Self);
        }
        let mut reader = Reader::new(item, version)?;
        let attributes = reader.many(Tag::ATTRIBUTE)?;
        reader.finish()?;
        Ok(Self(attributes))
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        if version.is_v2() {
            let items = self.0.iter().map(|attribute| attribute.encode_v2(version));
            return Ok(Item::structure(tag, items.collect::<Result<_, _>>()?));
        }
        let mut writer = Writer::new(version);
        writer.many(Tag::ATTRIBUTE, &self.0)?;
        Ok(writer.finish(tag))
    }
}

impl Reader<'_> {
    /// Attributes inline (1.x) or in an optional `Attributes` structure (2.0).
    pub(crate) fn attrs(&mut self, spec: TagSpec) -> Result<Vec<Attribute>, CodecError> {
        if self.version().is_v2() {
            Ok(self
                .opt::<AttributeList>(spec)?
                .map(|list| list.0)
                .unwrap_or_default())
        } else {
            self.many(spec)
        }
    }
}

impl Writer {
    /// Attributes inline (1.x) or in an `Attributes` structure when there are any (2.0).
    pub(crate) fn attrs(
        &mut self,
        spec: TagSpec,
        attributes: &[Attribute],
    ) -> Result<(), CodecError> {
        if !self.version().is_v2() {
            return self.many(spec, attributes);
        }
        if attributes.is_empty() {
            return Ok(());
        }
        self.req(spec, &AttributeList(attributes.to_vec()))
    }
}

/// Which attribute a request means: an Attribute Name in KMIP 1.x, an Attribute Reference in 2.0.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttributeRef {
    /// A standard attribute, by tag.
    Tag(Tag),
    /// A custom (1.x) or vendor (2.0) attribute, by name.
    Custom {
        /// Vendor Identification (2.0 only).
        vendor: Option<String>,
        /// Attribute Name.
        name: String,
    },
}

impl Field for AttributeRef {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        match &item.value {
            Value::TextString(name) if !version.is_v2() => Ok(match Tag::of_attribute_name(name) {
                Some(tag) => Self::Tag(tag),
                None => Self::Custom {
                    vendor: None,
                    name: name.clone(),
                },
            }),
            Value::Enumeration(tag) if version.is_v2() => Ok(Self::Tag(Tag(*tag))),
            Value::Structure(_) if version.is_v2() => {
                let mut reader = Reader::new(item, version)?;
                let vendor = reader.opt(Tag::VENDOR_IDENTIFICATION)?;
                let name = reader.req(Tag::ATTRIBUTE_NAME)?;
                reader.finish()?;
                Ok(Self::Custom { vendor, name })
            }
            _ if version.is_v2() => Err(wrong_type(item, ItemType::Enumeration)),
            _ => Err(wrong_type(item, ItemType::TextString)),
        }
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        match self {
            Self::Tag(attribute) if version.is_v2() => {
                Ok(Item::new(tag, Value::Enumeration(attribute.0)))
            }
            Self::Tag(attribute) => match attribute.info() {
                Some(row) if row.attribute => {
                    Ok(Item::new(tag, Value::TextString(row.name.to_owned())))
                }
                _ => Err(CodecError::NotInVersion {
                    tag: *attribute,
                    version,
                }),
            },
            Self::Custom { name, .. } if !version.is_v2() => {
                Ok(Item::new(tag, Value::TextString(name.clone())))
            }
            Self::Custom { vendor, name } => {
                let mut writer = Writer::new(version);
                writer.opt(Tag::VENDOR_IDENTIFICATION, vendor)?;
                writer.req(Tag::ATTRIBUTE_NAME, name)?;
                Ok(writer.finish(tag))
            }
        }
    }
}
