//! Telemetry in the style of Erlang's `:telemetry` plus `Telemetry.Metrics`: `execute` an event
//! with measurements and metadata; attached handlers see it, and metric definitions aggregate
//! it into counters, sums, gauges (last value) and HDR histograms. Snapshots and Prometheus
//! text exposition read the aggregates.
//!
//! The hot path takes no message round trip: `execute` finds the event's hooks under a read
//! lock and updates atomics (and a per-thread histogram shard), so it costs tens of
//! nanoseconds when nothing heavy is attached.

mod histogram;
mod prometheus;

pub use histogram::{HistogramSummary, ShardedHistogram};

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Metadata passed with an event: key/value pairs.
pub type Metadata<'a> = &'a [(&'a str, &'a str)];

/// A handler attached to an event: `(event, measurements, metadata)`.
pub type Handler = Arc<dyn Fn(&str, &[(&str, f64)], Metadata<'_>) + Send + Sync>;

/// Telemetry errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelemetryError {
    /// A handler with this id is already attached.
    #[error("a handler with id `{0}` is already attached")]
    DuplicateHandler(String),
    /// A metric of this name exists with another kind.
    #[error("metric `{name}` already exists as a {existing}")]
    KindConflict {
        /// Metric name.
        name: String,
        /// Its existing kind.
        existing: &'static str,
    },
    /// Metric and event names must be non-empty and at most 200 bytes.
    #[error("invalid name `{0}`")]
    InvalidName(String),
    /// The telemetry service is unavailable.
    #[error("telemetry service unavailable: {0}")]
    Unavailable(String),
}

/// A float stored in an atomic (its bits).
#[derive(Debug, Default)]
struct AtomicF64(AtomicU64);

impl AtomicF64 {
    fn load(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
    fn store(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    fn add(&self, v: f64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((f64::from_bits(b) + v).to_bits())
            });
    }
}

/// A monotonically increasing count.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);
impl Counter {
    /// Adds `n`.
    #[inline]
    pub fn increment(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicF64>);
impl Gauge {
    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.0.store(v);
    }
    /// Adds to the value (negative to subtract).
    #[inline]
    pub fn add(&self, v: f64) {
        self.0.add(v);
    }
    /// Current value.
    pub fn get(&self) -> f64 {
        self.0.load()
    }
}

/// A distribution of non-negative integer values (e.g. durations in µs).
#[derive(Debug, Clone, Default)]
pub struct Histogram(Arc<ShardedHistogram>);
impl Histogram {
    /// Records a value.
    #[inline]
    pub fn record(&self, v: u64) {
        self.0.record(v);
    }
    /// Percentiles so far.
    pub fn summary(&self) -> HistogramSummary {
        self.0.summary()
    }
}

/// How a metric aggregates an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Counts executions of the event.
    Counter,
    /// Sums a measurement.
    Sum,
    /// Keeps the last value of a measurement (a gauge).
    LastValue,
    /// Records a measurement in a histogram (rounded to an integer, negatives as 0).
    Distribution,
}

/// A metric fed by an event, like `Telemetry.Metrics` definitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDef {
    /// Metric name, e.g. `db.query.duration`.
    pub name: String,
    /// Event that feeds it, e.g. `db.query`.
    pub event: String,
    /// Measurement read from the event (ignored by counters).
    pub measurement: Option<String>,
    /// Aggregation.
    pub kind: MetricKind,
    /// Help text for exposition.
    pub description: String,
}

impl MetricDef {
    fn new(kind: MetricKind, name: &str, event: &str, measurement: Option<&str>) -> Self {
        MetricDef {
            name: name.into(),
            event: event.into(),
            measurement: measurement.map(Into::into),
            kind,
            description: String::new(),
        }
    }
    /// Counts executions of `event`.
    pub fn counter(name: &str, event: &str) -> Self {
        Self::new(MetricKind::Counter, name, event, None)
    }
    /// Sums `measurement` of `event`.
    pub fn sum(name: &str, event: &str, measurement: &str) -> Self {
        Self::new(MetricKind::Sum, name, event, Some(measurement))
    }
    /// Last value of `measurement` of `event`.
    pub fn last_value(name: &str, event: &str, measurement: &str) -> Self {
        Self::new(MetricKind::LastValue, name, event, Some(measurement))
    }
    /// Histogram of `measurement` of `event`.
    pub fn distribution(name: &str, event: &str, measurement: &str) -> Self {
        Self::new(MetricKind::Distribution, name, event, Some(measurement))
    }
    /// Sets the help text.
    pub fn describe(mut self, text: &str) -> Self {
        self.description = text.into();
        self
    }
}

