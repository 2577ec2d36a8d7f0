//! A synthetic region for tests and benchmarks: bodies of three levels with two years of
//! consistent, ordinary reports (sizes spread over an order of magnitude, bounded changes
//! from year to year), and optionally planted anomalies of every kind the analysis looks for.

use rust_decimal::Decimal;

use super::{Check, Entry};
use crate::model::{Cell, Narrative, Org, Report, Value};
use crate::orgs::Level;
use crate::synth::{consistent, Rng};
use crate::template::{Edition, Presence};

/// The region, and what was planted where (body id, the check that should find it).
#[derive(Debug, Clone)]
pub struct Region {
    pub entries: Vec<Entry>,
    pub planted: Vec<(String, Check)>,
}

/// A body's figures for one year.
#[derive(Debug, Clone)]
struct Profile {
    apps: f64,
    granted: f64,
    partial: f64,
    deny: f64,
    unable: f64,
    reject: f64,
    forward: f64,
    review: f64,
    litigation: f64,
    normative: f64,
    in_force: f64,
    licensing: f64,
    punishment: f64,
    coercion: f64,
    fees: f64,
}

fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * (rng.below(1_000_001) as f64 / 1_000_000.0)
}

/// log-uniform between `lo` and `hi`.
fn size(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    uniform(rng, lo.ln(), hi.ln()).exp()
}

fn profile(rng: &mut Rng, level: Level) -> Profile {
    let governing = level != Level::Township;
    let g = |rng: &mut Rng, lo, hi| if governing { size(rng, lo, hi) } else { 0.0 };
    Profile {
        apps: size(rng, 20.0, 200.0),
        granted: uniform(rng, 0.55, 0.7),
        partial: uniform(rng, 0.05, 0.1),
        deny: uniform(rng, 0.02, 0.05),
        unable: uniform(rng, 0.08, 0.14),
        reject: uniform(rng, 0.02, 0.05),
        forward: uniform(rng, 0.02, 0.05),
        review: size(rng, 1.0, 6.0),
        litigation: size(rng, 1.0, 4.0),
        normative: g(rng, 5.0, 30.0),
        in_force: g(rng, 40.0, 150.0),
        licensing: g(rng, 100.0, 2000.0),
        punishment: g(rng, 50.0, 800.0),
        coercion: g(rng, 20.0, 200.0),
        fees: g(rng, 20.0, 400.0),
    }
}

/// The next year's figures: counts change by at most ±30%, shares by at most ±2 points.
fn drift(p: &Profile, rng: &mut Rng) -> Profile {
    let mut c = |x: f64| x * uniform(rng, -0.3, 0.3).exp();
    let (apps, review, litigation) = (c(p.apps), c(p.review), c(p.litigation));
    let (normative, in_force, licensing) = (c(p.normative), c(p.in_force), c(p.licensing));
    let (punishment, coercion, fees) = (c(p.punishment), c(p.coercion), c(p.fees));
    let mut s = |x: f64| (x + uniform(rng, -0.02, 0.02)).max(0.0);
    Profile {
        apps,
        granted: s(p.granted),
        partial: s(p.partial),
        deny: s(p.deny),
        unable: s(p.unable),
        reject: s(p.reject),
        forward: s(p.forward),
        review,
        litigation,
        normative,
        in_force,
        licensing,
        punishment,
        coercion,
        fees,
    }
}

fn set(r: &mut Report, key: &str, v: Value) {
    if let Some(ix) = r.template().ix(key) {
        r.cells[ix as usize] = Cell::new(v);
    }
}

fn get(r: &Report, key: &str) -> i64 {
    r.template()
        .ix(key)
        .map_or(0, |ix| r.cell(ix).value.as_i128() as i64)
}

/// Sets a table-3 row: all of it from natural persons.
fn t3_row(r: &mut Report, row: &str, n: i64) {
    set(r, &format!("t3.{row}.natural"), Value::Int(n));
    set(r, &format!("t3.{row}.total"), Value::Int(n));
}

/// Sets a table-4 row: `decided` cases split among the results, `pending` pending.
fn t4_row(r: &mut Report, row: &str, decided: i64, corrected: i64, pending: i64) {
    let upheld = decided - corrected;
    set(r, &format!("t4.{row}.upheld"), Value::Int(upheld));
    set(r, &format!("t4.{row}.corrected"), Value::Int(corrected));
    set(r, &format!("t4.{row}.pending"), Value::Int(pending));
    set(r, &format!("t4.{row}.total"), Value::Int(decided + pending));
}

