//! Enumerations of Cryptographic Parameters and the Cryptographic Usage Mask bits.

use super::kmip_enum;
use crate::codec::{wrong_type, Field};
use crate::error::CodecError;
use crate::ttlv::Tag;
use crate::ttlv::{Item, ItemType, Value};
use crate::version::ProtocolVersion;

kmip_enum! {
    /// Cryptographic Algorithm (KMIP 1.4 §9.1.3.2.13; EC is 1.2's, One Time Pad 1.3's,
    /// 0x1C–0x28 1.4's, 0x29 onwards 2.0's).
    CryptographicAlgorithm {
        Des = 0x01, "DES";
        TripleDes = 0x02, "3DES";
        Aes = 0x03, "AES";
        Rsa = 0x04, "RSA";
        Dsa = 0x05, "DSA";
        Ecdsa = 0x06, "ECDSA";
        HmacSha1 = 0x07, "HMAC-SHA1";
        HmacSha224 = 0x08, "HMAC-SHA224";
        HmacSha256 = 0x09, "HMAC-SHA256";
        HmacSha384 = 0x0A, "HMAC-SHA384";
        HmacSha512 = 0x0B, "HMAC-SHA512";
        HmacMd5 = 0x0C, "HMAC-MD5";
        Dh = 0x0D, "DH";
        Ecdh = 0x0E, "ECDH";
        Ecmqv = 0x0F, "ECMQV";
        Blowfish = 0x10, "Blowfish";
        Camellia = 0x11, "Camellia";
        Cast5 = 0x12, "CAST5";
        Idea = 0x13, "IDEA";
        Mars = 0x14, "MARS";
        Rc2 = 0x15, "RC2";
        Rc4 = 0x16, "RC4";
        Rc5 = 0x17, "RC5";
        Skipjack = 0x18, "SKIPJACK";
        Twofish = 0x19, "Twofish";
        Ec = 0x1A, "EC";
        OneTimePad = 0x1B, "One Time Pad";
        ChaCha20 = 0x1C, "ChaCha20";
        Poly1305 = 0x1D, "Poly1305";
        ChaCha20Poly1305 = 0x1E, "ChaCha20Poly1305";
        Sha3_224 = 0x1F, "SHA3-224";
        Sha3_256 = 0x20, "SHA3-256";
        Sha3_384 = 0x21, "SHA3-384";
        Sha3_512 = 0x22, "SHA3-512";
        HmacSha3_224 = 0x23, "HMAC-SHA3-224";
        HmacSha3_256 = 0x24, "HMAC-SHA3-256";
        HmacSha3_384 = 0x25, "HMAC-SHA3-384";
        HmacSha3_512 = 0x26, "HMAC-SHA3-512";
        Shake128 = 0x27, "SHAKE-128";
        Shake256 = 0x28, "SHAKE-256";
        Aria = 0x29, "ARIA";
        Seed = 0x2A, "SEED";
        Sm2 = 0x2B, "SM2";
        Sm3 = 0x2C, "SM3";
        Sm4 = 0x2D, "SM4";
        GostR3410_2012 = 0x2E, "GOST R 34.10-2012";
        GostR3411_2012 = 0x2F, "GOST R 34.11-2012";
        GostR3413_2015 = 0x30, "GOST R 34.13-2015";
        Gost28147_89 = 0x31, "GOST 28147-89";
        Xmss = 0x32, "XMSS";
        Sphincs256 = 0x33, "SPHINCS-256";
        McEliece = 0x34, "McEliece";
        McEliece6960119 = 0x35, "McEliece-6960119";
        McEliece8192128 = 0x36, "McEliece-8192128";
        Ed25519 = 0x37, "Ed25519";
        Ed448 = 0x38, "Ed448";
    }
}

