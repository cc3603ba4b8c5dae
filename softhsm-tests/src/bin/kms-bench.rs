//! kms-bench: the same workload against SoftHSM2 and kms-pkcs11 in one run, alternating, with
//! ops/s (median, min and max of several runs), p50/p99 latency and the ratio ours/SoftHSM2 per
//! thread count. It starts its own quick-start kmsd and a fresh SoftHSM2 token.
//!
//! `cargo build --release --workspace && target/release/kms-bench [--seconds S] [--runs R]
//! [--threads 1,2,4,8] [--ops rsa,ecdsa,aes,session] [--json FILE]`

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use softhsm_tests::softhsm::{SoftHsm, MODULE as SOFTHSM_MODULE};
use softhsm_tests::{module_path, Kmsd, SO_PIN, TOKEN, USER_PIN};
use std::time::{Duration, Instant};

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

struct Options {
    seconds: f64,
    runs: usize,
    threads: Vec<usize>,
    ops: Vec<String>,
    json: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 2.0,
        runs: 3,
        threads: vec![1, 2, 4, 8],
        ops: ["rsa", "ecdsa", "aes", "session"]
            .map(String::from)
            .to_vec(),
        json: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| panic!("{a} needs a value"))
                .clone()
        };
        match a.as_str() {
            "--seconds" => o.seconds = value().parse().expect("--seconds S"),
            "--runs" => o.runs = value().parse().expect("--runs R"),
            "--threads" => {
                o.threads = value()
                    .split(',')
                    .map(|t| t.parse().expect("--threads 1,2"))
                    .collect()
            }
            "--ops" => o.ops = value().split(',').map(String::from).collect(),
            "--json" => o.json = Some(value()),
            other => panic!("unknown argument {other}; see the doc comment of kms-bench"),
        }
    }
    o
}

/// One token under test: its library, slot and keys.
struct Target {
    name: &'static str,
    ctx: Pkcs11,
    slot: Slot,
    rsa: ObjectHandle,
    ec: ObjectHandle,
    aes: ObjectHandle,
}

