//! Differential vectors made by PyKMIP 0.11 itself (`tests/gen_pykmip_vectors.py`): every
//! request and response decodes into the typed model (no `Unparsed` payload) and encodes back to
//! exactly PyKMIP's bytes, in KMIP 1.0–1.4 and 2.0.

use std::fs;
use std::path::PathBuf;

use kms_kmip::payload::{RequestPayload, ResponsePayload};
use kms_kmip::{ProtocolVersion, RequestMessage, ResponseMessage};

fn vectors() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut out: Vec<_> = fs::read_dir(&dir)
        .expect("tests/vectors")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .map(|path| {
            let name = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).expect("read");
            (name, hex::decode(text.trim()).expect("hex"))
        })
        .collect();
    out.sort();
    out
}

fn version_of(name: &str) -> ProtocolVersion {
    let (major, minor) = name
        .split('-')
        .next()
        .and_then(|v| v.split_once('.'))
        .expect("version prefix");
    ProtocolVersion::new(major.parse().expect("major"), minor.parse().expect("minor"))
}

#[test]
fn pykmip_requests_round_trip() {
    let mut seen = 0;
    for (name, bytes) in vectors()
        .into_iter()
        .filter(|(name, _)| name.ends_with("-request"))
    {
        let request = RequestMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(request.header.protocol_version, version_of(&name), "{name}");
        for item in &request.items {
            assert!(
                !matches!(item.payload, RequestPayload::Unparsed { .. }),
                "{name}: {:?} unparsed",
                item.operation()
            );
        }
        let again = request.encode().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(again), hex::encode(&bytes), "{name}");
        seen += 1;
    }
    assert!(seen >= 6 * 28, "only {seen} request vectors");
}

#[test]
fn pykmip_responses_round_trip() {
    let mut seen = 0;
    for (name, bytes) in vectors()
        .into_iter()
        .filter(|(name, _)| name.ends_with("-response"))
    {
        let response = ResponseMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(
            response.header.protocol_version,
            version_of(&name),
            "{name}"
        );
        for item in &response.items {
            assert!(
                !matches!(item.payload, Some(ResponsePayload::Unparsed { .. })),
                "{name}: unparsed"
            );
        }
        let again = response.encode().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(again), hex::encode(&bytes), "{name}");
        seen += 1;
    }
    assert!(seen >= 6 * 24, "only {seen} response vectors");
}
