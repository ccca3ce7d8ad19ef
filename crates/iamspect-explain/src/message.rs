//! AWS's enhanced AccessDenied message (spec §8.3) and the error code each service returns (§8.4).

use iamspect_core::{Decision, Denier, Outcome, PrincipalKind, Request};

/// Whether the message says "with an explicit deny" or "because no ... allows".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DenyKind {
    /// `with an explicit deny in ...`.
    Explicit,
    /// `because no ... allows the ACTION action`.
    Implicit,
    /// The legacy form without a reason clause.
    Unspecified,
}

/// The policy type a message names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessagePolicyType {
    /// `identity-based policy`.
    Identity,
    /// `resource-based policy`.
    Resource,
    /// `permissions boundary`.
    PermissionsBoundary,
    /// `session policy` (one AWS page misspells it `sessions policy`).
    Session,
    /// `service control policy`.
    Scp,
    /// `resource control policy`.
    Rcp,
    /// `VPC endpoint policy`.
    VpcEndpoint,
    /// `role trust policy`.
    RoleTrust,
    /// `VPC endpoint policy transitively through a service control policy`.
    VpcEndpointThroughScp,
}

impl MessagePolicyType {
    /// The words AWS uses after `no` (implicit) or `in a`/`in an`/`in the` (explicit).
    pub fn words(self) -> &'static str {
        match self {
            MessagePolicyType::Identity => "identity-based policy",
            MessagePolicyType::Resource => "resource-based policy",
            MessagePolicyType::PermissionsBoundary => "permissions boundary",
            MessagePolicyType::Session => "session policy",
            MessagePolicyType::Scp => "service control policy",
            MessagePolicyType::Rcp => "resource control policy",
            MessagePolicyType::VpcEndpoint => "VPC endpoint policy",
            MessagePolicyType::RoleTrust => "role trust policy",
            MessagePolicyType::VpcEndpointThroughScp => {
                "VPC endpoint policy transitively through a service control policy"
            }
        }
    }

    /// The article AWS puts before the words in the explicit form.
    pub fn article(self) -> &'static str {
        match self {
            MessagePolicyType::Identity => "an",
            MessagePolicyType::RoleTrust => "the",
            _ => "a",
        }
    }

    /// The case-format name of the policy type (`deniedBy`).
    pub fn denier(self) -> Denier {
        match self {
            MessagePolicyType::Identity => Denier::Identity,
            MessagePolicyType::Resource | MessagePolicyType::RoleTrust => Denier::Resource,
            MessagePolicyType::PermissionsBoundary => Denier::PermissionsBoundary,
            MessagePolicyType::Session => Denier::Session,
            MessagePolicyType::Scp => Denier::Scp,
            MessagePolicyType::Rcp => Denier::Rcp,
            MessagePolicyType::VpcEndpoint | MessagePolicyType::VpcEndpointThroughScp => Denier::VpcEndpoint,
        }
    }
}

/// The parts of an AccessDenied message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDeniedMessage {
    /// The caller as AWS prints it (`arn:aws:sts::A:assumed-role/R/S` for a role session).
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// The resource, when the message names one.
    pub resource: Option<String>,
    /// Explicit, implicit, or not said.
    pub deny: DenyKind,
    /// The policy type named, if any.
    pub policy_type: Option<MessagePolicyType>,
    /// The ARN of the denying policy, when the message carries one.
    pub policy_arn: Option<String>,
    /// S3 puts the resource in double quotes.
    pub quoted_resource: bool,
}

impl AccessDeniedMessage {
    /// The message text, exactly as AWS words it.
    pub fn render(&self) -> String {
        let mut out = format!("User: {} is not authorized to perform: {}", self.principal, self.action);
        if let Some(res) = &self.resource {
            if self.quoted_resource {
                out.push_str(&format!(" on resource: \"{res}\""));
            } else {
                out.push_str(&format!(" on resource: {res}"));
            }
        }
        match (self.deny, self.policy_type) {
            (DenyKind::Explicit, Some(t)) => {
                out.push_str(&format!(" with an explicit deny in {} {}", t.article(), t.words()));
                if let Some(arn) = &self.policy_arn {
                    out.push_str(&format!(": {arn}"));
                }
            }
            (DenyKind::Implicit, Some(t)) => {
                out.push_str(&format!(" because no {} allows the {} action", t.words(), self.action));
            }
            _ => {}
        }
        out
    }
}

/// True for the actions whose resource policy is a role trust policy.
pub fn is_trust_action(action: &str) -> bool {
    iamspect_core::is_role_trust_action(action)
}

