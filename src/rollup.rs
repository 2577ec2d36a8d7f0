//! The roll-up (汇总): tables 2–4 of many reports of one edition summed into one report.
//!
//! gxd sums the latest revisions of every descendant's report of a body for a year (never the
//! body's own report: a body's report covers its own work, 本级, and the area figures are the
//! sum of the bodies below it). Reports are added one at a time ([`Sum::add`]): nothing but
//! the running sums is kept.
//!
//! How cells sum:
//! - counts (and the signed 2019 本年增/减) as exact integers; amounts (万元) as exact
//!   decimals — no rounding, no floating point;
//! - a blank cell counts as 0 (and is counted in [`Total::blank_cells`]);
//! - a not-applicable cell counts as 0 (counted in [`Total::not_applicable_cells`]); the sum
//!   is not applicable only when every part is;
//! - the published text (`raw`, e.g. `22（其中修订16件）`) describes one report's cell and is
//!   dropped: the sum has values only, and no narrative;
//! - a variant row (the single 2019-style （六）其他处理 row of a 2021-edition report): when any
//!   part printed it, the sum prints it too, holding that row of those parts plus the three
//!   sub-rows of the others; otherwise the sub-rows are summed one by one. Either way every
//!   identity of the template still holds for the sum of reports for which it holds.
//!
//! Mixing editions is refused ([`Mixed`]): a 2019 column is never added to a 2021 column.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::model::{Cell, Org, Report, Value};
use crate::template::{Edition, Kind, Presence};

/// The largest magnitude of a summed count (the model's limit: 18 digits).
const MAX_COUNT: i128 = 999_999_999_999_999_999;

/// Running sums over reports of one edition.
#[derive(Debug, Clone)]
pub struct Sum {
    edition: Edition,
    ints: Vec<i128>,
    amounts: Vec<Decimal>,
    /// Parts in which the cell is present (not absent).
    present: Vec<u32>,
    /// Parts in which the cell is not applicable.
    not_applicable: Vec<u32>,
    parts: u32,
    blank_cells: u64,
    not_applicable_cells: u64,
    overflow: Option<usize>,
}

/// The outcome of a roll-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Total {
    /// The summed report (no narrative; values only).
    pub report: Report,
    /// How many reports were summed.
    pub parts: u32,
    /// Blank cells of the parts, counted as 0.
    pub blank_cells: u64,
    /// Not-applicable cells of the parts, counted as 0.
    pub not_applicable_cells: u64,
}

/// Reports of different editions: which bodies are on which edition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_mixed(.0))]
pub struct Mixed(pub BTreeMap<Edition, Vec<String>>);

fn describe_mixed(m: &BTreeMap<Edition, Vec<String>>) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(e, ids)| format!("{} on the {e} edition: {}", ids.len(), ids.join(", ")))
        .collect();
    format!(
        "the reports mix editions and cannot be summed ({})",
        parts.join("; ")
    )
}

/// Why a roll-up failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollUpError {
    #[error(transparent)]
    Mixed(#[from] Mixed),
    #[error("{0}: the sum has more than 18 digits")]
    Overflow(String),
}

impl Sum {
    pub fn new(edition: Edition) -> Sum {
        let n = edition.template().cells.len();
        Sum {
            edition,
            ints: vec![0; n],
            amounts: vec![Decimal::ZERO; n],
            present: vec![0; n],
            not_applicable: vec![0; n],
            parts: 0,
            blank_cells: 0,
            not_applicable_cells: 0,
            overflow: None,
        }
    }

    pub fn edition(&self) -> Edition {
        self.edition
    }

    pub fn parts(&self) -> u32 {
        self.parts
    }

