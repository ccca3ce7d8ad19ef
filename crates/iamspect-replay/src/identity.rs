//! `userIdentity`: who made the call, as a principal iamspect can evaluate.

use iamspect_account::AccountData;
use serde_json::Value;

/// The caller of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The principal as the case format writes it: an ARN, a service principal, an identity
    /// provider, or `anonymous`.
    pub principal: String,
    /// `userIdentity.type` (`IAMUser`, `AssumedRole`, ...; `none` when the event has no identity).
    pub identity_type: String,
    /// The caller's account, when it has one.
    pub account: Option<String>,
    /// The caller used temporary credentials (a session).
    pub temporary: bool,
    /// Why the caller's permissions cannot be rebuilt even though the principal is known (a
    /// federated user's session policy is not in CloudTrail).
    pub not_evaluable: Option<String>,
    /// What was inferred and how.
    pub notes: Vec<String>,
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether a principal ARN parses, and names what it should.
fn parses(arn: &str) -> bool {
    iamspect_core::Principal::parse(arn).is_ok()
}

/// A user or role of the loaded data whose unique id is `id` (`AIDA...`, `AROA...`).
fn by_unique_id(data: &AccountData, principal_id: &str) -> Option<String> {
    let (id, session) = match principal_id.split_once(':') {
        Some((id, session)) => (id, Some(session)),
        None => (principal_id, None),
    };
    for account in data.accounts.values() {
        if let Some(u) = account.users.values().find(|u| u.id.as_deref() == Some(id)) {
            return Some(u.arn.clone());
        }
        if let (Some(r), Some(session)) = (account.roles.values().find(|r| r.id.as_deref() == Some(id)), session) {
            return Some(format!("arn:aws:sts::{}:assumed-role/{}/{session}", account.id, r.name));
        }
    }
    None
}

