//! The operations served, each one core call (or two: the key's attributes, then its use).

use super::attrs::{self, class_of, HMACS};
use super::Failure;
use crate::auth::Caller;
use crate::ck::*;
use crate::keys::{export, generate, manage, usage};
use crate::model::lifecycle::Transition;
use crate::model::op::Op;
use crate::state::Services;
use kms_api::mech::Hash;
use kms_api::msg::{
    CryptoRequest, FindRequest, GenerateKeyPairRequest, GenerateKeyRequest, ObjectInfo,
    VerifyRequest,
};
use kms_api::{Attr, AttrValue, Bytes, MechParams, Mechanism, SecretBytes};
use kms_kmip::attr::{Attribute, AttributeRef, AttributeValue};
use kms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm as Alg, DigitalSignatureAlgorithm as Dsa,
    HashingAlgorithm, KeyFormatType, ObjectType, Operation, PaddingMethod, QueryFunction,
    ResultReason, RevocationReasonCode, UsageMask, ValidityIndicator,
};
use kms_kmip::object::{KeyBlock, KeyMaterial, KeyObject, KeyValue, ManagedObject};
use kms_kmip::params::CryptographicParameters;
use kms_kmip::payload::MultiPart;
use kms_kmip::payload::{
    AttributeChangeResponse, CreateKeyPairRequest, CreateKeyPairResponse, CreateRequest,
    CreateResponse, DecryptRequest, DecryptResponse, DiscoverVersions, EncryptRequest,
    EncryptResponse, GetAttributeListResponse, GetAttributesRequest, GetAttributesResponse,
    GetRequest, GetResponse, IdResponse, KeyUse, LocateRequest, LocateResponse, MacRequest,
    MacResponse, MacVerifyRequest, MacVerifyResponse, QueryRequest, QueryResponse, RegisterRequest,
    RegisterResponse, RequestPayload, ResponsePayload, RevokeRequest, SignRequest, SignResponse,
    SignatureVerifyRequest, SignatureVerifyResponse,
};
use kms_kmip::ProtocolVersion;
use zeroize::Zeroizing;

/// The operations served, as Query lists them.
pub const OPERATIONS: [Operation; 21] = [
    Operation::Create,
    Operation::CreateKeyPair,
    Operation::Register,
    Operation::Locate,
    Operation::Get,
    Operation::GetAttributes,
    Operation::GetAttributeList,
    Operation::AddAttribute,
    Operation::ModifyAttribute,
    Operation::DeleteAttribute,
    Operation::Activate,
    Operation::Revoke,
    Operation::Destroy,
    Operation::Query,
    Operation::DiscoverVersions,
    Operation::Encrypt,
    Operation::Decrypt,
    Operation::Sign,
    Operation::SignatureVerify,
    Operation::Mac,
    Operation::MacVerify,
];

/// The object types served, as Query lists them.
pub const OBJECT_TYPES: [ObjectType; 3] = [
    ObjectType::SymmetricKey,
    ObjectType::PublicKey,
    ObjectType::PrivateKey,
];

/// What one batch item runs with.
pub(crate) struct Ctx<'a> {
    pub(crate) svc: &'a Services,
    pub(crate) caller: &'a Caller,
    pub(crate) token: &'a str,
    pub(crate) version: ProtocolVersion,
}

type Outcome = std::result::Result<ResponsePayload, Failure>;

impl Ctx<'_> {
    fn fail(&self, e: crate::error::Error) -> Failure {
        Failure::of(&e, self.version)
    }

    fn object(&self, id: &str) -> std::result::Result<ObjectInfo, Failure> {
        crate::keys::access::check_id(id).map_err(|e| self.fail(e))?;
        manage::get(self.svc, self.caller, self.token, id).map_err(|e| self.fail(e))
    }
}

fn invalid(message: &str) -> Failure {
    Failure::new(ResultReason::InvalidField, message)
}

fn unsupported(message: &str) -> Failure {
    Failure::new(ResultReason::FeatureNotSupported, message)
}

/// The object a request names: its Unique Identifier, else the ID Placeholder.
fn target(
    given: Option<&String>,
    placeholder: &Option<String>,
) -> std::result::Result<String, Failure> {
    given.or(placeholder.as_ref()).cloned().ok_or_else(|| {
        Failure::new(
            ResultReason::MissingData,
            "no Unique Identifier and no ID Placeholder",
        )
    })
}

