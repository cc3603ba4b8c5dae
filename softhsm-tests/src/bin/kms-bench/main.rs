//! kms-bench: the same workload against SoftHSM2 and kms-pkcs11 in one run, alternating, with
//! ops/s (median, min and max of several runs), p50/p99 latency, CPU per operation (this process
//! and kmsd) and the ratio ours/SoftHSM2 per thread count; then the peak memory of both
//! processes. It starts its own quick-start kmsd and a fresh SoftHSM2 token.
//!
//! `cargo build --release --workspace && target/release/kms-bench [--seconds S] [--runs R]
//! [--threads 1,2,4,8] [--ops rsa,oaep,ecdsa,aes,getattr,create,find,session,cold]
//! [--find-objects N] [--key-use-durability immediate|deferred] [--only softhsm2|kms-pkcs11]
//! [--json FILE]`
//!
//! Operations: `rsa` RSA-2048 CKM_SHA256_RSA_PKCS over 1 KiB; `oaep` RSA-2048 OAEP (SHA-1, the
//! one SoftHSM2 offers) decryption; `ecdsa` P-256 CKM_ECDSA over a 32-byte digest; `aes`
//! AES-256-GCM encryption of 1 KiB; `getattr` one C_GetAttributeValue of four attributes (class,
//! label, CKA_ENCRYPT, CKA_VALUE_LEN) of the AES key; `create` a token AES key generated and destroyed; `find`
//! C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal by label among N token objects (filled
//! once, with a progress bar); `session` C_OpenSession + C_CloseSession; `cold` a new process
//! from C_Initialize to its first signature (threads ignored).
//!
//! `--only` runs one token (no ratio): `--only kms-pkcs11 --ops find --find-objects 1000000`
//! fills kmsd alone with a million objects. Every run ends by restarting kmsd on the store it
//! left, and prints the time to listening and kmsd's memory before and after one search.

mod resources;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, Kmsd, SO_PIN, TOKEN, USER_PIN};
use softhsm_tests::softhsm::{SoftHsm, MODULE as SOFTHSM_MODULE};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const RSA_LABEL: &[u8] = b"bench-rsa";
const NEEDLE: &[u8] = b"bench-needle";

struct Options {
    seconds: f64,
    runs: usize,
    threads: Vec<usize>,
    ops: Vec<String>,
    find_objects: usize,
    key_use_durability: String,
    only: Option<String>,
    json: Option<String>,
}

fn options(args: &[String]) -> Options {
    let mut o = Options {
        seconds: 2.0,
        runs: 3,
        threads: vec![1, 2, 4, 8],
        ops: [
            "rsa", "oaep", "ecdsa", "aes", "getattr", "create", "find", "session", "cold",
        ]
        .map(String::from)
        .to_vec(),
        find_objects: 10_000,
        key_use_durability: "immediate".into(),
        only: None,
        json: None,
    };
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
            "--find-objects" => o.find_objects = value().parse().expect("--find-objects N"),
            "--key-use-durability" => o.key_use_durability = value(),
            "--only" => o.only = Some(value()),
            "--json" => o.json = Some(value()),
            other => panic!("unknown argument {other}; see the doc comment of kms-bench"),
        }
    }
    o
}

fn oaep() -> Mechanism<'static> {
    Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        MechanismType::SHA1,
        PkcsMgfType::MGF1_SHA1,
        PkcsOaepSource::empty(),
    ))
}

fn login(ctx: &Pkcs11, slot: Slot) -> Session {
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    s
}

fn token_slot(ctx: &Pkcs11) -> Slot {
    *ctx.get_slots_with_token()
        .unwrap()
        .iter()
        .find(|s| ctx.get_token_info(**s).unwrap().label() == TOKEN)
        .expect("token")
}

/// One token under test: its library, slot, keys, and the process that does its work.
struct Target {
    name: &'static str,
    module: PathBuf,
    daemon: Option<u32>,
    ctx: Pkcs11,
    slot: Slot,
    rsa: ObjectHandle,
    rsa_dec: ObjectHandle,
    oaep_ct: Vec<u8>,
    ec: ObjectHandle,
    aes: ObjectHandle,
}

