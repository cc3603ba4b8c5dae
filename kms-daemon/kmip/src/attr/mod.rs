//! Attributes: one typed model, two encodings. KMIP 1.x carries an attribute as an `Attribute`
//! structure (Attribute Name text, Attribute Index, Attribute Value) inside Template-Attribute
//! structures; KMIP 2.0 carries it as an item tagged with the attribute's own tag inside an
//! `Attributes` structure, and names it by Attribute Reference. The private `encoding` module does both; this
//! module holds the typed values.

mod encoding;

pub(crate) use encoding::INLINE_ATTRIBUTES;
pub use encoding::{AttributeList, AttributeRef};

use crate::codec::{kmip_struct, DateTime, Field};
use crate::enums::{
    CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm, LinkType, NameType,
    ObjectType, RevocationReasonCode, State, UsageMask,
};
use crate::error::CodecError;
use crate::params::CryptographicParameters;
use crate::ttlv::Tag;
use crate::ttlv::{Item, Value};
use crate::version::ProtocolVersion;

/// One attribute instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute Index (KMIP 1.x only; 2.0 has no index and drops it when encoding).
    pub index: Option<i32>,
    /// The attribute and its value.
    pub value: AttributeValue,
}

impl Attribute {
    /// An attribute without an index.
    pub fn new(value: AttributeValue) -> Self {
        Self { index: None, value }
    }
}

impl From<AttributeValue> for Attribute {
    fn from(value: AttributeValue) -> Self {
        Self::new(value)
    }
}

kmip_struct! {
    /// Name: a label of an object (KMIP 1.4 §3.2).
    Name {
        /// Name Value.
        value: req String = Tag::NAME_VALUE,
        /// Name Type.
        name_type: req NameType = Tag::NAME_TYPE,
    }
}

kmip_struct! {
    /// Link: a typed reference to another object (KMIP 1.4 §3.35).
    Link {
        /// Link Type.
        link_type: req LinkType = Tag::LINK_TYPE,
        /// Linked Object Identifier.
        linked_object_identifier: req String = Tag::LINKED_OBJECT_IDENTIFIER,
    }
}

kmip_struct! {
    /// Revocation Reason (KMIP 1.4 §3.31).
    RevocationReason {
        /// Revocation Reason Code.
        code: req RevocationReasonCode = Tag::REVOCATION_REASON_CODE,
        /// Revocation Message.
        message: opt String = Tag::REVOCATION_MESSAGE,
    }
}

kmip_struct! {
    /// Application Specific Information (KMIP 1.4 §3.36).
    ApplicationSpecificInformation {
        /// Application Namespace.
        namespace: req String = Tag::APPLICATION_NAMESPACE,
        /// Application Data (required in 1.x, optional in 2.0).
        data: opt String = Tag::APPLICATION_DATA,
    }
}

/// Declares [`AttributeValue`]: one variant per typed attribute, with its tag and value type.
macro_rules! attribute_values {
    ($($variant:ident($t:ty) = $tag:ident,)*) => {
        /// An attribute's value, typed for the attributes the server reads and writes; others are
        /// kept as TTLV values so that they travel unchanged.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum AttributeValue {
            $(#[doc = concat!("The `", stringify!($tag), "` attribute.")] $variant($t),)*
            /// A custom attribute of KMIP 1.x, named by text (`x-…` set by clients, `y-…` by servers).
            Custom {
                /// Attribute Name.
                name: String,
                /// Attribute Value.
                value: Value,
            },
            /// Any other attribute, by tag: a standard one not typed here, or a KMIP 2.0 extension.
            Other {
                /// The attribute's tag.
                tag: Tag,
                /// Its value.
                value: Value,
            },
        }

        impl AttributeValue {
            /// The attribute's tag (`None` for a 1.x custom attribute, named by text only).
            pub fn tag(&self) -> Option<Tag> {
                match self {
                    $(Self::$variant(_) => Some(Tag::$tag),)*
                    Self::Custom { .. } => None,
                    Self::Other { tag, .. } => Some(*tag),
                }
            }

            /// The value of the attribute `tag` from `item` (whatever `item`'s own tag is).
            pub(crate) fn decode(tag: Tag, item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
                let item = &Item::new(tag, item.value.clone());
                $(if tag == Tag::$tag {
                    return Ok(Self::$variant(<$t as Field>::decode(item, version)?));
                })*
                Ok(Self::Other { tag, value: item.value.clone() })
            }

            /// The value as an item tagged `tag`.
            pub(crate) fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
                match self {
                    $(Self::$variant(value) => value.encode(tag, version),)*
                    Self::Custom { value, .. } | Self::Other { value, .. } => Ok(Item::new(tag, value.clone())),
                }
            }
        }
    };
}

attribute_values! {
    UniqueIdentifier(String) = UNIQUE_IDENTIFIER,
    Name(Name) = NAME,
    ObjectType(ObjectType) = OBJECT_TYPE,
    CryptographicAlgorithm(CryptographicAlgorithm) = CRYPTOGRAPHIC_ALGORITHM,
    CryptographicLength(i32) = CRYPTOGRAPHIC_LENGTH,
    CryptographicParameters(CryptographicParameters) = CRYPTOGRAPHIC_PARAMETERS,
    CertificateType(CertificateType) = CERTIFICATE_TYPE,
    CertificateLength(i32) = CERTIFICATE_LENGTH,
    DigitalSignatureAlgorithm(DigitalSignatureAlgorithm) = DIGITAL_SIGNATURE_ALGORITHM,
    OperationPolicyName(String) = OPERATION_POLICY_NAME,
    CryptographicUsageMask(UsageMask) = CRYPTOGRAPHIC_USAGE_MASK,
    LeaseTime(u32) = LEASE_TIME,
    State(State) = STATE,
    InitialDate(DateTime) = INITIAL_DATE,
    ActivationDate(DateTime) = ACTIVATION_DATE,
    ProcessStartDate(DateTime) = PROCESS_START_DATE,
    ProtectStopDate(DateTime) = PROTECT_STOP_DATE,
    DeactivationDate(DateTime) = DEACTIVATION_DATE,
    DestroyDate(DateTime) = DESTROY_DATE,
    CompromiseOccurrenceDate(DateTime) = COMPROMISE_OCCURRENCE_DATE,
    CompromiseDate(DateTime) = COMPROMISE_DATE,
    RevocationReason(RevocationReason) = REVOCATION_REASON,
    ArchiveDate(DateTime) = ARCHIVE_DATE,
    ObjectGroup(String) = OBJECT_GROUP,
    Fresh(bool) = FRESH,
    Link(Link) = LINK,
    ApplicationSpecificInformation(ApplicationSpecificInformation) = APPLICATION_SPECIFIC_INFORMATION,
    ContactInformation(String) = CONTACT_INFORMATION,
    LastChangeDate(DateTime) = LAST_CHANGE_DATE,
    KeyValuePresent(bool) = KEY_VALUE_PRESENT,
    OriginalCreationDate(DateTime) = ORIGINAL_CREATION_DATE,
    Description(String) = DESCRIPTION,
    Comment(String) = COMMENT,
    Sensitive(bool) = SENSITIVE,
    AlwaysSensitive(bool) = ALWAYS_SENSITIVE,
    Extractable(bool) = EXTRACTABLE,
    NeverExtractable(bool) = NEVER_EXTRACTABLE,
}
