//! The quantities of the vocabulary: the figures a narrative states, each with its cells and
//! the phrasings that name it.

use super::{p, ps, q, Measure, Quantity, BOTH, E19, E21};

/// Verbs of receiving an application.
const RECEIVE: &str = "收到|新收|受理|接收|接到|登记";
/// Words that put a clause about applications into another quantity.
const NOT_NEW: &[&str] = &[
    "复议",
    "诉讼",
    "办结",
    "答复",
    "结转",
    "公开及",
    "予以公开",
    "部分公开",
    "不予",
    "无法",
    "占",
];
/// The words a clause about new applications does not hold.
const NEW_UNLESS: &[&str] = &[
    "复议",
    "诉讼",
    "办结",
    "答复",
    "结转",
    "公开及",
    "予以公开",
    "部分公开",
    "不予",
    "无法",
    "占",
    "撤回",
    "申请人",
    "补正",
    "其中",
    "涉及",
    "自然人",
    "法人",
    "企业",
];
const REVIEW_PARTS: &[&str] = &[
    "诉讼",
    "起诉",
    "维持",
    "纠正",
    "纠错",
    "审结",
    "审理",
    "其他结果",
    "撤销",
    "确认违法",
];
const LIT_PARTS: &[&str] = &[
    "复议",
    "维持",
    "纠正",
    "纠错",
    "审结",
    "审理",
    "其他结果",
    "撤销",
    "败诉",
    "胜诉",
];
/// Words of a clause about table 2 that is not about decisions or documents issued.
const NOT_T2: &[&str] = &[
    "信息", "类", "目录", "清单", "公示", "解读", "事项", "申请", "标准", "立案",
];
const DOC_NOT_ISSUED: &[&str] = &[
    "废止",
    "现行有效",
    "清理",
    "修订",
    "修改",
    "解读",
    "备案",
    "审查",
];