impl Target {
    /// Opens the token and makes the keys; the session returned keeps the login alive.
    fn open(name: &'static str, module: &Path, daemon: Option<u32>) -> (Target, Session) {
        let ctx = Pkcs11::new(module).expect("load module");
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .expect("C_Initialize");
        let slot = token_slot(&ctx);
        let s = login(&ctx, slot);
        let pair = |sign: bool| {
            s.generate_key_pair(
                &Mechanism::RsaPkcsKeyPairGen,
                &[
                    Attribute::Token(true),
                    Attribute::ModulusBits(2048.into()),
                    Attribute::Encrypt(!sign),
                ],
                &[
                    Attribute::Token(true),
                    Attribute::Sign(sign),
                    Attribute::Decrypt(!sign),
                    Attribute::Label(if sign { RSA_LABEL.to_vec() } else { Vec::new() }),
                ],
            )
            .unwrap()
        };
        let (_, rsa) = pair(true);
        let (rsa_pub, rsa_dec) = pair(false);
        let oaep_ct = s.encrypt(&oaep(), rsa_pub, &[0x42u8; 32]).unwrap();
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
        let t = Target {
            name,
            module: module.to_path_buf(),
            daemon,
            ctx,
            slot,
            rsa,
            rsa_dec,
            oaep_ct,
            ec,
            aes,
        };
        (t, s)
    }

    /// Creates `n` token data objects and one labelled [`NEEDLE`], on two threads.
    fn fill(&self, n: usize) {
        let done = std::sync::atomic::AtomicUsize::new(0);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for part in 0..2 {
                let done = &done;
                scope.spawn(move || {
                    let s = self.ctx.open_rw_session(self.slot).unwrap();
                    for i in (part..n).step_by(2) {
                        s.create_object(&[
                            Attribute::Class(ObjectClass::DATA),
                            Attribute::Token(true),
                            Attribute::Private(false),
                            Attribute::Label(format!("bench-filler-{i}").into_bytes()),
                            Attribute::Value(vec![0u8; 16]),
                        ])
                        .unwrap();
                        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if d.is_multiple_of(100) || d == n {
                            progress(self.name, d, n, started.elapsed());
                        }
                    }
                });
            }
        });
        eprintln!();
        self.ctx
            .open_rw_session(self.slot)
            .unwrap()
            .create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Label(NEEDLE.to_vec()),
            ])
            .unwrap();
    }

    fn one(&self, op: &str, s: &Session, data: &[u8]) {
        match op {
            "rsa" => drop(s.sign(&Mechanism::Sha256RsaPkcs, self.rsa, data).unwrap()),
            "oaep" => drop(s.decrypt(&oaep(), self.rsa_dec, &self.oaep_ct).unwrap()),
            "ecdsa" => drop(s.sign(&Mechanism::Ecdsa, self.ec, &data[..32]).unwrap()),
            "aes" => {
                let mut iv = [7u8; 12];
                let gcm = GcmParams::new(&mut iv, &[], 128.into()).unwrap();
                drop(s.encrypt(&Mechanism::AesGcm(gcm), self.aes, data).unwrap())
            }
            "getattr" => {
                let attrs = [
                    AttributeType::Class,
                    AttributeType::Label,
                    AttributeType::Encrypt,
                    AttributeType::ValueLen,
                ];
                assert_eq!(s.get_attributes(self.aes, &attrs).unwrap().len(), 4);
            }
            "create" => {
                let k = s
                    .generate_key(
                        &Mechanism::AesKeyGen,
                        &[Attribute::Token(true), Attribute::ValueLen(32.into())],
                    )
                    .unwrap();
                s.destroy_object(k).unwrap();
            }
            "find" => {
                let found = s
                    .find_objects(&[Attribute::Label(NEEDLE.to_vec())])
                    .unwrap();
                assert_eq!(found.len(), 1, "{}: the needle", self.name);
            }
            "session" => self
                .ctx
                .open_ro_session(self.slot)
                .unwrap()
                .close()
                .unwrap(),
            other => panic!("unknown op {other}"),
        }
    }

    /// Runs `op` on `threads` threads for `seconds`.
    fn measure(&self, op: &str, threads: usize, seconds: f64) -> Sample {
        if op == "cold" {
            return self.cold_start(seconds);
        }
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let (own0, daemon0) = self.cpu();
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
                            self.one(op, &s, &data);
                            lat.push(t.elapsed());
                        }
                        lat
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let elapsed = started.elapsed().as_secs_f64();
        let (own1, daemon1) = self.cpu();
        let mut lat: Vec<Duration> = lat.into_iter().flatten().collect();
        lat.sort();
        let n = lat.len().max(1) as f64;
        Sample {
            rate: lat.len() as f64 / elapsed,
            cpu_us: ((own1 - own0) + (daemon1 - daemon0)).as_secs_f64() * 1e6 / n,
            lat,
        }
    }

    /// CPU used so far by this process and by the target's daemon (if it has one).
    fn cpu(&self) -> (Duration, Duration) {
        let daemon = self
            .daemon
            .map_or(Duration::ZERO, |pid| resources::cpu(&pid.to_string()));
        (resources::cpu("self"), daemon)
    }

    /// New processes, each from C_Initialize to its first signature, for about `seconds`.
    fn cold_start(&self, seconds: f64) -> Sample {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let mut lat = Vec::new();
        while lat.is_empty() || Instant::now() < deadline {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .arg("--cold-start")
                .arg(&self.module)
                .output()
                .expect("cold-start child");
            let text = String::from_utf8_lossy(&out.stdout);
            let us: u64 = text.trim().parse().unwrap_or_else(|_| {
                panic!(
                    "{}: cold start failed: {text} {}",
                    self.name,
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            lat.push(Duration::from_micros(us));
        }
        lat.sort();
        let median = lat[lat.len() / 2].as_secs_f64();
        Sample {
            rate: 1.0 / median,
            cpu_us: 0.0,
            lat,
        }
    }
}

/// kmsd started again on the store the run left.
struct Restart {
    objects: usize,
    listening_ms: f64,
    rss_started_mib: f64,
    rss_searched_mib: f64,
}

impl Restart {
    fn json(&self) -> String {
        format!(
            "{{\"objects\":{},\"listening_ms\":{:.1},\"rss_started_mib\":{:.1},\"rss_searched_mib\":{:.1}}}",
            self.objects, self.listening_ms, self.rss_started_mib, self.rss_searched_mib
        )
    }
}

/// Stops kmsd, times its start on the same store (holding `objects` filled ones) until it
/// listens, and reads its memory then and after one search by label through `ours` (which
/// reconnects on its own).
fn restart_figures(kmsd: &mut Kmsd, ours: &Target, objects: usize) -> Restart {
    kmsd.stop();
    let started = Instant::now();
    kmsd.restart();
    let listening_ms = started.elapsed().as_secs_f64() * 1e3;
    let pid = kmsd.pid().map(|p| p.to_string()).unwrap_or_default();
    let rss_started_mib = resources::rss_mib(&pid);
    let s = ours.ctx.open_ro_session(ours.slot).unwrap();
    let found = s.find_objects(&[Attribute::Label(NEEDLE.to_vec())]);
    let rss_searched_mib = resources::rss_mib(&pid);
    let r = Restart {
        objects,
        listening_ms,
        rss_started_mib,
        rss_searched_mib,
    };
    println!(
        "kmsd restarted on its store ({objects} objects filled): listening after {:.0} ms, \
         RSS {:.1} MiB, {:.1} MiB after a search by label ({})",
        r.listening_ms,
        r.rss_started_mib,
        r.rss_searched_mib,
        match found {
            Ok(f) => format!("{} found", f.len()),
            Err(e) => format!("failed: {e}"),
        }
    );
    r
}

/// The child of `cold`: load, initialise, log in, find the RSA key, sign once; print µs.
fn cold_start_child(module: &Path) {
    let started = Instant::now();
    let ctx = Pkcs11::new(module).expect("load module");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("C_Initialize");
    let s = login(&ctx, token_slot(&ctx));
    let key = s
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(RSA_LABEL.to_vec()),
        ])
        .unwrap()[0];
    s.sign(&Mechanism::Sha256RsaPkcs, key, b"first signature")
        .unwrap();
    println!("{}", started.elapsed().as_micros());
}

