//! The HTTPS server: rustls (aws-lc-rs provider) with a required client certificate, TLS 1.3
//! only unless `allow_tls12`, our own accept loop, one hyper HTTP/1 connection per TLS stream,
//! graceful shutdown (stop accepting, let in-flight requests finish within
//! `shutdown_timeout_secs`) and TLS reload on SIGHUP.
//!
//! **A thread per connection.** Each connection is served on an OS thread of its own, with a
//! single-threaded runtime for its TLS and HTTP, so that a request's work (a store read, the
//! private-key operation, the commit of its audit record) runs right there, with no hop to a
//! worker pool and back ([`crate::runtime`]). Measured on 2 cores: the hop through Tokio's blocking
//! pool cost ~60 µs of CPU and latency per request; running the work on the multi-threaded
//! runtime's workers instead kept two busy connections on one core (a task woken for one
//! connection waits behind the other's signature). A connection waiting for a commit or
//! computing a signature delays only itself; `[limits] max_connections` caps the threads.
//!
//! Shutdown, per connection: one idle between requests is closed; one whose request is in flight
//! answers it, then closes; a new one (TLS handshake done or under way, no request read yet)
//! gets [`FIRST_REQUEST_GRACE`] to send its request, which is then answered. A client that sent
//! its request on a fresh connection therefore gets its answer, rather than a closed connection
//! it cannot tell from a lost request.

pub mod kmip;
pub mod notify;
pub mod tls;
pub mod unseal_socket;

use crate::api::extract::ClientIdentity;
use crate::auth::identity::identity_of;
use crate::error::Result;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tls::TlsState;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// How long a new connection may take to send its first request once shutdown has begun.
pub const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(2);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes: each connection gets the TLS
/// configuration current at its handshake and a thread of its own (at most `max_connections`
/// at once; past that, new ones wait in the listen backlog), and `reload` (SIGHUP) re-reads the
/// TLS files. Then drains: no new connection (those the kernel had already completed are still
/// served), and in-flight requests get `drain` to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<TlsState>,
    router: Router,
    mut reload: Signal,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
    limits: ConnLimits,
) -> Result<()> {
    let max_connections = limits.max_connections;
    // Each connection holds a receiver until it ends: `closed()` tells when all have.
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(max_connections));
    let main = tokio::runtime::Handle::current();
    let spawn = |tcp, peer, slot| {
        let conn = Connection {
            acceptor: TlsAcceptor::from(tls.current()),
            peer,
            router: router.clone(),
            stop: stop_rx.clone(),
            header_timeout: limits.header_timeout,
        };
        spawn_thread(conn, tcp, main.clone(), slot);
    };
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        tokio::select! {
            accepted = listener.accept() => match accepted.and_then(|(tcp, peer)| {
                // Leave the main runtime's reactor: the connection's own runtime takes it over.
                Ok((tcp.into_std()?, peer))
            }) {
                Ok((tcp, peer)) => spawn(tcp, peer, Some(slot)),
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(()) = reload.recv() => reload_tls(&tls),
            () = &mut shutdown => break,
        }
    }
    // Served even past the cap: the kernel had accepted them before the shutdown.
    for (tcp, peer) in accept_backlog(listener) {
        spawn(tcp, peer, None);
    }
    drop(stop_rx);
    let _ = stop_tx.send(true);
    tracing::info!("shutting down: no new connections; draining in-flight requests");
    tokio::select! {
        () = stop_tx.closed() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(drain) => tracing::warn!("drain timeout; closing remaining connections"),
    }
    Ok(())
}

/// The connection limits of [`serve`] (`[limits]`).
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Time to send a request's headers (`request_header_timeout_secs`).
    pub header_timeout: Duration,
}

/// What a connection thread needs besides its socket.
struct Connection {
    acceptor: TlsAcceptor,
    peer: SocketAddr,
    router: Router,
    stop: watch::Receiver<bool>,
    header_timeout: Duration,
}

