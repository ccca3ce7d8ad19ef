//! KMS grants: an allow source beside the key policy and IAM policies (spec §10.2; decisions
//! D135–D137). A grant only allows: it is weighed after every explicit deny, and the SCPs, the VPC
//! endpoint policy, the permissions boundary and session policies still limit what it allows.
//!
//! The grant's fields are checked by whoever builds it (the case reader, the account loader): the
//! engine takes the grantee as a parsed principal and the operations by name.

use crate::request::{Principal, PrincipalKind, Request};

/// The operations a grant can allow, as AWS's `CreateGrant` lists them (`Operations`), in the
/// spelling of the API.
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
];

/// The grant operations that take an encryption context, to which a grant's constraints apply
/// (AWS's `GrantConstraints`: "only to cryptographic operations that support an encryption
/// context"; decision D136).
const CONTEXT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
];

/// The grant operation an action names (`kms:Decrypt` → `Decrypt`), in AWS's spelling.
pub fn grant_operation(action: &str) -> Option<&'static str> {
    let (service, name) = action.split_once(':')?;
    if !service.eq_ignore_ascii_case("kms") {
        return None;
    }
    GRANT_OPERATIONS.iter().copied().find(|op| op.eq_ignore_ascii_case(name))
}

/// A grant's encryption-context constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantConstraint {
    /// The request's encryption context is exactly these pairs.
    EncryptionContextEquals(Vec<(String, String)>),
    /// The request's encryption context holds these pairs (and maybe more).
    EncryptionContextSubset(Vec<(String, String)>),
}

/// One grant on the key the request uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsGrant {
    /// The grant id, when known (account data); case files number grants by position.
    pub grant_id: Option<String>,
    /// The grantee principal's ARN, as written.
    pub grantee_arn: String,
    /// The grantee: an IAM user, a role (standing for its sessions), a role session or a
    /// federated user.
    pub grantee: PrincipalKind,
    /// The operations the grant allows, in AWS's spelling (members of [`GRANT_OPERATIONS`]).
    pub operations: Vec<&'static str>,
    /// The encryption-context constraint, if any.
    pub constraint: Option<GrantConstraint>,
    /// The principal that may retire the grant, as written.
    pub retiring_principal: Option<PrincipalKind>,
}

impl KmsGrant {
    /// A grant from its fields as `ListGrants` gives them, checked (decision D135): the grantee
    /// and retiring principal are IAM users, roles, role sessions or federated users, and every
    /// operation is one of AWS's grant operations (named once). Errors name the field, after
    /// `at` (such as `kmsGrants[0].`).
    ///
    /// # Errors
    /// A one-line message naming the field and the value.
    pub fn build(
        at: &str,
        grant_id: Option<String>,
        grantee: &str,
        operations: &[String],
        constraint: Option<GrantConstraint>,
        retiring_principal: Option<&str>,
    ) -> Result<KmsGrant, String> {
        let grantee_kind = grant_principal(&format!("{at}granteePrincipal"), grantee)?;
        if operations.is_empty() {
            return Err(format!("`{at}operations` is empty: a grant allows at least one operation"));
        }
        let mut ops = Vec::with_capacity(operations.len());
        for op in operations {
            let Some(known) = GRANT_OPERATIONS.iter().copied().find(|k| k == op) else {
                return Err(format!(
                    "`{at}operations` `{op}` is not a grant operation (AWS's list: {})",
                    GRANT_OPERATIONS.join(", ")
                ));
            };
            if ops.contains(&known) {
                return Err(format!("`{at}operations` names `{op}` twice"));
            }
            ops.push(known);
        }
        let retiring_principal =
            retiring_principal.map(|r| grant_principal(&format!("{at}retiringPrincipal"), r)).transpose()?;
        Ok(KmsGrant {
            grant_id,
            grantee_arn: grantee.to_string(),
            grantee: grantee_kind,
            operations: ops,
            constraint,
            retiring_principal,
        })
    }

