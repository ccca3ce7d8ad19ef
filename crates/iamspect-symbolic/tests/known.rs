//! Questions with known answers, each witness confirmed by the engine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code may panic")]

use std::sync::Arc;

use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::{Query, SolveOptions, harness};

fn policy(text: &str) -> Arc<Policy> {
    Arc::new(Policy::parse("p", text, PolicyType::Identity).unwrap())
}

fn stmt(s: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#)
}

/// `Some(n)` witnesses (all confirmed), or `None` for unknown.
fn new_access(new: &str, old: &str) -> Result<usize, String> {
    let (n, o) = (policy(&stmt(new)), policy(&stmt(old)));
    let q = Query::no_new_access(&n, &o, PolicyType::Identity).map_err(|e| e.to_string())?;
    let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
    let solved = q
        .solve(&opts, |w| {
            let ok = harness::confirms(w, &n, Some(&o), PolicyType::Identity);
            assert!(ok, "unconfirmed witness {w:?}");
            ok
        })
        .map_err(|e| e.to_string())?;
    Ok(solved.witnesses.len())
}

const S3_GET: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;

#[test]
fn same_policy_is_no_new_access() {
    assert_eq!(new_access(S3_GET, S3_GET), Ok(0));
}

#[test]
fn wider_action_is_new_access() {
    let wide = r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}"#;
    assert!(new_access(wide, S3_GET).unwrap() >= 1);
    assert_eq!(new_access(S3_GET, wide), Ok(0));
}

#[test]
fn action_case_does_not_matter() {
    let upper = r#"{"Effect":"Allow","Action":"S3:GETOBJECT","Resource":"arn:aws:s3:::b/*"}"#;
    assert_eq!(new_access(upper, S3_GET), Ok(0));
}

#[test]
fn resource_case_matters() {
    let upper = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*"}"#;
    assert!(new_access(upper, S3_GET).unwrap() >= 1);
}

#[test]
fn a_deny_removes_access() {
    let all = r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#;
    let deny = r#"{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*"}"#;
    let only_get = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    assert_eq!(new_access(&format!("{all},{deny}"), only_get), Ok(0));
    assert!(new_access(all, only_get).unwrap() >= 1);
}

#[test]
fn conditions_narrow() {
    let ip = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#;
    let ip16 = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}"#;
    assert_eq!(new_access(ip, S3_GET), Ok(0));
    assert!(new_access(S3_GET, ip).unwrap() >= 1);
    assert!(new_access(ip, ip16).unwrap() >= 1);
    assert_eq!(new_access(ip16, ip), Ok(0));
    let num = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"10"}}}"#;
    let num2 = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}"#;
    assert_eq!(new_access(num, num2), Ok(0));
    assert!(new_access(num2, num).unwrap() >= 1);
    let tag = r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringLike":{"aws:ResourceTag/team":"dev-*"}}}"#;
    let tag2 = r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":["dev-a","dev-b"]}}}"#;
    assert_eq!(new_access(tag2, tag), Ok(0));
    assert!(new_access(tag, tag2).unwrap() >= 1);
}

#[test]
fn deny_with_unreadable_value_applies() {
    // A Deny whose condition cannot read the request still applies (D8): with a non-numeric
    // value the old policy denies, so the new one (no Deny) grants something new.
    let allow = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let deny = r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"NumericGreaterThan":{"s3:max-keys":"100"}}}"#;
    assert!(new_access(allow, &format!("{allow},{deny}")).unwrap() >= 1);
}

/// Witness count with candidates the engine rejects allowed (decision D153: an atom not decided
/// exactly is a free boolean in the search, whose models are only candidates), or the unknown.
fn new_access_candidates(new: &str, old: &str) -> Result<usize, String> {
    let (n, o) = (policy(&stmt(new)), policy(&stmt(old)));
    let q = Query::no_new_access(&n, &o, PolicyType::Identity).map_err(|e| e.to_string())?;
    let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
    let solved =
        q.solve(&opts, |w| harness::confirms(w, &n, Some(&o), PolicyType::Identity)).map_err(|e| e.to_string())?;
    assert!(solved.rejected.is_empty(), "rejected without a free atom: {:?}", solved.rejected);
    Ok(solved.witnesses.len())
}