fn progress(name: &str, done: usize, total: usize, elapsed: Duration) {
    let width = 30;
    let filled = done * width / total.max(1);
    eprint!(
        "\r{name:>10} filling [{}{}] {done}/{total} ({:.0}/s)",
        "#".repeat(filled),
        " ".repeat(width - filled),
        done as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    let _ = std::io::stderr().flush();
}

/// What one run of one operation gave.
struct Sample {
    rate: f64,
    cpu_us: f64,
    lat: Vec<Duration>,
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
    cpu_us: f64,
}

impl Row {
    fn json(&self) -> String {
        format!(
            "{{\"op\":\"{}\",\"threads\":{},\"target\":\"{}\",\"ops_per_s_median\":{:.1},\"ops_per_s_min\":{:.1},\"ops_per_s_max\":{:.1},\"p50_us\":{:.1},\"p99_us\":{:.1},\"cpu_us_per_op\":{:.1}}}",
            self.op, self.threads, self.target, self.median, self.min, self.max, self.p50_us, self.p99_us, self.cpu_us
        )
    }
}

/// The runs of one operation at one thread count on one target, summarised.
fn summarise(op: &str, threads: usize, target: &'static str, mut runs: Vec<Sample>) -> Row {
    let mut rates: Vec<f64> = runs.iter().map(|r| r.rate).collect();
    rates.sort_by(f64::total_cmp);
    let mut cpu: Vec<f64> = runs.iter().map(|r| r.cpu_us).collect();
    cpu.sort_by(f64::total_cmp);
    let mut lat: Vec<Duration> = runs.iter_mut().flat_map(|r| r.lat.drain(..)).collect();
    lat.sort();
    Row {
        op: op.to_string(),
        threads,
        target,
        median: rates[rates.len() / 2],
        min: rates[0],
        max: rates[rates.len() - 1],
        p50_us: percentile(&lat, 0.5),
        p99_us: percentile(&lat, 0.99),
        cpu_us: cpu[cpu.len() / 2],
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, module] = args.as_slice() {
        if flag == "--cold-start" {
            cold_start_child(Path::new(module));
            return;
        }
    }
    let o = options(&args);
    let _softhsm = SoftHsm::new(TOKEN, SO_PIN, USER_PIN);
    let mut kmsd = Kmsd::start();
    if o.key_use_durability != "immediate" {
        kmsd.set_option(
            "key_use_durability",
            &format!("\"{}\"", o.key_use_durability),
        );
    }
    println!("kmsd: key uses on disk: {}", o.key_use_durability);
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let wanted = |name: &str| o.only.as_deref().is_none_or(|only| only == name);
    let mut targets = Vec::new();
    let mut logins = Vec::new();
    if wanted("softhsm2") {
        let (t, s) = Target::open("softhsm2", Path::new(SOFTHSM_MODULE), None);
        targets.push(t);
        logins.push(s);
    }
    if wanted("kms-pkcs11") {
        let (t, s) = Target::open("kms-pkcs11", &module_path(), kmsd.pid());
        targets.push(t);
        logins.push(s);
    }
    assert!(!targets.is_empty(), "--only: softhsm2 or kms-pkcs11");
    if o.ops.iter().any(|op| op == "find") {
        for t in &targets {
            t.fill(o.find_objects);
        }
    }
    let mut rows = Vec::new();
    let names: Vec<String> = targets
        .iter()
        .map(|t| format!("{} ops/s (p50/p99 µs) cpu", t.name))
        .collect();
    let names: Vec<String> = names.iter().map(|n| format!("{n:>30}")).collect();
    println!(
        "{:<8} {:>3}  {}  {:>6}",
        "op",
        "thr",
        names.join("  "),
        "ratio"
    );
    for op in &o.ops {
        let thread_counts = if op == "cold" {
            &[1][..]
        } else {
            &o.threads[..]
        };
        for &threads in thread_counts {
            let mut samples: Vec<Vec<Sample>> = targets.iter().map(|_| Vec::new()).collect();
            for _ in 0..o.runs {
                for (i, t) in targets.iter().enumerate() {
                    samples[i].push(t.measure(op, threads, o.seconds));
                }
            }
            let mut line = Vec::new();
            for (t, runs) in targets.iter().zip(samples) {
                let row = summarise(op, threads, t.name, runs);
                line.push(format!(
                    "{:>9.0} ({:>6.0}/{:>6.0}) {:>5.0}",
                    row.median, row.p50_us, row.p99_us, row.cpu_us
                ));
                rows.push(row);
            }
            let ratio = match &rows[rows.len() - targets.len()..] {
                [reference, ours] => {
                    format!(
                        "{:.2}",
                        ours.median / reference.median.max(f64::MIN_POSITIVE)
                    )
                }
                _ => "-".into(),
            };
            println!(
                "{op:<8} {threads:>3}  {}  {ratio:>6}",
                line.iter()
                    .map(|l| format!("{l:>30}"))
                    .collect::<Vec<_>>()
                    .join("  ")
            );
        }
    }
    let own_rss = resources::peak_rss_mib("self");
    let kmsd_rss = kmsd
        .pid()
        .map_or(0.0, |p| resources::peak_rss_mib(&p.to_string()));
    println!(
        "peak RSS: this process (both modules) {own_rss:.1} MiB; kmsd {kmsd_rss:.1} MiB \
         (cpu = µs of CPU per operation, this process + kmsd)"
    );
    let ours = targets.iter().find(|t| t.name == "kms-pkcs11");
    let filled = match o.ops.iter().any(|op| op == "find") {
        true => o.find_objects,
        false => 0,
    };
    let restart = ours.map(|t| restart_figures(&mut kmsd, t, filled));
    drop(logins);
    if let Some(path) = o.json {
        let items: Vec<String> = rows.iter().map(Row::json).collect();
        let text = format!(
            "{{\"rows\":[{}],\"peak_rss_mib\":{{\"bench\":{own_rss:.1},\"kmsd\":{kmsd_rss:.1}}},\
             \"kmsd_restart\":{}}}\n",
            items.join(",\n"),
            restart.map_or_else(|| "null".into(), |r| r.json())
        );
        std::fs::write(&path, text).expect("write JSON");
    }
}