/// Runs one batch item's payload; `placeholder` is the ID Placeholder of the batch.
pub(crate) fn run(
    ctx: &Ctx<'_>,
    payload: &RequestPayload,
    placeholder: &mut Option<String>,
) -> Outcome {
    let out = match payload {
        RequestPayload::Query(q) => Ok(query(q)),
        RequestPayload::DiscoverVersions(d) => Ok(discover(d)),
        RequestPayload::Create(r) => create(ctx, r),
        RequestPayload::CreateKeyPair(r) => create_pair(ctx, r),
        RequestPayload::Register(r) => register(ctx, r),
        RequestPayload::Locate(r) => locate(ctx, r),
        RequestPayload::Get(r) => get(ctx, r, placeholder),
        RequestPayload::GetAttributes(r) => get_attributes(ctx, r, placeholder),
        RequestPayload::GetAttributeList(r) => {
            let id = target(r.unique_identifier.as_ref(), placeholder)?;
            let info = ctx.object(&id)?;
            let references = attrs::of_object(&id, &info.attrs, ctx.version)
                .iter()
                .filter_map(|a| a.value.tag().map(AttributeRef::Tag))
                .collect();
            Ok(ResponsePayload::GetAttributeList(
                GetAttributeListResponse {
                    unique_identifier: id,
                    references,
                },
            ))
        }
        RequestPayload::AddAttribute(r) => {
            let id = target(r.unique_identifier.as_ref(), placeholder)?;
            let echoed = set_name(ctx, &id, &r.attribute, false)?;
            Ok(ResponsePayload::AddAttribute(echoed))
        }
        RequestPayload::ModifyAttribute(r) => {
            let id = target(r.unique_identifier.as_ref(), placeholder)?;
            let echoed = set_name(ctx, &id, &r.new_attribute, true)?;
            Ok(ResponsePayload::ModifyAttribute(echoed))
        }
        RequestPayload::DeleteAttribute(r) => {
            let id = target(r.unique_identifier.as_ref(), placeholder)?;
            let is_name = match (&r.reference, &r.current_attribute) {
                (Some(AttributeRef::Tag(t)), _) => *t == kms_kmip::Tag::NAME,
                (_, Some(a)) => matches!(a.value, AttributeValue::Name(_)),
                _ => false,
            };
            if !is_name {
                return Err(Failure::new(
                    ResultReason::PermissionDenied,
                    "only the Name can be deleted (the other attributes are kmsd's)",
                ));
            }
            let old = attrs::label(&ctx.object(&id)?.attrs).ok_or_else(|| {
                Failure::new(ResultReason::ItemNotFound, "the object has no Name")
            })?;
            label(ctx, &id, Vec::new())?;
            // KMIP 1.x echoes the attribute deleted.
            let deleted = AttributeValue::Name(kms_kmip::attr::Name {
                value: old,
                name_type: kms_kmip::enums::NameType::UninterpretedTextString,
            });
            Ok(ResponsePayload::DeleteAttribute(AttributeChangeResponse {
                unique_identifier: id,
                attribute: (!ctx.version.is_v2()).then(|| Attribute::new(deleted)),
            }))
        }
        RequestPayload::Activate(r) => {
            let id = target(r.unique_identifier.as_ref(), placeholder)?;
            crate::keys::access::check_id(&id).map_err(|e| ctx.fail(e))?;
            export::transition(
                ctx.svc,
                ctx.caller,
                ctx.token,
                &id,
                Transition::Activate,
                None,
            )
            .map_err(|e| ctx.fail(e))?;
            Ok(ResponsePayload::Activate(IdResponse {
                unique_identifier: id,
            }))
        }
        RequestPayload::Revoke(r) => revoke(ctx, r, placeholder),
        RequestPayload::Destroy(r) => {
            let id = target(r.unique_identifier.as_ref(), placeholder)?;
            crate::keys::access::check_id(&id).map_err(|e| ctx.fail(e))?;
            manage::destroy(ctx.svc, ctx.caller, ctx.token, &id).map_err(|e| ctx.fail(e))?;
            Ok(ResponsePayload::Destroy(IdResponse {
                unique_identifier: id,
            }))
        }
        RequestPayload::Encrypt(r) => encrypt(ctx, r, placeholder),
        RequestPayload::Decrypt(r) => decrypt(ctx, r, placeholder),
        RequestPayload::Sign(r) => sign(ctx, r, placeholder),
        RequestPayload::SignatureVerify(r) => signature_verify(ctx, r, placeholder),
        RequestPayload::Mac(r) => mac(ctx, r, placeholder),
        RequestPayload::MacVerify(r) => mac_verify(ctx, r, placeholder),
        other => Err(Failure::new(
            ResultReason::OperationNotSupported,
            format!(
                "{} is not served",
                other.operation().name().unwrap_or("this operation")
            ),
        )),
    }?;
    match &out {
        ResponsePayload::Create(r) => *placeholder = Some(r.unique_identifier.clone()),
        ResponsePayload::Register(r) => *placeholder = Some(r.unique_identifier.clone()),
        ResponsePayload::CreateKeyPair(r) => {
            *placeholder = Some(r.private_key_unique_identifier.clone());
        }
        ResponsePayload::Locate(r) if r.unique_identifiers.len() == 1 => {
            *placeholder = r.unique_identifiers.first().cloned();
        }
        _ => {}
    }
    Ok(out)
}

fn query(q: &QueryRequest) -> ResponsePayload {
    let wants = |f: QueryFunction| q.functions.contains(&f);
    ResponsePayload::Query(QueryResponse {
        operations: if wants(QueryFunction::QueryOperations) {
            OPERATIONS.to_vec()
        } else {
            Vec::new()
        },
        object_types: if wants(QueryFunction::QueryObjects) {
            OBJECT_TYPES.to_vec()
        } else {
            Vec::new()
        },
        vendor_identification: wants(QueryFunction::QueryServerInformation)
            .then(|| format!("kms-pkcs11 kmsd {}", env!("CARGO_PKG_VERSION"))),
        ..QueryResponse::default()
    })
}

/// The versions served that the client lists (all of them when it lists none), ours first.
fn discover(d: &DiscoverVersions) -> ResponsePayload {
    let versions = ProtocolVersion::SUPPORTED
        .into_iter()
        .filter(|v| d.versions.is_empty() || d.versions.contains(v))
        .collect();
    ResponsePayload::DiscoverVersions(DiscoverVersions { versions })
}

/// What the attributes of a new object ask for.
#[derive(Default)]
struct Wanted {
    algorithm: Option<Alg>,
    length: Option<i32>,
    name: Option<String>,
    mask: Option<UsageMask>,
    sensitive: Option<bool>,
    extractable: Option<bool>,
}

impl Wanted {
    /// Reads `lists`, later ones overriding earlier ones (common, then the half's own).
    fn read(lists: &[&[Attribute]]) -> std::result::Result<Self, Failure> {
        let mut w = Wanted::default();
        for list in lists {
            for a in *list {
                match &a.value {
                    AttributeValue::CryptographicAlgorithm(x) => w.algorithm = Some(*x),
                    AttributeValue::CryptographicLength(x) => w.length = Some(*x),
                    AttributeValue::Name(n) => w.name = Some(n.value.clone()),
                    AttributeValue::CryptographicUsageMask(m) => w.mask = Some(*m),
                    AttributeValue::Sensitive(b) => w.sensitive = Some(*b),
                    AttributeValue::Extractable(b) => w.extractable = Some(*b),
                    // Set by the server, or carried by no PKCS#11 attribute: refused rather
                    // than dropped.
                    AttributeValue::ObjectType(_) | AttributeValue::OperationPolicyName(_) => {}
                    other => {
                        let what = other
                            .tag()
                            .and_then(|t| t.info())
                            .map_or("an attribute", |i| i.name);
                        return Err(invalid(&format!(
                            "{what} cannot be set on a new object here"
                        )));
                    }
                }
            }
        }
        Ok(w)
    }

