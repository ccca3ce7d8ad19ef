//! Whole decisions: a request and a set of policies of every type, built from small vocabularies
//! of realistic values mixed with raw fuzz strings. Parsing and deciding must never panic;
//! `authorize` and `authorize_traced` must agree; the outcome and the trace must agree.
#![no_main]

use std::sync::Arc;

use arbitrary::{Result, Unstructured};
use iamspect_core::policy::{FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS};
use iamspect_core::{
    Context, Decision, Denier, Effect, Layer, Policies, Policy, PolicyType, Principal, PrincipalKind, Request, S3Acl,
    S3AclGrant, S3Settings, authorize, authorize_full_scan, authorize_traced,
};
use iamspect_fuzz::{json_string, json_strings};
use libfuzzer_sys::fuzz_target;

const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/path/bob",
    "arn:aws:iam::111122223333:role/Dev",
    "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/SLR",
    "arn:aws:sts::111122223333:assumed-role/Dev/alice",
    "arn:aws:sts::111122223333:federated-user/fred",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:user/eve",
    "arn:aws:sts::444455556666:assumed-role/Ext/s",
    "lambda.amazonaws.com",
    "s3.amazonaws.com",
    "accounts.google.com",
    "arn:aws:iam::111122223333:oidc-provider/example.com",
    "arn:aws:iam::111122223333:saml-provider/corp",
    "anonymous",
];

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "S3:getobject",
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
    "sts:GetCallerIdentity",
    "kms:Decrypt",
    "kms:RetireGrant",
    "iam:PassRole",
    "iam:CreateUser",
    "sqs:SendMessage",
    "ec2:RunInstances",
    "lambda:InvokeFunction",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::logs",
    "arn:aws:s3:::logs/today",
    "arn:aws:s3:::logs/a/b:c",
    "arn:aws:s3:::home/alice/x",
    "arn:aws:iam::111122223333:role/Dev",
    "arn:aws:iam::444455556666:role/Ext",
    "arn:aws:kms:us-east-1:111122223333:key/1234",
    "arn:aws:kms:us-east-1:444455556666:key/abcd",
    "arn:aws:sqs:us-east-1:111122223333:q",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws-cn:s3:::b/k",
    "arn:aws:lambda:us-east-1:111122223333:function:f:alias",
];

