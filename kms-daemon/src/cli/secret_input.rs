//! Reading a secret (passphrase, share) from stdin: never from the command line, never echoed
//! on a terminal, held in a wiped buffer.

use crate::error::{Error, Result};
use std::io::{BufRead, IsTerminal};
use zeroize::Zeroizing;

/// Longest secret line accepted.
const MAX_SECRET: usize = 1024;

/// Turns terminal echo on or off with `stty` (no `unsafe` termios call in kmsd).
fn echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .status();
}

/// Reads one line from stdin; `None` at end of input. On a terminal, `prompt` goes to stderr
/// and the input is not echoed.
pub fn read_secret_line(prompt: &str) -> Result<Option<Zeroizing<String>>> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("{prompt}");
        echo(false);
    }
    let mut line = Zeroizing::new(String::with_capacity(MAX_SECRET));
    let read = stdin.lock().read_line(&mut line);
    if tty {
        echo(true);
        eprintln!();
    }
    let n = read.map_err(|e| Error::io("reading stdin", e))?;
    if n == 0 {
        return Ok(None);
    }
    if line.len() > MAX_SECRET {
        return Err(Error::Config(format!(
            "input line longer than {MAX_SECRET} bytes"
        )));
    }
    let end = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(end);
    Ok(Some(line))
}

/// Where a PIN comes from on the command line (`--user-pin-from`, `--so-pin-from`): never the
/// command line itself, which every user of the machine can read in `ps` while the command runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinSource {
    /// `env:NAME`: the environment variable NAME.
    Env(String),
    /// `file:PATH`: the first line of a file that only its owner may read (mode 0600).
    File(std::path::PathBuf),
    /// `stdin`: one line of standard input (not echoed on a terminal); with two PINs from
    /// stdin, the user PIN's line comes first.
    Stdin,
}

impl std::str::FromStr for PinSource {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<PinSource, String> {
        match s.split_once(':') {
            Some(("env", name)) if !name.is_empty() => Ok(PinSource::Env(name.to_owned())),
            Some(("file", path)) if !path.is_empty() => Ok(PinSource::File(path.into())),
            None if s == "stdin" => Ok(PinSource::Stdin),
            _ => Err(format!(
                "{s:?}: a PIN source is env:NAME, file:PATH or stdin"
            )),
        }
    }
}

/// The PIN given for `what` (`user PIN`, `SO PIN`): from `source`, or from `inline` (the
/// discouraged command-line form, which gets a warning), or `None` when neither is given.
pub fn read_pin(
    what: &str,
    source: Option<&PinSource>,
    inline: Option<&str>,
) -> Result<Option<Zeroizing<String>>> {
    if let Some(pin) = inline {
        eprintln!(
            "kmsd: warning: a {what} on the command line is visible to every user of this \
             machine (ps) while kmsd runs; prefer --{}-from env:NAME, file:PATH or stdin",
            if what.starts_with("SO") {
                "so-pin"
            } else {
                "user-pin"
            }
        );
        return Ok(Some(Zeroizing::new(pin.to_owned())));
    }
    let Some(source) = source else {
        return Ok(None);
    };
    let pin = match source {
        PinSource::Env(name) => Zeroizing::new(std::env::var(name).map_err(|_| {
            Error::Config(format!(
                "{what}: the environment variable {name} is not set"
            ))
        })?),
        PinSource::File(path) => {
            crate::secret_file::check_secret_file(path)?;
            let text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?,
            );
            Zeroizing::new(text.lines().next().unwrap_or_default().to_owned())
        }
        PinSource::Stdin => read_secret_line(&format!("{what}: "))?
            .ok_or_else(|| Error::Config(format!("{what}: no line on standard input")))?,
    };
    Ok(Some(pin))
}