/// Every quantity the narrative may state, in the order findings list them.
pub static QUANTITIES: &[Quantity] = &[
    q(
        "new",
        "本年新收政府信息公开申请",
        &["t3.new.total"],
        BOTH,
        &[
            ps(
                &["申请"],
                &[RECEIVE],
                NEW_UNLESS,
                &["上年结转", "上年度结转", "去年结转"],
            ),
            p(&["新收"], &["复议", "诉讼", "自然人", "法人"]),
        ],
    ),
    q(
        "new_natural",
        "本年新收申请中自然人提出的",
        &["t3.new.natural"],
        BOTH,
        &[ps(
            &["自然人"],
            &[RECEIVE, "申请"],
            NOT_NEW,
            &["上年结转", "上年度结转"],
        )],
    ),
    q(
        "new_commercial",
        "本年新收申请中商业企业提出的",
        &["t3.new.commercial"],
        BOTH,
        &[ps(
            &["商业企业"],
            &[RECEIVE, "申请"],
            NOT_NEW,
            &["上年结转", "上年度结转"],
        )],
    ),
    q(
        "new_legal",
        "本年新收申请中法人或其他组织提出的",
        &[
            "t3.new.commercial",
            "t3.new.research",
            "t3.new.nonprofit",
            "t3.new.legal_svc",
            "t3.new.other_org",
        ],
        BOTH,
        &[ps(
            &["法人或其他组织|法人和其他组织"],
            &[RECEIVE, "申请"],
            NOT_NEW,
            &["上年结转", "上年度结转"],
        )],
    ),
    q(
        "carried",
        "上年结转政府信息公开申请",
        &["t3.carried.total"],
        BOTH,
        &[p(
            &["上年结转|上年度结转|上一年度结转|去年结转|上年遗留|上年度遗留"],
            &["复议", "诉讼"],
        )],
    ),
    q(
        "granted",
        "予以公开",
        &["t3.granted.total"],
        BOTH,
        &[p(
            &["予以公开|同意公开|全部公开"],
            &[
                "部分公开",
                "不予公开",
                "不予以公开",
                "复议",
                "诉讼",
                "主动公开",
            ],
        )],
    ),
    q(
        "partial",
        "部分公开",
        &["t3.partial.total"],
        BOTH,
        &[p(
            &["部分公开"],
            &[
                "予以公开",
                "同意公开",
                "全部公开",
                "及部分",
                "和部分",
                "或部分",
                "复议",
                "诉讼",
            ],
        )],
    ),
    q(
        "granted_partial",
        "予以公开及部分公开",
        &["t3.granted.total", "t3.partial.total"],
        BOTH,
        &[p(
            &[
                "予以公开及部分公开|予以公开和部分公开|予以公开或部分公开|予以全部或部分公开\
               |全部或部分公开|全部公开和部分公开|全部公开或部分公开|全部公开及部分公开\
               |同意公开和部分公开|同意公开及部分公开|公开及部分公开|公开和部分公开",
            ],
            &["不予公开", "复议", "诉讼"],
        )],
    ),
    q(
        "deny",
        "不予公开",
        &["t3.deny_*.total"],
        BOTH,
        &[p(
            &["不予公开|不予以公开"],
            &["复议", "诉讼", "予以公开及", "部分公开"],
        )],
    ),
    q(
        "unable",
        "无法提供",
        &["t3.unable_*.total"],
        BOTH,
        &[p(
            &["无法提供"],
            &["不掌握", "另行制作", "不明确", "复议", "诉讼"],
        )],
    ),
    q(
        "unable_not_held",
        "本机关不掌握相关政府信息",
        &["t3.unable_not_held.total"],
        BOTH,
        &[p(&["不掌握"], &["无法提供", "复议", "诉讼"])],
    ),
    q(
        "reject",
        "不予处理",
        &["t3.reject_*.total"],
        BOTH,
        &[p(&["不予处理"], &["复议", "诉讼", "重复申请", "信访"])],
    ),
    q(
        "other",
        "其他处理",
        &["t3.other*.total"],
        BOTH,
        &[p(&["其他处理|其他方式处理"], &["复议", "诉讼"])],
    ),
    q(
        "handled",
        "本年度办理结果总计（办结）",
        &["t3.results_total.total"],
        BOTH,
        &[
            ps(
                &["办结|办理完毕|处理完毕|答复完毕|作出答复|予以答复|全部答复|已答复"],
                &["申请"],
                &[
                    "复议", "诉讼", "结转", "率", "按时", "超期", "逾期", "收到", "受理", "新收",
                    "接收", "各",
                ],
                &[],
            ),
            p(
                &["答复", "申请"],
                &[
                    "文书", "审查", "复议", "诉讼", "结转", "率", "按时", "期限", "收到", "受理",
                    "新收", "各",
                ],
            ),
        ],
    ),
    q(
        "forward",
        "结转下年度继续办理",
        &["t3.forward.total"],
        BOTH,
        &[p(
            &["结转下年|结转至|结转到|转入下年|结转下一年|结转2|结转明年|转至下年|结转次年"],
            &["上年", "去年", "上一年", "复议", "诉讼"],
        )],
    ),
    q(
        "review",
        "政府信息公开行政复议",
        &["t4.review.total"],
        BOTH,
        &[p(&["复议"], REVIEW_PARTS)],
    ),
    q(
        "review_upheld",
        "行政复议结果维持",
        &["t4.review.upheld"],
        BOTH,
        &[ps(&["维持"], &["复议"], &["诉讼", "未"], &["诉讼", "起诉"])],
    ),
    q(
        "review_corrected",
        "行政复议结果纠正",
        &["t4.review.corrected"],
        BOTH,
        &[ps(
            &["纠正|纠错|撤销|确认违法"],
            &["复议"],
            &["未", "没有", "无"],
            &["诉讼", "起诉"],
        )],
    ),
    q(
        "review_pending",
        "行政复议尚未审结",
        &["t4.review.pending"],
        BOTH,
        &[ps(
            &["尚未审结|未审结|正在审理|审理中|尚在审理"],
            &["复议"],
            &[],
            &["诉讼", "起诉"],
        )],
    ),
    q(
        "litigation",
        "政府信息公开行政诉讼",
        &["t4.lit_direct.total", "t4.lit_after_review.total"],
        BOTH,
        &[p(&["行政诉讼|诉讼|起诉"], LIT_PARTS)],
    ),
    q(
        "litigation_upheld",
        "行政诉讼结果维持",
        &["t4.lit_direct.upheld", "t4.lit_after_review.upheld"],
        BOTH,
        &[ps(&["维持"], &["诉讼|起诉"], &["复议", "未"], &["复议"])],
    ),
    q(
        "litigation_corrected",
        "行政诉讼结果纠正",
        &["t4.lit_direct.corrected", "t4.lit_after_review.corrected"],
        BOTH,
        &[ps(
            &["纠正|纠错|败诉|撤销|确认违法"],
            &["诉讼|起诉"],
            &["复议", "未", "没有", "无"],
            &["复议"],
        )],
    ),
    // ---- table 2, 2021 edition
    q(
        "regulations_issued",
        "本年制发规章",
        &["t2.regulations.issued"],
        E21,
        &[p(
            &["规章", "制发|出台|制定|印发|发布"],
            &[
                "规范性文件",
                "废止",
                "现行有效",
                "清理",
                "修订",
                "修改",
                "解读",
                "备案",
                "审查",
            ],
        )],
    ),
    q(
        "regulations_repealed",
        "本年废止规章",
        &["t2.regulations.repealed"],
        E21,
        &[p(
            &["规章", "废止|废除|宣布失效"],
            &["规范性文件", "制发", "现行有效"],
        )],
    ),
    q(
        "regulations_in_force",
        "现行有效规章",
        &["t2.regulations.in_force"],
        E21,
        &[p(&["规章", "现行有效"], &["规范性文件", "废止", "制发"])],
    ),
    q(
        "normative_issued",
        "本年制发行政规范性文件",
        &["t2.normative_docs.issued"],
        E21,
        &[p(
            &["规范性文件", "制发|出台|制定|印发|发布"],
            DOC_NOT_ISSUED,
        )],
    ),
    q(
        "normative_repealed",
        "本年废止行政规范性文件",
        &["t2.normative_docs.repealed"],
        E21,
        &[p(
            &["规范性文件", "废止|废除|宣布失效"],
            &["规章", "制发", "现行有效"],
        )],
    ),
    q(
        "normative_in_force",
        "现行有效行政规范性文件",
        &["t2.normative_docs.in_force"],
        E21,
        &[p(&["规范性文件", "现行有效"], &["规章", "废止", "制发"])],
    ),
    // ---- table 2, 2019 edition
    q(
        "regulations_made",
        "本年新制作规章",
        &["t2.regulations.made"],
        E19,
        &[p(
            &["规章", "制作|制定|出台|印发|制发"],
            &["规范性文件", "公开", "废止", "清理", "解读", "备案", "审查"],
        )],
    ),
    q(
        "normative_made",
        "本年新制作规范性文件",
        &["t2.normative_docs.made"],
        E19,
        &[p(
            &["规范性文件", "制作|制定|出台|印发|制发"],
            &["规章", "公开", "废止", "清理", "解读", "备案", "审查"],
        )],
    ),
    // ---- table 2, both editions
    q(
        "licensing",
        "行政许可处理决定",
        &["t2.licensing.decisions"],
        BOTH,
        &[p(&["行政许可", "决定|作出|办结|审批|实施|办理"], NOT_T2)],
    ),
    q(
        "punishment",
        "行政处罚处理决定",
        &["t2.punishment.decisions"],
        BOTH,
        &[p(&["行政处罚", "决定|作出|办结|实施|办理|案件"], NOT_T2)],
    ),
    q(
        "coercion",
        "行政强制处理决定",
        &["t2.coercion.decisions"],
        BOTH,
        &[p(&["行政强制", "决定|作出|实施|办理|措施"], NOT_T2)],
    ),
    Quantity {
        measure: Measure::Amount,
        ..q(
            "fees",
            "行政事业性收费金额",
            &["t2.admin_fees.amount"],
            E21,
            &[p(
                &["行政事业性收费|收费金额"],
                &["信息处理费", "减免", "免收", "标准", "项目", "目录", "清单"],
            )],
        )
    },
    Quantity {
        measure: Measure::Amount,
        ..q(
            "procurement",
            "政府集中采购总金额",
            &["t2.central_procurement.amount"],
            E19,
            &[p(
                &["集中采购|采购总金额|采购金额"],
                &["项目", "信息", "公告"],
            )],
        )
    },
];
