//! Event queries: filters, ordering, limits and cursors, and their translation to SQL shared by
//! both backends.

use super::StoreError;
use crate::event::{Event, Timestamp};
use serde::{Deserialize, Serialize};

/// Default page size when a query sets none.
pub const DEFAULT_LIMIT: usize = 100;

/// Sort order by (timestamp, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

/// Position after the last event of a page; pass it back to get the next page.
///
/// Serialized as an opaque string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub(crate) timestamp: i64,
    pub(crate) id: i64,
}

impl Cursor {
    /// Encodes the cursor as an opaque token.
    pub fn encode(&self) -> String {
        format!("c1.{}.{}", self.timestamp, self.id)
    }

    /// Decodes a token made by [`Cursor::encode`].
    pub fn decode(token: &str) -> Result<Cursor, StoreError> {
        let bad = || StoreError::InvalidQuery(format!("malformed cursor `{token}`"));
        let rest = token.strip_prefix("c1.").ok_or_else(bad)?;
        let (ts, id) = rest.rsplit_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            timestamp: ts.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cursor::decode(&s).map_err(serde::de::Error::custom)
    }
}

/// A filtered, ordered, paginated query. Filters combine with AND; an empty filter matches all.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EventQuery {
    /// Match any of these types (empty: any type).
    pub event_types: Vec<String>,
    /// Inclusive lower bound on the timestamp.
    pub from: Option<Timestamp>,
    /// Exclusive upper bound on the timestamp.
    pub to: Option<Timestamp>,
    /// Source node.
    pub source_node: Option<String>,
    /// Source process (usually combined with `source_node`).
    pub source_process: Option<String>,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// Sort order by (timestamp, id).
    pub order: Order,
    /// Page size; [`DEFAULT_LIMIT`] when absent.
    pub limit: Option<usize>,
    /// Continue after this position.
    pub cursor: Option<Cursor>,
}

