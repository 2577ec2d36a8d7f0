//! The two national editions of the report, declared once as data.
//!
//! Everything that knows the layout of a report — validation, the flat cell view, JSON and
//! YAML files, the proto mapping, and later import, diff and render — reads it from here.
//! Every official label of the report is written in this file and nowhere else.
//!
//! A [`Template`] is the compiled form of an edition: the flat list of cells in printed order
//! (tables → blocks → rows → columns), a key index, and the identities (勾稽关系) that the
//! declared sums imply.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The national layout a report follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edition {
    /// 2019年版（试行）: reports for 2019 and 2020.
    E2019,
    /// 2021年版: reports for 2021 onward.
    E2021,
}

impl Edition {
    pub const ALL: [Edition; 2] = [Edition::E2019, Edition::E2021];

    /// The edition's number as written in files: 2019 or 2021.
    pub fn number(self) -> u32 {
        match self {
            Edition::E2019 => 2019,
            Edition::E2021 => 2021,
        }
    }

    pub fn from_number(n: u32) -> Option<Edition> {
        match n {
            2019 => Some(Edition::E2019),
            2021 => Some(Edition::E2021),
            _ => None,
        }
    }

    /// The edition in force for reports of `year` (2019–2020 → 2019, later → 2021).
    pub fn for_year(year: u32) -> Edition {
        if year <= 2020 {
            Edition::E2019
        } else {
            Edition::E2021
        }
    }

    /// The document that fixed this edition.
    pub fn document(self) -> &'static str {
        match self {
            Edition::E2019 => "国办公开办函〔2019〕60号",
            Edition::E2021 => "国办公开办函〔2021〕30号",
        }
    }

    pub fn template(self) -> &'static Template {
        static T2019: OnceLock<Template> = OnceLock::new();
        static T2021: OnceLock<Template> = OnceLock::new();
        match self {
            Edition::E2019 => T2019.get_or_init(|| Template::compile(Edition::E2019)),
            Edition::E2021 => T2021.get_or_init(|| Template::compile(Edition::E2021)),
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// The first year a national format existed.
pub const FIRST_YEAR: u32 = 2019;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A non-negative whole number.
    Count,
    /// A whole number that may be negative (2019 本年增/减).
    Signed,
    /// An exact decimal amount in 万元.
    Amount,
}

/// A column of a block.
#[derive(Debug)]
pub struct ColumnDecl {
    pub key: &'static str,
    /// Official label, e.g. 「商业企业」.
    pub label: &'static str,
    /// The merged header above it, if any, e.g. 「法人或其他组织」.
    pub group: Option<&'static str>,
    pub kind: Kind,
}

/// Whether a row is part of every report of the edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Printed in every report of the edition.
    Always,
    /// A variant row: printed instead of the rows named (e.g. the single 2019-style
    /// （六）其他处理 row seen in some 2021-edition reports).
    InsteadOf(&'static [&'static str]),
}

/// A row of a block.
#[derive(Debug)]
pub struct RowDecl {
    pub key: &'static str,
    /// Official label, e.g. 「（七）总计」.
    pub label: &'static str,
    /// The group label printed above it, if any, e.g. 「（三）不予公开」.
    pub group: Option<&'static str>,
    pub presence: Presence,
}

/// A block: one header line and its rows. Table 2 has one block per cited provision; tables
/// 3 and 4 have one block each.
#[derive(Debug)]
pub struct BlockDecl {
    /// The block's heading, e.g. 「第二十条第（一）项」.
    pub title: Option<&'static str>,
    /// The corner header above the row labels, e.g. 「信息内容」, 「申请人情况」.
    pub corner: Option<&'static str>,
    pub columns: &'static [ColumnDecl],
    pub rows: Vec<&'static RowDecl>,
}

/// How a table is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Rows down, columns across (tables 2 and 3).
    Rows,
    /// One printed data row: each declared row becomes a group of columns (table 4).
    Across,
}

