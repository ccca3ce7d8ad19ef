//! Answers S3 shapes by the caller's permissions (decision D74): `GetObject` and `HeadObject`
//! return an object's tag count only to callers allowed `s3:GetObjectTagging`, its Object Lock
//! retention only with `s3:GetObjectRetention` and its legal hold only with
//! `s3:GetObjectLegalHold` (S3's API reference for both operations; AWS's service reference
//! lists these actions for them). The gateway relays the upstream's answer, so it removes each
//! such header the caller may not read, deciding only when the header is there.

use axum::response::Response;

use super::sse::Pending;
use super::{Check, Judge, Verdict};

/// The headers and the action that reveals each.
const GUARDED: &[(&[&str], &str, &str)] = &[
    (&["x-amz-tagging-count"], "s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
    (
        &["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date"],
        "s3:GetObjectRetention",
        "s3:GetObjectRetention",
    ),
    (&["x-amz-object-lock-legal-hold"], "s3:GetObjectLegalHold", "s3:GetObjectLegalHold"),
];

/// Whether the operation's answer is shaped by these permissions.
pub(crate) fn shapes(operation: &str) -> bool {
    matches!(operation, "GetObject" | "GetObjectVersion" | "HeadObject")
}

/// Removes from `answer` the headers the caller may not read.
pub(crate) fn strip(
    state: &crate::state::AppState,
    pending: &Pending,
    mut answer: Response,
    versioned: bool,
    request_id: &str,
) -> Response {
    let present: Vec<&(&[&str], &str, &str)> =
        GUARDED.iter().filter(|(headers, _, _)| headers.iter().any(|h| answer.headers().contains_key(*h))).collect();
    if present.is_empty() {
        return answer;
    }
    let Some(snapshot) = state.account() else {
        for (headers, _, _) in present {
            headers.iter().for_each(|h| {
                answer.headers_mut().remove(*h);
            });
        }
        return answer;
    };
    let judge = Judge {
        state,
        data: &snapshot.data,
        default_key_policy: false,
        caller: pending.caller.as_ref(),
        principal: &pending.principal,
        caller_account: pending.caller_account.as_deref(),
        ctx: &pending.ctx,
        shape: &pending.shape,
        prefix: "s3",
        request_id,
    };
    for (headers, action, versioned_action) in present {
        let action = if versioned { versioned_action } else { action };
        let check = Check::new((*action).to_string(), pending.object.clone());
        if !matches!(judge.judge(&check), Verdict::Allowed) {
            tracing::info!(
                principal = pending.principal,
                action,
                "gateway: answer header removed: not allowed to read it"
            );
            for h in *headers {
                answer.headers_mut().remove(*h);
            }
        }
    }
    answer
}