    /// Adds the cells of a report of this sum's edition (in template order).
    pub fn add_cells<'a>(&mut self, cells: impl IntoIterator<Item = &'a Cell>) {
        self.add_values(cells.into_iter().map(|c| c.value));
    }

    /// Adds the cell values of a report of this sum's edition (in template order).
    pub fn add_values(&mut self, values: impl IntoIterator<Item = Value>) {
        self.parts += 1;
        for (i, v) in values.into_iter().enumerate().take(self.ints.len()) {
            match v {
                Value::Absent => continue,
                Value::Blank => self.blank_cells += 1,
                Value::NotApplicable => {
                    self.not_applicable_cells += 1;
                    self.not_applicable[i] += 1;
                }
                Value::Int(n) => self.ints[i] += i128::from(n),
                Value::Amount(d) => match self.amounts[i].checked_add(d) {
                    Some(s) => self.amounts[i] = s,
                    None => {
                        self.overflow.get_or_insert(i);
                    }
                },
            }
            self.present[i] += 1;
        }
    }

    /// Adds a report. Panics if its edition is not this sum's (callers group by edition; see
    /// [`Sums`]).
    pub fn add(&mut self, r: &Report) {
        assert_eq!(r.edition, self.edition, "a report of another edition");
        self.add_cells(&r.cells);
    }

    /// Adds another sum of the same edition (for summing in parallel).
    pub fn merge(&mut self, other: Sum) {
        assert_eq!(other.edition, self.edition, "a sum of another edition");
        for i in 0..self.ints.len() {
            self.ints[i] += other.ints[i];
            match self.amounts[i].checked_add(other.amounts[i]) {
                Some(s) => self.amounts[i] = s,
                None => {
                    self.overflow.get_or_insert(i);
                }
            }
            self.present[i] += other.present[i];
            self.not_applicable[i] += other.not_applicable[i];
        }
        self.parts += other.parts;
        self.blank_cells += other.blank_cells;
        self.not_applicable_cells += other.not_applicable_cells;
        if self.overflow.is_none() {
            self.overflow = other.overflow;
        }
    }

    /// The summed report for `org` and `year`.
    pub fn finish(self, org: Org, year: u32) -> Result<Total, RollUpError> {
        let t = self.edition.template();
        let mut ints = self.ints;
        let mut amounts = self.amounts;
        let mut present = self.present;
        let mut na = self.not_applicable;
        let mut folded = vec![false; t.cells.len()];
        // Variant rows: fold the sub-rows into the variant row when any part printed it.
        for v in &t.variants {
            let variant = v.own.cells.clone();
            if variant.clone().all(|ix| present[ix as usize] == 0) {
                continue;
            }
            for other in &v.stands_for {
                for (v, s) in variant.clone().zip(other.cells.clone()) {
                    let (v, s) = (v as usize, s as usize);
                    let (i, a, p, n) = (ints[s], amounts[s], present[s], na[s]);
                    ints[v] += i;
                    amounts[v] += a;
                    present[v] += p;
                    na[v] += n;
                    present[s] = 0;
                    folded[s] = true;
                }
            }
        }
        if let Some(i) = self.overflow {
            return Err(RollUpError::Overflow(t.cells[i].key.clone()));
        }
        let mut cells = Vec::with_capacity(t.cells.len());
        for (i, def) in t.cells.iter().enumerate() {
            let value = if present[i] == 0 {
                if def.row.presence == Presence::Always && !folded[i] {
                    Value::Blank
                } else {
                    Value::Absent
                }
            } else if na[i] == present[i] {
                Value::NotApplicable
            } else {
                match def.kind() {
                    Kind::Amount => {
                        Value::Amount(amounts[i] + Decimal::from_i128_with_scale(ints[i], 0))
                    }
                    Kind::Count | Kind::Signed => {
                        if ints[i].abs() > MAX_COUNT {
                            return Err(RollUpError::Overflow(def.key.clone()));
                        }
                        Value::Int(ints[i] as i64)
                    }
                }
            };
            cells.push(Cell::new(value));
        }
        Ok(Total {
            report: Report {
                org,
                year,
                edition: self.edition,
                narrative: Default::default(),
                cells,
            },
            parts: self.parts,
            blank_cells: self.blank_cells,
            not_applicable_cells: self.not_applicable_cells,
        })
    }
}

/// Sums reports of whatever edition they come in, keeping one [`Sum`] per edition and who is
/// on which; [`Sums::finish`] refuses a mix.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    sums: BTreeMap<Edition, Sum>,
    bodies: BTreeMap<Edition, Vec<String>>,
}

impl Sums {
    pub fn new() -> Sums {
        Sums::default()
    }

    /// Adds a report.
    pub fn add(&mut self, r: &Report) {
        self.add_values(&r.org.id, r.edition, r.cells.iter().map(|c| c.value));
    }

    /// Adds the cell values (in template order) of body `org_id`'s report of `edition`.
    pub fn add_values(
        &mut self,
        org_id: &str,
        edition: Edition,
        values: impl IntoIterator<Item = Value>,
    ) {
        self.sums
            .entry(edition)
            .or_insert_with(|| Sum::new(edition))
            .add_values(values);
        self.bodies
            .entry(edition)
            .or_default()
            .push(org_id.to_string());
    }

    /// Adds the reports summed in `other` (after this one's).
    pub fn merge(&mut self, other: Sums) {
        for (e, s) in other.sums {
            match self.sums.get_mut(&e) {
                Some(mine) => mine.merge(s),
                None => {
                    self.sums.insert(e, s);
                }
            }
        }
        for (e, ids) in other.bodies {
            self.bodies.entry(e).or_default().extend(ids);
        }
    }

