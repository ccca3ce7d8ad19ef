//! Rebuilding requests from events: the forms of `userIdentity`, resources from
//! `requestParameters`, actions from the service reference, and the files events come in.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::Path;

use iamspect_account::{Account, AccountData, Role};
use iamspect_replay::{ServiceReference, caller, rebuild, records_of, resource_for};
use serde_json::{Value, json};

fn with_identity(identity: Value) -> Value {
    json!({
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": identity,
    })
}

fn principal(identity: Value) -> String {
    caller(&with_identity(identity), None).unwrap().principal
}

#[test]
fn iam_user() {
    assert_eq!(
        principal(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops/alice", "userName": "alice"})),
        "arn:aws:iam::111122223333:user/ops/alice"
    );
    // Without an ARN, the user name and account make one.
    let c = caller(&with_identity(json!({"type": "IAMUser", "userName": "alice"})), None).unwrap();
    assert_eq!(c.principal, "arn:aws:iam::111122223333:user/alice");
    assert!(c.notes[0].contains("no `arn`"));
    assert!(!c.temporary);
    let err = caller(&with_identity(json!({"type": "IAMUser", "accountId": "1"})), None).unwrap_err();
    assert!(err.contains("neither `arn` nor `userName`"), "{err}");
    // GetSessionToken credentials are temporary.
    let c = caller(
        &with_identity(json!({
            "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {"attributes": {"creationDate": "2023-07-10T12:13:16Z", "mfaAuthenticated": "true"}}
        })),
        None,
    )
    .unwrap();
    assert!(c.temporary);
}

#[test]
fn assumed_role() {
    let session = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:bob",
        "arn": "arn:aws:sts::111122223333:assumed-role/ops/bob",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/team/ops", "userName": "ops"}}
    });
    let c = caller(&with_identity(session), None).unwrap();
    assert_eq!(c.principal, "arn:aws:sts::111122223333:assumed-role/ops/bob");
    assert_eq!(c.account.as_deref(), Some("111122223333"));
    assert!(c.temporary);
    // A truncated session ARN is rebuilt from the issuer and the principal id.
    let broken = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:tester",
        "arn": "arn:aws:sts::111122223333:assumed-role/tester",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/tester"}}
    });
    assert_eq!(principal(broken), "arn:aws:sts::111122223333:assumed-role/tester/tester");
    let hopeless = json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/tester"});
    assert!(caller(&with_identity(hopeless), None).is_err());
}

#[test]
fn root_federated_service_anonymous() {
    assert_eq!(
        principal(json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"})),
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(principal(json!({"type": "Root", "accountId": "111122223333"})), "arn:aws:iam::111122223333:root");

    let fed = caller(
        &with_identity(json!({
            "type": "FederatedUser",
            "arn": "arn:aws:sts::111122223333:federated-user/carol",
            "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}}
        })),
        None,
    )
    .unwrap();
    assert_eq!(fed.principal, "arn:aws:sts::111122223333:federated-user/carol");
    assert!(fed.not_evaluable.as_deref().unwrap().contains("GetFederationToken"));

    assert_eq!(
        principal(json!({"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"})),
        "cloudtrail.amazonaws.com"
    );
    assert!(caller(&with_identity(json!({"type": "AWSService"})), None).is_err());

    assert_eq!(
        principal(json!({"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"})),
        "anonymous"
    );
    let none = caller(&json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}), None).unwrap();
    assert_eq!(none.principal, "anonymous");

    assert_eq!(
        principal(json!({"type": "WebIdentityUser", "identityProvider": "accounts.google.com", "userName": "x"})),
        "accounts.google.com"
    );
    let saml = json!({
        "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithSAML",
        "userIdentity": {"type": "SAMLUser", "identityProvider": "opaque", "userName": "x"},
        "requestParameters": {"principalArn": "arn:aws:iam::111122223333:saml-provider/Okta", "roleArn": "arn:aws:iam::111122223333:role/sso"}
    });
    assert_eq!(caller(&saml, None).unwrap().principal, "arn:aws:iam::111122223333:saml-provider/Okta");

    let err = caller(&with_identity(json!({"type": "IdentityCenterUser"})), None).unwrap_err();
    assert!(err.contains("IdentityCenterUser"), "{err}");
}

