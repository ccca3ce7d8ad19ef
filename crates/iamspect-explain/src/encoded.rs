//! iamspect's encoded authorization message: what `aws sts decode-authorization-message` returns
//! for a request (spec §8.2), packed into one token that iamspect's gateway puts in its deny
//! answers and that `iamspect explain --encoded` and iamspect's STS `DecodeAuthorizationMessage`
//! unpack.
//!
//! # Encoding (version 1)
//!
//! `iamspect1.` followed by the base64url encoding, without padding, of the UTF-8 JSON document.
//! The JSON has AWS's shape (`allowed`, `explicitDeny`, `matchedStatements`, `failures`, `context`
//! with `principal`, `action`, `resource` and `conditions`; every list `{"items": [...]}`, every
//! scalar `{"value": ...}`) plus one object of iamspect's own, `iamspect`:
//! `{"version": 1, "decision", "deniedBy": [...], "message", "resourceAccount"}`. Unlike AWS's,
//! `context.action` keeps its service prefix (`s3:GetObject`).
//!
//! The token is not encrypted or signed: anyone who can read the deny answer can read the
//! request's context, as with any iamspect output. It is meant for local stacks and CI.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iamspect_core::{Decision, Effect, Policies, PrincipalKind, Request, Response};
use std::fmt::Write as _;

use serde_json::{Value, json};

/// The prefix of a version 1 token.
pub const PREFIX: &str = "iamspect1.";

/// Why a token could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The token does not start with [`PREFIX`].
    NotIamspect,
    /// The text after the prefix is not base64url.
    Base64(String),
    /// The decoded bytes are not a JSON object.
    Json(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::NotIamspect => write!(
                f,
                "not an iamspect encoded message (those start with `{PREFIX}`); AWS's own encoded messages can only be decoded by AWS: `aws sts decode-authorization-message --encoded-message <blob>`"
            ),
            DecodeError::Base64(e) => write!(f, "the encoded message is not base64url after `{PREFIX}`: {e}"),
            DecodeError::Json(e) => write!(f, "the encoded message does not hold a JSON object: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn items(values: impl IntoIterator<Item = Value>) -> Value {
    json!({ "items": values.into_iter().collect::<Vec<_>>() })
}

fn scalar(value: impl Into<Value>) -> Value {
    json!({ "value": value.into() })
}

/// The principal id AWS prints: the unique id, with `:session` for role sessions.
fn principal_id(request: &Request) -> String {
    let p = request.principal();
    let id = p.id.clone();
    match &p.kind {
        PrincipalKind::RoleSession { session_name: Some(s), .. } => format!("{}:{s}", id.unwrap_or_default()),
        PrincipalKind::Anonymous => "anonymous".to_string(),
        _ => id.unwrap_or_else(|| p.account().unwrap_or_default().to_string()),
    }
}

fn string_or_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::String(s)) => vec![scalar(s.clone())],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(|s| scalar(s.to_string())).collect(),
        _ => Vec::new(),
    }
}

/// The decoded-message JSON for `request` decided against `policies` (the engine is run with
/// its trace, to name the statements that decided).
pub fn authorization_json(request: &Request, policies: &Policies) -> Value {
    serde_json::from_str(&authorization_text(request, policies)).unwrap_or(Value::Null)
}

/// Appends `s` as a JSON string.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `{"items":[{"value":"a"},...]}`.
fn push_scalars<'a>(out: &mut String, values: impl IntoIterator<Item = &'a str>) {
    out.push_str("{\"items\":[");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"value\":");
        push_string(out, v);
        out.push('}');
    }
    out.push_str("]}");
}

fn push_condition(out: &mut String, first: &mut bool, key: &str, values: &[&str]) {
    if !std::mem::take(first) {
        out.push(',');
    }
    out.push_str("{\"key\":");
    push_string(out, key);
    out.push_str(",\"values\":");
    push_scalars(out, values.iter().copied());
    out.push('}');
}