    /// The template attributes every new key gets: a token object, its label, and (for a
    /// secret or private key) the export flags — not sensitive and extractable unless the
    /// request says otherwise (README "KMIP").
    fn base(&self, private: bool, secret: bool) -> Vec<Attr> {
        let mut t = vec![
            attr(CKA_TOKEN, AttrValue::Bool(true)),
            attr(CKA_PRIVATE, AttrValue::Bool(private)),
        ];
        if let Some(name) = &self.name {
            t.push(attr(
                CKA_LABEL,
                AttrValue::Bytes(Bytes(name.as_bytes().to_vec())),
            ));
        }
        if secret {
            t.push(attr(
                CKA_SENSITIVE,
                AttrValue::Bool(self.sensitive.unwrap_or(false)),
            ));
            t.push(attr(
                CKA_EXTRACTABLE,
                AttrValue::Bool(self.extractable.unwrap_or(true)),
            ));
        }
        t
    }
}

fn attr(ty: u64, value: AttrValue) -> Attr {
    Attr { ty, value }
}

const SECRET_FLAGS: [u64; 7] = [
    CKA_ENCRYPT,
    CKA_DECRYPT,
    CKA_SIGN,
    CKA_VERIFY,
    CKA_WRAP,
    CKA_UNWRAP,
    CKA_DERIVE,
];
const PRIVATE_FLAGS: [u64; 4] = [CKA_SIGN, CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE];
const PUBLIC_FLAGS: [u64; 3] = [CKA_VERIFY, CKA_ENCRYPT, CKA_WRAP];

/// The key type, default usage and extra template of a new secret key of `alg`.
fn secret_kind(alg: Alg) -> std::result::Result<(u64, UsageMask, Vec<Attr>), Failure> {
    if alg == Alg::Aes {
        return Ok((
            CKK_AES,
            UsageMask(UsageMask::ENCRYPT.0 | UsageMask::DECRYPT.0),
            Vec::new(),
        ));
    }
    match HMACS.iter().find(|(_, a)| *a == alg) {
        Some((hmac, _)) => Ok((
            CKK_GENERIC_SECRET,
            UsageMask(UsageMask::MAC_GENERATE.0 | UsageMask::MAC_VERIFY.0),
            vec![attr(
                CKA_ALLOWED_MECHANISMS,
                AttrValue::UlongList(vec![*hmac]),
            )],
        )),
        None => Err(unsupported("symmetric keys: AES and HMAC-SHA256/384/512")),
    }
}

/// Register: a symmetric key in Raw format becomes a token secret key (`C_CreateObject`: an
/// imported key, which may not wrap or unwrap).
fn register(ctx: &Ctx<'_>, r: &RegisterRequest) -> Outcome {
    let ManagedObject::SymmetricKey(key) = &r.object else {
        return Err(unsupported("Register takes symmetric keys"));
    };
    let block = &key.key_block;
    let KeyValue::Plain {
        material: KeyMaterial::Bytes(value),
        ..
    } = &block.key_value
    else {
        return Err(unsupported("Register takes a clear key in Raw format"));
    };
    if block.key_format_type != KeyFormatType::Raw {
        return Err(Failure::new(
            ResultReason::KeyFormatTypeNotSupported,
            "Raw keys only",
        ));
    }
    let mut w = Wanted::read(&[&r.attributes.0])?;
    w.algorithm = w.algorithm.or(block.cryptographic_algorithm);
    let alg = w
        .algorithm
        .ok_or_else(|| invalid("Cryptographic Algorithm is required"))?;
    let (key_type, default_mask, extra) = secret_kind(alg)?;
    let mut template = w.base(true, true);
    template.extend(extra);
    template.push(attr(CKA_CLASS, AttrValue::Ulong(CKO_SECRET_KEY)));
    template.push(attr(CKA_KEY_TYPE, AttrValue::Ulong(key_type)));
    template.push(attr(CKA_VALUE, AttrValue::Bytes(Bytes(value.clone()))));
    template.extend(attrs::usage_flags(
        w.mask.unwrap_or(default_mask),
        &SECRET_FLAGS,
    ));
    let info = crate::keys::create::create_object(ctx.svc, ctx.caller, ctx.token, &template)
        .map_err(|e| ctx.fail(e))?;
    Ok(ResponsePayload::Register(RegisterResponse {
        unique_identifier: info.id,
        attributes: None,
    }))
}

fn create(ctx: &Ctx<'_>, r: &CreateRequest) -> Outcome {
    if r.object_type != ObjectType::SymmetricKey {
        return Err(unsupported(
            "Create makes symmetric keys (key pairs: Create Key Pair)",
        ));
    }
    let w = Wanted::read(&[&r.attributes.0])?;
    let alg = w
        .algorithm
        .ok_or_else(|| invalid("Cryptographic Algorithm is required"))?;
    let bits = w
        .length
        .ok_or_else(|| invalid("Cryptographic Length is required"))?;
    if bits <= 0 || bits % 8 != 0 {
        return Err(invalid(
            "Cryptographic Length must be a positive multiple of 8",
        ));
    }
    let mut template = w.base(true, true);
    let (mechanism, default_mask) = if alg == Alg::Aes {
        (
            CKM_AES_KEY_GEN,
            UsageMask(UsageMask::ENCRYPT.0 | UsageMask::DECRYPT.0),
        )
    } else if let Some((hmac, _)) = HMACS.iter().find(|(_, a)| *a == alg) {
        template.push(attr(
            CKA_ALLOWED_MECHANISMS,
            AttrValue::UlongList(vec![*hmac]),
        ));
        (
            CKM_GENERIC_SECRET_KEY_GEN,
            UsageMask(UsageMask::MAC_GENERATE.0 | UsageMask::MAC_VERIFY.0),
        )
    } else {
        return Err(unsupported("Create makes AES and HMAC-SHA256/384/512 keys"));
    };
    template.push(attr(CKA_VALUE_LEN, AttrValue::Ulong((bits / 8) as u64)));
    template.extend(attrs::usage_flags(
        w.mask.unwrap_or(default_mask),
        &SECRET_FLAGS,
    ));
    let req = GenerateKeyRequest {
        mechanism: Mechanism::new(mechanism),
        template,
    };
    let info =
        generate::generate_key(ctx.svc, ctx.caller, ctx.token, &req).map_err(|e| ctx.fail(e))?;
    Ok(ResponsePayload::Create(CreateResponse {
        object_type: ObjectType::SymmetricKey,
        unique_identifier: info.id,
        attributes: None,
    }))
}