#[test]
fn cross_account_callers() {
    let other = json!({"type": "IAMUser", "arn": "arn:aws:iam::444455556666:user/eve", "accountId": "444455556666"});
    let c = caller(&with_identity(other), None).unwrap();
    assert!(c.notes.iter().any(|n| n.contains("cross-account") && n.contains("444455556666")), "{:?}", c.notes);

    // A caller of another account named only by unique id: unknown, unless the data has it.
    let by_id = json!({"type": "AWSAccount", "principalId": "AROAOPS:bob", "accountId": "444455556666"});
    let err = caller(&with_identity(by_id.clone()), None).unwrap_err();
    assert!(err.contains("only by its unique id `AROAOPS:bob`"), "{err}");
    let mut data = AccountData::default();
    let mut account = Account { id: "444455556666".to_string(), ..Account::default() };
    account.roles.insert(
        "ops".to_string(),
        Role {
            arn: "arn:aws:iam::444455556666:role/ops".to_string(),
            name: "ops".to_string(),
            path: "/".to_string(),
            id: Some("AROAOPS".to_string()),
            ..Role::default()
        },
    );
    data.accounts.insert("444455556666".to_string(), account);
    let c = caller(&with_identity(by_id), Some(&data)).unwrap();
    assert_eq!(c.principal, "arn:aws:sts::444455556666:assumed-role/ops/bob");
}

fn event(source: &str, name: &str, params: Value) -> Value {
    json!({
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-central-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "requestParameters": params,
    })
}

/// The resource rebuilt without a service reference (the built-in formats).
fn resource(action: &str, params: Value) -> (String, bool) {
    let r = resource_for(&event("x.amazonaws.com", "X", params), action, None);
    (r.arn, r.determined)
}

#[test]
fn resources_of_common_services() {
    let cases = [
        ("s3:GetObject", json!({"bucketName": "b", "key": "a/b.txt"}), "arn:aws:s3:::b/a/b.txt"),
        ("s3:PutBucketPolicy", json!({"bucketName": "b", "host": ["b.s3.amazonaws.com"]}), "arn:aws:s3:::b"),
        ("iam:GetRole", json!({"roleName": "ops"}), "arn:aws:iam::111122223333:role/ops"),
        ("iam:DeleteUser", json!({"userName": "alice"}), "arn:aws:iam::111122223333:user/alice"),
        (
            "iam:CreatePolicyVersion",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "setAsDefault": true}),
            "arn:aws:iam::111122223333:policy/p",
        ),
        (
            "sts:AssumeRole",
            json!({"roleArn": "arn:aws:iam::444455556666:role/x", "roleSessionName": "s"}),
            "arn:aws:iam::444455556666:role/x",
        ),
        ("ec2:GetPasswordData", json!({"instanceId": "i-1"}), "arn:aws:ec2:eu-central-1:111122223333:instance/i-1"),
        (
            "ec2:StopInstances",
            json!({"instancesSet": {"items": [{"instanceId": "i-1"}, {"instanceId": "i-2"}]}, "force": false}),
            "arn:aws:ec2:eu-central-1:111122223333:instance/i-1",
        ),
        ("kms:Decrypt", json!({"keyId": "1234abcd-12ab"}), "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab"),
        (
            "kms:Decrypt",
            json!({"keyId": "arn:aws:kms:eu-central-1:444455556666:key/k"}),
            "arn:aws:kms:eu-central-1:444455556666:key/k",
        ),
        ("lambda:InvokeFunction", json!({"functionName": "f"}), "arn:aws:lambda:eu-central-1:111122223333:function:f"),
        (
            "sqs:SendMessage",
            json!({"queueUrl": "https://sqs.us-west-2.amazonaws.com/444455556666/q", "messageBody": "hi"}),
            "arn:aws:sqs:us-west-2:444455556666:q",
        ),
        (
            "sns:Publish",
            json!({"topicArn": "arn:aws:sns:eu-central-1:111122223333:t"}),
            "arn:aws:sns:eu-central-1:111122223333:t",
        ),
        (
            "secretsmanager:GetSecretValue",
            json!({"secretId": "arn:aws:secretsmanager:eu-central-1:111122223333:secret:s-AbC123"}),
            "arn:aws:secretsmanager:eu-central-1:111122223333:secret:s-AbC123",
        ),
    ];
    for (action, params, want) in cases {
        assert_eq!(resource(action, params.clone()), (want.to_string(), true), "{action} {params}");
    }
    // A KMS alias names no key; nothing else to go on.
    let r = resource_for(&event("kms.amazonaws.com", "Decrypt", json!({"keyId": "alias/app"})), "kms:Decrypt", None);
    assert!(r.notes.iter().any(|n| n.contains("alias")), "{:?}", r.notes);
    // Nothing to build a resource from.
    assert_eq!(resource("organizations:LeaveOrganization", Value::Null), ("*".to_string(), false));
    assert_eq!(resource("s3:ListAllMyBuckets", json!({"Host": "s3.amazonaws.com"})), ("*".to_string(), false));
}

