//! End to end: a hand-written account dump (GAAD JSON, written to a temporary folder) and
//! hand-written denied events, read from a `Records` file and from `lookup-events` output, that
//! iamspect must reproduce, and one it must not (AWS denied it for a reason outside the data).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};

use iamspect_core::Decision;
use iamspect_replay::{NotRebuilt, Replayer, Verdict, read_paths, replay_all};
use serde_json::{Value, json};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("iamspect-replay-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, v: &Value) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ACCOUNT: &str = "111122223333";

fn gaad() -> Value {
    json!({
        "UserDetailList": [{
            "UserName": "alice",
            "UserId": "AIDAALICEEXAMPLE00001",
            "Arn": "arn:aws:iam::111122223333:user/alice",
            "Path": "/",
            "GroupList": [],
            "AttachedManagedPolicies": [],
            "UserPolicyList": [{
                "PolicyName": "reports",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"},
                        {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
                    ]
                }
            }]
        }],
        "GroupDetailList": [],
        "RoleDetailList": [{
            "RoleName": "ops",
            "RoleId": "AROAOPSEXAMPLE0000001",
            "Arn": "arn:aws:iam::111122223333:role/ops",
            "Path": "/",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]
            },
            "InstanceProfileList": [],
            "AttachedManagedPolicies": [{"PolicyName": "ops-policy", "PolicyArn": "arn:aws:iam::111122223333:policy/ops-policy"}],
            "RolePolicyList": []
        }],
        "Policies": [{
            "PolicyName": "ops-policy",
            "Arn": "arn:aws:iam::111122223333:policy/ops-policy",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{
                "VersionId": "v1",
                "IsDefaultVersion": true,
                "Document": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["ec2:*", "secretsmanager:GetSecretValue"], "Resource": "*"},
                        {
                            "Sid": "OfficeOnly",
                            "Effect": "Deny",
                            "Action": "ec2:GetPasswordData",
                            "Resource": "*",
                            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
                        },
                        {
                            "Sid": "MfaForSecrets",
                            "Effect": "Deny",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": "*",
                            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
                        }
                    ]
                }
            }]
        }]
    })
}

fn user_identity() -> Value {
    json!({
        "type": "IAMUser",
        "principalId": "AIDAALICEEXAMPLE00001",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAALICEEXAMPLE0001",
        "userName": "alice"
    })
}

fn role_identity(mfa: &str) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": "AROAOPSEXAMPLE0000001:bob",
        "arn": "arn:aws:sts::111122223333:assumed-role/ops/bob",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAOPSEXAMPLE000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAOPSEXAMPLE0000001",
                "arn": "arn:aws:iam::111122223333:role/ops",
                "accountId": ACCOUNT,
                "userName": "ops"
            },
            "attributes": {"creationDate": "2025-03-01T09:00:00Z", "mfaAuthenticated": mfa}
        }
    })
}

fn event(id: &str, identity: Value, source: &str, name: &str, code: &str, message: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": "2025-03-01T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "errorCode": code,
        "errorMessage": message,
        "requestParameters": params,
        "responseElements": null,
        "eventID": id,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT
    })
}

fn records() -> Vec<Value> {
    vec![
        // Alice may read `reports` only: an implicit deny in her identity policy.
        event(
            "s3-other-bucket",
            user_identity(),
            "s3.amazonaws.com",
            "GetObject",
            "AccessDenied",
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::payroll/2025/march.csv\" because no identity-based policy allows the s3:GetObject action",
            json!({"bucketName": "payroll", "key": "2025/march.csv", "Host": "payroll.s3.eu-west-1.amazonaws.com"}),
        ),
        // The role may not read instance passwords from outside 10/8: an explicit deny, through the source IP.
        event(
            "ec2-password",
            role_identity("true"),
            "ec2.amazonaws.com",
            "GetPasswordData",
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation. Encoded authorization failure message: AbCdEf012345",
            json!({"instanceId": "i-0123456789abcdef0"}),
        ),
        // Secrets need MFA: the session was created without it.
        event(
            "secret-no-mfa",
            role_identity("false"),
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            "AccessDeniedException",
            "User: arn:aws:sts::111122223333:assumed-role/ops/bob is not authorized to perform: secretsmanager:GetSecretValue on resource: db-password because no identity-based policy allows the secretsmanager:GetSecretValue action",
            json!({"secretId": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbC123"}),
        ),
        // Not a denial: skipped.
        json!({
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": "ok",
            "userIdentity": user_identity(), "recipientAccountId": ACCOUNT
        }),
    ]
}

fn lookup_events() -> Value {
    // `aws cloudtrail lookup-events` output: each event is a JSON string.
    let allowed_by_data = event(
        "s3-reports-denied-elsewhere",
        user_identity(),
        "s3.amazonaws.com",
        "GetObject",
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::reports/q1.pdf\" with an explicit deny in a service control policy",
        json!({"bucketName": "reports", "key": "q1.pdf"}),
    );
    let stranger = event(
        "unknown-user",
        json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "accountId": ACCOUNT, "userName": "mallory"}),
        "iam.amazonaws.com",
        "GetRole",
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:GetRole on resource: role ops",
        json!({"roleName": "ops"}),
    );
    json!({"Events": [
        {"EventId": "1", "EventName": "GetObject", "CloudTrailEvent": allowed_by_data.to_string()},
        {"EventId": "2", "EventName": "GetRole", "CloudTrailEvent": stranger.to_string()},
    ]})
}

