//! From a CloudTrail record to the request AWS authorized: the principal, the IAM actions of the
//! API operation, the resource, and the context.

use iamspect_account::AccountData;
use iamspect_core::{Context, Principal, Request};
use iamspect_explain::message::AccessDeniedMessage;
use serde_json::Value;

use crate::context::context;
use crate::identity::{Caller, caller};
use crate::resource::{ResourceGuess, resource_for};
use crate::service_ref::ServiceReference;

/// Event source hosts whose IAM service prefix is another name.
const HOST_TO_PREFIX: [(&str, &str); 17] = [
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("tagging", "tag"),
    ("rdsdata", "rds-data"),
    ("streams.dynamodb", "dynamodb"),
    ("runtime.sagemaker", "sagemaker"),
    ("api.sagemaker", "sagemaker"),
    ("runtime.lex", "lex"),
    ("models.lex", "lex"),
    ("runtime-v2-lex", "lex"),
    ("models-v2-lex", "lex"),
    ("data.iot", "iot"),
    ("metering.marketplace", "aws-marketplace"),
    ("entitlement.marketplace", "aws-marketplace"),
    ("catalog.marketplace", "aws-marketplace"),
    ("pinpoint", "mobiletargeting"),
    ("sso-oidc", "sso-oauth"),
];

/// The IAM service prefix of an `eventSource`, and a note when it was guessed.
pub fn service_prefix(event_source: &str, sref: Option<&ServiceReference>) -> (String, Option<String>) {
    let lower = event_source.to_ascii_lowercase();
    let host = lower.strip_suffix(".amazonaws.com").or_else(|| lower.strip_suffix(".api.aws")).unwrap_or(&lower);
    let mapped = HOST_TO_PREFIX.iter().find(|(h, _)| *h == host).map_or(host, |(_, p)| p);
    let Some(sref) = sref else { return (mapped.to_string(), None) };
    if sref.has_service(mapped) {
        return (mapped.to_string(), None);
    }
    if let Some(p) = sref.service_of_sdk(host) {
        return (
            p.to_string(),
            Some(format!("eventSource `{event_source}` read as service `{p}` (its SDK client name)")),
        );
    }
    (
        mapped.to_string(),
        Some(format!(
            "eventSource `{event_source}`: the service reference has no service `{mapped}`; assumed as the prefix"
        )),
    )
}

/// `ListFunctions20150331` -> `ListFunctions`, `UpdateFunctionCode20150331v2` -> `UpdateFunctionCode`:
/// Lambda (and a few others) log the API version after the operation name.
pub fn strip_api_version(name: &str) -> &str {
    let base = match name.rfind('v') {
        Some(i) if i + 1 < name.len() && name[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &name[..i],
        _ => name,
    };
    let digits = base.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 8 && base.len() > 8 && base[..base.len() - 8].ends_with(|c: char| c.is_ascii_alphabetic()) {
        &base[..base.len() - 8]
    } else {
        name
    }
}

/// The actions to evaluate for an operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    /// The actions evaluated.
    pub evaluate: Vec<String>,
    /// Other actions the operation authorizes (conditionally, or in other services), not evaluated.
    pub others: Vec<String>,
    /// Where the actions came from.
    pub how: String,
    /// Caveats.
    pub notes: Vec<String>,
    /// True when the action was assumed from the event name, not looked up.
    pub assumed: bool,
}

fn action_part(a: &str) -> &str {
    a.split_once(':').map_or(a, |(_, n)| n)
}

