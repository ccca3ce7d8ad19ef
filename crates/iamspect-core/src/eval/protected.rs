//! Requests AWS refuses whatever the policies say (decision D51): changes to resources that AWS
//! or one of its services owns. An explicit deny still decides first; otherwise the request is an
//! implicit deny by the resource side (`deniedBy: ["resource"]`), since no policy of the caller's
//! can unlock a resource the caller does not control.
//!
//! The sets are AWS's documented ones:
//! - IAM: AWS managed policies (`arn:aws:iam::aws:policy/...`) "cannot be edited"; roles under
//!   `/aws-reserved/` (IAM Identity Center's `AWSReservedSSO_*`) are "only modifiable by AWS";
//!   service-linked roles (`/aws-service-role/`) are changed only through their service
//!   (`UnmodifiableEntity`), except through `iam:CreateServiceLinkedRole`,
//!   `iam:DeleteServiceLinkedRole` and the description, which IAM lets anyone edit;
//! - KMS: aliases under `alias/aws/` are reserved for AWS managed keys, whose properties (key
//!   policy, description, tags, state, rotation, deletion) cannot be edited;
//! - Organizations: AWS managed policies (`FullAWSAccess`, `RCPFullAWSAccess`) cannot be edited
//!   or deleted, and `RCPFullAWSAccess` cannot be detached.

use crate::arn::Arn;
use crate::request::{PrincipalKind, Request};

/// Why AWS refuses a request whatever the policies say (decision D51).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protected {
    /// An IAM AWS managed policy (`arn:aws:iam::aws:policy/...`).
    AwsManagedPolicy,
    /// A role that IAM Identity Center owns (`role/aws-reserved/sso.amazonaws.com/...`).
    ReservedRole,
    /// A service-linked role (`role/aws-service-role/...`).
    ServiceLinkedRole,
    /// A KMS alias under `alias/aws/`, reserved for AWS managed keys.
    AwsManagedKmsAlias,
    /// An AWS managed KMS key (the case says `"kms": {"awsManagedKey": true}`).
    AwsManagedKmsKey,
    /// An AWS managed Organizations policy (`arn:aws:organizations::aws:policy/...`).
    AwsManagedOrganizationsPolicy,
}

impl Protected {
    /// A short name, for JSON.
    pub fn name(self) -> &'static str {
        match self {
            Protected::AwsManagedPolicy => "awsManagedPolicy",
            Protected::ReservedRole => "reservedRole",
            Protected::ServiceLinkedRole => "serviceLinkedRole",
            Protected::AwsManagedKmsAlias => "awsManagedKmsAlias",
            Protected::AwsManagedKmsKey => "awsManagedKmsKey",
            Protected::AwsManagedOrganizationsPolicy => "awsManagedOrganizationsPolicy",
        }
    }

    /// Why no policy can allow the request, in AWS's words.
    pub fn explanation(self) -> &'static str {
        match self {
            Protected::AwsManagedPolicy => {
                "this is an AWS managed policy; it cannot be modified: AWS creates and administers it, and no policy can allow changing, tagging or deleting it (copy it into a customer managed policy to change it)"
            }
            Protected::ReservedRole => {
                "this role is only modifiable by AWS: IAM Identity Center created it for a permission set and changes it when the permission set changes; change the permission set in IAM Identity Center instead"
            }
            Protected::ServiceLinkedRole => {
                "this is a service-linked role, a protected AWS resource: only the service that depends on it can modify it, through that service (its description can be edited, and it is deleted with iam:DeleteServiceLinkedRole)"
            }
            Protected::AwsManagedKmsAlias => {
                "the alias/aws/ prefix is reserved for AWS managed keys: no one can create, update or delete an alias under it"
            }
            Protected::AwsManagedKmsKey => {
                "this is an AWS managed key: its properties (key policy, description, tags, state, rotation, deletion) cannot be edited; the AWS service that created it manages it"
            }
            Protected::AwsManagedOrganizationsPolicy => {
                "this is an AWS managed Organizations policy: it cannot be edited or deleted, and RCPFullAWSAccess cannot be detached"
            }
        }
    }
}

/// Writes to an IAM AWS managed policy.
const AWS_MANAGED_POLICY_ACTIONS: &[&str] = &[
    "CreatePolicy",
    "CreatePolicyVersion",
    "DeletePolicy",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "TagPolicy",
    "UntagPolicy",
];

/// Writes to a role that IAM Identity Center owns.
const RESERVED_ROLE_ACTIONS: &[&str] = &[
    "AttachRolePolicy",
    "CreateRole",
    "CreateServiceLinkedRole",
    "DeleteRole",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DeleteServiceLinkedRole",
    "DetachRolePolicy",
    "PassRole",
    "PutRolePermissionsBoundary",
    "PutRolePolicy",
    "TagRole",
    "UntagRole",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "UpdateRoleDescription",
];

