//! Rendering: golden files, the table structure read back from the HTML DOM, the flat text
//! against the scraped sample, random reports, injection, and `gxctl render`.

use std::path::PathBuf;

use proptest::prelude::*;
use rust_decimal::Decimal;
use scraper::{ElementRef, Html, Selector};

use gx::files;
use gx::model::{Cell, Org, Report, Section, Subsection, Value};
use gx::render::{self, markdown, text, Format};
use gx::template::{group_parent, Edition, Kind, Orientation, Presence, TableDecl};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn fixture(name: &str) -> Report {
    let p = path(&format!("tests/fixtures/{name}.json"));
    files::read_path(&p.to_string_lossy()).expect("fixture reads")
}

fn sample() -> Report {
    fixture("gucheng-town-2020")
}

// ------------------------------------------------------------------------------ golden files

/// Compares a rendering with its golden file; `GX_BLESS=1` rewrites the file instead.
fn golden(name: &str, report: &Report, format: Format) {
    let rendered = render::render(report, format);
    let file = path(&format!("tests/golden/{name}.{}", format.extension()));
    if std::env::var_os("GX_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `GX_BLESS=1 cargo test --test it render::` to create it",
            file.display()
        )
    });
    if rendered != expected {
        let line = rendered
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| rendered.lines().count().min(expected.lines().count()));
        panic!(
            "{} differs from the rendering at line {}:\n  golden:   {:?}\n  rendered: {:?}\n\
             review the change, then `GX_BLESS=1 cargo test --test it render::` to accept it",
            file.display(),
            line + 1,
            expected.lines().nth(line),
            rendered.lines().nth(line),
        );
    }
}

#[test]
fn golden_sample() {
    let r = sample();
    for f in Format::ALL {
        golden("gucheng-town-2020", &r, f);
    }
}

#[test]
fn golden_2021_edition_example() {
    let r = fixture("example-2022");
    assert_eq!(r.edition, Edition::E2021);
    for f in Format::ALL {
        golden("example-2022", &r, f);
    }
}

// ------------------------------------------------------------------------------ DOM structure

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// A slot of a table's grid: which cell covers it.
#[derive(Debug, Clone)]
struct Slot {
    /// Index of the covering cell in document order (same for every slot it spans).
    origin: usize,
    th: bool,
    text: String,
    key: Option<String>,
}

/// A `<table>` expanded into its grid of slots by the rowspan/colspan rules; asserts the
/// grid is rectangular, without holes or overlaps.
#[derive(Debug)]
struct DomTable {
    head_rows: usize,
    caption: Option<String>,
    grid: Vec<Vec<Slot>>,
}

fn span(e: &ElementRef, attr: &str) -> usize {
    e.value()
        .attr(attr)
        .map(|v| v.parse().expect("span is a number"))
        .unwrap_or(1)
}

fn expand(table: ElementRef) -> DomTable {
    let caption = table
        .select(&sel("caption"))
        .next()
        .map(|c| c.text().collect::<String>());
    let head_rows = table.select(&sel("thead > tr")).count();
    let rows: Vec<ElementRef> = table.select(&sel("thead > tr, tbody > tr")).collect();
    let mut grid: Vec<Vec<Option<Slot>>> = vec![Vec::new(); rows.len()];
    let mut origin = 0;
    for (r, tr) in rows.iter().enumerate() {
        let mut c = 0;
        let cells = tr
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|e| matches!(e.value().name(), "th" | "td"));
        for cell in cells {
            while grid[r].get(c).is_some_and(Option::is_some) {
                c += 1;
            }
            let (rs, cs) = (span(&cell, "rowspan"), span(&cell, "colspan"));
            let slot = Slot {
                origin,
                th: cell.value().name() == "th",
                text: cell.text().collect(),
                key: cell.value().attr("data-key").map(str::to_string),
            };
            for row in grid.iter_mut().skip(r).take(rs) {
                if row.len() < c + cs {
                    row.resize(c + cs, None);
                }
                for s in &mut row[c..c + cs] {
                    assert!(s.is_none(), "overlapping cells at {slot:?}");
                    *s = Some(slot.clone());
                }
            }
            origin += 1;
            c += cs;
        }
    }
    let width = grid.first().map_or(0, Vec::len);
    let grid: Vec<Vec<Slot>> = grid
        .into_iter()
        .enumerate()
        .map(|(r, row)| {
            assert_eq!(row.len(), width, "row {r} is not {width} wide");
            row.into_iter()
                .enumerate()
                .map(|(c, s)| s.unwrap_or_else(|| panic!("hole at row {r}, column {c}")))
                .collect()
        })
        .collect();
    DomTable {
        head_rows,
        caption,
        grid,
    }
}

