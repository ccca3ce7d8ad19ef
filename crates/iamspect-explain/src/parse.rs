//! Reading an AccessDenied message back into its parts (`iamspect explain --message`).
//!
//! Accepts the message as AWS words it (spec §8.3) in every variant seen in AWS's documentation and
//! in CloudTrail: the enhanced form with an implicit or explicit reason, the legacy form without a
//! reason, S3's quoted resource, anonymous callers, EC2's readable-plus-encoded form, and the text
//! wrapped the way tools print it (the AWS CLI's `An error occurred (AccessDenied) when calling the X
//! operation: ` prefix, the Go SDK's `operation error ...: api error CODE: ` prefix, the Java SDK's
//! `(Service: ...; Status Code: 403; Error Code: ...)` suffix, a CloudTrail event or a JSON error
//! body, an XML `<Error>` document). EC2's purely encoded message cannot be read offline; it is
//! reported as [`ParseError::Encoded`].

use std::borrow::Cow;
use std::fmt;

use crate::message::{AccessDeniedMessage, DenyKind, MessagePolicyType, is_trust_action};

/// Why a message could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The text is empty.
    Empty,
    /// EC2's `Encoded authorization failure message: ...` without a readable message; the blob must
    /// be decoded with `aws sts decode-authorization-message` first.
    Encoded {
        /// The encoded blob.
        encoded: String,
    },
    /// A denial that names neither the caller nor the action (`Access Denied`, `You are not
    /// authorized to perform this operation.`, `The request was denied due to a VPC endpoint
    /// policy`, ...).
    Generic {
        /// The message.
        text: String,
    },
    /// The message names the caller but no action (`... is not authorized to access this resource`).
    NoAction {
        /// The caller.
        principal: String,
    },
    /// Not an AccessDenied message this parser knows.
    Unrecognized {
        /// The text, whitespace-normalised.
        text: String,
    },
    /// A decoded authorization message that is not valid JSON.
    InvalidJson {
        /// What the JSON parser said.
        reason: String,
    },
    /// A decoded authorization message without a field it needs.
    MissingField {
        /// The JSON path of the field.
        field: &'static str,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => write!(f, "the message is empty"),
            ParseError::Encoded { .. } => write!(
                f,
                "the message is encoded: decode it with `aws sts decode-authorization-message --encoded-message <blob>` \
                 (needs sts:DecodeAuthorizationMessage) and pass the decoded JSON instead"
            ),
            ParseError::Generic { text } => write!(
                f,
                "the message names no caller or action ({}), so it does not say which policy denied the request",
                excerpt(text)
            ),
            ParseError::NoAction { principal } => {
                write!(f, "the message names the caller ({principal}) but no action")
            }
            ParseError::Unrecognized { text } => write!(
                f,
                "not an AccessDenied message ({}): expected \"User: <arn> is not authorized to perform: <action> ...\"",
                excerpt(text)
            ),
            ParseError::InvalidJson { reason } => write!(f, "invalid decoded authorization message: {reason}"),
            ParseError::MissingField { field } => write!(f, "the decoded authorization message has no {field}"),
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The encoded blob, for [`ParseError::Encoded`].
    pub fn encoded_message(&self) -> Option<&str> {
        match self {
            ParseError::Encoded { encoded } => Some(encoded),
            _ => None,
        }
    }
}

/// A short quotation of `text` for an error message (no final period, at most 80 characters).
fn excerpt(text: &str) -> String {
    let t = text.trim().trim_end_matches('.');
    let mut out: String = t.chars().take(80).collect();
    if out.len() < t.len() {
        out.push('…');
    }
    format!("\"{out}\"")
}

/// A reason clause that [`AccessDeniedMessage`] cannot hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtherReason {
    /// S3: `because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access`.
    S3BlockPublicAcls,
    /// S3: `because public policies are prevented by the BlockPublicPolicy setting in S3 Block Public
    /// Access`.
    S3BlockPublicPolicy,
    /// S3: `because this bucket has blocked upload requests that specify Server Side Encryption with
    /// Customer provided keys (SSE-C)`.
    S3SseCBlocked,
    /// A reason of the usual shape naming a policy type this parser does not know (the words are
    /// kept, e.g. `foo policy`).
    UnknownPolicyType(String),
    /// Any other trailing text.
    Text(String),
}