kmip_enum! {
    /// Block Cipher Mode (KMIP 1.4 §9.1.3.2.14; AEAD is 1.4's).
    BlockCipherMode {
        Cbc = 0x01, "CBC";
        Ecb = 0x02, "ECB";
        Pcbc = 0x03, "PCBC";
        Cfb = 0x04, "CFB";
        Ofb = 0x05, "OFB";
        Ctr = 0x06, "CTR";
        Cmac = 0x07, "CMAC";
        Ccm = 0x08, "CCM";
        Gcm = 0x09, "GCM";
        CbcMac = 0x0A, "CBC-MAC";
        Xts = 0x0B, "XTS";
        AesKeyWrapPadding = 0x0C, "AESKeyWrapPadding";
        NistKeyWrap = 0x0D, "NISTKeyWrap";
        X9_102Aeskw = 0x0E, "X9.102 AESKW";
        X9_102Tdkw = 0x0F, "X9.102 TDKW";
        X9_102Akw1 = 0x10, "X9.102 AKW1";
        X9_102Akw2 = 0x11, "X9.102 AKW2";
        Aead = 0x12, "AEAD";
    }
}

kmip_enum! {
    /// Padding Method (KMIP 1.4 §9.1.3.2.15).
    PaddingMethod {
        None = 0x01, "None";
        Oaep = 0x02, "OAEP";
        Pkcs5 = 0x03, "PKCS5";
        Ssl3 = 0x04, "SSL3";
        Zeros = 0x05, "Zeros";
        AnsiX923 = 0x06, "ANSI X9.23";
        Iso10126 = 0x07, "ISO 10126";
        Pkcs1v15 = 0x08, "PKCS1 v1.5";
        X931 = 0x09, "X9.31";
        Pss = 0x0A, "PSS";
    }
}

kmip_enum! {
    /// Hashing Algorithm (KMIP 1.4 §9.1.3.2.16; SHA-512/224 and /256 are 1.2's, SHA-3 1.4's).
    HashingAlgorithm {
        Md2 = 0x01, "MD2";
        Md4 = 0x02, "MD4";
        Md5 = 0x03, "MD5";
        Sha1 = 0x04, "SHA-1";
        Sha224 = 0x05, "SHA-224";
        Sha256 = 0x06, "SHA-256";
        Sha384 = 0x07, "SHA-384";
        Sha512 = 0x08, "SHA-512";
        Ripemd160 = 0x09, "RIPEMD-160";
        Tiger = 0x0A, "Tiger";
        Whirlpool = 0x0B, "Whirlpool";
        Sha512_224 = 0x0C, "SHA-512/224";
        Sha512_256 = 0x0D, "SHA-512/256";
        Sha3_224 = 0x0E, "SHA3-224";
        Sha3_256 = 0x0F, "SHA3-256";
        Sha3_384 = 0x10, "SHA3-384";
        Sha3_512 = 0x11, "SHA3-512";
    }
}

kmip_enum! {
    /// Digital Signature Algorithm (KMIP 1.4 §9.1.3.2.7, KMIP 1.1 onwards; SHA-3 rows are 1.4's).
    DigitalSignatureAlgorithm {
        Md2WithRsaEncryption = 0x01, "MD2 with RSA Encryption";
        Md5WithRsaEncryption = 0x02, "MD5 with RSA Encryption";
        Sha1WithRsaEncryption = 0x03, "SHA-1 with RSA Encryption";
        Sha224WithRsaEncryption = 0x04, "SHA-224 with RSA Encryption";
        Sha256WithRsaEncryption = 0x05, "SHA-256 with RSA Encryption";
        Sha384WithRsaEncryption = 0x06, "SHA-384 with RSA Encryption";
        Sha512WithRsaEncryption = 0x07, "SHA-512 with RSA Encryption";
        RsassaPss = 0x08, "RSASSA-PSS";
        DsaWithSha1 = 0x09, "DSA with SHA-1";
        DsaWithSha224 = 0x0A, "DSA with SHA224";
        DsaWithSha256 = 0x0B, "DSA with SHA256";
        EcdsaWithSha1 = 0x0C, "ECDSA with SHA-1";
        EcdsaWithSha224 = 0x0D, "ECDSA with SHA224";
        EcdsaWithSha256 = 0x0E, "ECDSA with SHA256";
        EcdsaWithSha384 = 0x0F, "ECDSA with SHA384";
        EcdsaWithSha512 = 0x10, "ECDSA with SHA512";
        Sha3_256WithRsaEncryption = 0x11, "SHA3-256 with RSA Encryption";
        Sha3_384WithRsaEncryption = 0x12, "SHA3-384 with RSA Encryption";
        Sha3_512WithRsaEncryption = 0x13, "SHA3-512 with RSA Encryption";
    }
}

