//! Every page's status and key content for each role.

use super::{County, COUNTY, OTHER, TOWN};

#[tokio::test(flavor = "multi_thread")]
async fn pages_show_the_board_report_diff_and_rollup_to_each_role() {
    let county = County::start();
    let c = &county;
    for token in [&c.admin, &c.reader, &c.filer] {
        let t = Some(token.as_str());
        // The board: counts at the top, one row per body in tree order, links.
        let board = c.get(&format!("/board/{COUNTY}/2020"), t);
        assert_eq!(board.status, 200, "{}", board.body);
        let b = &board.body;
        assert!(b.contains("合水县 2020年 填报看板"), "{b}");
        assert!(b.contains("带错误发布") && b.contains("未填报"), "{b}");
        let (town, other) = (b.find("固城镇").unwrap(), b.find("西华镇").unwrap());
        assert!(town < other, "tree order: {b}");
        assert!(b.contains(&format!("href=\"/reports/{TOWN}/2020\"")), "{b}");
        assert!(
            b.contains(&format!("data-org=\"{OTHER}\" data-state=\"missing\"")),
            "{b}"
        );
        // Filters.
        let missing = c.get(&format!("/board/{COUNTY}/2020?state=missing"), t);
        assert!(missing.body.contains("西华镇"));
        assert!(!missing.body.contains(&format!("data-org=\"{TOWN}\"")));

        // The report: the wrong total marked on its cell with the Chinese message.
        let report = c.get(&format!("/reports/{TOWN}/2020"), t);
        assert_eq!(report.status, 200, "{}", report.body);
        let r = &report.body;
        assert!(r.contains("固城镇2020年政府信息公开工作年度报告"), "{r}");
        let cell = r
            .split("<td ")
            .find(|td| td.starts_with("data-key=\"t4.review.total\""))
            .expect("the cell");
        assert!(cell.contains("class=\"f-error\""), "{cell}");
        assert!(
            cell.contains("cell-note") && cell.contains("建议值：3"),
            "{cell}"
        );
        assert!(r.contains("修订记录") && r.contains("历年主要数据"), "{r}");
        assert!(
            r.contains("<svg class=\"chart\""),
            "a chart of 2019 and 2020: {r}"
        );
        // A revision that does not exist.
        assert_eq!(c.get(&format!("/reports/{TOWN}/2020?rev=9"), t).status, 404);
        assert_eq!(c.get(&format!("/reports/{OTHER}/2020"), t).status, 404);

        // The diff: changed cells with Δ, the carry-over check.
        let diff = c.get(&format!("/diff/{TOWN}/2019/2020"), t);
        assert_eq!(diff.status, 200, "{}", diff.body);
        assert!(diff.body.contains("结转核对"), "{}", diff.body);
        assert!(diff.body.contains("变化的单元格"), "{}", diff.body);

        // The roll-up: the parts and the missing bodies.
        let rollup = c.get(&format!("/rollup/{COUNTY}/2020"), t);
        assert_eq!(rollup.status, 200, "{}", rollup.body);
        assert!(rollup.body.contains("未填报单位（1）"), "{}", rollup.body);
        assert!(rollup.body.contains("西华镇"));
    }
    // Bad paths say what is wrong, in Chinese.
    let bad = c.get(&format!("/board/{COUNTY}/20x0"), Some(&c.reader));
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("年份"), "{}", bad.body);
    assert_eq!(c.get("/nowhere", Some(&c.reader)).status, 404);
    // Without a token: to the sign-in form.
    let anon = c.get(&format!("/board/{COUNTY}/2020"), None);
    assert_eq!(anon.status, 303);
    assert_eq!(anon.header("location"), Some("/"));
    // A bad bearer token is refused, as in gRPC.
    let bad = c.get(
        &format!("/board/{COUNTY}/2020"),
        Some("gx_0000000000000000_00"),
    );
    assert_eq!(bad.status, 401, "{}", bad.body);
    // Every page forbids scripts and framing, and is not cached.
    let board = c.get(&format!("/board/{COUNTY}/2020"), Some(&c.reader));
    let csp = board.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(board.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(board.header("cache-control"), Some("no-store"));
    // The stylesheet is in the binary.
    let css = c.get("/static/gx.css", None);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    county.served.gxd.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn public_read_shows_pages_without_a_token_and_no_web_turns_the_console_off() {
    let county = County::start_with(&["--public-read"]);
    let board = county.get(&format!("/board/{COUNTY}/2020"), None);
    assert_eq!(board.status, 200, "{}", board.body);
    // Uploading still needs a token.
    assert_eq!(county.get("/upload", None).status, 303);
    county.served.gxd.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let gxd = crate::server::start_with(&dir.path().join("data"), &["--no-web"]);
    // gRPC only: HTTP/1.1 is not spoken at all.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(gxd.addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"), "{got:?}");
    gxd.stop().await;
}
