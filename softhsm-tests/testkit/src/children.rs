//! The kmsd processes this process started, killed when it exits: fixtures held in statics are
//! never dropped, and a daemon outliving its test would keep the test's output pipes open.

use std::process::Command;
use std::sync::{Mutex, Once};

static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

extern "C" fn kill_children() {
    if let Ok(children) = CHILDREN.lock() {
        for pid in children.iter() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// Kills `pid` when this process exits, unless [`untrack`]ed first.
pub(crate) fn track(pid: u32) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        #[allow(
            unsafe_code,
            reason = "libc::atexit, the one way to act at process exit"
        )]
        // SAFETY: registers a plain extern "C" function with the C library's exit handlers;
        // the test harness ends with `std::process::exit`, which runs them.
        unsafe {
            libc::atexit(kill_children);
        }
    });
    CHILDREN.lock().expect("children").push(pid);
}

/// Forgets `pid` (it was waited for).
pub(crate) fn untrack(pid: u32) {
    CHILDREN.lock().expect("children").retain(|p| *p != pid);
}