/// Distinct header labels along a line of slots (merged cells count once).
fn labels<'a>(slots: impl Iterator<Item = &'a Slot>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last = usize::MAX;
    for s in slots {
        if s.origin != last && s.th {
            out.push(s.text.clone());
        }
        last = s.origin;
    }
    out
}

/// Checks every table of the page against the template: per value cell, the header labels
/// above it and the row labels beside it are the template's label paths, and the cells
/// appear in template order.
fn check_dom(report: &Report, html: &str) -> Vec<DomTable> {
    let doc = Html::parse_document(html);
    let t = report.template();
    let tables: Vec<DomTable> = doc.select(&sel("table")).map(expand).collect();
    let expected_tables: usize = t.tables.iter().map(|t| t.blocks.len()).sum();
    assert_eq!(tables.len(), expected_tables);

    // Every data cell, in document order, is a printed template cell in template order.
    let keys: Vec<String> = doc
        .select(&sel("td"))
        .map(|td| td.value().attr("data-key").unwrap_or("").to_string())
        .collect();
    let printed: Vec<String> = t
        .cells
        .iter()
        .zip(&report.cells)
        .filter(|(def, _)| row_printed(report, def.row_key()))
        .map(|(def, _)| def.key.clone())
        .collect();
    assert_eq!(keys, printed);

    let mut it = tables.iter();
    for table in &t.tables {
        for block in &table.blocks {
            let dt = it.next().unwrap();
            assert_eq!(dt.caption.as_deref(), block.title);
            for row in &dt.grid[dt.head_rows..] {
                for (c, slot) in row.iter().enumerate() {
                    let Some(key) = &slot.key else { continue };
                    let def = t.cell(t.ix(key).unwrap());
                    let above = labels(dt.grid[..dt.head_rows].iter().map(|r| &r[c]));
                    let beside = labels(row[..c].iter());
                    let (col_path, row_path) = paths(table, def.row, def.column);
                    assert_eq!(above, col_path, "{key}: column headers");
                    assert_eq!(beside, row_path, "{key}: row headers");
                    assert_eq!(slot.text, report.get(key).unwrap().published(), "{key}");
                }
            }
        }
    }
    // Every th has a scope and an id; every `headers` id exists.
    let ids: std::collections::HashSet<&str> = doc
        .select(&sel("th"))
        .filter_map(|e| e.value().id())
        .collect();
    for th in doc.select(&sel("th")) {
        assert!(th.value().attr("scope").is_some());
        assert!(th.value().id().is_some());
    }
    for td in doc.select(&sel("td")) {
        let headers = td.value().attr("headers").expect("td has headers");
        for h in headers.split(' ') {
            assert!(ids.contains(h), "headers names {h}");
        }
    }
    tables
}

fn row_printed(report: &Report, row_key: &str) -> bool {
    report
        .template()
        .row_cells(row_key)
        .any(|ix| report.cell(ix).value != Value::Absent)
}

fn paths(
    table: &TableDecl,
    row: &gx::template::RowDecl,
    column: &gx::template::ColumnDecl,
) -> (Vec<String>, Vec<String>) {
    let s = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<Vec<_>>();
    match table.orientation {
        Orientation::Rows => {
            let col: Vec<&str> = column.group.into_iter().chain([column.label]).collect();
            let parent = row.group.and_then(group_parent);
            let rowp: Vec<&str> = parent
                .into_iter()
                .chain(row.group)
                .chain([row.label])
                .collect();
            (s(col), s(rowp))
        }
        Orientation::Across => {
            let col: Vec<&str> = row
                .group
                .into_iter()
                .chain([row.label, column.label])
                .collect();
            (s(col), Vec::new())
        }
    }
}