/// Which cells sum to which, in one table: for every row (or column) the identity
/// `Σ total = Σ parts` holds.
#[derive(Debug)]
pub struct SumDecl {
    /// Stable rule id, e.g. `T3-ROW-SUM`.
    pub rule: &'static str,
    pub over: Over,
    /// The keys (columns when `over` is `EachRow`, rows when `EachColumn`) of the total side.
    pub total: &'static [&'static str],
    /// The keys of the parts side.
    pub parts: Vec<&'static str>,
    /// Whether the identity is printed on the form (「勾稽关系」) or implied by the totals.
    pub printed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    EachRow,
    EachColumn,
}

/// A table of the report.
#[derive(Debug)]
pub struct TableDecl {
    /// `t2`, `t3`, `t4`.
    pub key: &'static str,
    /// 2, 3, 4.
    pub number: u8,
    /// The section heading the table sits under.
    pub section: &'static SectionDecl,
    /// A note printed above the table.
    pub note: Option<&'static str>,
    pub orientation: Orientation,
    pub blocks: Vec<BlockDecl>,
    pub sums: Vec<SumDecl>,
}

/// The six sections.
#[derive(Debug)]
pub struct SectionDecl {
    /// 1..=6
    pub number: u8,
    /// The official heading, e.g. 「一、总体情况」.
    pub heading: &'static str,
}

impl TableDecl {
    /// 表二, 表三, 表四.
    pub fn name(&self) -> &'static str {
        match self.number {
            2 => "表二",
            3 => "表三",
            _ => "表四",
        }
    }
}

// ------------------------------------------------------------------------------------------
// The declaration. Every official label is written exactly once below.
// ------------------------------------------------------------------------------------------

pub static SECTIONS: [SectionDecl; 6] = [
    SectionDecl {
        number: 1,
        heading: "一、总体情况",
    },
    SectionDecl {
        number: 2,
        heading: "二、主动公开政府信息情况",
    },
    SectionDecl {
        number: 3,
        heading: "三、收到和处理政府信息公开申请情况",
    },
    SectionDecl {
        number: 4,
        heading: "四、政府信息公开行政复议、行政诉讼情况",
    },
    SectionDecl {
        number: 5,
        heading: "五、存在的主要问题及改进情况",
    },
    SectionDecl {
        number: 6,
        heading: "六、其他需要报告的事项",
    },
];

/// Section headings seen in published reports instead of the official ones (section number,
/// heading without its numeral). Import matches headings against these and [`SECTIONS`].
pub static SECTION_VARIANTS: [(u8, &str); 4] = [
    (5, "政府信息公开工作存在的主要问题及改进情况"),
    (5, "存在的主要问题及整改措施"),
    (5, "存在的主要问题及改进措施"),
    (6, "其他需要报告的事项及说明"),
];

/// The title of a published report: 「<body><year>年政府信息公开工作年度报告」.
pub const TITLE_SUFFIX: &str = "年政府信息公开工作年度报告";

const ITEM: &str = "信息内容";

const fn col(key: &'static str, label: &'static str, kind: Kind) -> ColumnDecl {
    ColumnDecl {
        key,
        label,
        group: None,
        kind,
    }
}

const fn row(key: &'static str, label: &'static str) -> RowDecl {
    RowDecl {
        key,
        label,
        group: None,
        presence: Presence::Always,
    }
}

const fn grow(key: &'static str, group: &'static str, label: &'static str) -> RowDecl {
    RowDecl {
        key,
        label,
        group: Some(group),
        presence: Presence::Always,
    }
}

// ---- table 2, edition 2019

