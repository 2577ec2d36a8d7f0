//! The web console gxd serves beside gRPC: pages per role, sign-in and its cookie, CSRF,
//! escaping, and (in `browser.rs`) the whole flow in headless Chromium.

mod browser;
mod http;
mod pages;
mod review;
mod security;

use std::net::SocketAddr;

use serde_json::Value as Json;

use crate::support::{fixture_json, Served};
use http::{form, request, Resp};

pub const COUNTY: &str = "621024";
pub const TOWN: &str = "621024101";
pub const OTHER: &str = "621024102";

/// A served county: 合水县 with 固城镇 (filed 2019, and 2020 as published with a wrong
/// total in table 4) and 西华镇 (never filed); tokens for each role.
pub struct County {
    pub served: Served,
    pub admin: String,
    pub reader: String,
    pub filer: String,
    /// The county's reviewer.
    pub reviewer: String,
}

/// The 2020 sample as published with 总计 printed as 0 beside non-zero parts (t4.review).
pub fn broken() -> Json {
    let mut doc = fixture_json("gucheng-town-2020.json");
    doc["t4"]["review"]["upheld"] = 3.into();
    doc["t4"]["review"]["total"] = 0.into();
    doc
}

/// [`broken`], corrected.
pub fn fixed() -> Json {
    let mut doc = broken();
    doc["t4"]["review"]["total"] = 3.into();
    doc
}

impl County {
    pub fn start() -> County {
        County::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> County {
        let dir = tempfile::tempdir().expect("temp dir");
        let gxd = crate::server::start_with(&dir.path().join("data"), extra);
        let served = Served { gxd, dir };
        for args in [
            ["org", "add", COUNTY, "--name", "合水县", "--level", "县"].as_slice(),
            &[
                "org",
                "add",
                TOWN,
                "--name",
                "固城镇",
                "--level",
                "乡镇",
                "--parent",
                COUNTY,
            ],
            &[
                "org",
                "add",
                OTHER,
                "--name",
                "西华镇",
                "--level",
                "乡镇",
                "--parent",
                COUNTY,
            ],
        ] {
            served.exits(args, 0);
        }
        // 2020 first: the 2019 report then has no year before it to be checked against.
        let path = served.write("broken.json", &broken());
        served.exits(&["submit", "--as-published", &path], 0);
        let mut y2019 = fixture_json("gucheng-town-2019.json");
        y2019["narrative"]["preamble"] = "2019年报告。<script>alert('x')</script>".into();
        let path = served.write("2019.json", &y2019);
        served.exits(&["submit", &path], 0);
        let token = |args: &[&str]| {
            let out = served
                .ctl()
                .args(["token", "create"])
                .args(args)
                .output()
                .expect("gxctl");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .expect("utf-8")
                .trim()
                .to_string()
        };
        County {
            admin: served.gxd.admin_token.clone().expect("admin token"),
            reader: token(&["--role", "reader"]),
            filer: token(&["--role", "filer", "--for", TOWN]),
            reviewer: token(&["--role", "reviewer", "--for", COUNTY]),
            served,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.served.gxd.addr
    }

    /// GET with a bearer token (or none).
    pub fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("Authorization", a)])
            .unwrap_or_default();
        request(self.addr(), "GET", path, &headers, b"")
    }
}

/// A browser's session: its cookie and the page's CSRF token.
pub struct Browser {
    pub addr: SocketAddr,
    pub cookie: String,
}

impl Browser {
    /// Signs in through the form at `/` as a browser does.
    pub fn sign_in(addr: SocketAddr, token: &str) -> Browser {
        let form_page = request(addr, "GET", "/", &[], b"");
        assert_eq!(form_page.status, 200, "{}", form_page.body);
        let pre = form_page.cookie("gx_signin").expect("sign-in cookie");
        let csrf = form_page.hidden("csrf").expect("csrf field");
        let r = request(
            addr,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &format!("gx_signin={pre}")),
            ],
            &form(&[("csrf", &csrf), ("token", token)]),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let cookie = r.cookie("gx_session").expect("session cookie");
        Browser { addr, cookie }
    }

    pub fn get(&self, path: &str) -> Resp {
        let c = format!("gx_session={}", self.cookie);
        request(self.addr, "GET", path, &[("Cookie", &c)], b"")
    }

    /// POSTs a form (the CSRF token is among `pairs` when the test wants one).
    pub fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let c = format!("gx_session={}", self.cookie);
        request(
            self.addr,
            "POST",
            path,
            &[
                ("Cookie", &c),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &form(pairs),
        )
    }

    /// POSTs a multipart form.
    pub fn post_multipart(&self, path: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Resp {
        let c = format!("gx_session={}", self.cookie);
        let (body, ct) = http::multipart(fields);
        request(
            self.addr,
            "POST",
            path,
            &[("Cookie", &c), ("Content-Type", &ct)],
            &body,
        )
    }

    /// The CSRF token of the session (from any page with a form).
    pub fn csrf(&self, page: &str) -> String {
        self.get(page)
            .hidden("csrf")
            .expect("a form with a csrf field")
    }
}