/// The origin slot's (rowspan, colspan) of the slot at (r, c).
fn extent(dt: &DomTable, r: usize, c: usize) -> (usize, usize) {
    let o = dt.grid[r][c].origin;
    let rows = dt
        .grid
        .iter()
        .filter(|row| row.iter().any(|s| s.origin == o))
        .count();
    let cols = dt.grid[r].iter().filter(|s| s.origin == o).count();
    (rows, cols)
}

/// The text of each slot `(table, row, column, text)` of `tables`.
#[track_caller]
fn assert_texts(tables: &[DomTable], want: &[(usize, usize, usize, &str)]) {
    for &(t, r, c, text) in want {
        assert_eq!(
            tables[t].grid[r][c].text, text,
            "table {t}, slot ({r}, {c})"
        );
    }
}

/// A (row, column) position in a grid, or the (rows, columns) a cell spans.
type RowCol = (usize, usize);

/// The (rows, columns) spanned by the cell at each slot `(table, (row, column), extent)` of
/// `tables`.
#[track_caller]
fn assert_extents(tables: &[DomTable], want: &[(usize, RowCol, RowCol)]) {
    for &(t, (r, c), span) in want {
        assert_eq!(
            extent(&tables[t], r, c),
            span,
            "table {t}, extent of slot ({r}, {c})"
        );
    }
}

#[test]
fn dom_structure_of_the_sample() {
    let r = sample();
    let tables = check_dom(&r, &render::render(&r, Format::Html));
    // Table 2 (2019): five blocks.
    assert_eq!(tables.len(), 5 + 2);
    assert_eq!(tables[0].caption.as_deref(), Some("第二十条第（一）项"));
    assert_eq!(tables[0].grid.len(), 3);
    assert_eq!(tables[0].grid[0][0].text, "信息内容");
    assert_eq!(tables[4].grid[1][2].text, "170万");
    // Table 3: 10 columns (3 label columns + 7), 2 header rows, 23 rows.
    let t3 = &tables[5];
    assert_eq!(t3.head_rows, 2);
    assert_eq!(t3.grid.len(), 2 + 23);
    assert_eq!(t3.grid[0].len(), 10);
    assert_eq!(t3.grid[24][9].key.as_deref(), Some("t3.forward.total"));
    // Table 4: three header rows over 15 columns, one data row.
    let t4 = &tables[6];
    assert_eq!(t4.head_rows, 3);
    assert_eq!(t4.grid.len(), 4);
    assert_eq!(t4.grid[0].len(), 15);
    assert_eq!(t4.grid[3][0].key.as_deref(), Some("t4.review.upheld"));
    assert_eq!(
        t4.grid[3][14].key.as_deref(),
        Some("t4.lit_after_review.total")
    );
    // The headers and labels of tables 3 (5) and 4 (6), and the cells they merge.
    assert_texts(
        &tables,
        &[
            (5, 0, 0, "申请人情况"),
            (5, 0, 4, "法人或其他组织"),
            (5, 1, 4, "商业企业"),
            (5, 0, 9, "总计"),
            (5, 2, 0, "一、本年新收政府信息公开申请数量"),
            (5, 4, 0, "三、本年度办理结果"),
            (5, 4, 1, "（一）予以公开"),
            (5, 6, 1, "（三）不予公开"),
            (5, 6, 2, "1.属于国家秘密"),
            (5, 22, 1, "（六）其他处理"),
            (5, 23, 1, "（七）总计"),
            (5, 24, 0, "四、结转下年度继续办理"),
            (6, 0, 0, "行政复议"),
            (6, 0, 5, "行政诉讼"),
            (6, 1, 0, "结果维持"),
            (6, 1, 5, "未经复议直接起诉"),
            (6, 1, 10, "复议后起诉"),
            (6, 2, 14, "总计"),
        ],
    );
    assert_extents(
        &tables,
        &[
            (5, (0, 0), (2, 3)),
            (5, (0, 3), (2, 1)),
            (5, (0, 4), (1, 5)),
            (5, (0, 9), (2, 1)),
            (5, (2, 0), (1, 3)),
            (5, (4, 0), (20, 1)),
            (5, (4, 1), (1, 2)),
            (5, (6, 1), (8, 1)),
            (5, (22, 1), (1, 2)),
            (6, (0, 0), (1, 5)),
            (6, (0, 5), (1, 10)),
            (6, (1, 0), (2, 1)),
            (6, (1, 5), (1, 5)),
        ],
    );
    // The page: lang, title, the six headings in order, the note just before table 3.
    let html = render::render(&r, Format::Html);
    let doc = Html::parse_document(&html);
    let root = doc.root_element();
    assert_eq!(root.value().attr("lang"), Some("zh-CN"));
    let title: String = doc.select(&sel("h1")).next().unwrap().text().collect();
    assert_eq!(title, "固城镇2020年政府信息公开工作年度报告");
    let h2: Vec<String> = doc.select(&sel("h2")).map(|e| e.text().collect()).collect();
    let sections: Vec<String> = gx::template::SECTIONS
        .iter()
        .map(|s| s.heading.to_string())
        .collect();
    assert_eq!(h2, sections);
    let note: String = doc
        .select(&sel("#s3 > p.note + table"))
        .next()
        .and_then(|t| t.prev_siblings().find_map(ElementRef::wrap))
        .map(|p| p.text().collect())
        .unwrap();
    assert!(note.starts_with("（本列数据的勾稽关系为"));
    // Self-contained: no scripts, no external resources.
    for forbidden in ["script", "link", "img", "iframe", "object", "embed"] {
        assert_eq!(doc.select(&sel(forbidden)).count(), 0, "{forbidden}");
    }
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("url("));
}

