//! `kmsd quickstart` records the address it really listens on in `kmsd.toml`, so that the
//! directory served again with `kmsd serve --config kmsd.toml` answers where `pkcs11.toml` points.

use kms_daemon::config::Config;
use kms_testkit::Kmsd;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn quickstart_writes_the_address_it_listens_on() {
    // The kit starts quick start with `--listen 127.0.0.1:0`: a free port, known only once bound.
    let mut k = Kmsd::start();
    let written = Config::load(&k.config()).unwrap().listen;
    assert_eq!(written.to_string(), k.addr);
    let module = std::fs::read_to_string(k.module_config()).unwrap();
    assert!(module.contains(&k.addr), "{module}");
    k.stop();
    // Served again from its configuration alone, kmsd is where the module looks for it.
    let mut serve = Command::new(kms_testkit::kmsd_bin())
        .arg("serve")
        .arg("--config")
        .arg(k.config())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let listening = loop {
        if TcpStream::connect(&k.addr).is_ok() {
            break true;
        }
        if Instant::now() > deadline || serve.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        listening,
        "kmsd serve --config does not listen on {}",
        k.addr
    );
}
