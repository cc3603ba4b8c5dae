//! The requests and responses of the `/v1` routes ([`crate::route::Route`] names which route
//! takes which).

use crate::attr::Template;
use crate::bytes::{Bytes, SecretBytes};
use crate::mech::Mechanism;
use serde::{Deserialize, Serialize};

/// An empty JSON object `{}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Health answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"`.
    pub status: String,
    /// kmsd's version.
    pub version: String,
}

/// What the module shows in `CK_TOKEN_INFO` for one token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token label (also its name in paths).
    pub label: String,
    /// Serial number, at most 16 characters.
    pub serial: String,
    /// Whether a user PIN is set (`CKF_USER_PIN_INITIALIZED`).
    pub user_pin_initialized: bool,
    /// At least one wrong user PIN since the last success (`CKF_USER_PIN_COUNT_LOW`).
    pub user_pin_count_low: bool,
    /// The next wrong user PIN locks (`CKF_USER_PIN_FINAL_TRY`).
    pub user_pin_final_try: bool,
    /// The user PIN is locked (`CKF_USER_PIN_LOCKED`).
    pub user_pin_locked: bool,
    /// At least one wrong SO PIN since the last success.
    pub so_pin_count_low: bool,
    /// The next wrong SO PIN locks.
    pub so_pin_final_try: bool,
    /// The SO PIN is locked.
    pub so_pin_locked: bool,
    /// Minimum PIN length.
    pub min_pin_len: u64,
    /// Maximum PIN length.
    pub max_pin_len: u64,
}

/// All tokens this client may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    /// The tokens, in label order.
    pub tokens: Vec<TokenInfo>,
}

/// PKCS#11 user types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    /// `CKU_USER`.
    User,
    /// `CKU_SO`.
    So,
}

/// `C_Login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Who logs in.
    pub user_type: UserType,
    /// The PIN.
    pub pin: SecretBytes,
}

/// A login session, bound to the client certificate that opened it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for later requests (base64 of 32 random bytes).
    pub session: SecretBytes,
    /// Seconds of inactivity after which the session ends.
    pub idle_timeout_secs: u64,
}

/// `C_SetPIN`: changes the PIN of the logged-in user type (the user's when not logged in).
/// A wrong old PIN counts as a failed login (lockout applies).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPinRequest {
    /// The current PIN.
    pub old_pin: SecretBytes,
    /// The new PIN.
    pub new_pin: SecretBytes,
}

/// `C_InitPIN`: the SO sets the user PIN; this also clears the user's lockout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitPinRequest {
    /// The new user PIN.
    pub pin: SecretBytes,
}

/// `C_InitToken`: the SO PIN re-initialises the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitTokenRequest {
    /// The SO PIN.
    pub so_pin: SecretBytes,
}

/// `C_FindObjectsInit`: objects matching every attribute of the template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindRequest {
    /// The search template (may be empty).
    pub template: Template,
}

/// An object as the module sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    /// kmsd's identifier of the object (stable across restarts).
    pub id: String,
    /// Every attribute that may be revealed, with its value.
    pub attrs: Template,
    /// Attributes the object has but that may not be revealed (`CKR_ATTRIBUTE_SENSITIVE`).
    pub sensitive: Vec<u64>,
}

/// Objects found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectList {
    /// The objects, oldest first.
    pub objects: Vec<ObjectInfo>,
}

/// `C_CreateObject`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateObjectRequest {
    /// The full template, including any key value (sent once, sealed on arrival).
    pub template: Template,
}

/// `C_CopyObject`: a new object with the source's attributes, changed by the template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyObjectRequest {
    /// Attributes to change in the copy.
    pub template: Template,
}

/// `C_SetAttributeValue`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAttributesRequest {
    /// Attributes to change.
    pub template: Template,
}

/// `C_GenerateKey`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateKeyRequest {
    /// `CKM_AES_KEY_GEN` …
    pub mechanism: Mechanism,
    /// The key template.
    pub template: Template,
}

/// `C_GenerateKeyPair`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateKeyPairRequest {
    /// `CKM_RSA_PKCS_KEY_PAIR_GEN`, `CKM_EC_KEY_PAIR_GEN`.
    pub mechanism: Mechanism,
    /// The public key template.
    pub public_template: Template,
    /// The private key template.
    pub private_template: Template,
}

/// A new key pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPairInfo {
    /// The public key object.
    pub public: ObjectInfo,
    /// The private key object.
    pub private: ObjectInfo,
}

