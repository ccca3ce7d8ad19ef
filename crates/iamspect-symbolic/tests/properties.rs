//! Soundness and completeness on random policies (vocabularies adapted from the core's
//! differential test, so that patterns and conditions actually meet):
//! - soundness: every witness the symbolic core gives is confirmed by the engine (a witness the
//!   engine rejects fails the test);
//! - completeness: when the answer is "no such request", many random concrete requests decided by
//!   the engine never find one.
//!
//! `PROPTEST_CASES` and `SYMBOLIC_REQUESTS` make longer runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code may panic")]

use std::sync::Arc;

use iamspect_core::{Decision, Policy, PolicyType};
use iamspect_symbolic::{Query, SolveOptions, Witness, harness};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "S3:GETOBJECT",
    "s3:PutObject",
    "s3:?etObject",
    "ec2:*",
    "ec2:Describe*",
    "iam:*",
    "*Object",
    "s3:*Object*",
    "sts:*",
];
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:GetBucketPolicy",
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "iam:CreateUser",
    "S3:GETOBJECT",
    "s3:ListBucket",
    "sqs:SendMessage",
    "s3:GetObjectAcl",
    "s3:SetObject",
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "kms:Decrypt",
    "x:Object",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::B/*",
    "arn:aws:s3:::b/home/*",
    "arn:aws:ec2:*:111122223333:instance/*",
    "arn:aws:ec2:us-east-1:*:*",
    "arn:aws:*:*:*:*",
    "arn:aws:s3:::b/?ey",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:iam::*:role/*",
    // Policy variables (decision D153): free atoms bounded by the pattern with `*` for each.
    "arn:aws:s3:::b/home/${aws:username}/*",
    "arn:aws:s3:::b/${aws:userid}",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/key",
    "arn:aws:s3:::b/home/x",
    "arn:aws:s3:::bx",
    "arn:aws:s3:::B/key",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:ec2:eu-west-1:444455556666:instance/i-2",
    "arn:aws:s3:::b/k:e:y",
    "arn:aws:sqs:us-east-1:111122223333:q",
    "arn:aws:kms:us-east-1:111122223333:key/k",
    "arn:aws:iam::111122223333:role/R",
    "arn:aws:s3:::b/hey",
    "arn:aws:s3:::b/home/x/k",
];

struct Family {
    operators: &'static [&'static str],
    keys: &'static [&'static str],
    values: &'static [&'static str],
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
        keys: &["aws:PrincipalTag/team", "s3:prefix", "aws:username", "aws:PrincipalType"],
        values: &["dev", "DEV", "d*", "ops", "home/", "home/*", "a?", "", "*", "AssumedRole", "${*}"],
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
        keys: &["s3:max-keys", "aws:MultiFactorAuthAge"],
        values: &["10", "10.0", "50.5", "-1", "100", "0"],
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
        keys: &["aws:CurrentTime", "aws:TokenIssueTime"],
        values: &["2020-01-01", "2020-01-01T00:00:00Z", "2019", "1577836800", "2020-01-01T00:00:00.5Z"],
    },
    Family {
        operators: &["Bool"],
        keys: &["aws:SecureTransport", "aws:MultiFactorAuthPresent"],
        values: &["true", "false", "True"],
    },
    Family {
        operators: &["IpAddress", "NotIpAddress"],
        keys: &["aws:SourceIp"],
        values: &["10.0.0.0/8", "10.0.0.5", "192.168.0.0/16", "2001:db8::/32", "0.0.0.0/0", "10.1.2.3/16"],
    },
    Family {
        operators: &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
        keys: &["aws:SourceArn", "aws:PrincipalArn"],
        values: &["arn:aws:s3:::b", "arn:aws:s3:::b*", "arn:aws:iam::*:role/*", "arn:aws:sns:*:*:t?", "arn:aws:iam"],
    },
];

/// Context values requests may carry, per key.
const CONTEXT: &[(&str, &[&str])] = &[
    ("aws:PrincipalTag/team", &["dev", "DEV", "ops", "d*", "", "x"]),
    ("s3:prefix", &["home/", "home/alice", "Home/", "a1", "*", "dev"]),
    ("aws:username", &["dev", "alice"]),
    ("aws:PrincipalType", &["AssumedRole", "User", "assumedrole"]),
    ("s3:max-keys", &["10", "100", "10.0", "abc", "-5", "50.5", "0", "-1", "101"]),
    ("aws:MultiFactorAuthAge", &["0", "10", "x"]),
    (
        "aws:CurrentTime",
        &[
            "2020-01-01T00:00:00Z",
            "2019-12-31T23:59:59Z",
            "2021-01-01T00:00:00Z",
            "1577836800",
            "garbage",
            "2020-01-01T00:00:00.5Z",
        ],
    ),
    ("aws:TokenIssueTime", &["2018-01-01T00:00:00Z", "2020-01-01T00:00:00.3Z"]),
    ("aws:SecureTransport", &["true", "false", "TRUE", "maybe"]),
    ("aws:MultiFactorAuthPresent", &["true", "false"]),
    ("aws:SourceIp", &["10.0.0.5", "10.1.99.1", "192.168.1.1", "2001:db8::1", "8.8.8.8", "not-an-ip", "10.0.0.6"]),
    (
        "aws:SourceArn",
        &["arn:aws:s3:::b", "arn:aws:s3:::bx", "arn:aws:sns:us-east-1:1:t1", "not-an-arn", "arn:aws:iam::1:role/R"],
    ),
    ("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/WitnessRole", "arn:aws:iam::1:role/R", "arn:aws:s3:::b"]),
];

fn one_or_list(pool: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec(select(pool), 1..=2).prop_map(|v| if v.len() == 1 { json!(v[0]) } else { json!(v) })
}

fn condition() -> impl Strategy<Value = (String, String, Value)> {
    let typed = (0..FAMILIES.len()).prop_flat_map(|f| {
        let fam = &FAMILIES[f];
        (select(fam.operators), 0..8u8, 0..4u8, select(fam.keys), one_or_list(fam.values)).prop_map(
            |(op, q, ie, key, values)| {
                let mut name = match q {
                    0 => "ForAllValues:".to_string(),
                    1 => "ForAnyValue:".to_string(),
                    _ => String::new(),
                };
                name.push_str(op);
                if ie == 0 {
                    name.push_str("IfExists");
                }
                (name, key.to_string(), values)
            },
        )
    });
    let keys: Vec<&str> = FAMILIES.iter().flat_map(|f| f.keys.iter().copied()).collect();
    let null =
        (select(keys), select(&["true", "false"][..])).prop_map(|(k, v)| ("Null".to_string(), k.to_string(), json!(v)));
    prop_oneof![5 => typed, 1 => null]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop_oneof![3 => Just("Allow"), 1 => Just("Deny")],
        prop::bool::weighted(0.2),
        one_or_list(ACTION_PATTERNS),
        prop::bool::weighted(0.2),
        one_or_list(RESOURCE_PATTERNS),
        prop::collection::vec(condition(), 0..=2),
    )
        .prop_map(|(effect, not_action, action, not_resource, resource, conds)| {
            let mut s = Map::new();
            s.insert("Effect".into(), json!(effect));
            s.insert(if not_action { "NotAction" } else { "Action" }.into(), action);
            s.insert(if not_resource { "NotResource" } else { "Resource" }.into(), resource);
            if !conds.is_empty() {
                let mut block: Map<String, Value> = Map::new();
                for (op, key, values) in conds {
                    let entry = block.entry(op).or_insert_with(|| json!({}));
                    if let Value::Object(m) = entry {
                        m.insert(key, values);
                    }
                }
                s.insert("Condition".into(), Value::Object(block));
            }
            Value::Object(s)
        })
}

fn policy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..=3)
        .prop_map(|st| json!({"Version": "2012-10-17", "Statement": st}).to_string())
}

/// (new, existing): unrelated, or the existing policy holds the new one's statements and more
/// (mostly "no new access", unless the extra statements deny).
fn policy_pair() -> impl Strategy<Value = (String, String)> {
    let doc = |st: &[Value]| json!({"Version": "2012-10-17", "Statement": st}).to_string();
    prop_oneof![
        (policy_text(), policy_text()),
        (prop::collection::vec(statement(), 1..=3), prop::collection::vec(statement(), 1..=2)).prop_map(
            move |(a, b)| {
                let both: Vec<Value> = a.iter().chain(b.iter()).cloned().collect();
                (doc(&a), doc(&both))
            }
        ),
    ]
}

fn policy_type() -> impl Strategy<Value = PolicyType> {
    select(
        &[
            PolicyType::Identity,
            PolicyType::Identity,
            PolicyType::PermissionsBoundary,
            PolicyType::Session,
            PolicyType::Scp,
        ][..],
    )
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn random_request(rng: &mut Rng) -> Witness {
    let mut context = Vec::new();
    for (key, values) in CONTEXT {
        if rng.next(3) == 0 {
            let n = 1 + rng.next(2);
            context.push((key.to_string(), (0..n).map(|_| values[rng.next(values.len())].to_string()).collect()));
        }
    }
    // A user sometimes, whose `aws:username` (`x`) the engine fills in for the variables.
    let principal = (rng.next(3) == 0).then(|| "arn:aws:iam::111122223333:user/x".to_string());
    if principal.is_some() {
        // The engine fills these in from the user.
        context.retain(|(k, _)| !DERIVED.iter().any(|d| d.eq_ignore_ascii_case(k)));
    }
    Witness {
        action: ACTIONS[rng.next(ACTIONS.len())].to_string(),
        resource: RESOURCES[rng.next(RESOURCES.len())].to_string(),
        context,
        principal,
        resource_account: None,
    }
}

fn allowed(w: &Witness, p: &Arc<Policy>, t: PolicyType) -> bool {
    harness::decide(w, p, t).unwrap() == Decision::Allowed
}

fn requests() -> usize {
    std::env::var("SYMBOLIC_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(150), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_new_access_is_sound_and_complete((new, old) in policy_pair(), t in policy_type(), seed in 1..u64::MAX) {
        // IAM's write-time validation refuses some generated texts; those are not questions.
        let (Ok(n), Ok(o)) = (Policy::parse("new", &new, t), Policy::parse("old", &old, t)) else { return Ok(()) };
        let (n, o) = (Arc::new(n), Arc::new(o));
        let q = match Query::no_new_access(&n, &o, t) {
            Ok(q) => q,
            Err(_) => return Ok(()),
        };
        let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
        let solved = match q.solve(&opts, |w| harness::confirms(w, &n, Some(&o), t)) {
            Ok(s) => s,
            Err(e) => {
                if std::env::var("SYMBOLIC_STATS").is_ok() { eprintln!("STAT unknown {e}"); }
                return Ok(());
            }
        };
        if std::env::var("SYMBOLIC_STATS").is_ok() { eprintln!("STAT {}", if solved.witnesses.is_empty() { "pass" } else { "fail" }); }
        prop_assert!(solved.rejected.is_empty(), "the engine rejected witnesses {:?}\nnew {new}\nold {old}", solved.rejected);
        if solved.witnesses.is_empty() {
            let mut rng = Rng(seed);
            for _ in 0..requests() {
                let mut r = random_request(&mut rng);
                // A session policy applies to sessions only: the question's caller is one.
                if t == PolicyType::Session { r.principal = None; }
                prop_assert!(
                    !allowed(&r, &n, t) || allowed(&r, &o, t),
                    "PASS contradicted by {r:?}\nnew {new}\nold {old}\ntype {t:?}"
                );
            }
        }
    }

    #[test]
    fn access_granted_is_sound_and_complete(p in policy_text(), t in policy_type(), seed in 1..u64::MAX, a in select(ACTIONS)) {
        let Ok(pol) = Policy::parse("p", &p, t) else { return Ok(()) };
        let pol = Arc::new(pol);
        let q = match Query::access_granted(&pol, &[a], None, t) {
            Ok(q) => q,
            Err(_) => return Ok(()),
        };
        let opts = SolveOptions { max_witnesses: 2, preferred_actions: &[] };
        let solved = match q.solve(&opts, |w| harness::confirms(w, &pol, None, t)) {
            Ok(s) => s,
            Err(_) => return Ok(()),
        };
        prop_assert!(solved.rejected.is_empty(), "the engine rejected witnesses {:?}\npolicy {p}", solved.rejected);
        if solved.witnesses.is_empty() {
            let mut rng = Rng(seed);
            for _ in 0..requests() {
                let mut r = random_request(&mut rng);
                r.action = a.to_string();
                if t == PolicyType::Session { r.principal = None; }
                prop_assert!(!allowed(&r, &pol, t), "PASS contradicted by {r:?}\npolicy {p}\ntype {t:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Resource-based policies: callers
// ---------------------------------------------------------------------------------------------

fn principal_value() -> impl Strategy<Value = Value> {
    select(vec![
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": "444455556666"}),
        json!({"AWS": "arn:aws:iam::444455556666:user/alice"}),
        json!({"AWS": "arn:aws:iam::444455556666:role/R"}),
        json!({"AWS": ["arn:aws:iam::777788889999:root", "arn:aws:iam::444455556666:user/alice"]}),
        json!({"Service": "lambda.amazonaws.com"}),
        json!({"Federated": "accounts.google.com"}),
        json!({"AWS": "arn:aws:sts::444455556666:assumed-role/R/s"}),
    ])
}

/// Callers of random requests (none in the resource's account, which the question leaves out).
const CALLERS: &[&str] = &[
    "anonymous",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:sts::444455556666:assumed-role/R/s",
    "arn:aws:sts::444455556666:assumed-role/R/t",
    "arn:aws:sts::444455556666:assumed-role/Q/s",
    "arn:aws:iam::222233334444:user/bob",
    "arn:aws:iam::777788889999:root",
    "arn:aws:sts::777788889999:federated-user/f",
    "lambda.amazonaws.com",
    "s3.amazonaws.com",
    "accounts.google.com",
    "cognito-identity.amazonaws.com",
];

/// Keys the engine fills in from the caller: a request never gives them.
const DERIVED: &[&str] = &["aws:PrincipalArn", "aws:PrincipalType", "aws:username"];

fn resource_statement() -> impl Strategy<Value = Value> {
    (statement(), principal_value(), prop::bool::weighted(0.3)).prop_map(|(mut s, p, not)| {
        if let Value::Object(m) = &mut s {
            let deny = m.get("Effect") == Some(&json!("Deny"));
            let key = if deny && not && p != json!("*") { "NotPrincipal" } else { "Principal" };
            m.insert(key.into(), p);
        }
        s
    })
}

fn resource_policy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(resource_statement(), 1..=3)
        .prop_map(|st| json!({"Version": "2012-10-17", "Statement": st}).to_string())
}

fn resource_policy_pair() -> impl Strategy<Value = (String, String)> {
    let doc = |st: &[Value]| json!({"Version": "2012-10-17", "Statement": st}).to_string();
    prop_oneof![
        (resource_policy_text(), resource_policy_text()),
        (prop::collection::vec(resource_statement(), 1..=3), prop::collection::vec(resource_statement(), 1..=2))
            .prop_map(move |(a, b)| {
                let both: Vec<Value> = a.iter().chain(b.iter()).cloned().collect();
                (doc(&a), doc(&both))
            }),
    ]
}

fn random_caller_request(rng: &mut Rng, account: &str) -> Witness {
    let mut w = random_request(rng);
    let caller = CALLERS[rng.next(CALLERS.len())];
    let iam = caller.starts_with("arn:");
    let service = caller.ends_with(".amazonaws.com") && !caller.starts_with("cognito");
    w.context.retain(|(k, _)| {
        !DERIVED.iter().any(|d| d.eq_ignore_ascii_case(k))
            && (iam || !k.to_ascii_lowercase().starts_with("aws:principaltag/"))
            && (service || !k.eq_ignore_ascii_case("aws:SourceArn"))
    });
    w.principal = Some(caller.to_string());
    w.resource_account = Some(account.to_string());
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(150), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn resource_policies_sound_and_complete(
        (new, old) in resource_policy_pair(),
        seed in 1..u64::MAX,
        t in select(&[PolicyType::Resource, PolicyType::Resource, PolicyType::Rcp, PolicyType::VpcEndpoint][..]),
    ) {
        let (Ok(n), Ok(o)) = (Policy::parse("new", &new, t), Policy::parse("old", &old, t)) else { return Ok(()) };
        let (n, o) = (Arc::new(n), Arc::new(o));
        let Ok(q) = Query::no_new_access(&n, &o, t) else { return Ok(()) };
        let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
        let solved = match q.solve(&opts, |w| harness::confirms(w, &n, Some(&o), t)) {
            Ok(s) => s,
            Err(e) => {
                if std::env::var("SYMBOLIC_STATS").is_ok() { eprintln!("STAT resource unknown {e}"); }
                return Ok(());
            }
        };
        if std::env::var("SYMBOLIC_STATS").is_ok() { eprintln!("STAT {t:?} {}", if solved.witnesses.is_empty() { "pass" } else { "fail" }); }
        prop_assert!(solved.rejected.is_empty(), "the engine rejected witnesses {:?}\nnew {new}\nold {old}", solved.rejected);
        if solved.witnesses.is_empty() {
            let account = q.resource_account().unwrap().to_string();
            let mut rng = Rng(seed);
            for _ in 0..requests() {
                let r = random_caller_request(&mut rng, &account);
                prop_assert!(
                    !allowed(&r, &n, t) || allowed(&r, &o, t),
                    "PASS contradicted by {r:?}\nnew {new}\nold {old}\ntype {t:?}"
                );
            }
        }
    }
}

fn rcp_statement() -> impl Strategy<Value = Value> {
    let actions: Vec<&'static str> = ACTION_PATTERNS.iter().copied().filter(|a| *a != "*").collect();
    (
        select(vec![json!("*"), json!({"AWS": "*"})]),
        prop::collection::vec(select(actions), 1..=2),
        one_or_list(RESOURCE_PATTERNS),
        prop::collection::vec(condition(), 0..=2),
    )
        .prop_map(|(principal, actions, resource, conds)| {
            let mut s = Map::new();
            s.insert("Effect".into(), json!("Deny"));
            s.insert("Principal".into(), principal);
            s.insert("Action".into(), json!(actions));
            s.insert("Resource".into(), resource);
            if !conds.is_empty() {
                let mut block: Map<String, Value> = Map::new();
                for (op, key, values) in conds {
                    if let Value::Object(m) = block.entry(op).or_insert_with(|| json!({})) {
                        m.insert(key, values);
                    }
                }
                s.insert("Condition".into(), Value::Object(block));
            }
            Value::Object(s)
        })
}

fn rcp_pair() -> impl Strategy<Value = (String, String)> {
    let doc = |st: &[Value]| json!({"Version": "2012-10-17", "Statement": st}).to_string();
    (prop::collection::vec(rcp_statement(), 1..=3), prop::collection::vec(rcp_statement(), 0..=2), prop::bool::ANY)
        .prop_map(move |(a, b, superset)| {
            if superset || b.is_empty() {
                // The existing RCP denies what the new one does and more: no new access.
                let both: Vec<Value> = a.iter().chain(b.iter()).cloned().collect();
                (doc(&a), doc(&both))
            } else {
                (doc(&a), doc(&b))
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(150), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rcps_sound_and_complete((new, old) in rcp_pair(), seed in 1..u64::MAX) {
        let t = PolicyType::Rcp;
        let (Ok(n), Ok(o)) = (Policy::parse("new", &new, t), Policy::parse("old", &old, t)) else { return Ok(()) };
        let (n, o) = (Arc::new(n), Arc::new(o));
        let Ok(q) = Query::no_new_access(&n, &o, t) else { return Ok(()) };
        let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
        let Ok(solved) = q.solve(&opts, |w| harness::confirms(w, &n, Some(&o), t)) else { return Ok(()) };
        if std::env::var("SYMBOLIC_STATS").is_ok() { eprintln!("STAT Rcp {}", if solved.witnesses.is_empty() { "pass" } else { "fail" }); }
        prop_assert!(solved.rejected.is_empty(), "the engine rejected witnesses {:?}\nnew {new}\nold {old}", solved.rejected);
        if solved.witnesses.is_empty() {
            let account = q.resource_account().unwrap().to_string();
            let mut rng = Rng(seed);
            for _ in 0..requests() {
                let r = random_caller_request(&mut rng, &account);
                prop_assert!(!allowed(&r, &n, t) || allowed(&r, &o, t), "PASS contradicted by {r:?}\nnew {new}\nold {old}");
            }
        }
    }
}
