//! Synthetic reports for tests and benchmarks: random, but consistent — every identity of the
//! template holds — and reproducible from a seed.

use rust_decimal::Decimal;

use crate::model::{Cell, Narrative, Org, Report, Section, Subsection, Value};
use crate::template::{Edition, Kind, Presence};

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
    let set = |r: &mut Report, key: String, n: i64| r.set(&key, Cell::int(n));
    let get = |r: &Report, key: &str| r.get(key).map_or(0, |c| c.value.as_i128() as i64);
    // Table 3: results rows are free; forward free; carried ≤ results_total + forward.
    let table3 = t.table("t3").expect("table 3");
    let block = &table3.blocks[0];
    let result_rows: Vec<&str> = table3
        .sums
        .iter()
        .find(|s| s.total == ["results_total"])
        .map(|s| s.parts.clone())
        .unwrap_or_default();
    let applicant: Vec<&str> = block.columns[..6].iter().map(|c| c.key).collect();
    for col in &applicant {
        let results: i64 = result_rows
            .iter()
            .map(|row| get(&r, &format!("t3.{row}.{col}")))
            .sum();
        set(&mut r, format!("t3.results_total.{col}"), results);
        let forward = get(&r, &format!("t3.forward.{col}"));
        let carried = rng.below((results + forward) as u64 + 1) as i64;
        set(&mut r, format!("t3.carried.{col}"), carried);
        set(&mut r, format!("t3.new.{col}"), results + forward - carried);
    }
    for row in &block.rows {
        if row.presence != Presence::Always {
            continue;
        }
        let total: i64 = applicant
            .iter()
            .map(|col| get(&r, &format!("t3.{}.{col}", row.key)))
            .sum();
        set(&mut r, format!("t3.{}.total", row.key), total);
    }
    // Table 4: each group's total is the sum of its parts.
    let table4 = t.table("t4").expect("table 4");
    for row in &table4.blocks[0].rows {
        let parts: i64 = table4.blocks[0].columns[..4]
            .iter()
            .map(|c| get(&r, &format!("t4.{}.{}", row.key, c.key)))
            .sum();
        set(&mut r, format!("t4.{}.total", row.key), parts);
    }
    r.narrative = narrative(&mut rng);
    r
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
    for table in &t.tables {
        for row in table.blocks.iter().flat_map(|b| &b.rows) {
            let Presence::InsteadOf(others) = row.presence else {
                continue;
            };
            for ix in t.row_cells(&format!("{}.{}", table.key, row.key)) {
                let col = t.cell(ix).column.key;
                let mut sum = 0i64;
                for other in others.iter() {
                    let key = format!("{}.{other}.{col}", table.key);
                    sum += r.get(&key).map_or(0, |c| c.value.as_i128() as i64);
                    r.set(&key, Cell::ABSENT);
                }
                r.cells[ix as usize] = Cell::int(sum);
            }
        }
    }
}