/// `C_WrapKey`: `key` encrypted under `wrapping_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrapRequest {
    /// `CKM_AES_KEY_WRAP`, `CKM_AES_KEY_WRAP_KWP`, `CKM_RSA_PKCS_OAEP`.
    pub mechanism: Mechanism,
    /// Id of the wrapping key.
    pub wrapping_key: String,
    /// Id of the key to wrap.
    pub key: String,
}

/// The wrapped key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapResponse {
    /// The wrapped key bytes.
    pub data: Bytes,
}

/// `C_UnwrapKey`: a new key from `wrapped`, decrypted with `unwrapping_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnwrapRequest {
    /// `CKM_AES_KEY_WRAP`, `CKM_AES_KEY_WRAP_KWP`, `CKM_RSA_PKCS_OAEP`.
    pub mechanism: Mechanism,
    /// Id of the unwrapping key.
    pub unwrapping_key: String,
    /// The wrapped key bytes.
    pub wrapped: Bytes,
    /// The new key's template.
    pub template: Template,
}

/// `C_DeriveKey`: a new key derived from `base_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveRequest {
    /// `CKM_ECDH1_DERIVE` with [`crate::MechParams::Ecdh`].
    pub mechanism: Mechanism,
    /// Id of the base key.
    pub base_key: String,
    /// The new key's template.
    pub template: Template,
}

/// One private/secret key operation (sign, decrypt, encrypt).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoRequest {
    /// The mechanism as the application named it.
    pub mechanism: Mechanism,
    /// Input: plaintext, ciphertext, raw data, or — for hash-and-sign mechanisms — the digest.
    pub data: SecretBytes,
}

/// One part of a streamed encryption or decryption with `CKM_AES_ECB`, `CKM_AES_CBC`,
/// `CKM_AES_CBC_PAD` or `CKM_AES_CTR` ([`crate::Route::EncryptPart`],
/// [`crate::Route::DecryptPart`]). kmsd keeps no state between parts: the module carries the
/// chaining value (the mechanism's IV is the last ciphertext block so far) or the counter (the
/// counter block of the next block), and sends whole blocks except in the last part.
///
/// The first part (no ticket) is a key use like [`CryptoRequest`]: policy checked, one audit
/// record, one usage count. Its answer carries a [`STREAM_TICKET_LEN`]-byte ticket that later
/// parts present instead; they are checked (login, key, mechanism) but not audited or counted
/// again. A ticket is valid until [`STREAM_IDLE_SECS`] after the part that issued it, on the
/// kmsd process that issued it only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartRequest {
    /// The mechanism, its IV or counter block advanced to this part.
    pub mechanism: Mechanism,
    /// Input: whole blocks, except in the last part.
    pub data: SecretBytes,
    /// The ticket of the previous part's answer; `None` for the first part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Bytes>,
    /// The operation's last part: CBC-PAD pads (encrypting) or removes the padding
    /// (decrypting) here, and only here.
    pub last: bool,
}

/// The answer to a [`PartRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartResponse {
    /// The part's output.
    pub data: SecretBytes,
    /// The ticket for the next part.
    pub ticket: Bytes,
}

/// Length of a stream ticket: its expiry (8 bytes) and an HMAC-SHA-256 tag.
pub const STREAM_TICKET_LEN: usize = 40;

/// A stream ticket lapses this long after the part that issued it (the idle limit of a
/// streamed operation).
pub const STREAM_IDLE_SECS: u64 = 600;

/// Most input one part carries (kmsd's request limit of 1 MiB leaves room for the JSON).
pub const MAX_PART_LEN: usize = 256 * 1024;

/// `C_Verify` with a secret key (HMAC): the MAC is recomputed and compared in kmsd, since the key
/// never leaves it. Public-key signatures are verified in the module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The mechanism as the application named it.
    pub mechanism: Mechanism,
    /// The signed data.
    pub data: SecretBytes,
    /// The MAC to check.
    pub signature: Bytes,
}

/// Output of one key operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoResponse {
    /// Signature, plaintext or ciphertext.
    pub data: SecretBytes,
}

/// `C_GenerateRandom`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomRequest {
    /// Number of bytes, at most [`MAX_RANDOM_LEN`].
    pub len: u64,
}

/// Most random bytes one request returns.
pub const MAX_RANDOM_LEN: u64 = 1 << 16;

/// Random bytes from kmsd's generator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomResponse {
    /// The bytes.
    pub data: Bytes,
}