/// The IAM actions of `prefix`'s operation `event_name`.
pub fn actions_for(prefix: &str, event_name: &str, sref: Option<&ServiceReference>) -> Actions {
    let op = strip_api_version(event_name);
    let mut out = Actions::default();
    if op != event_name {
        out.notes.push(format!("eventName `{event_name}` carries an API version; operation `{op}`"));
    }
    let Some(sref) = sref else {
        out.evaluate.push(format!("{prefix}:{op}"));
        out.how = "assumed from eventName: no service reference loaded".to_string();
        out.assumed = true;
        return out;
    };
    if let Some(list) = sref.operation(prefix, op) {
        let (own, other): (Vec<&String>, Vec<&String>) =
            list.iter().partition(|a| a.split_once(':').is_some_and(|(s, _)| s.eq_ignore_ascii_case(prefix)));
        let same_name = own.iter().find(|a| action_part(a).eq_ignore_ascii_case(op));
        let chosen: Vec<&String> = match (same_name, own.len()) {
            (Some(a), _) => vec![a],
            (None, 1..) => own.clone(),
            (None, 0) => list.iter().collect(),
        };
        if same_name.is_none() && chosen.len() > 1 {
            out.notes.push(format!(
                "operation {op} authorizes several actions and CloudTrail does not say which was denied; each is evaluated"
            ));
        }
        out.evaluate = chosen.iter().map(|a| (*a).clone()).collect();
        out.others = own.iter().chain(other.iter()).filter(|a| !chosen.contains(a)).map(|a| (*a).clone()).collect();
        out.how = format!("service reference: operation {op} of `{prefix}`");
        return out;
    }
    if let Some(name) = sref.action_name(prefix, op) {
        out.evaluate.push(format!("{prefix}:{name}"));
        out.how = format!("service reference: `{prefix}` lists no operation {op}, but an action of that name");
        return out;
    }
    out.evaluate.push(format!("{prefix}:{op}"));
    out.how = format!("assumed from eventName: the service reference lists no operation or action {op} of `{prefix}`");
    out.assumed = true;
    out
}

/// One request to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN or `*`.
    pub resource: String,
    /// Where the resource came from.
    pub resource_how: String,
    /// False when `*` stands in for a resource that could not be determined.
    pub resource_determined: bool,
    /// The resource's account, for ARNs that carry none (S3).
    pub resource_account: Option<String>,
}

/// The request an event records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebuilt {
    /// The caller.
    pub caller: Caller,
    /// The actions evaluated, each with its resource.
    pub targets: Vec<Target>,
    /// Other actions the operation authorizes, not evaluated.
    pub other_actions: Vec<String>,
    /// Where the actions came from.
    pub actions_how: String,
    /// Context keys.
    pub context: Vec<(String, Vec<String>)>,
    /// What was inferred, left out, or may differ from what AWS evaluated.
    pub notes: Vec<String>,
    /// AWS's error message read back, when it is an AccessDenied message naming an action.
    pub aws_message: Option<AccessDeniedMessage>,
}