fn create_pair(ctx: &Ctx<'_>, r: &CreateKeyPairRequest) -> Outcome {
    let list =
        |l: &Option<kms_kmip::attr::AttributeList>| l.as_ref().map_or(Vec::new(), |l| l.0.clone());
    let (common, private, public) = (
        list(&r.common_attributes),
        list(&r.private_key_attributes),
        list(&r.public_key_attributes),
    );
    let wp = Wanted::read(&[&common, &private])?;
    let wq = Wanted::read(&[&common, &public])?;
    let alg = wp
        .algorithm
        .or(wq.algorithm)
        .ok_or_else(|| invalid("Cryptographic Algorithm is required"))?;
    let bits = wp
        .length
        .or(wq.length)
        .ok_or_else(|| invalid("Cryptographic Length is required"))?;
    let mut pub_t = wq.base(false, false);
    let mut priv_t = wp.base(true, true);
    let mechanism = match alg {
        Alg::Rsa => {
            pub_t.push(attr(
                CKA_MODULUS_BITS,
                AttrValue::Ulong(u64::try_from(bits).unwrap_or(0)),
            ));
            pub_t.push(attr(
                CKA_PUBLIC_EXPONENT,
                AttrValue::Bytes(Bytes(vec![1, 0, 1])),
            ));
            CKM_RSA_PKCS_KEY_PAIR_GEN
        }
        Alg::Ec | Alg::Ecdsa => {
            let curve = attrs::curve_of_bits(bits)
                .ok_or_else(|| invalid("EC keys are 256, 384 or 521 bits (P-256, P-384, P-521)"))?;
            pub_t.push(attr(
                CKA_EC_PARAMS,
                AttrValue::Bytes(Bytes(curve.params().to_vec())),
            ));
            CKM_EC_KEY_PAIR_GEN
        }
        _ => return Err(unsupported("Create Key Pair makes RSA and EC keys")),
    };
    priv_t.extend(attrs::usage_flags(
        wp.mask.unwrap_or(UsageMask::SIGN),
        &PRIVATE_FLAGS,
    ));
    pub_t.extend(attrs::usage_flags(
        wq.mask.unwrap_or(UsageMask::VERIFY),
        &PUBLIC_FLAGS,
    ));
    let req = GenerateKeyPairRequest {
        mechanism: Mechanism::new(mechanism),
        public_template: pub_t,
        private_template: priv_t,
    };
    let pair =
        generate::generate_pair(ctx.svc, ctx.caller, ctx.token, &req).map_err(|e| ctx.fail(e))?;
    Ok(ResponsePayload::CreateKeyPair(CreateKeyPairResponse {
        private_key_unique_identifier: pair.private.id,
        public_key_unique_identifier: pair.public.id,
        private_key_attributes: None,
        public_key_attributes: None,
    }))
}

/// Sets the object's `CKA_LABEL` (`C_SetAttributeValue`, its rules: `CKA_MODIFIABLE`, the key's
/// principals).
fn label(ctx: &Ctx<'_>, id: &str, value: Vec<u8>) -> std::result::Result<(), Failure> {
    crate::keys::access::check_id(id).map_err(|e| ctx.fail(e))?;
    let template = [attr(CKA_LABEL, AttrValue::Bytes(Bytes(value)))];
    manage::set_attributes(ctx.svc, ctx.caller, ctx.token, id, &template)
        .map_err(|e| ctx.fail(e))?;
    Ok(())
}

/// Add Attribute / Modify Attribute: the Name is the one attribute a client sets after creation
/// (one Name: `CKA_LABEL`). Adding a Name to an object that has one is refused.
fn set_name(
    ctx: &Ctx<'_>,
    id: &str,
    attribute: &Attribute,
    modify: bool,
) -> std::result::Result<AttributeChangeResponse, Failure> {
    let AttributeValue::Name(name) = &attribute.value else {
        return Err(Failure::new(
            ResultReason::PermissionDenied,
            "only the Name can be added or modified (the other attributes are kmsd's)",
        ));
    };
    if !modify && attrs::label(&ctx.object(id)?.attrs).is_some() {
        return Err(Failure::new(
            ResultReason::PermissionDenied,
            "the object has a Name already (one Name: CKA_LABEL); modify it",
        ));
    }
    label(ctx, id, name.value.as_bytes().to_vec())?;
    Ok(AttributeChangeResponse {
        unique_identifier: id.to_owned(),
        attribute: (!ctx.version.is_v2()).then(|| Attribute::new(attribute.value.clone())),
    })
}

