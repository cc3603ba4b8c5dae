//! Payloads of the attribute operations and of Locate (KMIP 1.4 §4.9, 4.12–4.16; KMIP 2.0
//! §6.1.1, .13, .22, .23, .27, .31, .50). Where 1.x and 2.0 differ, the fields are the union and
//! each names the version that carries it.

use crate::attr::{Attribute, AttributeRef, INLINE_ATTRIBUTES};
use crate::codec::{kmip_struct, TagSpec};
use crate::enums::ObjectGroupMember;
use crate::ttlv::Tag;

/// An attribute reference: Attribute Name in 1.x, Attribute Reference in 2.0.
const REFERENCE: TagSpec = TagSpec::both(Tag::ATTRIBUTE_NAME, Tag::ATTRIBUTE_REFERENCE);
/// The attribute to add or set: Attribute in 1.x, New Attribute in 2.0.
const NEW: TagSpec = TagSpec::both(Tag::ATTRIBUTE, Tag::NEW_ATTRIBUTE);
/// The attribute a 1.x response echoes.
const ECHOED: TagSpec = TagSpec::v1(Tag::ATTRIBUTE);

kmip_struct! {
    /// Get Attributes request.
    #[derive(Default)]
    GetAttributesRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// The attributes wanted (none: all of them).
        references: many AttributeRef = REFERENCE,
    }
}

kmip_struct! {
    /// Get Attributes response.
    GetAttributesResponse {
        /// Unique Identifier.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// The attributes found.
        attributes: attrs Vec<Attribute> = INLINE_ATTRIBUTES,
    }
}

kmip_struct! {
    /// Get Attribute List response.
    GetAttributeListResponse {
        /// Unique Identifier.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// The attributes the object has.
        references: many AttributeRef = REFERENCE,
    }
}

kmip_struct! {
    /// Add Attribute request.
    AddAttributeRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// The attribute to add.
        attribute: req Attribute = NEW,
    }
}

kmip_struct! {
    /// Response of Add Attribute, Modify Attribute and Delete Attribute.
    AttributeChangeResponse {
        /// Unique Identifier.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// The attribute as added, modified or deleted (1.x only).
        attribute: opt Attribute = ECHOED,
    }
}

kmip_struct! {
    /// Modify Attribute request.
    ModifyAttributeRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// The instance to change (2.0; 1.x names it by the new attribute's index).
        current_attribute: opt Attribute = TagSpec::v2(Tag::CURRENT_ATTRIBUTE),
        /// The new value.
        new_attribute: req Attribute = NEW,
    }
}

kmip_struct! {
    /// Delete Attribute request: 1.x names the attribute and an index; 2.0 gives the instance
    /// (Current Attribute) or a reference to all of them.
    #[derive(Default)]
    DeleteAttributeRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// The instance to delete (2.0).
        current_attribute: opt Attribute = TagSpec::v2(Tag::CURRENT_ATTRIBUTE),
        /// The attribute to delete (required in 1.x).
        reference: opt AttributeRef = REFERENCE,
        /// Attribute Index (1.x).
        index: opt i32 = TagSpec::v1(Tag::ATTRIBUTE_INDEX),
    }
}

kmip_struct! {
    /// Set Attribute request (2.0): set a single-valued attribute, adding it if absent.
    SetAttributeRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// The attribute.
        new_attribute: req Attribute = TagSpec::v2(Tag::NEW_ATTRIBUTE),
    }
}

kmip_struct! {
    /// Locate request.
    #[derive(Default)]
    LocateRequest {
        /// Maximum Items to return.
        maximum_items: opt i32 = Tag::MAXIMUM_ITEMS,
        /// Offset Items: how many matches to skip (1.3 onwards).
        offset_items: opt i32 = Tag::OFFSET_ITEMS,
        /// Storage Status Mask (on-line, archived, destroyed).
        storage_status_mask: opt i32 = Tag::STORAGE_STATUS_MASK,
        /// Object Group Member (1.1 onwards).
        object_group_member: opt ObjectGroupMember = Tag::OBJECT_GROUP_MEMBER,
        /// The attributes an object must have to match.
        attributes: attrs Vec<Attribute> = INLINE_ATTRIBUTES,
    }
}

kmip_struct! {
    /// Locate response.
    #[derive(Default)]
    LocateResponse {
        /// Located Items: how many matched in all (1.3 onwards).
        located_items: opt i32 = Tag::LOCATED_ITEMS,
        /// Unique Identifiers of the objects returned.
        unique_identifiers: many String = Tag::UNIQUE_IDENTIFIER,
    }
}
