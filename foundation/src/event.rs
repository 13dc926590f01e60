//! The event model: what an ElixirScope event is, and how a new event is checked before it is
//! stored.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// Default limit on the serialized size of an event's `data`, in bytes.
pub const DEFAULT_MAX_DATA_BYTES: usize = 64 * 1024;
/// Limit on the length of an event type, a source field or a correlation id, in bytes.
pub const MAX_LABEL_BYTES: usize = 256;

/// Identifier of a stored event, assigned by the store; increases in commit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub i64);

/// Microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current wall-clock time. A clock before 1970 reads as the epoch.
    pub fn now() -> Self {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(micros)
    }

    /// Microseconds since the epoch.
    pub fn as_micros(self) -> i64 {
        self.0
    }
}

/// Where an event came from: a node (machine / BEAM node) and a process on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Source {
    /// Node name, e.g. `app@host`.
    pub node: String,
    /// Process identifier within the node, e.g. `<0.123.0>`; empty when unknown.
    #[serde(default)]
    pub process: String,
}

impl Source {
    /// A source from a node and a process name.
    pub fn new(node: impl Into<String>, process: impl Into<String>) -> Self {
        Source {
            node: node.into(),
            process: process.into(),
        }
    }
}

/// An event as submitted by a producer, before the store assigns its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Event type, e.g. `function_call`; non-empty.
    pub event_type: String,
    /// When it happened; the store uses the current time when absent.
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    /// Producer of the event.
    #[serde(default)]
    pub source: Source,
    /// Groups events of one request / trace.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// The event that caused this one.
    #[serde(default)]
    pub parent_id: Option<EventId>,
    /// Arbitrary JSON payload, size-limited.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl NewEvent {
    /// A new event of `event_type` with `data`, stamped with the current time.
    pub fn new(event_type: impl Into<String>, data: serde_json::Value) -> Self {
        NewEvent {
            event_type: event_type.into(),
            timestamp: None,
            source: Source::default(),
            correlation_id: None,
            parent_id: None,
            data,
        }
    }

    /// Sets the source.
    pub fn source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// Sets the correlation id.
    pub fn correlation(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Sets the parent event.
    pub fn parent(mut self, id: EventId) -> Self {
        self.parent_id = Some(id);
        self
    }

    /// Sets the timestamp.
    pub fn at(mut self, ts: Timestamp) -> Self {
        self.timestamp = Some(ts);
        self
    }

    /// Checks the event against the limits and serializes its data once, so the storage writer
    /// only binds ready values.
    pub fn validate(self, max_data_bytes: usize) -> Result<ValidEvent, EventError> {
        check_label("event_type", &self.event_type, false)?;
        check_label("source.node", &self.source.node, true)?;
        check_label("source.process", &self.source.process, true)?;
        if let Some(c) = &self.correlation_id {
            check_label("correlation_id", c, false)?;
        }
        let data = serde_json::to_string(&self.data)
            .map_err(|e| EventError::InvalidData(e.to_string()))?;
        if data.len() > max_data_bytes {
            return Err(EventError::DataTooLarge {
                size: data.len(),
                limit: max_data_bytes,
            });
        }
        Ok(ValidEvent {
            event_type: self.event_type,
            timestamp: self.timestamp.unwrap_or_else(Timestamp::now),
            source: self.source,
            correlation_id: self.correlation_id,
            parent_id: self.parent_id,
            data,
        })
    }
}

fn check_label(field: &'static str, value: &str, may_be_empty: bool) -> Result<(), EventError> {
    if !may_be_empty && value.is_empty() {
        return Err(EventError::EmptyField { field });
    }
    if value.len() > MAX_LABEL_BYTES {
        return Err(EventError::FieldTooLong {
            field,
            size: value.len(),
            limit: MAX_LABEL_BYTES,
        });
    }
    Ok(())
}

/// An event that passed validation, with its data already serialized to JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    /// Event type.
    pub event_type: String,
    /// Timestamp (filled in).
    pub timestamp: Timestamp,
    /// Producer.
    pub source: Source,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Parent event.
    pub parent_id: Option<EventId>,
    /// Serialized JSON data.
    pub data: String,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Store-assigned id.
    pub id: EventId,
    /// Event type.
    pub event_type: String,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Producer.
    pub source: Source,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Parent event.
    pub parent_id: Option<EventId>,
    /// JSON payload.
    pub data: serde_json::Value,
}

/// Why a submitted event was refused. Nothing of a refused event (or of its batch) is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The serialized data exceeds the configured limit.
    #[error("event data is {size} bytes, over the limit of {limit} bytes")]
    DataTooLarge {
        /// Serialized size.
        size: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A required text field is empty.
    #[error("event field `{field}` must not be empty")]
    EmptyField {
        /// Field name.
        field: &'static str,
    },
    /// A text field is longer than [`MAX_LABEL_BYTES`].
    #[error("event field `{field}` is {size} bytes, over the limit of {limit} bytes")]
    FieldTooLong {
        /// Field name.
        field: &'static str,
        /// Actual length.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// The data could not be serialized as JSON.
    #[error("event data is not valid JSON: {0}")]
    InvalidData(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oversize_data_is_refused_with_sizes() {
        let ev = NewEvent::new("t", json!({"s": "x".repeat(100)}));
        match ev.validate(50) {
            Err(EventError::DataTooLarge { size, limit }) => {
                assert_eq!(limit, 50);
                assert!(size > 100);
            }
            other => panic!("expected DataTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn empty_type_and_long_labels_are_refused() {
        assert_eq!(
            NewEvent::new("", json!(null)).validate(100),
            Err(EventError::EmptyField {
                field: "event_type"
            })
        );
        let long = "c".repeat(MAX_LABEL_BYTES + 1);
        assert!(matches!(
            NewEvent::new("t", json!(null))
                .correlation(long)
                .validate(100),
            Err(EventError::FieldTooLong {
                field: "correlation_id",
                ..
            })
        ));
    }

    #[test]
    fn validation_fills_timestamp_and_serializes_data() {
        let v = NewEvent::new("t", json!({"a": 1}))
            .validate(100)
            .expect("valid");
        assert_eq!(v.data, r#"{"a":1}"#);
        assert!(v.timestamp.0 > 0);
        let at = NewEvent::new("t", json!(1))
            .at(Timestamp(7))
            .validate(100)
            .expect("valid");
        assert_eq!(at.timestamp, Timestamp(7));
    }
}