/// A message read back, with what [`AccessDeniedMessage`] does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedMessage {
    /// The message's parts.
    pub message: AccessDeniedMessage,
    /// The error code, when the text carries one (`AccessDenied`, `AccessDeniedException`,
    /// `UnauthorizedOperation`, ...).
    pub error_code: Option<String>,
    /// The API operation, when the text carries one (`AssumeRole`, from the AWS CLI's prefix or a
    /// CloudTrail event's `eventName`).
    pub operation: Option<String>,
    /// EC2's encoded authorization failure message, when it follows the readable one.
    pub encoded: Option<String>,
    /// A reason clause that `message` cannot express; `None` when the reason (or its absence) is
    /// fully described by `message.deny` and `message.policy_type`.
    pub other_reason: Option<OtherReason>,
}

impl ParsedMessage {
    /// [`next_steps`] plus advice for the reasons only this struct records.
    pub fn next_steps(&self) -> Vec<String> {
        let m = &self.message;
        let res = m.resource.as_deref().unwrap_or("the bucket");
        let mut steps = match &self.other_reason {
            Some(OtherReason::S3BlockPublicAcls) => vec![format!(
                "S3 Block Public Access (BlockPublicAcls) on {res} or its account rejects requests that set a public ACL: \
                 drop the public grant (AllUsers/AuthenticatedUsers, public-read ...) from the request, or turn off \
                 BlockPublicAcls at both the bucket and the account level if public ACLs are really intended"
            )],
            Some(OtherReason::S3BlockPublicPolicy) => vec![format!(
                "S3 Block Public Access (BlockPublicPolicy) on {res} or its account rejects a bucket policy that grants \
                 public access: restrict the policy's Principal or add conditions (aws:SourceAccount, aws:PrincipalOrgID, \
                 aws:SourceVpce ...) so it is not public, or turn off BlockPublicPolicy at both levels"
            )],
            Some(OtherReason::S3SseCBlocked) => vec![format!(
                "the bucket {res} blocks uploads with SSE-C: upload with SSE-S3 or SSE-KMS instead, or change the \
                 bucket's default encryption configuration (BlockedEncryptionTypes)"
            )],
            Some(OtherReason::UnknownPolicyType(words)) => vec![format!(
                "the message names a policy type this tool does not know (\"{words}\"): search that policy for {} \
                 on {}",
                if m.deny == DenyKind::Explicit { "a Deny" } else { "a missing Allow" },
                m.action
            )],
            Some(OtherReason::Text(_)) | None => Vec::new(),
        };
        if !matches!(
            self.other_reason,
            Some(OtherReason::S3BlockPublicAcls | OtherReason::S3BlockPublicPolicy | OtherReason::S3SseCBlocked)
        ) {
            steps.extend(next_steps(m));
        }
        if let Some(blob) = &self.encoded {
            let head: String = blob.chars().take(12).collect();
            steps.push(format!(
                "decode the encoded failure message for the exact request context: \
                 aws sts decode-authorization-message --encoded-message {head}… (needs sts:DecodeAuthorizationMessage)"
            ));
        }
        steps
    }
}

/// Reads an AccessDenied message into its parts.
pub fn parse(text: &str) -> Result<AccessDeniedMessage, ParseError> {
    parse_full(text).map(|p| p.message)
}

