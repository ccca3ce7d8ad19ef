//! Differential tests: the engine against the naive reference evaluator in `reference/`, on random
//! policies and requests drawn from small vocabularies (so that patterns, principals and
//! conditions actually match), plus robustness of `Policy::parse` and the wildcard matcher.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code may panic")]

mod reference;

use std::collections::BTreeMap;
use std::sync::Arc;

use iamspect_core::policy::{FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS};
use iamspect_core::{
    Context, Policies, Policy, PolicyType, Principal, Request, authorize, authorize_full_scan, authorize_traced,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use reference::{RefOutcome, RefPolicies, RefRequest};
use serde_json::{Map, Value, json};

const A: &str = "111111111111";
const B: &str = "222222222222";

// ---------------------------------------------------------------------------------------------
// Running the engine on a reference description
// ---------------------------------------------------------------------------------------------

fn parse(text: &str, policy_type: PolicyType) -> Arc<Policy> {
    match Policy::parse("p", text, policy_type) {
        Ok(p) => Arc::new(p),
        Err(e) => panic!("the generator made a policy the engine rejects as {policy_type:?}: {e}\n{text}"),
    }
}

fn engine(req: &RefRequest, pols: &RefPolicies) -> RefOutcome {
    let mut principal = Principal::parse(&req.principal).unwrap();
    principal.tags = req.principal_tags.clone();
    let mut context = Context::new();
    for (k, v) in &req.context {
        context.insert(k, v.clone());
    }
    let request = Request::new(principal, &req.action, &req.resource, Some(&req.resource_account), context).unwrap();
    let all = |texts: &[String], t| texts.iter().map(|p| parse(p, t)).collect::<Vec<_>>();
    let levels =
        |l: &Option<Vec<Vec<String>>>, t| l.as_ref().map(|l| l.iter().map(|level| all(level, t)).collect::<Vec<_>>());
    let policies = Policies {
        identity: all(&pols.identity, PolicyType::Identity),
        resource: pols.resource.as_deref().map(|p| {
            // A role trust policy has no `Resource` element.
            let trust = !p.contains("Resource\":");
            parse(p, if trust { PolicyType::Trust } else { PolicyType::Resource })
        }),
        permissions_boundary: pols.boundary.as_deref().map(|p| parse(p, PolicyType::PermissionsBoundary)),
        session: all(&pols.session, PolicyType::Session),
        scps: levels(&pols.scps, PolicyType::Scp),
        rcps: levels(&pols.rcps, PolicyType::Rcp),
        vpc_endpoint: pols.vpc_endpoint.as_deref().map(|p| parse(p, PolicyType::VpcEndpoint)),
        ..Policies::default()
    };
    let out = authorize(&request, &policies);
    // Decision D75: the action index only skips statements that cannot match, so the decision is
    // the full scan's, traced or not.
    assert_eq!(out, authorize_full_scan(&request, &policies), "the action index changed the decision");
    assert_eq!(out, authorize_traced(&request, &policies).outcome, "authorize and authorize_traced disagree");
    (out.decision.as_str(), out.denied_by.iter().map(|d| d.as_str()).collect())
}

fn check(req: &RefRequest, pols: &RefPolicies) -> Result<(), TestCaseError> {
    let want = reference::decide(req, pols);
    let got = engine(req, pols);
    prop_assert_eq!(&got, &want, "engine (left) and reference (right) disagree on\n{:#?}\n{:#?}", req, pols);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "s3:Get*",
    "*",
    "s3:?etObject",
    "S3:GETOBJECT",
    "s3:*Object",
    "s3:List*",
    "*:GetObject",
    "s?:GetObject",
    "*3:Get*",
    "ec2:*",
    "ec2:RunInstances",
    "iam:PassRole",
    "sts:Assume*",
    "sts:AssumeRole",
    "kms:*",
    "kms:Decrypt",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k?",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/a*",
    "arn:aws:s3:::b/a:*",
    "arn:aws:s3:::b/home/${aws:username}/*",
    "arn:aws:s3:::b/${aws:PrincipalTag/team, 'dev'}*",
    "arn:aws:s3:::b/${*}",
    "arn:aws:s3:*:*:b/*",
    "arn:aws:ec2:*:111111111111:instance/*",
    "arn:aws:ec2:*:*:*",
    "arn:aws:iam::*:role/R",
    "arn:aws:iam::111111111111:role/*",
    "arn:aws:kms:*:111111111111:key/*",
    "arn:aws:*:*:*:*",
];

const AWS_PRINCIPALS: &[&str] = &[
    "*",
    A,
    "arn:aws:iam::111111111111:root",
    "arn:aws:iam::222222222222:root",
    "arn:aws:iam::111111111111:user/alice",
    "arn:aws:iam::111111111111:user/Alice",
    "arn:aws:iam::111111111111:user/dev/Bob",
    "arn:aws:iam::222222222222:user/carol",
    "arn:aws:iam::111111111111:role/R",
    "arn:aws:iam::111111111111:role/path/R",
    "arn:aws:iam::222222222222:role/R",
    "arn:aws:sts::111111111111:assumed-role/R/s1",
    "arn:aws:sts::222222222222:assumed-role/R/s1",
    "arn:aws:sts::111111111111:federated-user/fed",
];

const SERVICES: &[&str] = &["s3.amazonaws.com", "ec2.amazonaws.com"];

/// IAM callers (most requests) and callers without an account.
const CALLERS: &[&str] = &[
    "arn:aws:iam::111111111111:user/alice",
    "arn:aws:iam::111111111111:user/dev/Bob",
    "arn:aws:iam::222222222222:user/carol",
    "arn:aws:sts::111111111111:assumed-role/R/s1",
    "arn:aws:sts::111111111111:assumed-role/R/s2",
    "arn:aws:sts::222222222222:assumed-role/R/s1",
    "arn:aws:iam::111111111111:role/path/R",
    "arn:aws:iam::111111111111:role/aws-service-role/ec2.amazonaws.com/SLR",
    "arn:aws:sts::111111111111:federated-user/fed",
    "arn:aws:iam::111111111111:root",
    "arn:aws:iam::222222222222:root",
];

const OTHER_CALLERS: &[&str] = &["s3.amazonaws.com", "ec2.amazonaws.com", "anonymous"];

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "S3:getobject",
    "ec2:RunInstances",
    "iam:PassRole",
    "sts:AssumeRole",
    "kms:Decrypt",
    "kms:RetireGrant",
    "sts:GetCallerIdentity",
];

