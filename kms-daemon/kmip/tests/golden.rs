//! Golden vectors of the KMIP test cases (KMIP Test Cases 1.0/1.1, as PyKMIP's unit tests carry
//! them in kmip/tests/unit/core/messages/test_messages.py): each decodes to what the test case
//! says and encodes back to the same bytes.

use std::fs;
use std::path::PathBuf;

use kms_kmip::attr::AttributeValue;
use kms_kmip::enums::{
    CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, ResultReason, ResultStatus,
    UsageMask,
};
use kms_kmip::object::{KeyMaterial, KeyValue, ManagedObject};
use kms_kmip::payload::{RequestPayload, ResponsePayload};
use kms_kmip::{ProtocolVersion, RequestMessage, ResponseMessage};

fn golden(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.hex"));
    hex::decode(fs::read_to_string(&path).expect("golden file").trim()).expect("hex")
}

fn request(name: &str) -> RequestMessage {
    let bytes = golden(name);
    let request = RequestMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(request.encode().expect("encode"), bytes, "{name}");
    request
}

fn response(name: &str) -> ResponseMessage {
    let bytes = golden(name);
    let response = ResponseMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(response.encode().expect("encode"), bytes, "{name}");
    response
}

#[test]
fn create_request_asks_for_an_aes_128_key() {
    let request = request("kmip-testcases-create-request");
    assert_eq!(request.header.protocol_version, ProtocolVersion::V1_1);
    let [item] = &request.items[..] else {
        panic!("one item")
    };
    let RequestPayload::Create(create) = &item.payload else {
        panic!("create")
    };
    assert_eq!(create.object_type, ObjectType::SymmetricKey);
    let values: Vec<_> = create
        .attributes
        .0
        .iter()
        .map(|a| a.value.clone())
        .collect();
    assert_eq!(
        values,
        [
            AttributeValue::CryptographicAlgorithm(CryptographicAlgorithm::Aes),
            AttributeValue::CryptographicLength(128),
            AttributeValue::CryptographicUsageMask(UsageMask::ENCRYPT | UsageMask::DECRYPT),
        ]
    );
}

#[test]
fn register_request_carries_a_template_object() {
    let request = request("kmip-testcases-register-request");
    let RequestPayload::Register(register) = &request.items[0].payload else {
        panic!("register")
    };
    assert_eq!(register.object_type, ObjectType::Template);
    assert!(register.attributes.0.is_empty());
    assert!(matches!(register.object, ManagedObject::Other(_)));
}

#[test]
fn get_destroy_locate_and_mac_requests() {
    let get = request("kmip-testcases-get-request");
    let RequestPayload::Get(get) = &get.items[0].payload else {
        panic!("get")
    };
    assert_eq!(
        get.unique_identifier.as_deref(),
        Some("49a1ca88-6bea-4fb2-b450-7e58802c3038")
    );
    let destroy = request("kmip-testcases-destroy-request");
    assert_eq!(destroy.items[0].operation(), Operation::Destroy);
    let locate = request("kmip-testcases-locate-request");
    let RequestPayload::Locate(locate) = &locate.items[0].payload else {
        panic!("locate")
    };
    assert_eq!(
        locate.attributes[0].value,
        AttributeValue::ObjectType(ObjectType::SymmetricKey)
    );
    let AttributeValue::Name(name) = &locate.attributes[1].value else {
        panic!("name")
    };
    assert_eq!(name.value, "Key1");
    let mac = request("kmip-testcases-mac-request");
    assert_eq!(mac.header.protocol_version, ProtocolVersion::V1_2);
    let RequestPayload::Mac(mac) = &mac.items[0].payload else {
        panic!("mac")
    };
    let params = mac
        .key
        .cryptographic_parameters
        .as_ref()
        .expect("parameters");
    assert_eq!(
        params.cryptographic_algorithm,
        Some(CryptographicAlgorithm::HmacSha512)
    );
    assert_eq!(
        mac.data.as_deref(),
        Some(&(0u8..16).collect::<Vec<_>>()[..])
    );
}

#[test]
fn get_response_returns_a_raw_3des_key() {
    let response = response("kmip-testcases-get-response");
    assert_eq!(response.header.time_stamp.0, 0x4F9A_54E7);
    let item = &response.items[0];
    assert_eq!(item.result_status, ResultStatus::Success);
    let Some(ResponsePayload::Get(get)) = &item.payload else {
        panic!("get")
    };
    let ManagedObject::SymmetricKey(key) = &get.object else {
        panic!("symmetric key")
    };
    assert_eq!(key.key_block.key_format_type, KeyFormatType::Raw);
    assert_eq!(
        key.key_block.cryptographic_algorithm,
        Some(CryptographicAlgorithm::TripleDes)
    );
    assert_eq!(key.key_block.cryptographic_length, Some(168));
    let KeyValue::Plain {
        material: KeyMaterial::Bytes(bytes),
        ..
    } = &key.key_block.key_value
    else {
        panic!("raw")
    };
    assert_eq!(bytes.len(), 24);
}

#[test]
fn other_responses() {
    for name in ["create", "register", "destroy", "locate", "mac"] {
        let response = response(&format!("kmip-testcases-{name}-response"));
        assert_eq!(
            response.items[0].result_status,
            ResultStatus::Success,
            "{name}"
        );
    }
    let invalid = response("kmip-testcases-invalid-message-response");
    let item = &invalid.items[0];
    assert_eq!(
        (item.operation, item.result_reason),
        (None, Some(ResultReason::InvalidMessage))
    );
    assert_eq!(
        item.result_message.as_deref(),
        Some("Default response. No operations supported.")
    );
}
