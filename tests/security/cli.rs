//! The security walk-through of docs/security.md through the real gxctl: the first admin
//! token found on gxd's machine, a filer token for a township, what the filer may and may not
//! do, history naming the submitter, revocation.

use predicates::prelude::*;

use crate::support::{fixture, fixture_json, gxctl, gxctl_for, Served};

#[tokio::test(flavor = "multi_thread")]
async fn admin_issues_a_township_filer_token_and_the_township_files() {
    let served = Served::start();
    super::bodies(&served.gxd).await;
    let township = admin_issues_a_filer_token(&served);
    the_township_files_its_own_report_only(&served, &township);
    history_names_the_submitter(&served, &township[3..19]);
    the_admin_lists_and_revokes(&served, &township);
    a_token_in_a_context(&served);
    without_any_token(&served);
    served.gxd.stop().await;
}

/// The admin, with no configuration at all (the bootstrap token), issues a filer token for
/// 固城镇; returns the token.
fn admin_issues_a_filer_token(served: &Served) -> String {
    let out = served
        .ctl()
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
    township
}

/// The township files its own report, but not another body's, and is no admin.
fn the_township_files_its_own_report_only(served: &Served, township: &str) {
    served
        .ctl()
        .env("GX_TOKEN", township)
        .arg("submit")
        .arg(fixture("gucheng-town-2020.json"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "accepted stored as revision 1 of 621024101 2020",
        ));
    // …but not another body's: exit 7, saying what was needed.
    let mut doc = fixture_json("gucheng-town-2020.json");
    doc["org"]["id"] = "621024102".into();
    let other = served.write("other.json", &doc);
    served.ctl()
        .env("GX_TOKEN", township)
        .arg("submit")
        .arg(&other)
        .assert()
        .code(7)
        .stdout(predicate::str::contains(
            "refused — permission denied: SubmitReport for 621024102 needs a filer token for 621024102",
        ));
    // A filer is no admin.
    served
        .ctl()
        .env("GX_TOKEN", township)
        .args(["token", "list"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("ListTokens needs an admin token"));
}

/// History names the submitter by token id `id`.
fn history_names_the_submitter(served: &Served, id: &str) {
    served.says(&["history", "621024101", "2020"], 0, id);
    let h: serde_json::Value = serde_json::from_slice(
        &served
            .ctl()
            .args(["history", "621024101", "2020", "-o", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(h[0]["submitted_by"], id);
    assert_eq!(h[0]["chain_hash"].as_str().unwrap().len(), 64);
}

/// The admin lists (no secret shown) and revokes; the token stops working at once.
fn the_admin_lists_and_revokes(served: &Served, township: &str) {
    let id = &township[3..19];
    served
        .ctl()
        .args(["token", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(id).and(predicate::str::contains("固城镇")))
        .stdout(predicate::str::contains(&township[20..]).not());
    served.says(
        &["token", "revoke", id],
        0,
        &format!("revoked filer token {id} for 621024101"),
    );
    served
        .ctl()
        .env("GX_TOKEN", township)
        .args(["list"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains(format!(
            "token {id} was revoked at"
        )));
}

/// A reader token in a context (the config file then the owner's only); verify through
/// gxctl with nothing else.
fn a_token_in_a_context(served: &Served) {
    let reader = String::from_utf8(
        served
            .ctl()
            .args(["token", "create", "--role", "reader"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    served.exits(
        &[
            "config",
            "set-context",
            "ro",
            "--server",
            &served.gxd.url(),
            "--token",
            reader.trim(),
        ],
        0,
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(served.dir().join("config.yaml"))
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
    ro.env("GX_CONFIG", served.dir().join("config.yaml"))
        .env("GX_DATA", served.dir().join("nowhere"))
        .env_remove("GX_SERVER")
        .env_remove("GX_TOKEN");
    ro.args(["verify"])
        .assert()
        .code(0)
        .stdout(predicate::str::diff(
            "verified 1 report, 1 revision: every chain holds\n",
        ));
}

/// Without any token: exit 7 and where tokens come from.
fn without_any_token(served: &Served) {
    let empty = tempfile::tempdir().unwrap();
    gxctl_for(&served.gxd, empty.path())
        .env("GX_DATA", served.dir().join("nowhere"))
        .args(["list"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("ListReports needs a bearer token"))
        .stderr(predicate::str::contains("admin.token"));
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
