//! What only the 2021 edition (国办公开办函〔2021〕30号) declares: its table-2 columns, and
//! table 3's three （六）其他处理 sub-rows with the single 2019-style row some reports still
//! print instead of them.

use super::tables::{
    col, grow, row, t2_block, ADMIN_FEES, ART20_1, ART20_5, ART20_6, ART20_8, COERCION, DECISIONS,
    LICENSING, OTHER_HANDLING, PUNISHMENT, REGULATIONS, T3_OTHER,
};
use super::{BlockDecl, ColumnDecl, Kind, Presence, RowDecl};

pub(super) const ISSUED: ColumnDecl = col("issued", "本年制发件数", Kind::Count);
pub(super) const REPEALED: ColumnDecl = col("repealed", "本年废止件数", Kind::Count);
pub(super) const IN_FORCE: ColumnDecl = col("in_force", "现行有效件数", Kind::Count);
static T2_DOC_COLS: [ColumnDecl; 3] = [ISSUED, REPEALED, IN_FORCE];
static T2_DECISION_COLS: [ColumnDecl; 1] = [col(DECISIONS, "本年处理决定数量", Kind::Count)];
static T2_FEE_COLS: [ColumnDecl; 1] = [col("amount", "本年收费金额（单位：万元）", Kind::Amount)];

pub(super) static NORMATIVE: RowDecl = row("normative_docs", "行政规范性文件");

/// The blocks of table 2, one per cited provision.
pub(super) fn table2_blocks() -> Vec<BlockDecl> {
    vec![
        t2_block(ART20_1, &T2_DOC_COLS[..], vec![&REGULATIONS, &NORMATIVE]),
        t2_block(ART20_5, &T2_DECISION_COLS[..], vec![&LICENSING]),
        t2_block(ART20_6, &T2_DECISION_COLS[..], vec![&PUNISHMENT, &COERCION]),
        t2_block(ART20_8, &T2_FEE_COLS[..], vec![&ADMIN_FEES]),
    ]
}

const OTHER_SUBROWS: &[&str] = &["other_no_correction", "other_fee_unpaid", "other_other"];
static T3_OTHER_VARIANT: RowDecl = RowDecl {
    presence: Presence::InsteadOf(OTHER_SUBROWS),
    ..T3_OTHER
};
static T3_OTHER_SUBROWS: [RowDecl; 3] = [
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

/// Table 3's （六）其他处理: the variant single row, then the three sub-rows.
pub(super) fn table3_other_rows() -> Vec<&'static RowDecl> {
    let mut rows = vec![&T3_OTHER_VARIANT];
    rows.extend(T3_OTHER_SUBROWS.iter());
    rows
}