const ACCOUNTS: &[&str] = &["111122223333", "444455556666", "", "aws"];

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObjec?",
    "s3:*Object",
    "sts:AssumeRole*",
    "sts:*",
    "kms:*",
    "iam:*",
    "iam:PassRole",
    "ec2:Run*",
    "*:*",
    "sqs:SendMessage",
    "<action>",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::logs/*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::logs",
    "arn:aws:iam::*:role/*",
    "arn:aws:iam::111122223333:role/Dev",
    "arn:aws:kms:*:*:key/*",
    "arn:*:*:*:*:*",
    "arn:aws:s3:::home/${aws:username}/*",
    "arn:aws:s3:::home/${aws:PrincipalTag/team, 'none'}/*",
    "arn:aws:iam::${aws:PrincipalAccount}:role/*",
    "arn:aws:sqs",
    "arn:aws:lambda:*:*:function:f*",
    "arn:aws:s3:::${*}",
    "<bucket-arn>",
];

const AWS_PRINCIPALS: &[&str] = &[
    "*",
    "111122223333",
    "444455556666",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/Dev",
    "arn:aws:iam::444455556666:role/Ext",
    "arn:aws:sts::111122223333:assumed-role/Dev/alice",
    "arn:aws:sts::111122223333:federated-user/fred",
    "AIDAEXAMPLEUSERID01",
    "AROAEXAMPLEROLEID01",
];

const SERVICE_PRINCIPALS: &[&str] = &["lambda.amazonaws.com", "s3.amazonaws.com", "*"];

const FEDERATED_PRINCIPALS: &[&str] =
    &["accounts.google.com", "arn:aws:iam::111122223333:saml-provider/corp", "cognito-identity.amazonaws.com"];

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

const CONDITION_KEYS: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:username",
    "aws:userid",
    "aws:PrincipalTag/team",
    "aws:ResourceAccount",
    "aws:FederatedProvider",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:RequestTag/env",
    "aws:TagKeys",
    "aws:PrincipalOrgID",
    "aws:SourceArn",
    "s3:prefix",
    "kms:EncryptionContext:k",
    "sts:ExternalId",
    "fuzz:Bin",
];

const STRING_VALUES: &[&str] = &[
    "alice",
    "Alice",
    "Dev",
    "team",
    "a*",
    "*",
    "?",
    "",
    "User",
    "AssumedRole",
    "o-1234",
    "111122223333",
    "${aws:username}",
    "${aws:PrincipalTag/team, 'x'}",
    "${aws:PrincipalAccount}",
    "${*}",
    "${",
    "<placeholder>",
];
const NUMBER_VALUES: &[&str] = &["10", "0", "-1.5", "3600", "1e3", "NaN", "<max>"];
const DATE_VALUES: &[&str] = &[
    "2020-01-01T00:00:00Z",
    "2020-01-01T01:00:00+01:00",
    "2020-01-01",
    "2020-01",
    "2020",
    "1577836800",
    "2020-01-01T00:00:00.5Z",
    "yesterday",
    "[DATE]",
];
const BOOL_VALUES: &[&str] = &["true", "false", "TRUE", "${aws:SecureTransport}", "yes"];
const IP_VALUES: &[&str] =
    &["10.0.0.0/8", "10.1.2.3/16", "203.0.113.7", "2001:db8::/32", "::1", "300.1.1.1", "<my-cidr>"];
const BINARY_VALUES: &[&str] = &["QmluYXJ5", "", "not base64!", "<blob>"];
const ARN_VALUES: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::*:role/*",
    "arn:aws:s3:::logs",
    "arn:aws:s3:::logs/*",
    "arn:aws:lambda:*:111122223333:function:*",
    "arn:aws:iam::${aws:PrincipalAccount}:root",
    "*",
    "not-an-arn",
];
const NULL_VALUES: &[&str] = &["true", "false"];

/// Request context values: a mix of every type.
const CONTEXT_VALUES: &[&str] = &[
    "alice",
    "Alice",
    "Dev",
    "team",
    "a*",
    "",
    "User",
    "o-1234",
    "111122223333",
    "10",
    "-1.5",
    "3600",
    "2020-01-01T00:00:00Z",
    "1577836800",
    "true",
    "false",
    "10.1.2.3",
    "2001:db8::1",
    "QmluYXJ5",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:s3:::logs/x",
    "arn:aws:lambda:us-east-1:111122223333:function:f",
];

const OWNERSHIP: &[&str] = &["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"];
const GRANTEES: &[&str] = &["AllUsers", "AuthenticatedUsers", "111122223333", "444455556666", "79a59df900b9"];
const PERMISSIONS: &[&str] = &["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"];

// `Unstructured` answers the lowest choice once the input is used up, so every choice below puts
// the common, valid option first and the odd one last.

/// True with probability `num`/`den`; false once the input is used up.
fn chance(u: &mut Unstructured<'_>, num: u8, den: u8) -> Result<bool> {
    Ok(u.int_in_range(1..=den)? > den - num)
}

/// Mostly a vocabulary entry, sometimes a raw fuzz string.
fn pick<'a>(u: &mut Unstructured<'a>, vocab: &'static [&'static str]) -> Result<&'a str> {
    if chance(u, 1, 8)? { u.arbitrary() } else { Ok(*u.choose(vocab)?) }
}

fn picks<'a>(u: &mut Unstructured<'a>, vocab: &'static [&'static str], max: usize) -> Result<Vec<&'a str>> {
    let n = u.int_in_range(1..=max)?;
    (0..n).map(|_| pick(u, vocab)).collect()
}

/// An operator name and the vocabulary of values that suit it.
fn operator(u: &mut Unstructured<'_>) -> Result<(String, &'static [&'static str])> {
    if chance(u, 1, 16)? {
        return Ok((u.arbitrary::<&str>()?.to_string(), STRING_VALUES));
    }
    let base = *u.choose(OPERATORS)?;
    let qualifier = *u.choose(&["", "", "", "ForAnyValue:", "ForAllValues:"])?;
    let suffix = *u.choose(&["", "", "IfExists"])?;
    let values = match base {
        b if b.starts_with("String") => STRING_VALUES,
        b if b.starts_with("Numeric") => NUMBER_VALUES,
        b if b.starts_with("Date") => DATE_VALUES,
        b if b.starts_with("Arn") => ARN_VALUES,
        b if b.contains("IpAddress") => IP_VALUES,
        "Bool" => BOOL_VALUES,
        "BinaryEquals" => BINARY_VALUES,
        _ => NULL_VALUES,
    };
    Ok((format!("{qualifier}{base}{suffix}"), values))
}

/// One condition value: usually a string, sometimes a bare JSON number or boolean.
fn condition_value(u: &mut Unstructured<'_>, vocab: &'static [&'static str]) -> Result<String> {
    if chance(u, 1, 10)? {
        return Ok(u.choose(&["10", "-1.5", "0", "1577836800", "true", "false"])?.to_string());
    }
    let vocab = if chance(u, 1, 10)? { CONTEXT_VALUES } else { vocab };
    Ok(json_string(pick(u, vocab)?))
}

fn condition_block(u: &mut Unstructured<'_>) -> Result<String> {
    // Duplicate operators, or keys under one operator, make the policy invalid: keep one of each.
    let mut seen_ops = Vec::new();
    let mut ops = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let (name, vocab) = operator(u)?;
        let mut seen_keys = Vec::new();
        let mut keys = Vec::new();
        for _ in 0..u.int_in_range(1..=2)? {
            let key = pick(u, CONDITION_KEYS)?;
            if seen_keys.contains(&key.to_ascii_lowercase()) {
                continue;
            }
            seen_keys.push(key.to_ascii_lowercase());
            let n = u.int_in_range(1..=3)?;
            let values: Vec<String> = (0..n).map(|_| condition_value(u, vocab)).collect::<Result<_>>()?;
            let values =
                if n == 1 && !chance(u, 1, 3)? { values[0].clone() } else { format!("[{}]", values.join(",")) };
            keys.push(format!("{}:{values}", json_string(key)));
        }
        if seen_ops.contains(&name) {
            continue;
        }
        ops.push(format!("{}:{{{}}}", json_string(&name), keys.join(",")));
        seen_ops.push(name);
    }
    Ok(format!("{{{}}}", ops.join(",")))
}

fn principal_block(u: &mut Unstructured<'_>, policy_type: PolicyType) -> Result<String> {
    // RCPs only take "*"; elsewhere it is one choice among many.
    let everyone = if policy_type == PolicyType::Rcp { !chance(u, 1, 10)? } else { chance(u, 1, 5)? };
    if everyone {
        return Ok(if chance(u, 1, 3)? { r#"{"AWS":"*"}"# } else { "\"*\"" }.to_string());
    }
    let mut seen = Vec::new();
    let mut kinds = Vec::new();
    for _ in 0..u.int_in_range(1..=2)? {
        let (kind, vocab): (&str, &'static [&'static str]) = match u.int_in_range(0u8..=7)? {
            0..=4 => ("AWS", AWS_PRINCIPALS),
            5 => ("Service", SERVICE_PRINCIPALS),
            6 => ("Federated", FEDERATED_PRINCIPALS),
            _ => ("CanonicalUser", GRANTEES),
        };
        let values = picks(u, vocab, 3)?;
        let as_array = chance(u, 1, 2)?;
        if seen.contains(&kind) {
            continue;
        }
        seen.push(kind);
        kinds.push(format!("{}:{}", json_string(kind), json_strings(&values, as_array)));
    }
    Ok(format!("{{{}}}", kinds.join(",")))
}

fn statement(u: &mut Unstructured<'_>, policy_type: PolicyType) -> Result<String> {
    let mut parts = Vec::new();
    if chance(u, 1, 4)? {
        parts.push(format!("\"Sid\":{}", json_string(pick(u, &["S1", "Deny1", ""])?)));
    }
    // Customer RCPs may only deny.
    let allows = if policy_type == PolicyType::Rcp { 2 } else { 12 };
    let effect = match u.int_in_range(0u8..=20)? {
        20 => pick(u, &["allow", "DENY"])?,
        e if e < allows => "Allow",
        _ => "Deny",
    };
    parts.push(format!("\"Effect\":{}", json_string(effect)));
    let wants_principal =
        matches!(policy_type, PolicyType::Resource | PolicyType::Trust | PolicyType::Rcp | PolicyType::VpcEndpoint);
    if wants_principal != chance(u, 1, 16)? {
        let not = effect == "Deny" && policy_type != PolicyType::Trust && chance(u, 1, 4)?;
        let element = if not { "NotPrincipal" } else { "Principal" };
        parts.push(format!("\"{element}\":{}", principal_block(u, policy_type)?));
    }
    let element = if chance(u, 1, 5)? { "NotAction" } else { "Action" };
    let actions = picks(u, ACTION_PATTERNS, 3)?;
    let as_array = chance(u, 1, 2)?;
    parts.push(format!("\"{element}\":{}", json_strings(&actions, as_array)));
    if (policy_type != PolicyType::Trust) != chance(u, 1, 16)? {
        let element = if chance(u, 1, 5)? { "NotResource" } else { "Resource" };
        let resources = picks(u, RESOURCE_PATTERNS, 3)?;
        let as_array = chance(u, 1, 2)?;
        parts.push(format!("\"{element}\":{}", json_strings(&resources, as_array)));
    }
    if chance(u, 1, 2)? {
        parts.push(format!("\"Condition\":{}", condition_block(u)?));
    }
    if chance(u, 1, 32)? {
        parts.push(format!("{}:\"x\"", json_string(u.arbitrary()?)));
    }
    // Element order does not matter to AWS; shuffle a little.
    if parts.len() > 1 && chance(u, 1, 2)? {
        let i = u.choose_index(parts.len())?;
        parts.swap(0, i);
    }
    Ok(format!("{{{}}}", parts.join(",")))
}

fn policy_text(u: &mut Unstructured<'_>, policy_type: PolicyType) -> Result<String> {
    match u.int_in_range(0u8..=19)? {
        17 => return Ok(FULL_AWS_ACCESS.to_string()),
        18 => return Ok(RCP_FULL_AWS_ACCESS.to_string()),
        19 => return Ok(u.arbitrary::<&str>()?.to_string()),
        _ => {}
    }
    let version = match u.int_in_range(0u8..=19)? {
        18 => "",
        19 => "\"Version\":\"2008-10-17\",",
        _ => "\"Version\":\"2012-10-17\",",
    };
    let n = u.int_in_range(1..=3)?;
    let statements: Vec<String> = (0..n).map(|_| statement(u, policy_type)).collect::<Result<_>>()?;
    let statements =
        if n == 1 && chance(u, 1, 2)? { statements[0].clone() } else { format!("[{}]", statements.join(",")) };
    Ok(format!("{{{version}\"Statement\":{statements}}}"))
}

/// A policy of the given type, or `None` when the generated text does not parse.
fn policy(u: &mut Unstructured<'_>, policy_type: PolicyType) -> Result<Option<Arc<Policy>>> {
    let text = policy_text(u, policy_type)?;
    Ok(Policy::parse(policy_type.cli_name(), &text, policy_type).ok().map(Arc::new))
}

fn some_policies(u: &mut Unstructured<'_>, policy_type: PolicyType, max: usize) -> Result<Vec<Arc<Policy>>> {
    let n = u.int_in_range(0..=max)?;
    Ok((0..n).map(|_| policy(u, policy_type)).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect())
}

fn maybe_policy(u: &mut Unstructured<'_>, policy_type: PolicyType, num: u8, den: u8) -> Result<Option<Arc<Policy>>> {
    if chance(u, num, den)? { policy(u, policy_type) } else { Ok(None) }
}

fn org_levels(u: &mut Unstructured<'_>, policy_type: PolicyType) -> Result<Option<Vec<Vec<Arc<Policy>>>>> {
    if !chance(u, 1, 3)? {
        return Ok(None);
    }
    let levels = u.int_in_range(1..=2)?;
    (0..levels).map(|_| some_policies(u, policy_type, 2)).collect::<Result<_>>().map(Some)
}

fn s3_settings(u: &mut Unstructured<'_>) -> Result<Option<S3Settings>> {
    if !chance(u, 1, 4)? {
        return Ok(None);
    }
    let object_ownership = if chance(u, 1, 2)? { Some(pick(u, OWNERSHIP)?.to_string()) } else { None };
    let acl = if chance(u, 1, 2)? {
        let n = u.int_in_range(0..=3)?;
        let grants = (0..n)
            .map(|_| {
                Ok(S3AclGrant {
                    grantee: pick(u, GRANTEES)?.to_string(),
                    permission: pick(u, PERMISSIONS)?.to_string(),
                })
            })
            .collect::<Result<_>>()?;
        Some(S3Acl { grants })
    } else {
        None
    };
    Ok(Some(S3Settings {
        block_public_acls: u.arbitrary()?,
        ignore_public_acls: u.arbitrary()?,
        block_public_policy: u.arbitrary()?,
        restrict_public_buckets: u.arbitrary()?,
        object_ownership,
        acl,
        bucket_abac_enabled: u.arbitrary()?,
        object_owner: None,
        object_acl: None,
    }))
}

fn principal(u: &mut Unstructured<'_>) -> Result<Option<Principal>> {
    let Ok(mut principal) = Principal::parse(pick(u, PRINCIPALS)?) else {
        return Ok(None);
    };
    for _ in 0..u.int_in_range(0..=2)? {
        principal.tags.push((pick(u, &["team", "Team", "env"])?.to_string(), pick(u, CONTEXT_VALUES)?.to_string()));
    }
    if chance(u, 1, 4)? {
        principal.id = Some(pick(u, &["AIDAEXAMPLEUSERID01", "AROAEXAMPLEROLEID01"])?.to_string());
    }
    if chance(u, 1, 8)? {
        principal.management_account = true;
    }
    if chance(u, 1, 16)? {
        principal.service_linked_role = !principal.service_linked_role;
    }
    if let PrincipalKind::FederatedUser { parent_user, .. } = &mut principal.kind
        && chance(u, 1, 2)?
    {
        *parent_user = Some(pick(u, &["arn:aws:iam::111122223333:user/alice"])?.to_string());
    }
    Ok(Some(principal))
}

fn request(u: &mut Unstructured<'_>) -> Result<Option<Request>> {
    let Some(principal) = principal(u)? else { return Ok(None) };
    let action = pick(u, ACTIONS)?;
    let resource = pick(u, RESOURCES)?;
    let resource_account = if chance(u, 1, 5)? { Some(pick(u, ACCOUNTS)?) } else { None };
    let mut context = Context::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let key = pick(u, CONDITION_KEYS)?;
        let n = u.int_in_range(0..=3)?;
        let values = (0..n).map(|_| pick(u, CONTEXT_VALUES).map(str::to_string)).collect::<Result<_>>()?;
        context.insert(key, values);
    }
    Ok(Request::new(principal, action, resource, resource_account, context).ok())
}

fn layer_denier(layer: Layer) -> Denier {
    match layer {
        Layer::Rcp(_) => Denier::Rcp,
        Layer::Scp(_) => Denier::Scp,
        Layer::VpcEndpoint => Denier::VpcEndpoint,
        Layer::Resource => Denier::Resource,
        Layer::Identity => Denier::Identity,
        Layer::PermissionsBoundary => Denier::PermissionsBoundary,
        Layer::Session => Denier::Session,
    }
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let Some(request) = request(u)? else { return Ok(()) };
    let resource_type = if chance(u, 1, 4)? { PolicyType::Trust } else { PolicyType::Resource };
    let policies = Policies {
        identity: some_policies(u, PolicyType::Identity, 2)?,
        resource: maybe_policy(u, resource_type, 1, 2)?,
        permissions_boundary: maybe_policy(u, PolicyType::PermissionsBoundary, 1, 4)?,
        session: some_policies(u, PolicyType::Session, 1)?,
        scps: org_levels(u, PolicyType::Scp)?,
        rcps: org_levels(u, PolicyType::Rcp)?,
        vpc_endpoint: maybe_policy(u, PolicyType::VpcEndpoint, 1, 5)?,
        s3: s3_settings(u)?,
        kms_aws_managed_key: chance(u, 1, 8)?,
        kms_grants: Vec::new(),
        access_point: None,
    };

    let outcome = authorize(&request, &policies);
    let response = authorize_traced(&request, &policies);
    assert_eq!(outcome, response.outcome, "authorize and authorize_traced disagree\n{request:#?}\n{policies:#?}");
    // Decision D75: the action index gives the decision of a scan of every statement.
    assert_eq!(
        outcome,
        authorize_full_scan(&request, &policies),
        "the action index changed the decision\n{request:#?}\n{policies:#?}"
    );
    assert_eq!(
        outcome.denied_by.is_empty(),
        outcome.decision == Decision::Allowed,
        "denied_by must be empty exactly when the request is allowed: {outcome:?}"
    );

    // Every statement the trace says took effect as a Deny is in a layer named in `denied_by`, and
    // every policy layer in an explicit `denied_by` has such a statement.
    let mut traced_deniers = std::collections::BTreeSet::new();
    for (layer, _, _) in response.trace.applied(Effect::Deny) {
        traced_deniers.insert(layer_denier(layer.layer));
    }
    let outcome_deniers: std::collections::BTreeSet<Denier> = if outcome.decision == Decision::ExplicitDeny {
        outcome.denied_by.iter().filter(|d| !matches!(d, Denier::S3BlockPublicAccess | Denier::S3Acl)).collect()
    } else {
        Default::default()
    };
    assert_eq!(
        traced_deniers, outcome_deniers,
        "the trace's applied denies do not match the outcome {outcome:?}\n{request:#?}\n{policies:#?}"
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = run(&mut u);
});