/// Serves `tcp` (non-blocking) on a new thread, holding `slot` until the connection ends.
fn spawn_thread(
    conn: Connection,
    tcp: std::net::TcpStream,
    main: tokio::runtime::Handle,
    slot: Option<OwnedSemaphorePermit>,
) {
    let peer = conn.peer;
    let spawned = std::thread::Builder::new()
        .name("kmsd-conn".into())
        .spawn(move || {
            let _slot = slot;
            crate::runtime::enter_connection_thread(main);
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "no runtime for a connection");
                    return;
                }
            };
            rt.block_on(async move {
                match tokio::net::TcpStream::from_std(tcp) {
                    Ok(tcp) => connection(conn, tcp).await,
                    Err(e) => tracing::warn!(%peer, error = %e, "connection not registered"),
                }
            });
        });
    if let Err(e) = spawned {
        tracing::warn!(%peer, error = %e, "no thread for a connection; closed");
    }
}

/// Takes the connections already waiting in the listen backlog (so that they are served rather
/// than reset when the listener closes), then closes the listener.
fn accept_backlog(listener: TcpListener) -> Vec<(std::net::TcpStream, SocketAddr)> {
    let Ok(std_listener) = listener.into_std() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Ok((tcp, peer)) = std_listener.accept() {
        match tcp.set_nonblocking(true) {
            Ok(()) => out.push((tcp, peer)),
            Err(e) => tracing::warn!(%peer, error = %e, "a waiting connection could not be taken"),
        }
    }
    out
}

/// SIGHUP: re-reads the TLS files; on a problem, logs it and keeps the configuration in force.
fn reload_tls(tls: &TlsState) {
    notify::notify("RELOADING=1");
    let outcome = tls.reload();
    notify::notify("READY=1");
    match outcome {
        Ok(()) => tracing::info!("TLS certificate, key and client CA reloaded"),
        Err(problems) => {
            for p in problems {
                tracing::error!(problem = %p.what, fix = %p.fix, "TLS reload refused; the previous certificate stays in use");
            }
        }
    }
}

/// A stream of SIGHUPs; installed when called (before serving), so an early SIGHUP does not
/// kill the process with the default action.
pub fn reload_signal() -> std::io::Result<Signal> {
    signal(SignalKind::hangup())
}

/// Runs one connection: handshake, identity, HTTP/1 (watched for shutdown).
async fn connection(conn: Connection, tcp: tokio::net::TcpStream) {
    let Connection {
        acceptor,
        peer,
        router,
        mut stop,
        header_timeout,
    } = conn;
    // Answers are small and must not wait for the client's delayed ACK (Nagle).
    let _ = tcp.set_nodelay(true);
    let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            crate::metrics::TLS_HANDSHAKE_FAILURES.inc(&[]);
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            crate::metrics::TLS_HANDSHAKE_FAILURES.inc(&[]);
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let identity = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| identity_of(c.as_ref()));
    let Some(identity) = identity else {
        tracing::debug!(%peer, "client certificate without a usable subject");
        return;
    };
    // A permit per request the connection starts (at most one is stored).
    let requests = Arc::new(Notify::new());
    let started = requests.clone();
    let svc = router.map_request(move |mut req: hyper::Request<Incoming>| {
        started.notify_one();
        req.extensions_mut()
            .insert(ClientIdentity(identity.clone()));
        req
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        () = async { let _ = stop.wait_for(|stop| *stop).await; } => {
            // A connection that has not started a request yet gets a short time to send one.
            tokio::select! {
                r = conn.as_mut() => return log_end(peer, r),
                () = requests.notified() => {}
                () = tokio::time::sleep(FIRST_REQUEST_GRACE) => {}
            }
            // Idle: closes now; a request in flight: answered, then the connection closes.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    log_end(peer, result);
}

fn log_end(peer: SocketAddr, result: hyper::Result<()>) {
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// A future that completes on SIGTERM or SIGINT. The handlers are installed when this is
/// called (inside the runtime), so a signal that arrives before serving starts is not lost and
/// does not kill the process with the default action.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        notify::notify("STOPPING=1");
    })
}
