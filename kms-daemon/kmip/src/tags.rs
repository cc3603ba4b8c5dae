//! KMIP tags as data: one table, tag value ↔ name ↔ expected type ↔ whether it is an attribute.
//!
//! Values, names and types are those of the KMIP specifications' tag tables (KMIP 1.0 §9.1.3.1
//! through KMIP 1.4 §9.1.3.1, KMIP 2.0 §9.1.3.1), for what the operations of this codec carry:
//! message headers and batch items, the payloads of the operations served, managed objects,
//! Cryptographic Parameters and the attributes. A tag missing here still decodes (TTLV does
//! not need the table); it only has no name. The table is sorted by value (a test checks it).

use std::fmt;

use crate::ttlv::{ItemType, Tag};

/// One row of the tag table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag.
    pub tag: Tag,
    /// Its name in the specification, which is also the Attribute Name of KMIP 1.x for tags that
    /// are attributes.
    pub name: &'static str,
    /// The type its items have; `None` where it varies (Attribute Value, Key Material…).
    pub item_type: Option<ItemType>,
    /// Whether the tag is an attribute's (a KMIP 2.0 Attributes member, a 1.x Attribute Name).
    pub attribute: bool,
}

impl Tag {
    /// This tag's row of the table, if it has one.
    pub fn info(self) -> Option<&'static TagInfo> {
        TAGS.binary_search_by_key(&self, |row| row.tag)
            .ok()
            .map(|i| &TAGS[i])
    }

    /// The tag's name, if the table has it.
    pub fn name(self) -> Option<&'static str> {
        self.info().map(|row| row.name)
    }

    /// The attribute tag that KMIP 1.x calls `name` (an Attribute Name), if it is a standard one.
    pub fn of_attribute_name(name: &str) -> Option<Tag> {
        TAGS.iter()
            .find(|row| row.attribute && row.name == name)
            .map(|row| row.tag)
    }

    /// Whether this is a standard attribute's tag.
    pub fn is_attribute(self) -> bool {
        self.info().is_some_and(|row| row.attribute)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:06x})", self.0),
            None => write!(f, "0x{:06x}", self.0),
        }
    }
}

macro_rules! item_type {
    (Any) => {
        None
    };
    ($t:ident) => {
        Some(ItemType::$t)
    };
}

macro_rules! is_attribute {
    (attr) => {
        true
    };
    (field) => {
        false
    };
}

macro_rules! tags {
    ($($konst:ident = $value:literal, $name:literal, $t:ident, $kind:ident;)*) => {
        impl Tag {
            $(
                #[doc = concat!("`", $name, "`")]
                pub const $konst: Tag = Tag($value);
            )*
        }

        /// The tag table, sorted by tag value.
        pub static TAGS: &[TagInfo] = &[
            $(TagInfo {
                tag: Tag($value),
                name: $name,
                item_type: item_type!($t),
                attribute: is_attribute!($kind),
            },)*
        ];
    };
}

