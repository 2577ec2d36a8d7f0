//! Import of published reports: the real sample, and synthetic reports of both editions
//! rendered into every supported layout, perturbed with the variants seen in the wild.
//! Every cell is checked through the full cell view.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use gx::files::{self, Format};
use gx::import::{self, Form, ImportOptions};
use gx::model::{Cell, CellsBuilder, Narrative, Org, Report, Section, Subsection, Value};
use gx::template::{Edition, Kind, Orientation, Template, SECTIONS, TITLE_SUFFIX};

const SAMPLE: &str = "tests/fixtures/import/gucheng-town-2020.txt";

fn cells(r: &Report) -> String {
    files::write(r, Format::Cells)
}

fn opts(org_id: &str) -> ImportOptions {
    ImportOptions {
        org_id: org_id.into(),
        ..ImportOptions::default()
    }
}

#[test]
fn the_sample_imports_exactly() {
    let bytes = std::fs::read(SAMPLE).unwrap();
    let imported = import::import(&bytes, &opts("621024101")).unwrap();
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    assert_eq!(imported.form, Form::FlatText);
    assert_eq!(imported.edition, Edition::E2019);
    assert_eq!(imported.report.org.name, "固城镇");
    assert_eq!(imported.report.year, 2020);
    assert_eq!(cells(&imported.report), cells(&fixture));
    assert_eq!(imported.report.narrative, fixture.narrative);
    assert_eq!(imported.report, fixture);
    assert!(imported.is_complete(), "{}", imported.summary());
    assert!(imported.fuzzy.is_empty());
    assert_eq!(imported.counts.read, 198);
    assert!(imported.edition_reason.contains("2019年版特有的标签"));
}

#[test]
fn the_sample_in_gbk_and_with_bom() {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    let text = text.replace('•', "·");
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    let imported = import::import(&gbk, &opts("621024101")).unwrap();
    assert_eq!(imported.encoding, "GB18030");
    assert_eq!(imported.report, fixture);
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let imported = import::import(&bom, &opts("621024101")).unwrap();
    assert_eq!(imported.encoding, "UTF-8 (BOM)");
    assert_eq!(imported.report, fixture);
    // CRLF line ends.
    let crlf = text.replace('\n', "\r\n");
    let imported = import::import(crlf.as_bytes(), &opts("621024101")).unwrap();
    assert_eq!(imported.report, fixture);
}

#[test]
fn the_sample_with_variants() {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    // A typo, full-width brackets, other numbering, straight quotes, spaces in a label.
    let perturbed = text
        .replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开")
        .replace("(一)予以公开", "（一）予以公开")
        .replace("5.属于三类内部事务信息", "5、属于三类内部事务信息")
        .replace("6.属于四类过程性信息", "6．属于四类过程性信息")
        .replace("3.危及“三安全一稳定”", "3.危及\"三安全一稳定\"")
        .replace("\n规章\n", "\n规　章\n");
    let imported = import::import(perturbed.as_bytes(), &opts("621024101")).unwrap();
    assert_eq!(cells(&imported.report), cells(&fixture));
    assert_eq!(imported.fuzzy.len(), 1, "{:?}", imported.fuzzy);
    assert_eq!(imported.fuzzy[0].label, "2.其他法律行政法规禁止公开");
    assert!(imported.summary().contains("近似匹配"));
}

#[test]
fn a_missing_value_is_unreadable_never_zero() {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    // Drop one value of 「（一）予以公开」 (and its empty line): six values for seven columns.
    let at = text.find("(一)予以公开").unwrap();
    let mut broken = text.clone();
    broken.replace_range(at..at + "(一)予以公开\n\n0\n\n".len(), "(一)予以公开\n\n");
    let imported = import::import(broken.as_bytes(), &opts("621024101")).unwrap();
    assert!(!imported.is_complete());
    let keys: Vec<&str> = imported.unreadable.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("t3.granted.")));
    let u = &imported.unreadable[0];
    assert!(u.reason.contains("只有6个数值"), "{}", u.reason);
    assert!(u.loc.unwrap().to_string().starts_with('第'));
    for k in keys {
        assert_eq!(imported.report.get(k).unwrap().value, Value::Blank);
    }
    // A value that is not a number.
    let bad = text.replacen("\n170万\n", "\n约一百七十万\n", 1);
    let imported = import::import(bad.as_bytes(), &opts("")).unwrap();
    assert_eq!(imported.unreadable.len(), 1, "{}", imported.summary());
    assert_eq!(imported.unreadable[0].key, "t2.central_procurement.amount");
    assert_eq!(imported.unreadable[0].text.as_deref(), Some("约一百七十万"));
}

#[test]
fn junk_input_is_refused_clearly() {
    assert!(matches!(
        import::import_bytes(b"", None),
        Err(import::ImportError::Empty)
    ));
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 256) as u8).collect();
    assert!(matches!(
        import::import_bytes(&junk, None),
        Err(import::ImportError::Binary { .. })
    ));
    let e = import::import_bytes("这是一个普通网页。\n没有报告。\n".as_bytes(), None).unwrap_err();
    assert!(matches!(e, import::ImportError::NoReport(_)), "{e}");
    let list: String = (2015..2025)
        .map(|y| format!("某县人民政府{y}年政府信息公开工作年度报告\n\n2021-01-20\n\n"))
        .collect();
    let e = import::import_bytes(list.as_bytes(), None).unwrap_err();
    assert!(e.to_string().contains("列表页"), "{e}");
    let e = import::import_bytes(b"%PDF-1.4\n%\xff\xff\n", None).unwrap_err();
    assert!(
        matches!(
            e,
            import::ImportError::PdfToolMissing | import::ImportError::Pdf(_)
        ),
        "{e}"
    );
    if matches!(e, import::ImportError::PdfToolMissing) {
        assert!(e.to_string().contains("poppler-utils"));
    }
}

#[test]
fn several_reports_in_one_page_import_the_first() {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    let page = format!(
        "{text}\n\n{}\n\n{text}",
        text.replace("2020年度", "2019年度")
    );
    let imported = import::import(page.as_bytes(), &opts("621024101")).unwrap();
    assert_eq!(cells(&imported.report), cells(&fixture));
    assert_eq!(imported.report.narrative, fixture.narrative);
    assert!(imported.notes.iter().any(|n| n.contains("只导入了第一份")));
}

// ------------------------------------------------------------------------------------------
// Synthetic reports.
// ------------------------------------------------------------------------------------------

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// How a synthetic report's cells look.
#[derive(Debug, Clone, Copy)]
struct Mix {
    blank: u64,
    na: u64,
    notes: u64,
}

const PLAIN: Mix = Mix {
    blank: 0,
    na: 0,
    notes: 0,
};
const MIXED: Mix = Mix {
    blank: 12,
    na: 6,
    notes: 6,
};

