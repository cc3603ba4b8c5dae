//! The KMIP listener (`[kmip]`): binary TTLV over mutual TLS (1.2 and 1.3, the `[tls]`
//! certificate and client CA, the same client-certificate rules as `/v1`), each connection on a
//! thread of its own, its messages handed to the KMIP front end ([`crate::kmip`]).
//!
//! Bounds, as on `/v1`: at most `[limits] max_connections` KMIP connections at once (more wait
//! in the listen backlog); a TLS handshake within 10 s; each whole request message within
//! `request_header_timeout_secs` of the previous answer (or of the handshake), else the
//! connection is closed; a message of at most `[kmip] max_message_bytes`, its length checked
//! from its 8-byte header before anything is read or allocated; requests in flight counted
//! against `max_inflight_per_identity`. A message whose header is not a KMIP structure within the
//! bound, or whose Request Header does not decode, closes the connection; any other malformed
//! message is answered (the front end).

use super::tls::TlsState;
use crate::auth::identity::identity_of;
use crate::config::KmipConfig;
use crate::error::Result;
use crate::kmip::Session;
use crate::state::Services;
use kms_kmip::ttlv::{read_frame, FrameError};
use rustls::{ServerConnection, StreamOwned};
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::signal::unix::Signal;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What every KMIP connection shares.
#[derive(Clone, Debug)]
pub struct Shared {
    /// The services requests reach.
    pub services: Arc<Services>,
    /// `[kmip]`.
    pub config: KmipConfig,
    /// Time for a whole request message (`request_header_timeout_secs`).
    pub message_timeout: Duration,
}

/// Serves KMIP on `listener` until `shutdown` completes; SIGHUP (`reload`) re-reads the TLS
/// files. Connections already open are served until their client closes them or times out.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<TlsState>,
    shared: Shared,
    max_connections: usize,
    mut reload: Signal,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let slots = Arc::new(Semaphore::new(max_connections));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        tokio::select! {
            accepted = listener.accept() => match accepted.and_then(|(tcp, peer)| Ok((tcp.into_std()?, peer))) {
                Ok((tcp, peer)) => spawn(tcp, peer, tls.current(), shared.clone(), slot),
                Err(e) => {
                    tracing::warn!(error = %e, "KMIP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(()) = reload.recv() => match tls.reload() {
                Ok(()) => tracing::info!("KMIP listener: TLS files reloaded"),
                Err(problems) => for p in problems {
                    tracing::error!(problem = %p.what, "KMIP TLS reload refused; the previous certificate stays in use");
                },
            },
            () = &mut shutdown => break,
        }
    }
    Ok(())
}

fn spawn(
    tcp: TcpStream,
    peer: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    shared: Shared,
    slot: OwnedSemaphorePermit,
) {
    let spawned = std::thread::Builder::new()
        .name("kmsd-kmip".into())
        .spawn(move || {
            let _slot = slot;
            if let Err(e) = connection(tcp, config, &shared) {
                tracing::debug!(%peer, error = %e, "KMIP connection ended");
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(%peer, error = %e, "no thread for a KMIP connection; closed");
    }
}

/// A reader that gives up at a deadline (the socket's read timeout set to what is left of it).
struct Deadline<'a> {
    stream: &'a mut StreamOwned<ServerConnection, TcpStream>,
    until: Instant,
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.sock.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

fn connection(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    shared: &Shared,
) -> io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    tcp.set_write_timeout(Some(HANDSHAKE_TIMEOUT))?;
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            crate::metrics::TLS_HANDSHAKE_FAILURES.inc(&[]);
            return Err(e);
        }
    }
    let identity = stream
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| identity_of(c.as_ref()))
        .ok_or_else(|| io::Error::other("client certificate without a usable subject"))?;
    stream
        .sock
        .set_write_timeout(Some(shared.message_timeout))?;
    let svc = &shared.services;
    let mut session = Session::new(identity, &shared.config);
    let result = serve_messages(&mut stream, &mut session, shared);
    session.end(svc);
    stream.conn.send_close_notify();
    let _ = stream.flush();
    result
}

fn serve_messages(
    stream: &mut StreamOwned<ServerConnection, TcpStream>,
    session: &mut Session,
    shared: &Shared,
) -> io::Result<()> {
    let svc = &shared.services;
    loop {
        let limits = *session.limits();
        let mut reader = Deadline {
            stream,
            until: Instant::now() + shared.message_timeout,
        };
        let message = match read_frame(&mut reader, &limits) {
            Ok(Some(message)) => message,
            Ok(None) => return Ok(()),
            Err(FrameError::Io(e)) => return Err(e),
            Err(FrameError::Invalid(e)) => {
                tracing::debug!(error = %e, "KMIP message header refused; closing");
                return Ok(());
            }
        };
        let answer = {
            let permit = svc.limits.admit(session.identity());
            session.handle(svc, &message, permit.is_some())
        };
        let Some(answer) = answer else {
            tracing::debug!("KMIP request header did not decode; closing");
            return Ok(());
        };
        stream.write_all(&answer)?;
        stream.flush()?;
    }
}
