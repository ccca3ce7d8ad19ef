//! Decision D57: why a `NotPrincipal` deny applies to a caller it lists, and a fix that names the
//! identity it misses instead of adding a condition.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::sync::Arc;

use iamspect_core::{Context, Decision, Policies, Policy, PolicyType, Principal, Request, authorize, authorize_traced};
use iamspect_explain::{fix, wire};

const ALLOW: &str =
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;

fn case(not_principal: &str, boundary: bool) -> (Request, Policies) {
    let bucket = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Deny", "NotPrincipal": {{"AWS": {not_principal}}}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}]}}"#
    );
    let request = Request::new(
        Principal::parse("arn:aws:sts::111122223333:assumed-role/Admin/alice").unwrap(),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        Some("111122223333"),
        Context::new(),
    )
    .unwrap();
    let parse = |t: &str, ty| Arc::new(Policy::parse("p", t, ty).unwrap());
    let policies = Policies {
        identity: vec![parse(ALLOW, PolicyType::Identity)],
        resource: Some(parse(&bucket, PolicyType::Resource)),
        permissions_boundary: boundary.then(|| parse(ALLOW, PolicyType::PermissionsBoundary)),
        ..Policies::default()
    };
    (request, policies)
}

fn detail(req: &Request, policies: &Policies) -> iamspect_core::NotPrincipalDetail {
    let traced = authorize_traced(req, policies);
    traced
        .trace
        .layers
        .iter()
        .flat_map(|l| &l.policies)
        .flat_map(|p| &p.statements)
        .find_map(|s| s.not_principal.clone())
        .unwrap()
}

#[test]
fn the_account_checked_first_is_named_and_added() {
    let (req, policies) = case(
        r#"["arn:aws:iam::111122223333:role/Admin", "arn:aws:sts::111122223333:assumed-role/Admin/alice"]"#,
        false,
    );
    assert_eq!(authorize(&req, &policies).decision, Decision::ExplicitDeny);
    let d = detail(&req, &policies);
    assert!(d.caller_listed && !d.boundary);
    assert_eq!(d.missing, vec!["arn:aws:iam::111122223333:root".to_string()]);
    let words = wire::not_principal_explanation(&d);
    assert!(words.contains("AWS may check the account first"), "{words}");
    let fixes = fix::suggest(&req, &policies).unwrap();
    let f = fixes.fixes.iter().find(|f| f.kind == fix::FixKind::Weakening).unwrap();
    assert_eq!(f.outcome.unwrap().decision, Decision::Allowed);
    let after = &f.edits[0].after;
    assert!(after.contains("arn:aws:iam::111122223333:root") && !after.contains("ArnNotEquals"), "{after}");
}

#[test]
fn the_role_is_named_when_only_the_account_and_session_are_listed() {
    let (req, policies) =
        case(r#"["arn:aws:iam::111122223333:root", "arn:aws:sts::111122223333:assumed-role/Admin/alice"]"#, false);
    assert_eq!(detail(&req, &policies).missing, vec!["arn:aws:iam::111122223333:role/Admin".to_string()]);
}

#[test]
fn a_boundary_is_said_and_not_fixed_by_the_list() {
    let (req, policies) = case(
        r#"["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/Admin", "arn:aws:sts::111122223333:assumed-role/Admin/alice"]"#,
        true,
    );
    let d = detail(&req, &policies);
    assert!(d.boundary && d.missing.is_empty());
    assert!(wire::not_principal_explanation(&d).contains("permissions boundary"));
    let fixes = fix::suggest(&req, &policies).unwrap();
    assert!(fixes.notes.iter().any(|n| n.contains("permissions boundary")), "{:?}", fixes.notes);
    let f = fixes.fixes.iter().find(|f| f.kind == fix::FixKind::Weakening).unwrap();
    assert_eq!(f.outcome.unwrap().decision, Decision::Allowed, "the condition on aws:PrincipalArn exempts the caller");
}
