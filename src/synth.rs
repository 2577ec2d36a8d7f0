//! Synthetic reports for tests and benchmarks: random, but consistent — every identity of the
//! template holds — and reproducible from a seed.

use rust_decimal::Decimal;

use crate::model::{Cell, Narrative, Org, Report, Section, Subsection, Value};
use crate::template::{Along, CellIx, Edition, Identity, Kind, Presence};

/// SplitMix64: a tiny, well-known generator; enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Mostly small counts, often zero, as real reports are.
    pub fn count(&mut self) -> i64 {
        match self.below(4) {
            0 | 1 => 0,
            2 => self.below(10) as i64,
            _ => self.below(500) as i64,
        }
    }
}

/// A consistent report of `edition` for a year of that edition. Every cell holds a number;
/// 2021-edition reports use the three （六）其他处理 sub-rows.
pub fn consistent(edition: Edition, seed: u64) -> Report {
    let mut rng = Rng::new(seed);
    let year = match edition {
        Edition::E2019 => 2019 + rng.below(2) as u32,
        Edition::E2021 => 2021 + rng.below(5) as u32,
    };
    let org = Org {
        id: format!("62{:07}", rng.below(10_000_000)),
        name: "测试镇".to_string(),
    };
    let mut r = Report::blank(org, year, edition);
    let t = r.template();
    // Parts first: every cell that is not on the total side of a sum gets a random value.
    for (i, def) in t.cells.iter().enumerate() {
        if def.row.presence != Presence::Always {
            continue;
        }
        r.cells[i] = Cell::new(match def.kind() {
            Kind::Count => Value::Int(rng.count()),
            Kind::Signed => Value::Int(rng.count() - rng.count()),
            Kind::Amount => Value::Amount(Decimal::new(rng.below(100_000_000) as i64, 2)),
        });
    }
    fill_identities(&mut r, &mut rng);
    r.narrative = narrative(&mut rng);
    r
}

/// Makes every identity of the template hold, given random parts. Identities along a column
/// come first, skipping the column of row totals (the row sums settle it): one with a single
/// total cell takes the sum of its parts (（七）总计 = the result rows); one with several
/// (一 + 二 = （七）总计 + 四) splits its total side at random among its parts, the first part
/// taking what is left. Then every printed row's total is the sum of its parts.
fn fill_identities(r: &mut Report, rng: &mut Rng) {
    let t = r.template();
    let value = |r: &Report, cells: &[CellIx]| -> i64 {
        cells
            .iter()
            .map(|&c| r.cell(c).value.as_i128() as i64)
            .sum()
    };
    let mut row_total = vec![false; t.cells.len()];
    for id in &t.identities {
        if let Along::Row(_) = id.along {
            for &c in &id.total {
                row_total[c as usize] = true;
            }
        }
    }
    let columns: Vec<&Identity> = t
        .identities
        .iter()
        .filter(|id| matches!(id.along, Along::Column(_)))
        .filter(|id| !id.total.iter().any(|&c| row_total[c as usize]))
        .collect();
    for id in columns.iter().filter(|id| id.total.len() == 1) {
        r.cells[id.total[0] as usize] = Cell::int(value(r, &id.parts));
    }
    for id in columns.iter().filter(|id| id.total.len() > 1) {
        let mut left = value(r, &id.total);
        for &part in &id.parts[1..] {
            let n = rng.below(left as u64 + 1) as i64;
            r.cells[part as usize] = Cell::int(n);
            left -= n;
        }
        r.cells[id.parts[0] as usize] = Cell::int(left);
    }
    for id in &t.identities {
        if let Along::Row(row) = id.along {
            if row.presence == Presence::Always {
                r.cells[id.total[0] as usize] = Cell::int(value(r, &id.parts));
            }
        }
    }
}

fn narrative(rng: &mut Rng) -> Narrative {
    const WORDS: &[&str] = &[
        "主动公开",
        "依申请公开",
        "政府信息管理",
        "平台建设",
        "监督保障",
        "政策解读",
        "回应关切",
        "进一步",
        "加强",
        "完善",
        "制度",
        "工作",
        "群众",
        "办理",
    ];
    let sentence = |rng: &mut Rng| {
        let n = 3 + rng.below(8) as usize;
        let mut s: String = (0..n)
            .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
            .collect();
        s.push('。');
        s
    };
    let overview = Section {
        text: sentence(rng),
        subsections: (0..rng.below(4))
            .map(|i| Subsection {
                title: format!(
                    "（{}）{}",
                    ["一", "二", "三", "四"][i as usize],
                    sentence(rng)
                ),
                text: sentence(rng),
            })
            .collect(),
    };
    Narrative {
        preamble: sentence(rng),
        overview,
        problems: Section {
            text: sentence(rng),
            subsections: Vec::new(),
        },
        other: Section {
            text: if rng.below(2) == 0 {
                String::new()
            } else {
                sentence(rng)
            },
            subsections: Vec::new(),
        },
    }
}

/// Prints every variant row instead of the rows it stands for (e.g. a 2021-edition report with
/// the single 2019-style （六）其他处理 row), holding their sum. The identities still hold.
pub fn use_variant_rows(r: &mut Report) {
    let t = r.template();
    for v in &t.variants {
        for (k, ix) in v.own.cells.clone().enumerate() {
            let mut sum = 0i64;
            for other in &v.stands_for {
                let cell = other.cells.start + k as CellIx;
                sum += r.cell(cell).value.as_i128() as i64;
                r.cells[cell as usize] = Cell::ABSENT;
            }
            r.cells[ix as usize] = Cell::int(sum);
        }
    }
}
