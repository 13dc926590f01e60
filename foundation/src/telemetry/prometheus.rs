//! Prometheus text exposition (format 0.0.4) of a metrics snapshot.

use super::MetricsSnapshot;
use std::fmt::Write;

/// Maps a metric name to Prometheus' alphabet: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn help(out: &mut String, s: &MetricsSnapshot, name: &str, prom: &str, kind: &str) {
    if let Some(d) = s.descriptions.get(name) {
        let _ = writeln!(
            out,
            "# HELP {prom} {}",
            d.replace('\\', "\\\\").replace('\n', "\\n")
        );
    }
    let _ = writeln!(out, "# TYPE {prom} {kind}");
}

/// Renders the snapshot; histograms are exposed as summaries with 0.5/0.9/0.99 quantiles.
pub(crate) fn render(s: &MetricsSnapshot) -> String {
    let mut out = String::new();
    if !s.events.is_empty() {
        out.push_str("# HELP telemetry_events_total Executions per telemetry event.\n");
        out.push_str("# TYPE telemetry_events_total counter\n");
        for (event, n) in &s.events {
            let _ = writeln!(
                out,
                "telemetry_events_total{{event=\"{}\"}} {n}",
                escape_label(event)
            );
        }
    }
    for (name, v) in &s.counters {
        let prom = sanitize(name);
        help(&mut out, s, name, &prom, "counter");
        let _ = writeln!(out, "{prom} {v}");
    }
    for (name, v) in s.sums.iter().chain(s.gauges.iter()) {
        let prom = sanitize(name);
        help(&mut out, s, name, &prom, "gauge");
        let _ = writeln!(out, "{prom} {v}");
    }
    for (name, h) in &s.histograms {
        let prom = sanitize(name);
        help(&mut out, s, name, &prom, "summary");
        for (q, v) in [("0.5", h.p50), ("0.9", h.p90), ("0.99", h.p99)] {
            let _ = writeln!(out, "{prom}{{quantile=\"{q}\"}} {v}");
        }
        let _ = writeln!(out, "{prom}_sum {}", h.sum);
        let _ = writeln!(out, "{prom}_count {}", h.count);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{MetricDef, Telemetry};

    #[test]
    fn exposition_has_types_values_and_quantiles() {
        let t = Telemetry::new();
        t.define(MetricDef::counter("http.requests", "http.request").describe("Requests served."))
            .expect("define");
        t.define(MetricDef::distribution(
            "http.latency",
            "http.request",
            "us",
        ))
        .expect("define");
        t.execute("http.request", &[("us", 120.0)], &[]);
        t.execute("weird\"name", &[], &[]);
        let text = t.prometheus();
        assert!(text.contains("# HELP http_requests Requests served.\n# TYPE http_requests counter\nhttp_requests 1\n"), "{text}");
        assert!(
            text.contains("http_latency{quantile=\"0.99\"} 120\n"),
            "{text}"
        );
        assert!(text.contains("http_latency_count 1\n"), "{text}");
        assert!(
            text.contains("telemetry_events_total{event=\"weird\\\"name\"} 1\n"),
            "{text}"
        );
        assert_eq!(super::sanitize("9a.b-c"), "_9a_b_c");
    }
}