impl EventQuery {
    /// A query matching all events.
    pub fn all() -> Self {
        EventQuery::default()
    }
    /// Only this event type.
    pub fn event_type(mut self, t: impl Into<String>) -> Self {
        self.event_types.push(t.into());
        self
    }
    /// Timestamp in `[from, to)`.
    pub fn between(mut self, from: Timestamp, to: Timestamp) -> Self {
        self.from = Some(from);
        self.to = Some(to);
        self
    }
    /// Only this correlation id.
    pub fn correlation(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }
    /// Only this source node (and process, when given).
    pub fn source(mut self, node: impl Into<String>, process: Option<String>) -> Self {
        self.source_node = Some(node.into());
        self.source_process = process;
        self
    }
    /// Sort order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }
    /// Page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
    /// Continue after a cursor.
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.cursor = Some(cursor);
        self
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    /// Events in the requested order.
    pub events: Vec<Event>,
    /// Present when more events match; pass to [`EventQuery::after`].
    pub next_cursor: Option<Cursor>,
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlParam {
    Int(i64),
    Text(String),
}

/// SQL for a query: text with numbered parameter markers, parameters, and the page size.
pub(crate) struct SqlQuery {
    pub sql: String,
    pub params: Vec<SqlParam>,
    pub limit: usize,
}

/// The column list every backend selects, in the order `row_to_event` reads.
pub(crate) const EVENT_COLUMNS: &str =
    "id, event_type, ts, source_node, source_process, correlation_id, parent_id, data";

/// Builds the SQL for `q`; `param_marker(n)` renders parameter n (1-based) in the dialect.
pub(crate) fn build_sql(
    q: &EventQuery,
    max_limit: usize,
    param_marker: impl Fn(usize) -> String,
) -> Result<SqlQuery, StoreError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(StoreError::InvalidQuery("limit must be at least 1".into()));
    }
    if limit > max_limit {
        return Err(StoreError::InvalidQuery(format!(
            "limit {limit} exceeds the maximum of {max_limit}"
        )));
    }
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            return Err(StoreError::InvalidQuery(format!(
                "time range is inverted: from {} > to {}",
                f.0, t.0
            )));
        }
    }
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<SqlParam> = Vec::new();
    let push = |params: &mut Vec<SqlParam>, p: SqlParam| {
        params.push(p);
        param_marker(params.len())
    };
    if !q.event_types.is_empty() {
        let list: Vec<String> = q
            .event_types
            .iter()
            .map(|t| push(&mut params, SqlParam::Text(t.clone())))
            .collect();
        clauses.push(format!("event_type IN ({})", list.join(", ")));
    }
    if let Some(f) = q.from {
        clauses.push(format!("ts >= {}", push(&mut params, SqlParam::Int(f.0))));
    }
    if let Some(t) = q.to {
        clauses.push(format!("ts < {}", push(&mut params, SqlParam::Int(t.0))));
    }
    if let Some(n) = &q.source_node {
        clauses.push(format!(
            "source_node = {}",
            push(&mut params, SqlParam::Text(n.clone()))
        ));
    }
    if let Some(p) = &q.source_process {
        clauses.push(format!(
            "source_process = {}",
            push(&mut params, SqlParam::Text(p.clone()))
        ));
    }
    if let Some(c) = &q.correlation_id {
        clauses.push(format!(
            "correlation_id = {}",
            push(&mut params, SqlParam::Text(c.clone()))
        ));
    }
    let (cmp, dir) = match q.order {
        Order::Asc => (">", "ASC"),
        Order::Desc => ("<", "DESC"),
    };
    if let Some(c) = q.cursor {
        // Row-value comparison keeps the (ts, id) index usable for keyset pagination.
        let a = push(&mut params, SqlParam::Int(c.timestamp));
        let b = push(&mut params, SqlParam::Int(c.id));
        clauses.push(format!("(ts, id) {cmp} ({a}, {b})"));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let lim = push(
        &mut params,
        SqlParam::Int(i64::try_from(limit + 1).unwrap_or(i64::MAX)),
    );
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events{where_sql} ORDER BY ts {dir}, id {dir} LIMIT {lim}"
    );
    Ok(SqlQuery { sql, params, limit })
}

/// Cuts the extra row fetched to detect a next page, and makes the cursor.
pub(crate) fn into_page(mut events: Vec<Event>, limit: usize) -> EventPage {
    let next_cursor = if events.len() > limit {
        events.truncate(limit);
        events.last().map(|e| Cursor {
            timestamp: e.timestamp.0,
            id: e.id.0,
        })
    } else {
        None
    };
    EventPage {
        events,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            timestamp: -5,
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for bad in ["", "c1.", "c1.1", "x1.1.2", "c1.a.2", "c1.1.b"] {
            assert!(Cursor::decode(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn sql_has_every_filter_and_checks_limits() {
        let q = EventQuery::all()
            .event_type("a")
            .event_type("b")
            .between(Timestamp(1), Timestamp(2))
            .correlation("c")
            .order(Order::Desc)
            .limit(10)
            .after(Cursor {
                timestamp: 5,
                id: 6,
            });
        let s = build_sql(&q, 100, |n| format!("${n}")).expect("valid");
        assert!(s.sql.contains("event_type IN ($1, $2)"), "{}", s.sql);
        assert!(s.sql.contains("(ts, id) < ($6, $7)"), "{}", s.sql);
        assert!(
            s.sql.ends_with("ORDER BY ts DESC, id DESC LIMIT $8"),
            "{}",
            s.sql
        );
        assert_eq!(s.params.len(), 8);
        assert!(build_sql(&EventQuery::all().limit(0), 100, |n| format!("?{n}")).is_err());
        assert!(build_sql(&EventQuery::all().limit(101), 100, |n| format!("?{n}")).is_err());
        let inverted = EventQuery::all().between(Timestamp(3), Timestamp(2));
        assert!(build_sql(&inverted, 100, |n| format!("?{n}")).is_err());
    }
}
