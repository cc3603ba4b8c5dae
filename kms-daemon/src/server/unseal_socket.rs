//! The local socket `kmsd unseal` talks to (the requests and answers are
//! [`crate::vault::unseal`]'s). It is `<store>.unseal.sock`, mode 0600, and kmsd also refuses a
//! peer whose uid is not the socket owner's (peer credentials), so only kmsd's own user (or root)
//! can unseal.

use crate::config::store::Location;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::vault::slot::VaultSlot;
use crate::vault::unseal::{Status, Unsealer, MAX_LINE};
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use zeroize::Zeroizing;

/// How long a client may take to send its line.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The unseal socket: next to the store, `<store>.unseal.sock`; with a PostgreSQL store, next to
/// the master key record, `<master_key_file>.unseal.sock`.
pub fn unseal_socket_path(cfg: &Config) -> PathBuf {
    let beside = match Location::of(&cfg.store) {
        Location::Sqlite(store) => store,
        Location::Postgres(_) => &cfg.master_key_file,
    };
    let mut name = beside.as_os_str().to_owned();
    name.push(".unseal.sock");
    PathBuf::from(name)
}

/// Binds the unseal socket at `path` (mode 0600), replacing a stale socket left by a previous
/// run but never another kind of file.
pub fn bind(path: &Path) -> Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(Error::Config(format!(
                "{} exists and is not a socket; move it away",
                path.display()
            )));
        }
        std::fs::remove_file(path)
            .map_err(|e| Error::io(format!("removing stale {}", path.display()), e))?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| Error::io(format!("binding {}", path.display()), e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("chmod {}", path.display()), e))?;
    Ok(listener)
}

/// Serves the unseal socket until `shutdown`, then removes it.
pub async fn serve(
    listener: UnixListener,
    path: PathBuf,
    unsealer: Arc<Unsealer>,
    slot: Arc<Services>,
    shutdown: impl Future<Output = ()>,
) {
    let owner = std::fs::metadata(&path).map(|m| m.uid()).ok();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, owner, unsealer.clone(), slot.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "unseal socket: accept failed"),
            },
            _ = tick.tick() => unsealer.expire(),
            () = &mut shutdown => break,
        }
    }
    let _ = std::fs::remove_file(&path);
}

async fn connection(
    stream: UnixStream,
    owner: Option<u32>,
    unsealer: Arc<Unsealer>,
    svc: Arc<Services>,
) {
    let peer = stream.peer_cred().ok().map(|c| c.uid());
    if owner.is_none() || (peer != owner && peer != Some(0)) {
        tracing::warn!(peer_uid = ?peer, "unseal socket: peer is not kmsd's user; refused");
        return;
    }
    // One short exchange; argon2 blocks anyway, so the whole of it runs on a blocking thread.
    let std_stream = stream
        .into_std()
        .and_then(|s| s.set_nonblocking(false).map(|()| s));
    let Ok(std_stream) = std_stream else {
        tracing::warn!("unseal socket: could not take the connection");
        return;
    };
    let done = tokio::task::spawn_blocking(move || exchange(std_stream, &unsealer, &svc.vault));
    if done.await.is_err() {
        tracing::error!("unseal request task failed");
    }
}

/// Reads one request line (wiped after use), answers it.
fn exchange(mut stream: std::os::unix::net::UnixStream, unsealer: &Unsealer, slot: &VaultSlot) {
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let read = stream.set_read_timeout(Some(READ_TIMEOUT)).and_then(|()| {
        BufReader::new(&mut stream)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
    });
    let answer = match read {
        Ok(_) => unsealer.submit(slot, &line),
        Err(e) => Err(Error::io("reading the unseal request", e)),
    };
    let text = match answer {
        Ok(Status::Unsealed) => "unsealed\n".to_owned(),
        Ok(Status::Sealed { have, need }) => format!("sealed {have} {need}\n"),
        Err(e) => {
            tracing::warn!(error = %e, "unseal request refused");
            format!("error {}\n", e.to_string().replace('\n', " "))
        }
    };
    let _ = stream.write_all(text.as_bytes());
}
