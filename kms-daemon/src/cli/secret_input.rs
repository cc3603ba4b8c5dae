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