/// Reads an AccessDenied message into its parts, keeping what [`AccessDeniedMessage`] does not hold
/// (error code, operation, EC2's encoded blob, S3-specific reasons).
pub fn parse_full(text: &str) -> Result<ParsedMessage, ParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let Unwrapped { body, mut error_code, mut operation, principal_hint } = unwrap_container(text);
    let body = normalize_ws(&body);
    let mut s: &str = body.trim();

    // Tool prefixes and suffixes.
    if let Some((code, op, rest)) = strip_cli_prefix(s) {
        error_code = Some(code.to_string());
        operation = Some(op.to_string());
        s = rest;
    }
    if let Some((code, op, rest)) = strip_go_prefix(s) {
        error_code = error_code.or(code.map(str::to_string));
        operation = operation.or(op.map(str::to_string));
        s = rest;
    }
    if let Some((code, rest)) = strip_java_suffix(s) {
        error_code = error_code.or(code.map(str::to_string));
        s = rest;
    }

    // EC2: readable message (optional) + encoded blob.
    let mut encoded = None;
    if let Some(pos) = find_ci(s, "Encoded authorization failure message:") {
        let blob = s[pos + "Encoded authorization failure message:".len()..].split_whitespace().next().unwrap_or("");
        encoded = (!blob.is_empty()).then(|| blob.to_string());
        s = s[..pos].trim_end();
    }
    if let Some(rest) = strip_prefix_ci(s, "You are not authorized to perform this operation.") {
        let rest = rest.trim_start();
        if rest.is_empty() {
            return Err(match encoded {
                Some(encoded) => ParseError::Encoded { encoded },
                None => ParseError::Generic { text: s.to_string() },
            });
        }
        s = rest;
    }

    let mut parsed = parse_core(s)?;
    if parsed.message.principal.is_empty()
        && let Some(p) = principal_hint
    {
        parsed.message.principal = p;
    }
    parsed.error_code = error_code;
    parsed.operation = operation;
    parsed.encoded = encoded;
    Ok(parsed)
}

/// The message proper, without tool decoration.
fn parse_core(s: &str) -> Result<ParsedMessage, ParseError> {
    // `Principal [P] is not allowed to execute [A] on the resource` (access-undenied catalogue).
    if let Some(rest) = strip_prefix_ci(s, "Principal [")
        && let Some((principal, rest)) = rest.split_once(']')
        && let Some(rest) = strip_prefix_ci(rest.trim_start(), "is not allowed to execute [")
        && let Some((action, _)) = rest.split_once(']')
    {
        return Ok(bare(principal.trim(), action.trim(), None, false, DenyKind::Unspecified, None, None, None));
    }

    let Some(pos) = find_ci(s, " is not authorized to ") else {
        return Err(generic_or_unrecognized(s));
    };
    let principal = principal_before(&s[..pos]).ok_or_else(|| generic_or_unrecognized(s))?;
    let after = &s[pos + " is not authorized to ".len()..];
    let Some(after) = strip_prefix_ci(after, "perform") else {
        // `... is not authorized to access this resource` and the like.
        return Err(ParseError::NoAction { principal: principal.to_string() });
    };
    let after = after.strip_prefix(':').unwrap_or(after).trim_start();
    let action_end = after.find(char::is_whitespace).unwrap_or(after.len());
    let action = after[..action_end].trim_end_matches('.');
    if !action.contains(':') {
        return Err(ParseError::NoAction { principal: principal.to_string() });
    }
    let mut rest = after[action_end..].trim_start();

    // The resource clause.
    let mut resource = None;
    let mut quoted = false;
    if let Some(r) = strip_prefix_ci(rest, "on resource:") {
        let r = r.trim_start();
        if let Some(inner) = r.strip_prefix('"')
            && let Some(close) = inner.rfind('"')
        {
            resource = Some(inner[..close].to_string());
            quoted = true;
            rest = inner[close + 1..].trim_start();
        } else {
            let end = reason_start(r).unwrap_or(r.len());
            let res = r[..end].trim_end();
            resource = (!res.is_empty()).then(|| res.to_string());
            rest = r[end..].trim_start();
        }
    } else if let Some(r) = strip_prefix_ci(rest, "on the specified resource") {
        rest = r.trim_start();
    }

    let (deny, policy_type, policy_arn, other_reason) = parse_reason(rest);
    Ok(bare(principal, action, resource, quoted, deny, policy_type, policy_arn, other_reason))
}

#[allow(clippy::too_many_arguments, reason = "a plain constructor")]
fn bare(
    principal: &str,
    action: &str,
    resource: Option<String>,
    quoted_resource: bool,
    deny: DenyKind,
    policy_type: Option<MessagePolicyType>,
    policy_arn: Option<String>,
    other_reason: Option<OtherReason>,
) -> ParsedMessage {
    ParsedMessage {
        message: AccessDeniedMessage {
            principal: principal.to_string(),
            action: action.to_string(),
            resource,
            deny,
            policy_type,
            policy_arn,
            quoted_resource,
        },
        error_code: None,
        operation: None,
        encoded: None,
        other_reason,
    }
}

