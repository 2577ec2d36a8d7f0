//! A small line chart drawn on the server as SVG: a body's key figures over the years it
//! has filed (the count indicators of [`crate::template::indicators`]).

use maud::{html, Markup};

use crate::analysis::Resolved;
use crate::model::Report;
use crate::template::indicators::{Unit, INDICATORS};

/// The indicators charted: the first two counts (本年新收申请数, 本年办结申请数).
const CHARTED: usize = 2;
const COLOURS: [&str; CHARTED] = ["#1d4f91", "#c2410c"];
/// The legend's classes, in the colours' order (gx.css).
const KEYS: [&str; CHARTED] = ["k0", "k1"];
const W: f64 = 300.0;
const H: f64 = 160.0;
const LEFT: f64 = 38.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 10.0;

/// One line: its label and (year, value) points.
pub struct Series {
    pub label: &'static str,
    pub points: Vec<(u32, f64)>,
}

/// The charted indicators' series over `reports` (one per year, in year order).
pub fn series(reports: &[Report]) -> Vec<Series> {
    let resolved = Resolved::new();
    INDICATORS
        .iter()
        .enumerate()
        .filter(|(_, d)| d.unit == Unit::Count)
        .take(CHARTED)
        .map(|(i, d)| Series {
            label: d.label,
            points: reports
                .iter()
                .filter_map(|r| resolved.measure(i, r).map(|m| (r.year, m.value)))
                .collect(),
        })
        .collect()
}

/// The chart, or a line saying there is too little to draw.
pub fn chart(series: &[Series]) -> Markup {
    let years: Vec<u32> = {
        let mut y: Vec<u32> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        y.sort_unstable();
        y.dedup();
        y
    };
    if years.len() < 2 {
        return html! { p.muted { "仅有一年的报告，暂无历年走势。" } };
    }
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(1.0_f64, f64::max);
    let (first, last) = (years[0], years[years.len() - 1]);
    let x = |y: u32| LEFT + (W - LEFT - 10.0) * f64::from(y - first) / f64::from(last - first);
    let yv = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v / max);
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label="历年主要数据" xmlns="http://www.w3.org/2000/svg" {
            line x1=(LEFT) y1=(H - BOTTOM) x2=(W - 5.0) y2=(H - BOTTOM) stroke="#999" {}
            line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H - BOTTOM) stroke="#999" {}
            text x=(LEFT - 4.0) y=(TOP + 8.0) text-anchor="end" { (max.round()) }
            text x=(LEFT - 4.0) y=(H - BOTTOM) text-anchor="end" { "0" }
            @for &y in &years {
                text x=(x(y)) y=(H - 6.0) text-anchor="middle" { (y) }
            }
            @for (s, colour) in series.iter().zip(COLOURS) {
                polyline fill="none" stroke=(colour) stroke-width="2"
                    points=(points(&s.points, &x, &yv)) {}
                @for &(y, v) in &s.points {
                    circle cx=(x(y)) cy=(yv(v)) r="3" fill=(colour) { title { (s.label) " " (y) "年：" (v) } }
                }
            }
        }
        ul.legend {
            @for (s, key) in series.iter().zip(KEYS) {
                li { span class=(key) { "■ " } (s.label) }
            }
        }
    }
}

fn points(p: &[(u32, f64)], x: &impl Fn(u32) -> f64, y: &impl Fn(f64) -> f64) -> String {
    p.iter()
        .map(|&(a, b)| format!("{:.1},{:.1}", x(a), y(b)))
        .collect::<Vec<_>>()
        .join(" ")
}
