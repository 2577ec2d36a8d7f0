//! Interop with a client no one here wrote: Python grpcio from PyPI.
//!
//! The test makes a virtualenv under `target/tmp/` (kept between runs, rebuilt when
//! `tests/interop/requirements.txt` changes), installs grpcio, grpcio-tools, grpcio-status
//! and grpcio-reflection into it, generates stubs from `proto/` with grpcio-tools, and runs
//! `tests/interop/client.py` against a real gxd. It needs `python3` with `venv` and access
//! to PyPI; `GX_PYTHON` names another interpreter.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;

use super::{data_dir, sample_pb, start_in};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The cached virtualenv's interpreter, created and installed on first use.
fn python() -> PathBuf {
    let requirements = manifest().join("tests/interop/requirements.txt");
    let text = std::fs::read_to_string(&requirements).expect("requirements.txt");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    let venv =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("py-interop-{:016x}", h.finish()));
    let bin = venv.join("bin/python");
    if venv.join(".installed").exists() {
        return bin;
    }
    // Built aside and renamed into place, so that concurrent test runs never see half a venv.
    // (Only `bin/python -m …` is used, which works from the moved directory.)
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
        "pip install of the interop requirements",
    );
    std::fs::write(building.join(".installed"), "").expect("marker");
    if venv.exists() && !venv.join(".installed").exists() {
        // Left by an interrupted run of older code.
        let _ = std::fs::remove_dir_all(&venv);
    }
    if std::fs::rename(&building, &venv).is_err() {
        // Another run finished first: use its venv.
        let _ = std::fs::remove_dir_all(&building);
    }
    assert!(
        venv.join(".installed").exists(),
        "no virtualenv at {}",
        venv.display()
    );
    bin
}

#[tokio::test]
async fn python_grpcio_submits_gets_lists_and_decodes_bad_request() {
    let python = tokio::task::spawn_blocking(python).await.expect("venv");
    let work = tempfile::tempdir().expect("temp dir");
    let stubs = work.path().join("stubs");
    std::fs::create_dir_all(&stubs).expect("stubs dir");
    run(
        Command::new(&python)
            .current_dir(manifest())
            .args(["-m", "grpc_tools.protoc", "-Iproto"])
            .arg(format!("--python_out={}", stubs.display()))
            .arg(format!("--grpc_python_out={}", stubs.display()))
            .args([
                "gx/v1/report.proto",
                "gx/v1/service.proto",
                "gx/v1/org.proto",
                "gx/v1/security.proto",
            ]),
        "generating Python stubs",
    );
    let report = work.path().join("report.bin");
    std::fs::write(&report, sample_pb().encode_to_vec()).expect("report.bin");

    let dir = data_dir();
    let gxd = start_in(dir.path());
    let addr = gxd.addr.to_string();
    let token = gxd.admin_token.clone().expect("the bootstrap admin token");
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(&python)
                .env("PYTHONIOENCODING", "utf-8")
                .arg(manifest().join("tests/interop/client.py"))
                .args(["--addr", &addr, "--token", &token, "--stubs"])
                .arg(&stubs)
                .arg("--report")
                .arg(&report)
                .arg("--example-json")
                .arg(manifest().join("examples/gucheng-town-2020.submit.json")),
            "the Python client",
        )
    })
    .await
    .expect("python");
    let v: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}): {out}"));

    // The grpcurl example in docs/gxd.md submits this file: it must be the sample.
    assert_eq!(
        v["example_matches"], true,
        "examples/gucheng-town-2020.submit.json is stale"
    );
    assert_eq!(v["org"]["created"], true, "{v}");
    assert_eq!(v["org"]["level"], "ORG_LEVEL_TOWNSHIP", "{v}");
    assert_eq!(v["submit"]["revision"], 1, "{v}");
    assert_eq!(v["submit"]["created"], true);
    assert_eq!(v["get"]["revision"], 1);
    assert_eq!(v["get"]["content_hash"], v["submit"]["content_hash"]);
    assert_eq!(v["get"]["same_tables"], true);
    assert_eq!(v["get"]["org_name"], "固城镇");
    assert_eq!(v["list"], serde_json::json!([["621024101", 2020, 1]]));

    let rejected = &v["rejected"];
    assert_eq!(rejected["code"], "INVALID_ARGUMENT", "{v}");
    assert!(rejected["error_info"]
        .as_array()
        .is_some_and(|a| a.iter().any(|r| r == "REPORT_INVALID")));
    let violations = rejected["violations"].as_array().expect("violations");
    assert!(!violations.is_empty(), "{v}");
    assert_eq!(violations[0]["field"], "t4.review.total");
    let description = violations[0]["description"].as_str().unwrap_or_default();
    assert!(description.contains("表四"), "{description}");
    assert!(description.contains("改为"), "{description}");

    let services: Vec<&str> = v["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(services.contains(&"gx.v1.ReportService"), "{services:?}");
    assert!(services.contains(&"grpc.health.v1.Health"), "{services:?}");
    assert!(services.contains(&"gx.v1.OrgService"), "{services:?}");
    assert_eq!(
        v["methods"],
        serde_json::json!([
            "SubmitReport",
            "ValidateReport",
            "GetReport",
            "ListReports",
            "ListRevisions",
            "DiffReports",
            "RenderReport",
            "ReviewReport"
        ])
    );
    assert!(gxd.stop().await.success());
}