/// The decoded-message JSON text for `request` decided against `policies` (see
/// [`response_text`]).
pub fn authorization_text(request: &Request, policies: &Policies) -> String {
    response_text(request, &iamspect_core::authorize_traced(request, policies))
}

/// The decoded-message JSON text for `request` and its traced decision, written directly (a deny
/// answer builds one on every request).
pub fn response_text(request: &Request, response: &Response) -> String {
    let outcome = &response.outcome;
    let allowed = outcome.decision == Decision::Allowed;
    let explicit = outcome.decision == Decision::ExplicitDeny;
    let effect = if explicit {
        Some(Effect::Deny)
    } else if allowed {
        Some(Effect::Allow)
    } else {
        None
    };
    let id = principal_id(request);
    let mut out = String::with_capacity(2048);
    let _ = write!(out, "{{\"allowed\":{allowed},\"explicitDeny\":{explicit},\"matchedStatements\":{{\"items\":[");
    if let Some(effect) = effect {
        for (i, (_, policy, statement)) in response.trace.applied(effect).enumerate() {
            let text = policy.policy.source().get(statement.span.start..statement.span.end).unwrap_or_default();
            let parsed: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let conditions = parsed.get("Condition").cloned().into_iter().collect::<Vec<_>>();
            let one = json!({
                "statementId": statement.sid.clone().unwrap_or_default(),
                "effect": if effect == Effect::Deny { "DENY" } else { "ALLOW" },
                "principals": items([scalar(id.clone())]),
                "principalGroups": items([]),
                "actions": items(string_or_list(parsed.get("Action").or_else(|| parsed.get("NotAction")))),
                "resources": items(string_or_list(parsed.get("Resource").or_else(|| parsed.get("NotResource")))),
                "conditions": items(conditions),
            });
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(&one).unwrap_or_else(|_| "{}".to_string()));
        }
    }
    out.push_str("]},\"failures\":{\"items\":[]},\"context\":{\"principal\":{\"id\":");
    push_string(&mut out, &id);
    out.push_str(",\"arn\":");
    let principal_arn = match &request.principal().kind {
        PrincipalKind::Anonymous => "anonymous".to_string(),
        _ => request.principal().arn(),
    };
    push_string(&mut out, &principal_arn);
    out.push_str("},\"action\":");
    push_string(&mut out, request.action());
    out.push_str(",\"resource\":");
    push_string(&mut out, request.resource());
    out.push_str(",\"conditions\":{\"items\":[");
    let mut first = true;
    for (k, vs) in request.context().iter() {
        let values: Vec<&str> = vs.iter().map(AsRef::as_ref).collect();
        push_condition(&mut out, &mut first, k, &values);
    }
    push_condition(&mut out, &mut first, "aws:Service", &[request.service()]);
    if let Some(account) = request.resource_account() {
        push_condition(&mut out, &mut first, "aws:Account", &[account]);
    }
    out.push_str("]}},\"iamspect\":{\"version\":1,\"decision\":");
    push_string(&mut out, outcome.decision.as_str());
    out.push_str(",\"deniedBy\":[");
    for (i, d) in outcome.denied_by.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, d.as_str());
    }
    out.push_str("],\"message\":");
    match crate::message::for_response(request, response) {
        Some(m) => push_string(&mut out, &m.render()),
        None => out.push_str("null"),
    }
    out.push_str(",\"resourceAccount\":");
    match request.resource_account() {
        Some(a) => push_string(&mut out, a),
        None => out.push_str("null"),
    }
    out.push_str("}}");
    out
}

/// The decoded-message JSON for a request that could not be decided at all (the caller is not in
/// the account data, say): denied, no statement matched, and `iamspect.reason` says why.
pub fn unresolved_json(principal_arn: &str, action: &str, resource: &str, reason: &str) -> Value {
    json!({
        "allowed": false,
        "explicitDeny": false,
        "matchedStatements": items([]),
        "failures": items([]),
        "context": {
            "principal": {"id": principal_arn, "arn": principal_arn},
            "action": action,
            "resource": resource,
            "conditions": items([]),
        },
        "iamspect": {"version": 1, "decision": "implicitDeny", "deniedBy": [], "reason": reason},
    })
}

