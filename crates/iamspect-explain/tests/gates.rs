//! The gates beside the policies named as possible causes (decisions D141–D144).
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use iamspect_explain::gates::causes_for_text;
use iamspect_explain::parse::{next_steps, parse};

fn steps(message: &str) -> String {
    next_steps(&parse(message).unwrap()).join("\n")
}

#[test]
fn access_denied_messages_name_the_gate_to_check() {
    let s = steps(
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:ChangePassword on resource: arn:aws:iam::111122223333:user/alice because no identity-based policy allows the iam:ChangePassword action",
    );
    assert!(s.contains("get-account-password-policy"), "{s}");
    let s = steps(
        "User: arn:aws:sts::111122223333:assumed-role/Deploy/ci is not authorized to perform: cloudformation:UpdateStack on resource: arn:aws:cloudformation:us-east-1:111122223333:stack/app/1 because no identity-based policy allows the cloudformation:UpdateStack action",
    );
    assert!(s.contains("get-stack-policy"), "{s}");
    let s = steps(
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ssm:StartSession on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0 because no identity-based policy allows the ssm:StartSession action",
    );
    assert!(s.contains("default-ec2-instance-management-role"), "{s}");
    let s = steps(
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:444455556666:subnet/subnet-0abc because no identity-based policy allows the ec2:RunInstances action",
    );
    assert!(s.contains("aws ram get-resource-shares"), "{s}");
    let s = steps(
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no resource-based policy allows the kms:Decrypt action",
    );
    assert!(s.contains("aws kms list-grants"), "{s}");
    // A same-account EC2 request names no RAM share.
    let s = steps(
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc because no identity-based policy allows the ec2:RunInstances action",
    );
    assert!(!s.contains("aws ram"), "{s}");
}

#[test]
fn other_errors_name_the_gate() {
    let c = causes_for_text("An error occurred (InvalidClientTokenId) when calling the ListBuckets operation: The security token included in the request is invalid.").unwrap();
    assert!(c.iter().any(|c| c.contains("enable-region")), "{c:?}");
    let c = causes_for_text("Action denied by stack policy: Statement [#1] does not allow [Update:Replace]").unwrap();
    assert!(c.iter().any(|c| c.contains("get-stack-policy")), "{c:?}");
    let c = causes_for_text("An error occurred (PasswordPolicyViolation) when calling the ChangePassword operation: Password should have at least one uppercase letter").unwrap();
    assert!(c.iter().any(|c| c.contains("get-account-password-policy")), "{c:?}");
    assert!(causes_for_text("something else entirely").is_none());
}