#[test]
fn dom_structure_of_2021_both_variants() {
    // Sub-rows of （六）其他处理 printed.
    let r = fixture("example-2022");
    let tables = check_dom(&r, &render::render(&r, Format::Html));
    assert_eq!(tables.len(), 4 + 2);
    assert_eq!(tables[1].grid[0].len(), 2, "（五） has one value column");
    let t3 = &tables[4];
    assert_eq!(t3.grid.len(), 2 + 25);
    assert_eq!(extent(t3, 4, 0), (22, 1));
    assert_eq!(t3.grid[22][1].text, "（六）其他处理");
    assert_eq!(extent(t3, 22, 1), (3, 1));
    assert!(t3.grid[22][2]
        .text
        .starts_with("1.申请人无正当理由逾期不补正"));
    assert_eq!(t3.grid[24][2].text, "3.其他");

    // The single 2019-style row inside a 2021-edition report.
    let mut r = Report::blank(Org::default(), 2021, Edition::E2021);
    let t = r.template();
    for (ix, def) in t.cells.iter().enumerate() {
        r.cells[ix] = match def.row.key {
            "other_no_correction" | "other_fee_unpaid" | "other_other" => Cell::ABSENT,
            _ => Cell::int(ix as i64),
        };
    }
    let tables = check_dom(&r, &render::render(&r, Format::Html));
    let t3 = &tables[4];
    assert_eq!(t3.grid.len(), 2 + 23);
    assert_eq!(extent(t3, 4, 0), (20, 1));
    assert_eq!(t3.grid[22][1].text, "（六）其他处理");
    assert_eq!(extent(t3, 22, 1), (1, 2));
    assert_eq!(t3.grid[22][3].key.as_deref(), Some("t3.other.natural"));
}

// ------------------------------------------------------------------------------ flat text

/// The items of a flat text: split on blank lines, a wrapped item joined.
fn items(s: &str) -> Vec<String> {
    s.trim_end_matches('\n')
        .split("\n\n")
        .map(|i| i.replace('\n', ""))
        .collect()
}

/// Full-width punctuation as the scraped page printed it.
fn narrow(s: &str) -> String {
    s.trim_start_matches(text::INDENT)
        .replace('（', "(")
        .replace('）', ")")
        .replace('：', ":")
        .replace('，', ",")
}

