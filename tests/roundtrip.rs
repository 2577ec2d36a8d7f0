//! The round trip: for any report, `import(render(report, f)) == report` in every format —
//! every cell, the edition, name, year and the narrative sections.

use gx::files::{self, Format as FileFormat};
use gx::import::{import, ImportOptions};
use gx::render::{render, Format};
use gx::synth;
use gx::template::Edition;
use gx::Report;
use proptest::prelude::*;

use crate::support::sample;

fn round_trip(r: &Report, f: Format) -> Result<(), String> {
    let text = render(r, f);
    let opts = ImportOptions {
        name_hint: Some(format!("report.{}", f.extension())),
        org_id: r.org.id.clone(),
        ..Default::default()
    };
    let got = import(text.as_bytes(), &opts).map_err(|e| format!("{f:?}: {e}"))?;
    if !got.is_complete() {
        return Err(format!("{f:?}: unreadable cells {:?}", got.unreadable));
    }
    let back = &got.report;
    let (a, b) = (
        files::write(r, FileFormat::Cells),
        files::write(back, FileFormat::Cells),
    );
    if a != b {
        let line = a.lines().zip(b.lines()).find(|(x, y)| x != y);
        return Err(format!("{f:?}: cells differ, first at {line:?}"));
    }
    if back.narrative != r.narrative {
        return Err(format!(
            "{f:?}: narrative differs:\n{:#?}\n---\n{:#?}",
            r.narrative, back.narrative
        ));
    }
    if (back.edition, &back.org.name, back.year) != (r.edition, &r.org.name, r.year) {
        return Err(format!("{f:?}: metadata differs"));
    }
    Ok(())
}

#[test]
fn the_sample_round_trips_in_every_format() {
    let r = sample();
    for f in Format::ALL {
        round_trip(&r, f).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_reports_round_trip_in_every_format(
        seed in any::<u64>(),
        e in prop_oneof![Just(Edition::E2019), Just(Edition::E2021)],
    ) {
        let r = synth::consistent(e, seed);
        for f in Format::ALL {
            let outcome = round_trip(&r, f);
            prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
        }
    }
}
