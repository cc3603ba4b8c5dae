//! A small metric registry: labelled counters and histograms, rendered in the Prometheus text
//! exposition format (version 0.0.4).
//!
//! Hand-rolled rather than the `prometheus-client` crate: kmsd needs two metric kinds, a fixed
//! set of families and one renderer; this file is all of it, and the label sets stay plain
//! `&str` slices checked against the family's label names.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Escapes a label value (`\`, `"`, newline), as the text format asks.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `{a="x",b="y"}` (empty when there are no labels); `extra` is appended last (`le` of a bucket).
pub(crate) fn label_text(names: &[&str], values: &[String], extra: Option<(&str, &str)>) -> String {
    let mut parts: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
        .collect();
    if let Some((n, v)) = extra {
        parts.push(format!("{n}=\"{}\"", escape(v)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a family.
pub(crate) fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Turns a label slice into the map key, checking its length against the family.
fn key(names: &[&str], values: &[&str]) -> Vec<String> {
    debug_assert_eq!(names.len(), values.len(), "label count of a metric");
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// A counter family (`…_total`).
#[derive(Debug)]
pub struct Counter {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl Counter {
    /// A family with these label names.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Counter {
            name,
            help,
            labels,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to the series with these label values (in the family's label order).
    pub fn inc(&self, values: &[&str]) {
        *self
            .values
            .lock()
            .entry(key(self.labels, values))
            .or_insert(0) += 1;
    }

    /// The value of one series (0 if it was never incremented).
    pub fn get(&self, values: &[&str]) -> u64 {
        self.values
            .lock()
            .get(&key(self.labels, values))
            .copied()
            .unwrap_or(0)
    }

    /// Appends the family in the text format.
    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        for (values, n) in self.values.lock().iter() {
            let _ = writeln!(
                out,
                "{}{} {n}",
                self.name,
                label_text(self.labels, values, None)
            );
        }
    }
}

#[derive(Debug, Clone)]
struct HistogramSeries {
    /// Per-bucket (not cumulative) counts; the last slot is `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// A histogram family (`…_seconds`).
#[derive(Debug)]
pub struct Histogram {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    values: Mutex<BTreeMap<Vec<String>, HistogramSeries>>,
}

/// Latency buckets in seconds, from 0.5 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Histogram {
    /// A family with these label names and (ascending) bucket bounds.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        Histogram {
            name,
            help,
            labels,
            buckets,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records one observation of `v` seconds.
    pub fn observe(&self, values: &[&str], v: f64) {
        let slot = self
            .buckets
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(self.buckets.len());
        let mut map = self.values.lock();
        let s = map
            .entry(key(self.labels, values))
            .or_insert_with(|| HistogramSeries {
                counts: vec![0; self.buckets.len() + 1],
                sum: 0.0,
                count: 0,
            });
        s.counts[slot] += 1;
        s.sum += v;
        s.count += 1;
    }

    /// The number of observations of one series.
    pub fn count(&self, values: &[&str]) -> u64 {
        self.values
            .lock()
            .get(&key(self.labels, values))
            .map_or(0, |s| s.count)
    }

    /// Appends the family in the text format: cumulative `_bucket` lines, `_sum`, `_count`.
    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        for (values, s) in self.values.lock().iter() {
            let mut cumulative = 0;
            let bounds = self.buckets.iter().map(|b| b.to_string());
            for (le, n) in bounds.chain(["+Inf".to_owned()]).zip(&s.counts) {
                cumulative += n;
                let labels = label_text(self.labels, values, Some(("le", &le)));
                let _ = writeln!(out, "{}_bucket{labels} {cumulative}", self.name);
            }
            let labels = label_text(self.labels, values, None);
            let _ = writeln!(out, "{}_sum{labels} {}", self.name, s.sum);
            let _ = writeln!(out, "{}_count{labels} {}", self.name, s.count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_renders_escaped_labels() {
        static C: Counter = Counter::new("t_total", "A test.", &["a", "b"]);
        C.inc(&["x", "q\"\\\n"]);
        C.inc(&["x", "q\"\\\n"]);
        assert_eq!(C.get(&["x", "q\"\\\n"]), 2);
        let mut out = String::new();
        C.render(&mut out);
        assert_eq!(
            out,
            "# HELP t_total A test.\n# TYPE t_total counter\nt_total{a=\"x\",b=\"q\\\"\\\\\\n\"} 2\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        static H: Histogram = Histogram::new("t_seconds", "A test.", &["r"], &[0.1, 1.0]);
        H.observe(&["a"], 0.0625);
        H.observe(&["a"], 0.5);
        H.observe(&["a"], 4.0);
        let mut out = String::new();
        H.render(&mut out);
        assert_eq!(
            out,
            "# HELP t_seconds A test.\n# TYPE t_seconds histogram\n\
             t_seconds_bucket{r=\"a\",le=\"0.1\"} 1\nt_seconds_bucket{r=\"a\",le=\"1\"} 2\n\
             t_seconds_bucket{r=\"a\",le=\"+Inf\"} 3\nt_seconds_sum{r=\"a\"} 4.5625\n\
             t_seconds_count{r=\"a\"} 3\n"
        );
        assert_eq!(H.count(&["a"]), 3);
    }
}