#[test]
fn text_reproduces_the_scraped_sample() {
    let scraped = std::fs::read_to_string(path("tests/fixtures/gucheng-town-2020.scraped.txt"))
        .unwrap()
        .replace("\r\n", "\n");
    let scraped: Vec<String> = items(&scraped)
        .iter()
        .map(|i| i.trim().to_string())
        .collect();
    let ours: Vec<String> = items(&render::render(&sample(), Format::Text))
        .iter()
        .map(|i| narrow(i))
        .collect();
    // From 二、 to the end: the tables cell by cell, then sections 五 and 六.
    let from = |v: &[String]| {
        v.iter()
            .position(|i| i == "二、主动公开政府信息情况")
            .unwrap()
    };
    assert_eq!(ours[from(&ours)..], scraped[from(&scraped)..]);
    // The preamble and the overview's opening paragraph.
    let preamble = &sample().narrative.preamble;
    assert!(scraped.contains(preamble) && ours.contains(preamble));
    let overview = ours.iter().position(|i| i == "一、总体情况").unwrap();
    let i = scraped.iter().position(|i| i == "一、总体情况").unwrap();
    assert_eq!(ours[overview + 1], scraped[i + 1]);
}

#[test]
fn text_items_alternate_with_blank_lines() {
    let mut r = sample();
    r.set("t3.new.natural", Cell::BLANK);
    r.set("t3.new.commercial", Cell::BLANK);
    let out = render::render(&r, Format::Text);
    assert!(out.ends_with('\n') && !out.ends_with("\n\n"));
    let lines: Vec<&str> = out.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if i % 2 == 1 {
            assert_eq!(*l, "", "line {} must separate items", i + 1);
        }
    }
    // Two blank cells: the row label, then two empty items, then the rest of the row.
    let at = lines
        .iter()
        .position(|l| *l == "一、本年新收政府信息公开申请数量")
        .unwrap();
    assert_eq!(
        &lines[at..at + 8],
        &[
            "一、本年新收政府信息公开申请数量",
            "",
            "",
            "",
            "",
            "",
            "0",
            ""
        ]
    );
}

// ------------------------------------------------------------------------------ markdown

/// The cells of the pipe tables of a Markdown rendering, per table, unescaped.
fn md_tables(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut tables = Vec::new();
    let mut current: Vec<Vec<String>> = Vec::new();
    for line in md.lines() {
        if let Some(body) = line.strip_prefix("| ") {
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = body.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        cell.push(c);
                        if let Some(n) = chars.next() {
                            cell.push(n);
                        }
                    }
                    '|' => {
                        cells.push(markdown::unescape(cell.trim()));
                        cell.clear();
                    }
                    c => cell.push(c),
                }
            }
            current.push(cells);
        } else if !current.is_empty() {
            tables.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tables.push(current);
    }
    tables
}

#[test]
fn markdown_tables_flatten_merged_headers() {
    let r = sample();
    let md = render::render(&r, Format::Markdown);
    let tables = md_tables(&md);
    assert_eq!(tables.len(), 7);
    let t3 = &tables[5];
    assert_eq!(t3[0][0], "申请人情况");
    assert_eq!(t3[0][2], "法人或其他组织 商业企业");
    assert_eq!(t3[0].len(), 8);
    assert_eq!(t3[1][0], ":--");
    assert_eq!(t3.len(), 2 + 23);
    assert_eq!(t3[6][0], "三、本年度办理结果 （三）不予公开 1.属于国家秘密");
    let t4 = &tables[6];
    assert_eq!(t4[0].len(), 15);
    assert_eq!(t4[0][5], "行政诉讼 未经复议直接起诉 结果维持");
    assert_eq!(t4.len(), 3);
    assert!(md.contains("\n**第二十条第（九）项**\n"));
    assert_eq!(tables[4][2], ["政府集中采购", "4", "170万"]);
}

// ------------------------------------------------------------------------------ random reports

/// A value of a column's kind, with the shapes seen in real reports.
fn cell_for(kind: Kind, choice: u8, n: u32, m: u8) -> Cell {
    let count = i64::from(n % 100_000);
    match choice % 8 {
        0 => Cell::BLANK,
        1 => Cell::new(Value::NotApplicable),
        2 => Cell {
            value: Value::NotApplicable,
            raw: Some(["—", "-", "／", "——"][usize::from(m % 4)].to_string()),
        },
        3..=5 => match kind {
            Kind::Count => Cell::int(count),
            Kind::Signed => Cell::int(count - 50_000),
            Kind::Amount => Cell::new(Value::Amount(Decimal::new(count, u32::from(m % 5)))),
        },
        6 => match kind {
            Kind::Amount => Cell {
                value: Value::Amount(Decimal::from(count)),
                raw: Some(format!("{count}万")),
            },
            _ => Cell {
                value: Value::Int(count),
                raw: Some(format!("{count}（其中修订{m}件）")),
            },
        },
        _ => Cell {
            // Annotations with markup characters must survive too.
            value: Value::Int(count),
            raw: Some(format!("{count} <b>|*_[x]&amp;#{m}")),
        },
    }
}