const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k1",
    "arn:aws:s3:::b/kx",
    "arn:aws:s3:::b/home/alice/x",
    "arn:aws:s3:::b/dev1",
    "arn:aws:s3:::b",
    "arn:aws:s3:::other/k1",
    "arn:aws:s3:::b/a:b",
    "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
    "arn:aws:ec2:us-east-1:222222222222:instance/i-1",
    "arn:aws:iam::111111111111:role/R",
    "arn:aws:iam::222222222222:role/R",
    "arn:aws:kms:us-east-1:111111111111:key/k1",
    "arn:aws:kms:us-east-1:222222222222:key/k1",
    "*",
];

/// Actions with the resources they are normally authorized against.
const COHERENT: &[(&str, &[&str])] = &[
    (
        "s3:GetObject",
        &["arn:aws:s3:::b/k1", "arn:aws:s3:::b/home/alice/x", "arn:aws:s3:::b/dev1", "arn:aws:s3:::b/a:b"],
    ),
    ("s3:PutObject", &["arn:aws:s3:::b/kx", "arn:aws:s3:::other/k1"]),
    ("s3:ListBucket", &["arn:aws:s3:::b"]),
    ("ec2:RunInstances", &["arn:aws:ec2:us-east-1:111111111111:instance/i-1", "*"]),
    ("iam:PassRole", &["arn:aws:iam::111111111111:role/R"]),
    ("sts:AssumeRole", &["arn:aws:iam::111111111111:role/R", "arn:aws:iam::222222222222:role/R"]),
    ("kms:Decrypt", &["arn:aws:kms:us-east-1:111111111111:key/k1", "arn:aws:kms:us-east-1:222222222222:key/k1"]),
];

/// A condition family: its operators, the keys it is usually written with, and policy values.
struct Family {
    operators: &'static [&'static str],
    keys: &'static [&'static str],
    values: fn() -> Vec<Value>,
}

