//! What only the 2019 edition (试行, 国办公开办函〔2019〕60号) declares: its table-2 columns and
//! the rows and provisions it dropped in 2021, and table 3's single （六）其他处理 row.

use super::tables::{
    col, row, t2_block, ADMIN_FEES, ART20_1, ART20_5, ART20_6, ART20_8, COERCION, DECISIONS,
    LICENSING, PUNISHMENT, REGULATIONS, T3_OTHER,
};
use super::{BlockDecl, ColumnDecl, Kind, RowDecl};

static T2_DOC_COLS: [ColumnDecl; 3] = [
    col("made", "本年新制作数量", Kind::Count),
    col("published", "本年新公开数量", Kind::Count),
    col("total_public", "对外公开总数量", Kind::Count),
];
const PREV_ITEMS: ColumnDecl = col("prev_items", "上一年项目数量", Kind::Count);
const CHANGE: ColumnDecl = col("change", "本年增/减", Kind::Signed);
static T2_ITEM_COLS: [ColumnDecl; 3] = [
    PREV_ITEMS,
    CHANGE,
    col(DECISIONS, "处理决定数量", Kind::Count),
];
static T2_FEE_COLS: [ColumnDecl; 2] = [PREV_ITEMS, CHANGE];
static T2_PROC_COLS: [ColumnDecl; 2] = [
    col("projects", "采购项目数量", Kind::Count),
    col("amount", "采购总金额", Kind::Amount),
];

static NORMATIVE: RowDecl = row("normative_docs", "规范性文件");
static OTHER_MGMT: RowDecl = row("other_mgmt_services", "其他对外管理服务事项");
static PROCUREMENT: RowDecl = row("central_procurement", "政府集中采购");

const ART20_9: &str = "第二十条第（九）项";

/// The blocks of table 2, one per cited provision.
pub(super) fn table2_blocks() -> Vec<BlockDecl> {
    vec![
        t2_block(ART20_1, &T2_DOC_COLS[..], vec![&REGULATIONS, &NORMATIVE]),
        t2_block(ART20_5, &T2_ITEM_COLS[..], vec![&LICENSING, &OTHER_MGMT]),
        t2_block(ART20_6, &T2_ITEM_COLS[..], vec![&PUNISHMENT, &COERCION]),
        t2_block(ART20_8, &T2_FEE_COLS[..], vec![&ADMIN_FEES]),
        t2_block(ART20_9, &T2_PROC_COLS[..], vec![&PROCUREMENT]),
    ]
}

static OTHER: RowDecl = T3_OTHER;

/// Table 3's （六）其他处理: one row.
pub(super) fn table3_other_rows() -> Vec<&'static RowDecl> {
    vec![&OTHER]
}
