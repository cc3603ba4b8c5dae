//! Enumerations of managed objects, their life cycle and their attributes.

use super::kmip_enum;

kmip_enum! {
    /// Object Type (KMIP 1.4 §9.1.3.2.12; PGP Key is 1.2's, Certificate Request 2.0's).
    ObjectType {
        Certificate = 0x01, "Certificate";
        SymmetricKey = 0x02, "Symmetric Key";
        PublicKey = 0x03, "Public Key";
        PrivateKey = 0x04, "Private Key";
        SplitKey = 0x05, "Split Key";
        Template = 0x06, "Template";
        SecretData = 0x07, "Secret Data";
        OpaqueObject = 0x08, "Opaque Object";
        PgpKey = 0x09, "PGP Key";
        CertificateRequest = 0x0A, "Certificate Request";
    }
}

kmip_enum! {
    /// State (KMIP 1.4 §9.1.3.2.17).
    State {
        PreActive = 0x01, "Pre-Active";
        Active = 0x02, "Active";
        Deactivated = 0x03, "Deactivated";
        Compromised = 0x04, "Compromised";
        Destroyed = 0x05, "Destroyed";
        DestroyedCompromised = 0x06, "Destroyed Compromised";
    }
}

kmip_enum! {
    /// Name Type (KMIP 1.4 §9.1.3.2.11).
    NameType {
        UninterpretedTextString = 0x01, "Uninterpreted Text String";
        Uri = 0x02, "URI";
    }
}

kmip_enum! {
    /// Revocation Reason Code (KMIP 1.4 §9.1.3.2.19).
    RevocationReasonCode {
        Unspecified = 0x01, "Unspecified";
        KeyCompromise = 0x02, "Key Compromise";
        CaCompromise = 0x03, "CA Compromise";
        AffiliationChanged = 0x04, "Affiliation Changed";
        Superseded = 0x05, "Superseded";
        CessationOfOperation = 0x06, "Cessation of Operation";
        PrivilegeWithdrawn = 0x07, "Privilege Withdrawn";
    }
}

kmip_enum! {
    /// Key Format Type (KMIP 1.4 §9.1.3.2.3; 0x14–0x15 are 1.3's, PKCS#12 1.4's).
    KeyFormatType {
        Raw = 0x01, "Raw";
        Opaque = 0x02, "Opaque";
        Pkcs1 = 0x03, "PKCS#1";
        Pkcs8 = 0x04, "PKCS#8";
        X509 = 0x05, "X.509";
        EcPrivateKey = 0x06, "ECPrivateKey";
        TransparentSymmetricKey = 0x07, "Transparent Symmetric Key";
        TransparentDsaPrivateKey = 0x08, "Transparent DSA Private Key";
        TransparentDsaPublicKey = 0x09, "Transparent DSA Public Key";
        TransparentRsaPrivateKey = 0x0A, "Transparent RSA Private Key";
        TransparentRsaPublicKey = 0x0B, "Transparent RSA Public Key";
        TransparentDhPrivateKey = 0x0C, "Transparent DH Private Key";
        TransparentDhPublicKey = 0x0D, "Transparent DH Public Key";
        TransparentEcdsaPrivateKey = 0x0E, "Transparent ECDSA Private Key";
        TransparentEcdsaPublicKey = 0x0F, "Transparent ECDSA Public Key";
        TransparentEcdhPrivateKey = 0x10, "Transparent ECDH Private Key";
        TransparentEcdhPublicKey = 0x11, "Transparent ECDH Public Key";
        TransparentEcmqvPrivateKey = 0x12, "Transparent ECMQV Private Key";
        TransparentEcmqvPublicKey = 0x13, "Transparent ECMQV Public Key";
        TransparentEcPrivateKey = 0x14, "Transparent EC Private Key";
        TransparentEcPublicKey = 0x15, "Transparent EC Public Key";
        Pkcs12 = 0x16, "PKCS#12";
    }
}

kmip_enum! {
    /// Key Compression Type (KMIP 1.4 §9.1.3.2.2).
    KeyCompressionType {
        EcPublicKeyTypeUncompressed = 0x01, "EC Public Key Type Uncompressed";
        EcPublicKeyTypeX962CompressedPrime = 0x02, "EC Public Key Type X9.62 Compressed Prime";
        EcPublicKeyTypeX962CompressedChar2 = 0x03, "EC Public Key Type X9.62 Compressed Char2";
        EcPublicKeyTypeX962Hybrid = 0x04, "EC Public Key Type X9.62 Hybrid";
    }
}

