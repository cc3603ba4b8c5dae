//! Files that hold secrets (master key, private keys, the master key record): created owner-only,
//! refused when group or others can read them.

use crate::error::{Error, Result};
use std::path::Path;

/// Refuses a secret file (master key, private key) that group or others may read.
pub fn check_secret_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta =
        std::fs::metadata(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(Error::Config(format!(
            "{} is accessible by group or others (mode {:o}); fix with: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

/// Writes `data` to a new file with mode 0600; refuses to overwrite.
pub fn write_secret_file(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mk");
        write_secret_file(&p, b"x").unwrap();
        check_secret_file(&p).unwrap();
        assert!(write_secret_file(&p, b"y").is_err(), "must not overwrite");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let msg = check_secret_file(&p).unwrap_err().to_string();
        assert!(msg.contains("chmod 600"), "{msg}");
    }
}