fn synthetic(edition: Edition, seed: u64, mix: Mix, variant_other: bool) -> Report {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let t = edition.template();
    let mut b = CellsBuilder::new(edition);
    for def in &t.cells {
        let row = def.row_key();
        if edition == Edition::E2021 {
            let sub = row.starts_with("t3.other_");
            if (variant_other && sub) || (!variant_other && row == "t3.other") {
                continue;
            }
        }
        let cell = synthetic_cell(&mut rng, mix, def.kind());
        b.set(&def.key, cell).unwrap();
    }
    let year = if edition == Edition::E2019 {
        2019 + rng.below(2) as u32
    } else {
        2021 + rng.below(4) as u32
    };
    let name = ["某某县交通运输局", "甲乙镇人民政府", "某市生态环境局"][rng.below(3) as usize];
    Report {
        org: Org {
            id: "000000001".into(),
            name: name.into(),
        },
        year,
        edition,
        narrative: synthetic_narrative(edition, year),
        cells: b.finish().unwrap(),
    }
}

/// One cell of a kind: blank, not applicable (as any of its symbols), or a value, maybe with a
/// note, in the proportions of `mix`.
fn synthetic_cell(rng: &mut Rng, mix: Mix, kind: Kind) -> Cell {
    let roll = rng.below(100);
    if roll < mix.blank {
        return Cell::BLANK;
    }
    if roll < mix.blank + mix.na {
        let sym = ["/", "—", "-"][rng.below(3) as usize];
        return Cell {
            value: Value::NotApplicable,
            raw: (sym != "/").then(|| sym.to_string()),
        };
    }
    let with_note = roll < mix.blank + mix.na + mix.notes;
    match kind {
        Kind::Count | Kind::Signed => {
            let mut n = rng.below(60) as i64;
            if kind == Kind::Signed && rng.chance(20) {
                n = -n;
            }
            let raw = with_note.then(|| match rng.below(3) {
                0 => format!("{n}（其中修订{}件）", rng.below(9)),
                1 => format!("{n}（含自然失效{}件）", rng.below(9)),
                _ => format!("{n}件"),
            });
            Cell {
                value: Value::Int(n),
                raw: raw.filter(|_| n >= 0),
            }
        }
        Kind::Amount => match rng.below(4) {
            0 => Cell {
                value: Value::Amount(Decimal::from(170)),
                raw: Some("170万".into()),
            },
            1 => Cell {
                value: Value::Amount(Decimal::from_str("25.1").unwrap()),
                raw: Some("251000元".into()),
            },
            2 => Cell::new(Value::Amount(Decimal::from_str("7730.28").unwrap())),
            _ => Cell::new(Value::Amount(Decimal::from(rng.below(500)))),
        },
    }
}

/// A narrative with every kind of paragraph the importer must keep: numbered sub-headings,
/// headings run into their first line, lines within a paragraph.
fn synthetic_narrative(edition: Edition, year: u32) -> Narrative {
    Narrative {
        preamble: format!(
            "本报告依据《中华人民共和国政府信息公开条例》编制，现将{year}年度工作情况报告如下："
        ),
        overview: Section {
            text: format!("{year}年，我单位认真贯彻落实《条例》要求，扎实推进政务公开工作。"),
            subsections: vec![
                Subsection {
                    title: "（一）主动公开。".into(),
                    text: "全年主动公开政府信息120条。\n1.政策文件\n及时公开各类政策文件。".into(),
                },
                Subsection {
                    title: "（二）依申请公开".into(),
                    text: "依法办理政府信息公开申请，按时答复。".into(),
                },
            ],
        },
        problems: Section {
            text: String::new(),
            subsections: vec![
                Subsection {
                    title: "（一）存在的主要问题".into(),
                    text: "一是公开意识有待增强。\n二是公开质量有待提升。".into(),
                },
                Subsection {
                    title: "（二）改进措施".into(),
                    text: "进一步加强培训，提升工作水平。".into(),
                },
            ],
        },
        other: Section {
            text: if edition == Edition::E2021 {
                "本年度未收取信息处理费。".into()
            } else {
                "无其他需要报告的事项。".into()
            },
            subsections: vec![],
        },
    }
}

// ------------------------------------------------------------------------------------------
// Label variants.
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
struct Variants {
    half_width: bool,
    numbering: u8,
    straight_quotes: bool,
    spaces: bool,
    typo: bool,
    old_normative: bool,
}

impl Variants {
    fn all(seed: u64) -> Variants {
        let mut r = Rng(seed | 1);
        Variants {
            half_width: r.chance(50),
            numbering: r.below(3) as u8,
            straight_quotes: r.chance(50),
            spaces: r.chance(50),
            typo: r.chance(50),
            old_normative: r.chance(50),
        }
    }

    fn label(&self, key: &str, label: &str) -> String {
        let mut s = label.to_string();
        if self.typo && label == "2.其他法律行政法规禁止公开" {
            s = "2.其他法律行政止公开".into();
        }
        if self.old_normative && label == "行政规范性文件" {
            s = "规范性文件".into();
        }
        if self.half_width {
            s = s.replace('（', "(").replace('）', ")");
        }
        match self.numbering {
            1 => s = replace_numbering(&s, "．"),
            2 => s = replace_numbering(&s, "、"),
            _ => {}
        }
        if self.straight_quotes {
            s = s.replace(['“', '”'], "\"");
        }
        if self.spaces && (key.ends_with("regulations") || key.ends_with("licensing")) {
            let mut c = s.chars();
            let first = c.next().unwrap();
            s = format!("{first} {}", c.as_str());
        }
        s
    }
}

fn replace_numbering(s: &str, sep: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(d), Some('.')) if d.is_ascii_digit() => format!("{d}{sep}{}", chars.as_str()),
        _ => s.to_string(),
    }
}

/// The published text of a cell.
fn text(c: &Cell) -> String {
    c.published()
}

fn title(r: &Report) -> String {
    format!("{}{}{}", r.org.name, r.year, TITLE_SUFFIX)
}

/// Rows of a table as printed: (row key, label, group labels first printed before it, cells).
struct PrintedRow {
    key: String,
    label: &'static str,
    groups: Vec<&'static str>,
    cells: Vec<String>,
    columns: usize,
    block: usize,
}

