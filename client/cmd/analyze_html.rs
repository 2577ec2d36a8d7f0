//! `gxctl analyze --html FILE`: the analysis as one self-contained page — no network, no
//! script — with a bar chart (SVG drawn here) per indicator of the highest and lowest bodies,
//! flagged bodies in red and linked to their findings, and the findings table.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use gx::pb;

/// Escapes text for HTML and SVG (XML) alike.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The anchor of a body's first finding.
fn anchor(org_id: &str) -> String {
    format!("f-{}", esc(org_id))
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1100px}\
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:4px 6px;\
text-align:left;vertical-align:top}th{background:#f3f3f3}svg{display:block;margin:0.5em 0 1.5em}\
.flag{color:#b00020}";

const BAR_HEIGHT: usize = 18;
const LABEL_WIDTH: usize = 260;
const BAR_WIDTH: usize = 420;

/// One indicator's chart: the top and bottom places as horizontal bars.
fn chart(k: &pb::IndicatorRanking, flagged: &BTreeSet<&str>) -> String {
    let mut places: Vec<&pb::RankingPlace> = k.top.iter().collect();
    for p in &k.bottom {
        if !places.iter().any(|q| q.rank == p.rank) {
            places.push(p);
        }
    }
    let max = places.iter().map(|p| p.value).fold(0.0_f64, f64::max);
    let unit = gx::template::indicators::indicator(&k.indicator).map(|d| d.unit);
    let height = BAR_HEIGHT * places.len() + 10;
    let width = LABEL_WIDTH + BAR_WIDTH + 120;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"{}\">\n",
        esc(&k.label)
    );
    for (i, p) in places.iter().enumerate() {
        let y = 5 + i * BAR_HEIGHT;
        let w = if max > 0.0 {
            (p.value / max * BAR_WIDTH as f64).round().max(0.0) as usize
        } else {
            0
        };
        let is_flagged = flagged.contains(p.org_id.as_str());
        let fill = if is_flagged { "#b00020" } else { "#4a7ab5" };
        let value = match unit {
            Some(u) => gx::analysis::show(u, p.value),
            None => format!("{}", p.value),
        };
        let label = format!("{}. {} {}", p.rank, p.org_id, p.org_name);
        let text = format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 13,
            esc(&label)
        );
        if is_flagged {
            let _ = write!(s, "<a href=\"#{}\">{text}</a>", anchor(&p.org_id));
        } else {
            s.push_str(&text);
        }
        let _ = writeln!(
            s,
            "<rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 2,
            BAR_HEIGHT - 4,
            LABEL_WIDTH + w + 4,
            y + 13,
            esc(&value)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn findings_table(r: &pb::AnalyzeRegionResponse) -> String {
    let mut s = String::from(
        "<table>\n<tr><th>单位</th><th>名称</th><th>层级</th><th>问题</th><th>指标</th>\
         <th>阈值</th><th>说明</th></tr>\n",
    );
    let mut seen = BTreeSet::new();
    for f in &r.findings {
        let id = if seen.insert(f.org_id.as_str()) {
            format!(" id=\"{}\"", anchor(&f.org_id))
        } else {
            String::new()
        };
        let e = f.evidence.clone().unwrap_or_default();
        let check = gx::analysis::Check::from_name(&f.check).map_or("", |c| c.chinese());
        let _ = writeln!(
            s,
            "<tr{id}><td class=\"flag\">{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td>\
             <td>{} {}</td><td>{}</td></tr>",
            esc(&f.org_id),
            esc(&f.org_name),
            esc(crate::show::level_name(f.level)),
            esc(check),
            esc(&f.check),
            esc(&f.indicator),
            esc(&e.threshold_name),
            e.threshold,
            esc(&f.message),
        );
    }
    s.push_str("</table>\n");
    s
}

/// The page.
pub fn page(org: &str, r: &pb::AnalyzeRegionResponse) -> String {
    let flagged: BTreeSet<&str> = r.findings.iter().map(|f| f.org_id.as_str()).collect();
    let title = format!("{org} {}年 政府信息公开工作年度报告 区域分析", r.year);
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
         <p>下级单位{}个，本年报告{}份，发现问题的单位{}个，问题{}条。</p>\n",
        esc(&title),
        esc(&title),
        r.descendants,
        r.bodies,
        r.flagged,
        r.findings.len()
    );
    s.push_str("<h2>发现的问题</h2>\n");
    s.push_str(&findings_table(r));
    s.push_str("<h2>各项指标排名（最高与最低，红色为发现问题的单位）</h2>\n");
    for k in r.rankings.iter().filter(|k| k.ranked > 0) {
        let _ = writeln!(s, "<h3>{}（{}个单位）</h3>", esc(&k.label), k.ranked);
        s.push_str(&chart(k, &flagged));
    }
    s.push_str("</body>\n</html>\n");
    s
}