static T2_2019_DOC_COLS: [ColumnDecl; 3] = [
    col("made", "本年新制作数量", Kind::Count),
    col("published", "本年新公开数量", Kind::Count),
    col("total_public", "对外公开总数量", Kind::Count),
];
const PREV_ITEMS: ColumnDecl = col("prev_items", "上一年项目数量", Kind::Count);
const CHANGE: ColumnDecl = col("change", "本年增/减", Kind::Signed);
static T2_2019_ITEM_COLS: [ColumnDecl; 3] = [
    PREV_ITEMS,
    CHANGE,
    col("decisions", "处理决定数量", Kind::Count),
];
static T2_2019_FEE_COLS: [ColumnDecl; 2] = [PREV_ITEMS, CHANGE];
static T2_2019_PROC_COLS: [ColumnDecl; 2] = [
    col("projects", "采购项目数量", Kind::Count),
    col("amount", "采购总金额", Kind::Amount),
];

static REGULATIONS: RowDecl = row("regulations", "规章");
static NORMATIVE_2019: RowDecl = row("normative_docs", "规范性文件");
static NORMATIVE_2021: RowDecl = row("normative_docs", "行政规范性文件");
static LICENSING: RowDecl = row("licensing", "行政许可");
static OTHER_MGMT: RowDecl = row("other_mgmt_services", "其他对外管理服务事项");
static PUNISHMENT: RowDecl = row("punishment", "行政处罚");
static COERCION: RowDecl = row("coercion", "行政强制");
static ADMIN_FEES: RowDecl = row("admin_fees", "行政事业性收费");
static PROCUREMENT: RowDecl = row("central_procurement", "政府集中采购");

const ART20_1: &str = "第二十条第（一）项";
const ART20_5: &str = "第二十条第（五）项";
const ART20_6: &str = "第二十条第（六）项";
const ART20_8: &str = "第二十条第（八）项";
const ART20_9: &str = "第二十条第（九）项";

// ---- table 2, edition 2021

static T2_2021_DOC_COLS: [ColumnDecl; 3] = [
    col("issued", "本年制发件数", Kind::Count),
    col("repealed", "本年废止件数", Kind::Count),
    col("in_force", "现行有效件数", Kind::Count),
];
static T2_2021_DECISION_COLS: [ColumnDecl; 1] = [col("decisions", "本年处理决定数量", Kind::Count)];
static T2_2021_FEE_COLS: [ColumnDecl; 1] =
    [col("amount", "本年收费金额（单位：万元）", Kind::Amount)];

// ---- table 3

const LEGAL_PERSON: &str = "法人或其他组织";
const fn org_col(key: &'static str, label: &'static str) -> ColumnDecl {
    ColumnDecl {
        key,
        label,
        group: Some(LEGAL_PERSON),
        kind: Kind::Count,
    }
}
static T3_COLS: [ColumnDecl; 7] = [
    col("natural", "自然人", Kind::Count),
    org_col("commercial", "商业企业"),
    org_col("research", "科研机构"),
    org_col("nonprofit", "社会公益组织"),
    org_col("legal_svc", "法律服务机构"),
    org_col("other_org", "其他"),
    col("total", "总计", Kind::Count),
];

const RESULTS: &str = "三、本年度办理结果";
const DENY: &str = "（三）不予公开";
const UNABLE: &str = "（四）无法提供";
const REJECT: &str = "（五）不予处理";
const OTHER_HANDLING: &str = "（六）其他处理";

