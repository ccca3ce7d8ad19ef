//! The `Principal`/`NotPrincipal` element as written in a policy.

use crate::span::Span;

/// One `"AWS"` principal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AwsPrincipal {
    /// `"*"`: every AWS identity and anonymous callers (decision D7).
    Any,
    /// `"123456789012"` or `arn:aws:iam::123456789012:root`: the account.
    Account(String),
    /// `arn:aws:iam::A:user/PATH/NAME`.
    User(String),
    /// `arn:aws:iam::A:role/PATH/NAME`.
    Role { arn: String, account: String, name: String },
    /// `arn:aws:sts::A:assumed-role/ROLE/SESSION`.
    Session(String),
    /// `arn:aws:sts::A:federated-user/NAME`.
    FederatedUser(String),
    /// A unique id (`AIDA...`, `AROA...`).
    UniqueId(String),
}

/// One entry of the element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    /// `"Principal": "*"`: everyone, services included.
    Everyone,
    Aws(AwsPrincipal),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

/// `Principal` or `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrincipalBlock {
    pub(crate) not: bool,
    pub(crate) entries: Vec<(PrincipalEntry, Span)>,
    pub(crate) span: Span,
}

impl PrincipalBlock {
    /// True for `"*"` or `{"AWS": "*"}` alone: the RCP and gateway-endpoint form.
    pub(crate) fn is_everyone(&self) -> bool {
        !self.entries.is_empty()
            && self
                .entries
                .iter()
                .all(|(e, _)| matches!(e, PrincipalEntry::Everyone | PrincipalEntry::Aws(AwsPrincipal::Any)))
    }
}

/// Reads one `"AWS"` value. Errors are messages for the caller to locate.
pub(crate) fn parse_aws(text: &str) -> Result<AwsPrincipal, String> {
    if text == "*" {
        return Ok(AwsPrincipal::Any);
    }
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(AwsPrincipal::Account(text.to_string()));
    }
    if text.contains(['*', '?']) {
        return Err(format!("principal `{text}` has a wildcard; only `\"*\"` on its own may stand for principals"));
    }
    if let Some(arn) = crate::arn::Arn::parse(text) {
        let account_ok = arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit());
        if !account_ok {
            return Err(format!("principal `{text}` has no valid 12-digit account id"));
        }
        let kind = arn.resource.split_once('/');
        return match (arn.service, kind) {
            ("iam", None) if arn.resource == "root" => Ok(AwsPrincipal::Account(arn.account.to_string())),
            ("iam", Some(("user", rest))) if !rest.is_empty() => Ok(AwsPrincipal::User(text.to_string())),
            ("iam", Some(("role", rest))) if !rest.is_empty() => Ok(AwsPrincipal::Role {
                arn: text.to_string(),
                account: arn.account.to_string(),
                name: rest.rsplit('/').next().unwrap_or(rest).to_string(),
            }),
            ("sts", Some(("assumed-role", rest))) if rest.contains('/') => Ok(AwsPrincipal::Session(text.to_string())),
            ("sts", Some(("federated-user", rest))) if !rest.is_empty() => {
                Ok(AwsPrincipal::FederatedUser(text.to_string()))
            }
            _ => Err(format!("principal `{text}` is not an account, user, role, role session or federated user ARN")),
        };
    }
    let is_unique_id = text.len() >= 16
        && ["AIDA", "AROA", "ANPA", "AGPA", "AIPA"].iter().any(|p| text.starts_with(p))
        && text.bytes().all(|b| b.is_ascii_alphanumeric());
    if is_unique_id {
        return Ok(AwsPrincipal::UniqueId(text.to_string()));
    }
    Err(format!("principal `{text}` is not an account id, an ARN, a unique id or `*`"))
}