fn get(ctx: &Ctx<'_>, r: &GetRequest, placeholder: &Option<String>) -> Outcome {
    let id = target(r.unique_identifier.as_ref(), placeholder)?;
    if r.key_wrapping_specification.is_some() || r.key_wrap_type.is_some() {
        return Err(unsupported(
            "Get with a Key Wrapping Specification is not served",
        ));
    }
    if r.key_compression_type.is_some() {
        return Err(Failure::new(
            ResultReason::KeyCompressionTypeNotSupported,
            "no key compression",
        ));
    }
    let info = ctx.object(&id)?;
    let class = kms_api::attr::find(&info.attrs, CKA_CLASS).and_then(AttrValue::as_ulong);
    let (object_type, format, material) = match class {
        Some(CKO_PUBLIC_KEY) => {
            let spki = kms_api::attr::find(&info.attrs, CKA_PUBLIC_KEY_INFO)
                .and_then(AttrValue::as_bytes)
                .ok_or_else(|| {
                    Failure::new(ResultReason::KeyValueNotPresent, "no public key info")
                })?;
            (ObjectType::PublicKey, KeyFormatType::X509, spki.to_vec())
        }
        Some(c @ (CKO_SECRET_KEY | CKO_PRIVATE_KEY)) => {
            let clear = export::export_clear(ctx.svc, ctx.caller, ctx.token, &id)
                .map_err(|e| ctx.fail(e))?;
            let (t, f) = match c {
                CKO_SECRET_KEY => (ObjectType::SymmetricKey, KeyFormatType::Raw),
                _ => (ObjectType::PrivateKey, KeyFormatType::Pkcs8),
            };
            (t, f, clear.material.to_vec())
        }
        _ => return Err(unsupported("Get returns keys")),
    };
    if r.key_format_type.is_some_and(|f| f != format) {
        return Err(Failure::new(
            ResultReason::KeyFormatTypeNotSupported,
            format!(
                "this key is returned as {}",
                format.name().unwrap_or("its format")
            ),
        ));
    }
    let key_block = KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: KeyValue::Plain {
            material: KeyMaterial::Bytes(material),
            attributes: Vec::new(),
        },
        cryptographic_algorithm: attrs::algorithm(&info.attrs),
        cryptographic_length: attrs::length(&info.attrs),
        key_wrapping_data: None,
    };
    let key = KeyObject { key_block };
    let object = match object_type {
        ObjectType::SymmetricKey => ManagedObject::SymmetricKey(key),
        ObjectType::PrivateKey => ManagedObject::PrivateKey(key),
        _ => ManagedObject::PublicKey(key),
    };
    Ok(ResponsePayload::Get(GetResponse {
        object_type,
        unique_identifier: id,
        object,
    }))
}

fn get_attributes(
    ctx: &Ctx<'_>,
    r: &GetAttributesRequest,
    placeholder: &Option<String>,
) -> Outcome {
    let id = target(r.unique_identifier.as_ref(), placeholder)?;
    let info = ctx.object(&id)?;
    let attributes = attrs::of_object(&id, &info.attrs, ctx.version)
        .into_iter()
        .filter(|a| {
            r.references.is_empty()
                || r.references
                    .iter()
                    .any(|x| matches!(x, AttributeRef::Tag(t) if a.value.tag() == Some(*t)))
        })
        .collect();
    Ok(ResponsePayload::GetAttributes(GetAttributesResponse {
        unique_identifier: id,
        attributes,
    }))
}

fn locate(ctx: &Ctx<'_>, r: &LocateRequest) -> Outcome {
    let mut template = Vec::new();
    let mut after: Vec<&AttributeValue> = Vec::new();
    for a in &r.attributes {
        match &a.value {
            AttributeValue::Name(n) => {
                template.push(attr(
                    CKA_LABEL,
                    AttrValue::Bytes(Bytes(n.value.as_bytes().to_vec())),
                ));
            }
            AttributeValue::ObjectType(t) => {
                let class = class_of(*t).ok_or_else(|| unsupported("no such objects here"))?;
                template.push(attr(CKA_CLASS, AttrValue::Ulong(class)));
            }
            v @ (AttributeValue::CryptographicAlgorithm(_)
            | AttributeValue::CryptographicLength(_)
            | AttributeValue::State(_)
            | AttributeValue::UniqueIdentifier(_)
            | AttributeValue::CryptographicUsageMask(_)) => after.push(v),
            other => {
                let what = other
                    .tag()
                    .and_then(|t| t.info())
                    .map_or("this attribute", |i| i.name);
                return Err(unsupported(&format!("Locate by {what} is not served")));
            }
        }
    }
    let found = manage::find(ctx.svc, ctx.caller, ctx.token, &FindRequest { template })
        .map_err(|e| ctx.fail(e))?;
    let matching: Vec<String> = found
        .objects
        .into_iter()
        .filter_map(|o| {
            let shown = attrs::of_object(&o.id, &o.attrs, ctx.version);
            let served = shown.iter().any(
                |a| matches!(&a.value, AttributeValue::ObjectType(t) if OBJECT_TYPES.contains(t)),
            );
            let all = after.iter().all(|want| match want {
                AttributeValue::CryptographicUsageMask(m) => {
                    m.0 & !attrs::usage_mask(&o.attrs).0 == 0
                }
                w => shown.iter().any(|a| &&a.value == w),
            });
            (served && all).then_some(o.id)
        })
        .collect();
    let total = matching.len();
    let skip = usize::try_from(r.offset_items.unwrap_or(0).max(0)).unwrap_or(0);
    let take = match r.maximum_items {
        Some(m) if m >= 0 => usize::try_from(m).unwrap_or(usize::MAX),
        _ => usize::MAX,
    };
    let unique_identifiers = matching.into_iter().skip(skip).take(take).collect();
    Ok(ResponsePayload::Locate(LocateResponse {
        located_items: (ctx.version >= ProtocolVersion::V1_3)
            .then(|| i32::try_from(total).unwrap_or(i32::MAX)),
        unique_identifiers,
    }))
}

