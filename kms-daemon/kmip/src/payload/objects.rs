//! Payloads of the operations that make or return objects: Create, Create Key Pair, Register,
//! Get, Re-key, Derive Key (KMIP 1.4 §4.1–4.4, §4.11; KMIP 2.0 §6.1.8, .9, .18, .20, .43, .44).

use crate::attr::AttributeList;
use crate::codec::{kmip_struct, Field, Reader, TagSpec, Writer};
use crate::enums::{DerivationMethod, KeyCompressionType, KeyFormatType, KeyWrapType, ObjectType};
use crate::error::CodecError;
use crate::object::ManagedObject;
use crate::params::{
    DerivationParameters, KeyWrappingSpecification, ProtectionStorageMasks,
    PROTECTION_STORAGE_MASKS,
};
use crate::ttlv::Item;
use crate::ttlv::Tag;
use crate::version::ProtocolVersion;

/// The attributes of a new object: a Template-Attribute in 1.x, Attributes in 2.0.
pub(crate) const TEMPLATE: TagSpec = TagSpec::both(Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES);
/// The attributes the server set on a new object, which a 1.x response may return.
pub(crate) const RETURNED_TEMPLATE: TagSpec = TagSpec::v1(Tag::TEMPLATE_ATTRIBUTE);

kmip_struct! {
    /// Create request: a new symmetric key or secret.
    CreateRequest {
        /// Object Type.
        object_type: req ObjectType = Tag::OBJECT_TYPE,
        /// The new object's attributes.
        attributes: req AttributeList = TEMPLATE,
        /// Protection Storage Masks (2.0).
        protection_storage_masks: opt ProtectionStorageMasks = PROTECTION_STORAGE_MASKS,
    }
}

kmip_struct! {
    /// Create response.
    CreateResponse {
        /// Object Type.
        object_type: req ObjectType = Tag::OBJECT_TYPE,
        /// Unique Identifier of the new object.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Attributes the server set (1.x only).
        attributes: opt AttributeList = RETURNED_TEMPLATE,
    }
}

kmip_struct! {
    /// Create Key Pair request.
    #[derive(Default)]
    CreateKeyPairRequest {
        /// Attributes of both keys.
        common_attributes: opt AttributeList = TagSpec::both(Tag::COMMON_TEMPLATE_ATTRIBUTE, Tag::COMMON_ATTRIBUTES),
        /// Attributes of the private key.
        private_key_attributes: opt AttributeList =
            TagSpec::both(Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE, Tag::PRIVATE_KEY_ATTRIBUTES),
        /// Attributes of the public key.
        public_key_attributes: opt AttributeList =
            TagSpec::both(Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE, Tag::PUBLIC_KEY_ATTRIBUTES),
        /// Common Protection Storage Masks (2.0).
        common_protection_storage_masks: opt ProtectionStorageMasks = TagSpec::v2(Tag::COMMON_PROTECTION_STORAGE_MASKS),
        /// Private Protection Storage Masks (2.0).
        private_protection_storage_masks: opt ProtectionStorageMasks = TagSpec::v2(Tag::PRIVATE_PROTECTION_STORAGE_MASKS),
        /// Public Protection Storage Masks (2.0).
        public_protection_storage_masks: opt ProtectionStorageMasks = TagSpec::v2(Tag::PUBLIC_PROTECTION_STORAGE_MASKS),
    }
}

kmip_struct! {
    /// Create Key Pair response.
    CreateKeyPairResponse {
        /// Private Key Unique Identifier.
        private_key_unique_identifier: req String = Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
        /// Public Key Unique Identifier.
        public_key_unique_identifier: req String = Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER,
        /// Attributes the server set on the private key (1.x only).
        private_key_attributes: opt AttributeList = TagSpec::v1(Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE),
        /// Attributes the server set on the public key (1.x only).
        public_key_attributes: opt AttributeList = TagSpec::v1(Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE),
    }
}

/// Register request: an object the client brings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterRequest {
    /// Object Type.
    pub object_type: ObjectType,
    /// The object's attributes.
    pub attributes: AttributeList,
    /// The object.
    pub object: ManagedObject,
    /// Protection Storage Masks (2.0).
    pub protection_storage_masks: Option<ProtectionStorageMasks>,
}

