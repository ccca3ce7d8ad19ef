//! IAM211: an action of another service in a resource policy of a known resource type.

use iamspect_core::PolicyType;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::{Ctx, has_wildcard};

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM211",
    name: "unsupported-action-for-resource-type",
    issue_code: "UNSUPPORTED_ACTION_IN_POLICY",
    severity: Severity::Error,
    doc: r#"## What it does
When the resource type of a resource policy is known (`AWS::S3::Bucket`, `AWS::SQS::Queue`,
`AWS::KMS::Key`, `AWS::IAM::AssumeRolePolicyDocument`, ...), reports actions of services other
than the resource's own.

## Why is this bad?
A resource policy only governs its resource's service: an `sqs:` action in a bucket policy does
nothing, and AWS rejects it.

## Example
A bucket policy with:
```json
{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sqs:SendMessage", "Resource": "*"}
```
"#,
};

/// The service prefixes a resource type's policy may name.
fn services_of(resource_type: &str) -> Option<&'static [&'static str]> {
    Some(match resource_type {
        "AWS::S3::Bucket" | "AWS::S3::AccessPoint" | "AWS::S3::MultiRegionAccessPoint" => &["s3"],
        "AWS::S3ObjectLambda::AccessPoint" => &["s3-object-lambda", "s3"],
        "AWS::S3Express::DirectoryBucket" => &["s3express"],
        "AWS::IAM::AssumeRolePolicyDocument" => &["sts"],
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::Stream" => &["dynamodb"],
        "AWS::SQS::Queue" => &["sqs"],
        "AWS::SNS::Topic" => &["sns"],
        "AWS::KMS::Key" => &["kms"],
        "AWS::SecretsManager::Secret" => &["secretsmanager"],
        "AWS::ECR::Repository" => &["ecr"],
        "AWS::Lambda::Function" => &["lambda"],
        "AWS::Kinesis::Stream" | "AWS::Kinesis::StreamConsumer" => &["kinesis"],
        "AWS::EFS::FileSystem" => &["elasticfilesystem"],
        "AWS::Backup::BackupVault" => &["backup"],
        "AWS::Glacier::Vault" | "AWS::S3::Glacier" => &["glacier"],
        "AWS::OpenSearchService::Domain" => &["es"],
        "AWS::ApiGateway::RestApi" => &["execute-api"],
        "AWS::CodeArtifact::Domain" => &["codeartifact"],
        _ => return None,
    })
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    if !matches!(cx.target.policy_type, PolicyType::Resource | PolicyType::Trust) {
        return;
    }
    let Some(rt) = cx.target.resource_type else { return };
    let Some(allowed) = services_of(rt) else { return };
    for s in &cx.statements {
        if s.not_action {
            continue;
        }
        for a in &s.actions {
            let Some((prefix, _)) = a.text.split_once(':') else { continue };
            if has_wildcard(prefix) || allowed.iter().any(|p| p.eq_ignore_ascii_case(prefix)) {
                continue;
            }
            out.push(&INFO, Some(a.span), format!("`{}` is not an action a policy of `{rt}` can govern", a.text));
        }
    }
}
