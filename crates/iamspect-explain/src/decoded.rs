//! Reading the JSON printed by `aws sts decode-authorization-message` (spec §8.2) back into a
//! request description.
//!
//! Accepted shapes: the CLI's `{"DecodedMessage": "<JSON string>"}`, the same with the inner JSON
//! already an object, the inner JSON alone (`--query DecodedMessage --output text`), and the inner
//! JSON as a JSON string (`--query DecodedMessage`). Every list is `{"items": [...]}` and every scalar
//! `{"value": ...}`; bare arrays and scalars are accepted too.

use serde_json::Value;

use crate::parse::ParseError;

/// Context keys AWS adds to the decoded context for its own use; they are not request context keys
/// a policy can test.
const INTERNAL_KEYS: [&str; 6] = ["aws:Resource", "aws:Account", "aws:Region", "aws:Service", "aws:Type", "aws:ARN"];

/// A statement AWS says matched the request (for a deny, the denying statement).
#[derive(Clone, Debug, PartialEq)]
pub struct MatchedStatement {
    /// `statementId` (the `Sid`), when there is one.
    pub statement_id: Option<String>,
    /// `effect`, upper-case as AWS prints it (`DENY`, `ALLOW`).
    pub effect: String,
    /// `principals` (principal ids such as `AROA...`).
    pub principals: Vec<String>,
    /// `principalGroups`.
    pub principal_groups: Vec<String>,
    /// `actions`.
    pub actions: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `conditions`, as AWS gives them (their shape is undocumented).
    pub conditions: Vec<Value>,
}

/// The request a decoded authorization message describes.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedRequest {
    /// `allowed`.
    pub allowed: bool,
    /// `explicitDeny`.
    pub explicit_deny: bool,
    /// `context.principal.arn`.
    pub principal_arn: String,
    /// `context.principal.id` (`AROA...:session` for a role session).
    pub principal_id: Option<String>,
    /// `service:Action`: `context.action` when it has a prefix, otherwise rebuilt from `aws:Service`,
    /// a matched statement's action, or the resource ARN's service.
    pub action: String,
    /// `context.resource` (or `aws:ARN` when it is absent).
    pub resource: String,
    /// Every `context.conditions` item except AWS's internal keys (`aws:Resource`, `aws:Account`,
    /// `aws:Region`, `aws:Service`, `aws:Type`, `aws:ARN`), in order, with `aws:RequestedRegion`
    /// added from `aws:Region` when absent.
    pub context: Vec<(String, Vec<String>)>,
    /// `matchedStatements`.
    pub matched_statements: Vec<MatchedStatement>,
    /// `failures` (meaning undocumented), as given.
    pub failures: Vec<Value>,
    /// `iamspect.sessionPolicies` of an iamspect encoded message: the policy documents of the
    /// issued session that made the request (empty for AWS's messages).
    pub session_policies: Vec<String>,
}

impl DecodedRequest {
    /// The values of a context key (case-insensitive), including the internal keys left out of
    /// `context`.
    pub fn context_value(&self, key: &str) -> Option<&[String]> {
        self.context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_slice())
    }
}

