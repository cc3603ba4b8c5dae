//! Request and response payloads, one typed variant per operation served, chosen by the batch
//! item's Operation. Any other operation's payload is kept as TTLV (`Unparsed`), so the server
//! can answer it with Operation Not Supported in a well-formed response.

mod attributes;
mod crypto;
mod lifecycle;
mod objects;

pub use attributes::{
    AddAttributeRequest, AttributeChangeResponse, DeleteAttributeRequest, GetAttributeListResponse,
    GetAttributesRequest, GetAttributesResponse, LocateRequest, LocateResponse,
    ModifyAttributeRequest, SetAttributeRequest,
};
pub use crypto::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, KeyUse, MacRequest,
    MacResponse, MacVerifyRequest, MacVerifyResponse, MultiPart, SignRequest, SignResponse,
    SignatureVerifyRequest, SignatureVerifyResponse,
};
pub use lifecycle::{
    Check, DiscoverVersions, GetUsageAllocationRequest, IdRequest, IdResponse, QueryRequest,
    QueryResponse, RevokeRequest,
};
pub use objects::{
    CreateKeyPairRequest, CreateKeyPairResponse, CreateRequest, CreateResponse, DeriveKeyRequest,
    DeriveKeyResponse, GetRequest, GetResponse, ReKeyRequest, ReKeyResponse, RegisterRequest,
    RegisterResponse,
};

use crate::codec::Field;
use crate::enums::Operation;
use crate::error::CodecError;
use crate::ttlv::Item;
use crate::ttlv::Tag;
use crate::version::ProtocolVersion;

/// Whether the typed model reads `operation` in `version`: Set Attribute has no KMIP 1.x form.
fn typed_in(operation: Operation, version: ProtocolVersion) -> bool {
    operation != Operation::SetAttribute || version.is_v2()
}

/// Declares a payload enum: one variant per operation (named as in [`Operation`]) and its type.
macro_rules! payloads {
    ($(#[$meta:meta])* $name:ident { $($variant:ident($t:ty),)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[allow(
            clippy::large_enum_variant,
            reason = "one payload per batch item, built once and moved a few times: boxing would buy nothing"
        )]
        pub enum $name {
            $(#[doc = concat!("The payload of `Operation::", stringify!($variant), "`.")] $variant($t),)*
            /// The payload of an operation the typed model does not read, as received.
            Unparsed {
                /// The batch item's operation.
                operation: Operation,
                /// The payload structure.
                payload: Item,
            },
        }

        impl $name {
            /// The operation this payload belongs to.
            pub fn operation(&self) -> Operation {
                match self {
                    $(Self::$variant(_) => Operation::$variant,)*
                    Self::Unparsed { operation, .. } => *operation,
                }
            }

            /// Reads the payload of `operation` from `item`.
            pub(crate) fn decode(
                operation: Operation,
                item: &Item,
                version: ProtocolVersion,
            ) -> Result<Self, CodecError> {
                if !typed_in(operation, version) {
                    return Ok(Self::Unparsed { operation, payload: item.clone() });
                }
                Ok(match Operation::from_u32(operation.to_u32()) {
                    $(Operation::$variant => Self::$variant(Field::decode(item, version)?),)*
                    _ => Self::Unparsed { operation, payload: item.clone() },
                })
            }

            /// The payload as an item tagged `tag`.
            pub(crate) fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
                match self {
                    $(Self::$variant(payload) => payload.encode(tag, version),)*
                    Self::Unparsed { payload, .. } => Ok(Item::new(tag, payload.value.clone())),
                }
            }
        }
    };
}

payloads! {
    /// A Request Payload.
    RequestPayload {
        Create(CreateRequest),
        CreateKeyPair(CreateKeyPairRequest),
        Register(RegisterRequest),
        ReKey(ReKeyRequest),
        DeriveKey(DeriveKeyRequest),
        Locate(LocateRequest),
        Check(Check),
        Get(GetRequest),
        GetAttributes(GetAttributesRequest),
        GetAttributeList(IdRequest),
        AddAttribute(AddAttributeRequest),
        ModifyAttribute(ModifyAttributeRequest),
        DeleteAttribute(DeleteAttributeRequest),
        SetAttribute(SetAttributeRequest),
        GetUsageAllocation(GetUsageAllocationRequest),
        Activate(IdRequest),
        Revoke(RevokeRequest),
        Destroy(IdRequest),
        Query(QueryRequest),
        DiscoverVersions(DiscoverVersions),
        Encrypt(EncryptRequest),
        Decrypt(DecryptRequest),
        Sign(SignRequest),
        SignatureVerify(SignatureVerifyRequest),
        Mac(MacRequest),
        MacVerify(MacVerifyRequest),
    }
}

payloads! {
    /// A Response Payload.
    ResponsePayload {
        Create(CreateResponse),
        CreateKeyPair(CreateKeyPairResponse),
        Register(RegisterResponse),
        ReKey(ReKeyResponse),
        DeriveKey(DeriveKeyResponse),
        Locate(LocateResponse),
        Check(Check),
        Get(GetResponse),
        GetAttributes(GetAttributesResponse),
        GetAttributeList(GetAttributeListResponse),
        AddAttribute(AttributeChangeResponse),
        ModifyAttribute(AttributeChangeResponse),
        DeleteAttribute(AttributeChangeResponse),
        SetAttribute(IdResponse),
        GetUsageAllocation(IdResponse),
        Activate(IdResponse),
        Revoke(IdResponse),
        Destroy(IdResponse),
        Query(QueryResponse),
        DiscoverVersions(DiscoverVersions),
        Encrypt(EncryptResponse),
        Decrypt(DecryptResponse),
        Sign(SignResponse),
        SignatureVerify(SignatureVerifyResponse),
        Mac(MacResponse),
        MacVerify(MacVerifyResponse),
    }
}