fn revoke(ctx: &Ctx<'_>, r: &RevokeRequest, placeholder: &Option<String>) -> Outcome {
    let id = target(r.unique_identifier.as_ref(), placeholder)?;
    crate::keys::access::check_id(&id).map_err(|e| ctx.fail(e))?;
    let code = r.revocation_reason.code;
    let compromised = matches!(
        code,
        RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise
    );
    let (t, reason) = if compromised {
        let reason: String = r
            .revocation_reason
            .message
            .clone()
            .unwrap_or_else(|| code.name().unwrap_or("compromise").to_owned())
            .chars()
            .filter(|c| !c.is_control())
            .take(256)
            .collect();
        (Transition::Revoke, Some(reason))
    } else {
        (Transition::Deactivate, None)
    };
    export::transition(ctx.svc, ctx.caller, ctx.token, &id, t, reason.as_deref())
        .map_err(|e| ctx.fail(e))?;
    Ok(ResponsePayload::Revoke(IdResponse {
        unique_identifier: id,
    }))
}

fn hash_of(h: HashingAlgorithm) -> std::result::Result<Hash, Failure> {
    Ok(match h {
        HashingAlgorithm::Sha256 => Hash::Sha256,
        HashingAlgorithm::Sha384 => Hash::Sha384,
        HashingAlgorithm::Sha512 => Hash::Sha512,
        HashingAlgorithm::Sha1 => Hash::Sha1,
        _ => {
            return Err(unsupported(
                "hashing algorithms: SHA-1 (OAEP only), SHA-256, SHA-384, SHA-512",
            ))
        }
    })
}

/// Refuses a multi-part (streamed) request: only one-shot calls are served.
fn single_part(m: &MultiPart, what: &str) -> std::result::Result<(), Failure> {
    if m.correlation_value.is_some() || m.init_indicator.is_some() || m.final_indicator.is_some() {
        return Err(unsupported(&format!("multi-part {what} is not served")));
    }
    Ok(())
}

/// The key a crypto request uses, its attributes, and its Cryptographic Parameters.
fn key_of<'p>(
    ctx: &Ctx<'_>,
    key: &'p KeyUse,
    placeholder: &Option<String>,
) -> std::result::Result<
    (
        String,
        ObjectInfo,
        std::borrow::Cow<'p, CryptographicParameters>,
    ),
    Failure,
> {
    let id = target(key.unique_identifier.as_ref(), placeholder)?;
    let info = ctx.object(&id)?;
    let params = match &key.cryptographic_parameters {
        Some(p) => std::borrow::Cow::Borrowed(p),
        None => std::borrow::Cow::Owned(CryptographicParameters::default()),
    };
    Ok((id, info, params))
}

fn key_type(info: &ObjectInfo) -> Option<u64> {
    kms_api::attr::find(&info.attrs, CKA_KEY_TYPE).and_then(AttrValue::as_ulong)
}