#[derive(Debug, Clone)]
enum Instrument {
    Counter(Counter),
    Sum(Gauge),
    Gauge(Gauge),
    Histogram(Histogram),
}

impl Instrument {
    fn kind_name(&self) -> &'static str {
        match self {
            Instrument::Counter(_) => "counter",
            Instrument::Sum(_) => "sum",
            Instrument::Gauge(_) => "gauge",
            Instrument::Histogram(_) => "histogram",
        }
    }
}

struct Binding {
    measurement: Option<String>,
    instrument: Instrument,
}

#[derive(Default)]
struct Hooks {
    bindings: Vec<Binding>,
    handlers: Vec<(String, Handler)>,
}

#[derive(Default)]
struct EventEntry {
    executions: AtomicU64,
    hooks: RwLock<Hooks>,
}

struct NamedInstrument {
    instrument: Instrument,
    description: String,
}

#[derive(Default)]
struct Registry {
    events: RwLock<HashMap<Box<str>, Arc<EventEntry>>>,
    instruments: RwLock<BTreeMap<String, NamedInstrument>>,
    definitions: RwLock<Vec<MetricDef>>,
}

/// The telemetry registry. Cheap to clone; clones share all state.
#[derive(Clone, Default)]
pub struct Telemetry {
    inner: Arc<Registry>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

fn check_name(name: &str) -> Result<(), TelemetryError> {
    if name.is_empty() || name.len() > 200 {
        return Err(TelemetryError::InvalidName(name.to_string()));
    }
    Ok(())
}

/// Everything telemetry has aggregated, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MetricsSnapshot {
    /// Executions per event name.
    pub events: BTreeMap<String, u64>,
    /// Counters.
    pub counters: BTreeMap<String, u64>,
    /// Sums.
    pub sums: BTreeMap<String, f64>,
    /// Gauges (last values).
    pub gauges: BTreeMap<String, f64>,
    /// Histograms.
    pub histograms: BTreeMap<String, HistogramSummary>,
    /// Help texts by metric name.
    pub descriptions: BTreeMap<String, String>,
}

impl Telemetry {
    /// An empty registry.
    pub fn new() -> Self {
        Telemetry::default()
    }

    fn entry(&self, event: &str) -> Arc<EventEntry> {
        if let Some(e) = self.inner.events.read().get(event) {
            return e.clone();
        }
        self.inner
            .events
            .write()
            .entry(event.into())
            .or_default()
            .clone()
    }

    /// Emits an event: counts it, feeds the metrics defined on it, and calls attached handlers.
    /// A handler that panics is detached (as `:telemetry` does) and the panic goes no further.
    #[inline]
    pub fn execute(&self, event: &str, measurements: &[(&str, f64)], metadata: Metadata<'_>) {
        let entry = {
            let events = self.inner.events.read();
            match events.get(event) {
                Some(e) => {
                    e.executions.fetch_add(1, Ordering::Relaxed);
                    let hooks = e.hooks.read();
                    if hooks.bindings.is_empty() && hooks.handlers.is_empty() {
                        return;
                    }
                    e.clone()
                }
                None => {
                    drop(events);
                    let e = self.entry(event);
                    e.executions.fetch_add(1, Ordering::Relaxed);
                    e
                }
            }
        };
        let mut failed: Vec<String> = Vec::new();
        {
            let hooks = entry.hooks.read();
            for b in &hooks.bindings {
                let value = match &b.measurement {
                    None => None,
                    Some(m) => match measurements.iter().find(|(k, _)| k == m) {
                        Some((_, v)) => Some(*v),
                        None => continue,
                    },
                };
                match (&b.instrument, value) {
                    (Instrument::Counter(c), _) => c.increment(1),
                    (Instrument::Sum(g), Some(v)) => g.add(v),
                    (Instrument::Gauge(g), Some(v)) => g.set(v),
                    (Instrument::Histogram(h), Some(v)) => {
                        h.record(if v > 0.0 { v.round() as u64 } else { 0 })
                    }
                    _ => {}
                }
            }
            for (id, h) in &hooks.handlers {
                let call = std::panic::AssertUnwindSafe(|| h(event, measurements, metadata));
                if std::panic::catch_unwind(call).is_err() {
                    tracing::warn!(handler = %id, event, "telemetry handler panicked; detaching it");
                    failed.push(id.clone());
                }
            }
        }
        for id in failed {
            self.detach(&id);
        }
    }