    /// The grant in words, for a trace or an explanation: its place, id, grantee and operations.
    pub fn describe(&self, index: usize) -> String {
        let id = self.grant_id.as_deref().map(|id| format!(" {id}")).unwrap_or_default();
        format!("grant #{index}{id} (grantee {}, operations {})", self.grantee_arn, self.operations.join(", "))
    }
}

/// A grantee or retiring principal: an IAM user, a role, a role session or a federated user.
fn grant_principal(field: &str, text: &str) -> Result<PrincipalKind, String> {
    let refuse = || {
        format!(
            "`{field}` `{text}` is not the ARN of an IAM user, role, role session or federated user (a grant names one IAM principal; groups, accounts and service principals are not decided here)"
        )
    };
    if !text.starts_with("arn:") {
        return Err(refuse());
    }
    match Principal::parse(text).map_err(|_| refuse())?.kind {
        kind @ (PrincipalKind::User { .. }
        | PrincipalKind::RoleSession { .. }
        | PrincipalKind::FederatedUser { .. }) => Ok(kind),
        _ => Err(refuse()),
    }
}

/// True when `who` is the caller or, for a role, stands for the caller's session.
fn names_caller(who: &PrincipalKind, caller: &PrincipalKind) -> bool {
    match (who, caller) {
        (PrincipalKind::User { arn, .. }, PrincipalKind::User { arn: c, .. }) => arn == c,
        (
            PrincipalKind::RoleSession { account, role_name, session_name, .. },
            PrincipalKind::RoleSession { account: ca, role_name: cr, session_name: cs, .. },
        ) => {
            account == ca
                && role_name == cr
                && match session_name {
                    // A role ARN stands for every session of the role.
                    None => true,
                    Some(s) => cs.as_deref() == Some(s.as_str()),
                }
        }
        (PrincipalKind::FederatedUser { arn, .. }, PrincipalKind::FederatedUser { arn: c, .. }) => arn == c,
        _ => false,
    }
}

/// True when the request's encryption context (`kms:EncryptionContext:*` keys) meets the
/// constraint. Keys compare without case and values with case, as `GrantConstraints` says.
fn constraint_met(constraint: &GrantConstraint, req: &Request) -> bool {
    let prefix = "kms:encryptioncontext:";
    let request_pairs = || {
        req.context.iter().filter_map(move |(key, values)| {
            let lower = key.get(..prefix.len())?;
            if !lower.eq_ignore_ascii_case(prefix) {
                return None;
            }
            Some((key.get(prefix.len()..)?, values))
        })
    };
    let has = |k: &str, v: &str| {
        request_pairs().any(|(rk, values)| rk.eq_ignore_ascii_case(k) && matches!(values, [one] if **one == *v))
    };
    match constraint {
        GrantConstraint::EncryptionContextSubset(pairs) => pairs.iter().all(|(k, v)| has(k, v)),
        GrantConstraint::EncryptionContextEquals(pairs) => {
            pairs.iter().all(|(k, v)| has(k, v))
                && request_pairs().all(|(rk, _)| pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(rk)))
        }
    }
}

/// Whether one grant allows the request: the caller is its grantee, the action is one of its
/// operations and its constraint is met; or the action is `RetireGrant` and the caller is the
/// grant's retiring principal (decision D137).
pub(crate) fn grant_allows(grant: &KmsGrant, req: &Request) -> bool {
    let Some(operation) = grant_operation(&req.action) else { return false };
    let caller = &req.principal.kind;
    if operation == "RetireGrant" && grant.retiring_principal.as_ref().is_some_and(|r| names_caller(r, caller)) {
        return true;
    }
    if !names_caller(&grant.grantee, caller) || !grant.operations.contains(&operation) {
        return false;
    }
    match &grant.constraint {
        Some(c) if CONTEXT_OPERATIONS.contains(&operation) => constraint_met(c, req),
        _ => true,
    }
}

/// The index of the first grant that allows the request, if any.
pub fn allowing_grant(grants: &[KmsGrant], req: &Request) -> Option<usize> {
    grants.iter().position(|g| grant_allows(g, req))
}