const FAMILIES: &[Family] = &[
    Family {
        operators: &[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        ],
        keys: &[
            "aws:username",
            "AWS:UserName",
            "aws:PrincipalTag/team",
            "aws:principaltag/Team",
            "aws:TagKeys",
            "s3:prefix",
            "aws:PrincipalAccount",
            "aws:ResourceAccount",
            "aws:PrincipalType",
            "aws:userid",
            "aws:SourceIp",
            "aws:PrincipalArn",
        ],
        values: || {
            [
                "alice",
                "Alice",
                "bob",
                "al*",
                "a?ice",
                "dev",
                "DEV",
                "d*",
                "ops",
                "a",
                "b",
                "A",
                "home/",
                "home/*",
                "home/${aws:username}/*",
                "${aws:username}",
                "${AWS:UserName}",
                "${aws:PrincipalTag/team}",
                "${aws:PrincipalTag/team, 'dev'}",
                "111111111111",
                "1111*",
                "User",
                "AssumedRole",
                "Account",
                "*",
                "${*}",
                "${aws:PrincipalAccount}",
                "10.0.0.5",
                "111111111111:fed",
                "arn:aws:iam::111111111111:user/*",
            ]
            .iter()
            .map(|s| json!(s))
            .collect()
        },
    },
    Family {
        operators: &[
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ],
        keys: &["s3:max-keys", "s3:max-keys", "aws:MultiFactorAuthAge", "s3:prefix"],
        values: || vec![json!(10), json!("10"), json!("50.5"), json!("-1"), json!(100), json!("0")],
    },
    Family {
        operators: &[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ],
        keys: &["aws:CurrentTime", "aws:CurrentTime", "aws:TokenIssueTime", "s3:prefix"],
        values: || {
            [
                "2020-01-01",
                "2020-01-01T00:00:00Z",
                "2019",
                "2020-06",
                "1577836800",
                "2020-01-01T01:00:00+01:00",
                "2020-01-01T00:00:00.5Z",
            ]
            .iter()
            .map(|s| json!(s))
            .collect()
        },
    },
    Family {
        operators: &["Bool"],
        keys: &["aws:MultiFactorAuthPresent", "aws:SecureTransport", "aws:PrincipalTag/team", "s3:prefix"],
        values: || vec![json!(true), json!(false), json!("true"), json!("false"), json!("True"), json!("FALSE")],
    },
    Family {
        operators: &["IpAddress", "NotIpAddress"],
        keys: &["aws:SourceIp", "aws:SourceIp", "s3:prefix"],
        values: || {
            ["10.0.0.0/8", "10.0.0.5", "192.168.0.0/16", "2001:db8::/32", "0.0.0.0/0", "10.1.2.3/16"]
                .iter()
                .map(|s| json!(s))
                .collect()
        },
    },
    Family {
        operators: &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
        keys: &["aws:PrincipalArn", "aws:PrincipalArn", "aws:SourceArn"],
        values: || {
            [
                "arn:aws:iam::111111111111:role/R",
                "arn:aws:iam::111111111111:role/*",
                "arn:aws:iam::*:user/alice",
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::${aws:PrincipalAccount}:*",
                "arn:aws:iam::111111111111:user/${aws:username}",
                "arn:aws:s3:::b*",
                "arn:aws:s3:::b",
                "arn:aws:iam",
                "arn:aws:sns:*:*:t?",
                "arn:aws:iam::111111111111:user/*",
            ]
            .iter()
            .map(|s| json!(s))
            .collect()
        },
    },
];

/// Keys `Null` is tried on.
const NULL_KEYS: &[&str] = &[
    "aws:username",
    "aws:SourceIp",
    "aws:TagKeys",
    "aws:PrincipalTag/team",
    "aws:MultiFactorAuthPresent",
    "s3:prefix",
];

/// Context keys a request may carry, with the values it may give them.
const CONTEXT: &[(&str, &str, &[&str])] = &[
    ("aws:SourceIp", "AWS:SOURCEIP", &["10.0.0.5", "10.1.99.1", "192.168.1.1", "2001:db8::1", "8.8.8.8", "not-an-ip"]),
    (
        "aws:CurrentTime",
        "aws:currenttime",
        &[
            "2020-01-01T00:00:00Z",
            "2019-12-31T23:59:59Z",
            "2021-03-04T05:06:07Z",
            "1577836800",
            "garbage",
            "2020-01-01T00:00:00.5Z",
        ],
    ),
    ("aws:MultiFactorAuthPresent", "aws:multifactorauthpresent", &["true", "false", "TRUE", "maybe"]),
    ("s3:max-keys", "S3:Max-Keys", &["10", "100", "10.0", "abc", "-5", "50.5"]),
    ("aws:TagKeys", "aws:tagkeys", &["a", "b", "c", "A"]),
    ("s3:prefix", "S3:PREFIX", &["home/", "home/alice/x", "Home/", "other", "dev"]),
    (
        "aws:SourceArn",
        "aws:sourcearn",
        &["arn:aws:s3:::b", "arn:aws:s3:::bx", "arn:aws:sns:us-east-1:111111111111:t1", "not-an-arn"],
    ),
    ("aws:SecureTransport", "aws:securetransport", &["true", "false"]),
    // Given by the request, it takes precedence over the principal's tag.
    ("aws:PrincipalTag/team", "AWS:PrincipalTag/TEAM", &["ops", "dev*", "true"]),
];

