//! The declaration of what both editions share: the six sections, the rows and titles of
//! table 2 that did not change, tables 3 and 4, and the assembly of an edition's tables from
//! these and its own parts (`e2019.rs`, `e2021.rs`).
//!
//! Every official label of the report is written exactly once, here or in an edition's file.

use super::{
    e2019, e2021, BlockDecl, ColumnDecl, Edition, Kind, Orientation, Over, Presence, RowDecl,
    SectionDecl, SumDecl, TableDecl,
};

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

/// The title of a published report: `「<body><year>年政府信息公开工作年度报告」`.
pub const TITLE_SUFFIX: &str = "年政府信息公开工作年度报告";

// ---- declaration helpers

pub(super) const fn col(key: &'static str, label: &'static str, kind: Kind) -> ColumnDecl {
    ColumnDecl {
        key,
        label,
        group: None,
        kind,
    }
}

pub(super) const fn row(key: &'static str, label: &'static str) -> RowDecl {
    RowDecl {
        key,
        group: None,
        label,
        presence: Presence::Always,
    }
}

/// A row printed under the group label `group`.
pub(super) const fn grow(key: &'static str, group: &'static str, label: &'static str) -> RowDecl {
    RowDecl {
        group: Some(group),
        ..row(key, label)
    }
}

// ---- table keys

pub(super) const T2: &str = "t2";
pub(super) const T3: &str = "t3";
pub(super) const T4: &str = "t4";

// ---- table 2: what both editions share

const ITEM: &str = "信息内容";

pub(super) static REGULATIONS: RowDecl = row("regulations", "规章");
pub(super) static LICENSING: RowDecl = row("licensing", "行政许可");
pub(super) static PUNISHMENT: RowDecl = row("punishment", "行政处罚");
pub(super) static COERCION: RowDecl = row("coercion", "行政强制");
pub(super) static ADMIN_FEES: RowDecl = row("admin_fees", "行政事业性收费");

pub(super) const ART20_1: &str = "第二十条第（一）项";
pub(super) const ART20_5: &str = "第二十条第（五）项";
pub(super) const ART20_6: &str = "第二十条第（六）项";
pub(super) const ART20_8: &str = "第二十条第（八）项";

/// The key of 处理决定数量 in （五）（六）: the one table-2 column that means the same in both
/// editions.
pub(super) const DECISIONS: &str = "decisions";

/// A block of table 2: one cited provision of 第二十条.
pub(super) fn t2_block(
    title: &'static str,
    columns: &'static [ColumnDecl],
    rows: Vec<&'static RowDecl>,
) -> BlockDecl {
    BlockDecl {
        title: Some(title),
        corner: Some(ITEM),
        columns,
        rows,
    }
}

// ---- table 3

const LEGAL_PERSON: &str = "法人或其他组织";
const fn org_col(key: &'static str, label: &'static str) -> ColumnDecl {
    ColumnDecl {
        group: Some(LEGAL_PERSON),
        ..col(key, label, Kind::Count)
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

pub(super) const RESULTS: &str = "三、本年度办理结果";
const DENY: &str = "（三）不予公开";
const UNABLE: &str = "（四）无法提供";
const REJECT: &str = "（五）不予处理";
pub(super) const OTHER_HANDLING: &str = "（六）其他处理";
/// （六）其他处理 as one row: the whole of it in the 2019 edition, a variant row in 2021.
pub(super) const T3_OTHER: RowDecl = grow("other", RESULTS, OTHER_HANDLING);

static T3_NEW: RowDecl = row("new", "一、本年新收政府信息公开申请数量");
pub(super) static T3_CARRIED: RowDecl = row("carried", "二、上年结转政府信息公开申请数量");
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
static T3_RESULTS_TOTAL: RowDecl = grow("results_total", RESULTS, "（七）总计");
pub(super) static T3_FORWARD: RowDecl = row("forward", "四、结转下年度继续办理");

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

// ---- the tables of an edition

/// Tables 2, 3 and 4 of `edition`, in printed order.
pub(super) fn tables(edition: Edition) -> Vec<TableDecl> {
    vec![table2(edition), table3(edition), table4()]
}

fn table2(edition: Edition) -> TableDecl {
    let blocks = match edition {
        Edition::E2019 => e2019::table2_blocks(),
        Edition::E2021 => e2021::table2_blocks(),
    };
    TableDecl {
        key: T2,
        number: 2,
        name: "表二",
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
    rows.extend(match edition {
        Edition::E2019 => e2019::table3_other_rows(),
        Edition::E2021 => e2021::table3_other_rows(),
    });
    rows.push(&T3_RESULTS_TOTAL);
    rows.push(&T3_FORWARD);

    let result_parts: Vec<&'static str> = rows
        .iter()
        .filter(|r| r.group.is_some() && r.key != T3_RESULTS_TOTAL.key)
        .map(|r| r.key)
        .collect();
    let parts_of_total: Vec<&'static str> = T3_COLS[..6].iter().map(|c| c.key).collect();
    TableDecl {
        key: T3,
        number: 3,
        name: "表三",
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
        key: T4,
        number: 4,
        name: "表四",
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
