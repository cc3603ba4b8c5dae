//! KMIP messages as an attacker sends them to kmsd's KMIP listener: the framing check, the TTLV
//! decoder and the typed request and response decoders never panic. Whatever decodes is
//! canonical TTLV (it encodes back to the very bytes), a decoded message re-encodes to one that
//! decodes the same, and a request that fails with a readable header yields an error response
//! that encodes and decodes.
#![no_main]

use kms_kmip::ttlv::{self, frame_length, HEADER_LEN};
use kms_kmip::{DateTime, Limits, ProtocolVersion, RequestMessage, ResponseMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(header) = data.first_chunk::<HEADER_LEN>() {
        if let Ok(total) = frame_length(header, &Limits::DEFAULT) {
            assert!(total <= Limits::DEFAULT.max_message);
        }
    }
    if let Ok(item) = ttlv::decode(data) {
        assert_eq!(item.to_bytes(), data, "accepted TTLV must be canonical");
    }
    match RequestMessage::decode(data) {
        Ok(request) => {
            if let Ok(bytes) = request.encode() {
                assert_eq!(RequestMessage::decode(&bytes).as_ref(), Ok(&request));
            }
        }
        Err(error) => {
            if let Some(response) = error.response(ProtocolVersion::V1_4, DateTime(0), "invalid") {
                let bytes = response.encode().expect("an error response always encodes");
                assert_eq!(ResponseMessage::decode(&bytes).as_ref(), Ok(&response));
            }
        }
    }
    if let Ok(response) = ResponseMessage::decode(data) {
        if let Ok(bytes) = response.encode() {
            assert_eq!(ResponseMessage::decode(&bytes).as_ref(), Ok(&response));
        }
    }
});
