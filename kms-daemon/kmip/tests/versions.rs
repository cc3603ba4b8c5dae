//! One typed model, two encodings: what KMIP 1.x and 2.0 write for the same attributes, and what
//! a version cannot carry.

use kms_kmip::attr::{Attribute, AttributeList, AttributeRef, AttributeValue, Name};
use kms_kmip::enums::{NameType, ObjectType, State};
use kms_kmip::message::RequestHeader;
use kms_kmip::payload::{
    CreateRequest, DeleteAttributeRequest, GetAttributesRequest, LocateRequest,
    ModifyAttributeRequest, RequestPayload,
};
use kms_kmip::{CodecError, Item, ProtocolVersion, RequestBatchItem, RequestMessage, Tag, Value};

fn name(value: &str) -> Attribute {
    Attribute::new(AttributeValue::Name(Name {
        value: value.into(),
        name_type: NameType::UninterpretedTextString,
    }))
}

fn message(version: ProtocolVersion, payload: RequestPayload) -> RequestMessage {
    RequestMessage::new(
        RequestHeader::new(version),
        vec![RequestBatchItem::new(payload)],
    )
}

/// The request payload of `request` as TTLV.
fn payload(request: &RequestMessage) -> Item {
    let ttlv = request.to_ttlv().expect("encode");
    let item = ttlv.children().expect("message")[1]
        .children()
        .expect("batch item")
        .last()
        .cloned();
    item.expect("payload")
}

/// Encodes `request`, decodes it back, and returns the decoded request.
fn round_trip(request: &RequestMessage) -> RequestMessage {
    RequestMessage::decode(&request.encode().expect("encode")).expect("decode")
}

fn tags(item: &Item) -> Vec<Tag> {
    item.children()
        .expect("structure")
        .iter()
        .map(|child| child.tag)
        .collect()
}

#[test]
fn create_carries_a_template_attribute_in_1x_and_attributes_in_2_0() {
    let attributes = AttributeList(vec![
        name("disk"),
        Attribute::new(AttributeValue::State(State::PreActive)),
    ]);
    let create = CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes,
        protection_storage_masks: None,
    };
    let v1 = message(
        ProtocolVersion::V1_4,
        RequestPayload::Create(create.clone()),
    );
    let v2 = message(ProtocolVersion::V2_0, RequestPayload::Create(create));
    assert_eq!(
        tags(&payload(&v1)),
        [Tag::OBJECT_TYPE, Tag::TEMPLATE_ATTRIBUTE]
    );
    assert_eq!(tags(&payload(&v2)), [Tag::OBJECT_TYPE, Tag::ATTRIBUTES]);
    let v1_payload = payload(&v1);
    let template = &v1_payload.children().expect("payload")[1];
    assert_eq!(tags(template), [Tag::ATTRIBUTE, Tag::ATTRIBUTE]);
    let first = &template.children().expect("template")[0];
    assert_eq!(
        first.children().expect("attribute")[0].value,
        Value::TextString("Name".into())
    );
    assert_eq!(
        tags(&payload(&v2).children().expect("payload")[1]),
        [Tag::NAME, Tag::STATE]
    );
    assert_eq!(round_trip(&v1), v1);
    assert_eq!(round_trip(&v2), v2);
}

#[test]
fn attribute_references_are_names_in_1x_and_tags_in_2_0() {
    let references = vec![
        AttributeRef::Tag(Tag::STATE),
        AttributeRef::Custom {
            vendor: Some("Acme".into()),
            name: "x-tier".into(),
        },
    ];
    let get = GetAttributesRequest {
        unique_identifier: Some("k".into()),
        references,
    };
    let v2 = message(
        ProtocolVersion::V2_0,
        RequestPayload::GetAttributes(get.clone()),
    );
    let items = payload(&v2).children().expect("payload").to_vec();
    assert_eq!(items[1].value, Value::Enumeration(Tag::STATE.0));
    assert_eq!(
        tags(&items[2]),
        [Tag::VENDOR_IDENTIFICATION, Tag::ATTRIBUTE_NAME]
    );
    assert_eq!(round_trip(&v2), v2);
    let v1 = message(ProtocolVersion::V1_2, RequestPayload::GetAttributes(get));
    let items = payload(&v1).children().expect("payload").to_vec();
    assert_eq!(items[1].value, Value::TextString("State".into()));
    assert_eq!(items[2].value, Value::TextString("x-tier".into()));
    // 1.x has no vendor: the name comes back without one.
    let RequestPayload::GetAttributes(back) = &round_trip(&v1).items[0].payload else {
        panic!("get attributes")
    };
    assert_eq!(
        back.references[1],
        AttributeRef::Custom {
            vendor: None,
            name: "x-tier".into()
        }
    );
}

