//! Region analysis through the real gxctl against a real gxd: a synthetic county of 40
//! bodies filed for two years, three anomalies planted, `gxctl analyze` finds them.

use std::fmt::Write as _;

use gx::analysis::synth::{plant, region};
use gx::analysis::Check;
use gx::files::{self, Format};

use crate::support::Served;

const ROOT: &str = "R-ROOT";

#[tokio::test(flavor = "multi_thread")]
async fn analyze_finds_what_was_planted_in_a_county() {
    let served = Served::start();
    let mut r = region(40, 2023, 5, false);
    let planted = [
        (0, Check::CopiedNarrative),
        (1, Check::YoyJump),
        (6, Check::UnitMixUp),
    ];
    for (b, check) in planted {
        plant(&mut r.entries[b], check);
    }
    let mut csv = format!("id,name,level,parent\n{ROOT},测试县,县,\n");
    for e in &r.entries {
        writeln!(csv, "{},{},{},{ROOT}", e.id, e.name, e.level.chinese()).unwrap();
    }
    std::fs::write(served.dir().join("bodies.csv"), csv).unwrap();
    served.exits(&["org", "import", "bodies.csv"], 0);
    for year in [2022, 2023] {
        let mut paths = Vec::new();
        for e in &r.entries {
            let report = if year == 2023 {
                &e.current
            } else {
                e.previous.as_ref().expect("last year")
            };
            let path = served.dir().join(format!("{}-{year}.json", e.id));
            std::fs::write(&path, files::write(report, Format::Json)).unwrap();
            paths.push(path.display().to_string());
        }
        served.ctl().arg("submit").args(&paths).assert().code(0);
    }

    let a = served.json(&["analyze", ROOT, "2023", "-o", "json"]);
    assert_eq!(a["bodies"], 40, "{a}");
    assert_eq!(a["descendants"], 40);
    let findings = a["findings"].as_array().expect("findings");
    for (b, check) in planted {
        let id = &r.entries[b].id;
        assert!(
            findings
                .iter()
                .any(|f| f["org_id"] == id.as_str() && f["check"] == check.name()),
            "{check:?} on {id} not found: {a}"
        );
    }
    let flagged: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["org_id"].as_str())
        .collect();
    assert!(flagged.len() <= 3, "{flagged:?}");
    for f in findings {
        assert!(f["message"].as_str().unwrap_or("").starts_with("说明："));
        assert!(f["evidence"]["threshold_name"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
    }
    assert_eq!(a["rankings"].as_array().map(Vec::len), Some(15));

    // For people: one aligned table, the planted bodies in it.
    let text = served.text(&["analyze", ROOT, "2023"]);
    assert!(
        text.contains("40 reports analyzed of 40 bodies below"),
        "{text}"
    );
    for (b, check) in planted {
        assert!(text.contains(&r.entries[b].id) && text.contains(check.name()));
    }
    let y = served.text(&["analyze", ROOT, "2023", "-o", "yaml"]);
    assert!(y.contains("flagged:"));
    served.complains(&["analyze", "NOBODY", "2023"], 3, "no reporting body");
    served.gxd.stop().await;
}
