//! Managed objects (KMIP 1.4 §2.2, KMIP 2.0 §2.2): keys in Key Blocks, certificates, secret data
//! and opaque objects — what Register carries and Get returns.

use crate::attr::{Attribute, INLINE_ATTRIBUTES};
use crate::codec::{kmip_struct, wrong_type, Field, Reader, Writer};
use crate::enums::{
    CertificateType, CryptographicAlgorithm, KeyCompressionType, KeyFormatType, ObjectType,
    OpaqueDataType, SecretDataType,
};
use crate::error::CodecError;
use crate::params::KeyWrappingData;
use crate::ttlv::Tag;
use crate::ttlv::{Item, ItemType, Value};
use crate::version::ProtocolVersion;

/// Key Material: bytes for the Raw, Opaque, PKCS#1, PKCS#8, X.509 and ECPrivateKey formats; a
/// structure (kept as TTLV) for the Transparent formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// The key's bytes in its Key Format Type.
    Bytes(Vec<u8>),
    /// A Transparent key structure (Modulus, Private Exponent…), as received.
    Structure(Item),
}

/// Key Value: the key material (and attributes bound to it), or the bytes that wrap them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyValue {
    /// A clear Key Value structure.
    Plain {
        /// Key Material.
        material: KeyMaterial,
        /// Attributes wrapped with the key (inline in 1.x, an Attributes structure in 2.0).
        attributes: Vec<Attribute>,
    },
    /// A wrapped Key Value: the bytes that the Key Wrapping Data describes.
    Wrapped(Vec<u8>),
}

impl Field for KeyValue {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        if let Value::ByteString(bytes) = &item.value {
            return Ok(Self::Wrapped(bytes.clone()));
        }
        let mut reader = Reader::new(item, version)?;
        let material = match reader.next_if(Tag::KEY_MATERIAL) {
            None => {
                return Err(CodecError::Missing {
                    tag: Tag::KEY_MATERIAL,
                    parent: item.tag,
                })
            }
            Some(Item {
                value: Value::ByteString(bytes),
                ..
            }) => KeyMaterial::Bytes(bytes.clone()),
            Some(
                structure @ Item {
                    value: Value::Structure(_),
                    ..
                },
            ) => KeyMaterial::Structure(structure.clone()),
            Some(other) => return Err(wrong_type(other, ItemType::ByteString)),
        };
        let attributes = reader.attrs(INLINE_ATTRIBUTES)?;
        reader.finish()?;
        Ok(Self::Plain {
            material,
            attributes,
        })
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        let (material, attributes) = match self {
            Self::Wrapped(bytes) => return Ok(Item::new(tag, Value::ByteString(bytes.clone()))),
            Self::Plain {
                material,
                attributes,
            } => (material, attributes),
        };
        let mut writer = Writer::new(version);
        writer.item(match material {
            KeyMaterial::Bytes(bytes) => {
                Item::new(Tag::KEY_MATERIAL, Value::ByteString(bytes.clone()))
            }
            KeyMaterial::Structure(item) => Item::new(Tag::KEY_MATERIAL, item.value.clone()),
        });
        writer.attrs(INLINE_ATTRIBUTES, attributes)?;
        Ok(writer.finish(tag))
    }
}

kmip_struct! {
    /// Key Block: a key, its format, and how it is wrapped if it is.
    KeyBlock {
        /// Key Format Type.
        key_format_type: req KeyFormatType = Tag::KEY_FORMAT_TYPE,
        /// Key Compression Type.
        key_compression_type: opt KeyCompressionType = Tag::KEY_COMPRESSION_TYPE,
        /// Key Value.
        key_value: req KeyValue = Tag::KEY_VALUE,
        /// Cryptographic Algorithm.
        cryptographic_algorithm: opt CryptographicAlgorithm = Tag::CRYPTOGRAPHIC_ALGORITHM,
        /// Cryptographic Length in bits.
        cryptographic_length: opt i32 = Tag::CRYPTOGRAPHIC_LENGTH,
        /// Key Wrapping Data, when the Key Value is wrapped.
        key_wrapping_data: opt KeyWrappingData = Tag::KEY_WRAPPING_DATA,
    }
}

kmip_struct! {
    /// A Symmetric Key, Public Key or Private Key object: one Key Block.
    KeyObject {
        /// Key Block.
        key_block: req KeyBlock = Tag::KEY_BLOCK,
    }
}

kmip_struct! {
    /// A Secret Data object (a password, a seed).
    SecretData {
        /// Secret Data Type.
        secret_data_type: req SecretDataType = Tag::SECRET_DATA_TYPE,
        /// Key Block.
        key_block: req KeyBlock = Tag::KEY_BLOCK,
    }
}