    /// The sum, for `org` and `year`. With no report, a blank report of the edition in force
    /// for `year`.
    pub fn finish(self, org: Org, year: u32) -> Result<Total, RollUpError> {
        if self.sums.len() > 1 {
            return Err(Mixed(self.bodies).into());
        }
        match self.sums.into_values().next() {
            Some(s) => s.finish(org, year),
            None => Sum::new(Edition::for_year(year)).finish(org, year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth;

    #[test]
    fn the_sum_of_consistent_reports_is_consistent_and_exact() {
        for edition in Edition::ALL {
            let parts: Vec<Report> = (0..5).map(|s| synth::consistent(edition, s)).collect();
            let mut sums = Sums::new();
            for p in &parts {
                sums.add(p);
            }
            let total = sums.finish(Org::default(), 2021).unwrap();
            assert_eq!(total.parts, 5);
            let t = edition.template();
            for (i, def) in t.cells.iter().enumerate() {
                if def.row.presence != Presence::Always {
                    assert_eq!(total.report.cells[i].value, Value::Absent, "{}", def.key);
                    continue;
                }
                let want = match def.kind() {
                    Kind::Amount => Value::Amount(
                        parts
                            .iter()
                            .map(|p| match p.cells[i].value {
                                Value::Amount(d) => d,
                                _ => Decimal::ZERO,
                            })
                            .sum(),
                    ),
                    _ => Value::Int(
                        parts
                            .iter()
                            .map(|p| p.cells[i].value.as_i128())
                            .sum::<i128>() as i64,
                    ),
                };
                assert_eq!(total.report.cells[i].value, want, "{}", def.key);
            }
            let v = crate::rules::validate(&total.report);
            assert!(v.errors().next().is_none(), "{:#?}", v.findings);
        }
    }

    #[test]
    fn blank_not_applicable_raw_and_the_variant_row() {
        let mut a = synth::consistent(Edition::E2021, 1);
        let mut b = synth::consistent(Edition::E2021, 2);
        a.set("t2.regulations.in_force", Cell::new(Value::NotApplicable));
        b.set("t2.regulations.in_force", Cell::new(Value::NotApplicable));
        a.set(
            "t2.normative_docs.in_force",
            Cell::new(Value::NotApplicable),
        );
        b.set(
            "t2.normative_docs.issued",
            Cell {
                value: Value::Int(22),
                raw: Some("22（其中修订16件）".into()),
            },
        );
        a.set("t4.review.other", Cell::BLANK);
        // b prints the single （六）其他处理 row: a's three sub-rows go into it.
        let t = Edition::E2021.template();
        crate::synth::use_variant_rows(&mut b);
        let a_other: i128 = ["other_no_correction", "other_fee_unpaid", "other_other"]
            .iter()
            .map(|r| a.get(&format!("t3.{r}.natural")).unwrap().value.as_i128())
            .sum();
        let b_other = b.get("t3.other.natural").unwrap().value.as_i128();
        let mut sums = Sums::new();
        sums.add(&a);
        sums.add(&b);
        let total = sums.finish(Org::default(), 2022).unwrap();
        let r = &total.report;
        assert_eq!(
            r.get("t2.regulations.in_force").unwrap().value,
            Value::NotApplicable
        );
        assert_eq!(
            r.get("t2.normative_docs.in_force").unwrap().value,
            b.get("t2.normative_docs.in_force").unwrap().value
        );
        assert_eq!(r.get("t2.normative_docs.issued").unwrap().raw, None);
        assert_eq!(total.blank_cells, 1);
        assert_eq!(total.not_applicable_cells, 3);
        assert_eq!(
            r.get("t3.other.natural").unwrap().value,
            Value::Int((a_other + b_other) as i64)
        );
        assert_eq!(
            r.get("t3.other_other.natural").unwrap().value,
            Value::Absent
        );
        let _ = t;
        let v = crate::rules::validate(r);
        assert!(v.errors().next().is_none(), "{:#?}", v.findings);
    }

    #[test]
    fn mixed_editions_name_the_bodies() {
        let mut sums = Sums::new();
        let mut a = synth::consistent(Edition::E2019, 1);
        a.org.id = "a".into();
        let mut b = synth::consistent(Edition::E2021, 1);
        b.org.id = "b".into();
        sums.add(&a);
        sums.add(&b);
        let e = sums.finish(Org::default(), 2021).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the reports mix editions and cannot be summed (1 on the 2019 edition: a; 1 on the 2021 edition: b)"
        );
    }
}
