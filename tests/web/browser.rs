//! The console in a real browser: headless Chromium driven over WebDriver by selenium
//! (`browser.py`), against a real gxd filled by [`County`]. Sign in, the board, a report
//! with a wrong total marked on its cell, the diff, and the county's reviewer returns it with
//! a reason and a note on the cell; the filer signs in, sees the reason, uploads the fixed
//! file; the reviewer accepts it and the board says so.
//!
//! Needs Debian's `chromium` and `chromium-driver` and python3 with venv (selenium from PyPI,
//! installed into a virtualenv under `target/tmp/`, rebuilt when `requirements.txt`
//! changes); `.ci/run` installs them. Without them the test says so and passes, unless
//! `GX_REQUIRE_TOOLS` is set. `GX_SCREENSHOTS=1` saves the board, the report and the diff
//! into `docs/` (the images docs/web.md shows).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{fixed, County};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The cached virtualenv with selenium: its interpreter.
fn python() -> PathBuf {
    let requirements = manifest().join("tests/web/requirements.txt");
    let text = std::fs::read_to_string(&requirements).expect("requirements.txt");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("py-web-{:016x}", h.finish()));
    let bin = venv.join("bin/python");
    if venv.join(".installed").exists() {
        return bin;
    }
    // Built aside and renamed into place: concurrent runs never see half a venv.
    let building = venv.with_extension(format!("building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let base = std::env::var("GX_PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        Command::new(&base).args(["-m", "venv"]).arg(&building),
        "creating the virtualenv (python3 with venv is required)",
    );
    run(
        Command::new(building.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
        "pip install of selenium",
    );
    std::fs::write(building.join(".installed"), "").expect("marker");
    if venv.exists() && !venv.join(".installed").exists() {
        let _ = std::fs::remove_dir_all(&venv);
    }
    if std::fs::rename(&building, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    bin
}

/// Whether the browser and its driver are here; without them the test is skipped, unless
/// tools are required (CI).
fn have_browser() -> bool {
    let here = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !here {
        assert!(
            std::env::var_os("GX_REQUIRE_TOOLS").is_none(),
            "{CHROMIUM} and {CHROMEDRIVER} are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: no {CHROMIUM} or {CHROMEDRIVER}");
    }
    here
}

#[tokio::test(flavor = "multi_thread")]
async fn in_chromium_sign_in_board_report_diff_return_upload_accept() {
    if !have_browser() {
        return;
    }
    let python = tokio::task::spawn_blocking(python).await.expect("venv");
    let county = County::start();
    let work = county.served.dir().to_path_buf();
    std::fs::write(
        work.join("fixed.json"),
        serde_json::to_vec_pretty(&fixed()).expect("JSON"),
    )
    .expect("fixed.json");
    let mut cmd = Command::new(&python);
    cmd.arg(manifest().join("tests/web/browser.py"))
        .arg(format!("http://{}", county.addr()))
        .arg(&work)
        // Tokens through the environment, never on a command line.
        .env("GX_REVIEWER", &county.reviewer)
        .env("GX_FILER", &county.filer)
        .env("GX_CHROMIUM", CHROMIUM)
        .env("GX_CHROMEDRIVER", CHROMEDRIVER)
        .env_remove("GX_SCREENSHOTS_DIR");
    if std::env::var_os("GX_SCREENSHOTS").is_some() {
        cmd.env("GX_SCREENSHOTS_DIR", manifest().join("docs"));
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("python runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("browser: all steps passed"),
        "the browser test failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    county.served.gxd.stop().await;
}
