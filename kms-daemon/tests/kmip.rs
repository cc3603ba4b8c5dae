//! kmsd's KMIP listener (`[kmip]`, on in quick start) from the outside, as raw TTLV over real
//! mutual TLS: the TLS rules, the Credential as the token's user login, malformed messages
//! answered with well-formed responses (or a clean close when not even the header decodes),
//! batches with the ID Placeholder, and the audit records that name the KMIP operation.

mod common;

use common::*;
use kms_kmip::attr::{Attribute, AttributeList, AttributeValue};
use kms_kmip::enums::{
    BatchErrorContinuationOption, CredentialType, CryptographicAlgorithm, ObjectType, Operation,
    QueryFunction, ResultReason, ResultStatus,
};
use kms_kmip::message::{Authentication, Credential, CredentialValue, RequestHeader};
use kms_kmip::params::UsernamePassword;
use kms_kmip::payload::{
    CreateRequest, GetAttributesRequest, IdRequest, QueryRequest, RequestPayload, ResponsePayload,
};
use kms_kmip::ttlv::read_frame;
use kms_kmip::{
    Item, Limits, ProtocolVersion, RequestBatchItem, RequestMessage, ResponseMessage, Tag,
};
use kms_testkit::{Kmsd, TOKEN, USER_PIN};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// One KMIP connection.
struct Kmip {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

fn connect_with(
    d: &Kmsd,
    identity: Option<Identity>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> std::io::Result<Kmip> {
    let ca = d.dir().join("ca.pem");
    let client = Client::with_versions(&d.kmip_addr, identity, &ca, versions);
    let mut kmip = Kmip {
        tls: client.tls_stream()?,
    };
    kmip.tls.flush()?;
    Ok(kmip)
}

fn connect(d: &Kmsd) -> Kmip {
    connect_with(d, Some(tls_identity(d.dir())), rustls::DEFAULT_VERSIONS).unwrap()
}

impl Kmip {
    /// Sends `bytes`; the answer, or `None` when kmsd closed the connection instead.
    fn send(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.tls.write_all(bytes).ok()?;
        self.tls.flush().ok()?;
        read_frame(&mut self.tls, &Limits::DEFAULT).ok().flatten()
    }

    fn call(&mut self, request: &RequestMessage) -> ResponseMessage {
        let bytes = self.send(&request.encode().unwrap()).expect("an answer");
        ResponseMessage::decode(&bytes).expect("a well-formed response")
    }

    /// Whether kmsd closed the connection (end of stream or reset) without answering.
    fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        !matches!(self.tls.read(&mut buf), Ok(n) if n > 0)
    }
}

fn credential(password: &str) -> Authentication {
    Authentication {
        credentials: vec![Credential {
            credential_type: CredentialType::UsernameAndPassword,
            value: CredentialValue::UsernamePassword(UsernamePassword {
                username: TOKEN.into(),
                password: Some(password.into()),
            }),
        }],
    }
}

fn request(
    version: ProtocolVersion,
    auth: Option<Authentication>,
    payloads: Vec<RequestPayload>,
) -> RequestMessage {
    let many = payloads.len() > 1;
    let items = payloads
        .into_iter()
        .enumerate()
        .map(|(i, p)| RequestBatchItem {
            id: many.then(|| vec![i as u8]),
            ..RequestBatchItem::new(p)
        })
        .collect();
    let header = RequestHeader {
        authentication: auth,
        ..RequestHeader::new(version)
    };
    RequestMessage::new(header, items)
}

fn query() -> RequestPayload {
    RequestPayload::Query(QueryRequest {
        functions: vec![QueryFunction::QueryOperations, QueryFunction::QueryObjects],
    })
}

fn create_aes(name: &str) -> RequestPayload {
    let attrs = vec![
        AttributeValue::CryptographicAlgorithm(CryptographicAlgorithm::Aes),
        AttributeValue::CryptographicLength(256),
        AttributeValue::Name(kms_kmip::attr::Name {
            value: name.into(),
            name_type: kms_kmip::enums::NameType::UninterpretedTextString,
        }),
    ];
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: AttributeList(attrs.into_iter().map(Attribute::new).collect()),
        protection_storage_masks: None,
    })
}

/// The Result Reason of each item (`None` for a success).
fn reasons(r: &ResponseMessage) -> Vec<Option<ResultReason>> {
    r.items
        .iter()
        .map(|i| match i.result_status {
            ResultStatus::Success => None,
            _ => Some(i.result_reason.expect("a failure has a reason")),
        })
        .collect()
}

fn started() -> (tempfile::TempDir, Kmsd) {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    assert!(!d.kmip_addr.is_empty(), "quick start serves KMIP");
    (dir, d)
}

