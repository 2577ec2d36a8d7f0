//! The integration contract: other departments' systems compile `proto/gx/v1`. `buf lint`
//! (STANDARD, with the exceptions `buf.yaml` notes) and `buf breaking` (FILE) against the
//! recorded baseline image `proto/baseline/gx.v1.binpb` must pass. Refreshing the baseline is
//! a deliberate release step (docs/integration.md).
//!
//! buf is looked for in `GX_BUF`, then where `.ci/buf` installs it (`target/tools/`), then
//! on `PATH`. Without it the test says so and passes — unless `GX_REQUIRE_TOOLS` is set (as
//! `.ci/run` does, after installing it), where a missing buf fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The buf to run, if there is one.
fn buf() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("GX_BUF") {
        return Some(PathBuf::from(b));
    }
    let ci = std::fs::read_to_string(manifest().join(".ci/buf")).expect(".ci/buf");
    let version = ci
        .lines()
        .find_map(|l| l.strip_prefix("BUF_VERSION="))
        .and_then(|v| v.split_whitespace().next())
        .expect("BUF_VERSION in .ci/buf");
    let pinned = manifest().join(format!("target/tools/buf-{version}/node_modules/.bin/buf"));
    if pinned.exists() {
        return Some(pinned);
    }
    Command::new("buf")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("buf"))
}

fn run_buf(buf: &Path, args: &[&str]) {
    let out = Command::new(buf)
        .current_dir(manifest())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", buf.display()));
    assert!(
        out.status.success(),
        "buf {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn protos_pass_buf_lint_and_break_nothing_against_the_baseline() {
    let Some(buf) = buf() else {
        assert!(
            std::env::var_os("GX_REQUIRE_TOOLS").is_none(),
            "GX_REQUIRE_TOOLS is set but buf is missing (.ci/buf installs it)"
        );
        eprintln!("buf not found: the proto contract is not checked (.ci/buf installs it)");
        return;
    };
    run_buf(&buf, &["lint"]);
    run_buf(
        &buf,
        &["breaking", "--against", "proto/baseline/gx.v1.binpb"],
    );

    // And the check bites: the protos without RenderReport break the contract.
    let work = tempfile::tempdir().expect("temp dir");
    let v1 = work.path().join("proto/gx/v1");
    std::fs::create_dir_all(&v1).expect("proto dir");
    std::fs::copy(manifest().join("buf.yaml"), work.path().join("buf.yaml")).expect("buf.yaml");
    for f in std::fs::read_dir(manifest().join("proto/gx/v1")).expect("proto/gx/v1") {
        let f = f.expect("entry").path();
        let text = std::fs::read_to_string(&f).expect("proto");
        let text = text
            .lines()
            .filter(|l| !l.contains("rpc RenderReport("))
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(v1.join(f.file_name().expect("name")), text).expect("copy");
    }
    let out = Command::new(&buf)
        .current_dir(work.path())
        .arg("breaking")
        .arg("--against")
        .arg(manifest().join("proto/baseline/gx.v1.binpb"))
        .output()
        .expect("buf breaking");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a deleted RPC passed buf breaking");
    assert!(said.contains("RenderReport"), "{said}");
}
