//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

/// gxctl pointed at a running `gxd`, with its config file in `config_dir` (empty until a test
/// writes it) and no token, body or context from the environment: like gxctl on gxd's own
/// machine, it finds the bootstrap admin token in gxd's data directory.
pub fn gxctl_for(gxd: &crate::server::Gxd, config_dir: &Path) -> assert_cmd::Command {
    let mut cmd = gxctl();
    cmd.env("GX_SERVER", gxd.url())
        .env("GX_CONFIG", config_dir.join("config.yaml"))
        .env("GX_DATA", &gxd.data)
        .env_remove("GX_TOKEN")
        .env_remove("GX_ORG")
        .env_remove("GX_CONTEXT");
    cmd
}

/// gxctl with its own config file in `config_dir` and `token` as its bearer token.
pub fn gxctl_with_token(config_dir: &Path, token: &str) -> assert_cmd::Command {
    let mut cmd = gxctl();
    cmd.env("GX_CONFIG", config_dir.join("config.yaml"))
        .env("GX_TOKEN", token);
    cmd
}

/// Runs `cmd`, checks that it exits 0, and returns its standard output.
#[track_caller]
pub fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    String::from_utf8(cmd.assert().code(0).get_output().stdout.clone()).expect("UTF-8 output")
}

/// Runs `cmd`, checks that it exits 0, and reads its standard output as JSON.
#[track_caller]
pub fn json_of(cmd: &mut assert_cmd::Command) -> serde_json::Value {
    let out = stdout_of(cmd);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A JSON fixture as a document, to be edited by a test.
pub fn fixture_json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A running gxd with its data under a temporary directory, where gxctl keeps its config and
/// a test its files.
pub struct Served {
    pub gxd: crate::server::Gxd,
    pub dir: tempfile::TempDir,
}

impl Served {
    pub fn start() -> Served {
        let dir = tempfile::tempdir().expect("temp dir");
        let gxd = crate::server::start_in(&dir.path().join("data"));
        Served { gxd, dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// [`gxctl_for`] this gxd, run in the directory.
    pub fn ctl(&self) -> assert_cmd::Command {
        let mut cmd = gxctl_for(&self.gxd, self.dir());
        cmd.current_dir(self.dir());
        cmd
    }

    /// Runs gxctl with `args`; it must exit 0; its output read as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        json_of(self.ctl().args(args))
    }

    /// Runs gxctl with `args`; it must exit 0; its output.
    pub fn text(&self, args: &[&str]) -> String {
        stdout_of(self.ctl().args(args))
    }

    /// Writes `doc` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, doc: &serde_json::Value) -> String {
        let path = self.dir().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(doc).expect("JSON")).expect("write");
        path.display().to_string()
    }
}

impl Served {
    /// A report must name a registered body: registers the sample's 固城镇.
    pub fn register_the_town(&self) {
        self.exits(
            &[
                "org",
                "add",
                "621024101",
                "--name",
                "固城镇",
                "--level",
                "乡镇",
            ],
            0,
        );
    }

    /// Runs gxctl with `args`; checks its exit code and that its output contains `text`.
    pub fn says(&self, args: &[&str], code: i32, text: &str) {
        self.exits(args, code)
            .stdout(predicates::str::contains(text));
    }

    /// Runs gxctl with `args`; checks its exit code and that its standard error contains
    /// `text`.
    pub fn complains(&self, args: &[&str], code: i32, text: &str) {
        self.exits(args, code)
            .stderr(predicates::str::contains(text));
    }

    /// Runs gxctl with `args` and checks its exit code.
    pub fn exits(&self, args: &[&str], code: i32) -> assert_cmd::assert::Assert {
        self.ctl().args(args).assert().code(code)
    }
}

/// The string `field` of each element of a JSON array.
pub fn each<'a>(list: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|e| e[field].as_str().expect("a string"))
        .collect()
}

/// The element of a JSON array whose `field` is `value`.
pub fn find<'a>(list: &'a serde_json::Value, field: &str, value: &str) -> &'a serde_json::Value {
    list.as_array()
        .expect("an array")
        .iter()
        .find(|e| e[field] == value)
        .unwrap_or_else(|| panic!("no element with {field} {value:?} in {list}"))
}
