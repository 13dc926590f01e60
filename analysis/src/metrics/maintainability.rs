//! Maintainability index (Oman and Hagemeister, 1992), in the two forms rust-code-analysis
//! reports:
//! * original: `171 − 5.2·ln(V) − 0.23·CC − 16.2·ln(SLOC)` with V the Halstead volume, CC the
//!   cyclomatic complexity and SLOC the physical lines;
//! * Visual Studio's: the original rescaled to 0..100, `max(0, original · 100 / 171)`.
//!
//! Higher is more maintainable. `ln` of a volume or line count below 1 is taken as 0.

use serde::{Deserialize, Serialize};

/// Maintainability index (Oman and Hagemeister, 1992), in the two forms rust-code-analysis
/// reports:
/// * original: `171 − 5.2·ln(V) − 0.23·CC − 16.2·ln(SLOC)` with V the Halstead volume, CC the
///   cyclomatic complexity and SLOC the physical lines;
/// * Visual Studio's: the original rescaled to 0..100, `max(0, original · 100 / 171)`.
///
/// Higher is more maintainable. `ln` of a volume or line count below 1 is taken as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Maintainability {
    pub original: f64,
    pub visual_studio: f64,
}

/// The index from its three inputs.
pub(crate) fn maintainability(volume: f64, cyclomatic: u32, sloc: u32) -> Maintainability {
    let ln = |x: f64| if x > 1.0 { x.ln() } else { 0.0 };
    let original =
        171.0 - 5.2 * ln(volume) - 0.23 * f64::from(cyclomatic) - 16.2 * ln(f64::from(sloc));
    Maintainability {
        original,
        visual_studio: (original * 100.0 / 171.0).max(0.0),
    }
}