#[test]
fn kmip_takes_tls_1_2_and_1_3_with_a_client_certificate_of_the_ca_only() {
    let (dir, d) = started();
    for versions in [
        &[&rustls::version::TLS12][..],
        &[&rustls::version::TLS13][..],
    ] {
        let mut k = connect_with(&d, Some(tls_identity(dir.path())), versions).unwrap();
        let r = k.call(&request(ProtocolVersion::V1_2, None, vec![query()]));
        assert_eq!(reasons(&r), [None], "{versions:?}");
    }
    // No client certificate: refused in the handshake (TLS 1.2) or at the first message.
    match connect_with(&d, None, rustls::DEFAULT_VERSIONS) {
        Err(_) => {}
        Ok(mut k) => {
            let bytes = request(ProtocolVersion::V1_2, None, vec![query()])
                .encode()
                .unwrap();
            assert!(k.send(&bytes).is_none(), "answered without a certificate");
        }
    }
}

#[test]
fn malformed_messages_get_well_formed_answers_or_a_clean_close() {
    let (_dir, d) = started();
    let mut k = connect(&d);
    let good = request(ProtocolVersion::V1_4, None, vec![query()]);

    // An operation KMIP does not define, and one kmsd does not serve.
    let unknown = RequestPayload::Unparsed {
        operation: Operation::Other(0x99),
        payload: Item::structure(Tag::REQUEST_PAYLOAD, Vec::new()),
    };
    let not_served = RequestPayload::GetUsageAllocation(Default::default());
    let mut batch = request(
        ProtocolVersion::V1_4,
        None,
        vec![unknown, not_served, query()],
    );
    batch.header.batch_error_continuation_option = Some(BatchErrorContinuationOption::Continue);
    assert_eq!(
        reasons(&k.call(&batch)),
        [
            Some(ResultReason::OperationNotSupported),
            Some(ResultReason::OperationNotSupported),
            None
        ]
    );

    // A protocol version kmsd does not speak: answered in 1.4.
    let r = k.call(&request(ProtocolVersion::new(9, 9), None, vec![query()]));
    assert_eq!(r.header.protocol_version, ProtocolVersion::V1_4);
    assert_eq!(reasons(&r), [Some(ResultReason::InvalidMessage)]);

    // The Operation as an Integer instead of an Enumeration (a wrong type).
    let mut bytes = good.encode().unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == [0x42, 0x00, 0x5C, 0x05])
        .unwrap();
    bytes[at + 3] = 0x02;
    let r = ResponseMessage::decode(&k.send(&bytes).unwrap()).unwrap();
    assert_eq!(reasons(&r), [Some(ResultReason::InvalidMessage)]);

    // Truncated: the last 8 bytes cut, the outer length adjusted, so the batch item overruns.
    let mut bytes = good.encode().unwrap();
    bytes.truncate(bytes.len() - 8);
    let len = u32::try_from(bytes.len() - 8).unwrap();
    bytes[4..8].copy_from_slice(&len.to_be_bytes());
    let r = ResponseMessage::decode(&k.send(&bytes).unwrap()).unwrap();
    assert_eq!(reasons(&r), [Some(ResultReason::InvalidMessage)]);

    // Too deep: a Query payload nested 40 structures deep.
    let mut deep = Item::structure(Tag::REQUEST_PAYLOAD, Vec::new());
    for _ in 0..40 {
        deep = Item::structure(Tag::REQUEST_PAYLOAD, vec![deep]);
    }
    let nested = request(
        ProtocolVersion::V1_4,
        None,
        vec![RequestPayload::Unparsed {
            operation: Operation::Query,
            payload: deep,
        }],
    );
    let r = ResponseMessage::decode(&k.send(&nested.encode().unwrap()).unwrap()).unwrap();
    assert_eq!(reasons(&r), [Some(ResultReason::InvalidMessage)]);

    // The connection still serves after each answered refusal.
    assert_eq!(reasons(&k.call(&good)), [None]);

    // Not a structure: closed without an answer.
    assert!(k.send(&[0x42, 0x00, 0x78, 0x02, 0, 0, 0, 4]).is_none());
    // Declaring more than the bound: closed before the body is read.
    let mut k = connect(&d);
    assert!(k
        .send(&[0x42, 0x00, 0x78, 0x01, 0x7F, 0xFF, 0xFF, 0xF8])
        .is_none());
    assert!(k.closed());
    // A Request Message without a header: closed.
    let mut k = connect(&d);
    let headless = Item::structure(Tag::REQUEST_MESSAGE, Vec::new()).to_bytes();
    assert!(k.send(&headless).is_none());

    // kmsd still serves new connections.
    assert_eq!(reasons(&connect(&d).call(&good)), [None]);
}

#[test]
fn a_message_that_stalls_is_dropped_after_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    d.set_option("request_header_timeout_secs", "1");
    let mut k = connect(&d);
    let bytes = request(ProtocolVersion::V1_4, None, vec![query()])
        .encode()
        .unwrap();
    let start = Instant::now();
    k.tls.write_all(&bytes[..12]).unwrap();
    k.tls.flush().unwrap();
    assert!(k.closed());
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(8),
        "closed after {waited:?}"
    );
}

