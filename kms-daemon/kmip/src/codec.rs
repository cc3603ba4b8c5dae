//! From TTLV items to typed values and back: the [`Field`] trait, a sequential [`Reader`] and a
//! [`Writer`] over a structure's items, and `kmip_struct!`, which declares a structure once as
//! its fields in wire order and derives both directions from that one list.
//!
//! Fields are read in the order the specification lists them (as every client writes them); an
//! item that is not the next expected field is refused as unexpected, so that a decoded value
//! always encodes back to the same bytes.

use crate::error::CodecError;
use crate::ttlv::Tag;
use crate::ttlv::{Item, ItemType, Value};
use crate::version::ProtocolVersion;

/// A value that is one TTLV item (its tag is given by the structure that holds it).
pub(crate) trait Field: Sized {
    /// Reads the value from `item` (whose tag the caller matched).
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError>;
    /// Writes the value as an item tagged `tag`.
    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError>;
}

/// A run of fields read from, and written into, an enclosing structure: what `kmip_struct!`
/// declares, so that one declaration can also stand inline in others (kind `flat`).
pub(crate) trait Fields: Sized {
    /// Reads the fields from `reader`, in order.
    fn read_fields(reader: &mut Reader<'_>) -> Result<Self, CodecError>;
    /// Writes the fields into `writer`, in order.
    fn write_fields(&self, writer: &mut Writer) -> Result<(), CodecError>;
}

/// The tag a field has in KMIP 1.x and in 2.0; `None` where the version has no such field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TagSpec {
    v1: Option<Tag>,
    v2: Option<Tag>,
}

impl TagSpec {
    /// A field of KMIP 1.x only.
    pub(crate) const fn v1(tag: Tag) -> Self {
        Self {
            v1: Some(tag),
            v2: None,
        }
    }
    /// A field of KMIP 2.0 only.
    pub(crate) const fn v2(tag: Tag) -> Self {
        Self {
            v1: None,
            v2: Some(tag),
        }
    }
    /// A field tagged `v1` in KMIP 1.x and `v2` in 2.0.
    pub(crate) const fn both(v1: Tag, v2: Tag) -> Self {
        Self {
            v1: Some(v1),
            v2: Some(v2),
        }
    }
    fn tag(self, version: ProtocolVersion) -> Option<Tag> {
        if version.is_v2() {
            self.v2
        } else {
            self.v1
        }
    }
    fn any_tag(self) -> Tag {
        self.v1.or(self.v2).unwrap_or(Tag(0))
    }
}

impl From<Tag> for TagSpec {
    fn from(tag: Tag) -> Self {
        Self::both(tag, tag)
    }
}

/// Reads the items of one structure in order.
pub(crate) struct Reader<'a> {
    parent: Tag,
    items: &'a [Item],
    at: usize,
    version: ProtocolVersion,
}

impl<'a> Reader<'a> {
    /// A reader over `item`, which must be a structure.
    pub(crate) fn new(item: &'a Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        let items = structure(item)?;
        Ok(Self {
            parent: item.tag,
            items,
            at: 0,
            version,
        })
    }

    /// The version the structure is read as.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The next item, if it is tagged `tag`; it is then consumed.
    pub(crate) fn next_if(&mut self, tag: Tag) -> Option<&'a Item> {
        let item = self.items.get(self.at).filter(|item| item.tag == tag)?;
        self.at += 1;
        Some(item)
    }

    /// An optional field.
    pub(crate) fn opt<T: Field>(
        &mut self,
        spec: impl Into<TagSpec>,
    ) -> Result<Option<T>, CodecError> {
        let Some(tag) = spec.into().tag(self.version) else {
            return Ok(None);
        };
        self.next_if(tag)
            .map(|item| T::decode(item, self.version))
            .transpose()
    }

    /// A required field.
    pub(crate) fn req<T: Field>(&mut self, spec: impl Into<TagSpec>) -> Result<T, CodecError> {
        let spec = spec.into();
        let tag = spec.tag(self.version).unwrap_or(spec.any_tag());
        self.opt(spec)?.ok_or(CodecError::Missing {
            tag,
            parent: self.parent,
        })
    }

    /// A field that may repeat (zero or more times, consecutively).
    pub(crate) fn many<T: Field>(
        &mut self,
        spec: impl Into<TagSpec>,
    ) -> Result<Vec<T>, CodecError> {
        let spec = spec.into();
        let mut values = Vec::new();
        while let Some(value) = self.opt(spec)? {
            values.push(value);
        }
        Ok(values)
    }

    /// Every item not read yet, kept as it is (`_from` names the first field it stands for).
    pub(crate) fn rest(&mut self, _from: impl Into<TagSpec>) -> Result<Vec<Item>, CodecError> {
        let rest = self.items[self.at..].to_vec();
        self.at = self.items.len();
        Ok(rest)
    }

    /// Fields of `T` inline here (`_at` names the first of them).
    pub(crate) fn flat<T: Fields>(&mut self, _at: impl Into<TagSpec>) -> Result<T, CodecError> {
        T::read_fields(self)
    }

    /// Ends the structure: an item left over is unexpected.
    pub(crate) fn finish(self) -> Result<(), CodecError> {
        match self.items.get(self.at) {
            None => Ok(()),
            Some(item) => Err(CodecError::Unexpected {
                tag: item.tag,
                parent: self.parent,
            }),
        }
    }
}

