//! The thresholds of region analysis, in one place, with their defaults. Every finding names
//! the threshold it crossed (its field name here) and the threshold's value.

use serde::{Deserialize, Serialize};

/// The thresholds. [`Thresholds::default`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Robust z-score (0.6745 × (x − median) / MAD) beyond which a body's change from last
    /// year is a jump. Default 3.5.
    pub yoy_z: f64,
    /// Robust z-score beyond which a body is an outlier among the peers of its level.
    /// Default 3.5.
    pub peer_z: f64,
    /// Smallest difference in a count (from last year, or from the peers' median) that can
    /// be an alarm: 1 → 3 applications is not one. Default 20.
    pub floor_count: f64,
    /// Smallest difference in a share (0..1) that can be an alarm. Default 0.2 (20 points).
    pub floor_share: f64,
    /// Smallest difference in an amount (万元) that can be an alarm. Default 10.
    pub floor_amount: f64,
    /// A share is compared only when its denominator is at least this. Default 10.
    pub min_base: f64,
    /// Peers of one level are compared only when at least this many have a value. Default 8.
    pub min_peers: usize,
    /// Narratives at least this similar to last year's (after the years are set aside) are
    /// reported as copied. Default 0.95.
    pub copy_similarity: f64,
    /// Narratives shorter than this many characters are not compared. Default 40.
    pub copy_min_chars: usize,
    /// Tables identical to last year's are reported only when they hold at least this many
    /// non-zero numbers (two empty years are not a copy). Default 5.
    pub identical_min_nonzero: usize,
    /// Blank cells in tables 3 and 4 (where numbers belong) from which a report is flagged.
    /// Default 1.
    pub blank_cells: usize,
    /// Last year's new applications from which an all-zero table 3 is flagged. Default 20.
    pub busy_year: f64,
    /// An amount this many times the peers' median or more (and at most this many times
    /// 10,000 × that) looks like 元 entered as 万元. Default 1,000.
    pub unit_factor: f64,
    /// How many bodies each ranking lists at the top and at the bottom. Default 10.
    pub ranking_len: usize,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            yoy_z: 3.5,
            peer_z: 3.5,
            floor_count: 20.0,
            floor_share: 0.2,
            floor_amount: 10.0,
            min_base: 10.0,
            min_peers: 8,
            copy_similarity: 0.95,
            copy_min_chars: 40,
            identical_min_nonzero: 5,
            blank_cells: 1,
            busy_year: 20.0,
            unit_factor: 1_000.0,
            ranking_len: 10,
        }
    }
}