/// Reads the output of `aws sts decode-authorization-message`.
pub fn parse_decoded(text: &str) -> Result<DecodedRequest, ParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            // Still the encoded blob?
            let blob = text.strip_prefix("Encoded authorization failure message:").unwrap_or(text).trim();
            if !blob.is_empty() && blob.chars().all(|c| c.is_ascii_alphanumeric() || "-_=+/".contains(c)) {
                return Err(ParseError::Encoded { encoded: blob.to_string() });
            }
            return Err(ParseError::InvalidJson { reason: e.to_string() });
        }
    };
    // Unwrap `DecodedMessage` and JSON-in-a-string, a few levels at most.
    for _ in 0..4 {
        value = match value {
            Value::String(s) => {
                serde_json::from_str(&s).map_err(|e| ParseError::InvalidJson { reason: e.to_string() })?
            }
            Value::Object(mut obj) if !obj.contains_key("context") && obj.contains_key("DecodedMessage") => {
                obj.remove("DecodedMessage").unwrap_or(Value::Null)
            }
            other => {
                value = other;
                break;
            }
        };
    }
    let msg = value.as_object().ok_or(ParseError::InvalidJson { reason: "expected a JSON object".to_string() })?;
    let context = msg.get("context").ok_or(ParseError::MissingField { field: "context" })?;

    let principal = context.get("principal");
    let principal_arn = principal
        .and_then(|p| p.get("arn"))
        .and_then(scalar)
        .filter(|a| !a.is_empty())
        .ok_or(ParseError::MissingField { field: "context.principal.arn" })?;
    let principal_id = principal.and_then(|p| p.get("id")).and_then(scalar).filter(|s| !s.is_empty());

    let conditions: Vec<(String, Vec<String>)> = items(context.get("conditions"))
        .iter()
        .filter_map(|item| {
            let key = item.get("key").and_then(scalar)?;
            let values = items(item.get("values")).iter().filter_map(scalar).collect();
            Some((key, values))
        })
        .collect();
    let lookup =
        |key: &str| conditions.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.first()).cloned();

    let matched_statements: Vec<MatchedStatement> = items(msg.get("matchedStatements"))
        .iter()
        .map(|st| MatchedStatement {
            statement_id: st.get("statementId").and_then(scalar).filter(|s| !s.is_empty()),
            effect: st.get("effect").and_then(scalar).unwrap_or_default(),
            principals: items(st.get("principals")).iter().filter_map(scalar).collect(),
            principal_groups: items(st.get("principalGroups")).iter().filter_map(scalar).collect(),
            actions: items(st.get("actions")).iter().filter_map(scalar).collect(),
            resources: items(st.get("resources")).iter().filter_map(scalar).collect(),
            conditions: items(st.get("conditions")).to_vec(),
        })
        .collect();

    let resource = context
        .get("resource")
        .and_then(scalar)
        .filter(|r| !r.is_empty())
        .or_else(|| lookup("aws:ARN"))
        .ok_or(ParseError::MissingField { field: "context.resource" })?;

    let bare = context.get("action").and_then(scalar).filter(|a| !a.is_empty());
    let action = match bare {
        Some(a) if a.contains(':') => a,
        Some(a) => {
            let from_statement = matched_statements.iter().flat_map(|s| &s.actions).find_map(|sa| {
                let (svc, name) = sa.split_once(':')?;
                name.eq_ignore_ascii_case(&a).then(|| format!("{svc}:{a}"))
            });
            let service = lookup("aws:Service").filter(|s| !s.is_empty()).or_else(|| arn_service(&resource));
            match (service, from_statement) {
                (Some(svc), _) => format!("{svc}:{a}"),
                (None, Some(full)) => full,
                (None, None) => a,
            }
        }
        None => return Err(ParseError::MissingField { field: "context.action" }),
    };

    let region = lookup("aws:Region");
    let mut request_context: Vec<(String, Vec<String>)> =
        conditions.iter().filter(|(k, _)| !INTERNAL_KEYS.iter().any(|i| i.eq_ignore_ascii_case(k))).cloned().collect();
    if let Some(region) = region
        && !request_context.iter().any(|(k, _)| k.eq_ignore_ascii_case("aws:RequestedRegion"))
    {
        request_context.push(("aws:RequestedRegion".to_string(), vec![region]));
    }

    Ok(DecodedRequest {
        allowed: msg.get("allowed").and_then(boolean).unwrap_or(false),
        explicit_deny: msg.get("explicitDeny").and_then(boolean).unwrap_or(false),
        principal_arn,
        principal_id,
        action,
        resource,
        context: request_context,
        matched_statements,
        failures: items(msg.get("failures")).to_vec(),
        session_policies: msg
            .get("iamspect")
            .and_then(|i| i.get("sessionPolicies"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// The elements of `{"items": [...]}` (or of a bare array).
fn items(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => o.get("items").and_then(Value::as_array).map_or(&[], Vec::as_slice),
        _ => &[],
    }
}

/// The text of `{"value": ...}` (or of a bare scalar).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o.get("value").and_then(scalar),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        Value::Object(o) => o.get("value").and_then(boolean),
        _ => None,
    }
}

/// `ec2` for `arn:aws:ec2:us-east-1:111122223333:instance/*`.
fn arn_service(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(4, ':');
    (parts.next()? == "arn").then_some(())?;
    parts.next()?;
    parts.next().filter(|s| !s.is_empty()).map(str::to_string)
}