/// Builds the items of one structure in order.
pub(crate) struct Writer {
    items: Vec<Item>,
    version: ProtocolVersion,
}

impl Writer {
    /// An empty structure written for `version`.
    pub(crate) fn new(version: ProtocolVersion) -> Self {
        Self {
            items: Vec::new(),
            version,
        }
    }

    /// The version the structure is written for.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Appends an item as it is.
    pub(crate) fn item(&mut self, item: Item) {
        self.items.push(item);
    }

    /// A required field.
    pub(crate) fn req<T: Field>(
        &mut self,
        spec: impl Into<TagSpec>,
        value: &T,
    ) -> Result<(), CodecError> {
        let spec = spec.into();
        let tag = spec.tag(self.version).ok_or(CodecError::NotInVersion {
            tag: spec.any_tag(),
            version: self.version,
        })?;
        self.items.push(value.encode(tag, self.version)?);
        Ok(())
    }

    /// An optional field: nothing is written for `None`.
    pub(crate) fn opt<T: Field>(
        &mut self,
        spec: impl Into<TagSpec>,
        value: &Option<T>,
    ) -> Result<(), CodecError> {
        match value {
            Some(value) => self.req(spec, value),
            None => Ok(()),
        }
    }

    /// Items kept as they are, appended in order (the counterpart of [`Reader::rest`]).
    pub(crate) fn rest(
        &mut self,
        _from: impl Into<TagSpec>,
        items: &[Item],
    ) -> Result<(), CodecError> {
        self.items.extend_from_slice(items);
        Ok(())
    }

    /// Fields of `T` inline here (the counterpart of [`Reader::flat`]).
    pub(crate) fn flat<T: Fields>(
        &mut self,
        _at: impl Into<TagSpec>,
        value: &T,
    ) -> Result<(), CodecError> {
        value.write_fields(self)
    }

    /// A repeated field.
    pub(crate) fn many<T: Field>(
        &mut self,
        spec: impl Into<TagSpec>,
        values: &[T],
    ) -> Result<(), CodecError> {
        let spec = spec.into();
        values.iter().try_for_each(|value| self.req(spec, value))
    }

    /// The structure, tagged `tag`.
    pub(crate) fn finish(self, tag: Tag) -> Item {
        Item::structure(tag, self.items)
    }
}

/// The items of a structure, or a type error.
pub(crate) fn structure(item: &Item) -> Result<&[Item], CodecError> {
    item.children()
        .ok_or_else(|| wrong_type(item, ItemType::Structure))
}

/// The error for `item` not being of type `expected`.
pub(crate) fn wrong_type(item: &Item, expected: ItemType) -> CodecError {
    CodecError::WrongType {
        tag: item.tag,
        expected,
        found: item.value.item_type(),
    }
}

/// Implements [`Field`] for a type held in one variant of [`Value`].
macro_rules! scalar_field {
    ($t:ty, $variant:ident, $item_type:ident, |$v:ident| $to:expr, |$w:ident| $from:expr) => {
        impl Field for $t {
            fn decode(item: &Item, _: ProtocolVersion) -> Result<Self, CodecError> {
                match &item.value {
                    Value::$variant($v) => Ok($to),
                    _ => Err(wrong_type(item, ItemType::$item_type)),
                }
            }
            fn encode(&self, tag: Tag, _: ProtocolVersion) -> Result<Item, CodecError> {
                let $w = self;
                Ok(Item::new(tag, Value::$variant($from)))
            }
        }
    };
}

