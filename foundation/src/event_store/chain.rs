//! Correlation chains: the events of one correlation id arranged as a causal tree by parent
//! links.

use crate::event::{Event, EventId};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// One event in a correlation chain with its depth in the causal tree (roots are depth 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainLink {
    /// Depth below the nearest root in this correlation.
    pub depth: usize,
    /// The event.
    pub event: Event,
}

/// Arranges events depth-first: each root (an event whose parent is absent from the set), then
/// its descendants, siblings by (timestamp, id). Events caught in a parent cycle are appended as
/// roots, so every input event appears exactly once.
pub fn build_chain(mut events: Vec<Event>) -> Vec<ChainLink> {
    events.sort_by_key(|e| (e.timestamp, e.id));
    let ids: HashSet<EventId> = events.iter().map(|e| e.id).collect();
    let mut children: HashMap<EventId, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match e.parent_id {
            Some(p) if ids.contains(&p) && p != e.id => children.entry(p).or_default().push(i),
            _ => roots.push(i),
        }
    }
    let mut visited = vec![false; events.len()];
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(events.len());
    let visit_from = |root: usize, visited: &mut Vec<bool>, order: &mut Vec<(usize, usize)>| {
        let mut stack = vec![(root, 0usize)];
        while let Some((i, depth)) = stack.pop() {
            if visited[i] {
                continue;
            }
            visited[i] = true;
            order.push((i, depth));
            if let Some(kids) = children.get(&events[i].id) {
                for &k in kids.iter().rev() {
                    stack.push((k, depth + 1));
                }
            }
        }
    };
    for r in roots {
        visit_from(r, &mut visited, &mut order);
    }
    for i in 0..events.len() {
        if !visited[i] {
            visit_from(i, &mut visited, &mut order);
        }
    }
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(i, depth)| slots[i].take().map(|event| ChainLink { depth, event }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Source, Timestamp};

    fn ev(id: i64, parent: Option<i64>, ts: i64) -> Event {
        Event {
            id: EventId(id),
            event_type: "t".into(),
            timestamp: Timestamp(ts),
            source: Source::default(),
            correlation_id: Some("c".into()),
            parent_id: parent.map(EventId),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn tree_is_depth_first_with_depths() {
        let chain = build_chain(vec![
            ev(4, Some(2), 4),
            ev(1, None, 1),
            ev(3, Some(1), 3),
            ev(2, Some(1), 2),
        ]);
        let got: Vec<(i64, usize)> = chain.iter().map(|l| (l.event.id.0, l.depth)).collect();
        assert_eq!(got, vec![(1, 0), (2, 1), (4, 2), (3, 1)]);
    }

    #[test]
    fn cycles_and_self_parents_still_list_every_event_once() {
        let chain = build_chain(vec![
            ev(1, Some(2), 1),
            ev(2, Some(1), 2),
            ev(3, Some(3), 3),
        ]);
        let mut ids: Vec<i64> = chain.iter().map(|l| l.event.id.0).collect();
        ids.sort();
        assert_eq!(ids, vec![1, 2, 3]);
    }
}
