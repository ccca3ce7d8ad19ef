//! `iam:PassRole` with a service that then runs the caller's code as the passed role: a new
//! Lambda function (invoked, or triggered by an event source), an EC2 instance with the role's
//! instance profile, a Glue development endpoint, a CloudFormation stack, a Data Pipeline, a
//! CodeBuild project, a SageMaker notebook instance, processing job or training job, an ECS task.
//! The role must trust the service (decided on its trust policy), and `iam:PassRole` is decided
//! with `iam:PassedToService` naming it. New resources are named `iamspect-path` (decision D91).

use super::{Ctx, NEW_NAME, REGION, edge};
use crate::paths::{Edge, Gain};

pub(super) const ABOUT: (&str, &str) = (
    "iam:PassRole",
    "passes a role to a service that runs the caller's code as that role (Lambda, EC2, Glue, CloudFormation, Data Pipeline, CodeBuild, SageMaker, ECS)",
);

/// One way to run code as a passed role.
struct Way {
    /// What it is called.
    name: &'static str,
    /// The service principal the role must trust and `iam:PassedToService` names.
    service: &'static str,
    /// The requests besides `iam:PassRole`: action and resource (`{r}` Region, `{a}` account,
    /// `{n}` the new resource's name).
    requests: &'static [(&'static str, &'static str)],
    /// The role must have an instance profile (EC2).
    instance_profile: bool,
    /// What else it needs that requests do not show.
    needs: Option<&'static str>,
}

const WAYS: &[Way] = &[
    Way {
        name: "a new Lambda function, invoked",
        service: "lambda.amazonaws.com",
        requests: &[
            ("lambda:CreateFunction", "arn:aws:lambda:{r}:{a}:function:{n}"),
            ("lambda:InvokeFunction", "arn:aws:lambda:{r}:{a}:function:{n}"),
        ],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new Lambda function, triggered by an event source",
        service: "lambda.amazonaws.com",
        requests: &[
            ("lambda:CreateFunction", "arn:aws:lambda:{r}:{a}:function:{n}"),
            ("lambda:CreateEventSourceMapping", "*"),
        ],
        instance_profile: false,
        needs: Some(
            "an event source the function can be mapped to (a DynamoDB or Kinesis stream, an SQS queue) that receives events",
        ),
    },
    Way {
        name: "a new EC2 instance with the role's instance profile",
        service: "ec2.amazonaws.com",
        requests: &[("ec2:RunInstances", "arn:aws:ec2:{r}:{a}:instance/*")],
        instance_profile: true,
        needs: None,
    },
    Way {
        name: "a new Glue development endpoint",
        service: "glue.amazonaws.com",
        requests: &[("glue:CreateDevEndpoint", "*")],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new CloudFormation stack",
        service: "cloudformation.amazonaws.com",
        requests: &[("cloudformation:CreateStack", "arn:aws:cloudformation:{r}:{a}:stack/{n}/*")],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new Data Pipeline",
        service: "datapipeline.amazonaws.com",
        requests: &[
            ("datapipeline:CreatePipeline", "*"),
            ("datapipeline:PutPipelineDefinition", "arn:aws:datapipeline:{r}:{a}:pipeline/*"),
            ("datapipeline:ActivatePipeline", "arn:aws:datapipeline:{r}:{a}:pipeline/*"),
        ],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new CodeBuild project",
        service: "codebuild.amazonaws.com",
        requests: &[
            ("codebuild:CreateProject", "arn:aws:codebuild:{r}:{a}:project/{n}"),
            ("codebuild:StartBuild", "arn:aws:codebuild:{r}:{a}:project/{n}"),
        ],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new SageMaker notebook instance",
        service: "sagemaker.amazonaws.com",
        requests: &[
            ("sagemaker:CreateNotebookInstance", "arn:aws:sagemaker:{r}:{a}:notebook-instance/{n}"),
            ("sagemaker:CreatePresignedNotebookInstanceUrl", "arn:aws:sagemaker:{r}:{a}:notebook-instance/{n}"),
        ],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new SageMaker processing job",
        service: "sagemaker.amazonaws.com",
        requests: &[("sagemaker:CreateProcessingJob", "arn:aws:sagemaker:{r}:{a}:processing-job/{n}")],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new SageMaker training job",
        service: "sagemaker.amazonaws.com",
        requests: &[("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:{r}:{a}:training-job/{n}")],
        instance_profile: false,
        needs: None,
    },
    Way {
        name: "a new ECS task",
        service: "ecs-tasks.amazonaws.com",
        requests: &[("ecs:RegisterTaskDefinition", "*"), ("ecs:RunTask", "arn:aws:ecs:{r}:{a}:task-definition/{n}:1")],
        instance_profile: false,
        needs: Some("an ECS cluster to run the task in"),
    },
];

pub(super) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    if !cx.may(&node.principal, "iam:PassRole") {
        return;
    }
    let account = cx.account(from).to_string();
    let ways: Vec<&Way> = WAYS.iter().filter(|w| w.requests.iter().all(|(a, _)| cx.may(&node.principal, a))).collect();
    if ways.is_empty() {
        return;
    }
    for (to, role) in cx.local(from, "role") {
        if role.arn == node.arn || role.principal.principal.account() != Some(account.as_str()) {
            continue;
        }
        if !cx.may_on(&node.principal, "iam:PassRole", &role.arn) {
            continue;
        }
        let profiles = cx.role(role).is_some_and(|r| !r.instance_profiles.is_empty());
        for way in &ways {
            if way.instance_profile && !profiles {
                continue;
            }
            let Some(trusted) = cx.service_trusted(role, way.service) else { continue };
            let passed = [("iam:PassedToService", way.service)];
            let Some(pass) = cx.ask(&node.principal, "iam:PassRole", &role.arn, &passed, None) else { continue };
            let requests: Vec<(&str, String)> = way
                .requests
                .iter()
                .map(|(a, r)| (*a, r.replace("{r}", REGION).replace("{a}", &account).replace("{n}", NEW_NAME)))
                .collect();
            let Some(mut decided) = cx.ask_all(&node.principal, &requests, &[]) else { continue };
            decided.insert(0, pass);
            let mut needs = Vec::new();
            if trusted.conditional {
                needs.push(format!(
                    "`{}` trusts {} only with {}",
                    role.arn,
                    way.service,
                    trusted.context.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
                ));
            }
            needs.extend(way.needs.map(str::to_string));
            let story = format!("`{}` can pass `{}` to {} and run its code there", node.arn, role.arn, way.name);
            let mut e = edge(from, to, ABOUT.0, Gain::Becomes, decided, &["iam:PassedToService"], story);
            e.conditions.extend(needs);
            out.push(e);
            break;
        }
    }
}
