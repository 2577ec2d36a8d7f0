//! Robust statistics: median, median absolute deviation and the robust z-score.

/// The consistency constant of the robust z-score (Iglewicz and Hoaglin): 0.6745 × (x − median)
/// / MAD is comparable with a standard z-score for normal data.
pub const Z_FACTOR: f64 = 0.6745;

/// The median and the MAD of a sample; `None` for an empty one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub mad: f64,
}

impl Spread {
    /// The median and MAD of `xs` (reorders `xs`).
    pub fn of(xs: &mut [f64]) -> Option<Spread> {
        let median = median(xs)?;
        for x in xs.iter_mut() {
            *x = (*x - median).abs();
        }
        let mad = self::median(xs)?;
        Some(Spread { median, mad })
    }

    /// The robust z-score of `x`; not defined when the MAD is 0.
    pub fn z(&self, x: f64) -> Option<f64> {
        (self.mad > 0.0).then(|| Z_FACTOR * (x - self.median) / self.mad)
    }
}

/// The median of `xs` (reorders `xs`); `None` for an empty slice.
pub fn median(xs: &mut [f64]) -> Option<f64> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    let (_, m, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        return Some(m);
    }
    let below = xs[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((below + m) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        let s = Spread::of(&mut [1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        assert_eq!(s.median, 3.0);
        assert_eq!(s.mad, 1.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
        let flat = Spread::of(&mut [5.0; 4]).unwrap();
        assert_eq!(flat.z(9.0), None);
    }
}