kmip_enum! {
    /// Key Role Type (KMIP 1.4 §9.1.3.2.17; DUKPT, IV and TRKBK are 1.4's).
    KeyRoleType {
        Bdk = 0x01, "BDK";
        Cvk = 0x02, "CVK";
        Dek = 0x03, "DEK";
        Mkac = 0x04, "MKAC";
        Mksmc = 0x05, "MKSMC";
        Mksmi = 0x06, "MKSMI";
        Mkdac = 0x07, "MKDAC";
        Mkdn = 0x08, "MKDN";
        Mkcp = 0x09, "MKCP";
        Mkoth = 0x0A, "MKOTH";
        Kek = 0x0B, "KEK";
        Mac16609 = 0x0C, "MAC16609";
        Mac97971 = 0x0D, "MAC97971";
        Mac97972 = 0x0E, "MAC97972";
        Mac97973 = 0x0F, "MAC97973";
        Mac97974 = 0x10, "MAC97974";
        Mac97975 = 0x11, "MAC97975";
        Zpk = 0x12, "ZPK";
        Pvkibm = 0x13, "PVKIBM";
        Pvkpvv = 0x14, "PVKPVV";
        Pvkoth = 0x15, "PVKOTH";
        Dukpt = 0x16, "DUKPT";
        Iv = 0x17, "IV";
        Trkbk = 0x18, "TRKBK";
    }
}

kmip_enum! {
    /// Mask Generator (KMIP 1.4 §9.1.3.2.49, KMIP 1.4 onwards).
    MaskGenerator {
        Mgf1 = 0x01, "MGF1";
    }
}

/// Cryptographic Usage Mask (KMIP 1.4 §9.1.3.3.1): an Integer of bit flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct UsageMask(pub u32);

impl UsageMask {
    /// Sign.
    pub const SIGN: Self = Self(0x0000_0001);
    /// Verify.
    pub const VERIFY: Self = Self(0x0000_0002);
    /// Encrypt.
    pub const ENCRYPT: Self = Self(0x0000_0004);
    /// Decrypt.
    pub const DECRYPT: Self = Self(0x0000_0008);
    /// Wrap Key.
    pub const WRAP_KEY: Self = Self(0x0000_0010);
    /// Unwrap Key.
    pub const UNWRAP_KEY: Self = Self(0x0000_0020);
    /// Export (reserved in KMIP 2.0).
    pub const EXPORT: Self = Self(0x0000_0040);
    /// MAC Generate.
    pub const MAC_GENERATE: Self = Self(0x0000_0080);
    /// MAC Verify.
    pub const MAC_VERIFY: Self = Self(0x0000_0100);
    /// Derive Key.
    pub const DERIVE_KEY: Self = Self(0x0000_0200);
    /// Content Commitment (non-repudiation).
    pub const CONTENT_COMMITMENT: Self = Self(0x0000_0400);
    /// Key Agreement.
    pub const KEY_AGREEMENT: Self = Self(0x0000_0800);
    /// Certificate Sign.
    pub const CERTIFICATE_SIGN: Self = Self(0x0000_1000);
    /// CRL Sign.
    pub const CRL_SIGN: Self = Self(0x0000_2000);
    /// Authenticate (KMIP 2.0).
    pub const AUTHENTICATE: Self = Self(0x0010_0000);
    /// Unrestricted (KMIP 2.0).
    pub const UNRESTRICTED: Self = Self(0x0020_0000);
    /// FPE Encrypt (KMIP 2.0).
    pub const FPE_ENCRYPT: Self = Self(0x0040_0000);
    /// FPE Decrypt (KMIP 2.0).
    pub const FPE_DECRYPT: Self = Self(0x0080_0000);

    /// Whether every bit of `other` is set here.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for UsageMask {
    type Output = Self;
    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl Field for UsageMask {
    fn decode(item: &Item, _: ProtocolVersion) -> Result<Self, CodecError> {
        match item.value {
            Value::Integer(bits) => Ok(Self(u32::from_ne_bytes(bits.to_ne_bytes()))),
            _ => Err(wrong_type(item, ItemType::Integer)),
        }
    }

    fn encode(&self, tag: Tag, _: ProtocolVersion) -> Result<Item, CodecError> {
        Ok(Item::new(
            tag,
            Value::Integer(i32::from_ne_bytes(self.0.to_ne_bytes())),
        ))
    }
}