const TEXT_CHARS: &str =
    "[a-z0-9 一二三年度公开（）《》“”、。，<>&|*_#\\[\\]()`~$!\"'.:;/+=\\\\{}-]";

fn line() -> impl Strategy<Value = String> {
    // Non-empty lines without surrounding whitespace: the narrative as importers store it.
    proptest::string::string_regex(&format!("{TEXT_CHARS}{{0,12}}[^\\s\\p{{C}}]"))
        .unwrap()
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn text_block() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..3).prop_map(|v| v.join("\n"))
}

fn section() -> impl Strategy<Value = Section> {
    (
        text_block(),
        prop::collection::vec((line(), text_block()), 0..3),
    )
        .prop_map(|(text, subs)| Section {
            text,
            subsections: subs
                .into_iter()
                .map(|(title, text)| Subsection { title, text })
                .collect(),
        })
}

fn report() -> impl Strategy<Value = Report> {
    (
        prop::bool::ANY,
        2019u32..2031,
        line(),
        text_block(),
        (section(), section(), section()),
        prop::collection::vec((any::<u8>(), any::<u32>(), any::<u8>()), 207),
        prop::bool::ANY,
    )
        .prop_map(
            |(e2021, year, name, preamble, (overview, problems, other), values, single)| {
                let edition = if e2021 {
                    Edition::E2021
                } else {
                    Edition::E2019
                };
                let org = Org {
                    id: "x".into(),
                    name,
                };
                let mut r = Report::blank(org, year, edition);
                r.narrative.preamble = preamble;
                r.narrative.overview = overview;
                r.narrative.problems = problems;
                r.narrative.other = other;
                let t = r.template();
                for (ix, def) in t.cells.iter().enumerate() {
                    let (choice, n, m) = values[ix];
                    let variant = matches!(def.row.presence, Presence::InsteadOf(_));
                    let sub_row = def.row.key.starts_with("other_");
                    r.cells[ix] = if (variant && !single) || (sub_row && single) {
                        Cell::ABSENT
                    } else {
                        cell_for(def.kind(), choice, n, m)
                    };
                }
                r
            },
        )
}

fn printed_cells(r: &Report) -> Vec<(String, String)> {
    r.template()
        .cells
        .iter()
        .zip(&r.cells)
        .filter(|(def, _)| row_printed(r, def.row_key()))
        .map(|(def, c)| (def.key.clone(), c.published()))
        .collect()
}

/// The narrative in reading order: (is a title, text) per paragraph or sub-section title.
fn narrative_paragraphs(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r.narrative.preamble.lines().map(str::to_string).collect();
    for s in [
        &r.narrative.overview,
        &r.narrative.problems,
        &r.narrative.other,
    ] {
        out.extend(s.text.lines().map(str::to_string));
        for sub in &s.subsections {
            out.push(sub.title.clone());
            out.extend(sub.text.lines().map(str::to_string));
        }
    }
    out
}

/// Paragraph and heading texts, table cell texts, and everything else seen, from Markdown
/// parsed as GitHub would (CommonMark + tables, strikethrough, task lists, math).
#[derive(Debug, Default)]
struct MdSeen {
    blocks: Vec<String>,
    cells: Vec<String>,
    headings: usize,
    tables: usize,
    strong: usize,
    unexpected: Vec<String>,
}

