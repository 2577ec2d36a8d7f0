//! The claims of the vocabulary: statements without a figure that still say something about
//! cells (「均获维持」, 「未发生…行政复议」, 「未收到政府信息公开申请」).

use super::{p, ps, Assertion, Claim};

const REVIEW_CELLS: &[&str] = &["t4.review.total"];
const LIT_TOTALS: &[&str] = &["t4.lit_direct.total", "t4.lit_after_review.total"];
const ALL_UPHELD: &str = "结果维持|结果均为维持|均为维持|均获维持|均被维持|均予以维持|均维持|全部维持|全部获得维持|均获得维持";
const NOT_CORRECTED: &str =
    "未被纠错|未被纠正|没有被纠错|没有被纠正|无被纠错|无被纠正|均未被纠错|均未被纠正|无纠错";
const NONE_HAPPENED: &str = "未发生|没有发生|未产生|没有产生|未出现|没有出现";

/// Every claim the narrative may make without a figure.
pub static CLAIMS: &[Claim] = &[
    Claim {
        id: "review_all_upheld",
        name: "行政复议均获维持",
        assertion: Assertion::Equal(&["t4.review.upheld"], REVIEW_CELLS),
        phrasing: ps(&[ALL_UPHELD], &["复议"], &[], &["诉讼", "起诉"]),
    },
    Claim {
        id: "litigation_all_upheld",
        name: "行政诉讼均获维持",
        assertion: Assertion::Equal(
            &["t4.lit_direct.upheld", "t4.lit_after_review.upheld"],
            LIT_TOTALS,
        ),
        phrasing: ps(&[ALL_UPHELD], &["诉讼"], &[], &["复议"]),
    },
    Claim {
        id: "review_not_corrected",
        name: "行政复议未被纠错",
        assertion: Assertion::Zero(&["t4.review.corrected"]),
        phrasing: ps(&[NOT_CORRECTED], &["复议"], &[], &["诉讼", "起诉"]),
    },
    Claim {
        id: "all_not_corrected",
        name: "行政复议、行政诉讼均未被纠错",
        assertion: Assertion::Zero(&[
            "t4.review.corrected",
            "t4.lit_direct.corrected",
            "t4.lit_after_review.corrected",
        ]),
        phrasing: ps(&[NOT_CORRECTED], &["复议", "诉讼"], &[], &[]),
    },
    Claim {
        id: "no_review",
        name: "未发生政府信息公开行政复议",
        assertion: Assertion::Zero(REVIEW_CELLS),
        phrasing: p(&[NONE_HAPPENED, "复议"], &["诉讼", "纠错", "纠正"]),
    },
    Claim {
        id: "no_litigation",
        name: "未发生政府信息公开行政诉讼",
        assertion: Assertion::Zero(LIT_TOTALS),
        phrasing: p(&[NONE_HAPPENED, "诉讼"], &["复议", "纠错", "纠正"]),
    },
    Claim {
        id: "no_review_or_litigation",
        name: "未发生政府信息公开行政复议、行政诉讼",
        assertion: Assertion::Zero(&[
            "t4.review.total",
            "t4.lit_direct.total",
            "t4.lit_after_review.total",
        ]),
        phrasing: p(&[NONE_HAPPENED, "复议", "诉讼"], &["纠错", "纠正"]),
    },
    Claim {
        id: "no_carried",
        name: "无上年结转的政府信息公开申请",
        assertion: Assertion::Zero(&["t3.carried.total"]),
        phrasing: p(
            &["无上年结转|没有上年结转|上年无结转|无上年度结转|上年度无结转"],
            &["复议", "诉讼"],
        ),
    },
    Claim {
        id: "no_applications",
        name: "未收到政府信息公开申请",
        assertion: Assertion::Zero(&["t3.new.total"]),
        phrasing: p(
            &["未收到|没有收到|未接到|没有接到|未受理|没有受理", "申请"],
            &["复议", "诉讼", "补正", "费"],
        ),
    },
];