/// Writes to a service-linked role that only its service may make (its description stays
/// editable, and `iam:CreateServiceLinkedRole`/`iam:DeleteServiceLinkedRole` are how it is made
/// and removed).
const SERVICE_LINKED_ROLE_ACTIONS: &[&str] = &[
    "AttachRolePolicy",
    "CreateRole",
    "DeleteRole",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DetachRolePolicy",
    "PutRolePermissionsBoundary",
    "PutRolePolicy",
    "UpdateAssumeRolePolicy",
];

/// Alias writes.
const KMS_ALIAS_ACTIONS: &[&str] = &["CreateAlias", "UpdateAlias", "DeleteAlias"];

/// Edits of a KMS key's properties.
const KMS_KEY_EDIT_ACTIONS: &[&str] = &[
    "PutKeyPolicy",
    "UpdateKeyDescription",
    "TagResource",
    "UntagResource",
    "EnableKey",
    "DisableKey",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
];

/// Edits of an AWS managed Organizations policy.
const ORGANIZATIONS_POLICY_ACTIONS: &[&str] = &["UpdatePolicy", "DeletePolicy", "TagResource", "UntagResource"];

/// The rules of [`protected`] as patterns, for reasoning over all requests (`iamspect-symbolic`):
/// each rule is its actions (`service:Name`) and the resource ARN patterns (as `Resource` entries)
/// it covers; a request is refused when its action is listed and its resource matches, unless the
/// caller is a service. The AWS managed KMS key rule needs the case's `kms.awsManagedKey` and is
/// left out.
pub fn protected_rules() -> Vec<(Vec<String>, Vec<&'static str>)> {
    let names = |service: &str, list: &[&str]| list.iter().map(|a| format!("{service}:{a}")).collect::<Vec<_>>();
    vec![
        (names("iam", AWS_MANAGED_POLICY_ACTIONS), vec!["arn:*:iam:*:aws:policy/*"]),
        (names("iam", RESERVED_ROLE_ACTIONS), vec!["arn:*:iam:*:*:role/aws-reserved/*"]),
        (names("iam", SERVICE_LINKED_ROLE_ACTIONS), vec!["arn:*:iam:*:*:role/aws-service-role/*"]),
        (names("kms", KMS_ALIAS_ACTIONS), vec!["arn:*:kms:*:*:alias/aws/*"]),
        (names("organizations", ORGANIZATIONS_POLICY_ACTIONS), vec!["arn:*:organizations:*:aws:policy/*"]),
        (
            names("organizations", &["DetachPolicy"]),
            vec![
                "arn:*:organizations:*:aws:policy/p-RCPFullAWSAccess",
                "arn:*:organizations:*:aws:policy/*/p-RCPFullAWSAccess",
            ],
        ),
    ]
}

fn listed(list: &[&str], name: &str) -> bool {
    list.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// The rule that refuses `req` whatever the policies say, if one does. `aws_managed_key` is the
/// case's `kms.awsManagedKey`.
pub(crate) fn protected(req: &Request, aws_managed_key: bool) -> Option<Protected> {
    protected_split(req, req.resource_arn(), aws_managed_key)
}

/// [`protected`] with the request's resource already split.
pub(crate) fn protected_split(req: &Request, arn: Option<Arn<'_>>, aws_managed_key: bool) -> Option<Protected> {
    // The services that own these resources act through their own APIs, not as callers of IAM.
    if matches!(req.principal.kind, PrincipalKind::Service { .. }) {
        return None;
    }
    let (service, name) = req.action.split_once(':')?;
    let arn = arn?;
    if service.eq_ignore_ascii_case("iam") && arn.service == "iam" {
        if arn.account == "aws" && arn.resource.starts_with("policy/") && listed(AWS_MANAGED_POLICY_ACTIONS, name) {
            return Some(Protected::AwsManagedPolicy);
        }
        if arn.resource.starts_with("role/aws-reserved/") && listed(RESERVED_ROLE_ACTIONS, name) {
            return Some(Protected::ReservedRole);
        }
        if arn.resource.starts_with("role/aws-service-role/") && listed(SERVICE_LINKED_ROLE_ACTIONS, name) {
            return Some(Protected::ServiceLinkedRole);
        }
    }
    if service.eq_ignore_ascii_case("kms") && arn.service == "kms" {
        if arn.resource.starts_with("alias/aws/") && listed(KMS_ALIAS_ACTIONS, name) {
            return Some(Protected::AwsManagedKmsAlias);
        }
        if aws_managed_key && arn.resource.starts_with("key/") && listed(KMS_KEY_EDIT_ACTIONS, name) {
            return Some(Protected::AwsManagedKmsKey);
        }
    }
    if service.eq_ignore_ascii_case("organizations")
        && arn.service == "organizations"
        && arn.account == "aws"
        && arn.resource.starts_with("policy/")
    {
        let rcp_full_access = arn.resource.ends_with("/p-RCPFullAWSAccess");
        if listed(ORGANIZATIONS_POLICY_ACTIONS, name) || (rcp_full_access && name.eq_ignore_ascii_case("DetachPolicy"))
        {
            return Some(Protected::AwsManagedOrganizationsPolicy);
        }
    }
    None
}
