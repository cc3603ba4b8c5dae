//! The module loaded and unloaded again and again, as plug-in hosts do:
//! dlopen → C_Initialize → a signature → C_Finalize → dlclose, 100 times, without a crash and
//! without the process growing.

#![allow(unsafe_code)]

use cryptoki_sys::*;
use kms_testkit::{capi::Module, rss_kib, Kmsd, TOKEN};

#[test]
fn a_hundred_load_use_unload_cycles() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let cycle = |i: usize| {
        let m = Module::load();
        assert_eq!(m.initialize(), CKR_OK, "cycle {i}");
        assert_eq!(m.sign_once(true), CKR_OK, "cycle {i}");
        assert_eq!(m.finalize(), CKR_OK, "cycle {i}");
        drop(m);
    };
    // Warm-up: what the first cycles allocate for good (allocator arenas, TLS state) is not
    // growth.
    for i in 0..10 {
        cycle(i);
    }
    let before = rss_kib(std::process::id());
    for i in 10..100 {
        cycle(i);
    }
    let after = rss_kib(std::process::id());
    println!("dlopen/C_Initialize/sign/C_Finalize/dlclose: RSS {before} KiB after 10 cycles, {after} KiB after 100");
    assert!(
        after < before + 32 * 1024,
        "90 cycles grew the process from {before} KiB to {after} KiB"
    );
}