    /// Attaches a handler to `event` under a unique `id`.
    pub fn attach(&self, id: &str, event: &str, handler: Handler) -> Result<(), TelemetryError> {
        check_name(id)?;
        check_name(event)?;
        let events = self.inner.events.read();
        let duplicate = events
            .values()
            .any(|e| e.hooks.read().handlers.iter().any(|(h, _)| h == id));
        drop(events);
        if duplicate {
            return Err(TelemetryError::DuplicateHandler(id.to_string()));
        }
        self.entry(event)
            .hooks
            .write()
            .handlers
            .push((id.to_string(), handler));
        Ok(())
    }

    /// Detaches the handler `id`; returns whether one was attached.
    pub fn detach(&self, id: &str) -> bool {
        let mut found = false;
        for e in self.inner.events.read().values() {
            let mut hooks = e.hooks.write();
            let before = hooks.handlers.len();
            hooks.handlers.retain(|(h, _)| h != id);
            found |= hooks.handlers.len() != before;
        }
        found
    }

    fn instrument(
        &self,
        name: &str,
        make: impl FnOnce() -> Instrument,
        description: &str,
    ) -> Result<Instrument, TelemetryError> {
        check_name(name)?;
        let mut all = self.inner.instruments.write();
        let fresh = make();
        if let Some(existing) = all.get(name) {
            if existing.instrument.kind_name() != fresh.kind_name() {
                return Err(TelemetryError::KindConflict {
                    name: name.to_string(),
                    existing: existing.instrument.kind_name(),
                });
            }
            return Ok(existing.instrument.clone());
        }
        all.insert(
            name.to_string(),
            NamedInstrument {
                instrument: fresh.clone(),
                description: description.to_string(),
            },
        );
        Ok(fresh)
    }

    /// Defines a metric fed by an event.
    pub fn define(&self, def: MetricDef) -> Result<(), TelemetryError> {
        check_name(&def.event)?;
        let instrument = match def.kind {
            MetricKind::Counter => self.instrument(
                &def.name,
                || Instrument::Counter(Counter::default()),
                &def.description,
            )?,
            MetricKind::Sum => self.instrument(
                &def.name,
                || Instrument::Sum(Gauge::default()),
                &def.description,
            )?,
            MetricKind::LastValue => self.instrument(
                &def.name,
                || Instrument::Gauge(Gauge::default()),
                &def.description,
            )?,
            MetricKind::Distribution => self.instrument(
                &def.name,
                || Instrument::Histogram(Histogram::default()),
                &def.description,
            )?,
        };
        self.entry(&def.event).hooks.write().bindings.push(Binding {
            measurement: def.measurement.clone(),
            instrument,
        });
        self.inner.definitions.write().push(def);
        Ok(())
    }

    /// Metric definitions in force.
    pub fn definitions(&self) -> Vec<MetricDef> {
        self.inner.definitions.read().clone()
    }

    /// A counter updated directly (created on first use).
    pub fn counter(&self, name: &str) -> Result<Counter, TelemetryError> {
        match self.instrument(name, || Instrument::Counter(Counter::default()), "")? {
            Instrument::Counter(c) => Ok(c),
            other => Err(TelemetryError::KindConflict {
                name: name.into(),
                existing: other.kind_name(),
            }),
        }
    }

    /// A gauge updated directly (created on first use).
    pub fn gauge(&self, name: &str) -> Result<Gauge, TelemetryError> {
        match self.instrument(name, || Instrument::Gauge(Gauge::default()), "")? {
            Instrument::Gauge(g) => Ok(g),
            other => Err(TelemetryError::KindConflict {
                name: name.into(),
                existing: other.kind_name(),
            }),
        }
    }