impl Field for RegisterRequest {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        let mut reader = Reader::new(item, version)?;
        let value = Self {
            object_type: reader.req(Tag::OBJECT_TYPE)?,
            attributes: reader.req(TEMPLATE)?,
            object: ManagedObject::read(&mut reader, item.tag)?,
            protection_storage_masks: reader.opt(PROTECTION_STORAGE_MASKS)?,
        };
        reader.finish()?;
        Ok(value)
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        let mut writer = Writer::new(version);
        writer.req(Tag::OBJECT_TYPE, &self.object_type)?;
        writer.req(TEMPLATE, &self.attributes)?;
        writer.item(self.object.encode(version)?);
        writer.opt(PROTECTION_STORAGE_MASKS, &self.protection_storage_masks)?;
        Ok(writer.finish(tag))
    }
}

kmip_struct! {
    /// Register response.
    RegisterResponse {
        /// Unique Identifier of the registered object.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Attributes the server set (1.x only).
        attributes: opt AttributeList = RETURNED_TEMPLATE,
    }
}

kmip_struct! {
    /// Get request.
    #[derive(Default)]
    GetRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// Key Format Type wanted.
        key_format_type: opt KeyFormatType = Tag::KEY_FORMAT_TYPE,
        /// Key Wrap Type wanted (1.4 onwards).
        key_wrap_type: opt KeyWrapType = Tag::KEY_WRAP_TYPE,
        /// Key Compression Type wanted.
        key_compression_type: opt KeyCompressionType = Tag::KEY_COMPRESSION_TYPE,
        /// Key Wrapping Specification: return the key wrapped so.
        key_wrapping_specification: opt KeyWrappingSpecification = Tag::KEY_WRAPPING_SPECIFICATION,
    }
}

/// Get response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetResponse {
    /// Object Type.
    pub object_type: ObjectType,
    /// Unique Identifier.
    pub unique_identifier: String,
    /// The object.
    pub object: ManagedObject,
}

impl Field for GetResponse {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        let mut reader = Reader::new(item, version)?;
        let value = Self {
            object_type: reader.req(Tag::OBJECT_TYPE)?,
            unique_identifier: reader.req(Tag::UNIQUE_IDENTIFIER)?,
            object: ManagedObject::read(&mut reader, item.tag)?,
        };
        reader.finish()?;
        Ok(value)
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        let mut writer = Writer::new(version);
        writer.req(Tag::OBJECT_TYPE, &self.object_type)?;
        writer.req(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier)?;
        writer.item(self.object.encode(version)?);
        Ok(writer.finish(tag))
    }
}

kmip_struct! {
    /// Re-key request: a new version of a symmetric key.
    #[derive(Default)]
    ReKeyRequest {
        /// Unique Identifier of the key to replace.
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// Offset: seconds between the new key's Initialization and Activation Dates.
        offset: opt u32 = Tag::OFFSET,
        /// Attributes of the new key.
        attributes: opt AttributeList = TEMPLATE,
        /// Protection Storage Masks (2.0).
        protection_storage_masks: opt ProtectionStorageMasks = PROTECTION_STORAGE_MASKS,
    }
}

kmip_struct! {
    /// Re-key response.
    ReKeyResponse {
        /// Unique Identifier of the new key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Attributes the server set (1.x only).
        attributes: opt AttributeList = RETURNED_TEMPLATE,
    }
}

kmip_struct! {
    /// Derive Key request.
    DeriveKeyRequest {
        /// Object Type of the new key.
        object_type: req ObjectType = Tag::OBJECT_TYPE,
        /// Unique Identifiers of the base key (and other inputs).
        object_unique_identifiers: many String = Tag::UNIQUE_IDENTIFIER,
        /// Derivation Method.
        derivation_method: req DerivationMethod = Tag::DERIVATION_METHOD,
        /// Derivation Parameters.
        derivation_parameters: req DerivationParameters = Tag::DERIVATION_PARAMETERS,
        /// Attributes of the new key.
        attributes: req AttributeList = TEMPLATE,
    }
}

kmip_struct! {
    /// Derive Key response.
    DeriveKeyResponse {
        /// Unique Identifier of the new key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Attributes the server set (1.x only).
        attributes: opt AttributeList = RETURNED_TEMPLATE,
    }
}
