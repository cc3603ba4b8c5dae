//! Payloads of the cryptographic operations: Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC
//! Verify (KMIP 1.4 §4.29–4.34; KMIP 2.0 §6.1.14, .17, .30, .31, .46, .49). Correlation Value,
//! Init Indicator and Final Indicator (1.3 onwards) carry multi-part operations.

use crate::codec::kmip_struct;
use crate::enums::ValidityIndicator;
use crate::params::CryptographicParameters;
use crate::ttlv::Tag;

kmip_struct! {
    /// The key a cryptographic request uses, and how: the first fields of each.
    #[derive(Default)]
    KeyUse {
        /// Unique Identifier of the key (absent: the ID Placeholder).
        unique_identifier: opt String = Tag::UNIQUE_IDENTIFIER,
        /// Cryptographic Parameters (absent: the key's own).
        cryptographic_parameters: opt CryptographicParameters = Tag::CRYPTOGRAPHIC_PARAMETERS,
    }
}

kmip_struct! {
    /// The fields that carry a multi-part (streamed) operation, KMIP 1.3 onwards: absent for a
    /// one-shot call.
    #[derive(Default)]
    MultiPart {
        /// Correlation Value: the server's handle on the operation after its first part.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
        /// Init Indicator: this is the first part.
        init_indicator: opt bool = Tag::INIT_INDICATOR,
        /// Final Indicator: this is the last part.
        final_indicator: opt bool = Tag::FINAL_INDICATOR,
    }
}

kmip_struct! {
    /// Encrypt request.
    #[derive(Default)]
    EncryptRequest {
        /// The key, and how to use it.
        key: flat KeyUse = Tag::UNIQUE_IDENTIFIER,
        /// Data: the plaintext.
        data: opt Vec<u8> = Tag::DATA,
        /// IV/Counter/Nonce given by the client.
        iv_counter_nonce: opt Vec<u8> = Tag::IV_COUNTER_NONCE,
        /// Correlation Value, Init and Final Indicators of a multi-part operation.
        multi_part: flat MultiPart = Tag::CORRELATION_VALUE,
        /// Authenticated Encryption Additional Data (1.4 onwards).
        authenticated_encryption_additional_data: opt Vec<u8> = Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
    }
}

kmip_struct! {
    /// Encrypt response.
    EncryptResponse {
        /// Unique Identifier of the key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Data: the ciphertext.
        data: opt Vec<u8> = Tag::DATA,
        /// IV/Counter/Nonce the server made.
        iv_counter_nonce: opt Vec<u8> = Tag::IV_COUNTER_NONCE,
        /// Correlation Value of a multi-part operation.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
        /// Authenticated Encryption Tag (1.4 onwards).
        authenticated_encryption_tag: opt Vec<u8> = Tag::AUTHENTICATED_ENCRYPTION_TAG,
    }
}

kmip_struct! {
    /// Decrypt request.
    #[derive(Default)]
    DecryptRequest {
        /// The key, and how to use it.
        key: flat KeyUse = Tag::UNIQUE_IDENTIFIER,
        /// Data: the ciphertext.
        data: opt Vec<u8> = Tag::DATA,
        /// IV/Counter/Nonce.
        iv_counter_nonce: opt Vec<u8> = Tag::IV_COUNTER_NONCE,
        /// Correlation Value, Init and Final Indicators of a multi-part operation.
        multi_part: flat MultiPart = Tag::CORRELATION_VALUE,
        /// Authenticated Encryption Additional Data (1.4 onwards).
        authenticated_encryption_additional_data: opt Vec<u8> = Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
        /// Authenticated Encryption Tag (1.4 onwards).
        authenticated_encryption_tag: opt Vec<u8> = Tag::AUTHENTICATED_ENCRYPTION_TAG,
    }
}

kmip_struct! {
    /// Decrypt response.
    DecryptResponse {
        /// Unique Identifier of the key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Data: the plaintext.
        data: opt Vec<u8> = Tag::DATA,
        /// Correlation Value of a multi-part operation.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// Sign request.
    #[derive(Default)]
    SignRequest {
        /// The key, and how to use it.
        key: flat KeyUse = Tag::UNIQUE_IDENTIFIER,
        /// Data to sign.
        data: opt Vec<u8> = Tag::DATA,
        /// Digested Data: the hash, already made (1.4 onwards).
        digested_data: opt Vec<u8> = Tag::DIGESTED_DATA,
        /// Correlation Value, Init and Final Indicators of a multi-part operation.
        multi_part: flat MultiPart = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// Sign response.
    SignResponse {
        /// Unique Identifier of the key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Signature Data.
        signature_data: opt Vec<u8> = Tag::SIGNATURE_DATA,
        /// Correlation Value of a multi-part operation.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// Signature Verify request.
    #[derive(Default)]
    SignatureVerifyRequest {
        /// The key, and how to use it.
        key: flat KeyUse = Tag::UNIQUE_IDENTIFIER,
        /// Data that was signed.
        data: opt Vec<u8> = Tag::DATA,
        /// Digested Data (1.4 onwards).
        digested_data: opt Vec<u8> = Tag::DIGESTED_DATA,
        /// Signature Data.
        signature_data: opt Vec<u8> = Tag::SIGNATURE_DATA,
        /// Correlation Value, Init and Final Indicators of a multi-part operation.
        multi_part: flat MultiPart = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// Signature Verify response.
    SignatureVerifyResponse {
        /// Unique Identifier of the key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Validity Indicator.
        validity_indicator: opt ValidityIndicator = Tag::VALIDITY_INDICATOR,
        /// Data recovered from the signature.
        data: opt Vec<u8> = Tag::DATA,
        /// Correlation Value of a multi-part operation.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// MAC request.
    #[derive(Default)]
    MacRequest {
        /// The key, and how to use it.
        key: flat KeyUse = Tag::UNIQUE_IDENTIFIER,
        /// Data to MAC.
        data: opt Vec<u8> = Tag::DATA,
        /// Correlation Value, Init and Final Indicators of a multi-part operation.
        multi_part: flat MultiPart = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// MAC response.
    MacResponse {
        /// Unique Identifier of the key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// MAC Data.
        mac_data: opt Vec<u8> = Tag::MAC_DATA,
        /// Correlation Value of a multi-part operation.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// MAC Verify request.
    #[derive(Default)]
    MacVerifyRequest {
        /// The key, and how to use it.
        key: flat KeyUse = Tag::UNIQUE_IDENTIFIER,
        /// Data that was MACed.
        data: opt Vec<u8> = Tag::DATA,
        /// MAC Data to check.
        mac_data: opt Vec<u8> = Tag::MAC_DATA,
        /// Correlation Value, Init and Final Indicators of a multi-part operation.
        multi_part: flat MultiPart = Tag::CORRELATION_VALUE,
    }
}

kmip_struct! {
    /// MAC Verify response.
    MacVerifyResponse {
        /// Unique Identifier of the key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Validity Indicator.
        validity_indicator: req ValidityIndicator = Tag::VALIDITY_INDICATOR,
        /// Correlation Value of a multi-part operation.
        correlation_value: opt Vec<u8> = Tag::CORRELATION_VALUE,
    }
}