impl Rebuilt {
    /// The requests, built as the engine sees them (context keys that follow from the principal
    /// are added).
    pub fn requests(&self) -> Result<Vec<Request>, String> {
        let principal = Principal::parse(&self.caller.principal).map_err(|e| e.to_string())?;
        let mut ctx = Context::new();
        for (k, vs) in &self.context {
            ctx.insert(k, vs.clone());
        }
        self.targets
            .iter()
            .map(|t| {
                Request::new(principal.clone(), &t.action, &t.resource, t.resource_account.as_deref(), ctx.clone())
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Rebuilds the request of a record. `data`, when given, resolves callers CloudTrail names only by
/// unique id. The result always holds valid requests; otherwise the error says why not.
pub fn rebuild(record: &Value, sref: Option<&ServiceReference>, data: Option<&AccountData>) -> Result<Rebuilt, String> {
    let event_source = text(record, "eventSource").ok_or("the event has no eventSource")?;
    let event_name = text(record, "eventName").ok_or("the event has no eventName")?;
    let caller = caller(record, data)?;
    let mut notes = Vec::new();
    let (prefix, prefix_note) = service_prefix(event_source, sref);
    notes.extend(prefix_note);
    let mut actions = actions_for(&prefix, event_name, sref);
    notes.append(&mut actions.notes);

    // AWS's own words, when the error message names the action (and usually the resource).
    let aws_message = text(record, "errorMessage")
        .and_then(|m| iamspect_explain::parse::parse(m).ok())
        .filter(|m| m.action.contains(':') && !m.action.contains(' '));
    if let Some(m) = &aws_message {
        if !m.principal.is_empty() && !m.principal.eq_ignore_ascii_case(&caller.principal) {
            notes.push(format!(
                "AWS's error message names the caller `{}`; the rebuilt caller is `{}`",
                m.principal, caller.principal
            ));
        }
        let named = actions.evaluate.iter().chain(actions.others.iter()).find(|a| a.eq_ignore_ascii_case(&m.action));
        match named {
            Some(a) => {
                let a = a.clone();
                if actions.evaluate.len() > 1 || !actions.evaluate.contains(&a) {
                    notes.push(format!("AWS's error message names {a}; only it is evaluated"));
                }
                let rest: Vec<String> = actions.evaluate.drain(..).filter(|x| *x != a).collect();
                actions.others.retain(|x| *x != a);
                actions.others.splice(0..0, rest);
                actions.evaluate = vec![a];
            }
            None if actions.assumed => {
                notes.push(format!(
                    "AWS's error message names {}; it replaces the action assumed from eventName",
                    m.action
                ));
                actions.evaluate = vec![m.action.clone()];
                actions.how = "from AWS's error message".to_string();
            }
            None => notes.push(format!(
                "AWS's error message names {}, which is not among the actions of {event_name}: {}",
                m.action,
                actions.evaluate.join(", ")
            )),
        }
    }

    let recipient = text(record, "recipientAccountId");
    let mut targets = Vec::new();
    for action in &actions.evaluate {
        let ResourceGuess { arn, how, determined, notes: resource_notes } = resource_for(record, action, sref);
        notes.extend(resource_notes);
        let (mut arn, mut how, mut determined) = (arn, how, determined);
        if let Some(m) = aws_message.as_ref().filter(|m| m.action.eq_ignore_ascii_case(action))
            && let Some(named) = m.resource.as_deref().filter(|r| *r == "*" || iamspect_core::Arn::parse(r).is_some())
            && named != arn
        {
            if determined && arn != "*" {
                notes.push(format!(
                    "requestParameters give {arn}, but AWS's error message names {named}; AWS's is used"
                ));
            }
            arn = named.to_string();
            how = "AWS's error message".to_string();
            determined = true;
        }
        // S3 ARNs carry no account; the bucket's account is the one the event was recorded in.
        let resource_account =
            iamspect_core::Arn::parse(&arn).filter(|a| a.account.is_empty()).and(recipient).map(str::to_string);
        targets.push(Target {
            action: action.clone(),
            resource: arn,
            resource_how: how,
            resource_determined: determined,
            resource_account,
        });
    }
    let rebuilt_context = context(record, caller.temporary);
    notes.extend(rebuilt_context.notes);
    if caller.identity_type == "AssumedRole" {
        notes.push(
            "session policies and session tags are not in CloudTrail: the role session is evaluated without them"
                .to_string(),
        );
    }
    let rebuilt = Rebuilt {
        caller,
        targets,
        other_actions: actions.others,
        actions_how: actions.how,
        context: rebuilt_context.keys,
        notes,
        aws_message,
    };
    rebuilt.requests().map_err(|e| format!("the rebuilt request is not valid: {e}"))?;
    Ok(rebuilt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions() {
        assert_eq!(strip_api_version("ListFunctions20150331"), "ListFunctions");
        assert_eq!(strip_api_version("UpdateFunctionCode20150331v2"), "UpdateFunctionCode");
        assert_eq!(strip_api_version("GetObject"), "GetObject");
        assert_eq!(strip_api_version("Describe2"), "Describe2");
    }

    #[test]
    fn prefixes() {
        assert_eq!(service_prefix("monitoring.amazonaws.com", None).0, "cloudwatch");
        assert_eq!(service_prefix("s3.amazonaws.com", None).0, "s3");
        assert_eq!(service_prefix("sts.amazonaws.com", None).0, "sts");
    }
}
