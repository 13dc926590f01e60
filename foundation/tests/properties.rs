//! Property tests over input spaces: cursors and environment values from arbitrary text,
//! event validation on arbitrary labels and sizes, correlation chains on arbitrary parent links.

use elixir_scope_foundation::config::{
    self, ConfigError, ConfigState, FoundationConfig, UPDATABLE,
};
use elixir_scope_foundation::event::{Event, EventError, EventId, NewEvent, Source, Timestamp};
use elixir_scope_foundation::event_store::{build_chain, Cursor};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

proptest! {
    #[test]
    fn cursor_decoding_never_panics_and_round_trips(s in ".{0,40}", ts in any::<i64>(), id in any::<i64>()) {
        let _ = Cursor::decode(&s);
        let c = Cursor::decode(&format!("c1.{ts}.{id}")).expect("well-formed");
        prop_assert_eq!(Cursor::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn environment_values_give_config_or_typed_error(
        key in "(CAPTURE|QUERY|DEBUG|API|EVENT_STORE|[A-Z]{1,8})__(BATCH_SIZE|SAMPLING_RATE|PORT|ENABLED|LOG_LEVEL|BACKEND|POSTGRES_URL|[A-Z_]{1,10})",
        value in "(-?[0-9]{1,12}(\\.[0-9]{1,3})?|true|false|null|postgres|sqlite|.{0,20})",
    ) {
        let var = format!("ELIXIR_SCOPE_{key}");
        match config::load(None, vec![(var.clone(), value)]) {
            Ok(_) => {}
            Err(ConfigError::Env { var: v, .. }) => prop_assert_eq!(v, var),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn updates_either_apply_exactly_or_change_nothing(idx in 0..UPDATABLE.len(), n in -10i64..200_000, f in -1.0f64..2.0, pick in 0..3u8) {
        let (path, _) = UPDATABLE[idx];
        let value = match pick { 0 => serde_json::json!(n), 1 => serde_json::json!(f), _ => serde_json::json!("info") };
        let mut s = ConfigState::new(FoundationConfig::default());
        let before = s.as_value().clone();
        match s.update(path, value.clone()) {
            Ok(change) => {
                prop_assert_eq!(s.get(path).expect("path exists"), change.new.clone());
                prop_assert_eq!(s.overrides().get(path), Some(&value));
            }
            Err(ConfigError::InvalidValue { path: p, .. }) => {
                prop_assert_eq!(p, path);
                prop_assert_eq!(s.as_value(), &before);
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn validation_accepts_or_names_the_problem(t in ".{0,300}", node in ".{0,300}", size in 0usize..400) {
        let ev = NewEvent::new(t.clone(), serde_json::json!("x".repeat(size))).source(Source::new(node.clone(), ""));
        match ev.validate(200) {
            Ok(v) => {
                prop_assert!(v.data.len() <= 200);
                prop_assert!(!t.is_empty() && t.len() <= 256 && node.len() <= 256);
            }
            Err(EventError::DataTooLarge { size, limit }) => prop_assert!(size > limit),
            Err(EventError::EmptyField { field }) => prop_assert_eq!(field, "event_type"),
            Err(EventError::FieldTooLong { size, limit, .. }) => prop_assert!(size > limit),
            Err(EventError::InvalidData(_)) => prop_assert!(false, "strings always serialize"),
        }
    }

    #[test]
    fn chains_list_every_event_once_with_consistent_depths(parents in proptest::collection::vec(proptest::option::of(0i64..40), 0..40)) {
        let events: Vec<Event> = parents.iter().enumerate().map(|(i, p)| Event {
            id: EventId(i as i64),
            event_type: "t".into(),
            timestamp: Timestamp((i as i64 * 7919) % 13),
            source: Source::default(),
            correlation_id: Some("c".into()),
            parent_id: p.map(EventId),
            data: serde_json::Value::Null,
        }).collect();
        let chain = build_chain(events.clone());
        prop_assert_eq!(chain.len(), events.len());
        let ids: HashSet<EventId> = chain.iter().map(|l| l.event.id).collect();
        prop_assert_eq!(ids.len(), events.len());
        let depth: HashMap<EventId, usize> = chain.iter().map(|l| (l.event.id, l.depth)).collect();
        let position: HashMap<EventId, usize> = chain.iter().enumerate().map(|(i, l)| (l.event.id, i)).collect();
        for link in &chain {
            if link.depth > 0 {
                let parent = link.event.parent_id.expect("a non-root has a parent");
                prop_assert_eq!(depth[&parent] + 1, link.depth);
                prop_assert!(position[&parent] < position[&link.event.id], "parents come first");
            }
        }
    }
}
