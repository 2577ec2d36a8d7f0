//! Real published reports as a crawler stored them (cells run together, `tests/fixtures/real/`):
//! each imports with its year, edition and body name; its cells are read or deduced from the
//! identities, and what is left unreadable is exactly what no identity fixes. The tests expect
//! what the reports print, never a corrected value. Then damaged rows: deduced only when one
//! placement stands, never a wrong value (a property test over consistent reports).

use std::collections::BTreeSet;

use gx::import::{import, ImportOptions, Imported};
use gx::render::{render, Format};
use gx::synth;
use gx::template::Edition;
use gx::Value;
use proptest::prelude::*;

use crate::support::fixture;

fn import_real(name: &str) -> Imported {
    let path = fixture(&format!("real/{name}"));
    let bytes = std::fs::read(&path).expect("fixture");
    import(
        &bytes,
        &ImportOptions {
            name_hint: Some(name.to_string()),
            org_id: "350128".into(),
            ..Default::default()
        },
    )
    .expect("imports")
}

fn ints(r: &Imported, keys: &[&str]) -> Vec<Option<i64>> {
    keys.iter()
        .map(|k| match r.report.get(k).map(|c| c.value) {
            Some(Value::Int(n)) => Some(n),
            _ => None,
        })
        .collect()
}

/// The cells of a row, in template order.
fn row(r: &Imported, row: &str) -> Vec<Option<i64>> {
    let t = r.report.template();
    let keys: Vec<String> = t.row_cells(row).map(|ix| t.cell(ix).key.clone()).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    ints(r, &keys)
}

fn unreadable(r: &Imported) -> BTreeSet<String> {
    r.unreadable.iter().map(|u| u.key.clone()).collect()
}

fn prefixed(prefixes: &[&str], r: &Imported) -> BTreeSet<String> {
    let t = r.report.template();
    t.cells
        .iter()
        .map(|c| c.key.clone())
        .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
        .collect()
}

fn some(v: &[i64]) -> Vec<Option<i64>> {
    v.iter().copied().map(Some).collect()
}

#[test]
fn every_real_sample_has_its_year_edition_and_name() {
    for (file, year, edition) in [
        ("2019-pingtan-zone.txt", 2019, Edition::E2019),
        ("2021-pingtan-zone.txt", 2021, Edition::E2021),
        ("2023-pingtan-zone.txt", 2023, Edition::E2021),
        ("2025-pingtan-zone.txt", 2025, Edition::E2021),
    ] {
        let r = import_real(file);
        assert_eq!(r.report.year, year, "{file}");
        assert_eq!(r.edition, edition, "{file}");
        assert_eq!(r.report.org.name, "平潭综合实验区", "{file}");
        // Every deduced cell says how: the identities that fixed it, or the one split.
        assert!(r
            .summary()
            .lines()
            .filter(|l| l.starts_with("推断："))
            .all(|l| l.contains("按")));
        // Whatever was placed satisfies the rules: no identity of the report fails.
        let verdict = gx::validate(&r.report);
        assert!(verdict.is_valid(), "{file}: {:?}", verdict.findings);
    }
}

