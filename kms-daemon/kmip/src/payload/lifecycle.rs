//! Payloads of the life-cycle operations and of the server's self-description: Activate, Revoke,
//! Destroy, Check, Get Usage Allocation, Query, Discover Versions (KMIP 1.4 §4.10, 4.17, 4.19–4.21,
//! 4.25, 4.26; KMIP 2.0 §6.1.3, .7, .15, .16, .26, .40, .45).

use crate::attr::RevocationReason;
use crate::codec::{kmip_struct, DateTime};
use crate::enums::{ObjectType, Operation, QueryFunction, UsageMask};
use crate::ttlv::Item;
use crate::ttlv::Tag;
use crate::version::ProtocolVersion;

kmip_struct! {
    /// A request that only names its object: Activate, Destroy, Get Attribute List.
    #[derive(Default)]
    IdRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
    }
}

kmip_struct! {
    /// A response that only names its object: Activate, Revoke, Destroy, Set Attribute, Get Usage
    /// Allocation.
    IdResponse {
        /// Unique Identifier.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
    }
}

kmip_struct! {
    /// Revoke request.
    RevokeRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// Revocation Reason.
        revocation_reason: req RevocationReason = Tag::REVOCATION_REASON,
        /// Compromise Occurrence Date (for a compromise).
        compromise_occurrence_date: opt DateTime = Tag::COMPROMISE_OCCURRENCE_DATE,
    }
}

kmip_struct! {
    /// Check request, and its response (the same fields: those that failed the check).
    #[derive(Default)]
    Check {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// Usage Limits Count to check for.
        usage_limits_count: opt i64 = Tag::USAGE_LIMITS_COUNT,
        /// Cryptographic Usage Mask to check for.
        cryptographic_usage_mask: opt UsageMask = Tag::CRYPTOGRAPHIC_USAGE_MASK,
        /// Lease Time to check for.
        lease_time: opt u32 = Tag::LEASE_TIME,
    }
}

kmip_struct! {
    /// Get Usage Allocation request.
    #[derive(Default)]
    GetUsageAllocationRequest {
        /// Unique Identifier (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// Usage Limits Count wanted.
        usage_limits_count: opt i64 = Tag::USAGE_LIMITS_COUNT,
    }
}

kmip_struct! {
    /// Query request.
    #[derive(Default)]
    QueryRequest {
        /// What to report.
        functions: many QueryFunction = Tag::QUERY_FUNCTION,
    }
}

kmip_struct! {
    /// Query response. The later versions' lists (Extension Information, Attestation Types, RNG
    /// Parameters, Profile Information, Validation Information, Capability Information, Client
    /// Registration Methods, Defaults Information, Protection Storage Masks) are kept as TTLV.
    #[derive(Default)]
    QueryResponse {
        /// Operations served.
        operations: many Operation = Tag::OPERATION,
        /// Object Types served.
        object_types: many ObjectType = Tag::OBJECT_TYPE,
        /// Vendor Identification.
        vendor_identification: opt String = Tag::VENDOR_IDENTIFICATION,
        /// Server Information (vendor-defined structure).
        server_information: opt Item = Tag::SERVER_INFORMATION,
        /// Application Namespaces supported.
        application_namespaces: many String = Tag::APPLICATION_NAMESPACE,
        /// Everything after, as received.
        more: rest Vec<Item> = Tag::EXTENSION_INFORMATION,
    }
}

kmip_struct! {
    /// Discover Versions request, and its response: versions, most preferred first.
    #[derive(Default)]
    DiscoverVersions {
        /// Protocol Versions.
        versions: many ProtocolVersion = Tag::PROTOCOL_VERSION,
    }
}