fn parse_md(md: &str) -> MdSeen {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_FOOTNOTES;
    let mut seen = MdSeen::default();
    let mut buf = String::new();
    for ev in Parser::new_ext(md, opts) {
        match ev {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell) => buf.clear(),
            Event::Start(Tag::Table(_)) => seen.tables += 1,
            Event::Start(Tag::Strong) => seen.strong += 1,
            Event::Start(Tag::TableHead | Tag::TableRow) => {}
            Event::End(TagEnd::Paragraph) => seen.blocks.push(std::mem::take(&mut buf)),
            Event::End(TagEnd::Heading(_)) => {
                seen.headings += 1;
                seen.blocks.push(std::mem::take(&mut buf));
            }
            Event::End(TagEnd::TableCell) => seen.cells.push(std::mem::take(&mut buf)),
            Event::End(_) => {}
            Event::Text(t) => buf.push_str(&t),
            other => seen.unexpected.push(format!("{other:?}")),
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_reports_render_every_cell_in_order(r in report()) {
        let cells = printed_cells(&r);

        // HTML: the data cells are the printed cells, in order, with their published text;
        // the narrative paragraphs come back exactly.
        let html = render::render(&r, Format::Html);
        let doc = Html::parse_document(&html);
        let got: Vec<(String, String)> = doc
            .select(&sel("td"))
            .map(|td| (td.value().attr("data-key").unwrap_or("").to_string(), td.text().collect()))
            .collect();
        prop_assert_eq!(&got, &cells);
        let paras: Vec<String> = doc
            .select(&sel(".preamble > p, section > p:not(.note), section > h3"))
            .map(|p| p.text().collect())
            .collect();
        prop_assert_eq!(&paras, &narrative_paragraphs(&r));
        let h1: String = doc.select(&sel("h1")).next().unwrap().text().collect();
        prop_assert_eq!(h1, render::title(&r));

        // Markdown, parsed as GitHub would: the value cells in order, the narrative as text,
        // nothing but paragraphs, headings, tables and the block captions.
        let md = render::render(&r, Format::Markdown);
        let seen = parse_md(&md);
        prop_assert!(seen.unexpected.is_empty(), "{:?}", seen.unexpected);
        // Tables 2 and 3 open with the row-label column; table 4 (行政复议 …) has none.
        let md_cells: Vec<String> = md_tables(&md)
            .into_iter()
            .flat_map(|t| {
                let skip = usize::from(!t[0][0].starts_with("行政复议"));
                t.into_iter().skip(2).flat_map(move |row| row.into_iter().skip(skip))
            })
            .collect();
        let published: Vec<String> = cells.iter().map(|(_, p)| p.clone()).collect();
        prop_assert_eq!(&md_cells, &published);
        for c in &published {
            prop_assert!(seen.cells.contains(c), "cell {:?} not rendered as text", c);
        }
        let mut blocks = seen.blocks.iter();
        for p in narrative_paragraphs(&r) {
            prop_assert!(blocks.any(|b| *b == p), "paragraph {:?} not rendered as text", p);
        }

        // Text: every item on one line; the cells appear, in order, as whole items.
        let txt = render::render(&r, Format::Text);
        let items = items(&txt);
        prop_assert_eq!(txt.lines().count(), 2 * items.len() - 1);
        let mut pos = 0;
        for (key, p) in &cells {
            match items[pos..].iter().position(|i| i == p) {
                Some(i) => pos += i + 1,
                None => prop_assert!(false, "{} ({:?}) missing or out of order", key, p),
            }
        }
    }
}

// ------------------------------------------------------------------------------ injection

fn hostile() -> Report {
    let mut r = sample();
    r.org.name = "<b>某</b>&amp;<script>".into();
    r.narrative.preamble = [
        "<script>alert(1)</script>",
        "</p></section><img src=x onerror=alert(1)>",
        "\"><svg onload=alert(1)>",
        "<!-- open comment",
        "]]> &amp; &#60;b&#62; &lt;",
    ]
    .join("\n");
    r.narrative.overview = Section {
        text: [
            "[click](javascript:alert(1)) ![x](http://e.invalid/x.png) <http://e.invalid>",
            "| a | b |",
            "# heading",
            "    indented code",
            "```",
            "<div onclick=alert(1)>",
            "*bold* _it_ ~~gone~~ `code` $x^2$",
            "1. list",
            "- item",
            "> quote",
            "---",
            "x\r## evil heading\rtext",
            "tab\there \\ back\\slash\\",
            "[^1] footnote\u{7}bell\u{1b}[31mred",
        ]
        .join("\n"),
        subsections: vec![Subsection {
            title: "### </h3><script>x</script> #".into(),
            text: "[ref]: http://e.invalid".into(),
        }],
    };
    r.set(
        "t2.central_procurement.amount",
        Cell {
            value: Value::Amount(Decimal::from(170)),
            raw: Some("<b>170</b>|万\n# x".into()),
        },
    );
    r
}

#[test]
fn hostile_narrative_renders_inert_in_html() {
    let r = hostile();
    let html = render::render(&r, Format::Html);
    let doc = Html::parse_document(&html);
    for tag in ["script", "img", "svg", "b", "iframe"] {
        assert_eq!(doc.select(&sel(tag)).count(), 0, "<{tag}> injected");
    }
    assert_eq!(doc.select(&sel("div")).count(), 1, "only the preamble div");
    for e in doc.select(&sel("*")) {
        for (name, _) in e.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name} injected");
        }
    }
    let paras: Vec<String> = doc
        .select(&sel(".preamble > p, section > p:not(.note), section > h3"))
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(paras, narrative_paragraphs(&r));
    let h1: String = doc.select(&sel("h1")).next().unwrap().text().collect();
    assert_eq!(h1, render::title(&r));
    let amount = doc
        .select(&sel("td[data-key=\"t2.central_procurement.amount\"]"))
        .next()
        .unwrap();
    assert_eq!(amount.text().collect::<String>(), "<b>170</b>|万\n# x");
    assert_eq!(amount.value().attr("data-value"), Some("170"));
    assert!(!html.contains('\r') && !html.contains('\u{1b}'));
}