/// A consistent 2021-edition report of `p`, with `carried` applications from last year.
fn report(org: &Org, year: u32, p: &Profile, carried: i64, narrative: Narrative) -> Report {
    let mut r = Report::blank(org.clone(), year, Edition::E2021);
    let t = r.template();
    for (i, def) in t.cells.iter().enumerate() {
        if def.row.presence == Presence::Always {
            r.cells[i] = Cell::new(match def.kind() {
                crate::template::Kind::Amount => Value::Amount(Decimal::ZERO),
                _ => Value::Int(0),
            });
        }
    }
    let apps = p.apps.round() as i64;
    let all = apps + carried;
    let part = |share: f64| (all as f64 * share).round() as i64;
    let forward = part(p.forward);
    let (mut granted, partial, deny, unable, reject) = (
        part(p.granted),
        part(p.partial),
        part(p.deny),
        part(p.unable),
        part(p.reject),
    );
    let mut other = all - forward - granted - partial - deny - unable - reject;
    if other < 0 {
        // Rounded shares over 100%: the granted take the difference.
        granted = (granted + other).max(0);
        other = 0;
    }
    let handled = granted + partial + deny + unable + reject + other;
    t3_row(&mut r, "new", apps);
    t3_row(&mut r, "carried", carried);
    t3_row(&mut r, "granted", granted);
    t3_row(&mut r, "partial", partial);
    t3_row(&mut r, "deny_third_party", deny);
    t3_row(&mut r, "unable_not_held", unable);
    t3_row(&mut r, "reject_repeat", reject);
    t3_row(&mut r, "other_other", other);
    t3_row(&mut r, "results_total", handled);
    t3_row(&mut r, "forward", all - handled);
    let review = p.review.round() as i64;
    t4_row(&mut r, "review", review, review / 4, 0);
    t4_row(&mut r, "lit_direct", p.litigation.round() as i64, 0, 1);
    let int = |x: f64| Value::Int(x.round() as i64);
    set(&mut r, "t2.normative_docs.issued", int(p.normative));
    set(&mut r, "t2.normative_docs.in_force", int(p.in_force));
    set(&mut r, "t2.licensing.decisions", int(p.licensing));
    set(&mut r, "t2.punishment.decisions", int(p.punishment));
    set(&mut r, "t2.coercion.decisions", int(p.coercion));
    let fees = Decimal::new((p.fees * 100.0).round() as i64, 2);
    set(&mut r, "t2.admin_fees.amount", Value::Amount(fees));
    r.narrative = narrative;
    r
}

/// A narrative of its own for a body's year, naming the year.
fn narrative(org: &Org, year: u32, seed: u64) -> Narrative {
    let mut n = consistent(Edition::E2021, seed).narrative;
    n.preamble = format!(
        "{year}年，{}认真贯彻落实《中华人民共和国政府信息公开条例》。{}",
        org.name, n.preamble
    );
    n
}

fn level_of(b: usize) -> Level {
    match b % 10 {
        0..=5 => Level::Township,
        6..=8 => Level::Department,
        _ => Level::County,
    }
}

/// A region of `n` bodies with reports for `year` and the year before; with `plant`, three
/// bodies for each kind of anomaly (needs `n` ≥ 300).
pub fn region(n: usize, year: u32, seed: u64, plant: bool) -> Region {
    let mut rng = Rng::new(seed);
    let mut entries = Vec::with_capacity(n);
    for b in 0..n {
        let level = level_of(b);
        let org = Org {
            id: format!("R{b:06}"),
            name: format!("测试{}{b}", level.chinese()),
        };
        let before = profile(&mut rng, level);
        let now = drift(&before, &mut rng);
        let prev = report(
            &org,
            year - 1,
            &before,
            (before.apps * 0.03).round() as i64,
            narrative(&org, year - 1, rng.next_u64()),
        );
        let carried = get(&prev, "t3.forward.total");
        let mut current = report(
            &org,
            year,
            &now,
            carried,
            narrative(&org, year, rng.next_u64()),
        );
        chain_in_force(&prev, &mut current);
        entries.push(Entry {
            id: org.id.clone(),
            name: org.name.clone(),
            level,
            current,
            previous: Some(prev),
            explained: Vec::new(),
        });
    }
    let mut planted = Vec::new();
    if plant {
        plant_all(&mut entries, &mut planted);
    }
    Region { entries, planted }
}

