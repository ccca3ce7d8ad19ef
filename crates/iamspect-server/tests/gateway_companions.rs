//! The other actions AWS's service reference lists for an operation, through the gateway (decision
//! D71): roles passed need `iam:PassRole`, tags on a new resource need the service's tagging
//! action and reach the context as `aws:RequestTag/*`, operations without an action of their
//! own name are checked as the listed one, and what the gateway cannot derive is refused.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use common::gateway::*;
use iamspect_server::{AppState, Settings};

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["sqs:CreateQueue", "events:PutTargets", "iam:CreateRole", "ec2:CreateVpc",
     "s3:PutReplicationConfiguration", "lambda:CreateFunction", "logs:StartQuery", "sns:Publish", "ec2:AuthorizeSecurityGroupIngress"], "Resource": "*"},
  {"Effect": "Allow", "Action": "sqs:TagQueue", "Resource": "arn:aws:sqs:us-east-1:111122223333:tagged-*"},
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/ok-*"},
  {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/team": "a"}}},
  {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:us-east-1:111122223333:security-group-rule/*",
     "Condition": {"StringEquals": {"ec2:CreateAction": "AuthorizeSecurityGroupIngress"}}}
]}"#;

async fn server(name: &str) -> Server {
    let dir = common::temp_dir(name);
    std::fs::write(dir.join("gaad.json"), common::gaad(POLICY)).unwrap();
    let state = AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json")]).unwrap();
    start_with(state, None).await
}

fn checks(r: &Reply) -> Vec<(String, String)> {
    let j = r.json();
    let a = j["actions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
    let res = j["resources"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string());
    a.zip(res).collect()
}

fn pair(a: &str, r: &str) -> (String, String) {
    (a.to_string(), r.to_string())
}

fn json<'a>(target: &'a str, body: &str) -> Req<'a> {
    Req::new("POST", "/").header("content-type", "application/x-amz-json-1.1").header("x-amz-target", target).body(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_actions_are_checked_when_the_request_needs_them() {
    let server = server("companions-checked").await;
    // Tags on a new queue: sqs:TagQueue on it, only when tags are given.
    let r =
        call(&server, Some(ALICE), "sqs", form("Action=CreateQueue&QueueName=tagged-1&Tag.1.Key=team&Tag.1.Value=a"))
            .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let queue = "arn:aws:sqs:us-east-1:111122223333:tagged-1";
    assert_eq!(checks(&r), [pair("sqs:CreateQueue", queue), pair("sqs:TagQueue", queue)]);
    let r =
        call(&server, Some(ALICE), "sqs", form("Action=CreateQueue&QueueName=plain-1&Tag.1.Key=team&Tag.1.Value=a"))
            .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.tag("Message").contains("sqs:TagQueue"), "{}", r.body);
    let r = call(&server, Some(ALICE), "sqs", form("Action=CreateQueue&QueueName=plain-1")).await;
    assert_eq!((r.status, checks(&r).len()), (200, 1), "{}", r.body);

    // A role passed anywhere in the body: iam:PassRole on it.
    let targets = |role: &str| {
        format!(
            r#"{{"Rule": "r", "Targets": [{{"Id": "1", "Arn": "arn:aws:sqs:us-east-1:111122223333:q", "RoleArn": "{role}"}}]}}"#
        )
    };
    let r = call(
        &server,
        Some(ALICE),
        "events",
        json("AWSEvents.PutTargets", &targets("arn:aws:iam::111122223333:role/ok-events")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(checks(&r).contains(&pair("iam:PassRole", "arn:aws:iam::111122223333:role/ok-events")), "{}", r.body);
    let r = call(
        &server,
        Some(ALICE),
        "events",
        json("AWSEvents.PutTargets", &targets("arn:aws:iam::111122223333:role/admin")),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("iam:PassRole"), "{}", r.body);

    // Tags reach the context as aws:RequestTag/*.
    let role = |team: &str| {
        format!(
            "Action=CreateRole&RoleName=r1&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=team&Tags.member.1.Value={team}"
        )
    };
    let r = call(&server, Some(ALICE), "iam", form(&role("a"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(checks(&r)[1], pair("iam:TagRole", "arn:aws:iam::111122223333:role/r1"));
    let r = call(&server, Some(ALICE), "iam", form(&role("b"))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.tag("Message").contains("iam:TagRole"), "{}", r.body);

    // EC2: CreateTags on the new resources of each TagSpecification, with ec2:CreateAction.
    let rule = "Action=AuthorizeSecurityGroupIngress&GroupId=sg-1&IpProtocol=tcp&TagSpecification.1.ResourceType=security-group-rule&TagSpecification.1.Tag.1.Key=n&TagSpecification.1.Tag.1.Value=v";
    let r = call(&server, Some(ALICE), "ec2", form(rule)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        checks(&r)[1],
        pair("ec2:CreateTags", "arn:aws:ec2:us-east-1:111122223333:security-group-rule/*"),
        "{}",
        r.body
    );
    let untyped = "Action=AuthorizeSecurityGroupIngress&GroupId=sg-1&IpProtocol=tcp&TagSpecification.1.Tag.1.Key=n&TagSpecification.1.Tag.1.Value=v";
    let r = call(&server, Some(ALICE), "ec2", form(untyped)).await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectUnknownResource"), "{}", r.body);

    // S3 replication passes its role; Lambda's CreateFunction its execution role.
    let replication = |role: &str| {
        format!(
            "<ReplicationConfiguration><Role>{role}</Role><Rule><Status>Enabled</Status></Rule></ReplicationConfiguration>"
        )
    };
    let r = call(
        &server,
        Some(ALICE),
        "s3",
        Req::new("PUT", "/data?replication").body(&replication("arn:aws:iam::111122223333:role/ok-repl")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(checks(&r)[1], pair("iam:PassRole", "arn:aws:iam::111122223333:role/ok-repl"));
    let r = call(
        &server,
        Some(ALICE),
        "s3",
        Req::new("PUT", "/data?replication").body(&replication("arn:aws:iam::111122223333:role/admin")),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let function = |role: &str| {
        format!(r#"{{"FunctionName": "f", "Role": "{role}", "Runtime": "python3.12", "Handler": "h", "Code": {{}}}}"#)
    };
    let create =
        |body: &str| Req::new("POST", "/2015-03-31/functions").header("content-type", "application/json").body(body);
    let r = call(&server, Some(ALICE), "lambda", create(&function("arn:aws:iam::111122223333:role/ok-fn"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        checks(&r),
        [
            pair("lambda:CreateFunction", "arn:aws:lambda:us-east-1:111122223333:function:f"),
            pair("iam:PassRole", "arn:aws:iam::111122223333:role/ok-fn")
        ]
    );
    let r = call(&server, Some(ALICE), "lambda", create(&function("arn:aws:iam::111122223333:role/admin"))).await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_named_otherwise_and_underivable_ones() {
    let server = server("companions-refused").await;
    // PublishBatch has no action of its name: it is sns:Publish on the topic.
    let r = call(
        &server,
        Some(ALICE),
        "sns",
        form("Action=PublishBatch&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A111122223333%3Anews&PublishBatchRequestEntries.member.1.Id=1&PublishBatchRequestEntries.member.1.Message=m"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(checks(&r), [pair("sns:Publish", "arn:aws:sns:us-east-1:111122223333:news")]);
    // Logs Insights checks logs:FilterLogEvents on groups a query id does not name: refused.
    let r = call(
        &server,
        Some(ALICE),
        "logs",
        json(
            "Logs_20140328.StartQuery",
            r#"{"logGroupName": "app", "queryString": "fields @message", "startTime": 0, "endTime": 1}"#,
        ),
    )
    .await;
    assert_eq!((r.status, r.json()["__type"].as_str()), (403, Some("IamspectUnmappedOperation")), "{}", r.body);
    assert!(r.body.contains("for StartQuery"), "{}", r.body);
    // RunInstances with an instance profile passes the role inside it, which the data does not name.
    let r = call(
        &server,
        Some(ALICE),
        "ec2",
        form("Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=1&IamInstanceProfile.Name=web"),
    )
    .await;
    assert_eq!((r.status, r.tag("Code")), (403, "IamspectUnmappedOperation"), "{}", r.body);
    assert!(r.tag("Message").contains("instance profile"), "{}", r.body);
    // Tags in a shape the gateway does not read are refused, not dropped.
    let r =
        call(&server, Some(ALICE), "events", json("AWSEvents.CreateEventBus", r#"{"Name": "b", "Tags": "team=a"}"#))
            .await;
    assert_eq!((r.status, r.json()["__type"].as_str()), (403, Some("IamspectUnmappedOperation")), "{}", r.body);
}
