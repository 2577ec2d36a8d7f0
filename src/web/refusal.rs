//! A gRPC refusal as officials read it: the HTTP status, a Chinese headline and a Chinese
//! sentence chosen by the refusal's reason (the `ErrorInfo` every gx error carries, see
//! `grpc::status`), with gRPC's own message kept beside it as the technical detail.

use axum::http::StatusCode;
use tonic::Code;
use tonic_types::StatusExt;

/// What a refused call shows: status, headline, the Chinese sentence (empty when the
/// headline says it all) and gRPC's message.
pub(super) struct Refusal {
    pub status: StatusCode,
    pub head: &'static str,
    pub said: &'static str,
    pub technical: String,
}

/// The Chinese words for a refusal, by its reason first and its code otherwise.
pub(super) fn refusal(s: &tonic::Status) -> Refusal {
    let reason = s.get_details_error_info().map(|i| i.reason);
    let (status, head, said) = match reason.as_deref() {
        Some(r) => by_reason(r).unwrap_or_else(|| by_code(s.code())),
        None => by_code(s.code()),
    };
    Refusal {
        status,
        head,
        said,
        technical: s.message().to_string(),
    }
}

fn by_reason(reason: &str) -> Option<(StatusCode, &'static str, &'static str)> {
    use StatusCode as H;
    Some(match reason {
        "REPORT_INVALID" => (
            H::CONFLICT,
            "未能通过审核，未提交",
            "报告有不符合勾稽关系等审核规则的错误，未予保存；请按下列说明修改后重新提交。",
        ),
        "EXPLANATION_REQUIRED" => (
            H::CONFLICT,
            "需要说明与上年的差异",
            "本年数据与上年报告存在须说明的差异（如结转数不一致），请填写说明后重新提交。",
        ),
        "REVISION_CONFLICT" => (
            H::CONFLICT,
            "报告已有新版本",
            "此期间报告已有新的版本，请刷新页面，查看最新版本后再操作。",
        ),
        "REASON_REQUIRED" => (
            H::CONFLICT,
            "请说明修订原因",
            "该年度报告已经提交过，修订时须填写修订原因。",
        ),
        "MIXED_EDITIONS" => (
            H::CONFLICT,
            "版式不一致，不能汇总",
            "所选报告分属 2019 版和 2021 版格式，不能合并汇总。",
        ),
        "LAST_ADMIN" => (
            H::CONFLICT,
            "不能吊销",
            "这是最后一个管理员令牌，吊销后将无人能够管理。",
        ),
        "OVERLOADED" => (
            H::SERVICE_UNAVAILABLE,
            "服务繁忙，请稍后重试",
            "同时处理的请求已达上限。",
        ),
        "TIMEOUT" => (
            H::SERVICE_UNAVAILABLE,
            "处理超时，请稍后重试",
            "请求未能在限定时间内完成。",
        ),
        "BAD_REQUEST" => (H::BAD_REQUEST, "请求有误", "请求内容不完整或格式不正确。"),
        _ => return None,
    })
}

fn by_code(code: Code) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as H;
    match code {
        Code::NotFound => (H::NOT_FOUND, "未找到", ""),
        Code::InvalidArgument | Code::OutOfRange => (H::BAD_REQUEST, "请求有误", ""),
        Code::FailedPrecondition => (
            H::CONFLICT,
            "无法完成操作",
            "当前状态不允许此操作（例如数据目录受损、只读运行）。",
        ),
        Code::Aborted | Code::AlreadyExists => (H::CONFLICT, "版本冲突", ""),
        Code::PermissionDenied => (H::FORBIDDEN, "无权进行此操作", ""),
        Code::Unauthenticated => (H::UNAUTHORIZED, "令牌无效或未登录", ""),
        Code::ResourceExhausted | Code::Unavailable => {
            (H::SERVICE_UNAVAILABLE, "服务繁忙，请稍后重试", "")
        }
        _ => (H::INTERNAL_SERVER_ERROR, "服务器错误", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::ErrorDetails;

    fn with_reason(code: Code, reason: &str) -> tonic::Status {
        let d = ErrorDetails::with_error_info(reason, "gx", std::collections::HashMap::new());
        tonic::Status::with_error_details(code, "the technical words", d)
    }

    #[test]
    fn the_reason_chooses_the_words_and_the_message_stays_beside_them() {
        let r = refusal(&with_reason(Code::FailedPrecondition, "REVISION_CONFLICT"));
        assert_eq!((r.status, r.head), (StatusCode::CONFLICT, "报告已有新版本"));
        assert_eq!(r.technical, "the technical words");
        let r = refusal(&with_reason(Code::FailedPrecondition, "REPORT_INVALID"));
        assert_eq!(r.head, "未能通过审核，未提交");
        // An unknown reason or none: the code decides.
        let r = refusal(&with_reason(Code::PermissionDenied, "SOMETHING_NEW"));
        assert_eq!(
            (r.status, r.head),
            (StatusCode::FORBIDDEN, "无权进行此操作")
        );
        let r = refusal(&tonic::Status::failed_precondition("read-only"));
        assert_eq!(r.head, "无法完成操作");
    }
}
