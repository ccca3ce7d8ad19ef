//! Every AccessDenied variant of spec §8.3 that a decision can lead to is produced from the case
//! files' decisions, and each produced message parses back to the same parts.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeSet;
use std::path::Path;

use iamspect_case::Compiler;
use iamspect_core::{Decision, authorize};
use iamspect_explain::message::{self, DenyKind, MessagePolicyType};

#[test]
fn every_variant_is_produced_and_parses_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = iamspect_case::case_files(&[root.join("tests/cases"), root.join("examples")]).unwrap();
    let mut compiler = Compiler::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let Ok(case_file) = iamspect_case::load_file(file, &mut compiler) else { continue };
        for case in case_file.cases {
            let Ok(built) = case.built else { continue };
            let outcome = authorize(&built.request, &built.policies);
            let msg = message::for_outcome(&built.request, &outcome, None);
            if outcome.decision == Decision::Allowed {
                assert!(msg.is_none());
                continue;
            }
            let msg = msg.unwrap();
            let text = msg.render();
            let back = iamspect_explain::parse::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(back, msg, "{}#{}: {text}", file.display(), case.index);
            seen.insert((format!("{:?}", msg.policy_type.unwrap()), msg.deny == DenyKind::Explicit));
        }
    }
    let want = [
        (MessagePolicyType::Identity, true),
        (MessagePolicyType::Identity, false),
        (MessagePolicyType::Resource, true),
        (MessagePolicyType::Resource, false),
        (MessagePolicyType::PermissionsBoundary, true),
        (MessagePolicyType::PermissionsBoundary, false),
        (MessagePolicyType::Session, true),
        (MessagePolicyType::Session, false),
        (MessagePolicyType::Scp, true),
        (MessagePolicyType::Scp, false),
        (MessagePolicyType::Rcp, true),
        (MessagePolicyType::VpcEndpoint, true),
        (MessagePolicyType::VpcEndpoint, false),
        (MessagePolicyType::RoleTrust, true),
        (MessagePolicyType::RoleTrust, false),
    ];
    for (t, explicit) in want {
        assert!(seen.contains(&(format!("{t:?}"), explicit)), "no case produces {t:?} explicit={explicit}");
    }
}

#[test]
fn message_texts_are_awss() {
    let m = message::AccessDeniedMessage {
        principal: "arn:aws:iam::123456789012:user/JohnDoe".into(),
        action: "codecommit:ListRepositories".into(),
        resource: None,
        deny: DenyKind::Implicit,
        policy_type: Some(MessagePolicyType::VpcEndpoint),
        policy_arn: None,
        quoted_resource: false,
    };
    assert_eq!(
        m.render(),
        "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codecommit:ListRepositories because no VPC endpoint policy allows the codecommit:ListRepositories action"
    );
    let e = message::AccessDeniedMessage {
        deny: DenyKind::Explicit,
        policy_type: Some(MessagePolicyType::Scp),
        policy_arn: Some(
            "arn:aws:organizations::777788889999:policy/o-exampleorgid/service_control_policy/p-example".into(),
        ),
        ..m
    };
    assert_eq!(
        e.render(),
        "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codecommit:ListRepositories with an explicit deny in a service control policy: arn:aws:organizations::777788889999:policy/o-exampleorgid/service_control_policy/p-example"
    );
    assert_eq!(message::error_code("ec2").code, "UnauthorizedOperation");
    assert_eq!(message::error_code("kms").code, "AccessDeniedException");
    assert_eq!(message::error_code("s3").code, "AccessDenied");
    assert_eq!(message::error_code("iam").code, "AccessDenied");
}

/// The message names the denying policy by its ARN only when it has one: an SCP or a managed
/// policy does, an inline policy (named `<owner ARN>/<name>` in account data) does not.
#[test]
fn the_denying_policy_is_named_only_by_a_policy_arn() {
    use std::sync::Arc;

    use iamspect_core::{Context, Policies, Policy, PolicyType, Principal, Request, authorize_traced};

    let deny = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#;
    let allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let request =
        Request::new(principal, "s3:GetObject", "arn:aws:s3:::b/k", Some("111122223333"), Context::new()).unwrap();
    let policy = |name: &str, text: &str, t| Arc::new(Policy::parse(name, text, t).unwrap());

    let scp = "arn:aws:organizations::111122223333:policy/o-example/service_control_policy/p-example";
    let policies = Policies {
        identity: vec![policy("arn:aws:iam::111122223333:user/alice/admin", allow, PolicyType::Identity)],
        scps: Some(vec![vec![policy("FullAWSAccess", allow, PolicyType::Scp), policy(scp, deny, PolicyType::Scp)]]),
        ..Policies::default()
    };
    let m = message::for_response(&request, &authorize_traced(&request, &policies)).unwrap();
    assert_eq!(m.policy_arn.as_deref(), Some(scp));

    let inline = "arn:aws:iam::111122223333:user/alice/deny-s3";
    let policies = Policies {
        identity: vec![
            policy("arn:aws:iam::111122223333:user/alice/admin", allow, PolicyType::Identity),
            policy(inline, deny, PolicyType::Identity),
        ],
        ..Policies::default()
    };
    let m = message::for_response(&request, &authorize_traced(&request, &policies)).unwrap();
    assert_eq!(m.policy_arn, None, "{}", m.render());
    assert!(m.render().ends_with("with an explicit deny in an identity-based policy"), "{}", m.render());
}