scalar_field!(String, TextString, TextString, |v| v.clone(), |w| w.clone());
scalar_field!(Vec<u8>, ByteString, ByteString, |v| v.clone(), |w| w
    .clone());
scalar_field!(i32, Integer, Integer, |v| *v, |w| *w);
scalar_field!(i64, LongInteger, LongInteger, |v| *v, |w| *w);
scalar_field!(bool, Boolean, Boolean, |v| *v, |w| *w);
scalar_field!(u32, Interval, Interval, |v| *v, |w| *w);
scalar_field!(DateTime, DateTime, DateTime, |v| DateTime(*v), |w| w.0);
scalar_field!(BigInt, BigInteger, BigInteger, |v| BigInt(v.clone()), |w| w
    .0
    .clone());

/// A Date-Time: seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub i64);

/// A Big Integer: big-endian two's complement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt(pub Vec<u8>);

/// Any item, kept as it is (for parts the typed model does not look into).
impl Field for Item {
    fn decode(item: &Item, _: ProtocolVersion) -> Result<Self, CodecError> {
        Ok(item.clone())
    }
    fn encode(&self, tag: Tag, _: ProtocolVersion) -> Result<Item, CodecError> {
        Ok(Item::new(tag, self.value.clone()))
    }
}

/// Declares a KMIP structure as its fields in wire order — `name: req|opt|many Type = tag` —
/// and implements [`Field`] for it from that list. A tag may be a [`TagSpec`] for fields that
/// differ between KMIP 1.x and 2.0.
macro_rules! kmip_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$fmeta:meta])* $field:ident: $kind:ident $ty:ty = $spec:expr,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $crate::codec::field_type!($kind $ty),)*
        }

        impl $crate::codec::Fields for $name {
            fn read_fields(reader: &mut $crate::codec::Reader<'_>) -> Result<Self, $crate::CodecError> {
                Ok(Self { $($field: reader.$kind($spec)?,)* })
            }

            fn write_fields(&self, writer: &mut $crate::codec::Writer) -> Result<(), $crate::CodecError> {
                $(writer.$kind($spec, &self.$field)?;)*
                Ok(())
            }
        }

        impl $crate::codec::Field for $name {
            fn decode(
                item: &$crate::ttlv::Item,
                version: $crate::ProtocolVersion,
            ) -> Result<Self, $crate::CodecError> {
                let mut reader = $crate::codec::Reader::new(item, version)?;
                let value = <Self as $crate::codec::Fields>::read_fields(&mut reader)?;
                reader.finish()?;
                Ok(value)
            }

            fn encode(
                &self,
                tag: $crate::ttlv::Tag,
                version: $crate::ProtocolVersion,
            ) -> Result<$crate::ttlv::Item, $crate::CodecError> {
                let mut writer = $crate::codec::Writer::new(version);
                <Self as $crate::codec::Fields>::write_fields(self, &mut writer)?;
                Ok(writer.finish(tag))
            }
        }
    };
}

/// The Rust type of a `kmip_struct!` field of kind `req`, `opt` or `many`.
macro_rules! field_type {
    (req $t:ty) => { $t };
    (opt $t:ty) => { Option<$t> };
    (many $t:ty) => { Vec<$t> };
    (attrs $t:ty) => { $t };
    (rest $t:ty) => { $t };
    (flat $t:ty) => { $t };
}

pub(crate) use {field_type, kmip_struct};

/// A Protocol Version structure (Major, Minor).
impl Field for ProtocolVersion {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        let mut reader = Reader::new(item, version)?;
        let value = Self {
            major: reader.req(Tag::PROTOCOL_VERSION_MAJOR)?,
            minor: reader.req(Tag::PROTOCOL_VERSION_MINOR)?,
        };
        reader.finish()?;
        Ok(value)
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        let mut writer = Writer::new(version);
        writer.req(Tag::PROTOCOL_VERSION_MAJOR, &self.major)?;
        writer.req(Tag::PROTOCOL_VERSION_MINOR, &self.minor)?;
        Ok(writer.finish(tag))
    }
}
