//! Structures that parameterise operations: Cryptographic Parameters, key wrapping, key
//! derivation (KMIP 1.4 §2.1.5–2.1.7, §2.1.18; KMIP 2.0 §2.1.5–2.1.7, §2.1.15).

use crate::codec::{kmip_struct, TagSpec};
use crate::enums::{
    BlockCipherMode, CryptographicAlgorithm, DigitalSignatureAlgorithm, EncodingOption,
    HashingAlgorithm, KeyRoleType, MaskGenerator, PaddingMethod, WrappingMethod,
};
use crate::ttlv::Tag;

kmip_struct! {
    /// Cryptographic Parameters: how a key is used by one operation. Every field is optional.
    #[derive(Default)]
    CryptographicParameters {
        /// Block Cipher Mode.
        block_cipher_mode: opt BlockCipherMode = Tag::BLOCK_CIPHER_MODE,
        /// Padding Method.
        padding_method: opt PaddingMethod = Tag::PADDING_METHOD,
        /// Hashing Algorithm.
        hashing_algorithm: opt HashingAlgorithm = Tag::HASHING_ALGORITHM,
        /// Key Role Type.
        key_role_type: opt KeyRoleType = Tag::KEY_ROLE_TYPE,
        /// Digital Signature Algorithm (KMIP 1.2 onwards).
        digital_signature_algorithm: opt DigitalSignatureAlgorithm = Tag::DIGITAL_SIGNATURE_ALGORITHM,
        /// Cryptographic Algorithm (KMIP 1.2 onwards).
        cryptographic_algorithm: opt CryptographicAlgorithm = Tag::CRYPTOGRAPHIC_ALGORITHM,
        /// Random IV: the server makes the IV (KMIP 1.2 onwards).
        random_iv: opt bool = Tag::RANDOM_IV,
        /// IV Length in bits.
        iv_length: opt i32 = Tag::IV_LENGTH,
        /// Tag Length in bytes (authenticated encryption).
        tag_length: opt i32 = Tag::TAG_LENGTH,
        /// Fixed Field Length in bits.
        fixed_field_length: opt i32 = Tag::FIXED_FIELD_LENGTH,
        /// Invocation Field Length in bits.
        invocation_field_length: opt i32 = Tag::INVOCATION_FIELD_LENGTH,
        /// Counter Length in bits.
        counter_length: opt i32 = Tag::COUNTER_LENGTH,
        /// Initial Counter Value.
        initial_counter_value: opt i32 = Tag::INITIAL_COUNTER_VALUE,
        /// Salt Length in bytes (PSS; KMIP 1.4 onwards).
        salt_length: opt i32 = Tag::SALT_LENGTH,
        /// Mask Generator (KMIP 1.4 onwards).
        mask_generator: opt MaskGenerator = Tag::MASK_GENERATOR,
        /// Mask Generator Hashing Algorithm (KMIP 1.4 onwards).
        mask_generator_hashing_algorithm: opt HashingAlgorithm = Tag::MASK_GENERATOR_HASHING_ALGORITHM,
        /// P Source (OAEP label; KMIP 1.4 onwards).
        p_source: opt Vec<u8> = Tag::P_SOURCE,
        /// Trailer Field (KMIP 1.4 onwards).
        trailer_field: opt i32 = Tag::TRAILER_FIELD,
    }
}

kmip_struct! {
    /// Encryption Key Information, and MAC/Signature Key Information (the same fields): the key
    /// that wraps, and how.
    KeyInformation {
        /// Unique Identifier of the wrapping key.
        unique_identifier: req String = Tag::UNIQUE_IDENTIFIER,
        /// Cryptographic Parameters of the wrap.
        cryptographic_parameters: opt CryptographicParameters = Tag::CRYPTOGRAPHIC_PARAMETERS,
    }
}

kmip_struct! {
    /// Key Wrapping Specification: how Get should wrap the key it returns.
    KeyWrappingSpecification {
        /// Wrapping Method.
        wrapping_method: req WrappingMethod = Tag::WRAPPING_METHOD,
        /// Encryption Key Information.
        encryption_key_information: opt KeyInformation = Tag::ENCRYPTION_KEY_INFORMATION,
        /// MAC/Signature Key Information.
        mac_signature_key_information: opt KeyInformation = Tag::MAC_SIGNATURE_KEY_INFORMATION,
        /// Attribute Names of attributes to wrap with the key.
        attribute_names: many String = Tag::ATTRIBUTE_NAME,
        /// Encoding Option (KMIP 1.1 onwards).
        encoding_option: opt EncodingOption = Tag::ENCODING_OPTION,
    }
}

kmip_struct! {
    /// Key Wrapping Data: how the Key Value of a Key Block is wrapped.
    KeyWrappingData {
        /// Wrapping Method.
        wrapping_method: req WrappingMethod = Tag::WRAPPING_METHOD,
        /// Encryption Key Information.
        encryption_key_information: opt KeyInformation = Tag::ENCRYPTION_KEY_INFORMATION,
        /// MAC/Signature Key Information.
        mac_signature_key_information: opt KeyInformation = Tag::MAC_SIGNATURE_KEY_INFORMATION,
        /// MAC/Signature.
        mac_signature: opt Vec<u8> = Tag::MAC_SIGNATURE,
        /// IV/Counter/Nonce.
        iv_counter_nonce: opt Vec<u8> = Tag::IV_COUNTER_NONCE,
        /// Encoding Option (KMIP 1.1 onwards).
        encoding_option: opt EncodingOption = Tag::ENCODING_OPTION,
    }
}

kmip_struct! {
    /// Derivation Parameters of Derive Key.
    #[derive(Default)]
    DerivationParameters {
        /// Cryptographic Parameters (the PRF's hash, the cipher…).
        cryptographic_parameters: opt CryptographicParameters = Tag::CRYPTOGRAPHIC_PARAMETERS,
        /// Initialization Vector.
        initialization_vector: opt Vec<u8> = Tag::INITIALIZATION_VECTOR,
        /// Derivation Data (the context, the password…).
        derivation_data: opt Vec<u8> = Tag::DERIVATION_DATA,
        /// Salt.
        salt: opt Vec<u8> = Tag::SALT,
        /// Iteration Count.
        iteration_count: opt i32 = Tag::ITERATION_COUNT,
    }
}

kmip_struct! {
    /// Credential Value of the Username and Password credential type.
    UsernamePassword {
        /// Username.
        username: req String = Tag::USERNAME,
        /// Password.
        password: opt String = Tag::PASSWORD,
    }
}

/// Protection Storage Masks of KMIP 2.0 (a list of Protection Storage Mask integers).
pub(crate) const PROTECTION_STORAGE_MASKS: TagSpec = TagSpec::v2(Tag::PROTECTION_STORAGE_MASKS);

kmip_struct! {
    /// Protection Storage Masks (KMIP 2.0): where the server may keep the object.
    #[derive(Default)]
    ProtectionStorageMasks {
        /// Protection Storage Mask values.
        masks: many i32 = Tag::PROTECTION_STORAGE_MASK,
    }
}
