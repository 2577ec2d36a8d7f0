//! The narrative against the tables (`NT-*`): measured on the labelled set, property tests on
//! generated narratives, and the findings through gxctl and gxd.

use std::collections::BTreeMap;

use gx::model::{parse_value, Cell, Org, Value};
use gx::narrative;
use gx::template::narrative::QUANTITIES;
use gx::template::{Edition, Kind};
use gx::Report;
use proptest::prelude::*;

use crate::support::{fixture, gxctl, json_of, Served};

/// One line of `tests/fixtures/narrative/labelled.tsv`.
struct Labelled {
    edition: Edition,
    source: String,
    /// (quantity or claim id, whether the tables contradict it)
    expected: Vec<(String, bool)>,
    cells: Vec<(String, String)>,
    sentence: String,
}

fn labelled() -> Vec<Labelled> {
    let text = std::fs::read_to_string(fixture("narrative/labelled.tsv")).expect("labelled set");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "five fields: {l}");
            fn list(s: &str) -> Vec<&str> {
                if s == "-" {
                    Vec::new()
                } else {
                    s.split([',', ' ']).filter(|x| !x.is_empty()).collect()
                }
            }
            Labelled {
                edition: Edition::from_number(f[0].parse().expect("edition")).expect("edition"),
                source: f[1].to_string(),
                expected: list(f[2])
                    .into_iter()
                    .map(|e| match e.strip_suffix('!') {
                        Some(id) => (id.to_string(), true),
                        None => (e.to_string(), false),
                    })
                    .collect(),
                cells: list(f[3])
                    .into_iter()
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("key=value");
                        (k.to_string(), v.to_string())
                    })
                    .collect(),
                sentence: f[4].to_string(),
            }
        })
        .collect()
}

/// A report of `edition` whose printed cells are all 0 but `cells`, with `text` as its
/// 一、总体情况.
fn report_with(edition: Edition, cells: &[(String, String)], text: &str) -> Report {
    let year = if edition == Edition::E2019 {
        2020
    } else {
        2022
    };
    let org = Org {
        id: "620000001".into(),
        name: "测试镇".into(),
    };
    let mut r = Report::blank(org, year, edition);
    let t = r.template();
    for (i, def) in t.cells.iter().enumerate() {
        if r.cells[i].value != Value::Absent {
            r.cells[i] = Cell::new(parse_value("0", def.kind()).expect("0"));
        }
    }
    for (k, v) in cells {
        let ix = t.ix(k).unwrap_or_else(|| panic!("{k} is no cell"));
        let kind: Kind = t.cell(ix).kind();
        r.set(k, Cell::new(parse_value(v, kind).expect("value")));
    }
    r.narrative.overview.text = text.to_string();
    r
}

