//! Changing or reaching code that already runs as a role: `lambda:UpdateFunctionCode` on a
//! function, `glue:UpdateDevEndpoint` on a development endpoint, `ssm:SendCommand` and
//! `ssm:StartSession` on an instance, EC2 Instance Connect's `SendSSHPublicKey`,
//! `sagemaker:CreatePresignedNotebookInstanceUrl` on a notebook instance,
//! `cloudformation:UpdateStack` on a stack with a service role. The account data does not list
//! these resources, so each edge says it needs one that runs as the role; the roles are those
//! whose trust policy lets the service assume them (and, for instances, that have an instance
//! profile).

use super::{Ctx, REGION, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT: (&str, &str) = (
    "existing compute",
    "changes or reaches code that already runs as a role: a Lambda function, a Glue development endpoint, an EC2 instance (SSM, EC2 Instance Connect), a SageMaker notebook, a CloudFormation stack",
);

/// One way into existing compute.
struct Way {
    /// The action that does it (also the edge's technique).
    action: &'static str,
    /// Its resource (`{r}` Region, `{a}` account).
    resource: &'static str,
    /// The service principal the role must trust.
    service: &'static str,
    /// The role must have an instance profile (EC2).
    instance_profile: bool,
    /// What must exist (`{role}` is the role).
    needs: &'static str,
}

const WAYS: &[Way] = &[
    Way {
        action: "lambda:UpdateFunctionCode",
        resource: "arn:aws:lambda:{r}:{a}:function:*",
        service: "lambda.amazonaws.com",
        instance_profile: false,
        needs: "a Lambda function with {role} as its execution role, that gets invoked",
    },
    Way {
        action: "glue:UpdateDevEndpoint",
        resource: "arn:aws:glue:{r}:{a}:devEndpoint/*",
        service: "glue.amazonaws.com",
        instance_profile: false,
        needs: "a Glue development endpoint running as {role}",
    },
    Way {
        action: "ssm:SendCommand",
        resource: "arn:aws:ec2:{r}:{a}:instance/*",
        service: "ec2.amazonaws.com",
        instance_profile: true,
        needs: "a running EC2 instance with an instance profile of {role}, managed by SSM",
    },
    Way {
        action: "ssm:StartSession",
        resource: "arn:aws:ec2:{r}:{a}:instance/*",
        service: "ec2.amazonaws.com",
        instance_profile: true,
        needs: "a running EC2 instance with an instance profile of {role}, managed by SSM",
    },
    Way {
        action: "ec2-instance-connect:SendSSHPublicKey",
        resource: "arn:aws:ec2:{r}:{a}:instance/*",
        service: "ec2.amazonaws.com",
        instance_profile: true,
        needs: "a running EC2 instance with an instance profile of {role}, reachable over SSH",
    },
    Way {
        action: "sagemaker:CreatePresignedNotebookInstanceUrl",
        resource: "arn:aws:sagemaker:{r}:{a}:notebook-instance/*",
        service: "sagemaker.amazonaws.com",
        instance_profile: false,
        needs: "a SageMaker notebook instance running as {role}",
    },
    Way {
        action: "cloudformation:UpdateStack",
        resource: "arn:aws:cloudformation:{r}:{a}:stack/*/*",
        service: "cloudformation.amazonaws.com",
        instance_profile: false,
        needs: "a CloudFormation stack with {role} as its service role",
    },
];

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    let ways: Vec<&Way> = WAYS.iter().filter(|w| cx.may(&node.principal, w.action)).collect();
    if ways.is_empty() {
        return;
    }
    let account = cx.account(from).to_string();
    for way in ways {
        let resource = way.resource.replace("{r}", REGION).replace("{a}", &account);
        let Some(d) = cx.ask(&node.principal, way.action, &resource, &[], None) else { continue };
        for (to, role) in cx.local(from, "role") {
            if role.arn == node.arn || role.principal.principal.account() != Some(account.as_str()) {
                continue;
            }
            if way.instance_profile && cx.role(role).is_none_or(|r| r.instance_profiles.is_empty()) {
                continue;
            }
            if cx.service_trusted(role, way.service).is_none() {
                continue;
            }
            let what = way.needs.replace("{role}", &format!("`{}`", role.arn));
            let story = format!("`{}` can use `{}` on {what}", node.arn, way.action);
            let needs = Some(format!("{what} (the account data does not list one)"));
            let mut e = edge(from, to, way.action, Gain::Becomes, vec![d.clone()], &[], story);
            e.conditions.extend(needs);
            out.push(e);
        }
    }
}
