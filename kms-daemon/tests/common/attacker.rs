//! A raw-API attacker (bypasses the module) with a leak oracle: every response it receives is
//! kept, and [`Attacker::assert_no_leak`] scans every byte of every response for the planted key
//! values, in clear, in base64, and wrapped under any AES key the attacker knows (RFC 3394/5649).

use super::{a_bool, a_bytes, a_ulong, b64, Api, Client, Kmsd, Response, TOKEN, USER_PIN};
use aws_lc_rs::key_wrap::{AesKek, KeyWrap as _, KeyWrapPadded as _, AES_128, AES_256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_daemon::ck::*;
use serde_json::{json, Value};
use std::cell::RefCell;

/// The attacker's view of kmsd: one logged-in client and everything kmsd ever answered.
pub struct Attacker {
    pub client: Client,
    seen: RefCell<Vec<Vec<u8>>>,
    planted: Vec<Vec<u8>>,
    known_keys: Vec<Vec<u8>>,
}

impl Attacker {
    pub fn new(client: Client) -> Attacker {
        Attacker {
            client,
            seen: RefCell::new(Vec::new()),
            planted: Vec::new(),
            known_keys: Vec::new(),
        }
    }

    /// The quick-start client of `d`, logged in as the user, with `instance` for session objects.
    pub fn logged_in(d: &Kmsd, instance: Option<&str>) -> Attacker {
        let mut c = d.client();
        assert_eq!(c.login(USER_PIN).status, 200);
        c.instance = instance.map(str::to_owned);
        Attacker::new(c)
    }

    /// A path under the quick-start token.
    pub fn path(rest: &str) -> String {
        format!("/v1/tokens/{TOKEN}/{rest}")
    }

    /// Sends a request under the token and records the response.
    pub fn call(&self, method: &str, rest: &str, body: Value) -> Response {
        let body = if body.is_null() { None } else { Some(body) };
        let r = self.client.call(method, &Self::path(rest), body);
        self.seen.borrow_mut().push(r.body.clone());
        r
    }

    /// A value the attacker must never see, in any form.
    pub fn plant(&mut self, value: &[u8]) {
        self.planted.push(value.to_vec());
    }

    /// A key value the attacker knows: blobs wrapped under it count as leaks.
    pub fn knows(&mut self, key: &[u8]) {
        self.known_keys.push(key.to_vec());
    }

    /// Imports a secret key with a known value and the given extra attributes; its id.
    pub fn import_secret(&mut self, value: &[u8], extra: Vec<Value>) -> String {
        self.plant(value);
        let mut t = vec![
            a_ulong(CKA_CLASS, CKO_SECRET_KEY),
            a_ulong(CKA_KEY_TYPE, CKK_AES),
            a_bytes(CKA_VALUE, value),
        ];
        t.extend(extra);
        id(&ok(&self.call("POST", "objects", json!({ "template": t }))))
    }

    /// Generates an AES key of `len` bytes with `extra`; the response.
    pub fn generate_aes(&self, len: u64, extra: Vec<Value>) -> Response {
        let mut t = vec![a_ulong(CKA_VALUE_LEN, len)];
        t.extend(extra);
        self.call(
            "POST",
            "keys/generate",
            json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN}, "template": t}),
        )
    }

    /// `C_WrapKey` as a raw request.
    pub fn wrap(&self, mech: Value, wrapping: &str, key: &str) -> Response {
        self.call(
            "POST",
            "keys/wrap",
            json!({"mechanism": mech, "wrapping_key": wrapping, "key": key}),
        )
    }

    /// `C_UnwrapKey` of a secret AES key as a raw request, with `extra` in the template.
    pub fn unwrap(
        &self,
        mech: Value,
        unwrapping: &str,
        blob: &[u8],
        extra: Vec<Value>,
    ) -> Response {
        let mut t = vec![
            a_ulong(CKA_CLASS, CKO_SECRET_KEY),
            a_ulong(CKA_KEY_TYPE, CKK_AES),
        ];
        t.extend(extra);
        self.call(
            "POST",
            "keys/unwrap",
            json!({"mechanism": mech, "unwrapping_key": unwrapping,
                   "wrapped": b64(blob), "template": t}),
        )
    }

    /// `C_SetAttributeValue` as a raw request.
    pub fn set(&self, id: &str, template: Vec<Value>) -> Response {
        self.call(
            "POST",
            &format!("objects/{id}/attributes"),
            json!({ "template": template }),
        )
    }

    /// A one-shot crypto operation (`encrypt`, `decrypt`, `sign`) as a raw request.
    pub fn crypt(&self, op: &str, id: &str, mech: Value, data: &[u8]) -> Response {
        self.call(
            "POST",
            &format!("objects/{id}/{op}"),
            json!({"mechanism": mech, "data": b64(data)}),
        )
    }

    /// Scans every response so far for every planted value: in clear, in base64, and as the
    /// AES-KW/KWP unwrapping, under every known key, of any base64 string in a JSON body.
    pub fn assert_no_leak(&self) {
        assert!(
            !self.planted.is_empty(),
            "nothing planted: the oracle is blind"
        );
        let seen = self.seen.borrow();
        for body in seen.iter() {
            for candidate in self.candidates(body) {
                for p in &self.planted {
                    assert!(
                        !contains(&candidate, p) && !contains(&candidate, b64(p).as_bytes()),
                        "a planted key value came back: {}",
                        String::from_utf8_lossy(body)
                    );
                }
            }
        }
    }

    /// The bytes of `body`, the decoding of its base64 strings, and their unwrappings.
    fn candidates(&self, body: &[u8]) -> Vec<Vec<u8>> {
        let mut out = vec![body.to_vec()];
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return out;
        };
        let mut strings = Vec::new();
        collect_strings(&v, &mut strings);
        for s in strings {
            let Ok(bytes) = STANDARD.decode(s) else {
                continue;
            };
            for k in &self.known_keys {
                out.extend(unwrap_under(k, &bytes));
            }
            out.push(bytes);
        }
        out
    }
}

/// Every string anywhere in a JSON value.
fn collect_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// What `blob` unwraps to under `key` with AES-KW and AES-KWP, where it does.
fn unwrap_under(key: &[u8], blob: &[u8]) -> Vec<Vec<u8>> {
    let cipher = if key.len() == 16 { &AES_128 } else { &AES_256 };
    let mut out = Vec::new();
    let mut buf = vec![0u8; blob.len()];
    if let Ok(kek) = AesKek::new(cipher, key) {
        if let Ok(clear) = kek.unwrap(blob, &mut buf) {
            out.push(clear.to_vec());
        }
    }
    if let Ok(kek) = AesKek::new(cipher, key) {
        if let Ok(clear) = kek.unwrap_with_padding(blob, &mut buf) {
            out.push(clear.to_vec());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The JSON of a 200 response, or a panic showing the body.
pub fn ok(r: &Response) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// The `id` of an object response.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an object id").to_owned()
}

/// Asserts that `r` is the refusal (`status`, `code`) at step `what` of an attack.
pub fn refused(r: &Response, status: u16, code: &str, what: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (status, code),
        "{what}: {}",
        String::from_utf8_lossy(&r.body)
    );
}

/// A mechanism without parameters.
pub fn mech(m: u64) -> Value {
    json!({ "mechanism": m })
}

/// `CKA_x = b` shorthand.
pub fn flag(ty: u64, v: bool) -> Value {
    a_bool(ty, v)
}