/// Decided by the engine for a user (whose `aws:username` the engine fills in).
fn user_allowed(policy_text: &str, user: &str, action: &str, resource: &str) -> bool {
    use iamspect_core::{Context, Decision, Policies, Principal, Request, authorize};
    let principal = Principal::parse(&format!("arn:aws:iam::111122223333:user/{user}")).unwrap();
    let req = Request::new(principal, action, resource, Some("111122223333"), Context::new()).unwrap();
    let policies = Policies { identity: vec![policy(&stmt(policy_text))], ..Policies::default() };
    authorize(&req, &policies).decision == Decision::Allowed
}

const HOME: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#;

/// A variable in NEW's `Resource` whose pattern, with the variable written `*`, is inside what
/// OLD allows: no new access whatever the value (D153), checked on users whose names the variable
/// takes.
#[test]
fn a_variable_inside_the_existing_grant_is_no_new_access() {
    assert_eq!(new_access_candidates(HOME, S3_GET), Ok(0));
    for user in ["alice", "a+b", "c.d=e@f"] {
        for key in ["home/alice/k", "home/a+b/k", "home/c.d=e@f/k", "home/bob/k", "other"] {
            let r = format!("arn:aws:s3:::b/{key}");
            if user_allowed(HOME, user, "s3:GetObject", &r) {
                assert!(user_allowed(S3_GET, user, "s3:GetObject", &r), "{user} {r}");
            }
        }
    }
    // Within a narrower existing grant too, and with the variable in the middle of a segment.
    let mid = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/u-${aws:username}-x"}"#;
    let old = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/u-*"}"#;
    assert_eq!(new_access_candidates(mid, old), Ok(0));
}

/// Outside what OLD allows, the answer depends on the variable's value: unknown, naming it,
/// never PASS (a user `alice` is allowed `b/home/alice/k`, which OLD does not allow).
#[test]
fn a_variable_outside_the_existing_grant_is_unknown() {
    let old = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}"#;
    let e = new_access_candidates(HOME, old).unwrap_err();
    assert!(e.contains("policy variable"), "{e}");
    assert!(user_allowed(HOME, "alice", "s3:GetObject", "arn:aws:s3:::b/home/alice/k"));
    assert!(!user_allowed(old, "alice", "s3:GetObject", "arn:aws:s3:::b/home/alice/k"));
    // A variable in a `Deny` of OLD: the deny applies to some users only, so unknown too.
    let deny = r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/secret"}"#;
    let e = new_access_candidates(S3_GET, &format!("{S3_GET},{deny}")).unwrap_err();
    assert!(e.contains("policy variable"), "{e}");
    // In the account segment the pattern is not widened (a value there could hold a colon).
    let acct =
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q"}"#;
    let any_queue = r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:*"}"#;
    assert!(new_access_candidates(acct, any_queue).is_err());
}

/// New access that does not depend on the variable is found and confirmed: FAIL.
#[test]
fn new_access_beside_a_variable_is_found() {
    let put = r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}"#;
    assert!(new_access_candidates(&format!("{HOME},{put}"), S3_GET).unwrap() >= 1);
}

fn resource_policy(text: &str, t: PolicyType) -> Arc<Policy> {
    Arc::new(Policy::parse("p", text, t).unwrap())
}

/// Witness count for `check-no-public-access`, every witness confirmed.
fn public(text: &str, kind: &iamspect_symbolic::ResourceKind, org: Option<&str>) -> Result<usize, String> {
    let p = resource_policy(text, kind.policy_type);
    let q = Query::public_access(&p, kind, org).map_err(|e| e.to_string())?;
    let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
    let solved = q
        .solve(&opts, |w| {
            let ok = harness::confirms(w, &p, None, kind.policy_type);
            assert!(ok, "unconfirmed witness {w:?}");
            ok
        })
        .map_err(|e| e.to_string())?;
    Ok(solved.witnesses.len())
}