/// The message AWS sends for a request decided with its trace: [`for_outcome`] with the ARN of
/// the policy whose `Deny` decided, when it has one (SCPs, RCPs, managed policies), which AWS
/// names. Inline policies have none: account data names them `<owner ARN>/<policy name>`, which
/// is not a policy ARN.
pub fn for_response(req: &Request, response: &iamspect_core::Response) -> Option<AccessDeniedMessage> {
    let policy_arn = response
        .trace
        .applied(iamspect_core::Effect::Deny)
        .map(|(_, p, _)| p.policy.name())
        .find(|n| iamspect_core::Arn::parse(n).is_some_and(|a| a.resource.starts_with("policy/")));
    for_outcome(req, &response.outcome, policy_arn)
}

/// The message AWS sends for a denied request; `None` when the request is allowed.
/// `policy_arn` is the ARN of the denying policy, when known (SCPs, RCPs, managed policies).
pub fn for_outcome(req: &Request, outcome: &Outcome, policy_arn: Option<&str>) -> Option<AccessDeniedMessage> {
    if outcome.decision == Decision::Allowed {
        return None;
    }
    // When several policy types deny, AWS names one; iamspect names the first in evaluation order
    // (spec §8.3), which is the order of `DeniedBy::iter`.
    let denier = outcome.denied_by.iter().next()?;
    let trust = is_trust_action(req.action());
    let policy_type = match denier {
        Denier::Rcp => MessagePolicyType::Rcp,
        Denier::Scp => MessagePolicyType::Scp,
        Denier::VpcEndpoint => MessagePolicyType::VpcEndpoint,
        // Spec §8.3: RestrictPublicBuckets denials read as an explicit deny in a resource-based
        // policy, and ACL denials as the implicit resource-based form.
        Denier::S3BlockPublicAccess | Denier::S3Acl | Denier::Resource if trust => MessagePolicyType::RoleTrust,
        Denier::S3BlockPublicAccess | Denier::S3Acl | Denier::Resource => MessagePolicyType::Resource,
        Denier::Identity => MessagePolicyType::Identity,
        Denier::PermissionsBoundary => MessagePolicyType::PermissionsBoundary,
        Denier::Session => MessagePolicyType::Session,
    };
    let deny = if outcome.decision == Decision::ExplicitDeny { DenyKind::Explicit } else { DenyKind::Implicit };
    let principal = match &req.principal().kind {
        PrincipalKind::Anonymous => "anonymous".to_string(),
        _ => req.principal().arn(),
    };
    let with_arn = matches!(
        policy_type,
        MessagePolicyType::Identity
            | MessagePolicyType::PermissionsBoundary
            | MessagePolicyType::Session
            | MessagePolicyType::Scp
            | MessagePolicyType::Rcp
    );
    Some(AccessDeniedMessage {
        principal,
        action: req.action().to_string(),
        resource: (req.resource() != "*").then(|| req.resource().to_string()),
        deny,
        policy_type: Some(policy_type),
        policy_arn: if deny == DenyKind::Explicit && with_arn { policy_arn.map(str::to_string) } else { None },
        quoted_resource: req.service().eq_ignore_ascii_case("s3") && req.resource() != "*",
    })
}

/// The wire protocol a service speaks, which decides the shape of its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// AWS Query with XML errors (IAM, STS, SNS, CloudFormation, ...).
    Query,
    /// EC2's own query dialect.
    Ec2,
    /// JSON (DynamoDB, KMS, Lambda, Secrets Manager, ...).
    Json,
    /// S3's REST-XML.
    S3,
}

/// The error a service returns for an authorization failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode {
    /// The error code.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The protocol.
    pub protocol: Protocol,
}

/// Services that answer in the Query protocol with XML errors.
const QUERY_SERVICES: &[&str] = &[
    "iam",
    "sts",
    "sns",
    "cloudformation",
    "autoscaling",
    "elasticloadbalancing",
    "rds",
    "redshift",
    "elasticache",
    "elasticbeanstalk",
    "ses",
    "sdb",
    "cloudwatch",
    "cloudsearch",
    "importexport",
];

/// The error code and HTTP status a service returns when authorization fails (spec §8.4).
pub fn error_code(service: &str) -> ErrorCode {
    let s = service.to_ascii_lowercase();
    if s == "s3" {
        ErrorCode { code: "AccessDenied", status: 403, protocol: Protocol::S3 }
    } else if s == "ec2" {
        ErrorCode { code: "UnauthorizedOperation", status: 403, protocol: Protocol::Ec2 }
    } else if QUERY_SERVICES.contains(&s.as_str()) {
        ErrorCode { code: "AccessDenied", status: 403, protocol: Protocol::Query }
    } else if REST_JSON_SERVICES.contains(&s.as_str()) {
        ErrorCode { code: "AccessDeniedException", status: 403, protocol: Protocol::Json }
    } else {
        // The AWS JSON protocol (`X-Amz-Target`) answers client errors with 400 (D28).
        ErrorCode { code: "AccessDeniedException", status: 400, protocol: Protocol::Json }
    }
}

/// Services whose APIs are REST with JSON bodies: their AccessDenied is a 403 (D28).
const REST_JSON_SERVICES: &[&str] = &["lambda", "apigateway", "execute-api", "appsync", "eks"];
