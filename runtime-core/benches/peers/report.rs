//! Markdown tables: medians per implementation, ratios to the baseline and to each peer, and
//! the p50/p99 detail.

use crate::alloc::HeapMark;
use crate::stats::{fmt_ns, Samples};
use crate::Imp;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything measured for one scenario on one runtime flavour.
pub struct Row {
    pub scenario: String,
    pub flavor: &'static str,
    pub per_imp: BTreeMap<Imp, Agg>,
}

/// One implementation's rounds.
#[derive(Default)]
pub struct Agg {
    /// One value per round (whole operation, or mean per operation).
    pub rounds: Samples,
    /// Individually timed operations across all rounds.
    pub per_op: Samples,
    pub notes: Vec<String>,
    pub headline_per_op: bool,
}

impl Agg {
    pub fn median(&self) -> f64 {
        if self.headline_per_op {
            self.per_op.median()
        } else {
            self.rounds.median()
        }
    }

    /// Percentiles over single operations when timed one by one, else over rounds.
    fn spread(&self) -> &Samples {
        if self.per_op.is_empty() {
            &self.rounds
        } else {
            &self.per_op
        }
    }
}

pub fn memory_note(before: isize, after: isize) -> String {
    format!(
        "live heap {:+} B (before {} B, after {} B)",
        after - before,
        before,
        after
    )
}

pub fn heap_per_item(before: HeapMark, after: HeapMark, n: usize) -> String {
    let n = n.max(1) as f64;
    format!(
        "{} B heap in {:.1} blocks per service",
        ((after.bytes - before.bytes) as f64 / n).round(),
        (after.blocks - before.blocks) as f64 / n
    )
}

/// How long an ordered shutdown took beyond the one stubborn child's timeout: the cost of
/// stopping everything else in order and of the kill.
pub fn beyond_timeout(ns: f64, timeout: std::time::Duration) -> String {
    format!(
        "{:.2} ms beyond the {} ms timeout",
        (ns - timeout.as_nanos() as f64) / 1e6,
        timeout.as_millis()
    )
}

fn ratio(ours: f64, other: Option<&Agg>) -> String {
    match other {
        Some(agg) if agg.median() > 0.0 && ours.is_finite() => {
            format!("{:.2}×", ours / agg.median())
        }
        _ => "n/a".to_string(),
    }
}

pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scenario | runtime | ours | raw tokio | ractor | kameo | ours ÷ raw | ours ÷ ractor | ours ÷ kameo |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let cell = |imp: Imp| {
            row.per_imp
                .get(&imp)
                .map(|a| fmt_ns(a.median()))
                .unwrap_or_else(|| "n/a".to_string())
        };
        let ours = row
            .per_imp
            .get(&Imp::Ours)
            .map(|a| a.median())
            .unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.scenario,
            row.flavor,
            cell(Imp::Ours),
            cell(Imp::Raw),
            cell(Imp::Ractor),
            cell(Imp::Kameo),
            ratio(ours, row.per_imp.get(&Imp::Raw)),
            ratio(ours, row.per_imp.get(&Imp::Ractor)),
            ratio(ours, row.per_imp.get(&Imp::Kameo)),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| scenario | runtime | impl | median | p50 | p99 | samples | checks |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for row in rows {
        for (imp, agg) in &row.per_imp {
            let spread = agg.spread();
            let mut notes = agg.notes.clone();
            notes.sort();
            notes.dedup();
            if notes.len() > 3 {
                let more = notes.len() - 3;
                notes.truncate(3);
                notes.push(format!("… {more} more"));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                row.scenario,
                row.flavor,
                imp.label(),
                fmt_ns(agg.median()),
                fmt_ns(spread.percentile(50.0)),
                fmt_ns(spread.percentile(99.0)),
                spread.len(),
                notes.join("; "),
            );
        }
    }
    out
}