fn bucket() -> iamspect_symbolic::ResourceKind {
    iamspect_symbolic::ResourceKind {
        policy_type: PolicyType::Resource,
        actions: vec!["s3:*".into()],
        resources: vec!["arn:aws:s3:::*".into()],
    }
}

#[test]
fn public_buckets() {
    let star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    assert!(public(star, &bucket(), None).unwrap() >= 1);
    let account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    assert_eq!(public(account, &bucket(), None), Ok(0));
    let org = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#;
    assert!(public(org, &bucket(), None).unwrap() >= 1);
    assert_eq!(public(org, &bucket(), Some("o-abc")), Ok(0));
    assert!(public(org, &bucket(), Some("o-other")).unwrap() >= 1);
    let acct = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}}]}"#;
    assert_eq!(public(acct, &bucket(), None), Ok(0));
    let src = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceAccount":"444455556666"}}}]}"#;
    assert_eq!(public(src, &bucket(), None), Ok(0));
    let deny_others = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(public(deny_others, &bucket(), None), Ok(0));
}

#[test]
fn public_trust_policies() {
    let kind = iamspect_symbolic::ResourceKind { policy_type: PolicyType::Trust, actions: vec![], resources: vec![] };
    let star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
    assert!(public(star, &kind, None).unwrap() >= 1);
    let svc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(public(svc, &kind, None), Ok(0));
    let acct = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Deploy"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(public(acct, &kind, None), Ok(0));
}

#[test]
fn resource_policy_new_access() {
    let t = PolicyType::Resource;
    let one = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let two = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::777788889999:root"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let (p1, p2) = (resource_policy(one, t), resource_policy(two, t));
    let count = |n: &Arc<Policy>, o: &Arc<Policy>| {
        let q = Query::no_new_access(n, o, t).unwrap();
        let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
        q.solve(&opts, |w| {
            let ok = harness::confirms(w, n, Some(o), t);
            assert!(ok, "unconfirmed witness {w:?}");
            ok
        })
        .unwrap()
        .witnesses
        .len()
    };
    assert!(count(&p2, &p1) >= 1);
    assert_eq!(count(&p1, &p2), 0);
}

fn pair_count(new: &str, old: &str, t: PolicyType) -> Result<usize, String> {
    let (n, o) = (resource_policy(new, t), resource_policy(old, t));
    let q = Query::no_new_access(&n, &o, t).map_err(|e| e.to_string())?;
    let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
    let s = q
        .solve(&opts, |w| {
            let ok = harness::confirms(w, &n, Some(&o), t);
            assert!(ok, "unconfirmed witness {w:?}");
            ok
        })
        .map_err(|e| e.to_string())?;
    Ok(s.witnesses.len())
}

#[test]
fn rcps_decide_by_their_denies() {
    let t = PolicyType::Rcp;
    let org = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}"#;
    let none = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    // Dropping the organization perimeter lets outsiders in.
    assert!(pair_count(none, org, t).unwrap() >= 1);
    // A deny on a service RCPs do not cover changes nothing.
    let ec2 =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"}]}"#;
    let empty = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:NoSuchAction","Resource":"*"}]}"#;
    assert_eq!(pair_count(empty, ec2, t), Ok(0));
}

#[test]
fn vpc_endpoint_policies() {
    let t = PolicyType::VpcEndpoint;
    let bucket = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let all =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    assert!(pair_count(all, bucket, t).unwrap() >= 1);
    assert_eq!(pair_count(bucket, all, t), Ok(0));
}

#[test]
fn keys_outsiders_cannot_take() {
    let kms = iamspect_symbolic::ResourceKind {
        policy_type: PolicyType::Resource,
        actions: vec!["kms:*".into()],
        resources: vec!["arn:aws:kms:*:{account}:key/*".into()],
    };
    let caller_account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"444455556666"}}}]}"#;
    assert_eq!(public(caller_account, &kms, None), Ok(0));
    let any_account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"444455556666"}}}]}"#;
    assert!(public(any_account, &kms, None).unwrap() >= 1);
    let vpce = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}"#;
    assert_eq!(public(vpce, &bucket(), None), Ok(0));
}