fn run(dir: &Path) -> (Vec<iamspect_replay::EventReport>, iamspect_replay::Summary) {
    let (data, report) = iamspect_account::load_paths(&[dir.join("account")]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let read = read_paths(&[dir.join("events")]);
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    assert_eq!(read.events.len(), 6);
    // No service reference: actions are assumed from the event names, which is enough here.
    let mut replayer = Replayer::new(None, Some(&data));
    replay_all(&mut replayer, &read.events)
}

#[test]
fn denials_are_reproduced_with_their_reasons() {
    let tmp = TempDir::new("e2e");
    std::fs::create_dir_all(tmp.0.join("account")).unwrap();
    std::fs::create_dir_all(tmp.0.join("events")).unwrap();
    tmp.write("account/gaad.json", &gaad());
    tmp.write("events/trail.json", &json!({"Records": records()}));
    tmp.write("events/lookup.json", &lookup_events());
    let (reports, summary) = run(&tmp.0);
    println!("{}", summary.line());
    for r in &reports {
        println!("{}", serde_json::to_string_pretty(&r.json()).unwrap());
    }
    assert_eq!(summary.events, 5);
    assert_eq!(summary.other_records, 1);
    assert_eq!(summary.reproduced, 3);
    assert_eq!(summary.allowed, 1);
    assert_eq!(summary.not_rebuilt, 1);
    assert_eq!(summary.principal_not_in_data, 1);
    assert_eq!(
        summary.line(),
        "5 events: 3 reproduced, 1 allowed by iamspect, 1 not rebuilt (1 because the principal is not in the account data); 1 other records skipped"
    );

    let by_id = |id: &str| reports.iter().find(|r| r.event_id.as_deref() == Some(id)).unwrap();

    let r = by_id("s3-other-bucket");
    assert_eq!(r.verdict, Verdict::Reproduced);
    let e = &r.evaluations[0];
    assert_eq!((e.action.as_str(), e.resource.as_str()), ("s3:GetObject", "arn:aws:s3:::payroll/2025/march.csv"));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(r.same_reason, Some(true));
    assert_eq!(
        e.message.as_ref().unwrap().render(),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::payroll/2025/march.csv\" because no identity-based policy allows the s3:GetObject action"
    );
    assert_eq!(r.json()["request"]["actions"][0]["resourceAccount"], ACCOUNT);

    let r = by_id("ec2-password");
    assert_eq!(r.verdict, Verdict::Reproduced);
    let e = &r.evaluations[0];
    assert_eq!(e.resource, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0");
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.message.as_ref().unwrap().policy_arn.as_deref(), Some("arn:aws:iam::111122223333:policy/ops-policy"));
    assert!(r.all_notes().iter().any(|n| n.contains("decode-authorization-message")));
    let ctx = &r.rebuilt.as_ref().unwrap().context;
    let get = |k: &str| ctx.iter().find(|(key, _)| key == k).map(|(_, v)| v[0].as_str());
    assert_eq!(get("aws:SourceIp"), Some("203.0.113.7"));
    assert_eq!(get("aws:MultiFactorAuthPresent"), Some("true"));
    assert_eq!(get("aws:MultiFactorAuthAge"), Some("3600"));
    assert_eq!(get("aws:TokenIssueTime"), Some("2025-03-01T09:00:00Z"));
    assert_eq!(get("aws:CurrentTime"), Some("2025-03-01T10:00:00Z"));
    assert_eq!(get("aws:RequestedRegion"), Some("eu-west-1"));
    assert_eq!(get("aws:userid"), Some("AROAOPSEXAMPLE0000001:bob"));

    let r = by_id("secret-no-mfa");
    assert_eq!(r.verdict, Verdict::Reproduced);
    assert_eq!(r.evaluations[0].decision, Decision::ExplicitDeny);
    // AWS's message (hand-written here) says implicit; iamspect finds the explicit MFA deny.
    assert_eq!(r.same_reason, Some(false));

    let r = by_id("s3-reports-denied-elsewhere");
    assert_eq!(r.verdict, Verdict::AllowedByIamspect);
    assert_eq!(r.evaluations[0].decision, Decision::Allowed);
    assert_eq!(r.json()["result"], "allowedByIamspect");

    let r = by_id("unknown-user");
    let Verdict::NotRebuilt(NotRebuilt::PrincipalNotInAccountData(why)) = &r.verdict else { panic!("{:?}", r.verdict) };
    assert!(why.contains("account 111122223333 has no user `mallory`"), "{why}");
    assert_eq!(r.json()["reasonCode"], "principalNotInAccountData");
    // The request is still shown.
    assert_eq!(r.json()["request"]["actions"][0]["resource"], "arn:aws:iam::111122223333:role/ops");
}

#[test]
fn long_term_keys_carry_no_mfa_key() {
    // The same secret read by Alice with long-term keys: `aws:MultiFactorAuthPresent` is absent.
    let e = event(
        "x",
        user_identity(),
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
        "AccessDeniedException",
        "",
        json!({"secretId": "db-password"}),
    );
    let b = iamspect_replay::rebuild(&e, None, None).unwrap();
    assert!(b.context.iter().all(|(k, _)| k != "aws:MultiFactorAuthPresent"));
    assert_eq!(b.targets[0].resource, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password");
    assert!(b.notes.iter().any(|n| n.contains("six random characters")));
}
