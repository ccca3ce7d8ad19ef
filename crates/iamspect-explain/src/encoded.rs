//! iamspect's encoded authorization message: what `aws sts decode-authorization-message` returns
//! for a request (spec §8.2), sealed into one token that iamspect's gateway puts in its deny
//! answers and that only the holder of the server's key can open: iamspect's STS
//! `DecodeAuthorizationMessage` (for callers allowed `sts:DecodeAuthorizationMessage`, as in AWS)
//! and `iamspect explain --encoded TOKEN --message-key FILE` (decision D37).
//!
//! # Encoding (version 2)
//!
//! `iamspect2.` followed by the base64url encoding, without padding, of
//! `key id (4 bytes) ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`: the UTF-8 JSON document
//! sealed with XChaCha20-Poly1305 under the server's 32-byte [`MessageKey`], with a fresh random
//! nonce per token and `iamspect2.` and the key id as associated data. The key id is the first 4
//! bytes of SHA-256 over `iamspect message key id` and the key: it tells a token sealed under
//! another key (a server restarted without `--message-key` makes a new one) from a damaged one,
//! and says nothing usable about the key. Sealing adds 44 bytes, 59 characters of base64url.
//!
//! The JSON has AWS's shape (`allowed`, `explicitDeny`, `matchedStatements`, `failures`, `context`
//! with `principal`, `action`, `resource` and `conditions`; every list `{"items": [...]}`, every
//! scalar `{"value": ...}`) plus one object of iamspect's own, `iamspect`:
//! `{"version": 1, "decision", "deniedBy": [...], "message", "resourceAccount"}`. Unlike AWS's,
//! `context.action` keeps its service prefix (`s3:GetObject`).
//!
//! Version 1 tokens (`iamspect1.` and the bare base64url JSON, readable by anyone who saw the deny
//! answer) are recognised and refused with [`DecodeError::Unsealed`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use iamspect_core::{Decision, Effect, Policies, PrincipalKind, Request, Response};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

/// The prefix of a (sealed) version 2 token.
pub const PREFIX: &str = "iamspect2.";
/// The prefix of the unsealed version 1 tokens of earlier iamspect releases, refused.
pub const PREFIX_V1: &str = "iamspect1.";

const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Key id, nonce and tag: what sealing adds to the JSON.
const OVERHEAD: usize = KEY_ID_LEN + NONCE_LEN + TAG_LEN;

/// The key that seals and opens tokens: 32 bytes, the server's (`iamspect serve --message-key`)
/// or made at its start. Its `Debug` shows only the key id.
pub struct MessageKey {
    cipher: XChaCha20Poly1305,
    id: [u8; KEY_ID_LEN],
}

impl std::fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageKey").field("id", &self.id()).finish_non_exhaustive()
    }
}

/// Why a key file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