static T3_NEW: RowDecl = row("new", "一、本年新收政府信息公开申请数量");
static T3_CARRIED: RowDecl = row("carried", "二、上年结转政府信息公开申请数量");
static T3_RESULT_ROWS: [RowDecl; 18] = [
    grow("granted", RESULTS, "（一）予以公开"),
    grow(
        "partial",
        RESULTS,
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    ),
    grow("deny_state_secret", DENY, "1.属于国家秘密"),
    grow("deny_law_forbidden", DENY, "2.其他法律行政法规禁止公开"),
    grow("deny_safety_stability", DENY, "3.危及“三安全一稳定”"),
    grow("deny_third_party", DENY, "4.保护第三方合法权益"),
    grow("deny_internal", DENY, "5.属于三类内部事务信息"),
    grow("deny_process", DENY, "6.属于四类过程性信息"),
    grow("deny_enforcement", DENY, "7.属于行政执法案卷"),
    grow("deny_query", DENY, "8.属于行政查询事项"),
    grow("unable_not_held", UNABLE, "1.本机关不掌握相关政府信息"),
    grow("unable_needs_making", UNABLE, "2.没有现成信息需要另行制作"),
    grow("unable_unclear", UNABLE, "3.补正后申请内容仍不明确"),
    grow("reject_petition", REJECT, "1.信访举报投诉类申请"),
    grow("reject_repeat", REJECT, "2.重复申请"),
    grow("reject_publication", REJECT, "3.要求提供公开出版物"),
    grow("reject_massive", REJECT, "4.无正当理由大量反复申请"),
    grow(
        "reject_confirm",
        REJECT,
        "5.要求行政机关确认或重新出具已获取信息",
    ),
];
const OTHER_SUBROWS: &[&str] = &["other_no_correction", "other_fee_unpaid", "other_other"];
static T3_OTHER_2019: RowDecl = grow("other", RESULTS, OTHER_HANDLING);
static T3_OTHER_IN_2021: RowDecl = RowDecl {
    key: "other",
    label: OTHER_HANDLING,
    group: Some(RESULTS),
    presence: Presence::InsteadOf(OTHER_SUBROWS),
};
static T3_OTHER_2021: [RowDecl; 3] = [
    grow(
        "other_no_correction",
        OTHER_HANDLING,
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    grow(
        "other_fee_unpaid",
        OTHER_HANDLING,
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    grow("other_other", OTHER_HANDLING, "3.其他"),
];
static T3_RESULTS_TOTAL: RowDecl = grow("results_total", RESULTS, "（七）总计");
static T3_FORWARD: RowDecl = row("forward", "四、结转下年度继续办理");

const T3_NOTE: &str = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";

/// Row groups printed inside another row group, as `(group, parent)`: in table 3,
/// （三）不予公开, （四）无法提供, （五）不予处理 and the 2021 （六）其他处理 sit inside
/// 三、本年度办理结果 (a row's [`RowDecl::group`] names only the innermost group).
pub static NESTED_GROUPS: [(&str, &str); 4] = [
    (DENY, RESULTS),
    (UNABLE, RESULTS),
    (REJECT, RESULTS),
    (OTHER_HANDLING, RESULTS),
];

/// The row group that `group` is printed inside, if any (see [`NESTED_GROUPS`]).
pub fn group_parent(group: &str) -> Option<&'static str> {
    NESTED_GROUPS
        .iter()
        .find(|(g, _)| *g == group)
        .map(|(_, parent)| *parent)
}

// ---- table 4

static T4_COLS: [ColumnDecl; 5] = [
    col("upheld", "结果维持", Kind::Count),
    col("corrected", "结果纠正", Kind::Count),
    col("other", "其他结果", Kind::Count),
    col("pending", "尚未审结", Kind::Count),
    col("total", "总计", Kind::Count),
];
const LITIGATION: &str = "行政诉讼";
static T4_ROWS: [RowDecl; 3] = [
    row("review", "行政复议"),
    grow("lit_direct", LITIGATION, "未经复议直接起诉"),
    grow("lit_after_review", LITIGATION, "复议后起诉"),
];

fn table2(edition: Edition) -> TableDecl {
    let block = |title, columns, rows| BlockDecl {
        title: Some(title),
        corner: Some(ITEM),
        columns,
        rows,
    };
    let blocks = match edition {
        Edition::E2019 => vec![
            block(
                ART20_1,
                &T2_2019_DOC_COLS[..],
                vec![&REGULATIONS, &NORMATIVE_2019],
            ),
            block(
                ART20_5,
                &T2_2019_ITEM_COLS[..],
                vec![&LICENSING, &OTHER_MGMT],
            ),
            block(
                ART20_6,
                &T2_2019_ITEM_COLS[..],
                vec![&PUNISHMENT, &COERCION],
            ),
            block(ART20_8, &T2_2019_FEE_COLS[..], vec![&ADMIN_FEES]),
            block(ART20_9, &T2_2019_PROC_COLS[..], vec![&PROCUREMENT]),
        ],
        Edition::E2021 => vec![
            block(
                ART20_1,
                &T2_2021_DOC_COLS[..],
                vec![&REGULATIONS, &NORMATIVE_2021],
            ),
            block(ART20_5, &T2_2021_DECISION_COLS[..], vec![&LICENSING]),
            block(
                ART20_6,
                &T2_2021_DECISION_COLS[..],
                vec![&PUNISHMENT, &COERCION],
            ),
            block(ART20_8, &T2_2021_FEE_COLS[..], vec![&ADMIN_FEES]),
        ],
    };
    TableDecl {
        key: "t2",
        number: 2,
        section: &SECTIONS[1],
        note: None,
        orientation: Orientation::Rows,
        blocks,
        sums: Vec::new(),
    }
}

fn table3(edition: Edition) -> TableDecl {
    let mut rows: Vec<&'static RowDecl> = vec![&T3_NEW, &T3_CARRIED];
    rows.extend(T3_RESULT_ROWS.iter());
    match edition {
        Edition::E2019 => rows.push(&T3_OTHER_2019),
        Edition::E2021 => {
            rows.push(&T3_OTHER_IN_2021);
            rows.extend(T3_OTHER_2021.iter());
        }
    }
    rows.push(&T3_RESULTS_TOTAL);
    rows.push(&T3_FORWARD);

    let result_parts: Vec<&'static str> = rows
        .iter()
        .filter(|r| r.group.is_some() && r.key != T3_RESULTS_TOTAL.key)
        .map(|r| r.key)
        .collect();
    let parts_of_total: Vec<&'static str> = T3_COLS[..6].iter().map(|c| c.key).collect();
    TableDecl {
        key: "t3",
        number: 3,
        section: &SECTIONS[2],
        note: Some(T3_NOTE),
        orientation: Orientation::Rows,
        blocks: vec![BlockDecl {
            title: None,
            corner: Some("申请人情况"),
            columns: &T3_COLS[..],
            rows,
        }],
        sums: vec![
            SumDecl {
                rule: "T3-BALANCE",
                over: Over::EachColumn,
                total: &["results_total", "forward"],
                parts: vec![T3_NEW.key, T3_CARRIED.key],
                printed: true,
            },
            SumDecl {
                rule: "T3-ROW-SUM",
                over: Over::EachRow,
                total: &["total"],
                parts: parts_of_total,
                printed: false,
            },
            SumDecl {
                rule: "T3-RESULTS-SUM",
                over: Over::EachColumn,
                total: &["results_total"],
                parts: result_parts,
                printed: false,
            },
        ],
    }
}

fn table4() -> TableDecl {
    TableDecl {
        key: "t4",
        number: 4,
        section: &SECTIONS[3],
        note: None,
        orientation: Orientation::Across,
        blocks: vec![BlockDecl {
            title: None,
            corner: None,
            columns: &T4_COLS[..],
            rows: T4_ROWS.iter().collect(),
        }],
        sums: vec![SumDecl {
            rule: "T4-SUM",
            over: Over::EachRow,
            total: &["total"],
            parts: T4_COLS[..4].iter().map(|c| c.key).collect(),
            printed: false,
        }],
    }
}

// ------------------------------------------------------------------------------------------
// The compiled template.
// ------------------------------------------------------------------------------------------

/// Index of a cell in a report's cell vector.
pub type CellIx = u16;

/// One cell of the template.
#[derive(Debug)]
pub struct CellDef {
    /// `t3.new.natural`
    pub key: String,
    /// Index into [`Template::tables`].
    pub table: u8,
    /// Index of the block within the table.
    pub block: u8,
    pub row: &'static RowDecl,
    pub column: &'static ColumnDecl,
}

impl CellDef {
    pub fn kind(&self) -> Kind {
        self.column.kind
    }

    /// `t3.new`
    pub fn row_key(&self) -> &str {
        let end = self.key.rfind('.').unwrap_or(self.key.len());
        &self.key[..end]
    }
}

/// A compiled identity `Σ total = Σ parts` over cells.
#[derive(Debug)]
pub struct Identity {
    pub rule: &'static str,
    pub table: u8,
    pub printed: bool,
    /// The row (for `EachRow`) or column (for `EachColumn`) the identity runs along.
    pub along: Along,
    pub total: Vec<CellIx>,
    pub parts: Vec<CellIx>,
}

#[derive(Debug, Clone, Copy)]
pub enum Along {
    Row(&'static RowDecl),
    Column(&'static ColumnDecl),
}

/// An edition compiled: tables, the flat list of cells in printed order, the key index and
/// the identities.
#[derive(Debug)]
pub struct Template {
    pub edition: Edition,
    pub tables: Vec<TableDecl>,
    pub cells: Vec<CellDef>,
    pub identities: Vec<Identity>,
    index: HashMap<String, CellIx>,
    /// `t3.new` → its cells (a row's cells are contiguous).
    rows: HashMap<String, std::ops::Range<CellIx>>,
    /// For each cell, the identities it takes part in.
    pub cell_identities: Vec<Vec<u16>>,
}

impl Template {
    fn compile(edition: Edition) -> Template {
        let tables = vec![table2(edition), table3(edition), table4()];
        let mut cells = Vec::new();
        let mut index = HashMap::new();
        for (ti, table) in tables.iter().enumerate() {
            for (bi, block) in table.blocks.iter().enumerate() {
                for row in &block.rows {
                    for column in block.columns {
                        let key = format!("{}.{}.{}", table.key, row.key, column.key);
                        let ix = CellIx::try_from(cells.len()).expect("template fits in u16");
                        assert!(
                            index.insert(key.clone(), ix).is_none(),
                            "duplicate key {key}"
                        );
                        cells.push(CellDef {
                            key,
                            table: ti as u8,
                            block: bi as u8,
                            row,
                            column,
                        });
                    }
                }
            }
        }
        let mut rows: HashMap<String, std::ops::Range<CellIx>> = HashMap::new();
        for (i, c) in cells.iter().enumerate() {
            let i = i as CellIx;
            rows.entry(c.row_key().to_string())
                .and_modify(|r| r.end = i + 1)
                .or_insert(i..i + 1);
        }
        let mut identities = Vec::new();
        for (ti, table) in tables.iter().enumerate() {
            for sum in &table.sums {
                for block in &table.blocks {
                    let ix = |row: &str, col: &str| -> CellIx {
                        index[&format!("{}.{}.{}", table.key, row, col)]
                    };
                    match sum.over {
                        Over::EachRow => {
                            for row in &block.rows {
                                identities.push(Identity {
                                    rule: sum.rule,
                                    table: ti as u8,
                                    printed: sum.printed,
                                    along: Along::Row(row),
                                    total: sum.total.iter().map(|c| ix(row.key, c)).collect(),
                                    parts: sum.parts.iter().map(|c| ix(row.key, c)).collect(),
                                });
                            }
                        }
                        Over::EachColumn => {
                            for column in block.columns {
                                identities.push(Identity {
                                    rule: sum.rule,
                                    table: ti as u8,
                                    printed: sum.printed,
                                    along: Along::Column(column),
                                    total: sum.total.iter().map(|r| ix(r, column.key)).collect(),
                                    parts: sum.parts.iter().map(|r| ix(r, column.key)).collect(),
                                });
                            }
                        }
                    }
                }
            }
        }
        let mut cell_identities = vec![Vec::new(); cells.len()];
        for (ii, id) in identities.iter().enumerate() {
            for &c in id.total.iter().chain(&id.parts) {
                cell_identities[c as usize].push(ii as u16);
            }
        }
        Template {
            edition,
            tables,
            cells,
            identities,
            index,
            rows,
            cell_identities,
        }
    }

    /// The index of the cell with this key.
    pub fn ix(&self, key: &str) -> Option<CellIx> {
        self.index.get(key).copied()
    }

    pub fn cell(&self, ix: CellIx) -> &CellDef {
        &self.cells[ix as usize]
    }

    pub fn table_of(&self, ix: CellIx) -> &TableDecl {
        &self.tables[self.cells[ix as usize].table as usize]
    }

    /// The table with key `t2`, `t3` or `t4`.
    pub fn table(&self, key: &str) -> Option<&TableDecl> {
        self.tables.iter().find(|t| t.key == key)
    }

    /// The cells of the row `table.row`, in column order.
    /// Empty when the edition has no such row.
    pub fn row_cells(&self, row_key: &str) -> std::ops::Range<CellIx> {
        self.rows.get(row_key).cloned().unwrap_or(0..0)
    }

    /// The official name of a cell: 表三「（七）总计」行「总计」列.
    pub fn label(&self, ix: CellIx) -> String {
        let c = self.cell(ix);
        let table = self.table_of(ix);
        let block = &table.blocks[c.block as usize];
        let mut s = String::from(table.name());
        if let Some(title) = block.title {
            s.push_str(title);
        }
        match table.orientation {
            Orientation::Rows => {
                push_quoted(&mut s, c.row.label);
                s.push('行');
                push_quoted(&mut s, c.column.label);
                s.push('列');
            }
            Orientation::Across => {
                if let Some(g) = c.row.group {
                    push_quoted(&mut s, g);
                }
                push_quoted(&mut s, c.row.label);
                push_quoted(&mut s, c.column.label);
            }
        }
        s
    }
}

fn push_quoted(s: &mut String, label: &str) {
    s.push('「');
    s.push_str(label);
    s.push('」');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_counts_match_the_reference() {
        let t19 = Edition::E2019.template();
        let t21 = Edition::E2021.template();
        let count =
            |t: &Template, table: &str| t.cells.iter().filter(|c| c.key.starts_with(table)).count();
        assert_eq!(count(t19, "t3."), 23 * 7);
        // 25 rows plus the variant single （六）其他处理 row.
        assert_eq!(count(t21, "t3."), 26 * 7);
        assert_eq!(count(t19, "t4."), 15);
        assert_eq!(count(t21, "t4."), 15);
        assert_eq!(count(t19, "t2."), 6 + 6 + 6 + 2 + 2);
        assert_eq!(count(t21, "t2."), 6 + 1 + 2 + 1);
    }

    #[test]
    fn labels_read_as_officials_write_them() {
        let t = Edition::E2019.template();
        let ix = t.ix("t3.results_total.total").unwrap();
        assert_eq!(t.label(ix), "表三「（七）总计」行「总计」列");
        let ix = t.ix("t4.review.total").unwrap();
        assert_eq!(t.label(ix), "表四「行政复议」「总计」");
        let ix = t.ix("t4.lit_direct.upheld").unwrap();
        assert_eq!(
            t.label(ix),
            "表四「行政诉讼」「未经复议直接起诉」「结果维持」"
        );
        let ix = t.ix("t2.regulations.made").unwrap();
        assert_eq!(
            t.label(ix),
            "表二第二十条第（一）项「规章」行「本年新制作数量」列"
        );
    }

    #[test]
    fn identities_per_edition() {
        let t19 = Edition::E2019.template();
        // 7 balance + 23 row sums + 7 results sums + 3 table-4 sums.
        assert_eq!(t19.identities.len(), 7 + 23 + 7 + 3);
        let t21 = Edition::E2021.template();
        assert_eq!(t21.identities.len(), 7 + 26 + 7 + 3);
    }
}