/// Runs `op` with `mechanism` on key `id`.
fn use_key(
    ctx: &Ctx<'_>,
    id: &str,
    op: Op,
    mechanism: Mechanism,
    data: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, Failure> {
    let req = CryptoRequest {
        mechanism,
        data: SecretBytes(Zeroizing::new(data.to_vec())),
    };
    let out = usage::run(ctx.svc, ctx.caller, ctx.token, id, op, &req).map_err(|e| ctx.fail(e))?;
    Ok(out.data.0)
}

/// An AES mechanism from Cryptographic Parameters: (mechanism, tag length of GCM, IV made here).
fn aes_mechanism(
    p: &CryptographicParameters,
    iv: Option<&[u8]>,
    aad: Option<&[u8]>,
    encrypt: bool,
) -> std::result::Result<(Mechanism, usize, Option<Vec<u8>>), Failure> {
    let mode = p.block_cipher_mode.unwrap_or(BlockCipherMode::Cbc);
    let iv_len = if mode == BlockCipherMode::Gcm { 12 } else { 16 };
    let (iv, made) = match iv {
        Some(iv) => (iv.to_vec(), None),
        None if mode == BlockCipherMode::Ecb => (Vec::new(), None),
        None if encrypt => {
            let iv = crate::crypto::rng::bytes(iv_len)
                .map_err(|e| Failure::of(&e, ProtocolVersion::V1_4))?;
            (iv.clone(), Some(iv))
        }
        None => {
            return Err(Failure::new(
                ResultReason::MissingData,
                "the IV/Counter/Nonce is required",
            ))
        }
    };
    let padding = p.padding_method;
    let (mechanism, params, tag) = match mode {
        BlockCipherMode::Cbc => match padding.unwrap_or(PaddingMethod::Pkcs5) {
            PaddingMethod::Pkcs5 => (CKM_AES_CBC_PAD, MechParams::Iv(Bytes(iv)), 0),
            PaddingMethod::None => (CKM_AES_CBC, MechParams::Iv(Bytes(iv)), 0),
            _ => return Err(unsupported("AES-CBC pads with PKCS5 or not at all")),
        },
        BlockCipherMode::Ecb => (CKM_AES_ECB, MechParams::None, 0),
        BlockCipherMode::Gcm => {
            let tag = usize::try_from(p.tag_length.unwrap_or(16)).unwrap_or(0);
            let params = MechParams::Gcm {
                iv: Bytes(iv),
                aad: Bytes(aad.unwrap_or_default().to_vec()),
                tag_bits: (tag * 8) as u64,
            };
            (CKM_AES_GCM, params, tag)
        }
        _ => return Err(unsupported("AES modes: CBC, ECB, GCM")),
    };
    Ok((Mechanism { mechanism, params }, tag, made))
}

fn oaep(p: &CryptographicParameters) -> std::result::Result<Mechanism, Failure> {
    match p.padding_method.unwrap_or(PaddingMethod::Oaep) {
        PaddingMethod::Oaep => {
            let hash = hash_of(p.hashing_algorithm.unwrap_or(HashingAlgorithm::Sha1))?;
            Ok(Mechanism {
                mechanism: CKM_RSA_PKCS_OAEP,
                params: MechParams::Oaep {
                    hash: hash.ckm(),
                    mgf: hash.mgf1(),
                    label: Bytes(p.p_source.clone().unwrap_or_default()),
                },
            })
        }
        PaddingMethod::Pkcs1v15 => Ok(Mechanism::new(CKM_RSA_PKCS)),
        _ => Err(unsupported("RSA decryption: OAEP or PKCS1 v1.5")),
    }
}

fn encrypt(ctx: &Ctx<'_>, r: &EncryptRequest, placeholder: &Option<String>) -> Outcome {
    single_part(&r.multi_part, "Encrypt")?;
    let (id, info, p) = key_of(ctx, &r.key, placeholder)?;
    if key_type(&info) != Some(CKK_AES) {
        return Err(unsupported(
            "Encrypt uses AES keys (public-key encryption is the client's)",
        ));
    }
    let data = r
        .data
        .as_deref()
        .ok_or_else(|| Failure::new(ResultReason::MissingData, "no Data"))?;
    let aad = r.authenticated_encryption_additional_data.as_deref();
    let (mechanism, tag, made) = aes_mechanism(&p, r.iv_counter_nonce.as_deref(), aad, true)?;
    let mut out = use_key(ctx, &id, Op::Encrypt, mechanism, data)?;
    let split = out.len().saturating_sub(tag);
    let tag = (tag > 0 && out.len() >= tag).then(|| out.split_off(split));
    Ok(ResponsePayload::Encrypt(EncryptResponse {
        unique_identifier: id,
        data: Some(out.to_vec()),
        iv_counter_nonce: made,
        correlation_value: None,
        authenticated_encryption_tag: tag,
    }))
}

fn decrypt(ctx: &Ctx<'_>, r: &DecryptRequest, placeholder: &Option<String>) -> Outcome {
    single_part(&r.multi_part, "Decrypt")?;
    let (id, info, p) = key_of(ctx, &r.key, placeholder)?;
    let data = r
        .data
        .as_deref()
        .ok_or_else(|| Failure::new(ResultReason::MissingData, "no Data"))?;
    let (mechanism, input) = match key_type(&info) {
        Some(CKK_AES) => {
            let aad = r.authenticated_encryption_additional_data.as_deref();
            let (mechanism, _, _) = aes_mechanism(&p, r.iv_counter_nonce.as_deref(), aad, false)?;
            let mut input = data.to_vec();
            if mechanism.mechanism == CKM_AES_GCM {
                let tag = r.authenticated_encryption_tag.as_deref().ok_or_else(|| {
                    Failure::new(ResultReason::MissingData, "no Authenticated Encryption Tag")
                })?;
                input.extend_from_slice(tag);
            }
            (mechanism, input)
        }
        Some(CKK_RSA) => (oaep(&p)?, data.to_vec()),
        _ => return Err(unsupported("Decrypt uses AES and RSA keys")),
    };
    let out = use_key(ctx, &id, Op::Decrypt, mechanism, &input)?;
    Ok(ResponsePayload::Decrypt(DecryptResponse {
        unique_identifier: id,
        data: Some(out.to_vec()),
        correlation_value: None,
    }))
}

/// The signature scheme of Cryptographic Parameters: (PSS or not, hash).
fn scheme(p: &CryptographicParameters) -> std::result::Result<(bool, Hash), Failure> {
    if let Some(dsa) = p.digital_signature_algorithm {
        return Ok(match dsa {
            Dsa::Sha256WithRsaEncryption | Dsa::EcdsaWithSha256 => (false, Hash::Sha256),
            Dsa::Sha384WithRsaEncryption | Dsa::EcdsaWithSha384 => (false, Hash::Sha384),
            Dsa::Sha512WithRsaEncryption | Dsa::EcdsaWithSha512 => (false, Hash::Sha512),
            Dsa::RsassaPss => (
                true,
                hash_of(p.hashing_algorithm.unwrap_or(HashingAlgorithm::Sha256))?,
            ),
            _ => return Err(unsupported("signatures over SHA-256, SHA-384 or SHA-512")),
        });
    }
    let hash = hash_of(p.hashing_algorithm.unwrap_or(HashingAlgorithm::Sha256))?;
    if hash == Hash::Sha1 {
        return Err(unsupported("signatures over SHA-256, SHA-384 or SHA-512"));
    }
    Ok((p.padding_method == Some(PaddingMethod::Pss), hash))
}

/// An ECDSA signature `r || s` as the DER `Ecdsa-Sig-Value` KMIP clients expect.
fn ecdsa_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let int = |v: &[u8]| {
        let v = &v[v
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(v.len().saturating_sub(1))..];
        let mut body = Vec::with_capacity(v.len() + 1);
        if v.first().is_some_and(|b| b & 0x80 != 0) {
            body.push(0);
        }
        body.extend_from_slice(v);
        der_tlv(0x02, &body)
    };
    let mut seq = int(r);
    seq.extend(int(s));
    der_tlv(0x30, &seq)
}

fn der_tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(body);
    out
}

fn sign(ctx: &Ctx<'_>, r: &SignRequest, placeholder: &Option<String>) -> Outcome {
    single_part(&r.multi_part, "Sign")?;
    let (id, info, p) = key_of(ctx, &r.key, placeholder)?;
    let (pss, hash) = scheme(&p)?;
    let digest = match (&r.digested_data, &r.data) {
        (Some(d), _) => d.clone(),
        (None, Some(data)) => crate::crypto::digest(hash, data),
        (None, None) => return Err(Failure::new(ResultReason::MissingData, "no Data")),
    };
    let by_hash = |[a, b, c]: [u64; 3]| match hash {
        Hash::Sha384 => b,
        Hash::Sha512 => c,
        _ => a,
    };
    let (mechanism, ec) = match key_type(&info) {
        Some(CKK_RSA) if pss => {
            let m = by_hash([
                CKM_SHA256_RSA_PKCS_PSS,
                CKM_SHA384_RSA_PKCS_PSS,
                CKM_SHA512_RSA_PKCS_PSS,
            ]);
            let salt = p
                .salt_length
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(hash.len() as u64);
            let params = MechParams::Pss {
                hash: hash.ckm(),
                mgf: hash.mgf1(),
                salt_len: salt,
            };
            (
                Mechanism {
                    mechanism: m,
                    params,
                },
                false,
            )
        }
        Some(CKK_RSA) => (
            Mechanism::new(by_hash([
                CKM_SHA256_RSA_PKCS,
                CKM_SHA384_RSA_PKCS,
                CKM_SHA512_RSA_PKCS,
            ])),
            false,
        ),
        Some(CKK_EC) => (
            Mechanism::new(by_hash([
                CKM_ECDSA_SHA256,
                CKM_ECDSA_SHA384,
                CKM_ECDSA_SHA512,
            ])),
            true,
        ),
        _ => return Err(unsupported("Sign uses RSA and EC private keys")),
    };
    let out = use_key(ctx, &id, Op::Sign, mechanism, &digest)?;
    let signature = if ec { ecdsa_der(&out) } else { out.to_vec() };
    Ok(ResponsePayload::Sign(SignResponse {
        unique_identifier: id,
        signature_data: Some(signature),
        correlation_value: None,
    }))
}

