//! Rendering decisions and traces: one file per format.

pub(crate) mod json;
pub(crate) mod text;

use iamspect_core::{LayerVerdict, StatementOutcome, StatementTrace};

pub(crate) fn verdict_name(v: LayerVerdict) -> &'static str {
    match v {
        LayerVerdict::Denies => "denies",
        LayerVerdict::Allows => "allows",
        LayerVerdict::NoAllow => "no allow",
        LayerVerdict::NotApplicable => "not applicable",
    }
}

pub(crate) fn outcome_name(o: StatementOutcome) -> &'static str {
    match o {
        StatementOutcome::Matched(_) => "matched",
        StatementOutcome::ActionNotMatched => "actionNotMatched",
        StatementOutcome::ResourceNotMatched => "resourceNotMatched",
        StatementOutcome::PrincipalNotMatched => "principalNotMatched",
        StatementOutcome::ConditionFailed(_) => "conditionFailed",
        StatementOutcome::ConditionTypeError(_) => "conditionTypeError",
    }
}

/// One line saying what a statement did.
pub(crate) fn describe(s: &StatementTrace) -> String {
    match (s.outcome, &s.condition) {
        (StatementOutcome::Matched(_), _) => "matches".to_string(),
        (StatementOutcome::ActionNotMatched, _) => "action does not match".to_string(),
        (StatementOutcome::ResourceNotMatched, _) => "resource does not match".to_string(),
        (StatementOutcome::PrincipalNotMatched, _) => "principal does not match".to_string(),
        (StatementOutcome::ConditionFailed(_) | StatementOutcome::ConditionTypeError(_), Some(c)) => {
            let request = match &c.request_values {
                Some(vs) => format!("request has {}", list(vs)),
                None => "request does not have the key".to_string(),
            };
            let what = if matches!(s.outcome, StatementOutcome::ConditionTypeError(_)) {
                "cannot read the request value for"
            } else {
                "condition is false:"
            };
            format!("{what} {} {} {}; {request}", c.operator, c.key, list(&c.policy_values))
        }
        _ => "condition is false".to_string(),
    }
}

fn list(vs: &[String]) -> String {
    if vs.len() == 1 {
        format!("{:?}", vs[0])
    } else {
        format!("[{}]", vs.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "))
    }
}