#[test]
fn pingtan_2021_prints_what_is_deduced_and_no_more() {
    let r = import_real("2021-pingtan-zone.txt");
    assert_eq!(row(&r, "t3.new"), some(&[64, 0, 0, 2, 0, 4, 70]));
    assert_eq!(row(&r, "t3.results_total"), some(&[63, 0, 0, 2, 0, 4, 69]));
    assert_eq!(row(&r, "t3.forward"), some(&[1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(
        ints(&r, &["t2.licensing.decisions", "t2.coercion.decisions"]),
        some(&[2293, 42])
    );
    // 行政规范性文件693665: no identity involves the row; table 4's run 10203120001200000
    // fits 121 placements once blanks may have been lost.
    let expected = prefixed(&["t2.normative_docs.", "t4."], &r);
    assert_eq!(unreadable(&r), expected);
    let u = r
        .unreadable
        .iter()
        .find(|u| u.key.starts_with("t4."))
        .unwrap();
    assert!(u.reason.contains("121种拆分"), "{}", u.reason);
    assert_eq!(u.text.as_deref(), Some("10203120001200000"));
}

#[test]
fn pingtan_2023_and_2025_table_4_runs_are_deduced() {
    let r = import_real("2023-pingtan-zone.txt");
    let t4 = |r: &Imported| {
        let mut v = row(r, "t4.review");
        v.extend(row(r, "t4.lit_direct"));
        v.extend(row(r, "t4.lit_after_review"));
        v
    };
    assert_eq!(t4(&r), some(&[1, 1, 0, 0, 2, 4, 0, 0, 1, 5, 1, 0, 1, 0, 2]));
    let d = r
        .deduced
        .iter()
        .find(|d| d.key == "t4.review.total")
        .unwrap();
    assert_eq!(d.printed, "110024001510102");
    assert!(
        d.identities.iter().any(|i| i.starts_with("T4-SUM")),
        "{d:?}"
    );
    assert_eq!(row(&r, "t3.new"), some(&[80, 1, 0, 0, 0, 0, 81]));
    assert_eq!(unreadable(&r), prefixed(&["t2.normative_docs."], &r));

    let r = import_real("2025-pingtan-zone.txt");
    assert_eq!(
        t4(&r),
        some(&[25, 3, 8, 0, 36, 3, 3, 0, 0, 6, 3, 0, 0, 0, 3])
    );
    assert_eq!(row(&r, "t3.new"), some(&[151, 3, 0, 0, 0, 0, 154]));
    assert_eq!(row(&r, "t3.forward"), some(&[4, 2, 0, 0, 0, 0, 6]));
    assert_eq!(unreadable(&r), prefixed(&["t2.normative_docs."], &r));
}

#[test]
fn pingtan_2019_stray_spaces_and_unsplittable_table_2() {
    let r = import_real("2019-pingtan-zone.txt");
    // 「230 000023」 and 「23 0 00 0 023」.
    assert_eq!(row(&r, "t3.new"), some(&[23, 0, 0, 0, 0, 0, 23]));
    assert_eq!(row(&r, "t3.results_total"), some(&[23, 0, 0, 0, 0, 0, 23]));
    let expected = prefixed(
        &[
            "t2.normative_docs.",
            "t2.licensing.",
            "t2.other_mgmt_services.",
            "t2.punishment.",
            "t2.coercion.",
            "t2.admin_fees.",
            "t2.central_procurement.",
        ],
        &r,
    );
    assert_eq!(unreadable(&r), expected);
}

/// The 2023 sample with table 4's run replaced by `t4`.
fn with_table4(t4: &str) -> Imported {
    let path = fixture("real/2023-pingtan-zone.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let damaged = text.replacen("110024001510102", t4, 1);
    assert_ne!(damaged, text);
    import(damaged.as_bytes(), &ImportOptions::default()).unwrap()
}

#[test]
fn a_table_4_row_that_lost_its_separators_gets_its_cells_back_marked_deduced() {
    // Printed with spaces lost in places: 「2 0 0 0 2 300 0 3 0 0 0 0 0」.
    let r = with_table4("2 0 0 0 2 300 0 3 0 0 0 0 0");
    let d: Vec<&str> = r
        .deduced
        .iter()
        .filter(|d| d.key.starts_with("t4."))
        .map(|d| d.key.as_str())
        .collect();
    assert_eq!(d.len(), 15, "{}", r.summary());
    assert_eq!(row(&r, "t4.review"), some(&[2, 0, 0, 0, 2]));
    assert_eq!(row(&r, "t4.lit_direct"), some(&[3, 0, 0, 0, 3]));
    assert!(r.summary().contains("推断：t4.review.upheld"));
}

#[test]
fn where_two_placements_fit_the_cells_stay_unreadable() {
    // Two numbers for fifteen columns: 1 could stand in any of a group's four parts.
    let r = with_table4("1 1");
    let keys = unreadable(&r);
    assert!(keys.contains("t4.review.upheld"), "{}", r.summary());
    let u = r
        .unreadable
        .iter()
        .find(|u| u.key.starts_with("t4."))
        .unwrap();
    assert!(u.reason.contains("种拆分"), "{}", u.reason);
    for k in keys.iter().filter(|k| k.starts_with("t4.")) {
        assert_ne!(r.report.get(k).unwrap().value, Value::Int(1), "{k}");
    }
}

/// A Markdown report with the values of its `n`th data row (counted from the tables) damaged:
/// `join` runs its cells together, else its blank cells are dropped.
fn damage(md: &str, n: usize, join: bool) -> Option<String> {
    let rows: Vec<usize> = md
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.starts_with('|')
                && l.split('|')
                    .filter(|c| c.trim().parse::<f64>().is_ok())
                    .count()
                    >= 3
        })
        .map(|(i, _)| i)
        .collect();
    let target = *rows.get(n % rows.len().max(1))?;
    let mut out = String::new();
    for (i, l) in md.lines().enumerate() {
        if i == target {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let numeric = |c: &&str| c.is_empty() || c.parse::<f64>().is_ok();
            let label_cells = cells.iter().take_while(|c| !numeric(c)).count();
            let (labels, values) = cells.split_at(label_cells);
            let values: Vec<&str> = if join {
                values.to_vec()
            } else {
                values.iter().copied().filter(|v| !v.is_empty()).collect()
            };
            let printed = if join {
                values.concat()
            } else {
                values.join(" | ")
            };
            let label = labels.join(" | ");
            out.push_str(&if label.is_empty() {
                format!("| {printed} |")
            } else {
                format!("| {label} | {printed} |")
            });
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    /// A consistent report, one row damaged: every cell comes back exactly or is unreadable.
    #[test]
    fn a_damaged_row_is_recovered_exactly_or_left_unreadable(
        seed in any::<u64>(),
        e in prop_oneof![Just(Edition::E2019), Just(Edition::E2021)],
        n in 0usize..64,
        join in any::<bool>(),
    ) {
        let report = synth::consistent(e, seed);
        let md = render(&report, Format::Markdown);
        let Some(damaged) = damage(&md, n, join) else { return Ok(()) };
        let opts = ImportOptions {
            name_hint: Some("report.md".into()),
            org_id: report.org.id.clone(),
            ..Default::default()
        };
        let got = import(damaged.as_bytes(), &opts).unwrap();
        let lost: BTreeSet<&str> = got.unreadable.iter().map(|u| u.key.as_str()).collect();
        let t = report.template();
        for (i, def) in t.cells.iter().enumerate() {
            if lost.contains(def.key.as_str()) {
                continue;
            }
            prop_assert_eq!(
                got.report.cells[i].value,
                report.cells[i].value,
                "{} wrong after damage:\n{}",
                def.key,
                got.summary()
            );
        }
    }
}

/// The sample township report (flat text scraped from its web page).
const SAMPLE: &str = "import/gucheng-town-2020.txt";

fn import_text(text: &str) -> Imported {
    import(text.as_bytes(), &ImportOptions::default()).expect("imports")
}

#[test]
fn damaged_text_title_over_lines_and_page_furniture_in_a_table() {
    let text = std::fs::read_to_string(fixture(SAMPLE)).unwrap();
    let clean = import_text(&text);
    assert!(clean.is_complete());
    // The title over three lines, its year in Chinese numerals with a space before 年.
    let title = "固城镇2020年度政府信息公开工作年度报告";
    let damaged = text.replacen(
        title,
        "固城镇\n\n二〇二〇 年度政府信息公开\n\n工作年度报告",
        1,
    );
    // A page break inside table 3: page number and the title as a running header.
    let damaged = damaged.replacen(
        "(一)予以公开",
        &format!("- 7 -\n\n{title}\n\n(一)予以公开"),
        1,
    );
    let r = import_text(&damaged);
    assert_eq!(
        (r.report.org.name.as_str(), r.report.year),
        ("固城镇", 2020)
    );
    assert!(r.is_complete(), "{}", r.summary());
    assert_eq!(r.report.cells, clean.report.cells);
    // Full-width digits in the year.
    let r = import_text(&text.replacen("2020年度政府", "２０２０年度政府", 1));
    assert_eq!(r.report.year, 2020);
}

/// The property above is not vacuous: over fixed seeds, joined rows are deduced (and still
/// never wrong).
#[test]
fn joined_rows_of_consistent_reports_are_deduced() {
    let (mut deduced, mut unreadable) = (0usize, 0usize);
    for seed in 0..24u64 {
        let e = if seed % 2 == 0 {
            Edition::E2019
        } else {
            Edition::E2021
        };
        let report = synth::consistent(e, seed);
        let md = render(&report, Format::Markdown);
        let damaged = damage(&md, seed as usize * 7, true).unwrap();
        assert_ne!(damaged, md);
        let opts = ImportOptions {
            name_hint: Some("report.md".into()),
            org_id: report.org.id.clone(),
            ..Default::default()
        };
        let got = import(damaged.as_bytes(), &opts).unwrap();
        deduced += got.deduced.len();
        unreadable += got.unreadable.len();
        for d in &got.deduced {
            let ix = report.template().ix(&d.key).unwrap() as usize;
            assert_eq!(
                got.report.cells[ix].value, report.cells[ix].value,
                "{}",
                d.key
            );
        }
    }
    assert!(deduced > 0, "no joined row was deduced");
    eprintln!("joined rows: {deduced} cells deduced, {unreadable} left unreadable");
}
