//! Indicator values of reports: the declared formulas resolved to the cells of an edition.

use rust_decimal::prelude::ToPrimitive;

use crate::model::{Report, Value};
use crate::template::indicators::{Formula, IndicatorDecl, INDICATORS};
use crate::template::{CellIx, Edition};

/// An indicator's value for one report: the value, and for a share its denominator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    pub value: f64,
    /// The denominator of a share (the number of cases it is a share of).
    pub base: Option<f64>,
}

/// The formulas of every indicator resolved to cell indices, per edition.
pub struct Resolved {
    per_edition: Vec<(Edition, Vec<Cells>)>,
}

struct Cells {
    num: Vec<CellIx>,
    den: Option<Vec<CellIx>>,
}

fn resolve(edition: Edition, decl: &IndicatorDecl) -> Cells {
    let t = edition.template();
    let ixs = |keys: &[&str]| keys.iter().filter_map(|k| t.ix(k)).collect::<Vec<_>>();
    match decl.formula {
        Formula::Sum(keys) => Cells {
            num: ixs(keys),
            den: None,
        },
        Formula::Ratio { num, den } => Cells {
            num: ixs(num),
            den: Some(ixs(den)),
        },
    }
}

impl Default for Resolved {
    fn default() -> Resolved {
        Resolved::new()
    }
}

impl Resolved {
    pub fn new() -> Resolved {
        Resolved {
            per_edition: Edition::ALL
                .iter()
                .map(|&e| (e, INDICATORS.iter().map(|d| resolve(e, d)).collect()))
                .collect(),
        }
    }

    /// The value of indicator number `i` (into [`INDICATORS`]) for `r`; `None` when not
    /// defined (no cell of the edition, no number, or a zero denominator).
    pub fn measure(&self, i: usize, r: &Report) -> Option<Measure> {
        let cells = self
            .per_edition
            .iter()
            .find(|(e, _)| *e == r.edition)
            .map(|(_, c)| &c[i])?;
        let num = sum(r, &cells.num)?;
        match &cells.den {
            None => Some(Measure {
                value: num,
                base: None,
            }),
            Some(den) => {
                let den = sum(r, den)?;
                (den > 0.0).then(|| Measure {
                    value: num / den,
                    base: Some(den),
                })
            }
        }
    }
}

/// The sum of the cells that hold a number; `None` when none does.
fn sum(r: &Report, cells: &[CellIx]) -> Option<f64> {
    let mut total = 0.0;
    let mut any = false;
    for &c in cells {
        match r.cells.get(c as usize).map(|c| c.value) {
            Some(Value::Int(n)) => {
                total += n as f64;
                any = true;
            }
            Some(Value::Amount(d)) => {
                total += d.to_f64().unwrap_or(0.0);
                any = true;
            }
            _ => {}
        }
    }
    any.then_some(total)
}
