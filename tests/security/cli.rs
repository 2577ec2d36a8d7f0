//! The security walk-through of docs/security.md through the real gxctl: the first admin
//! token found on gxd's machine, a filer token for a township, what the filer may and may not
//! do, history naming the submitter, revocation.

use predicates::prelude::*;

use crate::server::{start_in, Gxd};
use crate::support::{fixture, gxctl};

/// gxctl pointed at `gxd`, with an empty config and no token of its own.
fn ctl(gxd: &Gxd, cfg: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = gxctl();
    cmd.env("GX_SERVER", gxd.url())
        .env("GX_CONFIG", cfg.join("config.yaml"))
        // Where gxd keeps admin.token: gxctl on the same machine uses it by default.
        .env("GX_DATA", &gxd.data)
        .env_remove("GX_TOKEN")
        .env_remove("GX_ORG")
        .env_remove("GX_CONTEXT");
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_issues_a_township_filer_token_and_the_township_files() {
    let dir = tempfile::tempdir().unwrap();
    let gxd = start_in(&dir.path().join("data"));
    super::bodies(&gxd).await;
    let cfg = dir.path();

    // The admin, with no configuration at all (the bootstrap token).
    let out = ctl(&gxd, cfg)
        .args([
            "token",
            "create",
            "--role",
            "filer",
            "--for",
            "621024101",
            "--note",
            "固城镇",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("issued filer token "))
        .stderr(predicate::str::contains(" for 621024101 — shown once"))
        .get_output()
        .stdout
        .clone();
    let township = String::from_utf8(out).unwrap().trim().to_string();
    assert!(township.starts_with("gx_"), "{township}");
    let id = &township[3..19];

    // The township files its own report…
    ctl(&gxd, cfg)
        .env("GX_TOKEN", &township)
        .arg("submit")
        .arg(fixture("gucheng-town-2020.json"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "accepted stored as revision 1 of 621024101 2020",
        ));
    // …but not another body's: exit 7, saying what was needed.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("gucheng-town-2020.json")).unwrap())
            .unwrap();
    doc["org"]["id"] = "621024102".into();
    let other = dir.path().join("other.json");
    std::fs::write(&other, doc.to_string()).unwrap();
    ctl(&gxd, cfg)
        .env("GX_TOKEN", &township)
        .arg("submit")
        .arg(&other)
        .assert()
        .code(7)
        .stdout(predicate::str::contains(
            "refused — permission denied: SubmitReport for 621024102 needs a filer token for 621024102",
        ));
    // A filer is no admin.
    ctl(&gxd, cfg)
        .env("GX_TOKEN", &township)
        .args(["token", "list"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("ListTokens needs an admin token"));
    // History names the submitter by token id.
    ctl(&gxd, cfg)
        .args(["history", "621024101", "2020"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(id));
    let h: serde_json::Value = serde_json::from_slice(
        &ctl(&gxd, cfg)
            .args(["history", "621024101", "2020", "-o", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(h[0]["submitted_by"], id);
    assert_eq!(h[0]["chain_hash"].as_str().unwrap().len(), 64);

    // The admin lists and revokes; the token stops working at once.
    ctl(&gxd, cfg)
        .args(["token", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(id).and(predicate::str::contains("固城镇")))
        .stdout(predicate::str::contains(&township[20..]).not());
    ctl(&gxd, cfg)
        .args(["token", "revoke", id])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "revoked filer token {id} for 621024101"
        )));
    ctl(&gxd, cfg)
        .env("GX_TOKEN", &township)
        .args(["list"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains(format!(
            "token {id} was revoked at"
        )));

    // A token in a context; verify through gxctl.
    let reader = String::from_utf8(
        ctl(&gxd, cfg)
            .args(["token", "create", "--role", "reader"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    ctl(&gxd, cfg)
        .args([
            "config",
            "set-context",
            "ro",
            "--server",
            &gxd.url(),
            "--token",
            reader.trim(),
        ])
        .assert()
        .code(0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cfg.join("config.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a config holding tokens is the owner's only"
        );
    }
    let mut ro = gxctl();
    ro.env("GX_CONFIG", cfg.join("config.yaml"))
        .env("GX_DATA", cfg.join("nowhere"))
        .env_remove("GX_SERVER")
        .env_remove("GX_TOKEN");
    ro.args(["verify"])
        .assert()
        .code(0)
        .stdout(predicate::str::diff(
            "verified 1 report, 1 revision: every chain holds\n",
        ));
    // Without any token: exit 7 and where tokens come from.
    let empty = tempfile::tempdir().unwrap();
    ctl(&gxd, empty.path())
        .env("GX_DATA", cfg.join("nowhere"))
        .args(["list"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("ListReports needs a bearer token"))
        .stderr(predicate::str::contains("admin.token"));
    gxd.stop().await;
}

#[test]
fn a_batch_has_at_most_1000_files() {
    gxctl()
        .args(["submit", "--server", "http://127.0.0.1:1"])
        .args((0..1001).map(|i| format!("f{i}.json")))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "1001 files: at most 1000 per submit",
        ));
}
