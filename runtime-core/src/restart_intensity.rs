//! Restart intensity: at most `max_restarts` restarts within a sliding `period` (OTP's
//! `intensity` and `period` supervisor flags).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// How many restarts a supervisor allows within a period before it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intensity {
    /// Restarts allowed within `period` (0 = the first restart already escalates).
    pub max_restarts: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Default for Intensity {
    /// Elixir's defaults: 3 restarts in 5 seconds.
    fn default() -> Self {
        Intensity {
            max_restarts: 3,
            period: Duration::from_secs(5),
        }
    }
}

/// The restarts recorded within the window.
#[derive(Debug, Clone)]
pub(crate) struct RestartWindow {
    limit: Intensity,
    restarts: VecDeque<Instant>,
}

impl RestartWindow {
    pub(crate) fn new(limit: Intensity) -> Self {
        RestartWindow {
            limit,
            restarts: VecDeque::new(),
        }
    }

    /// Records a restart at `now`. Returns false when this restart exceeds the intensity, i.e.
    /// there are now more than `max_restarts` restarts within the last `period`.
    pub(crate) fn record(&mut self, now: Instant) -> bool {
        self.restarts.push_back(now);
        while let Some(&oldest) = self.restarts.front() {
            // OTP keeps restarts with `Now - T =< Period` (inclusive at the boundary).
            if now.duration_since(oldest) > self.limit.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.len() <= self.limit.max_restarts as usize
    }

    pub(crate) fn limit(&self) -> Intensity {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restart_past_the_limit_within_the_period_is_refused() {
        let start = Instant::now();
        let mut window = RestartWindow::new(Intensity {
            max_restarts: 2,
            period: Duration::from_secs(10),
        });
        assert!(window.record(start));
        assert!(window.record(start + Duration::from_secs(1)));
        assert!(!window.record(start + Duration::from_secs(2)));
    }

    #[test]
    fn old_restarts_slide_out_of_the_window() {
        let start = Instant::now();
        let mut window = RestartWindow::new(Intensity {
            max_restarts: 1,
            period: Duration::from_secs(5),
        });
        assert!(window.record(start));
        assert!(window.record(start + Duration::from_secs(6)));
        assert!(!window.record(start + Duration::from_secs(7)));
    }

    #[test]
    fn zero_restarts_allowed_means_the_first_restart_escalates() {
        let mut window = RestartWindow::new(Intensity {
            max_restarts: 0,
            period: Duration::from_secs(5),
        });
        assert!(!window.record(Instant::now()));
    }
}