/// The caller named before ` is not authorized to`: after the last `User:`, or empty for RDS's
/// `User is not authorized ...`. `None` when the text has neither.
fn principal_before(before: &str) -> Option<&str> {
    if let Some(p) = before.rfind("User:") {
        let principal = before[p + "User:".len()..].trim();
        return (!principal.contains(char::is_whitespace)).then_some(principal);
    }
    let t = before.trim_end();
    if t == "User" || t.ends_with(" User") || t.ends_with(":User") {
        return Some("");
    }
    None
}

fn generic_or_unrecognized(s: &str) -> ParseError {
    const GENERIC: [&str; 10] = [
        "access denied",
        "accessdenied",
        "you are not authorized to perform this operation",
        "the request was denied due to a vpc endpoint policy",
        "access to the resource ",
        "not authorized to access resource",
        "no access to any requested resource",
        "not whitelisted for accessing",
        "an unknown error occurred",
        // Billing console access for IAM users is switched off for the account.
        "iam user access not activated",
    ];
    let lower = s.to_ascii_lowercase();
    if GENERIC.iter().any(|g| lower.starts_with(g)) {
        ParseError::Generic { text: s.to_string() }
    } else {
        ParseError::Unrecognized { text: s.to_string() }
    }
}

/// Where the reason clause starts in the text after `on resource: ` (an unquoted resource).
fn reason_start(r: &str) -> Option<usize> {
    [" with an explicit deny", " because "].iter().filter_map(|m| find_ci(r, m)).min()
}

/// Policy types by their words, longest first so that `VPC endpoint policy transitively through a
/// service control policy` wins over `VPC endpoint policy`.
const TYPES: [(&str, MessagePolicyType); 10] = [
    ("VPC endpoint policy transitively through a service control policy", MessagePolicyType::VpcEndpointThroughScp),
    ("identity-based policy", MessagePolicyType::Identity),
    ("resource-based policy", MessagePolicyType::Resource),
    ("permissions boundary", MessagePolicyType::PermissionsBoundary),
    // One AWS page misspells it.
    ("sessions policy", MessagePolicyType::Session),
    ("session policy", MessagePolicyType::Session),
    ("service control policy", MessagePolicyType::Scp),
    ("resource control policy", MessagePolicyType::Rcp),
    ("VPC endpoint policy", MessagePolicyType::VpcEndpoint),
    ("role trust policy", MessagePolicyType::RoleTrust),
];

type Reason = (DenyKind, Option<MessagePolicyType>, Option<String>, Option<OtherReason>);

/// Reads the reason clause (everything after the action and resource).
fn parse_reason(rest: &str) -> Reason {
    let rest = rest.trim();
    let clause = rest.strip_suffix('.').unwrap_or(rest).trim_end();
    if clause.is_empty() {
        return (DenyKind::Unspecified, None, None, None);
    }
    if let Some(tail) = strip_prefix_ci(clause, "with an explicit deny") {
        return parse_explicit(tail.trim_start());
    }
    if let Some(tail) = strip_prefix_ci(clause, "because no ") {
        return parse_implicit(tail);
    }
    // The IAM guide's typo (missing "no"): an implicit deny by the role trust policy.
    if strip_prefix_ci(clause, "because the role trust policy allows the ").is_some() {
        return (DenyKind::Implicit, Some(MessagePolicyType::RoleTrust), None, None);
    }
    let lower = clause.to_ascii_lowercase();
    let s3 = if lower.contains("blockpublicacls") {
        Some(OtherReason::S3BlockPublicAcls)
    } else if lower.contains("blockpublicpolicy") {
        Some(OtherReason::S3BlockPublicPolicy)
    } else if lower.contains("sse-c") || lower.contains("customer provided keys") {
        Some(OtherReason::S3SseCBlocked)
    } else {
        None
    };
    (DenyKind::Unspecified, None, None, Some(s3.unwrap_or_else(|| OtherReason::Text(rest.to_string()))))
}