// ---------------------------------------------------------------------------------------------
// Policy strategies
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Identity,
    Resource,
    Trust,
    Boundary,
    Session,
    Scp,
    Rcp,
    Vpce,
}

fn one_or_list<T: Into<Value> + Clone + std::fmt::Debug + 'static>(
    pool: impl Into<Vec<T>>,
) -> impl Strategy<Value = Value> {
    prop::collection::vec(select(pool.into()), 1..=2).prop_map(|mut v| {
        if v.len() == 1 { v.remove(0).into() } else { Value::Array(v.into_iter().map(Into::into).collect()) }
    })
}

fn operator_name(operators: &'static [&'static str], decorate: bool) -> impl Strategy<Value = String> {
    (select(operators), 0..10u8, 0..4u8, 0..10u8).prop_map(move |(base, qualifier, if_exists, case)| {
        let mut name = String::new();
        if decorate {
            name.push_str(match qualifier {
                0 | 1 => "ForAllValues:",
                2 | 3 => "ForAnyValue:",
                _ => "",
            });
        }
        name.push_str(base);
        if decorate && if_exists == 0 {
            name.push_str("IfExists");
        }
        // Decision D23: operator names are read without regard to case.
        if case == 0 { name.to_lowercase() } else { name }
    })
}

/// One `(operator, key, values)` triple. `variables` is true under `Version` 2012-10-17.
fn condition(variables: bool) -> BoxedStrategy<(String, String, Value)> {
    let mut options: Vec<BoxedStrategy<(String, String, Value)>> = FAMILIES
        .iter()
        .map(|f| {
            let mut values = (f.values)();
            if variables && f.operators == ["Bool"] {
                // Decision D5: policy variables work in `Bool`.
                values.push(json!("${aws:PrincipalTag/team}"));
            }
            let any_key = select(FAMILIES.iter().flat_map(|f| f.keys.iter().copied()).collect::<Vec<_>>());
            let key = prop_oneof![4 => select(f.keys), 1 => any_key].prop_map(str::to_string);
            (operator_name(f.operators, true), key, one_or_list(values)).boxed()
        })
        .collect();
    options.push(
        (
            operator_name(&["Null"], false),
            select(NULL_KEYS).prop_map(str::to_string),
            one_or_list(vec![json!(true), json!(false), json!("true"), json!("false")]),
        )
            .boxed(),
    );
    let weights = [5u32, 2, 2, 2, 2, 2, 1];
    proptest::strategy::Union::new_weighted(weights.into_iter().zip(options).collect()).boxed()
}

fn condition_block(variables: bool) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        3 => Just(None),
        2 => prop::collection::vec(condition(variables), 1..=2).prop_map(|conds| {
            let mut ops: BTreeMap<String, BTreeMap<String, (String, Value)>> = BTreeMap::new();
            for (op, key, values) in conds {
                // Keys are case-insensitive: one spelling per operator.
                ops.entry(op).or_default().insert(key.to_lowercase(), (key, values));
            }
            let block: Map<String, Value> = ops
                .into_iter()
                .map(|(op, keys)| (op, Value::Object(keys.into_values().collect())))
                .collect();
            Some(Value::Object(block))
        }),
    ]
    .boxed()
}

fn principal_element() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(json!("*")),
        5 => one_or_list(AWS_PRINCIPALS).prop_map(|v| json!({ "AWS": v })),
        1 => select(SERVICES).prop_map(|s| json!({ "Service": s })),
        1 => (one_or_list(AWS_PRINCIPALS), select(SERVICES)).prop_map(|(a, s)| json!({ "AWS": a, "Service": s })),
    ]
    .boxed()
}

