//! 64 threads of mixed calls and a `C_Finalize` in the middle of them: no crash, every call in
//! flight returns, and every call that starts after `C_Finalize` returned gets
//! `CKR_CRYPTOKI_NOT_INITIALIZED`.

#![allow(unsafe_code)]

mod capi;

use capi::Module;
use cryptoki_sys::*;
use softhsm_tests::{Kmsd, TOKEN};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const THREADS: usize = 64;

#[test]
fn finalize_while_64_threads_call() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let m = Module::load();
    for round in 0..3 {
        assert_eq!(m.initialize(), CKR_OK, "round {round}");
        let finalized = AtomicBool::new(false);
        let before = AtomicUsize::new(0);
        let after = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let (m, finalized, before, after) = (&m, &finalized, &before, &after);
                scope.spawn(move || {
                    let mut key = None;
                    let mut session = None;
                    for i in 0.. {
                        let started_after = finalized.load(Ordering::SeqCst);
                        let rv = match (i + t) % 4 {
                            0 => m.get_info(),
                            1 => match m.session(true) {
                                Ok(s) => {
                                    session = Some(s);
                                    CKR_OK
                                }
                                Err(rv) => rv,
                            },
                            2 => match session.map(|s| m.ec_key(s)) {
                                Some(Ok(k)) => {
                                    key = Some(k);
                                    CKR_OK
                                }
                                Some(Err(rv)) => rv,
                                None => m.get_info(),
                            },
                            _ => match (session, key) {
                                (Some(s), Some(k)) => m.sign(s, k),
                                (Some(s), None) => m.digest(s),
                                _ => m.get_info(),
                            },
                        };
                        if started_after {
                            assert_eq!(
                                rv, CKR_CRYPTOKI_NOT_INITIALIZED,
                                "thread {t}: a call after C_Finalize"
                            );
                            after.fetch_add(1, Ordering::Relaxed);
                            if i > 5 && after.load(Ordering::Relaxed) > THREADS * 4 {
                                break;
                            }
                        } else {
                            before.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
            std::thread::sleep(Duration::from_millis(150 + 100 * round as u64));
            assert_eq!(m.finalize(), CKR_OK);
            finalized.store(true, Ordering::SeqCst);
        });
        assert!(
            before.load(Ordering::Relaxed) > 0,
            "round {round}: calls ran"
        );
        assert!(
            after.load(Ordering::Relaxed) > 0,
            "round {round}: calls after"
        );
    }
}