/// Rebuilds the caller from the record's `userIdentity`. `data`, when given, resolves the unique
/// ids CloudTrail gives for callers of other accounts.
pub fn caller(record: &Value, data: Option<&AccountData>) -> Result<Caller, String> {
    let recipient = text(record, "recipientAccountId");
    let Some(ui) = record.get("userIdentity").filter(|v| v.is_object()) else {
        return Ok(Caller {
            principal: "anonymous".to_string(),
            identity_type: "none".to_string(),
            account: None,
            temporary: false,
            not_evaluable: None,
            notes: vec!["the event has no `userIdentity`: replayed as an anonymous (unsigned) request".to_string()],
        });
    };
    let kind = text(ui, "type").unwrap_or("");
    let account = text(ui, "accountId");
    let arn = text(ui, "arn");
    let session_context = ui.get("sessionContext").filter(|v| v.is_object());
    // Role and federated-user sessions always use temporary credentials; users and root do with
    // GetSessionToken credentials (`ASIA...` keys, a session context).
    let temporary = matches!(kind, "AssumedRole" | "FederatedUser")
        || text(ui, "accessKeyId").is_some_and(|k| k.starts_with("ASIA"))
        || session_context.and_then(|s| s.get("attributes")).is_some_and(|a| a.get("creationDate").is_some());
    let mut notes = Vec::new();
    let mut not_evaluable = None;
    let principal = match kind {
        "IAMUser" => match (arn, text(ui, "userName")) {
            (Some(arn), _) if parses(arn) => arn.to_string(),
            (arn, Some(name)) => {
                let acct = account.or(recipient).ok_or_else(|| {
                    "IAMUser identity without `arn`, and without `accountId` or `recipientAccountId` to place `userName` in".to_string()
                })?;
                notes.push(format!(
                    "userIdentity has {}: principal built from `userName` and account {acct} (the user's path is unknown)",
                    arn.map_or("no `arn`".to_string(), |a| format!("`arn` {a}, which is not a user ARN"))
                ));
                format!("arn:aws:iam::{acct}:user/{name}")
            }
            (Some(arn), None) => return Err(format!("IAMUser identity `{arn}` is not a user ARN")),
            (None, None) => return Err("IAMUser identity with neither `arn` nor `userName`".to_string()),
        },
        "AssumedRole" => match arn {
            Some(arn) if arn.contains(":assumed-role/") && parses(arn) => arn.to_string(),
            _ => {
                // Rebuild the session ARN from the issuing role and the session part of principalId.
                let issuer = session_context.and_then(|s| s.get("sessionIssuer"));
                let role_arn = issuer.and_then(|i| text(i, "arn"));
                let role = role_arn.and_then(iamspect_core::Arn::parse).filter(|a| a.resource.starts_with("role/"));
                let session = text(ui, "principalId").and_then(|p| p.split_once(':')).map(|(_, s)| s);
                match (role, session) {
                    (Some(role), Some(session)) if !session.is_empty() => {
                        let name = role.resource.rsplit('/').next().unwrap_or("");
                        let rebuilt =
                            format!("arn:{}:sts::{}:assumed-role/{name}/{session}", role.partition, role.account);
                        notes.push(format!(
                            "userIdentity.arn {} is not a session ARN: rebuilt from sessionIssuer.arn and the session name in principalId",
                            arn.map_or("is missing".to_string(), |a| format!("`{a}`"))
                        ));
                        rebuilt
                    }
                    _ => {
                        return Err(format!(
                            "AssumedRole identity {} without a session ARN, and no sessionIssuer role with a session name in principalId to rebuild it from",
                            arn.map_or("(no arn)".to_string(), |a| format!("`{a}`"))
                        ));
                    }
                }
            }
        },
        "Root" => match (arn, account.or(recipient)) {
            (Some(arn), _) if parses(arn) => arn.to_string(),
            (_, Some(acct)) => format!("arn:aws:iam::{acct}:root"),
            _ => return Err("Root identity without `arn` or `accountId`".to_string()),
        },
        "FederatedUser" => {
            let arn = match arn {
                Some(arn) if parses(arn) => arn.to_string(),
                _ => return Err("FederatedUser identity without a `federated-user` ARN".to_string()),
            };
            not_evaluable = Some(
                "a federated user's permissions are its IAM user's policies intersected with the session policy passed to GetFederationToken, which CloudTrail does not record".to_string(),
            );
            arn
        }
        "AWSService" => match text(ui, "invokedBy") {
            Some(service) if service.ends_with(".amazonaws.com") => service.to_string(),
            Some(other) => {
                return Err(format!("AWSService identity invoked by `{other}`, which is not a service principal"));
            }
            None => return Err("AWSService identity without `invokedBy`".to_string()),
        },
        "AWSAccount" => {
            if account == Some("ANONYMOUS_PRINCIPAL") || text(ui, "principalId") == Some("Anonymous") {
                "anonymous".to_string()
            } else {
                let pid = text(ui, "principalId");
                match (pid, data.and_then(|d| pid.and_then(|p| by_unique_id(d, p)))) {
                    (Some(pid), Some(found)) => {
                        notes.push(format!(
                            "AWSAccount identity: unique id `{pid}` resolved to `{found}` through the account data"
                        ));
                        found
                    }
                    _ => {
                        return Err(format!(
                            "the caller is an identity of account {} that CloudTrail names only by its unique id {}; its ARN is unknown (load that account's dump to resolve the id)",
                            account.unwrap_or("(unknown)"),
                            pid.map_or("(none)".to_string(), |p| format!("`{p}`"))
                        ));
                    }
                }
            }
        }
        "WebIdentityUser" => match text(ui, "identityProvider") {
            Some(p) if p.ends_with(".amazonaws.com") => {
                return Err(format!(
                    "web identity provider `{p}` has a service-principal-like name that iamspect reads as a service"
                ));
            }
            Some(p) => p.to_string(),
            None => return Err("WebIdentityUser identity without `identityProvider`".to_string()),
        },
        "SAMLUser" => {
            match record
                .get("requestParameters")
                .and_then(|r| text(r, "principalArn"))
                .filter(|a| a.contains(":saml-provider/"))
            {
                Some(p) => p.to_string(),
                None => {
                    return Err(
                        "SAMLUser identity: the SAML provider ARN (`requestParameters.principalArn`) is missing"
                            .to_string(),
                    );
                }
            }
        }
        "" => return Err("`userIdentity` has no `type`".to_string()),
        other => return Err(format!("userIdentity type `{other}` is not a principal iamspect can rebuild")),
    };
    let caller_account = iamspect_core::Principal::parse(&principal).ok().and_then(|p| p.account().map(str::to_string));
    if let (Some(a), Some(r)) = (caller_account.as_deref(), recipient)
        && a != r
    {
        notes.push(format!("cross-account: the caller is in account {a}, the event was recorded in account {r}"));
    }
    Ok(Caller {
        principal,
        identity_type: if kind.is_empty() { "none".to_string() } else { kind.to_string() },
        account: caller_account,
        temporary,
        not_evaluable,
        notes,
    })
}
