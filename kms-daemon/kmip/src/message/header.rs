//! Request and response headers (KMIP 1.4 §7.2, KMIP 2.0 §8) and the Authentication they carry.

use crate::codec::{kmip_struct, DateTime, Field, Reader, TagSpec, Writer};
use crate::enums::{BatchErrorContinuationOption, CredentialType};
use crate::error::CodecError;
use crate::params::UsernamePassword;
use crate::ttlv::Item;
use crate::ttlv::Tag;
use crate::version::ProtocolVersion;

/// A Credential Value, typed for the Username and Password credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialValue {
    /// Username and Password.
    UsernamePassword(UsernamePassword),
    /// Any other credential type's value (Device, Attestation, the 2.0 ones), as received.
    Other(Item),
}

/// A Credential: a type and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// Credential Type.
    pub credential_type: CredentialType,
    /// Credential Value.
    pub value: CredentialValue,
}

impl Field for Credential {
    fn decode(item: &Item, version: ProtocolVersion) -> Result<Self, CodecError> {
        let mut reader = Reader::new(item, version)?;
        let credential_type: CredentialType = reader.req(Tag::CREDENTIAL_TYPE)?;
        let value = match credential_type {
            CredentialType::UsernameAndPassword => {
                CredentialValue::UsernamePassword(reader.req(Tag::CREDENTIAL_VALUE)?)
            }
            _ => CredentialValue::Other(reader.req(Tag::CREDENTIAL_VALUE)?),
        };
        reader.finish()?;
        Ok(Self {
            credential_type,
            value,
        })
    }

    fn encode(&self, tag: Tag, version: ProtocolVersion) -> Result<Item, CodecError> {
        let mut writer = Writer::new(version);
        writer.req(Tag::CREDENTIAL_TYPE, &self.credential_type)?;
        match &self.value {
            CredentialValue::UsernamePassword(value) => writer.req(Tag::CREDENTIAL_VALUE, value)?,
            CredentialValue::Other(value) => writer.req(Tag::CREDENTIAL_VALUE, value)?,
        }
        Ok(writer.finish(tag))
    }
}

kmip_struct! {
    /// Authentication: one Credential in 1.x, one or more in 2.0.
    Authentication {
        /// Credentials.
        credentials: many Credential = Tag::CREDENTIAL,
    }
}

kmip_struct! {
    /// Request Header.
    RequestHeader {
        /// Protocol Version: decides the encoding of the whole message.
        protocol_version: req ProtocolVersion = Tag::PROTOCOL_VERSION,
        /// Maximum Response Size in bytes.
        maximum_response_size: opt i32 = Tag::MAXIMUM_RESPONSE_SIZE,
        /// Client Correlation Value (1.4 onwards).
        client_correlation_value: opt String = Tag::CLIENT_CORRELATION_VALUE,
        /// Server Correlation Value (1.4 onwards).
        server_correlation_value: opt String = Tag::SERVER_CORRELATION_VALUE,
        /// Asynchronous Indicator.
        asynchronous_indicator: opt bool = Tag::ASYNCHRONOUS_INDICATOR,
        /// Attestation Capable Indicator (1.2 onwards).
        attestation_capable_indicator: opt bool = Tag::ATTESTATION_CAPABLE_INDICATOR,
        /// Attestation Types (1.2 onwards), as received.
        attestation_types: many Item = Tag::ATTESTATION_TYPE,
        /// Authentication.
        authentication: opt Authentication = Tag::AUTHENTICATION,
        /// Batch Error Continuation Option.
        batch_error_continuation_option: opt BatchErrorContinuationOption = Tag::BATCH_ERROR_CONTINUATION_OPTION,
        /// Batch Order Option.
        batch_order_option: opt bool = Tag::BATCH_ORDER_OPTION,
        /// Time Stamp.
        time_stamp: opt DateTime = Tag::TIME_STAMP,
        /// Batch Count: written from the number of batch items, checked against it when read.
        batch_count: req i32 = Tag::BATCH_COUNT,
    }
}

kmip_struct! {
    /// Response Header.
    ResponseHeader {
        /// Protocol Version of the response.
        protocol_version: req ProtocolVersion = Tag::PROTOCOL_VERSION,
        /// Time Stamp.
        time_stamp: req DateTime = Tag::TIME_STAMP,
        /// Nonce (1.2 onwards), as sent.
        nonce: opt Item = Tag::NONCE,
        /// Server Hashed Password (2.0).
        server_hashed_password: opt Vec<u8> = TagSpec::v2(Tag::SERVER_HASHED_PASSWORD),
        /// Attestation Types (1.2 onwards), as sent.
        attestation_types: many Item = Tag::ATTESTATION_TYPE,
        /// Client Correlation Value (1.4 onwards).
        client_correlation_value: opt String = Tag::CLIENT_CORRELATION_VALUE,
        /// Server Correlation Value (1.4 onwards).
        server_correlation_value: opt String = Tag::SERVER_CORRELATION_VALUE,
        /// Batch Count: written from the number of batch items, checked against it when read.
        batch_count: req i32 = Tag::BATCH_COUNT,
    }
}

impl RequestHeader {
    /// A header with only the required fields.
    pub fn new(protocol_version: ProtocolVersion) -> Self {
        Self {
            protocol_version,
            maximum_response_size: None,
            client_correlation_value: None,
            server_correlation_value: None,
            asynchronous_indicator: None,
            attestation_capable_indicator: None,
            attestation_types: Vec::new(),
            authentication: None,
            batch_error_continuation_option: None,
            batch_order_option: None,
            time_stamp: None,
            batch_count: 0,
        }
    }

    /// The username and password of the first Username and Password credential, if any.
    pub fn username_password(&self) -> Option<&UsernamePassword> {
        let credentials = &self.authentication.as_ref()?.credentials;
        credentials
            .iter()
            .find_map(|credential| match &credential.value {
                CredentialValue::UsernamePassword(value) => Some(value),
                CredentialValue::Other(_) => None,
            })
    }
}

impl ResponseHeader {
    /// A header with only the required fields.
    pub fn new(protocol_version: ProtocolVersion, time_stamp: DateTime) -> Self {
        Self {
            protocol_version,
            time_stamp,
            nonce: None,
            server_hashed_password: None,
            attestation_types: Vec::new(),
            client_correlation_value: None,
            server_correlation_value: None,
            batch_count: 0,
        }
    }
}
