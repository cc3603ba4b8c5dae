//! `kmsd backup --config FILE --out FILE` and `kmsd restore --config FILE --in FILE [--force]`.
//! The backup passphrase is read from stdin (asked twice on a terminal when making a backup).

use crate::backup;
use crate::cli::secret_input::read_secret_line;
use crate::config::store::Location;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::secret_file::write_secret_file;
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

fn passphrase(confirm: bool) -> Result<Zeroizing<String>> {
    let missing = || Error::Config("no backup passphrase on stdin".into());
    let first = read_secret_line("backup passphrase: ")?.ok_or_else(missing)?;
    if confirm && std::io::stdin().is_terminal() {
        let again = read_secret_line("repeat the backup passphrase: ")?.ok_or_else(missing)?;
        if *again != *first {
            return Err(Error::Config("the two passphrases differ".into()));
        }
    }
    Ok(first)
}

/// `kmsd backup`: an online copy of the store, encrypted; refuses to overwrite `out`.
pub fn run_backup(config: &Path, out: &Path) -> Result<()> {
    let cfg = Config::load(config)?;
    Location::of(&cfg.store).sqlite_file("kmsd backup")?;
    if out.exists() {
        return Err(Error::Config(format!(
            "{} already exists; refusing to overwrite it",
            out.display()
        )));
    }
    let pass = passphrase(true)?;
    let scratch = backup::scratch_dir(out)?;
    let db = backup::snapshot(&cfg.store, scratch.path())?;
    let file = backup::seal(&db, pass.as_bytes())?;
    write_secret_file(out, &file)?;
    println!(
        "backup of {} written to {} ({} bytes); keep the backup passphrase and the master key \
         source: both are needed to use it",
        cfg.store.display(),
        out.display(),
        file.len()
    );
    Ok(())
}

/// `kmsd restore`: checks the backup (passphrase, integrity, a sound store inside), then puts it
/// in place of the store; an existing store is replaced only with `force` (stop kmsd first).
pub fn run_restore(config: &Path, input: &Path, force: bool) -> Result<()> {
    let cfg = Config::load(config)?;
    Location::of(&cfg.store).sqlite_file("kmsd restore")?;
    let file =
        std::fs::read(input).map_err(|e| Error::io(format!("reading {}", input.display()), e))?;
    let pass = passphrase(false)?;
    let db = backup::open(&file, pass.as_bytes())?;
    let scratch = backup::scratch_dir(&cfg.store)?;
    let image = scratch.path().join("restored.db");
    write_secret_file(&image, &db)?;
    backup::check_store_image(&image)?;
    if cfg.store.exists() && !force {
        return Err(Error::Config(format!(
            "store {} exists; stop kmsd and pass --force to replace it with the backup",
            cfg.store.display()
        )));
    }
    for suffix in ["-wal", "-shm"] {
        let mut side = cfg.store.as_os_str().to_owned();
        side.push(suffix);
        let side = std::path::PathBuf::from(side);
        if side.exists() {
            std::fs::remove_file(&side)
                .map_err(|e| Error::io(format!("removing {}", side.display()), e))?;
        }
    }
    std::fs::rename(&image, &cfg.store)
        .map_err(|e| Error::io(format!("replacing {}", cfg.store.display()), e))?;
    println!(
        "store {} restored from {}",
        cfg.store.display(),
        input.display()
    );
    // The audit chain is the backup's now: records written after the backup are gone on
    // purpose, and the head follows (it would otherwise, rightly, refuse every write).
    let conn = rusqlite::Connection::open(&cfg.store)?;
    let replaced = crate::store::audit_head::reset(&conn, &cfg.store)?;
    let now = crate::store::audit_head::current(&conn)?;
    if let (Some(old), Some(new)) = (replaced, now) {
        if old.seq > new.seq {
            println!(
                "audit head moved back from seq {} to seq {}: the {} records after the backup \
                 are not in the restored store (keep the previous audit export)",
                old.seq,
                new.seq,
                old.seq - new.seq
            );
        }
    }
    Ok(())
}
