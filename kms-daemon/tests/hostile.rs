//! Hostile input at the API: 10,000 malformed requests — truncated and oversized bodies, deep
//! JSON, wrong content types, invalid UTF-8, unknown fields, wrong types, huge counts and
//! lengths, bad paths and methods — each answered with a 4xx and a stable error code; kmsd's
//! memory stays flat, and well-formed requests are served throughout and afterwards.

mod common;

use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

/// Well-formed bodies of the main routes, to be broken.
fn valid_bodies() -> Vec<(&'static str, String, Value)> {
    let aes = json!({
        "mechanism": {"mechanism": CKM_AES_KEY_GEN},
        "template": [a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, false)],
    });
    vec![
        ("POST", path("login"), login_body(USER_PIN)),
        (
            "POST",
            path("objects/find"),
            json!({"template": [a_bool(CKA_TOKEN, true)]}),
        ),
        ("POST", path("keys/generate"), aes),
        (
            "POST",
            path("objects"),
            json!({"template": [a_ulong(CKA_CLASS, CKO_DATA), a_bytes(CKA_VALUE, b"x")]}),
        ),
        ("POST", "/v1/random".to_owned(), json!({"len": 16})),
    ]
}

/// One malformed request: method, path, content type, body.
fn bad_request(
    rng: &mut Rng,
    bodies: &[(&'static str, String, Value)],
) -> (String, String, String, Vec<u8>) {
    let (method, route, body) = &bodies[rng.below(bodies.len())];
    let text = serde_json::to_vec(body).unwrap();
    let json = "application/json".to_owned();
    let (m, p) = (method.to_string(), route.clone());
    match rng.below(12) {
        // Truncated somewhere inside.
        0 => {
            let cut = 1 + rng.below(text.len() - 1);
            (m, p, json, text[..cut].to_vec())
        }
        // Random bytes, mostly invalid UTF-8.
        1 => {
            let n = rng.below(256);
            (m, p, json, (0..n).map(|_| rng.next() as u8).collect())
        }
        // Deep nesting.
        2 => {
            let depth = 64 + rng.below(4096);
            let mut b = "[".repeat(depth).into_bytes();
            b.extend("]".repeat(depth).bytes());
            (m, p, json, b)
        }
        // Over the body limit.
        3 => (m, p, json, vec![b'{'; (1 << 20) + 1 + rng.below(1 << 16)]),
        // Wrong content type.
        4 => (m, p, "text/plain".to_owned(), text),
        // An unknown field.
        5 => {
            let mut v = body.clone();
            v["surprise"] = json!(rng.next());
            (m, p, json, serde_json::to_vec(&v).unwrap())
        }
        // A field of the wrong type.
        6 => {
            let mut v = body.clone();
            if let Some(obj) = v.as_object_mut() {
                let key = obj.keys().next().cloned().unwrap_or_default();
                obj.insert(key, json!([1, "two", {"three": 3}]));
            }
            (m, p, json, serde_json::to_vec(&v).unwrap())
        }
        // Huge counts and lengths.
        7 => {
            let many: Vec<Value> = (0..300).map(|i| a_bool(CKA_TOKEN + i, true)).collect();
            let v = match rng.below(3) {
                0 => json!({"template": many}),
                1 => json!({"len": 1u64 << 40}),
                _ => json!({"template": [a_bytes(CKA_LABEL, &vec![b'l'; 70_000])]}),
            };
            let p = if v.get("len").is_some() {
                "/v1/random".to_owned()
            } else {
                path("objects/find")
            };
            ("POST".to_owned(), p, json, serde_json::to_vec(&v).unwrap())
        }
        // Bad base64 and bad numbers inside attributes.
        8 => {
            let v = json!({"template": [{"t": CKA_LABEL, "v": {"bytes": "***not base64***"}},
                                        {"t": -1, "v": {"ulong": -5}}]});
            (
                "POST".to_owned(),
                path("objects/find"),
                json,
                serde_json::to_vec(&v).unwrap(),
            )
        }
        // Wrong method.
        9 => ("PUT".to_owned(), p, json, text),
        // Unknown or hostile paths.
        10 => {
            let paths = [
                "/v1/nothing".to_owned(),
                path("objects/..%2F..%2Fetc%2Fpasswd"),
                path(&format!("objects/{}/sign", "f".repeat(5000))),
                "/v1/tokens/%00/login".to_owned(),
                "/v2/tokens".to_owned(),
            ];
            (
                "POST".to_owned(),
                paths[rng.below(paths.len())].clone(),
                json,
                text,
            )
        }
        // An empty body where one is needed.
        _ => (m, p, json, Vec::new()),
    }
}

/// What one malformed request got: status, what was sent (shortened), the answer's body.
type Seen = (u16, String, String);

/// `threads` × `per_thread` malformed requests (seeds from `seed`), while `good` keeps making
/// well-formed ones that must be served.
fn burst(
    d: &Kmsd,
    good: &Client,
    bodies: &[(&'static str, String, Value)],
    seed: u64,
    threads: usize,
    per_thread: usize,
) -> Vec<Seen> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let mut c = d.client();
                c.bearer = good.bearer.clone();
                scope.spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (seed + t as u64 + 1));
                    let mut seen = Vec::with_capacity(per_thread);
                    for _ in 0..per_thread {
                        let (m, p, ct, body) = bad_request(&mut rng, bodies);
                        let r = c
                            .raw_typed(&m, &p, &ct, &body)
                            .unwrap_or_else(|e| panic!("{m} {p}: no answer ({e})"));
                        seen.push((
                            r.status,
                            format!("{m} {p} {ct} {:.120}", String::from_utf8_lossy(&body)),
                            String::from_utf8_lossy(&r.body).into_owned(),
                        ));
                    }
                    seen
                })
            })
            .collect();
        // Well-formed traffic keeps being served meanwhile.
        for _ in 0..100 {
            assert_eq!(
                good.call("POST", &path("objects/find"), Some(json!({"template": []})))
                    .status,
                200
            );
        }
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