fn printed_rows(r: &Report, table: &str) -> Vec<PrintedRow> {
    let t = r.template();
    let decl = t.table(table).unwrap();
    let mut out = Vec::new();
    let mut seen_groups: Vec<&str> = Vec::new();
    for (bi, block) in decl.blocks.iter().enumerate() {
        for row in &block.rows {
            let key = format!("{table}.{}", row.key);
            let range = t.row_cells(&key);
            if r.cell(range.start).value == Value::Absent {
                continue;
            }
            let mut groups = Vec::new();
            // The group chain: 「三、本年度办理结果」 above 「（三）不予公开」.
            if let Some(g) = row.group {
                let parent = decl
                    .blocks
                    .iter()
                    .flat_map(|b| b.rows.iter())
                    .find(|r2| r2.label == g && r2.group.is_some())
                    .and_then(|r2| r2.group)
                    .or_else(|| {
                        decl.blocks
                            .iter()
                            .flat_map(|b| b.rows.iter())
                            .find(|r2| r2.group.is_some() && r2.group != Some(g))
                            .and_then(|r2| r2.group)
                            .filter(|_| g != "三、本年度办理结果" && table == "t3")
                    });
                for gl in parent.into_iter().chain([g]) {
                    if !seen_groups.contains(&gl) && gl != row.label {
                        seen_groups.push(gl);
                        groups.push(gl);
                    }
                }
            }
            out.push(PrintedRow {
                key,
                label: row.label,
                groups,
                cells: range.clone().map(|c| text(r.cell(c))).collect(),
                columns: range.len(),
                block: bi,
            });
        }
    }
    out
}

fn t4_values(r: &Report) -> Vec<String> {
    let t = r.template();
    t.cells
        .iter()
        .enumerate()
        .filter(|(_, d)| d.key.starts_with("t4."))
        .map(|(i, _)| text(&r.cells[i]))
        .collect()
}

fn t4_groups(t: &Template) -> (Vec<&'static str>, Vec<&'static str>, Vec<&'static str>) {
    let decl = t.table("t4").unwrap();
    assert_eq!(decl.orientation, Orientation::Across);
    let block = &decl.blocks[0];
    let rows: Vec<&str> = block.rows.iter().map(|r| r.label).collect();
    let groups: Vec<&str> = block.rows.iter().filter_map(|r| r.group).collect();
    let cols: Vec<&str> = block.columns.iter().map(|c| c.label).collect();
    (rows, groups, cols)
}

/// The narrative as paragraphs: (heading, paragraphs) for 一, 五, 六 and the preamble.
fn narrative_paragraphs(s: &Section) -> Vec<String> {
    let mut out: Vec<String> = s.text.lines().map(str::to_string).collect();
    for sub in &s.subsections {
        let mut lines = sub.text.lines();
        if sub.title.ends_with('。') {
            if let Some(first) = lines.next() {
                out.push(format!("{}{first}", sub.title));
            } else {
                out.push(sub.title.clone());
            }
        } else {
            out.push(sub.title.clone());
        }
        out.extend(lines.map(str::to_string));
    }
    out
}

// ------------------------------------------------------------------------------------------
// Layouts.
// ------------------------------------------------------------------------------------------