/// True positives, false positives, false negatives of predicted ids against expected ids.
fn score(expected: &[String], predicted: &[String]) -> (usize, usize, usize) {
    let mut left: Vec<&String> = expected.iter().collect();
    let mut tp = 0;
    let mut fp = 0;
    for p in predicted {
        match left.iter().position(|e| *e == p) {
            Some(i) => {
                left.swap_remove(i);
                tp += 1;
            }
            None => fp += 1,
        }
    }
    (tp, fp, left.len())
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

#[derive(Default)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Tally {
    fn add(&mut self, (tp, fp, fn_): (usize, usize, usize)) {
        self.tp += tp;
        self.fp += fp;
        self.fn_ += fn_;
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

/// Precision and recall over the labelled set: of reading (which quantity each statement
/// names) and of finding contradictions. Run with `--nocapture` for the figures.
#[test]
fn labelled_set_precision_and_recall() {
    let set = labelled();
    let (mut reading, mut finding) = (Tally::default(), Tally::default());
    let mut met: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &set {
        let r = report_with(l.edition, &l.cells, &l.sentence);
        let read: Vec<String> = narrative::read(&r)
            .iter()
            .map(|s| s.id().to_string())
            .collect();
        let flagged: Vec<String> = narrative::findings(&r)
            .iter()
            .map(|(s, _)| s.id().to_string())
            .collect();
        let expected: Vec<String> = l.expected.iter().map(|(id, _)| id.clone()).collect();
        let contradicted: Vec<String> = l
            .expected
            .iter()
            .filter(|(_, c)| *c)
            .map(|(id, _)| id.clone())
            .collect();
        let (r_score, f_score) = (score(&expected, &read), score(&contradicted, &flagged));
        if r_score.1 + r_score.2 + f_score.1 + f_score.2 > 0 {
            println!(
                "[{}] {}\n  expected {expected:?} read {read:?}; contradicted {contradicted:?} flagged {flagged:?}",
                l.source, l.sentence
            );
        }
        for id in &read {
            *met.entry(
                QUANTITIES
                    .iter()
                    .find(|q| q.id == id)
                    .map_or("claim", |q| q.id),
            )
            .or_default() += 1;
        }
        reading.add(r_score);
        finding.add(f_score);
    }
    println!(
        "labelled set: {} sentences, {} statements, {} contradictions",
        set.len(),
        set.iter().map(|l| l.expected.len()).sum::<usize>(),
        set.iter().flat_map(|l| &l.expected).filter(|e| e.1).count()
    );
    println!(
        "reading:  precision {:.3} recall {:.3} (tp {} fp {} fn {})",
        reading.precision(),
        reading.recall(),
        reading.tp,
        reading.fp,
        reading.fn_
    );
    println!(
        "findings: precision {:.3} recall {:.3} (tp {} fp {} fn {})",
        finding.precision(),
        finding.recall(),
        finding.tp,
        finding.fp,
        finding.fn_
    );
    println!("statements read per quantity: {met:?}");
    for (what, t) in [("reading", &reading), ("findings", &finding)] {
        assert!(
            t.precision() >= 0.98,
            "{what}: precision {:.3}",
            t.precision()
        );
        assert!(t.recall() >= 0.80, "{what}: recall {:.3}", t.recall());
    }
}

/// The usual phrasings of reports, one per quantity: the sentence with `{}` for the figure.
const USUAL: &[(&str, &str)] = &[
    ("new", "全年共收到政府信息公开申请{}件"),
    ("carried", "上年结转{}件"),
    ("granted", "其中予以公开{}件"),
    ("partial", "部分公开{}件"),
    ("granted_partial", "予以公开及部分公开{}件"),
    ("deny", "不予公开{}件"),
    ("unable", "无法提供{}件"),
    ("reject", "不予处理{}件"),
    ("other", "其他处理{}件"),
    ("handled", "共办结政府信息公开申请{}件"),
    ("forward", "结转下年度继续办理{}件"),
    ("review", "发生政府信息公开行政复议{}件"),
    ("litigation", "行政诉讼{}件"),
    ("licensing", "全年作出行政许可决定{}件"),
    ("punishment", "作出行政处罚决定{}件"),
    ("coercion", "实施行政强制措施{}件"),
    ("normative_issued", "本年度制发行政规范性文件{}件"),
    ("normative_in_force", "现行有效行政规范性文件{}件"),
    ("normative_made", "本年新制作规范性文件{}件"),
];

/// A count as reports write it: digits, or Chinese numerals for small ones.
fn written(n: i64, chinese: bool) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 if chinese => D[n as usize].to_string(),
        10..=99 if chinese => format!(
            "{}十{}",
            if n / 10 == 1 {
                ""
            } else {
                D[(n / 10) as usize]
            },
            if n % 10 == 0 {
                ""
            } else {
                D[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

/// The sentences of a narrative generated from the report's cells: (quantity id, value,
/// sentence with `{}`) for each usual phrasing the mask picks.
fn usual_sentences(r: &Report, mask: u32) -> Vec<(&'static str, i64, &'static str)> {
    USUAL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .filter_map(|(_, &(id, s))| {
            let q = QUANTITIES.iter().find(|q| q.id == id)?;
            if !q.editions.contains(&r.edition) {
                return None;
            }
            let v = narrative::value(r, q)?;
            Some((id, i64::try_from(v.mantissa()).ok()?, s))
        })
        .collect()
}

fn narrative_of(
    parts: &[(&str, i64, &str)],
    chinese: bool,
    changed: Option<(usize, i64)>,
) -> String {
    let mut text = String::from("全年主动公开政府信息1865条。");
    for (k, (_, v, s)) in parts.iter().enumerate() {
        let v = match changed {
            Some((at, d)) if at == k => v + d,
            _ => *v,
        };
        text.push_str(&s.replace("{}", &written(v, chinese)));
        text.push('。');
    }
    text
}

fn nt_findings(r: &Report) -> Vec<gx::Finding> {
    gx::validate(r)
        .findings
        .into_iter()
        .filter(|f| f.rule.starts_with("NT-"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A narrative generated from consistent cells in the usual phrasings agrees with the
    /// tables; one number changed in the text gives exactly one finding, on that quantity.
    #[test]
    fn generated_narratives(
        seed in any::<u64>(),
        e2021 in any::<bool>(),
        mask in 1u32..(1 << USUAL.len()),
        chinese in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        delta in prop_oneof![1i64..=30, -30i64..=-1],
    ) {
        let edition = if e2021 { Edition::E2021 } else { Edition::E2019 };
        let mut r = gx::synth::consistent(edition, seed);
        let parts = usual_sentences(&r, mask);
        prop_assume!(!parts.is_empty());
        r.narrative.overview.text = narrative_of(&parts, chinese, None);
        prop_assert_eq!(nt_findings(&r), vec![]);

        let at = pick.index(parts.len());
        prop_assume!(parts[at].1 + delta >= 0);
        r.narrative.overview.text = narrative_of(&parts, chinese, Some((at, delta)));
        let found = nt_findings(&r);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        let q = QUANTITIES.iter().find(|q| q.id == parts[at].0).expect("quantity");
        prop_assert_eq!(&found[0].rule, "NT-FIGURE");
        prop_assert_eq!(found[0].expected.clone(), Some(parts[at].1.to_string()));
        let named = |c: &String| q.cells.iter().any(|k| {
            let (prefix, col) = k.split_once("*.").unwrap_or((k, ""));
            c.starts_with(prefix) && c.ends_with(col)
        });
        prop_assert!(found[0].cells.iter().all(named), "{:?}", found[0].cells);
    }
}

/// The case: 「予以公开及部分公开258件」 while table 3 shows 272 + 3 — one NT finding
/// naming both cells, with the sentence quoted; the report stays valid.
#[test]
fn gxctl_validate_finds_the_contradiction() {
    let file = fixture("narrative/contradicted-2021.json");
    let out = json_of(gxctl().arg("validate").arg(&file).args(["-o", "json"]));
    let findings = out[0]["findings"].as_array().expect("findings");
    let nt: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("NT-")))
        .collect();
    assert_eq!(nt.len(), 1, "{findings:#?}");
    assert_eq!(out[0]["valid"], true);
    let f = nt[0];
    assert_eq!(f["rule"], "NT-FIGURE");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["cells"],
        serde_json::json!(["t3.granted.total", "t3.partial.total"])
    );
    assert_eq!(
        (f["expected"].as_str(), f["actual"].as_str()),
        (Some("275"), Some("258"))
    );
    let message = f["message"].as_str().expect("message");
    assert!(
        message.contains(
            "「全年共收到政府信息公开申请859件，予以公开及部分公开258件，无法提供584件」"
        ),
        "{message}"
    );
    assert!(message.starts_with("一、总体情况"), "{message}");
    assert!(
        message.contains("表三「（一）予以公开」行「总计」列"),
        "{message}"
    );
}

/// The seed sample's narrative states no figure of the tables: no NT finding.
#[test]
fn the_seed_sample_has_no_nt_finding() {
    assert_eq!(nt_findings(&crate::support::sample()), vec![]);
    let bytes = std::fs::read(fixture("gucheng-town-2020.scraped.txt")).expect("seed");
    let imported = gx::import::import_bytes(&bytes, None).expect("imports");
    assert_eq!(nt_findings(&imported.report), vec![]);
}

/// 「同比增长20%」 against last year's file: 859 → 1000 is 16.41%.
#[test]
fn gxctl_validate_checks_a_change_against_last_year() {
    let out = json_of(
        gxctl()
            .arg("validate")
            .arg(fixture("narrative/yoy-2022.json"))
            .arg("--previous")
            .arg(fixture("narrative/contradicted-2021.json"))
            .args(["-o", "json"]),
    );
    let rules: Vec<&str> = crate::support::each(&out[0]["findings"], "rule");
    assert_eq!(rules, ["NT-YOY"]);
    let f = &out[0]["findings"][0];
    assert_eq!(f["cells"], serde_json::json!(["t3.new.total"]));
    assert_eq!(
        (f["expected"].as_str(), f["actual"].as_str()),
        (Some("16.41"), Some("20"))
    );
}

/// On submit the NT findings are stored as warnings (never blocking); get shows them, the
/// board counts them, and a change from last year is checked against the stored report.
#[tokio::test(flavor = "multi_thread")]
async fn submit_stores_nt_warnings() {
    let served = Served::start();
    served.register_the_town();
    let v2021 = fixture("narrative/contradicted-2021.json");
    let v2022 = fixture("narrative/yoy-2022.json");
    served.exits(&["submit", &v2021.display().to_string()], 0);
    served.exits(&["submit", &v2022.display().to_string()], 0);
    let got = served.json(&["get", "621024101", "2021", "-o", "json"]);
    let rules: Vec<&str> = crate::support::each(&got["revision"]["warnings"], "rule");
    assert_eq!(rules, ["NT-FIGURE"]);
    let got = served.json(&["get", "621024101", "2022", "-o", "json"]);
    let rules: Vec<&str> = crate::support::each(&got["revision"]["warnings"], "rule");
    assert_eq!(rules, ["NT-YOY"]);
    let board = served.json(&["--org", "621024101", "status", "2021", "-o", "json"]);
    let own = &board["own"];
    assert_eq!(
        (own["warnings"].clone(), own["unexplained"].clone()),
        (serde_json::json!(1), serde_json::json!(["NT-FIGURE"])),
        "{board:#}"
    );
    // diff shows the narrative figures that changed beside the cells, served as offline.
    let remote = served.json(&["--org", "621024101", "diff", "2021", "2022", "-o", "json"]);
    let local = json_of(
        gxctl()
            .arg("diff")
            .arg(&v2021)
            .arg(&v2022)
            .args(["-o", "json"]),
    );
    assert_eq!(remote["figures"], local["figures"]);
    let new = crate::support::find(&remote["figures"], "quantity", "new");
    assert_eq!(
        (new["old"].as_str(), new["new"].as_str()),
        (Some("859件"), Some("1000件"))
    );
    served.gxd.stop().await;
}
