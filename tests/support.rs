//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

use gx::files::{self, Format};
use gx::Report;

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The sample report (固城镇 2020, 2019 edition), as transcribed in the JSON fixture.
pub fn sample() -> Report {
    let text = std::fs::read_to_string(fixture("gucheng-town-2020.json")).expect("fixture");
    files::parse(&text, Format::Json).expect("fixture parses")
}

/// The real gxctl binary.
pub fn gxctl() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_gxctl"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Writes `text` to a temporary file with the given extension.
pub fn temp_file(ext: &str, text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new()
        .suffix(&format!(".{ext}"))
        .tempfile()
        .expect("temp file");
    std::fs::write(f.path(), text).expect("write temp file");
    f
}