#[test]
fn what_a_version_cannot_carry_is_refused() {
    let custom = Attribute::new(AttributeValue::Custom {
        name: "x-tier".into(),
        value: Value::TextString("gold".into()),
    });
    let locate = LocateRequest {
        attributes: vec![custom.clone()],
        ..LocateRequest::default()
    };
    assert!(
        round_trip(&message(
            ProtocolVersion::V1_1,
            RequestPayload::Locate(locate.clone())
        ))
        .items
        .len()
            == 1
    );
    let error = message(ProtocolVersion::V2_0, RequestPayload::Locate(locate))
        .encode()
        .expect_err("2.0");
    assert!(matches!(
        error,
        CodecError::NotInVersion {
            tag: Tag::ATTRIBUTE_NAME,
            ..
        }
    ));
    // A reference to a tag that is no attribute has no 1.x name.
    let get = GetAttributesRequest {
        unique_identifier: None,
        references: vec![AttributeRef::Tag(Tag::BATCH_COUNT)],
    };
    let error = message(ProtocolVersion::V1_4, RequestPayload::GetAttributes(get))
        .encode()
        .expect_err("1.x");
    assert!(matches!(
        error,
        CodecError::NotInVersion {
            tag: Tag::BATCH_COUNT,
            ..
        }
    ));
    // Modify Attribute's Current Attribute is 2.0's.
    let modify = ModifyAttributeRequest {
        unique_identifier: None,
        current_attribute: Some(name("a")),
        new_attribute: name("b"),
    };
    let error = message(
        ProtocolVersion::V1_4,
        RequestPayload::ModifyAttribute(modify),
    )
    .encode()
    .expect_err("1.x");
    assert!(matches!(
        error,
        CodecError::NotInVersion {
            tag: Tag::CURRENT_ATTRIBUTE,
            ..
        }
    ));
}

#[test]
fn attribute_indexes_are_1x_only() {
    let indexed = Attribute {
        index: Some(2),
        ..name("second")
    };
    let modify = ModifyAttributeRequest {
        unique_identifier: None,
        current_attribute: None,
        new_attribute: indexed,
    };
    let v1 = message(
        ProtocolVersion::V1_0,
        RequestPayload::ModifyAttribute(modify.clone()),
    );
    assert_eq!(round_trip(&v1), v1);
    let v2 = round_trip(&message(
        ProtocolVersion::V2_0,
        RequestPayload::ModifyAttribute(modify),
    ));
    let RequestPayload::ModifyAttribute(back) = &v2.items[0].payload else {
        panic!("modify")
    };
    assert_eq!(back.new_attribute, name("second"));
    let delete = DeleteAttributeRequest {
        reference: Some(AttributeRef::Tag(Tag::NAME)),
        index: Some(1),
        ..DeleteAttributeRequest::default()
    };
    let v1 = message(
        ProtocolVersion::V1_3,
        RequestPayload::DeleteAttribute(delete),
    );
    assert_eq!(
        tags(&payload(&v1)),
        [Tag::ATTRIBUTE_NAME, Tag::ATTRIBUTE_INDEX]
    );
    assert_eq!(round_trip(&v1), v1);
}

#[test]
fn locate_2_0_writes_attributes_only_when_there_are_some() {
    let empty = message(
        ProtocolVersion::V2_0,
        RequestPayload::Locate(LocateRequest {
            maximum_items: Some(5),
            ..LocateRequest::default()
        }),
    );
    assert_eq!(tags(&payload(&empty)), [Tag::MAXIMUM_ITEMS]);
    let by_name = LocateRequest {
        attributes: vec![name("disk")],
        ..LocateRequest::default()
    };
    let v2 = message(
        ProtocolVersion::V2_0,
        RequestPayload::Locate(by_name.clone()),
    );
    assert_eq!(tags(&payload(&v2)), [Tag::ATTRIBUTES]);
    let v1 = message(ProtocolVersion::V1_2, RequestPayload::Locate(by_name));
    assert_eq!(tags(&payload(&v1)), [Tag::ATTRIBUTE]);
    assert_eq!(round_trip(&v2), v2);
    assert_eq!(round_trip(&v1), v1);
}