    /// A histogram updated directly (created on first use).
    pub fn histogram(&self, name: &str) -> Result<Histogram, TelemetryError> {
        match self.instrument(name, || Instrument::Histogram(Histogram::default()), "")? {
            Instrument::Histogram(h) => Ok(h),
            other => Err(TelemetryError::KindConflict {
                name: name.into(),
                existing: other.kind_name(),
            }),
        }
    }

    /// Reads every aggregate.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let mut s = MetricsSnapshot::default();
        for (name, e) in self.inner.events.read().iter() {
            s.events
                .insert(name.to_string(), e.executions.load(Ordering::Relaxed));
        }
        for (name, ni) in self.inner.instruments.read().iter() {
            if !ni.description.is_empty() {
                s.descriptions.insert(name.clone(), ni.description.clone());
            }
            match &ni.instrument {
                Instrument::Counter(c) => {
                    s.counters.insert(name.clone(), c.get());
                }
                Instrument::Sum(g) => {
                    s.sums.insert(name.clone(), g.get());
                }
                Instrument::Gauge(g) => {
                    s.gauges.insert(name.clone(), g.get());
                }
                Instrument::Histogram(h) => {
                    s.histograms.insert(name.clone(), h.summary());
                }
            }
        }
        s
    }

    /// The aggregates in Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        prometheus::render(&self.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_feeds_metrics_and_handlers() {
        let t = Telemetry::new();
        t.define(MetricDef::counter("db.query.count", "db.query"))
            .expect("define");
        t.define(MetricDef::sum("db.query.rows", "db.query", "rows"))
            .expect("define");
        t.define(MetricDef::last_value("db.pool.size", "db.query", "pool"))
            .expect("define");
        t.define(MetricDef::distribution(
            "db.query.duration",
            "db.query",
            "duration",
        ))
        .expect("define");
        let seen = Arc::new(AtomicU64::new(0));
        let s2 = seen.clone();
        t.attach(
            "h1",
            "db.query",
            Arc::new(move |_, m, meta| {
                assert_eq!(meta, &[("table", "users")]);
                s2.fetch_add(m.len() as u64, Ordering::Relaxed);
            }),
        )
        .expect("attach");
        for i in 1..=100 {
            t.execute(
                "db.query",
                &[("rows", 2.0), ("pool", i as f64), ("duration", i as f64)],
                &[("table", "users")],
            );
        }
        t.execute("other", &[], &[]);
        let s = t.snapshot();
        assert_eq!(s.events["db.query"], 100);
        assert_eq!(s.events["other"], 1);
        assert_eq!(s.counters["db.query.count"], 100);
        assert_eq!(s.sums["db.query.rows"], 200.0);
        assert_eq!(s.gauges["db.pool.size"], 100.0);
        let h = &s.histograms["db.query.duration"];
        assert_eq!((h.count, h.min, h.max), (100, 1, 100));
        assert_eq!(h.p50, 50);
        assert_eq!(h.p99, 99);
        assert_eq!(seen.load(Ordering::Relaxed), 300);
    }

    #[test]
    fn panicking_handler_is_detached_and_duplicates_refused() {
        let t = Telemetry::new();
        t.attach("bad", "e", Arc::new(|_, _, _| panic!("handler bug")))
            .expect("attach");
        assert_eq!(
            t.attach("bad", "other", Arc::new(|_, _, _| {})),
            Err(TelemetryError::DuplicateHandler("bad".into()))
        );
        t.execute("e", &[], &[]);
        assert!(!t.detach("bad"), "already detached after its panic");
        t.execute("e", &[], &[]);
        assert_eq!(t.snapshot().events["e"], 2);
    }

    #[test]
    fn direct_instruments_and_kind_conflicts() {
        let t = Telemetry::new();
        t.counter("jobs").expect("counter").increment(3);
        t.gauge("queue").expect("gauge").set(4.5);
        t.histogram("lat").expect("hist").record(10);
        assert!(matches!(
            t.gauge("jobs"),
            Err(TelemetryError::KindConflict { .. })
        ));
        assert!(matches!(t.counter(""), Err(TelemetryError::InvalidName(_))));
        let s = t.snapshot();
        assert_eq!(s.counters["jobs"], 3);
        assert_eq!(s.gauges["queue"], 4.5);
        assert_eq!(s.histograms["lat"].count, 1);
    }
}