fn statement(kind: Kind, variables: bool) -> BoxedStrategy<Value> {
    let effect = match kind {
        Kind::Rcp => Just("Deny").boxed(),
        _ => prop_oneof![3 => Just("Allow"), 1 => Just("Deny")].boxed(),
    };
    let principal: BoxedStrategy<Option<Value>> = match kind {
        Kind::Resource | Kind::Trust => principal_element().prop_map(Some).boxed(),
        Kind::Rcp => select(vec![json!("*"), json!({ "AWS": "*" })]).prop_map(Some).boxed(),
        Kind::Vpce => Just(Some(json!("*"))).boxed(),
        _ => Just(None).boxed(),
    };
    let actions: Vec<&str> = if kind == Kind::Rcp {
        ACTION_PATTERNS.iter().copied().filter(|a| *a != "*").collect()
    } else {
        ACTION_PATTERNS.to_vec()
    };
    let not_action = if kind == Kind::Rcp { Just(false).boxed() } else { prop::bool::weighted(0.2).boxed() };
    (
        effect,
        principal,
        prop::bool::weighted(0.3),
        not_action,
        one_or_list(actions),
        prop::bool::weighted(0.2),
        one_or_list(RESOURCE_PATTERNS),
        condition_block(variables),
    )
        .prop_map(move |(effect, principal, not_principal, not_action, action, not_resource, resource, condition)| {
            let mut s = Map::new();
            s.insert("Effect".into(), json!(effect));
            if let Some(p) = principal {
                let key = if kind == Kind::Resource && effect == "Deny" && not_principal && p != json!("*") {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                s.insert(key.into(), p);
            }
            s.insert(if not_action { "NotAction" } else { "Action" }.into(), action);
            if kind != Kind::Trust {
                s.insert(if not_resource { "NotResource" } else { "Resource" }.into(), resource);
            }
            if let Some(c) = condition {
                s.insert("Condition".into(), c);
            }
            Value::Object(s)
        })
        .boxed()
}

fn policy(kind: Kind) -> BoxedStrategy<String> {
    let versions: Vec<Option<&'static str>> = match kind {
        Kind::Scp | Kind::Rcp => vec![Some("2012-10-17"), Some("2012-10-17"), None],
        // D53: a boundary is a managed policy, which IAM takes only with 2012-10-17.
        Kind::Boundary => vec![Some("2012-10-17")],
        _ => vec![Some("2012-10-17"), Some("2012-10-17"), Some("2012-10-17"), Some("2008-10-17"), None],
    };
    select(versions)
        .prop_flat_map(move |version| {
            let variables = version == Some("2012-10-17");
            prop::collection::vec(statement(kind, variables), 1..=3).prop_map(move |mut statements| {
                let mut doc = Map::new();
                if let Some(v) = version {
                    doc.insert("Version".into(), json!(v));
                }
                let statement = if statements.len() == 1 { statements.remove(0) } else { Value::Array(statements) };
                doc.insert("Statement".into(), statement);
                Value::Object(doc).to_string()
            })
        })
        .boxed()
}

fn policies() -> impl Strategy<Value = RefPolicies> {
    let scp_level =
        prop::collection::vec(prop_oneof![2 => Just(FULL_AWS_ACCESS.to_string()), 3 => policy(Kind::Scp)], 1..=2);
    let rcp_level = prop_oneof![
        3 => Just(vec![RCP_FULL_AWS_ACCESS.to_string()]),
        4 => policy(Kind::Rcp).prop_map(|p| vec![RCP_FULL_AWS_ACCESS.to_string(), p]),
        1 => policy(Kind::Rcp).prop_map(|p| vec![p]),
    ];
    (
        prop_oneof![1 => Just(Vec::new()), 4 => prop::collection::vec(policy(Kind::Identity), 1..=2)],
        prop::option::weighted(0.6, prop_oneof![3 => policy(Kind::Resource), 1 => policy(Kind::Trust)]),
        prop::option::weighted(0.3, policy(Kind::Boundary)),
        prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(policy(Kind::Session), 1..=2)],
        prop::option::weighted(0.4, prop::collection::vec(scp_level, 0..=2)),
        prop::option::weighted(0.3, prop::collection::vec(rcp_level, 1..=2)),
        prop::option::weighted(0.2, policy(Kind::Vpce)),
    )
        .prop_map(|(identity, resource, boundary, session, scps, rcps, vpc_endpoint)| RefPolicies {
            identity,
            resource,
            boundary,
            session,
            scps,
            rcps,
            vpc_endpoint,
        })
}