/// Fills `buf` from the operating system's generator. Should that ever fail, the bytes come from
/// SHA-256 over the standard library's random hash keys, the clock, the process id and a counter:
/// never the same twice in a process, so nonces stay unique.
fn fill_random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    for chunk in buf.chunks_mut(32) {
        let mut h = Sha256::new();
        for _ in 0..4 {
            let mut hasher = std::hash::RandomState::new().build_hasher();
            hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            h.update(hasher.finish().to_le_bytes());
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos());
        h.update(nanos.unwrap_or_default().to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        let digest = h.finalize();
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
}

impl MessageKey {
    /// The key of these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> MessageKey {
        let mut h = Sha256::new();
        h.update(b"iamspect message key id\0");
        h.update(bytes);
        let digest = h.finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        MessageKey { cipher: XChaCha20Poly1305::new(&bytes.into()), id }
    }

    /// A new random key (from the operating system's generator).
    pub fn generate() -> MessageKey {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        MessageKey::from_bytes(bytes)
    }

    /// The key in the text of a key file: exactly 32 bytes, or 64 hexadecimal digits (upper or
    /// lower case, surrounding whitespace such as a final newline ignored), as
    /// `openssl rand -hex 32 > FILE` or `head -c 32 /dev/urandom > FILE` write.
    ///
    /// # Errors
    /// [`KeyError`] for anything else, and for a key whose bytes are all the same.
    pub fn parse(content: &[u8]) -> Result<MessageKey, KeyError> {
        let is_hex = |b: &[u8]| b.iter().all(u8::is_ascii_hexdigit);
        let trimmed = content.trim_ascii();
        let bytes: [u8; 32] = if content.len() == 32 && !is_hex(content) {
            let mut out = [0u8; 32];
            out.copy_from_slice(content);
            out
        } else if trimmed.len() == 64 && is_hex(trimmed) {
            let mut out = [0u8; 32];
            for (o, pair) in out.iter_mut().zip(trimmed.chunks(2)) {
                let text = std::str::from_utf8(pair).unwrap_or("00");
                *o = u8::from_str_radix(text, 16).unwrap_or(0);
            }
            out
        } else if is_hex(trimmed) && !trimmed.is_empty() {
            return Err(KeyError(format!(
                "{} hexadecimal digits: the key is 32 bytes, 64 hexadecimal digits (`openssl rand -hex 32`)",
                trimmed.len()
            )));
        } else {
            return Err(KeyError(format!(
                "{} bytes: the key is exactly 32 bytes, or 64 hexadecimal digits (`openssl rand -hex 32`)",
                content.len()
            )));
        };
        if bytes.iter().all(|b| *b == bytes[0]) {
            return Err(KeyError(
                "every byte of the key is the same: use random bytes (`openssl rand -hex 32`)".into(),
            ));
        }
        Ok(MessageKey::from_bytes(bytes))
    }

    /// Reads a key file (see [`parse`](Self::parse)).
    ///
    /// # Errors
    /// [`KeyError`] naming the file, when it cannot be read or holds no key.
    pub fn from_file(path: &Path) -> Result<MessageKey, KeyError> {
        let content = std::fs::read(path).map_err(|e| KeyError(format!("message key {}: {e}", path.display())))?;
        MessageKey::parse(&content).map_err(|e| KeyError(format!("message key {}: {e}", path.display())))
    }

    /// The key id, in hexadecimal: what a token says it was sealed under.
    pub fn id(&self) -> String {
        hex(&self.id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Why a token could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The token does not start with [`PREFIX`] (nor [`PREFIX_V1`]).
    NotIamspect,
    /// A version 1 token (`iamspect1.`): unsealed, from an earlier release; refused.
    Unsealed,
    /// The text after the prefix is not base64url.
    Base64(String),
    /// Too short to hold a key id, a nonce and a tag.
    Truncated,
    /// Sealed under another key: the ids of the token's key and of the key given.
    OtherKey {
        /// The key id the token names.
        token: String,
        /// The id of the key given.
        key: String,
    },
    /// The key is right but the token does not open: changed or cut.
    Damaged,
    /// The opened bytes are not a JSON object.
    Json(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::NotIamspect => write!(
                f,
                "not an iamspect encoded message (those start with `{PREFIX}`); AWS's own encoded messages can only be decoded by AWS: `aws sts decode-authorization-message --encoded-message <blob>`"
            ),
            DecodeError::Unsealed => write!(
                f,
                "an `{PREFIX_V1}` token of an earlier iamspect, readable by anyone and no longer accepted: send the request again to the current server for a sealed `{PREFIX}` token"
            ),
            DecodeError::Base64(e) => write!(f, "the encoded message is not base64url after `{PREFIX}`: {e}"),
            DecodeError::Truncated => write!(f, "the encoded message is too short: it was cut"),
            DecodeError::OtherKey { token, key } => write!(
                f,
                "the encoded message was sealed with another key (key id {token}; the key given has id {key}): use the key of the server that sent it (a server started without `--message-key` makes a new key at each start)"
            ),
            DecodeError::Damaged => {
                write!(f, "the encoded message does not open with this key: it was changed or cut")
            }
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
    response_text_with_sessions(request, response, &[])
}

/// [`response_text`], carrying the policy documents of the issued session that made the request
/// (`iamspect.sessionPolicies`), so that `iamspect explain --encoded` can weigh them: no account
/// data holds an issued session's own policies.
pub fn response_text_with_sessions(request: &Request, response: &Response, session_policies: &[&str]) -> String {
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
    if !session_policies.is_empty() {
        out.push_str(",\"sessionPolicies\":[");
        for (i, p) in session_policies.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(&mut out, p);
        }
        out.push(']');
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

/// Seals a decoded-message JSON into a token.
pub fn encode(key: &MessageKey, decoded: &Value) -> String {
    encode_text(key, &serde_json::to_string(decoded).unwrap_or_default())
}

/// The token for `request` decided against `policies`.
pub fn encode_for(key: &MessageKey, request: &Request, policies: &Policies) -> String {
    encode_text(key, &authorization_text(request, policies))
}

/// The associated data of a token: the prefix and the key id.
fn associated_data(id: &[u8; KEY_ID_LEN]) -> [u8; PREFIX.len() + KEY_ID_LEN] {
    let mut aad = [0u8; PREFIX.len() + KEY_ID_LEN];
    aad[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
    aad[PREFIX.len()..].copy_from_slice(id);
    aad
}

/// Seals decoded-message JSON text into a token, with a fresh random nonce.
pub fn encode_text(key: &MessageKey, text: &str) -> String {
    let mut sealed = Vec::with_capacity(OVERHEAD + text.len());
    sealed.extend_from_slice(&key.id);
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(text.as_bytes());
    let start = KEY_ID_LEN + NONCE_LEN;
    let tag = key.cipher.encrypt_inout_detached(
        &XNonce::from(nonce),
        &associated_data(&key.id),
        sealed[start..].as_mut().into(),
    );
    // XChaCha20-Poly1305 refuses only messages over 256 GiB.
    match tag {
        Ok(tag) => sealed.extend_from_slice(&tag),
        Err(_) => sealed.truncate(start),
    }
    let mut out = String::with_capacity(PREFIX.len() + sealed.len().div_ceil(3) * 4);
    out.push_str(PREFIX);
    URL_SAFE_NO_PAD.encode_string(&sealed, &mut out);
    out
}

/// True when `text` (trimmed) is an iamspect token, sealed or of version 1.
pub fn is_encoded(text: &str) -> bool {
    let t = text.trim();
    t.starts_with(PREFIX) || t.starts_with(PREFIX_V1)
}

/// Whether `token` is a sealed iamspect token, before opening it (which needs the key).
///
/// # Errors
/// [`DecodeError::NotIamspect`] or [`DecodeError::Unsealed`].
pub fn check(token: &str) -> Result<(), DecodeError> {
    let t = token.trim();
    if t.starts_with(PREFIX) {
        Ok(())
    } else if t.starts_with(PREFIX_V1) {
        Err(DecodeError::Unsealed)
    } else {
        Err(DecodeError::NotIamspect)
    }
}

/// Opens a token with `key`, back to the JSON text `decode-authorization-message` would return as
/// `DecodedMessage` (read it with [`crate::decoded::parse_decoded`]).
///
/// # Errors
/// [`DecodeError`] when the token is not iamspect's, is of version 1, was sealed with another key,
/// or was changed or cut.
pub fn decode(key: &MessageKey, token: &str) -> Result<String, DecodeError> {
    check(token)?;
    let body = token.trim().strip_prefix(PREFIX).ok_or(DecodeError::NotIamspect)?;
    let mut bytes =
        URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')).map_err(|e| DecodeError::Base64(e.to_string()))?;
    if bytes.len() < OVERHEAD {
        return Err(DecodeError::Truncated);
    }
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&bytes[..KEY_ID_LEN]);
    if id != key.id {
        return Err(DecodeError::OtherKey { token: hex(&id), key: key.id() });
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&bytes[KEY_ID_LEN..KEY_ID_LEN + NONCE_LEN]);
    let tag_at = bytes.len() - TAG_LEN;
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&bytes[tag_at..]);
    let opened = key.cipher.decrypt_inout_detached(
        &XNonce::from(nonce),
        &associated_data(&id),
        bytes[KEY_ID_LEN + NONCE_LEN..tag_at].as_mut().into(),
        &tag.into(),
    );
    if opened.is_err() {
        return Err(DecodeError::Damaged);
    }
    bytes.truncate(tag_at);
    let text =
        String::from_utf8(bytes.split_off(KEY_ID_LEN + NONCE_LEN)).map_err(|e| DecodeError::Json(e.to_string()))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(_)) => Ok(text),
        Ok(_) => Err(DecodeError::Json("expected an object".to_string())),
        Err(e) => Err(DecodeError::Json(e.to_string())),
    }
}

/// The token in an AccessDenied text (`... Encoded authorization failure message: TOKEN`), if it
/// holds an iamspect token (a version 1 one too, so that it is refused by name).
pub fn find_in_message(text: &str) -> Option<&str> {
    let start = match (text.find(PREFIX), text.find(PREFIX_V1)) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let rest = &text[start..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.=".contains(c))).unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

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
        let key = MessageKey::generate();
        let token = encode_for(&key, &request, &policies);
        assert!(token.starts_with(PREFIX));
        // Sealed: the JSON and 44 bytes, in base64url; nothing of the request shows.
        assert_eq!(token.len(), PREFIX.len() + (text.len() + OVERHEAD).div_ceil(3) * 4 - pad(text.len() + OVERHEAD));
        assert!(!URL_SAFE_NO_PAD.decode(&token[PREFIX.len()..]).unwrap().windows(6).any(|w| w == b"s3:Get"));
        let opened = decode(&key, &token).unwrap_or_default();
        assert_eq!(opened, text);
        let decoded = crate::decoded::parse_decoded(&opened).unwrap();
        assert!(!decoded.allowed && decoded.explicit_deny);
        assert_eq!(decoded.action, "s3:GetObject");
        assert_eq!(decoded.resource, "arn:aws:s3:::b/k");
        assert_eq!(decoded.matched_statements[0].statement_id.as_deref(), Some("No"));
        assert_eq!(decoded.context_value("aws:SourceIp"), Some(&["127.0.0.1".to_string()][..]));
        let message =
            format!("You are not authorized to perform this operation. Encoded authorization failure message: {token}");
        assert_eq!(find_in_message(&message), Some(token.as_str()));
        // A fresh nonce per token: the same text never seals the same way twice.
        assert_ne!(encode_for(&key, &request, &policies), token);
    }

    /// The characters base64 without padding saves on `n` bytes.
    fn pad(n: usize) -> usize {
        (3 - n % 3) % 3
    }

    #[test]
    fn only_the_key_opens_a_token() {
        let key = MessageKey::from_bytes([7; 32]);
        let token = encode_text(&key, r#"{"allowed":false}"#);
        assert_eq!(decode(&key, &token).unwrap(), r#"{"allowed":false}"#);
        // Another key: named as such, by id.
        let other = MessageKey::from_bytes([8; 32]);
        assert_eq!(decode(&other, &token), Err(DecodeError::OtherKey { token: key.id(), key: other.id() }));
        // Any byte changed (key id, nonce, ciphertext or tag) and the token does not open.
        let raw = URL_SAFE_NO_PAD.decode(&token[PREFIX.len()..]).unwrap();
        for i in 0..raw.len() {
            let mut changed = raw.clone();
            changed[i] ^= 0x01;
            let t = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&changed));
            let e = decode(&key, &t).unwrap_err();
            if i < KEY_ID_LEN {
                assert!(matches!(e, DecodeError::OtherKey { .. }), "{i}: {e}");
            } else {
                assert_eq!(e, DecodeError::Damaged, "byte {i}");
            }
        }
        // Cut, or not base64url.
        let cut = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&raw[..OVERHEAD - 1]));
        assert_eq!(decode(&key, &cut), Err(DecodeError::Truncated));
        let short = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 3]));
        assert_eq!(decode(&key, &short), Err(DecodeError::Damaged));
        assert!(matches!(decode(&key, "iamspect2.!!"), Err(DecodeError::Base64(_))));
        // Sealed text that is not an object is refused once opened.
        assert!(matches!(decode(&key, &encode_text(&key, "[1]")), Err(DecodeError::Json(_))));
        // Not iamspect's; the unsealed version 1 is refused by name, wherever it is found.
        assert_eq!(decode(&key, "AQoDYXdzEJr"), Err(DecodeError::NotIamspect));
        let v1 = format!("{PREFIX_V1}{}", URL_SAFE_NO_PAD.encode(r#"{"allowed":false}"#));
        assert_eq!(decode(&key, &v1), Err(DecodeError::Unsealed));
        assert_eq!(check(&v1), Err(DecodeError::Unsealed));
        assert_eq!(find_in_message(&format!("Encoded authorization failure message: {v1}.")), Some(v1.as_str()));
        assert!(DecodeError::Unsealed.to_string().contains("no longer accepted"));
        assert!(is_encoded(&v1) && is_encoded(&token) && check(&token).is_ok());
    }

    #[test]
    fn key_files() {
        let hex_key = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let from_hex = MessageKey::parse(format!("{hex_key}\n").as_bytes()).unwrap();
        let mut raw = [0u8; 32];
        for (i, b) in raw.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex_key[i * 2..i * 2 + 2], 16).unwrap();
        }
        let from_raw = MessageKey::parse(&raw).unwrap();
        assert_eq!(from_hex.id(), from_raw.id());
        assert_eq!(decode(&from_raw, &encode_text(&from_hex, "{}")).unwrap(), "{}");
        assert!(format!("{from_hex:?}").contains(&from_hex.id()));
        assert!(!format!("{from_hex:?}").contains("00112233"));
        for (bad, says) in [
            (&b""[..], "0 bytes"),
            (&b"xyz"[..], "3 bytes"),
            (&[1u8; 33][..], "33 bytes"),
            (&hex_key.as_bytes()[..32], "32 hexadecimal digits"),
            (&[0u8; 32][..], "every byte"),
            ("0".repeat(64).as_bytes(), "every byte"),
        ] {
            let e = MessageKey::parse(bad).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
        assert_ne!(MessageKey::generate().id(), MessageKey::generate().id());
    }
}