#[test]
fn the_credential_is_the_token_users_login_and_every_item_is_audited() {
    let (dir, d) = started();
    let mut k = connect(&d);

    // No Credential: no login, so no key can be made.
    let r = k.call(&request(
        ProtocolVersion::V1_2,
        None,
        vec![create_aes("no-login")],
    ));
    assert_eq!(reasons(&r), [Some(ResultReason::PermissionDenied)]);

    // A wrong password fails like a wrong PIN, and counts as one.
    let r = k.call(&request(
        ProtocolVersion::V1_2,
        Some(credential("00000000")),
        vec![create_aes("wrong-pin")],
    ));
    assert_eq!(
        reasons(&r),
        [Some(ResultReason::AuthenticationNotSuccessful)]
    );
    let tokens = d.client().call("GET", "/v1/tokens", None).json();
    assert_eq!(tokens["tokens"][0]["user_pin_count_low"], true, "{tokens}");

    // The user PIN: a batch that creates a key, then activates it and reads its attributes
    // through the ID Placeholder.
    let placeholder = vec![
        create_aes("kmip-batch"),
        RequestPayload::Activate(IdRequest::default()),
        RequestPayload::GetAttributes(GetAttributesRequest::default()),
    ];
    let r = k.call(&request(
        ProtocolVersion::V1_4,
        Some(credential(USER_PIN)),
        placeholder,
    ));
    assert_eq!(reasons(&r), [None, None, None]);
    let Some(ResponsePayload::Create(created)) = &r.items[0].payload else {
        panic!("{r:?}")
    };
    let Some(ResponsePayload::GetAttributes(attrs)) = &r.items[2].payload else {
        panic!("{r:?}")
    };
    assert_eq!(attrs.unique_identifier, created.unique_identifier);
    assert!(attrs
        .attributes
        .iter()
        .any(|a| a.value == AttributeValue::CryptographicLength(256)));
    let tokens = d.client().call("GET", "/v1/tokens", None).json();
    assert_eq!(tokens["tokens"][0]["user_pin_count_low"], false, "reset");

    // The key has a Name (its CKA_LABEL): a second one is refused, and so is any attribute
    // but the Name.
    let add = |value| {
        RequestPayload::AddAttribute(kms_kmip::payload::AddAttributeRequest {
            unique_identifier: Some(created.unique_identifier.clone()),
            attribute: Attribute::new(value),
        })
    };
    for value in [
        AttributeValue::Name(kms_kmip::attr::Name {
            value: "second".into(),
            name_type: kms_kmip::enums::NameType::UninterpretedTextString,
        }),
        AttributeValue::CryptographicLength(128),
    ] {
        let r = k.call(&request(
            ProtocolVersion::V1_4,
            Some(credential(USER_PIN)),
            vec![add(value)],
        ));
        assert_eq!(reasons(&r), [Some(ResultReason::PermissionDenied)]);
    }

    // The same connection keeps its login for the next request with the same credential;
    // a batch stops at its first failure unless told to continue.
    let r = k.call(&request(
        ProtocolVersion::V1_4,
        Some(credential(USER_PIN)),
        vec![
            RequestPayload::Destroy(IdRequest {
                unique_identifier: Some("0000".into()),
            }),
            query(),
        ],
    ));
    assert_eq!(
        reasons(&r),
        [
            Some(ResultReason::ItemNotFound),
            Some(ResultReason::GeneralFailure)
        ]
    );

    // Every record names the KMIP operation in its request id, in the one chain.
    let records = RawStore::open(dir.path())
        .query_all(
            "SELECT request_id, action, outcome FROM audit ORDER BY seq",
            kms_daemon::store::db::params![],
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                ))
            },
        )
        .unwrap();
    let kmip: Vec<(String, String, String)> = records
        .into_iter()
        .filter(|(id, _, _)| id.starts_with("kmip-"))
        .map(|(id, action, outcome)| {
            let op = id.rsplit('-').next().unwrap().to_owned();
            (op, action, outcome)
        })
        .collect();
    let expect = |op: &str, action: &str, outcome: &str| {
        assert!(
            kmip.iter()
                .any(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()) == (op, action, outcome)),
            "{op} {action} {outcome} in {kmip:?}"
        );
    };
    expect("Create", "key.generate", "user_not_logged_in");
    expect("Credential", "login", "pin_incorrect");
    expect("Credential", "login", "ok");
    expect("Create", "key.generate", "ok");
    expect("Activate", "key.activate", "ok");
    expect("Destroy", "object.destroy", "object_not_found");
    let out = kms_testkit::kmsd_with_env(dir.path(), &["audit", "verify"], &[], "");
    assert!(out.status.success(), "{out:?}");
}
