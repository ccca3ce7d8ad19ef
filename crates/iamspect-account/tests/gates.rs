//! KMS grants from `aws kms list-grants` (decision D135): loaded beside the key policy, weighed by
//! decisions on account data, and the grants iamspect cannot weigh skipped with a note.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::PathBuf;

use iamspect_account::{AccountData, LoadReport, load_paths};
use iamspect_case::{Compiler, from_account_data};
use iamspect_core::{Decision, authorize};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamspect-account-gates-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const GAAD: &str = r#"{"UserDetailList": [
  {"Path": "/", "UserName": "alice", "UserId": "AIDAALICE", "Arn": "arn:aws:iam::111122223333:user/alice", "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": []},
  {"Path": "/", "UserName": "bob", "UserId": "AIDABOB", "Arn": "arn:aws:iam::111122223333:user/bob", "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": []}
], "GroupDetailList": [], "Policies": [], "RoleDetailList": []}"#;

/// The key policy lets only a key administrator in.
const KEY_POLICY: &str = r#"{"Policy": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/KeyAdmin\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]}"}"#;

fn grants() -> String {
    format!(
        r#"{{"Grants": [
  {{"KeyId": "{KEY}", "GrantId": "abc123", "Name": "", "CreationDate": "2026-01-01T00:00:00+00:00",
    "GranteePrincipal": "arn:aws:iam::111122223333:user/alice", "IssuingAccount": "arn:aws:iam::111122223333:root",
    "Operations": ["Decrypt", "DescribeKey"], "Constraints": {{"EncryptionContextSubset": {{"Department": "IT"}}}}}},
  {{"KeyId": "{KEY}", "GrantId": "svc456", "GranteePrincipal": "ec2.us-east-1.amazonaws.com",
    "IssuingAccount": "arn:aws:iam::111122223333:root", "Operations": ["Decrypt"]}}
]}}"#
    )
}

fn load(name: &str, files: &[(&str, String)]) -> (AccountData, LoadReport) {
    let dir = temp_dir(name);
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    load_paths(&[dir])
}

fn decide(data: &AccountData, principal: &str, action: &str, context: &[(&str, &str)]) -> Decision {
    let context: Vec<(String, Vec<String>)> =
        context.iter().map(|(k, v)| ((*k).to_string(), vec![(*v).to_string()])).collect();
    let built = from_account_data(data, principal, action, KEY, None, &context, &mut Compiler::new()).unwrap();
    authorize(&built.request, &built.policies).decision
}

#[test]
fn list_grants_output_is_weighed() {
    let key_file = "kms-get-key-policy_1234abcd-12ab-34cd-56ef-1234567890ab.json";
    let (data, report) = load(
        "weighed",
        &[("gaad.json", GAAD.to_string()), (key_file, KEY_POLICY.to_string()), ("kms-list-grants.json", grants())],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(data.kms_grants[KEY].len(), 1);
    assert!(report.skipped.iter().any(|s| s.contains("ec2.us-east-1.amazonaws.com")), "{:?}", report.skipped);
    let alice = "arn:aws:iam::111122223333:user/alice";
    assert_eq!(decide(&data, alice, "kms:Decrypt", &[("kms:EncryptionContext:Department", "IT")]), Decision::Allowed);
    assert_eq!(
        decide(&data, alice, "kms:Decrypt", &[("kms:EncryptionContext:Department", "HR")]),
        Decision::ImplicitDeny
    );
    assert_eq!(decide(&data, alice, "kms:Encrypt", &[]), Decision::ImplicitDeny);
    assert_eq!(decide(&data, "arn:aws:iam::111122223333:user/bob", "kms:DescribeKey", &[]), Decision::ImplicitDeny);
    assert_eq!(decide(&data, alice, "kms:DescribeKey", &[]), Decision::Allowed);
}

#[test]
fn malformed_list_grants_fails_the_file() {
    let bad = r#"{"Grants": [{"GrantId": "x", "GranteePrincipal": "arn:aws:iam::111122223333:user/alice", "Operations": ["Decrypt"]}]}"#;
    let (data, report) = load("malformed", &[("gaad.json", GAAD.to_string()), ("grants.json", bad.to_string())]);
    assert!(data.kms_grants.is_empty());
    assert!(report.errors.iter().any(|e| e.message.contains("KeyId")), "{:?}", report.errors);
}

const REGIONS: &str = r#"{"Regions": [
  {"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
  {"RegionName": "af-south-1", "RegionOptStatus": "DISABLED"},
  {"RegionName": "eu-south-1", "RegionOptStatus": "ENABLED"},
  {"RegionName": "me-south-1", "RegionOptStatus": "ENABLING"}
]}"#;

const ALLOW_S3: &str = r#"{"UserDetailList": [
  {"Path": "/", "UserName": "alice", "UserId": "AIDAALICE", "Arn": "arn:aws:iam::111122223333:user/alice", "GroupList": [], "AttachedManagedPolicies": [],
   "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}
], "GroupDetailList": [], "Policies": [], "RoleDetailList": []}"#;

fn in_region(data: &AccountData, region: &str) -> Result<Decision, iamspect_case::CaseError> {
    let context = vec![("aws:RequestedRegion".to_string(), vec![region.to_string()])];
    let built = from_account_data(
        data,
        "arn:aws:iam::111122223333:user/alice",
        "s3:ListAllMyBuckets",
        "*",
        None,
        &context,
        &mut Compiler::new(),
    )?;
    Ok(authorize(&built.request, &built.policies).decision)
}

