//! `kmsd unseal --config FILE`: gives a running, sealed kmsd its passphrase or shares over the
//! local unseal socket (`crate::vault::unseal`). Secrets are read from stdin (not echoed on a
//! terminal), never from the command line.

use crate::cli::secret_input::read_secret_line;
use crate::config::{Config, MasterKeySource};
use crate::error::{Error, Result};
use crate::state::Services;
use crate::vault::source::Record;
use crate::vault::unseal::Unsealer;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use zeroize::Zeroizing;

/// What the daemon answered.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Unsealed,
    Sealed { have: usize, need: usize },
}

/// The request line `VERB[ SECRET]\n`, in a wiped buffer.
fn request_line(verb: &str, secret: Option<&str>) -> Zeroizing<Vec<u8>> {
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    line.extend_from_slice(verb.as_bytes());
    if let Some(s) = secret {
        line.push(b' ');
        line.extend_from_slice(s.as_bytes());
    }
    line.push(b'\n');
    line
}

/// Sends one request line (`verb` and an optional secret) and reads the answer.
fn exchange(socket: &Path, verb: &str, secret: Option<&str>) -> Result<Answer> {
    let mut stream = UnixStream::connect(socket).map_err(|e| {
        Error::io(
            format!(
                "connecting to {} (is kmsd serving, and are you its user?)",
                socket.display()
            ),
            e,
        )
    })?;
    let line = request_line(verb, secret);
    stream
        .write_all(&line)
        .and_then(|()| stream.shutdown(std::net::Shutdown::Write))
        .map_err(|e| Error::io("sending to the unseal socket", e))?;
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the unseal answer", e))?;
    parse_answer(answer.trim_end())
}

fn parse_answer(text: &str) -> Result<Answer> {
    let mut words = text.split(' ');
    match (words.next(), words.next(), words.next()) {
        (Some("unsealed"), None, None) => Ok(Answer::Unsealed),
        (Some("sealed"), Some(have), Some(need)) => match (have.parse(), need.parse()) {
            (Ok(have), Ok(need)) => Ok(Answer::Sealed { have, need }),
            _ => Err(Error::Internal(format!("unexpected answer {text:?}"))),
        },
        (Some("error"), _, _) => Err(Error::Config(
            text.strip_prefix("error ").unwrap_or_default().to_owned(),
        )),
        _ => Err(Error::Internal(format!(
            "unexpected answer from kmsd: {text:?}"
        ))),
    }
}

fn require(secret: Option<Zeroizing<String>>, what: &str) -> Result<Zeroizing<String>> {
    secret.ok_or_else(|| Error::Config(format!("no {what} on stdin")))
}

/// Gives shares one at a time until kmsd is unsealed. On a terminal a refused share is reported
/// and another asked for; from a pipe the first refusal ends the command (failure).
fn give_shares(socket: &Path, mut have: usize, need: usize) -> Result<()> {
    let interactive = std::io::stdin().is_terminal();
    loop {
        let prompt = format!("share {} of {need}: ", have + 1);
        let Some(share) = read_secret_line(&prompt)? else {
            return Err(Error::Config(format!(
                "stdin ended with {have} of {need} shares given; kmsd keeps them until \
                 [master_key] unseal_timeout_secs passes"
            )));
        };
        match exchange(socket, "share", Some(&share)) {
            Ok(Answer::Unsealed) => return Ok(()),
            Ok(Answer::Sealed { have: h, need: n }) => {
                eprintln!("share accepted ({h} of {n})");
                have = h;
            }
            Err(e) if interactive => {
                eprintln!("kmsd: {e}");
                if let Answer::Sealed { have: h, .. } = exchange(socket, "status", None)? {
                    have = h;
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The services of `cfg` for an administration command that reseals keys: with a passphrase or
/// shares source, the passphrase or enough shares are read from stdin and checked exactly as the
/// unseal socket checks them (no daemon involved).
pub fn open_services_unsealed(cfg: &Config) -> Result<Services> {
    let services = Services::open(cfg)?;
    if !services.vault.is_sealed() {
        return Ok(services);
    }
    let record = crate::vault::slot::load_record(cfg)?;
    let (verb, what) = match record {
        Record::Passphrase { .. } => ("passphrase", "master key passphrase"),
        Record::Shares { .. } => ("share", "master key share"),
    };
    let unsealer = Unsealer::new(record, std::time::Duration::from_secs(u64::MAX / 4));
    while services.vault.is_sealed() {
        let secret = require(read_secret_line(&format!("{what}: "))?, what)?;
        unsealer.submit(&services.vault, &request_line(verb, Some(&secret)))?;
    }
    Ok(services)
}

/// The subcommand.
pub fn run(config: &Path) -> Result<()> {
    let cfg = Config::load(config)?;
    if cfg.master_key.source == MasterKeySource::File {
        return Err(Error::Config(
            "[master_key] source is \"file\": kmsd starts unsealed, there is nothing to unseal"
                .into(),
        ));
    }
    let record = crate::vault::slot::load_record(&cfg)?;
    let socket = crate::server::unseal_socket::unseal_socket_path(&cfg);
    let (have, need) = match exchange(&socket, "status", None)? {
        Answer::Unsealed => {
            println!("kmsd is already unsealed");
            return Ok(());
        }
        Answer::Sealed { have, need } => (have, need),
    };
    match record {
        Record::Passphrase { .. } => {
            let pass = require(read_secret_line("master key passphrase: ")?, "passphrase")?;
            exchange(&socket, "passphrase", Some(&pass))?;
        }
        Record::Shares { .. } => give_shares(&socket, have, need)?,
    }
    println!("kmsd unsealed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer("unsealed").unwrap(), Answer::Unsealed);
        assert_eq!(
            parse_answer("sealed 1 2").unwrap(),
            Answer::Sealed { have: 1, need: 2 }
        );
        let e = parse_answer("error bad request: wrong passphrase").unwrap_err();
        assert!(e.to_string().contains("wrong passphrase"), "{e}");
        assert!(parse_answer("sealed x 2").is_err());
        assert!(parse_answer("").is_err());
    }
}