tags! {
    // KMIP 1.0
    ACTIVATION_DATE = 0x420001, "Activation Date", DateTime, attr;
    APPLICATION_DATA = 0x420002, "Application Data", TextString, field;
    APPLICATION_NAMESPACE = 0x420003, "Application Namespace", TextString, field;
    APPLICATION_SPECIFIC_INFORMATION = 0x420004, "Application Specific Information", Structure, attr;
    ARCHIVE_DATE = 0x420005, "Archive Date", DateTime, attr;
    ASYNCHRONOUS_CORRELATION_VALUE = 0x420006, "Asynchronous Correlation Value", ByteString, field;
    ASYNCHRONOUS_INDICATOR = 0x420007, "Asynchronous Indicator", Boolean, field;
    ATTRIBUTE = 0x420008, "Attribute", Structure, field;
    ATTRIBUTE_INDEX = 0x420009, "Attribute Index", Integer, field;
    ATTRIBUTE_NAME = 0x42000A, "Attribute Name", TextString, field;
    ATTRIBUTE_VALUE = 0x42000B, "Attribute Value", Any, field;
    AUTHENTICATION = 0x42000C, "Authentication", Structure, field;
    BATCH_COUNT = 0x42000D, "Batch Count", Integer, field;
    BATCH_ERROR_CONTINUATION_OPTION = 0x42000E, "Batch Error Continuation Option", Enumeration, field;
    BATCH_ITEM = 0x42000F, "Batch Item", Structure, field;
    BATCH_ORDER_OPTION = 0x420010, "Batch Order Option", Boolean, field;
    BLOCK_CIPHER_MODE = 0x420011, "Block Cipher Mode", Enumeration, field;
    CANCELLATION_RESULT = 0x420012, "Cancellation Result", Enumeration, field;
    CERTIFICATE = 0x420013, "Certificate", Structure, field;
    CERTIFICATE_REQUEST = 0x420018, "Certificate Request", ByteString, field;
    CERTIFICATE_REQUEST_TYPE = 0x420019, "Certificate Request Type", Enumeration, field;
    CERTIFICATE_TYPE = 0x42001D, "Certificate Type", Enumeration, attr;
    CERTIFICATE_VALUE = 0x42001E, "Certificate Value", ByteString, field;
    COMMON_TEMPLATE_ATTRIBUTE = 0x42001F, "Common Template-Attribute", Structure, field;
    COMPROMISE_DATE = 0x420020, "Compromise Date", DateTime, attr;
    COMPROMISE_OCCURRENCE_DATE = 0x420021, "Compromise Occurrence Date", DateTime, attr;
    CONTACT_INFORMATION = 0x420022, "Contact Information", TextString, attr;
    CREDENTIAL = 0x420023, "Credential", Structure, field;
    CREDENTIAL_TYPE = 0x420024, "Credential Type", Enumeration, field;
    CREDENTIAL_VALUE = 0x420025, "Credential Value", Any, field;
    CRITICALITY_INDICATOR = 0x420026, "Criticality Indicator", Boolean, field;
    CRT_COEFFICIENT = 0x420027, "CRT Coefficient", BigInteger, field;
    CRYPTOGRAPHIC_ALGORITHM = 0x420028, "Cryptographic Algorithm", Enumeration, attr;
    CRYPTOGRAPHIC_DOMAIN_PARAMETERS = 0x420029, "Cryptographic Domain Parameters", Structure, attr;
    CRYPTOGRAPHIC_LENGTH = 0x42002A, "Cryptographic Length", Integer, attr;
    CRYPTOGRAPHIC_PARAMETERS = 0x42002B, "Cryptographic Parameters", Structure, attr;
    CRYPTOGRAPHIC_USAGE_MASK = 0x42002C, "Cryptographic Usage Mask", Integer, attr;
    CUSTOM_ATTRIBUTE = 0x42002D, "Custom Attribute", Any, field;
    D = 0x42002E, "D", BigInteger, field;
    DEACTIVATION_DATE = 0x42002F, "Deactivation Date", DateTime, attr;
    DERIVATION_DATA = 0x420030, "Derivation Data", ByteString, field;
    DERIVATION_METHOD = 0x420031, "Derivation Method", Enumeration, field;
    DERIVATION_PARAMETERS = 0x420032, "Derivation Parameters", Structure, field;
    DESTROY_DATE = 0x420033, "Destroy Date", DateTime, attr;
    DIGEST = 0x420034, "Digest", Structure, attr;
    DIGEST_VALUE = 0x420035, "Digest Value", ByteString, field;
    ENCRYPTION_KEY_INFORMATION = 0x420036, "Encryption Key Information", Structure, field;
    G = 0x420037, "G", BigInteger, field;
    HASHING_ALGORITHM = 0x420038, "Hashing Algorithm", Enumeration, field;
    INITIAL_DATE = 0x420039, "Initial Date", DateTime, attr;
    INITIALIZATION_VECTOR = 0x42003A, "Initialization Vector", ByteString, field;
    ITERATION_COUNT = 0x42003C, "Iteration Count", Integer, field;
    IV_COUNTER_NONCE = 0x42003D, "IV/Counter/Nonce", ByteString, field;
    J = 0x42003E, "J", BigInteger, field;
    KEY = 0x42003F, "Key", ByteString, field;
    KEY_BLOCK = 0x420040, "Key Block", Structure, field;
    KEY_COMPRESSION_TYPE = 0x420041, "Key Compression Type", Enumeration, field;
    KEY_FORMAT_TYPE = 0x420042, "Key Format Type", Enumeration, field;
    KEY_MATERIAL = 0x420043, "Key Material", Any, field;
    KEY_PART_IDENTIFIER = 0x420044, "Key Part Identifier", Integer, field;
    KEY_VALUE = 0x420045, "Key Value", Any, field;
    KEY_WRAPPING_DATA = 0x420046, "Key Wrapping Data", Structure, field;
    KEY_WRAPPING_SPECIFICATION = 0x420047, "Key Wrapping Specification", Structure, field;
    LAST_CHANGE_DATE = 0x420048, "Last Change Date", DateTime, attr;
    LEASE_TIME = 0x420049, "Lease Time", Interval, attr;
    LINK = 0x42004A, "Link", Structure, attr;
    LINK_TYPE = 0x42004B, "Link Type", Enumeration, field;
    LINKED_OBJECT_IDENTIFIER = 0x42004C, "Linked Object Identifier", TextString, field;
    MAC_SIGNATURE = 0x42004D, "MAC/Signature", ByteString, field;
    MAC_SIGNATURE_KEY_INFORMATION = 0x42004E, "MAC/Signature Key Information", Structure, field;
    MAXIMUM_ITEMS = 0x42004F, "Maximum Items", Integer, field;
    MAXIMUM_RESPONSE_SIZE = 0x420050, "Maximum Response Size", Integer, field;
    MESSAGE_EXTENSION = 0x420051, "Message Extension", Structure, field;
    MODULUS = 0x420052, "Modulus", BigInteger, field;
    NAME = 0x420053, "Name", Structure, attr;
    NAME_TYPE = 0x420054, "Name Type", Enumeration, field;
    NAME_VALUE = 0x420055, "Name Value", TextString, field;
    OBJECT_GROUP = 0x420056, "Object Group", TextString, attr;
    OBJECT_TYPE = 0x420057, "Object Type", Enumeration, attr;
    OFFSET = 0x420058, "Offset", Interval, field;
    OPAQUE_DATA_TYPE = 0x420059, "Opaque Data Type", Enumeration, field;
    OPAQUE_DATA_VALUE = 0x42005A, "Opaque Data Value", ByteString, field;
    OPAQUE_OBJECT = 0x42005B, "Opaque Object", Structure, field;
    OPERATION = 0x42005C, "Operation", Enumeration, field;
    OPERATION_POLICY_NAME = 0x42005D, "Operation Policy Name", TextString, attr;
    P = 0x42005E, "P", BigInteger, field;
    PADDING_METHOD = 0x42005F, "Padding Method", Enumeration, field;
    PRIME_EXPONENT_P = 0x420060, "Prime Exponent P", BigInteger, field;
    PRIME_EXPONENT_Q = 0x420061, "Prime Exponent Q", BigInteger, field;
    PRIME_FIELD_SIZE = 0x420062, "Prime Field Size", BigInteger, field;
    PRIVATE_EXPONENT = 0x420063, "Private Exponent", BigInteger, field;
    PRIVATE_KEY = 0x420064, "Private Key", Structure, field;
    PRIVATE_KEY_TEMPLATE_ATTRIBUTE = 0x420065, "Private Key Template-Attribute", Structure, field;
    PRIVATE_KEY_UNIQUE_IDENTIFIER = 0x420066, "Private Key Unique Identifier", TextString, field;
    PROCESS_START_DATE = 0x420067, "Process Start Date", DateTime, attr;
    PROTECT_STOP_DATE = 0x420068, "Protect Stop Date", DateTime, attr;
    PROTOCOL_VERSION = 0x420069, "Protocol Version", Structure, field;
    PROTOCOL_VERSION_MAJOR = 0x42006A, "Protocol Version Major", Integer, field;
    PROTOCOL_VERSION_MINOR = 0x42006B, "Protocol Version Minor", Integer, field;
    PUBLIC_EXPONENT = 0x42006C, "Public Exponent", BigInteger, field;
    PUBLIC_KEY = 0x42006D, "Public Key", Structure, field;
    PUBLIC_KEY_TEMPLATE_ATTRIBUTE = 0x42006E, "Public Key Template-Attribute", Structure, field;
    PUBLIC_KEY_UNIQUE_IDENTIFIER = 0x42006F, "Public Key Unique Identifier", TextString, field;
    PUT_FUNCTION = 0x420070, "Put Function", Enumeration, field;
    Q = 0x420071, "Q", BigInteger, field;
    Q_STRING = 0x420072, "Q String", ByteString, field;
    QLENGTH = 0x420073, "Qlength", Integer, field;
    QUERY_FUNCTION = 0x420074, "Query Function", Enumeration, field;
    RECOMMENDED_CURVE = 0x420075, "Recommended Curve", Enumeration, field;
    REPLACED_UNIQUE_IDENTIFIER = 0x420076, "Replaced Unique Identifier", TextString, field;
    REQUEST_HEADER = 0x420077, "Request Header", Structure, field;
    REQUEST_MESSAGE = 0x420078, "Request Message", Structure, field;
    REQUEST_PAYLOAD = 0x420079, "Request Payload", Structure, field;
    RESPONSE_HEADER = 0x42007A, "Response Header", Structure, field;
    RESPONSE_MESSAGE = 0x42007B, "Response Message", Structure, field;
    RESPONSE_PAYLOAD = 0x42007C, "Response Payload", Structure, field;
    RESULT_MESSAGE = 0x42007D, "Result Message", TextString, field;
    RESULT_REASON = 0x42007E, "Result Reason", Enumeration, field;
    RESULT_STATUS = 0x42007F, "Result Status", Enumeration, field;
    REVOCATION_MESSAGE = 0x420080, "Revocation Message", TextString, field;
    REVOCATION_REASON = 0x420081, "Revocation Reason", Structure, attr;
    REVOCATION_REASON_CODE = 0x420082, "Revocation Reason Code", Enumeration, field;
    KEY_ROLE_TYPE = 0x420083, "Key Role Type", Enumeration, field;
    SALT = 0x420084, "Salt", ByteString, field;
    SECRET_DATA = 0x420085, "Secret Data", Structure, field;
    SECRET_DATA_TYPE = 0x420086, "Secret Data Type", Enumeration, field;
    SERVER_INFORMATION = 0x420088, "Server Information", Structure, field;
    SPLIT_KEY = 0x420089, "Split Key", Structure, field;
    STATE = 0x42008D, "State", Enumeration, attr;
    STORAGE_STATUS_MASK = 0x42008E, "Storage Status Mask", Integer, field;
    SYMMETRIC_KEY = 0x42008F, "Symmetric Key", Structure, field;
    TEMPLATE = 0x420090, "Template", Structure, field;
    TEMPLATE_ATTRIBUTE = 0x420091, "Template-Attribute", Structure, field;
    TIME_STAMP = 0x420092, "Time Stamp", DateTime, field;
    UNIQUE_BATCH_ITEM_ID = 0x420093, "Unique Batch Item ID", ByteString, field;
    UNIQUE_IDENTIFIER = 0x420094, "Unique Identifier", TextString, attr;
    USAGE_LIMITS = 0x420095, "Usage Limits", Structure, attr;
    USAGE_LIMITS_COUNT = 0x420096, "Usage Limits Count", LongInteger, field;
    USAGE_LIMITS_TOTAL = 0x420097, "Usage Limits Total", LongInteger, field;
    USAGE_LIMITS_UNIT = 0x420098, "Usage Limits Unit", Enumeration, field;
    USERNAME = 0x420099, "Username", TextString, field;
    VALIDITY_DATE = 0x42009A, "Validity Date", DateTime, field;
    VALIDITY_INDICATOR = 0x42009B, "Validity Indicator", Enumeration, field;
    VENDOR_EXTENSION = 0x42009C, "Vendor Extension", Structure, field;
    VENDOR_IDENTIFICATION = 0x42009D, "Vendor Identification", TextString, field;
    WRAPPING_METHOD = 0x42009E, "Wrapping Method", Enumeration, field;
    X = 0x42009F, "X", BigInteger, field;
    Y = 0x4200A0, "Y", BigInteger, field;
    PASSWORD = 0x4200A1, "Password", TextString, field;
    // KMIP 1.1
    DEVICE_IDENTIFIER = 0x4200A2, "Device Identifier", TextString, field;
    ENCODING_OPTION = 0x4200A3, "Encoding Option", Enumeration, field;
    EXTENSION_INFORMATION = 0x4200A4, "Extension Information", Structure, field;
    EXTENSION_NAME = 0x4200A5, "Extension Name", TextString, field;
    EXTENSION_TAG = 0x4200A6, "Extension Tag", Integer, field;
    EXTENSION_TYPE = 0x4200A7, "Extension Type", Integer, field;
    FRESH = 0x4200A8, "Fresh", Boolean, attr;
    MACHINE_IDENTIFIER = 0x4200A9, "Machine Identifier", TextString, field;
    MEDIA_IDENTIFIER = 0x4200AA, "Media Identifier", TextString, field;
    NETWORK_IDENTIFIER = 0x4200AB, "Network Identifier", TextString, field;
    OBJECT_GROUP_MEMBER = 0x4200AC, "Object Group Member", Enumeration, field;
    CERTIFICATE_LENGTH = 0x4200AD, "Certificate Length", Integer, attr;
    DIGITAL_SIGNATURE_ALGORITHM = 0x4200AE, "Digital Signature Algorithm", Enumeration, attr;
    CERTIFICATE_SERIAL_NUMBER = 0x4200AF, "Certificate Serial Number", ByteString, field;
    DEVICE_SERIAL_NUMBER = 0x4200B0, "Device Serial Number", TextString, field;
    ISSUER_ALTERNATIVE_NAME = 0x4200B1, "Issuer Alternative Name", ByteString, field;
    ISSUER_DISTINGUISHED_NAME = 0x4200B2, "Issuer Distinguished Name", ByteString, field;
    SUBJECT_ALTERNATIVE_NAME = 0x4200B3, "Subject Alternative Name", ByteString, field;
    SUBJECT_DISTINGUISHED_NAME = 0x4200B4, "Subject Distinguished Name", ByteString, field;
    X_509_CERTIFICATE_IDENTIFIER = 0x4200B5, "X.509 Certificate Identifier", Structure, attr;
    X_509_CERTIFICATE_ISSUER = 0x4200B6, "X.509 Certificate Issuer", Structure, attr;
    X_509_CERTIFICATE_SUBJECT = 0x4200B7, "X.509 Certificate Subject", Structure, attr;
    // KMIP 1.2
    KEY_VALUE_LOCATION = 0x4200B8, "Key Value Location", Structure, attr;
    KEY_VALUE_PRESENT = 0x4200BB, "Key Value Present", Boolean, attr;
    ORIGINAL_CREATION_DATE = 0x4200BC, "Original Creation Date", DateTime, attr;
    PGP_KEY = 0x4200BD, "PGP Key", Structure, field;
    ALTERNATIVE_NAME = 0x4200BF, "Alternative Name", Structure, attr;
    ALTERNATIVE_NAME_VALUE = 0x4200C0, "Alternative Name Value", TextString, field;
    ALTERNATIVE_NAME_TYPE = 0x4200C1, "Alternative Name Type", Enumeration, field;
    DATA = 0x4200C2, "Data", ByteString, field;
    SIGNATURE_DATA = 0x4200C3, "Signature Data", ByteString, field;
    DATA_LENGTH = 0x4200C4, "Data Length", Integer, field;
    RANDOM_IV = 0x4200C5, "Random IV", Boolean, field;
    MAC_DATA = 0x4200C6, "MAC Data", ByteString, field;
    ATTESTATION_TYPE = 0x4200C7, "Attestation Type", Enumeration, field;
    NONCE = 0x4200C8, "Nonce", Structure, field;
    NONCE_ID = 0x4200C9, "Nonce ID", ByteString, field;
    NONCE_VALUE = 0x4200CA, "Nonce Value", ByteString, field;
    IV_LENGTH = 0x4200CD, "IV Length", Integer, field;
    TAG_LENGTH = 0x4200CE, "Tag Length", Integer, field;
    FIXED_FIELD_LENGTH = 0x4200CF, "Fixed Field Length", Integer, field;
    COUNTER_LENGTH = 0x4200D0, "Counter Length", Integer, field;
    INITIAL_COUNTER_VALUE = 0x4200D1, "Initial Counter Value", Integer, field;
    INVOCATION_FIELD_LENGTH = 0x4200D2, "Invocation Field Length", Integer, field;
    ATTESTATION_CAPABLE_INDICATOR = 0x4200D3, "Attestation Capable Indicator", Boolean, field;
    // KMIP 1.3
    OFFSET_ITEMS = 0x4200D4, "Offset Items", Integer, field;
    LOCATED_ITEMS = 0x4200D5, "Located Items", Integer, field;
    CORRELATION_VALUE = 0x4200D6, "Correlation Value", ByteString, field;
    INIT_INDICATOR = 0x4200D7, "Init Indicator", Boolean, field;
    FINAL_INDICATOR = 0x4200D8, "Final Indicator", Boolean, field;
    PROFILE_INFORMATION = 0x4200EB, "Profile Information", Structure, field;
    CAPABILITY_INFORMATION = 0x4200F7, "Capability Information", Structure, field;
    // KMIP 1.4
    KEY_WRAP_TYPE = 0x4200F8, "Key Wrap Type", Enumeration, field;
    DESCRIPTION = 0x4200FC, "Description", TextString, attr;
    COMMENT = 0x4200FD, "Comment", TextString, attr;
    AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA = 0x4200FE, "Authenticated Encryption Additional Data", ByteString, field;
    AUTHENTICATED_ENCRYPTION_TAG = 0x4200FF, "Authenticated Encryption Tag", ByteString, field;
    SALT_LENGTH = 0x420100, "Salt Length", Integer, field;
    MASK_GENERATOR = 0x420101, "Mask Generator", Enumeration, field;
    MASK_GENERATOR_HASHING_ALGORITHM = 0x420102, "Mask Generator Hashing Algorithm", Enumeration, field;
    P_SOURCE = 0x420103, "P Source", ByteString, field;
    TRAILER_FIELD = 0x420104, "Trailer Field", Integer, field;
    CLIENT_CORRELATION_VALUE = 0x420105, "Client Correlation Value", TextString, field;
    SERVER_CORRELATION_VALUE = 0x420106, "Server Correlation Value", TextString, field;
    DIGESTED_DATA = 0x420107, "Digested Data", ByteString, field;
    SENSITIVE = 0x420120, "Sensitive", Boolean, attr;
    ALWAYS_SENSITIVE = 0x420121, "Always Sensitive", Boolean, attr;
    EXTRACTABLE = 0x420122, "Extractable", Boolean, attr;
    NEVER_EXTRACTABLE = 0x420123, "Never Extractable", Boolean, attr;
    REPLACE_EXISTING = 0x420124, "Replace Existing", Boolean, field;
    // KMIP 2.0
    ATTRIBUTES = 0x420125, "Attributes", Structure, field;
    COMMON_ATTRIBUTES = 0x420126, "Common Attributes", Structure, field;
    PRIVATE_KEY_ATTRIBUTES = 0x420127, "Private Key Attributes", Structure, field;
    PUBLIC_KEY_ATTRIBUTES = 0x420128, "Public Key Attributes", Structure, field;
    SHORT_UNIQUE_IDENTIFIER = 0x420136, "Short Unique Identifier", ByteString, attr;
    NIST_KEY_TYPE = 0x42013A, "NIST Key Type", Enumeration, attr;
    ATTRIBUTE_REFERENCE = 0x42013B, "Attribute Reference", Any, field;
    CURRENT_ATTRIBUTE = 0x42013C, "Current Attribute", Structure, field;
    NEW_ATTRIBUTE = 0x42013D, "New Attribute", Structure, field;
    EPHEMERAL = 0x420154, "Ephemeral", Boolean, field;
    SERVER_HASHED_PASSWORD = 0x420155, "Server Hashed Password", ByteString, field;
    PROTECTION_STORAGE_MASK = 0x42015E, "Protection Storage Mask", Integer, field;
    PROTECTION_STORAGE_MASKS = 0x42015F, "Protection Storage Masks", Structure, field;
    COMMON_PROTECTION_STORAGE_MASKS = 0x420163, "Common Protection Storage Masks", Structure, field;
    PRIVATE_PROTECTION_STORAGE_MASKS = 0x420164, "Private Protection Storage Masks", Structure, field;
    PUBLIC_PROTECTION_STORAGE_MASKS = 0x420165, "Public Protection Storage Masks", Structure, field;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(TAGS.windows(2).all(|w| w[0].tag < w[1].tag));
        let mut names: Vec<_> = TAGS.iter().map(|row| row.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TAGS.len());
    }

    #[test]
    fn tags_are_standard_and_found() {
        for row in TAGS {
            assert_eq!(row.tag.0 >> 16, 0x42, "{}", row.name);
            assert_eq!(row.tag.info(), Some(row));
        }
        assert_eq!(Tag(0x420000).info(), None);
        assert_eq!(Tag(0x540001).name(), None);
    }

    #[test]
    fn attribute_names_are_1x_names() {
        assert_eq!(
            Tag::of_attribute_name("Cryptographic Usage Mask"),
            Some(Tag::CRYPTOGRAPHIC_USAGE_MASK)
        );
        assert_eq!(Tag::of_attribute_name("x-custom"), None);
        // A tag that is not an attribute is not an Attribute Name.
        assert_eq!(Tag::of_attribute_name("Batch Count"), None);
        assert!(Tag::STATE.is_attribute() && !Tag::BATCH_COUNT.is_attribute());
    }

    #[test]
    fn display_names_the_tag() {
        assert_eq!(Tag::BATCH_COUNT.to_string(), "Batch Count (0x42000d)");
        assert_eq!(Tag(0x540001).to_string(), "0x540001");
    }
}