/// After `with an explicit deny`: `in a|an|the <type>[: <arn> | , with policy ARN: <arn>]`.
fn parse_explicit(tail: &str) -> Reason {
    if tail.is_empty() {
        return (DenyKind::Explicit, None, None, None);
    }
    let Some(after_in) = strip_prefix_ci(tail, "in ") else {
        return (DenyKind::Explicit, None, None, Some(OtherReason::Text(tail.to_string())));
    };
    let after_article = ["an ", "a ", "the "].iter().find_map(|a| strip_prefix_ci(after_in, a)).unwrap_or(after_in);
    for (words, ty) in TYPES {
        let Some(after) = strip_prefix_ci(after_article, words) else { continue };
        let after = after.trim_start();
        if after.is_empty() {
            return (DenyKind::Explicit, Some(ty), None, None);
        }
        let arn = strip_prefix_ci(after, ", with policy ARN:").or_else(|| after.strip_prefix(':')).map(str::trim);
        if let Some(arn) = arn
            && !arn.is_empty()
            && !arn.contains(char::is_whitespace)
        {
            return (DenyKind::Explicit, Some(ty), Some(arn.to_string()), None);
        }
        // Words we know followed by something we don't: keep the type, report the rest.
        if !after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return (DenyKind::Explicit, Some(ty), None, Some(OtherReason::Text(after.to_string())));
        }
    }
    let words = after_article.split([':', ',']).next().unwrap_or(after_article).trim();
    (DenyKind::Explicit, None, None, Some(OtherReason::UnknownPolicyType(words.to_string())))
}

/// After `because no `: `<type> allows the <action> action`.
fn parse_implicit(tail: &str) -> Reason {
    let words = match find_ci(tail, " allows the ") {
        Some(p) => &tail[..p],
        None => tail,
    };
    match TYPES.iter().find(|(w, _)| w.eq_ignore_ascii_case(words.trim())) {
        Some((_, ty)) => (DenyKind::Implicit, Some(*ty), None, None),
        None => (DenyKind::Implicit, None, None, Some(OtherReason::UnknownPolicyType(words.trim().to_string()))),
    }
}

/// The message text and what its container said about it.
struct Unwrapped<'a> {
    body: Cow<'a, str>,
    error_code: Option<String>,
    operation: Option<String>,
    /// The caller from a CloudTrail event, for messages that do not name it.
    principal_hint: Option<String>,
}

/// Takes the message out of a CloudTrail event, a JSON error body or an XML error document.
fn unwrap_container(text: &str) -> Unwrapped<'_> {
    let plain = Unwrapped { body: Cow::Borrowed(text), error_code: None, operation: None, principal_hint: None };
    if text.starts_with('{') {
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(text) else { return plain };
        let error = obj.get("Error").and_then(|e| e.as_object());
        let str_of = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                obj.get(*k).or_else(|| error.and_then(|e| e.get(*k))).and_then(|v| v.as_str()).map(str::to_string)
            })
        };
        let Some(body) = str_of(&["errorMessage", "Message", "message"]) else { return plain };
        let code = str_of(&["errorCode", "__type", "Code", "code"])
            .map(|c| c.rsplit('#').next().unwrap_or(&c).split(':').next().unwrap_or(&c).to_string());
        let principal_hint = obj
            .get("userIdentity")
            .and_then(|u| u.get("arn"))
            .and_then(|a| a.as_str())
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        return Unwrapped {
            body: Cow::Owned(body),
            error_code: code,
            operation: str_of(&["eventName"]),
            principal_hint,
        };
    }
    if text.starts_with('<')
        && let Some(body) = xml_element(text, "Message")
    {
        return Unwrapped {
            body: Cow::Owned(body),
            error_code: xml_element(text, "Code"),
            operation: None,
            principal_hint: None,
        };
    }
    plain
}

