//! Sign-in, the session cookie, CSRF, escaping, and what each role may post.

use super::http::request;
use super::{fixed, Browser, County, COUNTY, TOWN};

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_makes_a_strict_http_only_session_that_never_holds_the_token() {
    let c = County::start();
    let addr = c.addr();
    // The form sets a double-submit cookie; a post without its value is refused.
    let page = request(addr, "GET", "/", &[], b"");
    let pre = page.cookie("gx_signin").unwrap();
    let wrong = request(
        addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("gx_signin={pre}")),
        ],
        &super::http::form(&[("csrf", "nope"), ("token", &c.reader)]),
    );
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(wrong.set_cookie("gx_session").is_none());
    // A wrong token: the form again, no session.
    let csrf = page.hidden("csrf").unwrap();
    let bad = request(
        addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("gx_signin={pre}")),
        ],
        &super::http::form(&[("csrf", &csrf), ("token", "gx_0123456789abcdef_00")]),
    );
    assert_eq!(bad.status, 401);
    assert!(bad.body.contains("令牌无效"), "{}", bad.body);
    assert!(bad.set_cookie("gx_session").is_none());

    // The real sign-in: the cookie's flags, and a value that is not the token.
    let page = request(addr, "GET", "/", &[], b"");
    let (pre, csrf) = (
        page.cookie("gx_signin").unwrap(),
        page.hidden("csrf").unwrap(),
    );
    let ok = request(
        addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("gx_signin={pre}")),
        ],
        &super::http::form(&[("csrf", &csrf), ("token", &c.filer)]),
    );
    assert_eq!(ok.status, 303);
    let set = ok.set_cookie("gx_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Secure"), "plaintext on loopback: {set}");
    let session = ok.cookie("gx_session").unwrap();
    assert_eq!(session.len(), 64);
    let secret = c.filer.rsplit('_').next().unwrap();
    assert!(!session.contains(secret) && !format!("{ok:?}").contains(secret));

    // Signed in: `/` leads to the filer's board.
    let b = Browser {
        addr,
        cookie: session,
    };
    let home = b.get("/");
    assert_eq!(home.status, 303);
    assert!(home
        .header("location")
        .unwrap()
        .starts_with(&format!("/board/{TOWN}/")));
    // Signing out needs the CSRF token; then the cookie is worthless.
    assert_eq!(b.post("/signout", &[]).status, 403);
    let csrf = b.csrf("/upload");
    assert_eq!(b.post("/signout", &[("csrf", &csrf)]).status, 303);
    assert_eq!(b.get(&format!("/board/{COUNTY}/2020")).status, 303);

    // No token, nor its secret, in gxd's log.
    let (_, log) = c.served.gxd.stop_with_log().await;
    for t in [&c.filer, &c.reader, &c.admin] {
        let secret = t.rsplit('_').next().unwrap();
        assert!(!log.contains(secret), "a token in the log:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn narratives_are_escaped_forms_need_csrf_and_readers_cannot_upload() {
    let c = County::start();
    // The 2019 preamble holds a script tag: shown as text.
    let page = c.get(&format!("/reports/{TOWN}/2019"), Some(&c.reader));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("&lt;script&gt;alert"), "{}", page.body);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);

    // A reader may not upload (the decision of SubmitReport).
    let reader = Browser::sign_in(c.addr(), &c.reader);
    let up = reader.get("/upload");
    assert_eq!(up.status, 403, "{}", up.body);
    assert!(up.body.contains("无权进行此操作"), "{}", up.body);
    assert!(up.body.contains("（查阅人）无权进行此操作"), "{}", up.body);

    // A filer's upload without the CSRF token is refused; with it, previewed, then stored.
    let filer = Browser::sign_in(c.addr(), &c.filer);
    let file = serde_json::to_vec(&fixed()).unwrap();
    let no_csrf = filer.post_multipart("/upload", &[("file", Some("fixed.json"), &file)]);
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    let csrf = filer.csrf("/upload");
    let preview = filer.post_multipart(
        "/upload",
        &[
            ("csrf", None, csrf.as_bytes()),
            ("file", Some("fixed.json"), &file),
        ],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("确认提交") && preview.body.contains("修订原因"),
        "{}",
        preview.body
    );
    // 2019's carry-over does not match: the preview asks for the explanation.
    assert!(
        preview.body.contains("name=\"explain.X-CARRY\""),
        "{}",
        preview.body
    );
    assert_eq!(filer.post("/upload/submit", &[("reason", "x")]).status, 403);
    let unexplained = filer.post(
        "/upload/submit",
        &[("csrf", &csrf), ("reason", "更正表四合计")],
    );
    assert_eq!(unexplained.status, 409, "{}", unexplained.body);
    assert!(unexplained.body.contains("X-CARRY"), "{}", unexplained.body);
    let done = filer.post(
        "/upload/submit",
        &[
            ("csrf", &csrf),
            ("reason", "更正表四合计"),
            ("explain.X-CARRY", "2019年报告的结转数有误，已核实。"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location"),
        Some(format!("/reports/{TOWN}/2020").as_str())
    );
    let report = filer.get(&format!("/reports/{TOWN}/2020"));
    assert!(
        report.body.contains("第 2 版") && report.body.contains("更正表四合计"),
        "{}",
        report.body
    );
    assert!(
        !report.body.contains("class=\"f-error\""),
        "{}",
        report.body
    );

    // A filer may not file for another body: the same refusal as gRPC.
    let mut other = fixed();
    other["org"]["id"] = super::OTHER.into();
    other["org"]["name"] = "西华镇".into();
    let file = serde_json::to_vec(&other).unwrap();
    let refused = filer.post_multipart(
        "/upload",
        &[
            ("csrf", None, csrf.as_bytes()),
            ("file", Some("other.json"), &file),
            ("confirm", None, b"1"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    c.served.gxd.stop().await;
}