#[test]
fn ten_thousand_bad_requests_get_4xx_and_the_good_ones_are_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let mut good = d.client();
    assert_eq!(good.login(USER_PIN).status, 200);
    let bodies = valid_bodies();
    // Warm up, then measure memory from a steady state.
    for _ in 0..50 {
        assert_eq!(
            good.call("POST", &path("objects/find"), Some(json!({"template": []})))
                .status,
            200
        );
    }
    let before = rss_kib(d.pid().unwrap());
    let (threads, per_thread) = (4, 1250);
    // Two halves of 5,000, so that the log shows where memory goes: the first half warms the
    // allocator up, the second shows whether it keeps growing.
    let mut all = burst(&d, &good, &bodies, 0, threads, per_thread);
    let half = rss_kib(d.pid().unwrap());
    all.extend(burst(&d, &good, &bodies, 1 << 32, threads, per_thread));
    assert_eq!(all.len(), 2 * threads * per_thread);
    for (status, what, body) in &all {
        assert!(
            (400..500).contains(status),
            "{what} answered {status}: {body}"
        );
    }
    // Every JSON error body carries a stable code.
    let coded = all
        .iter()
        .filter(|(_, _, b)| b.starts_with('{'))
        .all(|(_, _, b)| serde_json::from_str::<Value>(b).is_ok_and(|v| v["code"].is_string()));
    assert!(coded, "an error body without a code");
    let after = rss_kib(d.pid().unwrap());
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for (status, _, _) in &all {
        *by_status.entry(*status).or_default() += 1;
    }
    println!(
        "{} malformed requests: answers by status {by_status:?}; kmsd RSS {before} KiB before, {half} KiB after 5,000, {after} KiB after 10,000",
        all.len()
    );
    assert!(
        after < before + 64 * 1024,
        "kmsd grew from {before} KiB to {after} KiB"
    );
    let r = good.call("POST", "/v1/random", Some(json!({"len": 8})));
    assert_eq!(r.status, 200);
}