/// The unescaped text of the first `<name>...</name>` element.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(
        text[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// `An error occurred (CODE) when calling the OP operation[ (reached max retries: N)]: REST`.
fn strip_cli_prefix(s: &str) -> Option<(&str, &str, &str)> {
    let rest = strip_prefix_ci(s, "An error occurred (")?;
    let (code, rest) = rest.split_once(')')?;
    let rest = strip_prefix_ci(rest.trim_start(), "when calling the ")?;
    let (op, rest) = rest.split_once(' ')?;
    let rest = strip_prefix_ci(rest, "operation")?;
    let rest = match rest.trim_start().strip_prefix('(') {
        Some(r) => r.split_once(')')?.1,
        None => rest,
    };
    let rest = rest.trim_start().strip_prefix(':')?;
    Some((code.trim(), op, rest.trim_start()))
}

/// The Go SDK v2: `operation error STS: AssumeRole, https response error StatusCode: 403, RequestID:
/// ..., api error AccessDenied: REST`.
fn strip_go_prefix(s: &str) -> Option<(Option<&str>, Option<&str>, &str)> {
    let rest = strip_prefix_ci(s, "operation error ")?;
    let op = rest.split_once(':').and_then(|(_, r)| r.trim_start().split([',', ' ']).next()).filter(|o| !o.is_empty());
    let pos = find_ci(rest, "api error ")?;
    let after = &rest[pos + "api error ".len()..];
    let (code, msg) = after.split_once(':')?;
    Some((Some(code.trim()), op, msg.trim_start()))
}

/// The Java SDK: `REST (Service: ...; Status Code: 403; Error Code: AccessDenied; Request ID: ...)`.
fn strip_java_suffix(s: &str) -> Option<(Option<&str>, &str)> {
    let pos = s.rfind(" (Service: ")?;
    let suffix = &s[pos..];
    if !suffix.contains("Status Code:") {
        return None;
    }
    let code = suffix
        .find("Error Code:")
        .map(|p| suffix[p + "Error Code:".len()..].trim_start().split([';', ',', ')']).next().unwrap_or("").trim());
    Some((code.filter(|c| !c.is_empty()), s[..pos].trim_end()))
}

/// Collapses runs of whitespace (line breaks included) to one space, except inside double quotes
/// (an S3 key may hold several spaces).
fn normalize_ws(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    let mut pending_space = false;
    for c in text.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        if c.is_whitespace() && !in_quotes {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// `s` without `prefix`, compared ASCII-case-insensitively.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// The byte offset of `needle` in `s`, compared ASCII-case-insensitively.
fn find_ci(s: &str, needle: &str) -> Option<usize> {
    s.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

/// Concrete advice for a denial, from the policy type and deny kind the message names.
pub fn next_steps(msg: &AccessDeniedMessage) -> Vec<String> {
    let action = msg.action.as_str();
    let on = match &msg.resource {
        Some(r) if r != "*" => format!(" on {r}"),
        _ => String::new(),
    };
    let who = if msg.principal.is_empty() { "the caller" } else { msg.principal.as_str() };
    let caller_policies = caller_policy_kinds(&msg.principal);
    let start_with = |what: &str| match &msg.policy_arn {
        Some(arn) => format!("start with the {what} the message names: {arn}"),
        None => format!("the message does not name the {what}; check each one"),
    };
    let trust = is_trust_action(action);
    let mut steps = Vec::new();
    match (msg.deny, msg.policy_type) {
        (DenyKind::Explicit, Some(ty)) => match ty {
            MessagePolicyType::Identity => {
                steps.push(format!(
                    "search {caller_policies} for a Deny statement whose Action matches {action} (including \
                     wildcards such as {}:* or *, and NotAction) and whose Resource matches{}",
                    service_of(action),
                    if on.is_empty() { " the request".to_string() } else { on.clone() }
                ));
                steps.push(start_with("policy"));
                steps.push(
                    "check the Deny's Condition block against the request context: a Deny applies when its \
                     conditions match (…IfExists operators and missing keys included)"
                        .to_string(),
                );
            }
            MessagePolicyType::Resource => {
                steps.push(format!(
                    "search the resource-based policy of {} (bucket policy, key policy, queue/topic policy, secret \
                     policy ...) for a Deny statement matching {action} and a Principal that covers {who}",
                    msg.resource.as_deref().unwrap_or("the resource")
                ));
                steps.push(
                    "for S3, a RestrictPublicBuckets setting of Block Public Access is reported the same way: \
                     check it if the bucket policy is public"
                        .to_string(),
                );
            }
            MessagePolicyType::PermissionsBoundary => {
                steps.push(format!(
                    "search the permissions boundary attached to {who} for a Deny statement matching {action}{on}"
                ));
                steps.push(start_with("boundary policy"));
            }
            MessagePolicyType::Session => {
                steps.push(format!(
                    "search the session policies passed when the session of {who} was created (the Policy and \
                     PolicyArns parameters of AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity or \
                     GetFederationToken) for a Deny matching {action}{on}"
                ));
                steps.push(start_with("session policy"));
                steps.push("a new session without that session policy is not affected".to_string());
            }
            MessagePolicyType::Scp => {
                steps.push(format!(
                    "search the SCPs attached at every level from the organization root to the caller's account \
                     (root, each OU, the account) for a Deny matching {action}"
                ));
                steps.push(start_with("SCP"));
                steps.push(
                    "check that Deny's conditions and exceptions (aws:RequestedRegion, aws:PrincipalArn, \
                     aws:PrincipalTag ...): an SCP cannot be overridden by any Allow in the account"
                        .to_string(),
                );
            }
            MessagePolicyType::Rcp => {
                steps.push(format!(
                    "search the resource control policies attached from the organization root to the account that \
                     owns {} for a Deny matching {action}",
                    msg.resource.as_deref().unwrap_or("the resource")
                ));
                steps.push(start_with("RCP"));
                steps.push(
                    "check that Deny's conditions (aws:PrincipalOrgID, aws:SourceOrgID, aws:SecureTransport ...) \
                     against the request"
                        .to_string(),
                );
            }
            MessagePolicyType::VpcEndpoint => {
                steps.push(format!(
                    "search the policy of the VPC endpoint the request went through for a Deny matching {action}{on}"
                ));
                steps.push("or send the request through another endpoint or route".to_string());
            }
            MessagePolicyType::RoleTrust => {
                steps.push(format!(
                    "search the trust policy of the role {} for a Deny statement matching {action} whose Principal \
                     covers {who}",
                    msg.resource.as_deref().unwrap_or("being assumed")
                ));
                steps.push(
                    "check that Deny's conditions (sts:ExternalId, aws:SourceIdentity ...) against the request"
                        .to_string(),
                );
            }
            MessagePolicyType::VpcEndpointThroughScp => {
                steps.push(format!(
                    "an SCP denies {action} because of the VPC endpoint the request went through: search the SCPs \
                     from the organization root to the account for a Deny with conditions on aws:SourceVpce, \
                     aws:SourceVpc, aws:VpceAccount, aws:VpceOrgID or aws:VpceOrgPaths"
                ));
                steps.push("then check the VPC endpoint's own policy and the route the request took".to_string());
            }
        },
        (DenyKind::Implicit, Some(ty)) => match ty {
            MessagePolicyType::Identity => {
                steps.push(format!("add an Allow for {action}{on} to {caller_policies}"));
                steps.push(
                    "if an Allow exists, compare its Resource and Condition block with the request: a condition \
                     that does not match (or a missing key) leaves the request implicitly denied"
                        .to_string(),
                );
                steps.push(
                    "for a cross-account request the caller's identity policy must allow it as well as the \
                     resource policy"
                        .to_string(),
                );
            }
            MessagePolicyType::Resource => {
                steps.push(format!(
                    "add a statement to the resource-based policy of {} that allows {who} to perform {action}",
                    msg.resource.as_deref().unwrap_or("the resource")
                ));
                steps.push(
                    "a cross-account request needs both that statement and an Allow in the caller's identity \
                     policies; some services report a missing identity Allow this way for cross-account calls"
                        .to_string(),
                );
                steps.push(
                    "for a KMS key the key policy must allow the caller (or allow the account and delegate to IAM); \
                     for S3, ACLs ignored by IgnorePublicAcls are reported the same way"
                        .to_string(),
                );
            }
            MessagePolicyType::PermissionsBoundary => {
                steps.push(format!(
                    "the permissions boundary attached to {who} does not allow {action}{on}: add it to the boundary \
                     (an Allow in an identity-based policy alone is not enough)"
                ));
            }
            MessagePolicyType::Session => {
                steps.push(format!(
                    "the session policy passed when the session of {who} was created (Policy or PolicyArns) does \
                     not allow {action}{on}: create a new session with a session policy that allows it, or without \
                     one"
                ));
            }
            MessagePolicyType::Scp => {
                steps.push(format!(
                    "find the SCP levels from the organization root to the account that lack an Allow for {action}: \
                     the root, every OU on the path and the account itself must each have an SCP that allows it"
                ));
                steps.push(
                    "check whether FullAWSAccess was detached from one of those levels or replaced by an allow \
                     list that omits the action"
                        .to_string(),
                );
            }
            MessagePolicyType::Rcp => {
                steps.push(format!(
                    "find the RCP levels from the organization root to the resource's account that lack an Allow \
                     for {action} (RCPFullAWSAccess detached?)"
                ));
            }
            MessagePolicyType::VpcEndpoint | MessagePolicyType::VpcEndpointThroughScp => {
                steps.push(format!(
                    "the request went through a VPC endpoint whose policy does not allow {who} to perform \
                     {action}{on}: add an Allow to the endpoint policy, or send the request another way"
                ));
            }
            MessagePolicyType::RoleTrust => {
                steps.push(format!(
                    "the trust policy of the role {} does not allow {who} to call {action}: check its Principal \
                     element (the exact role/user ARN or the account root; a principal deleted and re-created needs \
                     the trust policy saved again)",
                    msg.resource.as_deref().unwrap_or("being assumed")
                ));
                steps.push(
                    "check the trust policy's conditions against the request: sts:ExternalId, \
                     aws:MultiFactorAuthPresent, sts:RoleSessionName, sts:SourceIdentity, aws:PrincipalOrgID, and \
                     that the Action lists sts:TagSession / sts:SetSourceIdentity if the call passes tags or a \
                     source identity"
                        .to_string(),
                );
                steps.push(
                    "for a cross-account role the caller's identity policy must also allow sts:AssumeRole on the \
                     role"
                        .to_string(),
                );
            }
        },
        (DenyKind::Explicit, None) => {
            steps.push(format!(
                "the message says only \"explicit deny\": search {caller_policies}, its permissions boundary and \
                 session policy, the resource-based policy, the SCPs, the RCPs and any VPC endpoint policy for a \
                 Deny matching {action}{on}"
            ));
        }
        (_, _) => {
            steps.push(format!(
                "the message gives no reason: check {caller_policies} for a missing Allow or a Deny on {action}{on}"
            ));
            if trust {
                steps.push(format!(
                    "check the trust policy of the role {} (Principal, sts:ExternalId and other conditions)",
                    msg.resource.as_deref().unwrap_or("being assumed")
                ));
            } else {
                steps.push("check the resource-based policy, if the resource has one".to_string());
            }
            steps.push(
                "then the permissions boundary, session policy, SCPs, RCPs and VPC endpoint policies".to_string(),
            );
        }
    }
    // Decisions D141–D144: the gates beside the policies.
    steps.extend(crate::gates::causes_for_message(msg));
    steps
}

/// `s3` for `s3:GetObject`.
fn service_of(action: &str) -> &str {
    action.split_once(':').map_or(action, |(s, _)| s)
}

/// Which identity-based policies apply to the caller, from its ARN.
fn caller_policy_kinds(principal: &str) -> String {
    if principal.contains(":assumed-role/") {
        let role = principal
            .split(":assumed-role/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .filter(|r| !r.is_empty())
            .unwrap_or("the role");
        format!("the inline and managed policies of the role {role} behind the session")
    } else if principal.contains(":user/") {
        "the inline and managed policies of the user and of each of its groups".to_string()
    } else if principal.contains(":role/") {
        "the inline and managed policies of the role".to_string()
    } else if principal.contains(":federated-user/") {
        "the policies of the IAM user that called GetFederationToken".to_string()
    } else {
        "the identity-based policies of the caller (inline and managed, user, group or role)".to_string()
    }
}
