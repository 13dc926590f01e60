//! Events: store (single or atomic batch), query with pagination, chains, stats.

use super::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use elixir_scope_foundation::event::{EventId, NewEvent, Timestamp};
use elixir_scope_foundation::event_store::{Cursor, EventQuery, Order};
use serde::Deserialize;
use serde_json::{json, Value};

/// The accepted shapes of a store request.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum StoreBody {
    Wrapped { events: Vec<NewEvent> },
    Batch(Vec<NewEvent>),
    One(Box<NewEvent>),
}

pub(super) async fn store(
    State(state): State<ApiState>,
    body: Result<Json<StoreBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body.map_err(|e| {
        let message = format!(
            "expected an event, an array of events or {{\"events\": [...]}}: {}",
            e.body_text()
        );
        match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(message),
            _ => ApiError::bad_request(message),
        }
    })?;
    let events = match body {
        StoreBody::Wrapped { events } | StoreBody::Batch(events) => events,
        StoreBody::One(event) => vec![*event],
    };
    if events.is_empty() {
        return Err(ApiError::bad_request("no events in the request"));
    }
    let ids = state.foundation.events.store_batch(events).await?;
    Ok((StatusCode::CREATED, Json(json!({ "ids": ids }))))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct QueryParams {
    /// One type or several separated by commas.
    r#type: Option<String>,
    correlation_id: Option<String>,
    source_node: Option<String>,
    source_process: Option<String>,
    /// Microseconds since the epoch, inclusive.
    from: Option<i64>,
    /// Microseconds since the epoch, exclusive.
    to: Option<i64>,
    order: Option<Order>,
    limit: Option<usize>,
    cursor: Option<String>,
}

pub(super) async fn query(
    State(state): State<ApiState>,
    params: Result<Query<QueryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let query = EventQuery {
        event_types: params
            .r#type
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        from: params.from.map(Timestamp),
        to: params.to.map(Timestamp),
        source_node: params.source_node,
        source_process: params.source_process,
        correlation_id: params.correlation_id,
        order: params.order.unwrap_or_default(),
        limit: params.limit,
        cursor: params.cursor.as_deref().map(Cursor::decode).transpose()?,
    };
    let page = state.foundation.events.query(query).await?;
    Ok(Json(json!(page)))
}

pub(super) async fn get_one(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("event id must be an integer, got {id:?}")))?;
    match state.foundation.events.get(EventId(id)).await? {
        Some(event) => Ok(Json(json!(event))),
        None => Err(ApiError::not_found(format!("no event {id}"))),
    }
}

pub(super) async fn chain(
    State(state): State<ApiState>,
    Path(correlation_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let links = state
        .foundation
        .events
        .correlation_chain(&correlation_id)
        .await?;
    Ok(Json(
        json!({ "correlation_id": correlation_id, "chain": links }),
    ))
}

pub(super) async fn stats(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.foundation.events.stats().await?)))
}