#[test]
fn a_region_the_account_has_not_enabled_fails_at_authentication() {
    let (data, report) =
        load("regions", &[("gaad.json", ALLOW_S3.to_string()), ("account-list-regions.json", REGIONS.to_string())]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(in_region(&data, "us-east-1").unwrap(), Decision::Allowed);
    assert_eq!(in_region(&data, "eu-south-1").unwrap(), Decision::Allowed);
    for region in ["af-south-1", "me-south-1"] {
        let e = in_region(&data, region).unwrap_err();
        assert_eq!(e.code, "InvalidClientTokenId");
        assert!(e.message.contains("aws account enable-region"), "{e}");
    }
    // A Region the output does not list is not refused.
    assert_eq!(in_region(&data, "ap-east-1").unwrap(), Decision::Allowed);
    // The resource's Region counts when the request does not say.
    let built = from_account_data(
        &data,
        "arn:aws:iam::111122223333:user/alice",
        "sqs:SendMessage",
        "arn:aws:sqs:af-south-1:111122223333:q",
        None,
        &[],
        &mut Compiler::new(),
    );
    assert_eq!(built.unwrap_err().code, "InvalidClientTokenId");
}

#[test]
fn list_regions_needs_its_account_when_several_are_loaded() {
    let other = GAAD.replace("111122223333", "444455556666");
    let (data, report) = load(
        "regions-two",
        &[
            ("gaad.json", ALLOW_S3.to_string()),
            ("gaad2.json", other),
            ("account-list-regions.json", REGIONS.to_string()),
            ("account-list-regions_444455556666.json", REGIONS.to_string()),
        ],
    );
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].message.contains("_ACCOUNTID.json"));
    assert!(data.regions.contains_key("444455556666") && !data.regions.contains_key("111122223333"));
    let bad = r#"{"Regions": [{"RegionName": "af-south-1", "RegionOptStatus": "OFF"}]}"#;
    let (_, report) = load("regions-bad", &[("gaad.json", ALLOW_S3.to_string()), ("r.json", bad.to_string())]);
    assert!(report.errors.iter().any(|e| e.message.contains("RegionOptStatus")), "{:?}", report.errors);
}

/// A case through an access point on account data weighs the bucket's policy from the data
/// (decision D138): its deny is not lost.
#[test]
fn access_point_case_on_account_data_weighs_the_buckets_policy() {
    let deny = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/secret/*"}]}"#;
    let bucket_policy = serde_json::json!({ "Policy": deny }).to_string();
    let ap = "arn:aws:s3:us-east-1:111122223333:accesspoint/finance";
    let case = |key: &str| {
        serde_json::json!({"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
            "resource": format!("{ap}/object/{key}"),
            "accessPoint": {"arn": ap, "bucket": "reports", "networkOrigin": "Internet"},
            "expect": {"decision": "allowed"}})
    };
    let cases = serde_json::json!({"cases": [case("secret/a"), case("public/a")]}).to_string();
    let (data, report) = load(
        "access-point",
        &[("gaad.json", ALLOW_S3.to_string()), ("s3-get-bucket-policy_reports.json", bucket_policy)],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let dir = temp_dir("access-point-case");
    let path = dir.join("case.json");
    std::fs::write(&path, cases).unwrap();
    let file = iamspect_case::load_file_with_account_data(&path, &data, &mut Compiler::new()).unwrap();
    let decide = |i: usize| {
        let built = file.cases[i].built.as_ref().unwrap();
        authorize(&built.request, &built.policies).decision
    };
    assert_eq!(decide(0), Decision::ExplicitDeny);
    assert_eq!(decide(1), Decision::Allowed);
}

/// who-can sees grants: the grantee of a grant is listed although no policy names it (decision
/// D135), for the operations the grant gives.
#[test]
fn who_can_lists_the_grantee() {
    let key_file = "kms-get-key-policy_1234abcd-12ab-34cd-56ef-1234567890ab.json";
    let (data, report) = load(
        "who-can",
        &[("gaad.json", GAAD.to_string()), (key_file, KEY_POLICY.to_string()), ("kms-list-grants.json", grants())],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let index = iamspect_account::query::Index::build(&data);
    let now = [("aws:CurrentTime".to_string(), vec!["2026-12-07T00:00:00Z".to_string()])];
    let (allowed, _) = iamspect_account::query::who_can(&data, &index, "kms:DescribeKey", KEY, None, &now).unwrap();
    let names: Vec<&str> = allowed.iter().map(|a| a.principal.as_str()).collect();
    assert!(names.contains(&"arn:aws:iam::111122223333:user/alice"), "{names:?}");
    assert!(!names.contains(&"arn:aws:iam::111122223333:user/bob"), "{names:?}");
    // Not an operation of the grant.
    let (allowed, _) = iamspect_account::query::who_can(&data, &index, "kms:Encrypt", KEY, None, &now).unwrap();
    assert!(!allowed.iter().any(|a| a.principal.ends_with("user/alice")), "{allowed:?}");
    // Decrypt needs the grant's encryption context: without it, alice is named as left out.
    let (allowed, _, left_out) =
        iamspect_account::query::who_can_with(&data, &index, "kms:Decrypt", KEY, None, &now, None).unwrap();
    assert!(!allowed.iter().any(|a| a.principal.ends_with("user/alice")), "{allowed:?}");
    assert!(left_out.iter().any(|l| l.contains("user/alice") && l.contains("Department=IT")), "{left_out:?}");
    let mut with_context = now.to_vec();
    with_context.push(("kms:EncryptionContext:Department".to_string(), vec!["IT".to_string()]));
    let (allowed, _) =
        iamspect_account::query::who_can(&data, &index, "kms:Decrypt", KEY, None, &with_context).unwrap();
    assert!(allowed.iter().any(|a| a.principal.ends_with("user/alice")), "{allowed:?}");
}