/// Encodes a decoded-message JSON as a version 1 token.
pub fn encode(decoded: &Value) -> String {
    encode_text(&serde_json::to_string(decoded).unwrap_or_default())
}

/// The token for `request` decided against `policies`.
pub fn encode_for(request: &Request, policies: &Policies) -> String {
    encode_text(&authorization_text(request, policies))
}

/// Encodes decoded-message JSON text as a version 1 token.
pub fn encode_text(text: &str) -> String {
    let mut out = String::with_capacity(PREFIX.len() + text.len() * 4 / 3 + 4);
    out.push_str(PREFIX);
    URL_SAFE_NO_PAD.encode_string(text.as_bytes(), &mut out);
    out
}

/// True when `text` (trimmed) is an iamspect token.
pub fn is_encoded(text: &str) -> bool {
    text.trim().starts_with(PREFIX)
}

/// Decodes a token back to the JSON text `decode-authorization-message` would return as
/// `DecodedMessage` (read it with [`crate::decoded::parse_decoded`]).
///
/// # Errors
/// [`DecodeError`] when the token is not iamspect's or is damaged.
pub fn decode(token: &str) -> Result<String, DecodeError> {
    let body = token.trim().strip_prefix(PREFIX).ok_or(DecodeError::NotIamspect)?;
    let bytes = URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')).map_err(|e| DecodeError::Base64(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| DecodeError::Json(e.to_string()))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(_)) => Ok(text),
        Ok(_) => Err(DecodeError::Json("expected an object".to_string())),
        Err(e) => Err(DecodeError::Json(e.to_string())),
    }
}

/// The token in an AccessDenied text (`... Encoded authorization failure message: TOKEN`), if it
/// holds an iamspect token.
pub fn find_in_message(text: &str) -> Option<&str> {
    let start = text.find(PREFIX)?;
    let rest = &text[start..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.=".contains(c))).unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamspect_core::{Context, Policy, PolicyType, Principal};
    use std::sync::Arc;

    #[test]
    fn round_trip_through_decoded() {
        let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
        let mut ctx = Context::new();
        ctx.insert("aws:SourceIp", vec!["127.0.0.1".to_string()]);
        let request = Request::new(principal, "s3:GetObject", "arn:aws:s3:::b/k", Some("111122223333"), ctx).unwrap();
        let deny = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "No", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#;
        let policy = Policy::parse("p", deny, PolicyType::Identity).unwrap();
        let policies = Policies { identity: vec![Arc::new(policy)], ..Policies::default() };
        let text = authorization_text(&request, &policies);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["iamspect"]["deniedBy"], json!(["identity"]));
        let items = parsed["context"]["conditions"]["items"].as_array().unwrap();
        assert!(items.iter().any(|i| i["key"] == "aws:SourceIp" && i["values"]["items"][0]["value"] == "127.0.0.1"));
        assert_eq!(authorization_json(&request, &policies), parsed);
        let token = encode_for(&request, &policies);
        assert!(token.starts_with(PREFIX));
        let text = decode(&token).unwrap_or_default();
        let decoded = crate::decoded::parse_decoded(&text).unwrap();
        assert!(!decoded.allowed && decoded.explicit_deny);
        assert_eq!(decoded.action, "s3:GetObject");
        assert_eq!(decoded.resource, "arn:aws:s3:::b/k");
        assert_eq!(decoded.matched_statements[0].statement_id.as_deref(), Some("No"));
        assert_eq!(decoded.context_value("aws:SourceIp"), Some(&["127.0.0.1".to_string()][..]));
        let message =
            format!("You are not authorized to perform this operation. Encoded authorization failure message: {token}");
        assert_eq!(find_in_message(&message), Some(token.as_str()));
        assert_eq!(decode("AQoDYXdzEJr"), Err(DecodeError::NotIamspect));
        assert!(matches!(decode("iamspect1.!!"), Err(DecodeError::Base64(_))));
    }
}