impl Target {
    fn open(name: &'static str, module: &std::path::Path) -> Target {
        let ctx = Pkcs11::new(module).expect("load module");
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .expect("C_Initialize");
        let slot = *ctx
            .get_slots_with_token()
            .unwrap()
            .iter()
            .find(|s| ctx.get_token_info(**s).unwrap().label() == TOKEN)
            .expect("token");
        let s = ctx.open_rw_session(slot).unwrap();
        s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
            .unwrap();
        let (_, rsa) = s
            .generate_key_pair(
                &Mechanism::RsaPkcsKeyPairGen,
                &[Attribute::Token(true), Attribute::ModulusBits(2048.into())],
                &[Attribute::Token(true), Attribute::Sign(true)],
            )
            .unwrap();
        let (_, ec) = s
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &[Attribute::Token(true), Attribute::EcParams(P256.to_vec())],
                &[Attribute::Token(true), Attribute::Sign(true)],
            )
            .unwrap();
        let aes = s
            .generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Token(true),
                    Attribute::ValueLen(32.into()),
                    Attribute::Encrypt(true),
                    Attribute::Decrypt(true),
                ],
            )
            .unwrap();
        // This session keeps the login alive for the worker sessions.
        std::mem::forget(s);
        Target {
            name,
            ctx,
            slot,
            rsa,
            ec,
            aes,
        }
    }

    /// Runs `op` on `threads` threads for `seconds`; returns ops/s and sorted latencies.
    fn measure(&self, op: &str, threads: usize, seconds: f64) -> (f64, Vec<Duration>) {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let started = Instant::now();
        let lat: Vec<Vec<Duration>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(move || {
                        let s = self.ctx.open_rw_session(self.slot).unwrap();
                        let data = vec![0x5au8; 1024];
                        let mut lat = Vec::new();
                        while Instant::now() < deadline {
                            let t = Instant::now();
                            match op {
                                "rsa" => drop(
                                    s.sign(&Mechanism::Sha256RsaPkcs, self.rsa, &data).unwrap(),
                                ),
                                "ecdsa" => {
                                    drop(s.sign(&Mechanism::Ecdsa, self.ec, &data[..32]).unwrap())
                                }
                                "aes" => {
                                    let mut iv = [7u8; 12];
                                    drop(
                                        s.encrypt(
                                            &Mechanism::AesGcm(
                                                GcmParams::new(&mut iv, &[], 128.into()).unwrap(),
                                            ),
                                            self.aes,
                                            &data,
                                        )
                                        .unwrap(),
                                    )
                                }
                                "session" => self
                                    .ctx
                                    .open_ro_session(self.slot)
                                    .unwrap()
                                    .close()
                                    .unwrap(),
                                other => panic!("unknown op {other}"),
                            }
                            lat.push(t.elapsed());
                        }
                        lat
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let elapsed = started.elapsed().as_secs_f64();
        let mut all: Vec<Duration> = lat.into_iter().flatten().collect();
        all.sort();
        (all.len() as f64 / elapsed, all)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

struct Row {
    op: String,
    threads: usize,
    target: &'static str,
    median: f64,
    min: f64,
    max: f64,
    p50_us: f64,
    p99_us: f64,
}

fn main() {
    let o = options();
    let _softhsm = SoftHsm::new(TOKEN, SO_PIN, USER_PIN);
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let targets = [
        Target::open("softhsm2", std::path::Path::new(SOFTHSM_MODULE)),
        Target::open("kms-pkcs11", &module_path()),
    ];
    let mut rows = Vec::new();
    println!(
        "{:<8} {:>3}  {:>24}  {:>24}  {:>6}",
        "op", "thr", "softhsm2 ops/s (p50/p99 µs)", "kms-pkcs11 ops/s (p50/p99 µs)", "ratio"
    );
    for op in &o.ops {
        for &threads in &o.threads {
            let mut results: Vec<(Vec<f64>, Vec<Duration>)> =
                vec![(Vec::new(), Vec::new()); targets.len()];
            for _ in 0..o.runs {
                for (i, t) in targets.iter().enumerate() {
                    let (rate, lat) = t.measure(op, threads, o.seconds);
                    results[i].0.push(rate);
                    results[i].1.extend(lat);
                }
            }
            let mut line = Vec::new();
            for (i, (rates, lat)) in results.iter_mut().enumerate() {
                rates.sort_by(f64::total_cmp);
                lat.sort();
                let row = Row {
                    op: op.clone(),
                    threads,
                    target: targets[i].name,
                    median: rates[rates.len() / 2],
                    min: rates[0],
                    max: rates[rates.len() - 1],
                    p50_us: percentile(lat, 0.5),
                    p99_us: percentile(lat, 0.99),
                };
                line.push(format!(
                    "{:>10.0} ({:>6.0}/{:>6.0})",
                    row.median, row.p50_us, row.p99_us
                ));
                rows.push(row);
            }
            let n = rows.len();
            let ratio = rows[n - 1].median / rows[n - 2].median.max(f64::MIN_POSITIVE);
            println!(
                "{op:<8} {threads:>3}  {:>24}  {:>24}  {ratio:>6.2}",
                line[0], line[1]
            );
        }
    }
    if let Some(path) = o.json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"op\":\"{}\",\"threads\":{},\"target\":\"{}\",\"ops_per_s_median\":{:.1},\"ops_per_s_min\":{:.1},\"ops_per_s_max\":{:.1},\"p50_us\":{:.1},\"p99_us\":{:.1}}}",
                    r.op, r.threads, r.target, r.median, r.min, r.max, r.p50_us, r.p99_us
                )
            })
            .collect();
        std::fs::write(&path, format!("[{}]\n", items.join(",\n"))).expect("write JSON");
    }
}
