//! Fork (spec-checklist S6): after `fork()` the child sees `CKR_CRYPTOKI_NOT_INITIALIZED` until
//! its own `C_Initialize`, is not logged in, and then works on its own connections; the parent
//! keeps working. Pre-forking servers (nginx, apache2) do exactly this — here 100 times, with 8
//! threads of the parent signing through the module at every fork.

// This test is an application: it calls the C API through raw pointers and forks.
#![allow(unsafe_code)]

use cryptoki_sys::*;
use kms_testkit::{capi::Module, Kmsd, TOKEN};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const FORKS: usize = 100;
const BUSY_THREADS: usize = 8;

/// The child's checks; returns the exit code (0, or the step that failed).
fn child(m: &Module) -> i32 {
    if m.get_info() != CKR_CRYPTOKI_NOT_INITIALIZED {
        10
    } else if m.initialize() != CKR_OK {
        11
    } else if m.get_info() != CKR_OK {
        12
    } else if m.sign_once(false) != CKR_USER_NOT_LOGGED_IN {
        13 // the parent's login is not the child's
    } else if m.sign_once(true) != CKR_OK {
        14
    } else if m.finalize() != CKR_OK {
        15
    } else {
        0
    }
}

#[test]
fn forked_children_initialize_again_while_the_parent_goes_on() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let m = Module::load();
    assert_eq!(m.initialize(), CKR_OK);
    assert_eq!(m.sign_once(true), CKR_OK, "parent before fork");
    let stop = AtomicBool::new(false);
    let signed = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..BUSY_THREADS {
            scope.spawn(|| {
                let s = m.session(true).unwrap();
                let key = m.ec_key(s).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(m.sign(s, key), CKR_OK, "a busy parent thread");
                    signed.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        for round in 0..FORKS {
            // SAFETY: the child only calls the module and `_exit`s.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let code = child(&m);
                // SAFETY: ends the child without running the parent's destructors.
                unsafe { libc::_exit(code) };
            }
            let mut status = 0;
            // SAFETY: waits for our own child.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(
                libc::WIFEXITED(status),
                "child {round} crashed: status {status}"
            );
            assert_eq!(
                libc::WEXITSTATUS(status),
                0,
                "child {round} failed at step {}",
                libc::WEXITSTATUS(status)
            );
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(
        signed.load(Ordering::Relaxed) > 0,
        "the parent kept signing"
    );
    assert_eq!(m.sign_once(true), CKR_OK, "parent after the forks");
    assert_eq!(m.finalize(), CKR_OK);
}