fn request() -> impl Strategy<Value = RefRequest> {
    let action_resource = prop_oneof![
        (select(ACTIONS), select(RESOURCES)),
        select(COHERENT).prop_flat_map(|(action, resources)| (Just(action), select(resources))),
    ];
    let context = CONTEXT
        .iter()
        .map(|&(key, other_case, values)| {
            prop::option::weighted(
                0.4,
                (prop::bool::weighted(0.2), prop::collection::vec(select(values), 1..=2)).prop_map(
                    move |(odd_case, v)| {
                        let key = if odd_case { other_case } else { key };
                        (key.to_string(), v.into_iter().map(str::to_string).collect::<Vec<_>>())
                    },
                ),
            )
        })
        .collect::<Vec<_>>();
    (
        prop_oneof![6 => select(CALLERS), 1 => select(OTHER_CALLERS)],
        action_resource,
        prop::bool::weighted(0.75),
        prop::option::weighted(0.5, select(&["dev", "ops", "true", "d*"][..])),
        context,
    )
        .prop_map(|(principal, (action, resource), owner_a, team, context)| {
            let arn_account = resource.split(':').nth(4).filter(|a| !a.is_empty());
            let resource_account = arn_account.unwrap_or(if owner_a { A } else { B }).to_string();
            let taggable =
                principal.contains(":user/") || principal.contains(":role/") || principal.contains("assumed-role");
            let principal_tags = match team {
                Some(t) if taggable => vec![("team".to_string(), t.to_string())],
                _ => Vec::new(),
            };
            RefRequest {
                principal: principal.to_string(),
                action: action.to_string(),
                resource: resource.to_string(),
                resource_account,
                context: context.into_iter().flatten().collect(),
                principal_tags,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// The differential property
// ---------------------------------------------------------------------------------------------

/// `cases` cases (or `PROPTEST_CASES` when set, for longer runs); no regression files.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// How the generated cases are decided, to tune the generators:
/// `cargo test -p iamspect-core --test differential outcome_statistics -- --ignored --nocapture`.
#[test]
#[ignore = "statistics for tuning the generators"]
fn outcome_statistics() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..2000 {
        let req = request().new_tree(&mut runner).unwrap().current();
        let pols = policies().new_tree(&mut runner).unwrap().current();
        let (d, by) = reference::decide(&req, &pols);
        *counts.entry(format!("{d} {by:?}")).or_default() += 1;
    }
    for (k, v) in counts {
        println!("{v:6} {k}");
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn engine_agrees_with_reference(req in request(), pols in policies()) {
        check(&req, &pols)?;
    }
}

// ---------------------------------------------------------------------------------------------
// The wildcard matcher against a plain recursive one (through `Resource`, `Action`, `StringLike`)
// ---------------------------------------------------------------------------------------------

fn user_request(action: &str, resource: &str, context: &[(&str, &str)]) -> RefRequest {
    RefRequest {
        principal: "arn:aws:iam::111111111111:user/alice".to_string(),
        action: action.to_string(),
        resource: resource.to_string(),
        resource_account: A.to_string(),
        context: context.iter().map(|(k, v)| (k.to_string(), vec![v.to_string()])).collect(),
        principal_tags: Vec::new(),
    }
}

fn identity_only(statement: Value, version: &str) -> RefPolicies {
    RefPolicies {
        identity: vec![json!({ "Version": version, "Statement": statement }).to_string()],
        ..RefPolicies::default()
    }
}

fn allowed(req: &RefRequest, pols: &RefPolicies) -> bool {
    let got = engine(req, pols);
    assert_eq!(got, reference::decide(req, pols), "engine (left) and reference (right) disagree");
    got.0 == "allowed"
}

proptest! {
    #![proptest_config(config(700))]

    #[test]
    fn resource_wildcards_match_like_plain_recursion(pattern in "[ab*?/:é]{0,8}", text in "[ab/:é]{0,8}") {
        let pols = identity_only(
            json!({ "Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{pattern}") }),
            "2008-10-17",
        );
        let req = user_request("s3:GetObject", &format!("arn:aws:s3:::{text}"), &[]);
        prop_assert_eq!(allowed(&req, &pols), reference::glob_str(&pattern, &text), "{} vs {}", pattern, text);
    }

    #[test]
    fn action_wildcards_match_like_plain_recursion(pattern in "[aAbB*?]{1,8}", name in "[aAbB]{1,8}") {
        let pols = identity_only(
            json!({ "Effect": "Allow", "Action": format!("S3:{pattern}"), "Resource": "*" }),
            "2012-10-17",
        );
        let req = user_request(&format!("s3:{name}"), "arn:aws:s3:::b/k", &[]);
        let want = reference::glob_str(&pattern.to_lowercase(), &name.to_lowercase());
        prop_assert_eq!(allowed(&req, &pols), want, "{} vs {}", pattern, name);
    }

    #[test]
    fn string_like_matches_like_plain_recursion(pattern in "[ab*?${}é]{0,8}", text in "[ab?${}é]{0,8}") {
        // Under 2008-10-17 `${` is literal text, so any pattern is valid.
        let pols = identity_only(
            json!({ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                    "Condition": { "StringLike": { "s3:prefix": pattern } } }),
            "2008-10-17",
        );
        let req = user_request("s3:GetObject", "arn:aws:s3:::b/k", &[("s3:prefix", &text)]);
        prop_assert_eq!(allowed(&req, &pols), reference::glob_str(&pattern, &text), "{} vs {}", pattern, text);
    }

    #[test]
    fn variables_substitute_literally(
        pre in "[ab*]{0,3}", post in "[ab*?]{0,3}", tag in "[ab*?]{0,3}", text in "[ab*?]{0,7}",
    ) {
        // A `*` or `?` inside a substituted value is a literal character.
        let pattern = format!("{pre}${{aws:PrincipalTag/t}}{post}");
        let pols = identity_only(
            json!({ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                    "Condition": { "StringLike": { "s3:prefix": pattern } } }),
            "2012-10-17",
        );
        let mut req = user_request("s3:GetObject", "arn:aws:s3:::b/k", &[("s3:prefix", &text)]);
        req.principal_tags = vec![("t".to_string(), tag.clone())];
        let allowed = allowed(&req, &pols);
        // Brute force: split the text into a part the prefix glob matches, the tag literally, and
        // a part the suffix glob matches.
        let chars: Vec<char> = text.chars().collect();
        let tag_len = tag.chars().count();
        let want = (0..=chars.len()).any(|i| {
            let head: String = chars[..i].iter().collect();
            let rest: String = chars[i..].iter().collect();
            reference::glob_str(&pre, &head)
                && rest.starts_with(&tag)
                && reference::glob_str(&post, &rest.chars().skip(tag_len).collect::<String>())
        });
        prop_assert_eq!(allowed, want, "{} with t={} vs {}", pattern, tag, text);
    }
}

// ---------------------------------------------------------------------------------------------
// `Policy::parse` never panics
// ---------------------------------------------------------------------------------------------

fn parse_all_types(text: &str) {
    for t in PolicyType::ALL {
        let _ = Policy::parse("fuzz", text, t);
    }
}

const TRICKY: &[&str] = &[
    "",
    "*",
    "?",
    "${",
    "${}",
    "${aws:username",
    "${a, 'b'}",
    "${a, b}",
    "${*}",
    "arn:",
    "arn:aws",
    "arn::::::",
    ":",
    "s3:",
    ":x",
    "Allow",
    "Deny",
    "allow",
    "NullIfExists",
    "ForAllValues:",
    "ForAnyValue:StringLikeIfExists",
    "IfExists",
    "é",
    "\u{0}",
    "2012-10-17",
    "123456789012",
    "AIDAAAAAAAAAAAAAAAAA",
    "<placeholder>",
    "[x]",
    "10.0.0.0/33",
    "::/0",
    "99999999999999999999999",
    "arn:aws:iam::123456789012:role/",
    "arn:aws:sts::123456789012:assumed-role/R",
];

fn tricky_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(TRICKY).prop_map(|s| json!(s)),
        1 => Just(json!(1e308)),
        1 => Just(json!(-1)),
        1 => Just(json!(1.5)),
        1 => Just(json!(true)),
        1 => Just(Value::Null),
        1 => Just(json!([])),
        1 => Just(json!({})),
        1 => Just(json!(["*", {"AWS": "*"}])),
    ]
}

const ELEMENTS: &[&str] = &[
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "StringLike",
    "Null",
    "Bool",
    "aws:SourceIp",
];

/// Replaces the `target`-th node of the tree (counting in pre-order) or renames the `target`-th key.
fn mutate(v: &mut Value, target: &mut usize, replacement: &Value, rename: Option<&str>) -> bool {
    if *target == 0 {
        *v = replacement.clone();
        return true;
    }
    *target -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| mutate(i, target, replacement, rename)),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if let (0, Some(new)) = (*target, rename) {
                    if let Some(val) = map.remove(&k) {
                        map.insert(new.to_string(), val);
                    }
                    return true;
                }
                if let Some(child) = map.get_mut(&k)
                    && mutate(child, target, replacement, rename)
                {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn any_kind() -> impl Strategy<Value = Kind> {
    select(vec![
        Kind::Identity,
        Kind::Resource,
        Kind::Trust,
        Kind::Boundary,
        Kind::Session,
        Kind::Scp,
        Kind::Rcp,
        Kind::Vpce,
    ])
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(text in any::<String>()) {
        parse_all_types(&text);
    }

    #[test]
    fn parse_never_panics_on_json_like_text(text in "[{}\\[\\]\",: a-zA-Z0-9*?$\\\\.-]{0,200}") {
        parse_all_types(&text);
    }

    #[test]
    fn parse_never_panics_on_mutated_text(
        text in any_kind().prop_flat_map(policy),
        edits in prop::collection::vec((0..5u8, any::<Index>(), any::<Index>(), any::<char>()), 1..6),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        for (op, at, to, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => { chars.remove(i); }
                1 => chars.insert(i, c),
                2 if i < chars.len() => chars[i] = c,
                3 => {
                    // Duplicate a slice (repeats keys, unbalances brackets, ...).
                    let j = i + to.index(chars.len() + 1 - i);
                    let copy: Vec<char> = chars[i..j].to_vec();
                    chars.splice(i..i, copy);
                }
                _ => chars.truncate(i),
            }
        }
        parse_all_types(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn parse_never_panics_on_mutated_values(
        text in any_kind().prop_flat_map(policy),
        edits in prop::collection::vec((any::<Index>(), tricky_value(), prop::option::weighted(0.3, select(ELEMENTS))), 1..5),
    ) {
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        for (at, replacement, rename) in edits {
            let mut target = at.index(64);
            mutate(&mut doc, &mut target, &replacement, rename);
        }
        parse_all_types(&doc.to_string());
    }

    #[test]
    fn parse_never_panics_on_deep_nesting(depth in 0..200usize, open in select(&["[", "{\"a\":", "{\"Statement\":"][..])) {
        let text = open.repeat(depth);
        parse_all_types(&text);
        parse_all_types(&format!("{{\"Version\":\"2012-10-17\",\"Statement\":{text}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Engine bugs the differential test found, fixed, and kept as regression tests (minimal inputs).
// ---------------------------------------------------------------------------------------------

fn source_ip_request(ips: &[&str]) -> RefRequest {
    let mut req = user_request("s3:GetObject", "arn:aws:s3:::b/k", &[]);
    req.context.insert("aws:SourceIp".to_string(), ips.iter().map(|s| s.to_string()).collect());
    req
}

fn expect(req: &RefRequest, pols: &RefPolicies, decision: &'static str, denied_by: &[&'static str]) {
    let want: RefOutcome = (decision, denied_by.iter().copied().collect());
    assert_eq!(reference::decide(req, pols), want, "the reference");
    assert_eq!(engine(req, pols), want, "the engine");
}

#[test]
fn d8_unreadable_value_fails_closed_wherever_it_is() {
    // `aws:SourceIp` = ["10.0.0.5", "not-an-ip"]. D8: a value the operator cannot read makes the
    // condition fail closed. The engine stops at "10.0.0.5" (`all`/`any` short-circuit in
    // `Condition::evaluate`), so the result depends on the order of the values.
    // A Deny is lost: NotIpAddress is false for 10.0.0.5, and the unreadable value is never seen.
    let deny = RefPolicies {
        identity: vec![
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*", "Resource": "*",
                 "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
            .to_string(),
        ],
        ..RefPolicies::default()
    };
    expect(&source_ip_request(&["not-an-ip", "10.0.0.5"]), &deny, "explicitDeny", &["identity"]);
    expect(&source_ip_request(&["10.0.0.5", "not-an-ip"]), &deny, "explicitDeny", &["identity"]);
    // An Allow applies although it should not: IpAddress is true for 10.0.0.5.
    let allow = identity_only(
        json!({"Effect": "Allow", "Action": "*", "Resource": "*",
               "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
        "2012-10-17",
    );
    expect(&source_ip_request(&["not-an-ip", "10.0.0.5"]), &allow, "implicitDeny", &["identity"]);
    expect(&source_ip_request(&["10.0.0.5", "not-an-ip"]), &allow, "implicitDeny", &["identity"]);
}

#[test]
fn not_principal_aws_star_does_not_exempt_services() {
    // D7: `{"AWS": "*"}` names every AWS identity and anonymous callers but not service principals,
    // so a `NotPrincipal` Deny listing only it still applies to `s3.amazonaws.com`. The engine's
    // `not_principal_exempts` returns early for `AwsPrincipal::Any`.
    let req = RefRequest {
        principal: "s3.amazonaws.com".to_string(),
        action: "s3:GetObject".to_string(),
        resource: "arn:aws:s3:::b/k".to_string(),
        resource_account: A.to_string(),
        ..RefRequest::default()
    };
    let pols = RefPolicies {
        resource: Some(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "NotPrincipal": {"AWS": "*"}, "Action": "*", "Resource": "*"}]})
            .to_string(),
        ),
        ..RefPolicies::default()
    };
    expect(&req, &pols, "explicitDeny", &["resource"]);
}