/// Plants three anomalies of each kind, each on bodies of its own.
fn plant_all(entries: &mut [Entry], planted: &mut Vec<(String, Check)>) {
    let mut next = 0usize;
    for check in Check::ALL {
        let mut done = 0;
        while done < 3 && next < entries.len() {
            let b = next;
            next += 1;
            let e = &mut entries[b];
            // Department-only plants go on departments.
            let wants_dept = matches!(check, Check::PeerOutlier | Check::UnitMixUp);
            if wants_dept && e.level != Level::Department {
                continue;
            }
            plant(e, check);
            planted.push((e.id.clone(), check));
            done += 1;
        }
    }
}

/// This year's 行政规范性文件现行有效件数: last year's plus those issued (none repealed), as
/// the cross-year check of gxd wants.
fn chain_in_force(prev: &Report, current: &mut Report) {
    const IN_FORCE: &str = "t2.normative_docs.in_force";
    let n = get(prev, IN_FORCE) + get(current, "t2.normative_docs.issued");
    set(current, IN_FORCE, Value::Int(n));
}

/// Plants an anomaly of the kind `check` finds on `e`.
pub fn plant(e: &mut Entry, check: Check) {
    plant_only(e, check);
    if let Some(prev) = e.previous.as_ref() {
        if check != Check::IdenticalTables {
            chain_in_force(prev, &mut e.current);
        }
    }
}

fn plant_only(e: &mut Entry, check: Check) {
    let org = e.current.org.clone();
    let year = e.current.year;
    let Some(prev) = e.previous.as_mut() else {
        return;
    };
    let mut rng = Rng::new(year as u64 + e.id.len() as u64);
    let base = profile(&mut rng, e.level);
    match check {
        Check::YoyJump => {
            let busy = Profile {
                apps: 400.0,
                ..base.clone()
            };
            *prev = report(&org, year - 1, &busy, 12, prev.narrative.clone());
            let quiet = Profile { apps: 6.0, ..base };
            let carried = get(prev, "t3.forward.total");
            e.current = report(&org, year, &quiet, carried, e.current.narrative.clone());
        }
        Check::PeerOutlier => {
            let closed = Profile {
                granted: 0.0,
                partial: 0.0,
                unable: 0.6,
                ..base
            };
            let carried = get(prev, "t3.forward.total");
            e.current = report(&org, year, &closed, carried, e.current.narrative.clone());
        }
        Check::IdenticalTables => {
            e.current.cells = prev.cells.clone();
        }
        Check::CopiedNarrative => {
            let text = |s: &str| s.replace(&(year - 1).to_string(), &year.to_string());
            let mut n = prev.narrative.clone();
            n.preamble = text(&n.preamble);
            e.current.narrative = n;
        }
        Check::BlankCells => {
            set(&mut e.current, "t3.new.commercial", Value::Blank);
            set(&mut e.current, "t4.review.other", Value::Blank);
        }
        Check::ZeroAfterBusyYear => {
            let busy = Profile {
                apps: 150.0,
                ..base.clone()
            };
            *prev = report(&org, year - 1, &busy, 5, prev.narrative.clone());
            let none = Profile { apps: 0.0, ..base };
            e.current = report(&org, year, &none, 0, e.current.narrative.clone());
            let t = e.current.template();
            for (i, d) in t.cells.iter().enumerate() {
                if t.tables[d.table as usize].number == 3 && d.row.presence == Presence::Always {
                    e.current.cells[i] = Cell::int(0);
                }
            }
            // Last year's forward was carried into nothing: explained, so this plant is the
            // empty table alone.
            e.explained.push(crate::crossyear::CARRY.to_string());
        }
        Check::CarryBreak => {
            let carried = get(prev, "t3.forward.total") + 7;
            let now = drift(&base, &mut rng);
            e.current = report(&org, year, &now, carried, e.current.narrative.clone());
        }
        Check::PublishedWithErrors => {
            let n = get(&e.current, "t3.results_total.total");
            set(&mut e.current, "t3.results_total.total", Value::Int(n + 5));
        }
        Check::UnitMixUp => {
            set(
                &mut e.current,
                "t2.admin_fees.amount",
                Value::Amount(Decimal::new(1_500_000, 0)),
            );
        }
    }
}
