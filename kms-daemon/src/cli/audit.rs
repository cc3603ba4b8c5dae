//! `kmsd audit verify|export`: recomputes the hash chain; writes records as JSON lines.

use crate::audit::verify::{verify_store, HeadRule};
use crate::audit::{self, Filter, Verdict};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::dates::{parse_time, rfc3339};
use crate::store::Store;
use clap::Subcommand;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain; exit 1 naming the first bad record. On a SQLite store the head file
    /// must be there (it reveals a cut tail).
    Verify {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// The head file is known to be lost: check the chain alone (a cut tail goes unseen).
        #[arg(long)]
        without_head: bool,
    },
    /// Write records as JSON lines (one object per line, oldest first), for a SIEM.
    Export {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Only records about this object id.
        #[arg(long)]
        key: Option<String>,
        /// Only records by this actor (client certificate subject, `local-admin`, `kmsd`).
        #[arg(long)]
        principal: Option<String>,
        /// Only records of this token.
        #[arg(long)]
        token: Option<String>,
        /// From this time on: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or ms since the epoch.
        #[arg(long)]
        since: Option<String>,
        /// Before this time (same forms).
        #[arg(long)]
        until: Option<String>,
    },
}

/// One exported record: who, what, when, how it ended, and its place in the chain.
#[derive(Debug, Serialize)]
struct Line<'a> {
    seq: i64,
    time: String,
    ts_ms: i64,
    request_id: &'a str,
    actor: &'a str,
    token: Option<&'a str>,
    action: &'a str,
    object_id: Option<&'a str>,
    mechanism: Option<&'a str>,
    outcome: &'a str,
    detail: Option<&'a str>,
    hash: String,
}

fn time_arg(v: &Option<String>, what: &str) -> Result<Option<i64>> {
    v.as_deref()
        .map(|s| {
            parse_time(s).ok_or_else(|| Error::BadRequest(format!("{what}: cannot read {s:?}")))
        })
        .transpose()
}

fn export(config: &Path, filter: &Filter, out: &mut impl Write) -> Result<usize> {
    let store = Store::open(&Config::load(config)?.store)?;
    let records = store.read(|c| audit::records_matching(c, filter))?;
    for r in &records {
        let e = &r.event;
        let line = Line {
            seq: r.seq,
            time: rfc3339(r.ts_ms),
            ts_ms: r.ts_ms,
            request_id: &e.request_id,
            actor: &e.actor,
            token: e.token.as_deref(),
            action: &e.action,
            object_id: e.object_id.as_deref(),
            mechanism: e.mechanism.as_deref(),
            outcome: &e.outcome,
            detail: e.detail.as_deref(),
            hash: hex::encode(&r.hash),
        };
        let text = serde_json::to_string(&line)
            .map_err(|e| Error::Internal(format!("encoding a record: {e}")))?;
        writeln!(out, "{text}").map_err(|e| Error::io("stdout", e))?;
    }
    Ok(records.len())
}

/// Runs an audit subcommand: 0 when the chain is intact (or the export is written), 1 when
/// broken or unreadable.
pub fn run(cmd: &AuditCommand) -> ExitCode {
    let exported = match cmd {
        AuditCommand::Verify {
            config,
            without_head,
        } => {
            let rule = match without_head {
                true => HeadRule::Optional,
                false => HeadRule::Required,
            };
            return run_verify(config, rule);
        }
        AuditCommand::Export {
            config,
            key,
            principal,
            token,
            since,
            until,
        } => time_arg(since, "--since").and_then(|since| {
            let filter = Filter {
                object_id: key.clone(),
                actor: principal.clone(),
                token: token.clone(),
                since,
                until: time_arg(until, "--until")?,
            };
            export(config, &filter, &mut std::io::stdout().lock())
        }),
    };
    match exported {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kmsd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_verify(config: &Path, rule: HeadRule) -> ExitCode {
    match Config::load(config).and_then(|c| verify_store(&c.store, rule)) {
        Ok((Verdict::Ok { records }, head)) => {
            println!("audit chain OK: {records} records");
            if let Some(h) = head {
                println!("audit head: seq={} hash={}", h.seq, hex::encode(&h.hash));
            }
            ExitCode::SUCCESS
        }
        Ok((Verdict::Broken { seq, reason }, _)) => {
            println!("audit chain BROKEN at record seq={seq}: {reason}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("kmsd: {e}");
            ExitCode::FAILURE
        }
    }
}
