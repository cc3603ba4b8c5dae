//! Requests that do not decode: the error says why, and carries the version and batch items the
//! server needs to answer with a well-formed response (or says nothing can be answered).

use kms_kmip::enums::{Operation, ResultReason, ResultStatus};
use kms_kmip::message::RequestHeader;
use kms_kmip::payload::{GetRequest, IdRequest, RequestPayload};
use kms_kmip::{
    BatchItemStub, CodecError, DateTime, Item, MessageErrorKind, ProtocolVersion, RequestBatchItem,
    RequestMessage, ResponseMessage, Tag, TtlvError, Value,
};

/// A Get (ID 1) and an Activate (ID 2) in `version`, as TTLV.
fn request(version: ProtocolVersion) -> Item {
    let get = GetRequest {
        unique_identifier: Some("k-1".into()),
        ..GetRequest::default()
    };
    let items = vec![
        RequestBatchItem {
            id: Some(vec![1]),
            ..RequestBatchItem::new(RequestPayload::Get(get))
        },
        RequestBatchItem {
            id: Some(vec![2]),
            ..RequestBatchItem::new(RequestPayload::Activate(IdRequest::default()))
        },
    ];
    RequestMessage::new(RequestHeader::new(version), items)
        .to_ttlv()
        .expect("encode")
}

fn stub(operation: Operation, id: u8) -> BatchItemStub {
    BatchItemStub {
        operation: Some(operation),
        id: Some(vec![id]),
    }
}

/// The children of `item`, for editing.
fn children(item: &mut Item) -> &mut Vec<Item> {
    match &mut item.value {
        Value::Structure(items) => items,
        _ => panic!("not a structure"),
    }
}

/// The error's response, checked to be a well-formed message in `version`.
fn answer(error: &kms_kmip::MessageError, version: ProtocolVersion) -> ResponseMessage {
    let response = error
        .response(ProtocolVersion::V1_4, DateTime(1), "bad request")
        .expect("answerable");
    let bytes = response.encode().expect("encode");
    let decoded = ResponseMessage::decode(&bytes).expect("well-formed");
    assert_eq!(decoded, response);
    assert_eq!(decoded.header.protocol_version, version);
    assert!(decoded
        .items
        .iter()
        .all(|item| item.result_status == ResultStatus::OperationFailed));
    decoded
}

#[test]
fn a_valid_request_decodes() {
    let bytes = request(ProtocolVersion::V1_2).to_bytes();
    let decoded = RequestMessage::decode(&bytes).expect("decode");
    assert_eq!(decoded.items.len(), 2);
    assert_eq!(decoded.header.batch_count, 2);
}

#[test]
fn a_broken_payload_is_answered_per_batch_item() {
    let mut message = request(ProtocolVersion::V1_2);
    // Drop the Activate item's Request Payload.
    children(&mut children(&mut message)[2]).truncate(2);
    let error = RequestMessage::decode(&message.to_bytes()).expect_err("invalid");
    let missing = CodecError::Missing {
        tag: Tag::REQUEST_PAYLOAD,
        parent: Tag::BATCH_ITEM,
    };
    assert_eq!(error.kind, MessageErrorKind::Codec(missing));
    assert_eq!(error.version, Some(ProtocolVersion::V1_2));
    assert_eq!(
        error.batch_items,
        [stub(Operation::Get, 1), stub(Operation::Activate, 2)]
    );
    assert_eq!(error.result_reason(), ResultReason::InvalidMessage);
    let response = answer(&error, ProtocolVersion::V1_2);
    let ids: Vec<_> = response.items.iter().map(|item| item.id.clone()).collect();
    assert_eq!(ids, [Some(vec![1]), Some(vec![2])]);
    assert_eq!(response.items[1].operation, Some(Operation::Activate));
    assert_eq!(
        response.items[1].result_reason,
        Some(ResultReason::InvalidMessage)
    );
}

#[test]
fn broken_ttlv_after_the_header_still_gives_the_version() {
    let mut bytes = request(ProtocolVersion::V2_0).to_bytes();
    let second_item = bytes.len() - request_item_len(ProtocolVersion::V2_0);
    bytes[second_item + 3] = 0x7E; // not a type
    let error = RequestMessage::decode(&bytes).expect_err("invalid");
    assert!(matches!(
        error.kind,
        MessageErrorKind::Ttlv(TtlvError::UnknownType { code: 0x7E, .. })
    ));
    assert_eq!(error.version, Some(ProtocolVersion::V2_0));
    assert_eq!(error.batch_items, [stub(Operation::Get, 1)]);
    answer(&error, ProtocolVersion::V2_0);
    // Cut short inside the second item: the same.
    let bytes = request(ProtocolVersion::V1_0).to_bytes();
    let error = RequestMessage::decode(&bytes[..bytes.len() - 9]).expect_err("truncated");
    assert!(matches!(
        error.kind,
        MessageErrorKind::Ttlv(TtlvError::Truncated {
            offset: 0,
            needed: 9
        })
    ));
    assert_eq!(error.version, Some(ProtocolVersion::V1_0));
    assert_eq!(error.batch_items, [stub(Operation::Get, 1)]);
}

/// The encoded length of the Activate batch item of [`request`].
fn request_item_len(version: ProtocolVersion) -> usize {
    children(&mut request(version))[2].encoded_len()
}