/// Signature Verify with a public key (or the public half a private key shows), done in kmsd
/// from the key's public attributes, as the module verifies locally: public data, no key use,
/// no audit record.
fn signature_verify(
    ctx: &Ctx<'_>,
    r: &SignatureVerifyRequest,
    placeholder: &Option<String>,
) -> Outcome {
    use crate::crypto::verify::{verify, PublicKey};
    single_part(&r.multi_part, "Signature Verify")?;
    let (id, info, p) = key_of(ctx, &r.key, placeholder)?;
    let (pss, hash) = scheme(&p)?;
    let data = r
        .data
        .as_deref()
        .ok_or_else(|| unsupported("Signature Verify takes the Data (not Digested Data)"))?;
    let signature = r
        .signature_data
        .as_deref()
        .ok_or_else(|| Failure::new(ResultReason::MissingData, "no Signature Data"))?;
    let bytes = |ty| kms_api::attr::find(&info.attrs, ty).and_then(AttrValue::as_bytes);
    let key = match key_type(&info) {
        Some(CKK_RSA) => PublicKey::Rsa {
            n: bytes(CKA_MODULUS).ok_or_else(|| invalid("no modulus"))?,
            e: bytes(CKA_PUBLIC_EXPONENT).ok_or_else(|| invalid("no public exponent"))?,
            pss,
        },
        Some(CKK_EC) => PublicKey::Ec {
            curve: attrs::curve(&info.attrs).ok_or_else(|| invalid("no curve"))?,
            point: bytes(CKA_EC_POINT)
                .and_then(crate::crypto::der::parse_octet_string)
                .ok_or_else(|| invalid("no EC point"))?,
        },
        _ => return Err(unsupported("Signature Verify uses RSA and EC keys")),
    };
    let valid = verify(key, hash, data, signature)
        .ok_or_else(|| unsupported("this hash does not go with this key"))?;
    Ok(ResponsePayload::SignatureVerify(SignatureVerifyResponse {
        unique_identifier: id,
        validity_indicator: Some(if valid {
            ValidityIndicator::Valid
        } else {
            ValidityIndicator::Invalid
        }),
        data: None,
        correlation_value: None,
    }))
}

/// The HMAC mechanism of a MAC request: the parameters' algorithm, else the key's.
fn hmac(info: &ObjectInfo, p: &CryptographicParameters) -> std::result::Result<Mechanism, Failure> {
    let alg = p
        .cryptographic_algorithm
        .or_else(|| attrs::algorithm(&info.attrs));
    HMACS
        .iter()
        .find(|(_, a)| Some(*a) == alg)
        .map(|(m, _)| Mechanism::new(*m))
        .ok_or_else(|| unsupported("MAC: HMAC-SHA256, HMAC-SHA384, HMAC-SHA512"))
}

/// What MAC and MAC Verify share: the key, its HMAC mechanism, the data.
fn mac_input<'r>(
    ctx: &Ctx<'_>,
    key: &KeyUse,
    multi_part: &MultiPart,
    data: Option<&'r [u8]>,
    placeholder: &Option<String>,
) -> std::result::Result<(String, Mechanism, &'r [u8]), Failure> {
    single_part(multi_part, "MAC")?;
    let (id, info, p) = key_of(ctx, key, placeholder)?;
    let mechanism = hmac(&info, &p)?;
    let data = data.ok_or_else(|| Failure::new(ResultReason::MissingData, "no Data"))?;
    Ok((id, mechanism, data))
}

fn mac(ctx: &Ctx<'_>, r: &MacRequest, placeholder: &Option<String>) -> Outcome {
    let (id, mechanism, data) =
        mac_input(ctx, &r.key, &r.multi_part, r.data.as_deref(), placeholder)?;
    let out = use_key(ctx, &id, Op::Sign, mechanism, data)?;
    Ok(ResponsePayload::Mac(MacResponse {
        unique_identifier: id,
        mac_data: Some(out.to_vec()),
        correlation_value: None,
    }))
}

fn mac_verify(ctx: &Ctx<'_>, r: &MacVerifyRequest, placeholder: &Option<String>) -> Outcome {
    let (id, mechanism, data) =
        mac_input(ctx, &r.key, &r.multi_part, r.data.as_deref(), placeholder)?;
    let tag = r
        .mac_data
        .as_deref()
        .ok_or_else(|| Failure::new(ResultReason::MissingData, "no MAC Data"))?;
    let req = VerifyRequest {
        mechanism,
        data: SecretBytes(Zeroizing::new(data.to_vec())),
        signature: Bytes(tag.to_vec()),
    };
    let validity_indicator = match usage::verify(ctx.svc, ctx.caller, ctx.token, &id, &req) {
        Ok(_) => ValidityIndicator::Valid,
        Err(crate::error::Error::SignatureInvalid | crate::error::Error::SignatureLenRange) => {
            ValidityIndicator::Invalid
        }
        Err(e) => return Err(ctx.fail(e)),
    };
    Ok(ResponsePayload::MacVerify(MacVerifyResponse {
        unique_identifier: id,
        validity_indicator,
        correlation_value: None,
    }))
}
