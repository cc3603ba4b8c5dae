//! Logging to stderr through `tracing`: `[log] level` (a `tracing` filter; `RUST_LOG` wins when
//! set) and `[log] format`: `text` (tracing's human format), `json` (one object per line) or
//! `logfmt` (`key=value` pairs).
//!
//! Every line has `ts` (RFC 3339, UTC), `level`, `target`, `msg` and the event's fields. What a
//! field may hold is decided where the event is written: kmsd logs ids, routes, codes and
//! durations, never a PIN, key byte, plaintext, ciphertext or bearer token.

use crate::config::{LogConfig, LogFormat};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.level));
    // Colours only on a terminal: not in journald or a log file.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match cfg.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.event_format(Structured(LogFormat::Json)).try_init(),
        LogFormat::Logfmt => builder
            .event_format(Structured(LogFormat::Logfmt))
            .try_init(),
    };
}

/// The event formatter of the `json` and `logfmt` formats.
#[derive(Clone, Copy, Debug)]
pub struct Structured(pub LogFormat);

/// An event's fields in order, `message` renamed `msg`.
#[derive(Default)]
struct Fields(Vec<(String, serde_json::Value)>);

impl Fields {
    fn push(&mut self, field: &Field, value: serde_json::Value) {
        let name = match field.name() {
            "message" => "msg",
            n => n,
        };
        self.0.push((name.to_owned(), value));
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format!("{value:?}").into());
    }
}

/// A logfmt value: bare when it is a simple token, else quoted with `\` and `"` escaped.
fn logfmt_value(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '=' && c != '\\');
    if bare {
        s
    } else {
        serde_json::Value::String(s).to_string()
    }
}

impl Structured {
    /// One line (without the newline) for an event with these parts.
    fn line(&self, ts: &str, level: &str, target: &str, fields: Fields) -> String {
        let mut all = vec![
            ("ts".to_owned(), serde_json::Value::from(ts)),
            ("level".to_owned(), level.into()),
            ("target".to_owned(), target.into()),
        ];
        all.extend(fields.0);
        match self.0 {
            LogFormat::Logfmt => all
                .iter()
                .map(|(k, v)| format!("{k}={}", logfmt_value(v)))
                .collect::<Vec<_>>()
                .join(" "),
            _ => serde_json::Value::Object(all.into_iter().collect()).to_string(),
        }
    }
}

impl<S, N> FormatEvent<S, N> for Structured
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut ts = String::new();
        SystemTime.format_time(&mut Writer::new(&mut ts))?;
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let level = meta.level().as_str().to_ascii_lowercase();
        writeln!(writer, "{}", self.line(&ts, &level, meta.target(), fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn capture(format: LogFormat) -> String {
        let buf = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || SinkWriter(sink.clone()))
            .event_format(Structured(format))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                request_id = "ab12",
                route = "/v1/tokens/{token}/login",
                status = 401u16,
                error_code = "pin_incorrect",
                identity = %"CN=kms client",
                "request"
            );
        });
        let out = buf.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    struct SinkWriter(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for SinkWriter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_fields() {
        let line = capture(LogFormat::Json);
        assert_eq!(line.lines().count(), 1, "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "info");
        assert_eq!(v["msg"], "request");
        assert_eq!(v["status"], 401);
        assert_eq!(v["route"], "/v1/tokens/{token}/login");
        assert_eq!(v["identity"], "CN=kms client");
        assert!(v["ts"].as_str().unwrap().ends_with('Z'), "{line}");
    }

    #[test]
    fn logfmt_quotes_what_needs_it() {
        let line = capture(LogFormat::Logfmt);
        assert!(line.ends_with('\n'));
        let rest = line.split_once(' ').unwrap().1.trim_end();
        assert!(line.starts_with("ts="), "{line}");
        assert_eq!(
            rest,
            "level=info target=kms_daemon::logging::tests msg=request request_id=ab12 \
             route=/v1/tokens/{token}/login status=401 error_code=pin_incorrect \
             identity=\"CN=kms client\""
        );
    }
}