fn service_reference() -> Option<ServiceReference> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/service-reference");
    if !dir.is_dir() {
        absent(&dir);
        return None;
    }
    Some(ServiceReference::load(&dir).unwrap())
}

#[test]
fn actions_and_resources_from_the_service_reference() {
    let Some(sref) = service_reference() else { return };
    println!("{} services", sref.len());
    let one = |source: &str, name: &str, params: Value| {
        let b = rebuild(&event(source, name, params), Some(&sref), None).unwrap();
        let t = &b.targets[0];
        (t.action.clone(), t.resource.clone(), b.other_actions.clone())
    };
    // The IAM action differs from the operation name.
    let (action, resource, _) = one("s3.amazonaws.com", "DeleteBucketEncryption", json!({"bucketName": "b"}));
    assert_eq!((action.as_str(), resource.as_str()), ("s3:PutEncryptionConfiguration", "arn:aws:s3:::b"));
    // The API version suffix Lambda logs.
    let (action, resource, _) = one("lambda.amazonaws.com", "ListFunctions20150331", Value::Null);
    assert_eq!((action.as_str(), resource.as_str()), ("lambda:ListFunctions", "*"));
    let (action, _, _) = one("lambda.amazonaws.com", "Invoke", json!({"functionName": "f"}));
    assert_eq!(action, "lambda:InvokeFunction");
    // The operation's own action is evaluated; conditional ones are listed.
    let (action, resource, others) = one("s3.amazonaws.com", "GetObject", json!({"bucketName": "b", "key": "k"}));
    assert_eq!((action.as_str(), resource.as_str()), ("s3:GetObject", "arn:aws:s3:::b/k"));
    assert!(others.contains(&"s3:GetObjectVersion".to_string()), "{others:?}");
    // eventSource host names that are not the IAM prefix.
    let (action, _, _) = one("monitoring.amazonaws.com", "PutMetricData", json!({"namespace": "x"}));
    assert_eq!(action, "cloudwatch:PutMetricData");
    // RDS names resources by identifier, in ARNs of its own shape.
    let (_, resource, _) = one("rds.amazonaws.com", "DeleteDBInstance", json!({"dBInstanceIdentifier": "prod"}));
    assert_eq!(resource, "arn:aws:rds:eu-central-1:111122223333:db:prod");
    // An ARN inside a policy document is not the resource when the parameters name one.
    let (_, resource, _) = one(
        "s3.amazonaws.com",
        "PutBucketPolicy",
        json!({"bucketName": "b", "bucketPolicy": {"Statement": [{"Resource": "arn:aws:s3:::other"}]}}),
    );
    assert_eq!(resource, "arn:aws:s3:::b");
}

#[test]
fn file_shapes() {
    let record = event("s3.amazonaws.com", "GetObject", json!({}));
    assert_eq!(records_of(json!({"Records": [record.clone(), record.clone()]})).unwrap().len(), 2);
    let lookup = json!({"Events": [
        {"EventId": "1", "CloudTrailEvent": record.to_string()},
        {"EventId": "2", "CloudTrailEvent": record.clone()}
    ]});
    let got = records_of(lookup).unwrap();
    assert_eq!(got, vec![record.clone(), record.clone()]);
    assert_eq!(records_of(json!([record.clone()])).unwrap().len(), 1);
    assert_eq!(records_of(record).unwrap().len(), 1);
    assert!(records_of(json!({"UserDetailList": []})).unwrap_err().contains("not CloudTrail events"));
    assert!(records_of(json!({"Events": [{"EventId": "1"}]})).unwrap_err().contains("CloudTrailEvent"));
}

/// A corpus under `../shared/corpora` is absent: with `CI` set the test fails; otherwise it is
/// skipped and says so on the process's standard error, past the test harness's capture.
fn absent(path: &Path) {
    let message =
        format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
}
