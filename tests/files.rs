//! Report files: JSON, YAML and the flat cell view read back what they write, and bad input is
//! rejected with the line and the key.

use gx::files::{self, Format};
use gx::synth;
use gx::template::Edition;
use proptest::prelude::*;

use crate::support::{fixture, sample};

#[test]
fn the_cells_fixture_is_the_json_fixture() {
    let text = std::fs::read_to_string(fixture("gucheng-town-2020.cells")).unwrap();
    let from_cells = files::parse(&text, Format::Cells).unwrap();
    let mut json = sample();
    json.narrative = Default::default();
    assert_eq!(from_cells, json);
    // And the cell view of the JSON fixture is the cells fixture, line for line.
    let view = files::write(&sample(), Format::Cells);
    for (i, (a, b)) in view.lines().zip(text.lines()).enumerate() {
        assert_eq!(a, b, "line {}", i + 1);
    }
    assert_eq!(view.lines().count(), text.lines().count());
}

#[test]
fn every_format_round_trips_the_sample() {
    let r = sample();
    for f in [Format::Json, Format::Yaml] {
        let text = files::write(&r, f);
        assert_eq!(files::parse(&text, f).unwrap(), r, "{f:?}");
    }
}

fn err(text: &str, f: Format) -> String {
    files::parse(text, f).unwrap_err().to_string()
}

/// Reading `text` as `f` fails with an error that starts with `at` and contains `says`.
#[track_caller]
fn assert_err_at(text: &str, f: Format, at: &str, says: &str) {
    let e = err(text, f);
    assert!(e.starts_with(at), "{e}");
    assert!(e.contains(says), "{e}");
}

#[test]
fn json_errors_name_line_and_key() {
    assert_err_at(
        "{\n  \"year\": 2020,\n  \"edition\": 2019,\n  \"t3\": {\"new\": {\"natrual\": 1}}\n}",
        Format::Json,
        "line 4,",
        "t3.new.natrual: unknown column; expected one of natural,",
    );

    // Each input, and what its error must say.
    for (text, says) in [
        (
            "{\"year\": 2020, \"year\": 2021}",
            &["duplicate", "`year`"][..],
        ),
        (
            "{\"year\": 2020, \"t4\": {\"review\": {\"total\": 1, \"total\": 2}}}",
            &["t4.review.total: given more than once"],
        ),
        (
            "{\"year\": 2020, \"t4\": {\"review\": {\"total\": 1.5}}}",
            &["t4.review.total: expected a whole number"],
        ),
        (
            "{\"year\": 2020, \"colour\": 1}",
            &["unknown field `colour`"],
        ),
        (
            "{\"year\": 2020, \"t3\": {\"other_other\": {}}}",
            &["t3.other_other: a row of the 2021 edition, not of the 2019 edition"],
        ),
        (
            "{\"year\": 2021, \"t2\": {\"admin_fees\": {\"amount\": \"NaN\"}}}",
            &["t2.admin_fees.amount: expected an exact decimal"],
        ),
        (
            "{\"year\": 2020, \"edition\": 2020}",
            &["unknown edition 2020"],
        ),
    ] {
        let e = err(text, Format::Json);
        for s in says {
            assert!(e.contains(s), "{text}: {e}");
        }
    }
}

#[test]
fn yaml_errors_name_line_and_key() {
    assert_err_at(
        "year: 2020\nedition: 2019\nt3:\n  new:\n    natural: abc\n",
        Format::Yaml,
        "line 5",
        "t3.new.natural: expected a number",
    );
    let e = err("year: 2020\nyear: 2021\n", Format::Yaml);
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn cells_errors_name_line_and_key() {
    let e = err(
        "year=2020\nedition=2019\nt3.new.natural=1\nt3.new.natural=2\n",
        Format::Cells,
    );
    assert_eq!(e, "line 4: t3.new.natural: given more than once");
    let e = err("year=2020\nt3.new.natral=1\n", Format::Cells);
    assert_eq!(e, "line 2: t3.new.natral: no such cell in the 2019 edition");
    let e = err("year=2020\nt3.new.natural=1.5\n", Format::Cells);
    assert_eq!(
        e,
        "line 2: t3.new.natural: expected a whole number, found \"1.5\""
    );
    let e = err("year=2020\njunk\n", Format::Cells);
    assert_eq!(e, "line 2: expected key=value, found \"junk\"");
    let e = err("year=2020\n# raw t3.new.natural=x\n", Format::Cells);
    assert_eq!(
        e,
        "line 2: t3.new.natural: raw text without a `t3.new.natural=` line"
    );
}

#[test]
fn cells_keep_blank_not_applicable_and_raw_apart() {
    let text = "year=2021\nedition=2021\norg.id=1\norg.name=某局\n\
                # raw t2.regulations.issued=22（其中修订16件）\nt2.regulations.issued=22\n\
                t2.regulations.repealed=\nt2.regulations.in_force=/\n";
    let r = files::parse(text, Format::Cells).unwrap();
    let view = files::write(&r, Format::Cells);
    assert!(
        view.contains("# raw t2.regulations.issued=22（其中修订16件）\nt2.regulations.issued=22\n")
    );
    assert!(view.contains("\nt2.regulations.repealed=\n"));
    assert!(view.contains("\nt2.regulations.in_force=/\n"));
    for f in [Format::Json, Format::Yaml, Format::Cells] {
        assert_eq!(files::parse(&files::write(&r, f), f).unwrap(), r, "{f:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_reports_round_trip(seed in any::<u64>(), e in prop_oneof![Just(Edition::E2019), Just(Edition::E2021)]) {
        let r = synth::consistent(e, seed);
        for f in [Format::Json, Format::Yaml] {
            prop_assert_eq!(&files::parse(&files::write(&r, f), f).unwrap(), &r);
        }
        let mut bare = r.clone();
        bare.narrative = Default::default();
        prop_assert_eq!(files::parse(&files::write(&r, Format::Cells), Format::Cells).unwrap(), bare);
    }
}
