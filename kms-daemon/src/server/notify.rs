//! systemd's readiness protocol (`sd_notify(3)`): when kmsd runs under a unit with
//! `Type=notify`, systemd puts a datagram socket in `NOTIFY_SOCKET` and waits for `READY=1`
//! before it counts kmsd as started. kmsd sends `READY=1` once its listeners accept connections,
//! `RELOADING=1` then `READY=1` around a SIGHUP reload, and `STOPPING=1` when it begins to drain.
//! Without `NOTIFY_SOCKET` (not under systemd) nothing is sent.
//!
//! Fifteen lines of protocol: no crate (`sd-notify`, `libsystemd`) is needed for a datagram.

use std::os::unix::net::UnixDatagram;

/// Sends `state` (newline-separated `KEY=VALUE` lines) to systemd, if kmsd runs under it. A
/// failure is logged, never fatal: the service works without its supervisor knowing.
pub fn notify(state: &str) {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|sock| {
        let bytes = target.as_encoded_bytes();
        match bytes.strip_prefix(b"@") {
            // An abstract socket name (Linux).
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                sock.send_to_addr(state.as_bytes(), &addr)
            }
            None => sock.send_to(state.as_bytes(), &target),
        }
    });
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not notify systemd");
    }
}
