//! `kmsd docs --man DIR --completions DIR`: the manual pages and shell completions, made from the
//! command-line definitions themselves (clap_mangen, clap_complete), so that they cannot drift
//! from what kmsd accepts. `kmsd.1` and `kmsd-<subcommand>.1` (`kmsd-key-destroy.1` …) go to the
//! man directory; `kmsd.bash` and `_kmsd` to the completions directory.

use super::Cli;
use crate::error::{Error, Result};
use clap::CommandFactory;
use std::path::{Path, PathBuf};

/// Where to write.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the manual pages (section 1).
    #[arg(long)]
    pub man: PathBuf,
    /// Directory for the bash (`kmsd.bash`) and zsh (`_kmsd`) completions.
    #[arg(long)]
    pub completions: PathBuf,
}

/// The subcommand.
pub fn run(args: &Args) -> Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    for dir in [&args.man, &args.completions] {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    write_pages(&cmd, "kmsd", &args.man)?;
    for (shell, file) in [
        (clap_complete::Shell::Bash, "kmsd.bash"),
        (clap_complete::Shell::Zsh, "_kmsd"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "kmsd", &mut out);
        write(&args.completions.join(file), &out)?;
    }
    Ok(())
}

/// The page of `cmd` (named `name`), then those of its visible subcommands.
fn write_pages(cmd: &clap::Command, name: &str, dir: &Path) -> Result<()> {
    let page = cmd.clone().name(name.to_owned());
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| Error::io(format!("rendering {name}.1"), e))?;
    write(&dir.join(format!("{name}.1")), &out)?;
    let pages = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help");
    for sub in pages {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
