//! 64 threads of mixed calls and a `C_Finalize` in the middle of them: no crash, every call in
//! flight returns, and every call that starts after `C_Finalize` returned gets
//! `CKR_CRYPTOKI_NOT_INITIALIZED`. A smaller run of the same scenario (16 threads, one round)
//! also runs under valgrind's memcheck: no invalid read or write, no use of uninitialised
//! memory, in the module or anything it calls.

#![allow(unsafe_code)]

use cryptoki_sys::*;
use kms_testkit::{capi::Module, Kmsd, TOKEN};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Set (to anything) in the process valgrind runs: the small scenario, which valgrind (one
/// thread at a time, each call some 50 times slower) runs in a CI-sized time.
const SMALL: &str = "KMS_FINALIZE_RACE_SMALL";

/// (threads, rounds): 64 threads and 3 rounds; with [`SMALL`], one round of as many threads as
/// it says (16 if it is not a number).
fn scale() -> (usize, usize) {
    match std::env::var(SMALL) {
        Ok(n) => (n.parse().unwrap_or(16), 1),
        Err(_) => (64, 3),
    }
}

#[test]
fn finalize_while_64_threads_call() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let m = Module::load();
    let (threads, rounds) = scale();
    for round in 0..rounds {
        assert_eq!(m.initialize(), CKR_OK, "round {round}");
        let finalized = AtomicBool::new(false);
        let before = AtomicUsize::new(0);
        let after = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for t in 0..threads {
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
                        if rv == CKR_CRYPTOKI_NOT_INITIALIZED {
                            // Once the library is gone every call returns at once; a thread
                            // spinning on that starves the finalizing thread, which still
                            // closes sessions over the network (under valgrind, which runs one
                            // thread at a time, for minutes).
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        if started_after {
                            assert_eq!(
                                rv, CKR_CRYPTOKI_NOT_INITIALIZED,
                                "thread {t}: a call after C_Finalize"
                            );
                            after.fetch_add(1, Ordering::Relaxed);
                            if i > 5 && after.load(Ordering::Relaxed) > threads * 4 {
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

/// The test above, small, in a child process under `valgrind --tool=memcheck` (leak check
/// off: the module keeps its runtime and pools for the process's life by design). Suppressions,
/// each with its reason, are in `softhsm-tests/valgrind.supp`.
#[test]
fn finalize_race_under_valgrind_memcheck() {
    if std::env::var_os(SMALL).is_some() || !softhsm_tests::have("valgrind") {
        return;
    }
    let suppressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("valgrind.supp");
    let out = Command::new("valgrind")
        .args([
            "--tool=memcheck",
            "--error-exitcode=1",
            "--leak-check=no",
            "--gen-suppressions=all",
        ])
        .arg(format!("--suppressions={}", suppressions.display()))
        .arg(std::env::current_exe().unwrap())
        .args([
            "finalize_while_64_threads_call",
            "--exact",
            "--test-threads=1",
        ])
        .env(SMALL, "16")
        .output()
        .expect("run valgrind");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "under valgrind: {}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    let summary = stderr
        .lines()
        .find_map(|l| l.split_once("ERROR SUMMARY").map(|(_, rest)| rest))
        .unwrap_or(": no ERROR SUMMARY line");
    println!("valgrind memcheck, finalize race (16 threads, 1 round){summary}");
}