#[test]
fn nothing_is_answered_without_a_header() {
    for bytes in [&b""[..], &[0x42, 0x00, 0x78, 0x01][..], &[0u8; 64][..]] {
        let error = RequestMessage::decode(bytes).expect_err("invalid");
        assert_eq!(
            (
                error.version,
                error.response(ProtocolVersion::V1_4, DateTime(0), "")
            ),
            (None, None)
        );
    }
    let mut message = request(ProtocolVersion::V1_2);
    message.tag = Tag::RESPONSE_MESSAGE;
    assert_eq!(
        RequestMessage::decode(&message.to_bytes())
            .expect_err("invalid")
            .version,
        None
    );
    // A header without its Protocol Version.
    let mut message = request(ProtocolVersion::V1_2);
    children(&mut children(&mut message)[0]).remove(0);
    assert_eq!(
        RequestMessage::decode(&message.to_bytes())
            .expect_err("invalid")
            .version,
        None
    );
}

#[test]
fn batch_count_must_match() {
    let mut message = request(ProtocolVersion::V1_3);
    children(&mut message).pop();
    let error = RequestMessage::decode(&message.to_bytes()).expect_err("invalid");
    assert!(matches!(
        error.kind,
        MessageErrorKind::Codec(CodecError::BadValue {
            tag: Tag::BATCH_COUNT,
            ..
        })
    ));
    assert_eq!(error.batch_items, [stub(Operation::Get, 1)]);
}

#[test]
fn unsupported_versions_are_named() {
    let bytes = request(ProtocolVersion::new(3, 0)).to_bytes();
    let error = RequestMessage::decode(&bytes).expect_err("unsupported");
    assert_eq!(
        error.kind,
        MessageErrorKind::UnsupportedVersion(ProtocolVersion::new(3, 0))
    );
    let response = error
        .response(ProtocolVersion::V2_0, DateTime(0), "")
        .expect("answerable");
    assert_eq!(response.header.protocol_version, ProtocolVersion::V2_0);
    assert_eq!(
        response.items[0].result_reason,
        Some(ResultReason::UnsupportedProtocolVersion)
    );
    assert_eq!(
        answer(&error, ProtocolVersion::V1_4).items[0].result_reason,
        Some(ResultReason::InvalidMessage)
    );
}

#[test]
fn fields_of_the_wrong_type_or_place_are_refused() {
    let mut message = request(ProtocolVersion::V1_2);
    let get_payload = &mut children(&mut children(&mut message)[1])[2];
    children(get_payload)[0].value = Value::Integer(7);
    let error = RequestMessage::decode(&message.to_bytes()).expect_err("invalid");
    assert!(matches!(
        error.kind,
        MessageErrorKind::Codec(CodecError::WrongType {
            tag: Tag::UNIQUE_IDENTIFIER,
            ..
        })
    ));
    let mut message = request(ProtocolVersion::V1_2);
    let get_payload = &mut children(&mut children(&mut message)[1])[2];
    children(get_payload).push(Item::new(Tag::BATCH_COUNT, Value::Integer(1)));
    let error = RequestMessage::decode(&message.to_bytes()).expect_err("invalid");
    let unexpected = CodecError::Unexpected {
        tag: Tag::BATCH_COUNT,
        parent: Tag::REQUEST_PAYLOAD,
    };
    assert_eq!(error.kind, MessageErrorKind::Codec(unexpected));
}

#[test]
fn unknown_operations_decode_unparsed() {
    let mut message = request(ProtocolVersion::V1_4);
    children(&mut children(&mut message)[2])[0].value = Value::Enumeration(0x99);
    let decoded = RequestMessage::decode(&message.to_bytes()).expect("decodes");
    let RequestPayload::Unparsed { operation, .. } = &decoded.items[1].payload else {
        panic!("unparsed")
    };
    assert_eq!(*operation, Operation::Other(0x99));
    assert_eq!(decoded.encode().expect("encode"), message.to_bytes());
    // One that also fails to decode is answered Operation Not Supported.
    children(&mut children(&mut message)[2]).truncate(2);
    let error = RequestMessage::decode(&message.to_bytes()).expect_err("invalid");
    assert_eq!(error.result_reason(), ResultReason::OperationNotSupported);
}

#[test]
fn set_attribute_has_no_1x_form() {
    let mut message = request(ProtocolVersion::V1_4);
    children(&mut children(&mut message)[2])[0].value =
        Value::Enumeration(Operation::SetAttribute.to_u32());
    let decoded = RequestMessage::decode(&message.to_bytes()).expect("decodes");
    assert!(matches!(
        decoded.items[1].payload,
        RequestPayload::Unparsed {
            operation: Operation::SetAttribute,
            ..
        }
    ));
}

/// Found by the `ttlv_decode` fuzz target: a 1.2 Get request cut inside its payload. The error
/// response built for it carried a Batch Count of 0 with one batch item, so it decoded back as
/// a different message (and a client would have refused it).
#[test]
fn regression_error_response_batch_count_matches_its_items() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/regressions/error-response-batch-count.hex"
    );
    let text = std::fs::read_to_string(path).expect("regression input");
    let bytes = hex::decode(text.trim()).expect("hex");
    let error = RequestMessage::decode(&bytes).expect_err("truncated");
    assert_eq!(error.version, Some(ProtocolVersion::V1_2));
    let response = answer(&error, ProtocolVersion::V1_2);
    assert_eq!(response.header.batch_count, 1);
}
