//! The gates beside the policies that iamspect does not decide, named as possible causes with
//! what to check (decisions D141–D144): opt-in Regions, CloudFormation stack policies, the IAM
//! password policy, the SSM default host management role, RAM resource shares; and, for the
//! gates iamspect does decide, what to give it (KMS grants, S3 object ownership, access points).

use crate::message::AccessDeniedMessage;

/// Services whose resources AWS RAM shares across accounts (the prefixes of "Shareable AWS
/// resources" in the RAM User Guide), for naming a RAM share as a possible cause.
const RAM_SERVICES: &[&str] = &[
    "acm-pca",
    "appmesh",
    "codebuild",
    "ec2",
    "glue",
    "imagebuilder",
    "license-manager",
    "network-firewall",
    "networkmanager",
    "outposts",
    "rds",
    "resource-groups",
    "route53resolver",
    "ssm-contacts",
    "vpc-lattice",
];

fn lower_action(action: &str) -> String {
    action.to_ascii_lowercase()
}

/// The possible causes for a denial of `msg`'s request that sit outside the policies.
pub fn causes_for_message(msg: &AccessDeniedMessage) -> Vec<String> {
    let action = lower_action(&msg.action);
    let resource = msg.resource.as_deref().unwrap_or("");
    let mut out = Vec::new();
    let (service, name) = action.split_once(':').unwrap_or(("", ""));
    if service == "kms" {
        out.push(format!(
            "possible cause outside the policies: a KMS grant can allow what the key policy does not; list the key's grants (`aws kms list-grants --key-id {}`) and give them to iamspect (account data, or `kmsGrants` in a case)",
            if resource.is_empty() { "KEY" } else { resource }
        ));
    }
    if service == "s3" && resource.contains('/') && !resource.contains(":accesspoint/") {
        out.push(
            "possible cause outside the policies: an object uploaded by another account under ObjectWriter or BucketOwnerPreferred belongs to that account, and its object ACL must grant; check `aws s3api get-bucket-ownership-controls` and `aws s3api get-object-acl` (in a case: `s3.objectOwner`, `s3.objectAcl`)".to_string(),
        );
    }
    if service == "s3" && resource.contains(":accesspoint/") {
        out.push(
            "possible cause outside the policies: through an access point, both the access point policy and the bucket policy must allow (the bucket may delegate with `s3:DataAccessPointAccount`), and a VPC access point refuses requests from outside its VPC; check `aws s3control get-access-point` and `get-access-point-policy` (in a case: `accessPoint`)".to_string(),
        );
    }
    if service == "cloudformation"
        && ["updatestack", "executechangeset", "continueupdaterollback", "createchangeset"].contains(&name)
    {
        out.push(
            "possible cause outside the policies: the stack's stack policy may forbid updating, replacing or deleting some of its resources (CloudFormation reports \"Action denied by stack policy\"); check `aws cloudformation get-stack-policy --stack-name STACK` against the update's resource changes".to_string(),
        );
    }
    if service == "iam" && ["changepassword", "createloginprofile", "updateloginprofile"].contains(&name) {
        out.push(
            "possible cause outside the policies: the account's password policy (`aws iam get-account-password-policy`): a password that breaks it fails with PasswordPolicyViolation; with `AllowUsersToChangePassword` false a user needs an identity policy allowing iam:ChangePassword on itself; with `HardExpiry` an expired password can only be reset by an administrator".to_string(),
        );
    }
    if service == "ssm" && ["startsession", "sendcommand", "updateinstanceinformation"].contains(&name) {
        out.push(
            "possible cause outside the policies: an instance managed through Default Host Management Configuration uses the role in the service setting `/ssm/managed-instance/default-ec2-instance-management-role` (`aws ssm get-service-setting --setting-id arn:aws:ssm:REGION:ACCOUNT:servicesetting/ssm/managed-instance/default-ec2-instance-management-role`); that role needs AmazonSSMManagedEC2InstanceDefaultPolicy, the instance IMDSv2 and SSM Agent 3.2.582.0 or later".to_string(),
        );
    }
    let other_account = iamspect_core::Arn::parse(resource).filter(|a| {
        !a.account.is_empty()
            && RAM_SERVICES.contains(&a.service)
            && iamspect_core::Arn::parse(&msg.principal).is_some_and(|p| p.account != a.account)
    });
    if let Some(arn) = other_account {
        out.push(format!(
            "possible cause outside the policies: {resource} belongs to account {}; if it reaches this account through an AWS RAM resource share, the share must include this account and be active, and only the actions of its RAM managed permission are allowed; check `aws ram get-resource-shares --resource-owner OTHER-ACCOUNTS` and `aws ram list-resource-share-permissions`",
            arn.account
        ));
    }
    out
}

/// Possible causes for an error text that is not an AccessDenied message: `None` when the text is
/// none of the gates named here.
pub fn causes_for_text(text: &str) -> Option<Vec<String>> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    if lower.contains("security token included in the request is invalid") || lower.contains("invalidclienttokenid") {
        out.push(
            "a request to an opt-in Region the account has not enabled fails at authentication with this error (InvalidClientTokenId), before any policy is weighed: check `aws account get-region-opt-status --region-name REGION` and enable it with `aws account enable-region --region-name REGION`; otherwise the access key is wrong, deleted or inactive (`aws iam list-access-keys`), or a session token is missing".to_string(),
        );
    }
    if lower.contains("sts is not activated in this region") || lower.contains("regiondisabledexception") {
        out.push(
            "STS in this Region is not activated for the account: activate it in the IAM console's Account settings (Security Token Service regions), or call the global endpoint sts.amazonaws.com".to_string(),
        );
    }
    if lower.contains("stack policy") {
        out.push(
            "the stack's stack policy forbids an update, replacement or deletion the change makes: check `aws cloudformation get-stack-policy --stack-name STACK` and the change set's resource changes (`aws cloudformation describe-change-set`); a temporary overriding policy can be given with `--stack-policy-during-update-body`".to_string(),
        );
    }
    if lower.contains("passwordpolicyviolation") || lower.contains("password policy") {
        out.push(
            "the password breaks the account's password policy: check `aws iam get-account-password-policy` (length, character classes, reuse prevention)".to_string(),
        );
    }
    if lower.contains("default host management") || lower.contains("default-ec2-instance-management-role") {
        out.push(
            "Default Host Management Configuration: check the service setting `/ssm/managed-instance/default-ec2-instance-management-role` and that its role has AmazonSSMManagedEC2InstanceDefaultPolicy".to_string(),
        );
    }
    if lower.contains("resource share") || lower.contains("resourcesharenotfound") {
        out.push(
            "AWS RAM: check that the resource share includes this account and is active (`aws ram get-resource-shares`, `aws ram get-resource-share-invitations`) and which actions its managed permission allows (`aws ram list-resource-share-permissions`)".to_string(),
        );
    }
    (!out.is_empty()).then_some(out)
}