#[test]
fn hostile_narrative_renders_inert_in_markdown() {
    let r = hostile();
    let md = render::render(&r, Format::Markdown);
    let seen = parse_md(&md);
    assert!(seen.unexpected.is_empty(), "{:?}", seen.unexpected);
    // The title, six sections and the sub-sections: 一 has one, 五 two.
    assert_eq!(seen.headings, 1 + 6 + 1 + 2);
    assert_eq!(seen.tables, 7);
    assert_eq!(seen.strong, 5, "only the five block captions of table 2");
    for p in narrative_paragraphs(&r) {
        assert!(seen.blocks.contains(&p), "{p:?} not rendered as text");
    }
    assert!(seen.blocks.contains(&render::title(&r)));
    assert!(seen.cells.contains(&"<b>170</b>|万\n# x".to_string()));
    // Every table row still has its columns.
    for t in md_tables(&md) {
        assert!(t.iter().all(|row| row.len() == t[0].len()));
    }
    assert!(!md.contains('\r') && !md.contains('\u{1b}') && !md.contains('\u{7}'));
}

#[test]
fn hostile_narrative_keeps_the_text_layout() {
    let r = hostile();
    let txt = render::render(&r, Format::Text);
    assert!(!txt.contains('\r') && !txt.contains('\u{1b}'));
    let items = items(&txt);
    assert_eq!(txt.lines().count(), 2 * items.len() - 1);
    assert!(items.contains(&"<b>170</b>|万 # x".to_string()));
    assert!(items.contains(&format!("{}x ## evil heading text", text::INDENT)));
}

// ------------------------------------------------------------------------------ gxctl render

fn gxctl() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("gxctl").unwrap()
}

fn sample_path() -> String {
    path("tests/fixtures/gucheng-town-2020.json")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn cli_renders_each_format() {
    let r = sample();
    for (flag, format) in [
        ("html", Format::Html),
        ("md", Format::Markdown),
        ("txt", Format::Text),
    ] {
        let out = gxctl()
            .args(["render", &sample_path(), "-f", flag])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            render::render(&r, format)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.md");
    gxctl()
        .args(["render", &sample_path(), "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        render::render(&r, Format::Markdown),
        "format from the extension of OUT"
    );
}

#[test]
fn cli_strict_refuses_a_report_with_errors() {
    let mut r = sample();
    r.set("t3.new.total", Cell::int(5));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, files::write(&r, files::Format::Json)).unwrap();

    let out = gxctl()
        .args(["render", "--strict", "-f", "txt"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("T3-ROW-SUM"), "{err}");
    assert!(err.contains("--strict"), "{err}");

    let out = gxctl()
        .args(["render", "-f", "txt"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        render::render(&r, Format::Text)
    );
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("validation error"));

    gxctl()
        .args(["render", "--strict", "-f", "txt", &sample_path()])
        .assert()
        .success();
    gxctl()
        .args(["render", "no/such/file.json"])
        .assert()
        .code(2);
}