/// Flat text as scraped: one element per line, `sep` empty lines between elements, an empty
/// cell an empty element.
fn render_flat(r: &Report, v: &Variants, sep: usize) -> String {
    let mut el: Vec<String> = vec![
        "首页".into(),
        "政府信息公开".into(),
        title(r),
        "来源：本站 发布时间：2022-01-20 浏览次数：".into(),
        r.narrative.preamble.clone(),
        SECTIONS[0].heading.into(),
    ];
    el.extend(narrative_paragraphs(&r.narrative.overview));
    let t = r.template();
    for (ti, table) in ["t2", "t3"].iter().enumerate() {
        el.push(SECTIONS[ti + 1].heading.into());
        let decl = t.table(table).unwrap();
        if let Some(note) = decl.note {
            el.push(note.into());
        }
        let mut last_block = usize::MAX;
        for row in printed_rows(r, table) {
            if row.block != last_block {
                last_block = row.block;
                let block = &decl.blocks[row.block];
                el.extend(block.title.map(String::from));
                el.extend(block.corner.map(String::from));
                let mut groups_done = Vec::new();
                for c in block.columns {
                    if let Some(g) = c.group {
                        if !groups_done.contains(&g) {
                            groups_done.push(g);
                            el.push(g.into());
                        }
                    }
                    el.push(c.label.into());
                }
            }
            for g in &row.groups {
                el.push(v.label("", g));
            }
            el.push(v.label(&row.key, row.label));
            el.extend(row.cells.iter().cloned());
        }
    }
    el.push(SECTIONS[3].heading.into());
    let (rows, groups, cols) = t4_groups(t);
    el.push(rows[0].into());
    el.extend(groups.iter().take(1).map(|g| g.to_string()));
    el.extend(cols.iter().map(|c| c.to_string()));
    el.extend(rows[1..].iter().map(|c| c.to_string()));
    for _ in 0..2 {
        el.extend(cols.iter().map(|c| c.to_string()));
    }
    el.extend(t4_values(r));
    el.push(SECTIONS[4].heading.into());
    el.extend(narrative_paragraphs(&r.narrative.problems));
    el.push(SECTIONS[5].heading.into());
    el.extend(narrative_paragraphs(&r.narrative.other));
    el.join(&"\n".repeat(sep + 1)) + "\n"
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An HTML page with merged cells as the official form prints them.
fn render_html(r: &Report, v: &Variants) -> String {
    let mut h = html_head(r);
    html_para(&mut h, &r.narrative.preamble);
    h.push_str(&format!(
        "<p><strong>{}</strong></p>\n",
        SECTIONS[0].heading
    ));
    for para in narrative_paragraphs(&r.narrative.overview) {
        html_para(&mut h, &para);
    }
    html_table2(&mut h, r, v);
    html_table3(&mut h, r, v);
    html_table4(&mut h, r);
    for (heading, paras) in closing_sections(r) {
        h.push_str(&format!("<p>{heading}</p>\n"));
        for para in paras {
            html_para(&mut h, &para);
        }
    }
    h.push_str("<div class=\"foot\">打印本页 关闭窗口</div></body></html>\n");
    h
}

/// The page up to the report: a title, a script holding `<table>`, navigation, the heading.
fn html_head(r: &Report) -> String {
    let mut h = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    h.push_str(&esc(&title(r)));
    h.push_str("_某某网</title><script>var x = '<table>';</script></head><body>\n");
    h.push_str("<div class=\"nav\"><a href=\"/\">首页</a> &gt; 政府信息公开</div>\n");
    h.push_str(&format!("<h1>{}</h1>\n", esc(&title(r))));
    h.push_str("<p class=\"meta\">来源：本站 发布时间：2022-01-20</p>\n");
    h
}

fn html_para(h: &mut String, s: &str) {
    h.push_str(&format!("<p>　　{}</p>\n", esc(s)));
}

/// Sections 五 and 六, as (heading, paragraphs).
fn closing_sections(r: &Report) -> [(&'static str, Vec<String>); 2] {
    [
        (
            SECTIONS[4].heading,
            narrative_paragraphs(&r.narrative.problems),
        ),
        (
            SECTIONS[5].heading,
            narrative_paragraphs(&r.narrative.other),
        ),
    ]
}

/// Table 2: one table, four grid columns.
fn html_table2(h: &mut String, r: &Report, v: &Variants) {
    h.push_str(&format!(
        "<h3>{}</h3>\n<table border=\"1\">\n",
        SECTIONS[1].heading
    ));
    let decl = r.template().table("t2").unwrap();
    let mut last_block = usize::MAX;
    for row in printed_rows(r, "t2") {
        let block = &decl.blocks[row.block];
        let span = 4 - row.columns;
        if row.block != last_block {
            last_block = row.block;
            h.push_str(&format!(
                "<tr><td colspan=\"4\">{}</td></tr>\n<tr><td>{}</td>",
                block.title.unwrap(),
                block.corner.unwrap()
            ));
            let labels: Vec<String> = block.columns.iter().map(|c| esc(c.label)).collect();
            h.push_str(&html_spanned_cells(&labels, span));
            h.push_str("</tr>\n");
        }
        h.push_str(&format!(
            "<tr><td>{}</td>",
            esc(&v.label(&row.key, row.label))
        ));
        let cells: Vec<String> = row.cells.iter().map(|c| esc(c)).collect();
        h.push_str(&html_spanned_cells(&cells, span));
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// `<td>`s of a row of table 2, the last one spanning `span` more grid columns.
fn html_spanned_cells(cells: &[String], span: usize) -> String {
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        let cs = if i + 1 == cells.len() { span } else { 0 } + 1;
        out.push_str(&format!("<td colspan=\"{cs}\">{c}</td>"));
    }
    out
}

/// The declared row of table 3 printed as `key`.
fn t3_row(d3: &'static gx::template::TableDecl, key: &str) -> &'static gx::template::RowDecl {
    d3.blocks[0]
        .rows
        .iter()
        .find(|x| format!("t3.{}", x.key) == key)
        .unwrap()
}

/// Table 3: three label columns, merged headers and groups.
fn html_table3(h: &mut String, r: &Report, v: &Variants) {
    let d3 = r.template().table("t3").unwrap();
    let cols = d3.blocks[0].columns;
    h.push_str(&format!("<p>{}</p>\n<table>\n", SECTIONS[2].heading));
    h.push_str(&format!(
        "<tr><td colspan=\"3\" rowspan=\"3\">{}</td><td colspan=\"7\">{}</td></tr>\n<tr><td rowspan=\"2\">{}</td><td colspan=\"5\">{}</td><td rowspan=\"2\">{}</td></tr>\n<tr>",
        d3.note.unwrap(),
        d3.blocks[0].corner.unwrap(),
        cols[0].label,
        cols[1].group.unwrap(),
        cols[6].label
    ));
    for c in &cols[1..6] {
        h.push_str(&format!("<td>{}</td>", c.label));
    }
    h.push_str("</tr>\n");
    let rows = printed_rows(r, "t3");
    // The rows under 「三、本年度办理结果」.
    let results = rows
        .iter()
        .filter(|p| !p.groups.is_empty() || t3_row(d3, &p.key).group.is_some())
        .count();
    for row in &rows {
        h.push_str("<tr>");
        for g in &row.groups {
            let span = if *g == "三、本年度办理结果" {
                results
            } else {
                t3_group_size(d3, &rows, g)
            };
            h.push_str(&format!("<td rowspan=\"{span}\">{}</td>", v.label("", g)));
        }
        let decl_row = t3_row(d3, &row.key);
        let top = decl_row.group.is_none();
        let in_sub = decl_row.group.is_some_and(|g| g != "三、本年度办理结果");
        let span = if top {
            3
        } else if in_sub {
            1
        } else {
            2
        };
        h.push_str(&format!(
            "<td colspan=\"{span}\">{}</td>",
            esc(&v.label(&row.key, row.label))
        ));
        for c in &row.cells {
            h.push_str(&format!("<td>{}</td>", esc(c)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// How many printed rows of table 3 group `g` holds.
fn t3_group_size(d3: &gx::template::TableDecl, rows: &[PrintedRow], g: &str) -> usize {
    d3.blocks[0]
        .rows
        .iter()
        .filter(|row| {
            row.group == Some(g) && rows.iter().any(|p| p.key == format!("t3.{}", row.key))
        })
        .count()
}

/// Table 4: three header rows over its fifteen columns, one row of values.
fn html_table4(h: &mut String, r: &Report) {
    let (trows, groups, tcols) = t4_groups(r.template());
    h.push_str(&format!(
        "<p>{}</p>\n<table><tr><td colspan=\"5\">{}</td><td colspan=\"10\">{}</td></tr>\n<tr>",
        SECTIONS[3].heading, trows[0], groups[0]
    ));
    for c in &tcols {
        h.push_str(&format!("<td rowspan=\"2\">{c}</td>"));
    }
    h.push_str(&format!(
        "<td colspan=\"5\">{}</td><td colspan=\"5\">{}</td></tr>\n<tr>",
        trows[1], trows[2]
    ));
    let heads: String = [&tcols, &tcols]
        .into_iter()
        .flatten()
        .map(|c| format!("<th>{c}</th>"))
        .collect();
    h.push_str(&heads);
    h.push_str("</tr>\n<tr>");
    let values: String = t4_values(r)
        .iter()
        .map(|v| format!("<td>{}</td>", esc(v)))
        .collect();
    h.push_str(&values);
    h.push_str("</tr></table>\n");
}

/// Markdown with pipe tables; `shuffle` puts table 3's rows out of order and adds a stray
/// header row.
fn render_markdown(r: &Report, v: &Variants, shuffle: bool) -> String {
    let mut m = format!(
        "# {}\n\n{}\n\n## {}\n\n",
        title(r),
        r.narrative.preamble,
        SECTIONS[0].heading
    );
    for para in narrative_paragraphs(&r.narrative.overview) {
        m.push_str(&para.replace("1.", "1\\."));
        m.push_str("\n\n");
    }
    m.push_str(&format!("## {}\n\n", SECTIONS[1].heading));
    md_table2(&mut m, r, v);
    m.push_str(&format!("\n## {}\n\n", SECTIONS[2].heading));
    md_table3(&mut m, r, v, shuffle);
    m.push_str(&format!("\n## {}\n\n", SECTIONS[3].heading));
    md_table4(&mut m, r);
    for (heading, paras) in closing_sections(r) {
        m.push_str(&format!("## {heading}\n\n"));
        for para in paras {
            m.push_str(&para);
            m.push_str("\n\n");
        }
    }
    m
}

/// Table 2: a pipe table per block, under the block's title in bold.
fn md_table2(m: &mut String, r: &Report, v: &Variants) {
    let decl = r.template().table("t2").unwrap();
    let mut last_block = usize::MAX;
    for row in printed_rows(r, "t2") {
        let block = &decl.blocks[row.block];
        if row.block != last_block {
            last_block = row.block;
            m.push_str(&format!(
                "\n**{}**\n\n| {} |",
                block.title.unwrap(),
                block.corner.unwrap()
            ));
            for c in block.columns {
                m.push_str(&format!(" {} |", c.label.replace('|', "\\|")));
            }
            m.push_str(&format!("\n|{}\n", "---|".repeat(block.columns.len() + 1)));
        }
        m.push_str(&format!("| {} |", v.label(&row.key, row.label)));
        md_cells(m, &row.cells);
    }
}

/// ` a | b |` and the end of the line.
fn md_cells(m: &mut String, cells: &[String]) {
    for c in cells {
        m.push_str(&format!(" {} |", c));
    }
    m.push('\n');
}

/// Table 3: three label columns (group, sub-group, row), its rows shuffled and a stray
/// header row repeated if `shuffle`.
fn md_table3(m: &mut String, r: &Report, v: &Variants, shuffle: bool) {
    let d3 = r.template().table("t3").unwrap();
    let header = {
        let mut s = format!("| {} | | |", d3.blocks[0].corner.unwrap());
        for c in d3.blocks[0].columns {
            s.push_str(&format!(" {} |", c.label));
        }
        s
    };
    m.push_str(&header);
    m.push_str(&format!("\n|{}\n", "---|".repeat(10)));
    let mut rows = printed_rows(r, "t3");
    if shuffle {
        let n = rows.len();
        rows.swap(0, n - 1);
        rows.swap(3, 10);
        rows.reverse();
    }
    for (i, row) in rows.iter().enumerate() {
        if shuffle && i == 5 {
            m.push_str(&header);
            m.push('\n');
        }
        m.push_str(&md_t3_labels(t3_row(d3, &row.key), row, v));
        md_cells(m, &row.cells);
    }
}

/// The three label cells of a row of table 3.
fn md_t3_labels(decl_row: &gx::template::RowDecl, row: &PrintedRow, v: &Variants) -> String {
    let g2 = decl_row
        .group
        .filter(|g| *g != "三、本年度办理结果" && *g != row.label);
    let g1 = decl_row.group.map(|_| "三、本年度办理结果");
    match (g1, g2) {
        (None, _) => format!("| {} | | |", v.label(&row.key, row.label)),
        (Some(a), None) => format!(
            "| {} | {} | |",
            v.label("", a),
            v.label(&row.key, row.label)
        ),
        (Some(a), Some(b)) => format!(
            "| {} | {} | {} |",
            v.label("", a),
            v.label("", b),
            v.label(&row.key, row.label)
        ),
    }
}

/// Table 4: its header rows in one pipe table, then a line of values.
fn md_table4(m: &mut String, r: &Report) {
    let (trows, groups, tcols) = t4_groups(r.template());
    m.push_str(&format!(
        "| {} | | | | | {} | | | | | | | | | |\n",
        trows[0], groups[0]
    ));
    m.push_str(&format!("|{}\n", "---|".repeat(15)));
    m.push_str(&format!(
        "| | | | | | {} | | | | | {} | | | | |\n|",
        trows[1], trows[2]
    ));
    let heads: String = [&tcols, &tcols, &tcols]
        .into_iter()
        .flatten()
        .map(|c| format!(" {c} |"))
        .collect();
    m.push_str(&heads);
    m.push_str("\n|");
    let values: String = t4_values(r).iter().map(|v| format!(" {v} |")).collect();
    m.push_str(&values);
    m.push_str("\n\n");
}

/// Display width: pdftotext places words by their physical position, so a CJK character
/// takes two columns of a line's layout.
fn dw(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Pads to a display width.
fn pad(s: &str, width: usize) -> String {
    let n = dw(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// Centres a text in a column of `width` display columns.
fn centre(s: &str, width: usize) -> String {
    let n = dw(s);
    let left = width.saturating_sub(n) / 2;
    pad(&format!("{}{s}", " ".repeat(left)), width)
}

fn wrap(s: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

const COL: usize = 10;

/// The column width of a layout: wide enough for the longest cell with two spaces around.
fn col_width(r: &Report) -> usize {
    r.cells
        .iter()
        .map(|c| dw(&c.published()) + 4)
        .max()
        .unwrap_or(COL)
        .max(COL)
}

/// pdftotext -layout text: rows on one line, columns aligned by spaces, long labels wrapped
/// with the values on the middle line, multi-line headers, page numbers between rows.
fn render_layout(r: &Report, v: &Variants) -> String {
    let col = col_width(r);
    let mut out: Vec<String> = Vec::new();
    out.push(format!("            {}", title(r)));
    out.push(String::new());
    layout_para(&mut out, &r.narrative.preamble);
    out.push(format!("    {}", SECTIONS[0].heading));
    for p in narrative_paragraphs(&r.narrative.overview) {
        layout_para(&mut out, &p);
    }
    let mut pages = Pages(2);
    for (ti, table) in ["t2", "t3"].iter().enumerate() {
        out.push(format!("    {}", SECTIONS[ti + 1].heading));
        layout_table(&mut out, r, table, v, col, &mut pages);
    }
    out.push(format!("    {}", SECTIONS[3].heading));
    layout_table4(&mut out, r, col);
    pages.turn(&mut out);
    for (heading, paras) in closing_sections(r) {
        out.push(format!("    {heading}"));
        for p in paras {
            layout_para(&mut out, &p);
        }
    }
    out.join("\n") + "\n"
}

/// The width of the label column of tables 2 and 3.
const LABEL_W: usize = 30;

/// A paragraph wrapped at 36 characters, its first line indented further.
fn layout_para(out: &mut Vec<String>, s: &str) {
    for (i, line) in wrap(s, 36).into_iter().enumerate() {
        out.push(format!(
            "{}{line}",
            if i == 0 { "        " } else { "    " }
        ));
    }
}

/// Page numbers, from the one printed at the first break.
struct Pages(u32);

impl Pages {
    /// The foot of a page: its number and a form feed.
    fn turn(&mut self, out: &mut Vec<String>) {
        out.push(String::new());
        out.push(format!("                              -{}-", self.0));
        out.push("\u{c}".into());
        self.0 += 1;
    }
}

/// Table 2 or 3: each block's headers, then its rows, a page break after every ninth row.
fn layout_table(
    out: &mut Vec<String>,
    r: &Report,
    table: &str,
    v: &Variants,
    col: usize,
    pages: &mut Pages,
) {
    let decl = r.template().table(table).unwrap();
    if let Some(note) = decl.note {
        out.push(format!("  {note}"));
    }
    let mut last_block = usize::MAX;
    for (i, row) in printed_rows(r, table).into_iter().enumerate() {
        if row.block != last_block {
            last_block = row.block;
            layout_block_header(out, &decl.blocks[row.block], col);
        }
        for g in &row.groups {
            out.push(format!("  {}", v.label("", g)));
        }
        let label = v.label(&row.key, row.label);
        let parts = wrap(&label, 14);
        let mid = (parts.len() - 1) / 2;
        for (pi, part) in parts.iter().enumerate() {
            let mut line = format!("  {}", pad(part, LABEL_W));
            if pi == mid {
                for c in &row.cells {
                    line.push_str(&centre(c, col));
                }
            }
            out.push(line.trim_end().to_string());
        }
        if i % 9 == 8 {
            pages.turn(out);
        }
    }
}

/// A block's title, centred, and its two header lines: labels longer than four characters
/// wrap.
fn layout_block_header(out: &mut Vec<String>, block: &gx::template::BlockDecl, col: usize) {
    if let Some(title) = block.title {
        out.push(format!("  {}", centre(title, LABEL_W + col * 3)));
    }
    let mut l1 = pad("", 2 + LABEL_W);
    let mut l2 = format!("  {}", pad(block.corner.unwrap_or(""), LABEL_W));
    for c in block.columns {
        let parts = wrap(c.label, 4);
        if parts.len() > 1 && c.label.chars().count() <= 8 {
            l1.push_str(&centre(&parts[0], col));
            l2.push_str(&centre(&parts[1..].concat(), col));
        } else {
            l1.push_str(&centre("", col));
            l2.push_str(&centre(c.label, col));
        }
    }
    out.push(l1.trim_end().to_string());
    out.push(l2);
}

/// Table 4: the row groups centred over their columns, column headers over two lines
/// (「结果」/「维持」), one line of values.
fn layout_table4(out: &mut Vec<String>, r: &Report, col: usize) {
    let (trows, groups, tcols) = t4_groups(r.template());
    let c0 = 2;
    out.push(format!(
        "{}{}{}",
        " ".repeat(c0),
        centre(trows[0], col * 5),
        centre(groups[0], col * 10)
    ));
    out.push(format!(
        "{}{}{}",
        " ".repeat(c0 + col * 5),
        centre(trows[1], col * 5),
        centre(trows[2], col * 5)
    ));
    let (mut a, mut b) = (" ".repeat(c0), " ".repeat(c0));
    for c in [&tcols, &tcols, &tcols].into_iter().flatten() {
        let parts = wrap(c, 2);
        a.push_str(&centre(&parts[0], col));
        b.push_str(&centre(&parts[1..].concat(), col));
    }
    out.push(a.trim_end().into());
    out.push(b.trim_end().into());
    let mut vals = " ".repeat(c0);
    for v in t4_values(r) {
        vals.push_str(&centre(&v, col));
    }
    out.push(vals.trim_end().into());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Flat1,
    Flat0,
    Html,
    Markdown,
    MarkdownShuffled,
    PdfText,
}

const LAYOUTS: [Layout; 6] = [
    Layout::Flat1,
    Layout::Flat0,
    Layout::Html,
    Layout::Markdown,
    Layout::MarkdownShuffled,
    Layout::PdfText,
];

fn render(r: &Report, layout: Layout, v: &Variants) -> (String, &'static str) {
    match layout {
        Layout::Flat1 => (render_flat(r, v, 1), "report.txt"),
        Layout::Flat0 => (render_flat(r, v, 0), "report.txt"),
        Layout::Html => (render_html(r, v), "report.html"),
        Layout::Markdown => (render_markdown(r, v, false), "report.md"),
        Layout::MarkdownShuffled => (render_markdown(r, v, true), "report.md"),
        Layout::PdfText => (render_layout(r, v), "report.txt"),
    }
}

/// Keeps the input of a failed round trip in a temporary file for a look; returns its path
/// and the first lines of the import's summary.
fn keep_failed_input(
    layout: Layout,
    text: &str,
    imported: &import::Imported,
) -> (std::path::PathBuf, String) {
    let path = std::env::temp_dir().join(format!("gx-import-failed-{layout:?}.txt"));
    let _ = std::fs::write(&path, text);
    let summary: String = imported
        .summary()
        .lines()
        .take(12)
        .collect::<Vec<_>>()
        .join("\n");
    (path, summary)
}

fn round_trip(r: &Report, layout: Layout, v: &Variants) -> Result<(), String> {
    let (text, name) = render(r, layout, v);
    let o = ImportOptions {
        name_hint: Some(name.into()),
        org_id: r.org.id.clone(),
        ..ImportOptions::default()
    };
    let imported = import::import(text.as_bytes(), &o).map_err(|e| format!("{layout:?}: {e}"))?;
    let got = cells(&imported.report);
    let want = cells(r);
    if got != want {
        let diff: Vec<String> = got
            .lines()
            .zip(want.lines())
            .filter(|(a, b)| a != b)
            .take(8)
            .map(|(a, b)| format!("got {a}  want {b}"))
            .collect();
        let (path, summary) = keep_failed_input(layout, &text, &imported);
        return Err(format!(
            "{layout:?} {:?} {v:?}: cells differ (input in {}):\n{}\n{summary}",
            r.edition,
            path.display(),
            diff.join("\n"),
        ));
    }
    if layout != Layout::PdfText && imported.report.narrative != r.narrative {
        return Err(format!(
            "{layout:?}: narrative differs:\n{:?}\nwant\n{:?}",
            imported.report.narrative, r.narrative
        ));
    }
    if imported.report.org.name != r.org.name || imported.report.year != r.year {
        return Err(format!(
            "{layout:?}: title read as {:?} {}",
            imported.report.org.name, imported.report.year
        ));
    }
    if !imported.is_complete() {
        let (_, summary) = keep_failed_input(layout, &text, &imported);
        return Err(format!("{layout:?}: {summary}"));
    }
    Ok(())
}

#[test]
fn every_layout_of_both_editions_round_trips() {
    for edition in Edition::ALL {
        for layout in LAYOUTS {
            for (seed, mix) in [(1, PLAIN), (2, MIXED), (3, MIXED)] {
                let r = synthetic(edition, seed, mix, false);
                round_trip(&r, layout, &Variants::default()).unwrap();
            }
        }
    }
}

#[test]
fn every_layout_with_label_variants() {
    for edition in Edition::ALL {
        for layout in LAYOUTS {
            for seed in 10..16 {
                let r = synthetic(edition, seed, MIXED, false);
                round_trip(&r, layout, &Variants::all(seed)).unwrap();
            }
            let all = Variants {
                half_width: true,
                numbering: 2,
                straight_quotes: true,
                spaces: true,
                typo: true,
                old_normative: true,
            };
            round_trip(&synthetic(edition, 99, MIXED, false), layout, &all).unwrap();
        }
    }
}

#[test]
fn the_2019_style_other_row_in_a_2021_report() {
    for layout in LAYOUTS {
        let r = synthetic(Edition::E2021, 7, MIXED, true);
        assert_eq!(r.get("t3.other_other.total").unwrap().value, Value::Absent);
        round_trip(&r, layout, &Variants::default()).unwrap();
        let (text, name) = render(&r, layout, &Variants::default());
        let imported = import::import_bytes(text.as_bytes(), Some(name)).unwrap();
        assert_eq!(imported.edition, Edition::E2021);
        assert!(imported.notes.iter().any(|n| n.contains("其他处理单行")));
        let verdict = gx::validate(&imported.report);
        assert!(verdict
            .findings
            .iter()
            .any(|f| f.rule == "T3-OTHER-VARIANT"));
    }
}

#[test]
fn edition_comes_from_the_labels_not_the_year() {
    // A 2021-layout report for 2020 (the year says 2019 edition).
    let mut r = synthetic(Edition::E2021, 5, PLAIN, false);
    r.year = 2020;
    let (text, _) = render(&r, Layout::Flat1, &Variants::default());
    let imported = import::import_bytes(text.as_bytes(), None).unwrap();
    assert_eq!(imported.edition, Edition::E2021);
    assert!(
        imported.edition_reason.contains("2021年版特有的标签"),
        "{}",
        imported.edition_reason
    );
    assert_eq!(
        cells(&imported.report).lines().skip(4).collect::<Vec<_>>(),
        cells(&r).lines().skip(4).collect::<Vec<_>>()
    );
}

#[test]
fn blank_columns_in_pdf_text_are_placed_by_position() {
    // Whole 法人或其他组织 group blank in every row of table 3.
    let mut r = synthetic(Edition::E2021, 21, PLAIN, false);
    let t = r.template();
    for (i, d) in t.cells.iter().enumerate() {
        if d.key.starts_with("t3.")
            && [
                "commercial",
                "research",
                "nonprofit",
                "legal_svc",
                "other_org",
            ]
            .iter()
            .any(|c| d.key.ends_with(c))
            && r.cells[i].value != Value::Absent
        {
            r.cells[i] = Cell::BLANK;
        }
        if d.key == "t4.review.other" || d.key == "t4.lit_direct.total" {
            r.cells[i] = Cell::BLANK;
        }
    }
    round_trip(&r, Layout::PdfText, &Variants::default()).unwrap();
}

fn layout_strategy() -> impl Strategy<Value = Layout> {
    prop::sample::select(LAYOUTS.to_vec())
}

proptest! {
    // 48 cases by default; PROPTEST_CASES=N for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    /// Any consistent report, in any supported layout, with any label variants, imports back
    /// to the same cells.
    #[test]
    fn any_report_in_any_layout_imports_back(
        seed in any::<u64>(),
        vseed in any::<u64>(),
        edition in prop::sample::select(Edition::ALL.to_vec()),
        layout in layout_strategy(),
        blank in 0u64..30,
        na in 0u64..10,
        notes in 0u64..10,
        variant in any::<bool>(),
    ) {
        let r = synthetic(edition, seed, Mix { blank, na, notes }, variant);
        let result = round_trip(&r, layout, &Variants::all(vseed));
        prop_assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
    }

    /// Any bytes: an error or an import, never a panic.
    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = import::import_bytes(&bytes, None);
        let _ = import::import_bytes(&bytes, Some("x.html"));
        let _ = import::import_bytes(&bytes, Some("x.md"));
    }

    /// The sample with random lines dropped or duplicated: never a panic, never a number
    /// that was not printed.
    #[test]
    fn damaged_sample_never_invents_numbers(drop in prop::collection::vec(0usize..653, 0..12)) {
        let text = std::fs::read_to_string(SAMPLE).unwrap();
        let lines: Vec<&str> = text.lines().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, l)| l).collect();
        if let Ok(imported) = import::import_bytes(lines.join("\n").as_bytes(), None) {
            for (def, cell) in imported.report.template().cells.iter().zip(&imported.report.cells) {
                if let Value::Int(n) = cell.value {
                    prop_assert!(n == 0 || n == 6 || n == 4, "{} = {}", def.key, n);
                }
            }
        }
    }
}

#[test]
fn pdf_text_regressions() {
    // Found by the property test: a blank row whose label wraps; ambiguous-width quotes.
    let cases = [
        (5646998021933460158u64, Edition::E2019, 17, 2, 3, 0u64),
        (
            7232381160769592948,
            Edition::E2021,
            19,
            3,
            0,
            3034889756114148180,
        ),
    ];
    for (seed, edition, blank, na, notes, vseed) in cases {
        let r = synthetic(edition, seed, Mix { blank, na, notes }, false);
        round_trip(&r, Layout::PdfText, &Variants::all(vseed)).unwrap();
    }
}

// ------------------------------------------------------------------------------------------
// Real PDF: the sample laid out as a PDF (tests/fixtures/import/make-pdf.py, reportlab), and
// the text `pdftotext -layout` (poppler 22) made of it.
// ------------------------------------------------------------------------------------------

const PDF: &str = "tests/fixtures/import/gucheng-town-2020.pdf";
const PDF_TEXT: &str = "tests/fixtures/import/gucheng-town-2020.pdftotext.txt";

#[test]
fn real_pdftotext_output_of_the_sample_imports_exactly() {
    let bytes = std::fs::read(PDF_TEXT).unwrap();
    let imported = import::import(&bytes, &opts("621024101")).unwrap();
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    assert_eq!(imported.form, Form::PdfText);
    assert_eq!(cells(&imported.report), cells(&fixture));
    assert_eq!(imported.report, fixture);
    assert!(imported.is_complete());
}

#[test]
fn a_pdf_is_read_through_pdftotext_when_installed() {
    let bytes = std::fs::read(PDF).unwrap();
    match import::import(&bytes, &opts("621024101")) {
        Ok(imported) => {
            let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
            assert_eq!(imported.form, Form::Pdf);
            assert_eq!(imported.report, fixture);
        }
        Err(e @ import::ImportError::PdfToolMissing) => {
            // `.ci/run` installs poppler-utils and sets GX_REQUIRE_TOOLS: there the PDF path
            // must really run.
            assert!(
                std::env::var_os("GX_REQUIRE_TOOLS").is_none(),
                "GX_REQUIRE_TOOLS is set but {e}"
            );
            assert!(e.to_string().contains("poppler-utils"));
        }
        Err(e) => panic!("{e}"),
    }
}

/// Blank 法人或其他组织 columns, a typo, other numbering, spaces in a label, `—`, a note and
/// `251000元`, as pdftotext prints them: every number read is the printed one; where the
/// columns of a row cannot be told from the text, its cells are reported unreadable.
#[test]
fn real_pdftotext_output_with_variants_never_misplaces_a_number() {
    let bytes = std::fs::read("tests/fixtures/import/variants-2020.pdftotext.txt").unwrap();
    let imported = import::import(&bytes, &opts("621024101")).unwrap();
    let want = files::read_path("tests/fixtures/import/variants-2020.cells").unwrap();
    let unreadable: Vec<&str> = imported.unreadable.iter().map(|u| u.key.as_str()).collect();
    for (def, (got, want)) in want
        .template()
        .cells
        .iter()
        .zip(imported.report.cells.iter().zip(&want.cells))
    {
        if unreadable.contains(&def.key.as_str()) {
            assert_eq!(got.value, Value::Blank, "{}", def.key);
        } else {
            assert_eq!(got, want, "{}", def.key);
        }
    }
    assert!(imported
        .fuzzy
        .iter()
        .any(|f| f.label == "2.其他法律行政法规禁止公开"));
    let raw = imported
        .report
        .get("t2.central_procurement.amount")
        .unwrap();
    assert_eq!(raw.raw.as_deref(), Some("251000元"));
    assert_eq!(raw.value, Value::Amount(Decimal::from_str("25.1").unwrap()));
}

// ------------------------------------------------------------------------------------------
// gxctl import
// ------------------------------------------------------------------------------------------

#[test]
fn gxctl_import_prints_the_cells_and_exits_by_what_it_read() {
    use assert_cmd::Command;
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    let out = Command::cargo_bin("gxctl")
        .unwrap()
        .args(["import", SAMPLE, "-o", "cells", "--org-id", "621024101"])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout, cells(&fixture));
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("2019年版"), "{stderr}");
    assert!(stderr.contains("无法读取0个"), "{stderr}");

    // Unreadable cells: exit 1, the report still printed.
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let broken = text.replacen("\n170万\n", "\n约一百七十万\n", 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.txt");
    std::fs::write(&path, broken).unwrap();
    Command::cargo_bin("gxctl")
        .unwrap()
        .args(["import", path.to_str().unwrap(), "-o", "json", "-q"])
        .assert()
        .code(1);

    // Unusable input: exit 2 with one clear line.
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, [0u8, 1, 2, 3, 255, 254, 0, 0, 7, 8].repeat(100)).unwrap();
    let out = Command::cargo_bin("gxctl")
        .unwrap()
        .args(["import", junk.to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("binary"), "{stderr}");
}

#[test]
fn html_inside_a_layout_table_and_in_gbk() {
    let r = synthetic(Edition::E2021, 31, MIXED, false);
    let html = render_html(&r, &Variants::default());
    let wrapped = html
        .replacen("<body>", "<body><table class=\"layout\"><tr><td>", 1)
        .replacen("</body>", "</td></tr></table></body>", 1);
    let o = ImportOptions {
        name_hint: Some("page.html".into()),
        org_id: r.org.id.clone(),
        ..ImportOptions::default()
    };
    let imported = import::import(wrapped.as_bytes(), &o).unwrap();
    assert_eq!(cells(&imported.report), cells(&r));
    assert_eq!(imported.report.narrative, r.narrative);
    let html_gbk = html.replace("charset=\"utf-8\"", "charset=\"gbk\"");
    let (gbk, _, bad) = encoding_rs::GBK.encode(&html_gbk);
    assert!(!bad);
    let imported = import::import(&gbk, &o).unwrap();
    assert_eq!(imported.encoding, "GB18030");
    assert_eq!(cells(&imported.report), cells(&r));
}

#[test]
fn large_inputs_stay_linear() {
    // 4 MB of prose with no report: a clear error, quickly.
    let prose = "这是一个普通网页的段落，没有报告的表格。\n\n".repeat(100_000);
    let start = std::time::Instant::now();
    assert!(import::import_bytes(prose.as_bytes(), None).is_err());
    // 3 MB of numbers inside table 3: rows are found, the flood is not placed anywhere.
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let flood = "0\n\n".repeat(1_000_000);
    let big = text.replacen(
        "四、结转下年度继续办理",
        &format!("{flood}四、结转下年度继续办理"),
        1,
    );
    let imported = import::import_bytes(big.as_bytes(), None).unwrap();
    assert!(imported.report.year == 2020);
    // Deeply nested HTML.
    let nested = format!(
        "{}x{}",
        "<div><table><tr><td>".repeat(5000),
        "</td></tr></table></div>".repeat(5000)
    );
    assert!(import::import_bytes(nested.as_bytes(), Some("x.html")).is_err());
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn fuzzer_findings_do_not_panic() {
    for name in ["fuzz-crash-1.bin"] {
        let bytes = std::fs::read(format!("tests/fixtures/import/{name}")).unwrap();
        for hint in [None, Some("x.html"), Some("x.md"), Some("x.txt")] {
            let _ = import::import_bytes(&bytes, hint);
        }
    }
}

#[test]
fn section_headings_by_their_words() {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let fixture = files::read_path("tests/fixtures/gucheng-town-2020.json").unwrap();
    for heading in [
        "五、政府信息公开工作存在的主要问题及改进情况",
        "五、存在的主要问题及整改措施",
        "六、存在的主要问题及改进情况",
    ] {
        let t = text.replace("五、存在的主要问题及改进情况", heading);
        let imported = import::import(t.as_bytes(), &opts("621024101")).unwrap();
        assert_eq!(imported.report, fixture, "{heading}");
    }
}

#[test]
fn tab_separated_rows() {
    // Text copied from a web page table: a row per line, cells separated by tabs.
    let r = synthetic(Edition::E2019, 41, MIXED, false);
    let mut out = format!("{}\n{}\n", title(&r), SECTIONS[1].heading);
    for (i, table) in ["t2", "t3"].iter().enumerate() {
        if i == 1 {
            out.push_str(SECTIONS[2].heading);
            out.push('\n');
        }
        for row in printed_rows(&r, table) {
            for g in &row.groups {
                out.push_str(g);
                out.push('\n');
            }
            out.push_str(row.label);
            for c in &row.cells {
                out.push('\t');
                out.push_str(c);
            }
            out.push('\n');
        }
    }
    out.push_str(SECTIONS[3].heading);
    out.push('\n');
    out.push_str(&t4_values(&r).join("\t"));
    out.push('\n');
    let imported = import::import(out.as_bytes(), &opts("000000001")).unwrap();
    assert_eq!(
        cells(&imported.report).lines().skip(4).collect::<Vec<_>>(),
        cells(&r).lines().skip(4).collect::<Vec<_>>()
    );
    assert!(imported.is_complete());
}