kmip_enum! {
    /// Secret Data Type (KMIP 1.4 §9.1.3.2.9).
    SecretDataType {
        Password = 0x01, "Password";
        Seed = 0x02, "Seed";
    }
}

kmip_enum! {
    /// Certificate Type (KMIP 1.4 §9.1.3.2.6).
    CertificateType {
        X509 = 0x01, "X.509";
        Pgp = 0x02, "PGP";
    }
}

kmip_enum! {
    /// Opaque Data Type (KMIP 1.4 §9.1.3.2.10): the standard names none; every value is an
    /// extension (PyKMIP uses 0x80000000).
    OpaqueDataType {
    }
}

kmip_enum! {
    /// Link Type (KMIP 1.4 §9.1.3.2.20; 0x108–0x10B are 1.2's, 0x10C–0x10D 1.4's, 0x10E 2.0's).
    LinkType {
        CertificateLink = 0x101, "Certificate Link";
        PublicKeyLink = 0x102, "Public Key Link";
        PrivateKeyLink = 0x103, "Private Key Link";
        DerivationBaseObjectLink = 0x104, "Derivation Base Object Link";
        DerivedKeyLink = 0x105, "Derived Key Link";
        ReplacementObjectLink = 0x106, "Replacement Object Link";
        ReplacedObjectLink = 0x107, "Replaced Object Link";
        ParentLink = 0x108, "Parent Link";
        ChildLink = 0x109, "Child Link";
        PreviousLink = 0x10A, "Previous Link";
        NextLink = 0x10B, "Next Link";
        Pkcs12CertificateLink = 0x10C, "PKCS#12 Certificate Link";
        Pkcs12PasswordLink = 0x10D, "PKCS#12 Password Link";
        WrappingKeyLink = 0x10E, "Wrapping Key Link";
    }
}

kmip_enum! {
    /// Wrapping Method (KMIP 1.4 §9.1.3.2.4).
    WrappingMethod {
        Encrypt = 0x01, "Encrypt";
        MacSign = 0x02, "MAC/sign";
        EncryptThenMacSign = 0x03, "Encrypt then MAC/sign";
        MacSignThenEncrypt = 0x04, "MAC/sign then encrypt";
        Tr31 = 0x05, "TR-31";
    }
}

kmip_enum! {
    /// Encoding Option (KMIP 1.4 §9.1.3.2.32, KMIP 1.1 onwards).
    EncodingOption {
        NoEncoding = 0x01, "No Encoding";
        TtlvEncoding = 0x02, "TTLV Encoding";
    }
}

kmip_enum! {
    /// Key Wrap Type (KMIP 1.4 §9.1.3.2.47, KMIP 1.4 onwards).
    KeyWrapType {
        NotWrapped = 0x01, "Not Wrapped";
        AsRegistered = 0x02, "As Registered";
    }
}

kmip_enum! {
    /// Object Group Member (KMIP 1.4 §9.1.3.2.33, KMIP 1.1 onwards).
    ObjectGroupMember {
        GroupMemberFresh = 0x01, "Group Member Fresh";
        GroupMemberDefault = 0x02, "Group Member Default";
    }
}

kmip_enum! {
    /// Validity Indicator (KMIP 1.4 §9.1.3.2.23).
    ValidityIndicator {
        Valid = 0x01, "Valid";
        Invalid = 0x02, "Invalid";
        Unknown = 0x03, "Unknown";
    }
}

kmip_enum! {
    /// Derivation Method (KMIP 1.4 §9.1.3.2.21; Asymmetric Key is 1.4's, 0x09–0x0A 2.0's).
    DerivationMethod {
        Pbkdf2 = 0x01, "PBKDF2";
        Hash = 0x02, "HASH";
        Hmac = 0x03, "HMAC";
        Encrypt = 0x04, "ENCRYPT";
        Nist800108C = 0x05, "NIST800-108-C";
        Nist800108F = 0x06, "NIST800-108-F";
        Nist800108Dpi = 0x07, "NIST800-108-DPI";
        AsymmetricKey = 0x08, "Asymmetric Key";
        AwsSignatureVersion4 = 0x09, "AWS Signature Version 4";
        Hkdf = 0x0A, "HKDF";
    }
}
