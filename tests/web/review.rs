//! Review on the report page: who sees the actions and who may post them; a return's
//! reason and cell notes as the filer sees them; the board's states.

use super::{fixed, Browser, County, COUNTY, TOWN};

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_returns_and_accepts_and_readers_and_filers_cannot_review() {
    let c = County::start();
    let report = format!("/reports/{TOWN}/2020");
    let post = format!("/reports/{TOWN}/2020/review");
    let ret = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("revision", "1".to_string()),
            ("decision", "return".to_string()),
            ("reason", "表四合计有误".to_string()),
            ("cell_1", "t4.review.total".to_string()),
            ("note_1", "应为3".to_string()),
        ]
    };
    let pairs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    // A reader and the filer see no actions, and their posts are refused.
    for token in [&c.reader, &c.filer] {
        let b = Browser::sign_in(c.addr(), token);
        let page = b.get(&report);
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("id=\"accept\""), "{}", page.body);
        let csrf = page.hidden("csrf").unwrap();
        let form = pairs(&ret(&csrf));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = b.post(&post, &form);
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("无权进行此操作"), "{}", r.body);
    }
    // The county's reviewer sees the actions; without the CSRF token the post is refused.
    let reviewer = Browser::sign_in(c.addr(), &c.reviewer);
    let page = reviewer.get(&report);
    assert!(page.body.contains("id=\"accept\"") && page.body.contains("id=\"return\""));
    let form = pairs(&ret(""));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(reviewer.post(&post, &form).status, 403);
    let csrf = page.hidden("csrf").unwrap();
    let form = pairs(&ret(&csrf));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = reviewer.post(&post, &form);
    assert_eq!(r.status, 303, "{}", r.body);

    // The filer sees the reason and the note on its cell, and the board says returned.
    let filer = Browser::sign_in(c.addr(), &c.filer);
    let page = filer.get(&report);
    assert!(
        page.body.contains("退回原因：表四合计有误"),
        "{}",
        page.body
    );
    let cell = page
        .body
        .split("<td ")
        .find(|td| td.starts_with("data-key=\"t4.review.total\""))
        .unwrap();
    assert!(cell.contains("审核意见：应为3"), "{cell}");
    let board = c.get(
        &format!("/board/{COUNTY}/2020?state=returned"),
        Some(&c.reader),
    );
    assert!(board.body.contains("原因：表四合计有误"), "{}", board.body);

    // The filer amends; the reviewer accepts revision 2; a stale revision is refused.
    let file = serde_json::to_vec(&fixed()).unwrap();
    let csrf_f = filer.csrf("/upload");
    let up = filer.post_multipart(
        "/upload",
        &[
            ("csrf", None, csrf_f.as_bytes()),
            ("file", Some("fixed.json"), &file),
            ("confirm", None, b"1"),
            ("reason", None, "更正表四合计".as_bytes()),
            (
                "explain.X-CARRY",
                None,
                "上年结转数有误，已核实。".as_bytes(),
            ),
        ],
    );
    assert_eq!(up.status, 303, "{}", up.body);
    let stale = reviewer.post(
        &post,
        &[("csrf", &csrf), ("revision", "1"), ("decision", "accept")],
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("报告已有新版本"), "{}", stale.body);
    let ok = reviewer.post(
        &post,
        &[("csrf", &csrf), ("revision", "2"), ("decision", "accept")],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let board = c.get(&format!("/board/{COUNTY}/2020"), Some(&c.reader));
    assert!(
        board
            .body
            .contains(&format!("data-org=\"{TOWN}\" data-state=\"accepted\"")),
        "{}",
        board.body
    );
    c.served.gxd.stop().await;
}