kmip_struct! {
    /// A Certificate object.
    Certificate {
        /// Certificate Type.
        certificate_type: req CertificateType = Tag::CERTIFICATE_TYPE,
        /// Certificate Value (DER for X.509).
        certificate_value: req Vec<u8> = Tag::CERTIFICATE_VALUE,
    }
}

kmip_struct! {
    /// An Opaque Object: bytes the server does not interpret.
    OpaqueObject {
        /// Opaque Data Type.
        opaque_data_type: req OpaqueDataType = Tag::OPAQUE_DATA_TYPE,
        /// Opaque Data Value.
        opaque_data_value: req Vec<u8> = Tag::OPAQUE_DATA_VALUE,
    }
}

/// A managed object, told apart by its tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManagedObject {
    /// Certificate.
    Certificate(Certificate),
    /// Symmetric Key.
    SymmetricKey(KeyObject),
    /// Public Key.
    PublicKey(KeyObject),
    /// Private Key.
    PrivateKey(KeyObject),
    /// Secret Data.
    SecretData(SecretData),
    /// Opaque Object.
    OpaqueObject(OpaqueObject),
    /// Another object (Split Key, Template, PGP Key), as received.
    Other(Item),
}

impl ManagedObject {
    /// The tags managed objects can have (KMIP 2.0's Certificate Request object is not among
    /// them: a Register of one fails to decode, and is answered Invalid Message).
    pub(crate) const TAGS: [Tag; 9] = [
        Tag::CERTIFICATE,
        Tag::SYMMETRIC_KEY,
        Tag::PUBLIC_KEY,
        Tag::PRIVATE_KEY,
        Tag::SECRET_DATA,
        Tag::OPAQUE_OBJECT,
        Tag::SPLIT_KEY,
        Tag::TEMPLATE,
        Tag::PGP_KEY,
    ];

    /// The Object Type of this object, if it is one of the typed ones.
    pub fn object_type(&self) -> Option<ObjectType> {
        Some(match self {
            Self::Certificate(_) => ObjectType::Certificate,
            Self::SymmetricKey(_) => ObjectType::SymmetricKey,
            Self::PublicKey(_) => ObjectType::PublicKey,
            Self::PrivateKey(_) => ObjectType::PrivateKey,
            Self::SecretData(_) => ObjectType::SecretData,
            Self::OpaqueObject(_) => ObjectType::OpaqueObject,
            Self::Other(_) => return None,
        })
    }

    /// Reads the object `item` is, by its tag.
    pub(crate) fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        Ok(match item.tag {
            Tag::CERTIFICATE => Self::Certificate(Field::decode(item, version)?),
            Tag::SYMMETRIC_KEY => Self::SymmetricKey(Field::decode(item, version)?),
            Tag::PUBLIC_KEY => Self::PublicKey(Field::decode(item, version)?),
            Tag::PRIVATE_KEY => Self::PrivateKey(Field::decode(item, version)?),
            Tag::SECRET_DATA => Self::SecretData(Field::decode(item, version)?),
            Tag::OPAQUE_OBJECT => Self::OpaqueObject(Field::decode(item, version)?),
            _ => Self::Other(item.clone()),
        })
    }

    /// The object as an item with its own tag.
    pub(crate) fn encode(&self, version: ProtocolVersion) -> Result<Item, CodecError> {
        match self {
            Self::Certificate(object) => object.encode(Tag::CERTIFICATE, version),
            Self::SymmetricKey(object) => object.encode(Tag::SYMMETRIC_KEY, version),
            Self::PublicKey(object) => object.encode(Tag::PUBLIC_KEY, version),
            Self::PrivateKey(object) => object.encode(Tag::PRIVATE_KEY, version),
            Self::SecretData(object) => object.encode(Tag::SECRET_DATA, version),
            Self::OpaqueObject(object) => object.encode(Tag::OPAQUE_OBJECT, version),
            Self::Other(item) => Ok(item.clone()),
        }
    }

    /// Reads the managed object that comes next in `reader`.
    pub(crate) fn read(reader: &mut Reader<'_>, parent: Tag) -> Result<Self, CodecError> {
        let version = reader.version();
        let item = Self::TAGS
            .iter()
            .find_map(|&tag| reader.next_if(tag))
            .ok_or(CodecError::Missing {
                tag: Tag::KEY_BLOCK,
                parent,
            })?;
        Self::decode(item, version)
    }
}
