//! The other actions AWS's service reference lists for an operation (decision D71). The service
//! reference (`AuthorizedActions`) names, for each API operation, every action AWS may authorize
//! for it; `authorized_actions.tsv` holds those of the gateway's 16 services that differ from the
//! action of the operation's name (generated from the reference and compared with it by
//! `gateway::names::coverage`).
//!
//! Each listed action has one [`Kind`]: checked always, checked when the request does what needs
//! it (passes a role, tags the new resource, names a policy, ...), already checked by the
//! composite or S3 tables, not a permission of the caller's own call (with the reason), or a
//! reason to refuse the request because the gateway cannot tell on what it applies. No listed
//! action is left without a kind (the coverage test fails on one).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::resource::{self, Params, Scope};
use super::{Check, Mapped, Unmapped};

/// The table: `service<TAB>Operation<TAB>action action ...`.
pub(crate) const TABLE: &str = include_str!("authorized_actions.tsv");

/// How the gateway honours one action the service reference lists for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `iam:PassRole` on each role the request passes (a role ARN among its values).
    PassRole,
    /// A tagging action, checked on the new resource when the request carries tags.
    TagOnCreate,
    /// Checked by a rule of this module for this operation ([`specific`]).
    Specific,
    /// The operation has no action of its own name: this is its action, checked on its resource.
    ActionOfOperation,
    /// Already checked by the composite table (D60) or S3's REST table (D29, D63, D70).
    Mapped,
    /// Not a permission of the caller's own request: the reason.
    NotForCaller(&'static str),
    /// Decides what the answer contains, not whether the request is allowed; not checked, the
    /// upstream's answer is relayed whole (listed in `docs/gateway-coverage.md`).
    Shaping,
    /// Needed only in a setting the account data does not describe; not checked (listed in
    /// `docs/gateway-coverage.md` as a possible false allow).
    Gap(&'static str),
    /// The gateway cannot tell when or on what AWS checks it: the operation is refused.
    Refused(&'static str),
}

const REPLICATION: &str = "DynamoDB global tables' replication calls it as the service, not the caller";
const OBJECT_LAMBDA: &str =
    "only requests to an S3 Object Lambda access point need it; the gateway serves S3's own endpoint";
const STS: &str = "served by iamspect's STS, which decides AssumeRole and its session tags itself";
const S3_CONTROL: &str = "an S3 Control operation the gateway does not map (refused as unmapped)";
const INSTANCE_PROFILE: &str = "the role is inside the instance profile, which the account data does not list";
const INSIGHTS: &str =
    "CloudWatch Logs Insights checks it on the log groups of a query, which the request names only by query id";

/// The kind of `action` listed for `service`'s `operation`.
pub(crate) fn kind(service: &str, operation: &str, action: &str) -> Kind {
    let (prefix, name) = action.split_once(':').unwrap_or(("", action));
    if prefix == "s3-object-lambda" {
        return Kind::NotForCaller(OBJECT_LAMBDA);
    }
    if prefix == service && service != "s3" && super::names::action(service, operation).is_none() {
        return Kind::ActionOfOperation;
    }
    if action == "iam:PassRole" {
        return match (service, operation) {
            ("iam", "AddRoleToInstanceProfile") | ("s3", "PutBucketReplication") => Kind::Specific,
            ("s3", _) => Kind::NotForCaller(S3_CONTROL),
            ("ec2", "AssociateIamInstanceProfile" | "ReplaceIamInstanceProfileAssociation") => {
                Kind::Refused(INSTANCE_PROFILE)
            }
            // A role ARN is passed as is; an instance profile (RunInstances, launch templates,
            // spot requests) holds a role the account data does not name: refused by `extend`.
            ("ec2", _) => Kind::PassRole,
            ("logs", "PutAccountPolicy") => {
                Kind::Refused("an account policy's actions depend on its policyType and apply to every log group")
            }
            _ => Kind::PassRole,
        };
    }
    if service == "sts" {
        return Kind::NotForCaller(STS);
    }
    if matches!(name, "ReadDataForReplication" | "WriteDataForReplication" | "ReplicateSettings") {
        return Kind::NotForCaller(REPLICATION);
    }
    let tagging = matches!(
        name,
        "TagResource"
            | "TagQueue"
            | "TagRole"
            | "TagUser"
            | "TagPolicy"
            | "TagInstanceProfile"
            | "TagOpenIDConnectProvider"
            | "TagSAMLProvider"
            | "TagMFADevice"
            | "TagServerCertificate"
            | "TagLogGroup"
            | "AddTagsToResource"
            | "AddTagsToStream"
            | "TagDeliveryStream"
            | "CreateTags"
    );
    match (service, operation) {
        ("s3", _) => s3_kind(operation, action),
        ("sqs", "SendMessageBatch" | "DeleteMessageBatch" | "ChangeMessageVisibilityBatch") => Kind::Mapped,
        ("sqs", "ListMessageMoveTasks" | "StartMessageMoveTask") => Kind::Specific,
        ("sqs", "CancelMessageMoveTask") => {
            Kind::Refused("the task handle names the source queue in a form the gateway does not read")
        }
        (
            "dynamodb",
            "TransactWriteItems"
            | "TransactGetItems"
            | "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction",
        ) => Kind::Mapped,
        ("dynamodb", "RestoreTableFromBackup" | "RestoreTableToPointInTime")
            if !matches!(name, "AssociateTableReplica" | "CreateTableReplica") =>
        {
            Kind::Specific
        }
        ("dynamodb", "CreateTable") if name == "PutResourcePolicy" => Kind::Specific,
        ("dynamodb", "CreateTable") if tagging => Kind::TagOnCreate,
        // The replica and item actions of CreateTable, UpdateTable and the restores are those of
        // a global table's replicas: requests that name replicas are refused by `specific`.
        ("dynamodb", "CreateTable" | "UpdateTable" | "RestoreTableToPointInTime") => Kind::Specific,
        ("kms", "ReEncrypt") => Kind::Mapped,
        ("kms", "CreateKey") if name == "PutKeyPolicy" => Kind::Specific,
        ("secretsmanager", "BatchGetSecretValue" | "ValidateResourcePolicy") => Kind::Specific,
        ("secretsmanager", "CreateSecret") if name == "ReplicateSecretToRegions" => Kind::Specific,
        ("iam", "CreateServiceLinkedRole") => {
            Kind::Refused("AWS checks it on the new service-linked role, whose name the service picks")
        }
        ("iam", "DeleteRole") => {
            Kind::NotForCaller("only for a service-linked role, which DeleteRole cannot delete (D51)")
        }
        ("iam", "GetRole") => Kind::NotForCaller(
            "for the deletion status of a service-linked role; reading a role needs iam:GetRole only",
        ),
        ("logs", "DeleteAccountPolicy" | "PutAccountPolicy") => {
            Kind::Refused("an account policy's actions depend on its policyType and apply to every log group")
        }
        ("logs", "DescribeQueries" | "GetLogRecord" | "GetQueryResults" | "StopQuery" | "StartQuery") => {
            Kind::Refused(INSIGHTS)
        }
        ("logs", "FilterLogEvents" | "GetLogEvents" | "GetLogGroupFields" | "ListLogGroups") => Kind::Specific,
        ("lambda", "CreateFunction" | "UpdateFunctionConfiguration") if name == "GetLayerVersion" => Kind::Specific,
        ("lambda", _) if name == "PassCapacityProvider" => Kind::Specific,
        ("lambda", "GetFunction") => Kind::Shaping,
        ("ecr", "BatchGetImage" | "GetDownloadUrlForLayer") => {
            Kind::Gap("only when the repository belongs to a pull-through cache rule and the image is not cached yet")
        }
        ("ecr", "CreateRepositoryCreationTemplate" | "UpdateRepositoryCreationTemplate") => Kind::Refused(
            "AWS checks it for the repositories the template will create, which the request does not name",
        ),
        ("ssm", "CreateAssociation" | "CreateAssociationBatch" | "UpdateAssociation")
            if matches!(name, "SendCommand" | "StartAutomationExecution" | "CreateAssociation") =>
        {
            Kind::Refused(
                "which of them applies depends on the type of the document, which the account data does not hold",
            )
        }
        ("ssm", "CreateDocument" | "UpdateDocument") if name == "GetDocument" => {
            Kind::Refused("AWS checks it on the documents the new document refers to, which the gateway does not read")
        }
        _ if tagging => Kind::TagOnCreate,
        _ => Kind::Refused(UNCLASSIFIED),
    }
}

/// The reason of an action no rule classifies (the coverage test fails on it).
pub(crate) const UNCLASSIFIED: &str = "the gateway does not know when AWS checks it";

/// Operations whose tags go to a resource other than the one their own action is checked on.
const TAGS_ELSEWHERE: &[(&str, &str)] = &[
    ("ssm", "StartAutomationExecution"),
    ("kinesis", "RegisterStreamConsumer"),
    ("logs", "CreateLogAnomalyDetector"),
    ("lambda", "CreateEventSourceMapping"),
];

fn s3_kind(operation: &str, action: &str) -> Kind {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    if !action.starts_with("s3:") {
        return Kind::NotForCaller(S3_CONTROL);
    }
    match (operation, name) {
        // Checked on the answer: the headers they reveal are removed without them (D74).
        ("GetObject" | "HeadObject", "GetObjectLegalHold" | "GetObjectRetention" | "GetObjectTagging") => Kind::Mapped,
        ("ListObjects" | "ListObjectsV2", "GetObjectAcl") => Kind::Shaping,
        ("CreateStorageLensGroup", _) => Kind::NotForCaller(S3_CONTROL),
        _ => Kind::Mapped,
    }
}

/// The actions listed for `service`'s `operation` besides the one of its name.
pub(crate) fn listed(service: &str, operation: &str) -> &'static [&'static str] {
    type Index = HashMap<&'static str, HashMap<&'static str, Vec<&'static str>>>;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = Index::new();
        for line in TABLE.lines() {
            let mut cols = line.split('\t');
            if let (Some(s), Some(o), Some(a)) = (cols.next(), cols.next(), cols.next()) {
                index.entry(s).or_default().insert(o, a.split(' ').collect());
            }
        }
        index
    });
    index.get(service).and_then(|ops| ops.get(operation)).map_or(&[], Vec::as_slice)
}

fn refuse(operation: &str, action: &str, why: &str) -> Unmapped {
    Unmapped {
        code: "IamspectUnmappedOperation",
        message: format!(
            "AWS's service reference lists {action} for {operation}, and the gateway cannot decide it: {why}; iamspect does not authorize a guess"
        ),
    }
}

fn unknown(operation: &str, action: &str, why: &str) -> Unmapped {
    Unmapped {
        code: "IamspectUnknownResource",
        message: format!("cannot tell the resource of {action}, which {operation} also needs: {why}"),
    }
}

/// Every string value of the request at any depth, with its name, except inside tags.
fn deep_values(params: &Params) -> Vec<(String, String)> {
    fn walk(name: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::String(s) => out.push((name.to_string(), s.clone())),
            Value::Array(items) => items.iter().for_each(|i| walk(name, i, out)),
            Value::Object(map) => {
                for (k, v) in map {
                    if !k.eq_ignore_ascii_case("tags") && !k.eq_ignore_ascii_case("tagspecifications") {
                        walk(k, v, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<(String, String)> = params.pairs.iter().filter(|(k, _)| !k.starts_with("Tag")).cloned().collect();
    if let Some(json) = &params.json {
        walk("", json, &mut out);
    }
    out
}

/// The IAM roles the request passes: every value that is a role ARN.
fn passed_roles(params: &Params) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for (_, v) in deep_values(params) {
        let role = iamspect_core::Arn::parse(&v).is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"));
        if role && !roles.contains(&v) {
            roles.push(v);
        }
    }
    roles
}

/// The tags the request gives its new resource, as (key, value): JSON `Tags`/`tags`/`TagList`
/// (a list of `{Key, Value}` or a map), Query `Tags.member.N.Key`, `Tag.N.Key`, `Tags.N.Key`,
/// `TagSpecification.N.Tag.M.Key` and their `Value`s. `None` when the request carries none;
/// an error when it carries tags in a shape the gateway does not read.
fn tags(params: &Params) -> Result<Option<Vec<(String, String)>>, String> {
    let mut out = Vec::new();
    let mut seen = false;
    if let Some(Value::Object(map)) = &params.json {
        for (k, v) in map {
            if !matches!(k.as_str(), "Tags" | "tags" | "TagList" | "TagSpecifications") {
                continue;
            }
            seen = true;
            let list = match v {
                Value::Object(m) => {
                    for (tk, tv) in m {
                        out.push((tk.clone(), tv.as_str().ok_or(format!("`{k}.{tk}` is not a string"))?.to_string()));
                    }
                    continue;
                }
                Value::Array(items) if k == "TagSpecifications" => items
                    .iter()
                    .flat_map(|s| s.get("Tags").and_then(Value::as_array).cloned().unwrap_or_default())
                    .collect(),
                Value::Array(items) => items.clone(),
                _ => return Err(format!("`{k}` is neither a list nor a map")),
            };
            for t in list {
                // KMS writes `TagKey`/`TagValue`, the others `Key`/`Value` (or lower case).
                let key = ["Key", "key", "TagKey"].iter().find_map(|n| t.get(*n)).and_then(Value::as_str);
                let value =
                    ["Value", "value", "TagValue"].iter().find_map(|n| t.get(*n)).and_then(Value::as_str).unwrap_or("");
                let key = key.ok_or(format!("a tag of `{k}` has no `Key`"))?;
                out.push((key.to_string(), value.to_string()));
            }
        }
    }
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for (k, v) in &params.pairs {
        if !(k.starts_with("Tag.") || k.starts_with("Tags.") || k.starts_with("TagSpecification.")) {
            continue;
        }
        seen = true;
        if let Some(stem) = k.strip_suffix(".Key").or_else(|| k.strip_suffix(".key")) {
            keys.push((stem, v));
        }
    }
    for (stem, key) in keys {
        let value = params
            .pairs
            .iter()
            .find(|(k, _)| k.strip_prefix(stem).is_some_and(|rest| rest == ".Value" || rest == ".value"))
            .map_or("", |(_, v)| v.as_str());
        out.push((key.to_string(), value.to_string()));
    }
    if !seen {
        return Ok(None);
    }
    if out.is_empty() && params.pairs.iter().any(|(k, _)| k.starts_with("Tag") && !k.ends_with("ResourceType")) {
        return Err("its tags are in a shape the gateway does not read".to_string());
    }
    Ok(Some(out))
}

/// EC2's new resources of `TagSpecification.N.ResourceType`: `TYPE/*` (their ids are not known
/// before they are made, as for RunInstances, D29).
fn ec2_tagged(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    let mut types: Vec<String> = params
        .pairs
        .iter()
        .filter(|(k, _)| k.starts_with("TagSpecification.") && k.ends_with(".ResourceType"))
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(Value::Array(specs)) = params.json.as_ref().and_then(|j| j.get("TagSpecifications")) {
        types.extend(specs.iter().filter_map(|s| s.get("ResourceType").and_then(Value::as_str)).map(str::to_string));
    }
    types.dedup();
    types.iter().map(|t| scope.arn("ec2", &format!("{t}/*"))).collect()
}

/// The actions an operation without an action of its own name is authorized as
/// (`sns:PublishBatch` is `sns:Publish`), when the service reference says so.
pub(crate) fn actions_of(service: &str, operation: &str) -> Vec<&'static str> {
    listed(service, operation)
        .iter()
        .copied()
        .filter(|a| kind(service, operation, a) == Kind::ActionOfOperation)
        .collect()
}

/// Adds the checks of the other actions the service reference lists for the operation to
/// `mapped` (whose checks are those of the operation's own action), or refuses the request.
pub(crate) fn extend(
    prefix: &str,
    operation: &str,
    params: &Params,
    scope: &Scope<'_>,
    mapped: &mut Mapped,
) -> Result<(), Unmapped> {
    let listed = listed(prefix, operation);
    if listed.is_empty() {
        return Ok(());
    }
    let mut tags_read: Option<Option<Vec<(String, String)>>> = None;
    let mut passes_role = false;
    let mut added: Vec<Check> = Vec::new();
    for action in listed {
        match kind(prefix, operation, action) {
            Kind::Mapped | Kind::ActionOfOperation | Kind::NotForCaller(_) | Kind::Shaping | Kind::Gap(_) => {}
            Kind::Refused(why) => return Err(refuse(operation, action, why)),
            Kind::PassRole => {
                let profile = params.pairs.iter().any(|(k, _)| k.contains("IamInstanceProfile."))
                    || params.json.as_ref().is_some_and(|j| j.to_string().contains("\"IamInstanceProfile\""));
                if prefix == "ec2" && profile {
                    return Err(refuse(operation, action, INSTANCE_PROFILE));
                }
                for role in passed_roles(params) {
                    added.push(Check::new((*action).to_string(), role));
                    passes_role = true;
                }
            }
            Kind::TagOnCreate => {
                let tags = match &tags_read {
                    Some(t) => t.clone(),
                    None => {
                        let t = tags(params).map_err(|why| refuse(operation, action, &why))?;
                        tags_read = Some(t.clone());
                        t
                    }
                };
                if tags.is_none() {
                    continue;
                }
                let service = action.split_once(':').map_or("", |(s, _)| s);
                let resources: Vec<String> = if TAGS_ELSEWHERE.contains(&(prefix, operation)) {
                    Vec::new()
                } else if *action == "ec2:CreateTags" {
                    ec2_tagged(params, scope)?
                } else if prefix == "kms" && operation == "CreateKey" {
                    vec![scope.arn("kms", "key/*")?]
                } else {
                    mapped
                        .checks
                        .iter()
                        .map(|c| c.resource.clone())
                        .filter(|r| resource::is_arn_of(r, service))
                        .collect()
                };
                if resources.is_empty() {
                    return Err(unknown(
                        operation,
                        action,
                        "the request tags a new resource whose ARN it does not name",
                    ));
                }
                for r in resources {
                    added.push(Check::new((*action).to_string(), r));
                }
            }
            Kind::Specific => added.extend(specific(prefix, operation, action, params, scope, mapped)?),
        }
    }
    if let Some(Some(tags)) = tags_read {
        // The tags of the request: `aws:RequestTag/KEY` and `aws:TagKeys`, on every check.
        for (k, v) in &tags {
            mapped.context.push((format!("aws:RequestTag/{k}"), vec![v.clone()]));
        }
        mapped.context.push(("aws:TagKeys".to_string(), tags.into_iter().map(|(k, _)| k).collect()));
        if prefix == "ec2" {
            mapped.context.push(("ec2:CreateAction".to_string(), vec![operation.to_string()]));
        }
    }
    if passes_role {
        mapped.context.push(("iam:PassedToService".to_string(), vec![format!("{prefix}.amazonaws.com")]));
    }
    for check in added {
        if !mapped.checks.contains(&check) {
            mapped.checks.push(check);
        }
    }
    Ok(())
}

/// The rules of single operations.
fn specific(
    prefix: &str,
    operation: &str,
    action: &str,
    params: &Params,
    scope: &Scope<'_>,
    mapped: &Mapped,
) -> Result<Vec<Check>, Unmapped> {
    let on = |resources: Vec<String>| resources.into_iter().map(|r| Check::new(action.to_string(), r)).collect();
    let own = || mapped.checks.iter().map(|c| c.resource.clone()).collect::<Vec<_>>();
    let queue = |name: &str| -> Result<Option<String>, Unmapped> {
        match params.get(name) {
            Some(arn) if resource::is_arn_of(&arn, "sqs") => Ok(Some(arn)),
            Some(other) => Err(unknown(operation, action, &format!("`{name}` `{other}` is not a queue ARN"))),
            None => Ok(None),
        }
    };
    let json_has = |name: &str| params.json.as_ref().and_then(|j| j.get(name)).is_some_and(|v| !v.is_null());
    Ok(match (prefix, operation, action) {
        ("sqs", "ListMessageMoveTasks", _) | ("sqs", "StartMessageMoveTask", _) if action != "sqs:SendMessage" => {
            let source =
                queue("SourceArn")?.ok_or_else(|| unknown(operation, action, "the request has no `SourceArn`"))?;
            on(vec![source])
        }
        ("sqs", "StartMessageMoveTask", _) => {
            // Without DestinationArn the messages go back to their original queues, which the
            // dead-letter queue's messages name and the request does not.
            let destination = queue("DestinationArn")?.ok_or_else(|| {
                unknown(
                    operation,
                    action,
                    "without `DestinationArn` the messages return to queues the request does not name",
                )
            })?;
            on(vec![destination])
        }
        ("dynamodb", "CreateTable", "dynamodb:PutResourcePolicy") => {
            if json_has("ResourcePolicy") {
                on(own())
            } else {
                Vec::new()
            }
        }
        ("dynamodb", "CreateTable" | "UpdateTable" | "RestoreTableToPointInTime", _)
            if !matches!(operation, "RestoreTableToPointInTime")
                || matches!(action, "dynamodb:AssociateTableReplica" | "dynamodb:CreateTableReplica") =>
        {
            if ["ReplicaUpdates", "GlobalTableWitnessUpdates", "Replicas", "ReplicationGroup"]
                .iter()
                .any(|p| json_has(p))
            {
                return Err(refuse(
                    operation,
                    action,
                    "the request changes a global table's replicas, whose tables in other regions the gateway does not derive",
                ));
            }
            Vec::new()
        }
        ("dynamodb", "RestoreTableFromBackup" | "RestoreTableToPointInTime", _) => {
            // The restore writes the new table: its item actions on it.
            let target = params
                .get("TargetTableName")
                .ok_or_else(|| unknown(operation, action, "the request has no `TargetTableName`"))?;
            on(vec![scope.arn("dynamodb", &format!("table/{target}"))?])
        }
        ("kms", "CreateKey", _) => {
            if json_has("Policy") {
                on(vec![scope.arn("kms", "key/*")?])
            } else {
                Vec::new()
            }
        }
        ("secretsmanager", "BatchGetSecretValue", "secretsmanager:GetSecretValue") => {
            let ids: Vec<String> = match params.json.as_ref().and_then(|j| j.get("SecretIdList")) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            if ids.is_empty() {
                return Err(unknown(
                    operation,
                    action,
                    "with `Filters` instead of `SecretIdList` the secrets are those the filters match, which the gateway does not evaluate",
                ));
            }
            let mut out = Vec::new();
            for id in ids {
                let one = Params { pairs: vec![("SecretId".to_string(), id)], json: None };
                out.extend(resource::resources(action, &one, scope)?);
            }
            on(out)
        }
        ("secretsmanager", "BatchGetSecretValue", _) => {
            if json_has("Filters") {
                on(vec!["*".to_string()])
            } else {
                Vec::new()
            }
        }
        ("secretsmanager", "ValidateResourcePolicy", _) => {
            if params.get("SecretId").is_some() {
                on(resource::resources(action, params, scope)?)
            } else {
                Vec::new()
            }
        }
        ("secretsmanager", "CreateSecret", _) => {
            if json_has("AddReplicaRegions") {
                on(own())
            } else {
                Vec::new()
            }
        }
        ("iam", "AddRoleToInstanceProfile", _) => {
            let role =
                params.get("RoleName").ok_or_else(|| unknown(operation, action, "the request has no `RoleName`"))?;
            let arn = resource::resources(
                "iam:GetRole",
                &Params { pairs: vec![("RoleName".to_string(), role)], json: None },
                scope,
            )?;
            on(arn)
        }
        ("logs", "FilterLogEvents" | "GetLogEvents", _) => {
            let unmask = params.json.as_ref().and_then(|j| j.get("unmask")).and_then(Value::as_bool) == Some(true);
            if unmask { on(own()) } else { Vec::new() }
        }
        ("logs", "GetLogGroupFields", _) => on(own()),
        ("logs", "ListLogGroups", _) => on(resource::resources(action, params, scope)?),
        ("lambda", _, "lambda:GetLayerVersion") => {
            let layers: Vec<String> = match params.json.as_ref().and_then(|j| j.get("Layers")) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            for layer in &layers {
                if !resource::is_arn_of(layer, "lambda") {
                    return Err(unknown(operation, action, &format!("layer `{layer}` is not a layer version ARN")));
                }
            }
            on(layers)
        }
        ("lambda", _, "lambda:PassCapacityProvider") => {
            if json_has("CapacityProviderConfig") {
                return Err(refuse(operation, action, "the capacity provider's ARN is not read by the gateway"));
            }
            Vec::new()
        }
        ("s3", "PutBucketReplication", _) => Vec::new(),
        _ => return Err(refuse(operation, action, "no rule of the gateway reads it")),
    })
}

/// `PutBucketReplication`: `iam:PassRole` on the `<Role>` of the body (read by an XML parser:
/// exactly one `Role` element directly under `ReplicationConfiguration`).
pub(crate) fn replication_role(body: &[u8]) -> Result<String, Unmapped> {
    use quick_xml::events::Event;
    let bad = |why: &str| refuse("PutBucketReplication", "iam:PassRole", why);
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut in_role = false;
    let mut roles: Vec<String> = Vec::new();
    loop {
        match reader.read_event().map_err(|_| bad("the body is not well-formed XML"))? {
            Event::Start(e) => {
                depth += 1;
                in_role = depth == 2 && e.name().as_ref() == "Role";
                if in_role {
                    roles.push(String::new());
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                in_role = false;
            }
            Event::Text(t) if in_role => {
                if let Some(r) = roles.last_mut() {
                    r.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(_) | Event::CData(_) if in_role => return Err(bad("the role is escaped")),
            Event::DocType(_) => return Err(bad("the body has a DOCTYPE")),
            Event::Eof => break,
            _ => {}
        }
    }
    match roles.as_slice() {
        [one] if iamspect_core::Arn::parse(one.trim()).is_some_and(|a| a.service == "iam") => {
            Ok(one.trim().to_string())
        }
        _ => Err(bad("the body does not have exactly one `Role` that is an IAM role ARN")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_in_each_shape() {
        let json = |v: Value| Params { pairs: Vec::new(), json: Some(v) };
        let pairs = |p: &[(&str, &str)]| Params {
            pairs: p.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
            json: None,
        };
        let t = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            tags(&json(serde_json::json!({"Tags": [{"Key": "a", "Value": "1"}]}))).unwrap(),
            Some(vec![t("a", "1")])
        );
        assert_eq!(tags(&json(serde_json::json!({"tags": {"a": "1"}}))).unwrap(), Some(vec![t("a", "1")]));
        assert_eq!(
            tags(&json(serde_json::json!({"Tags": [{"TagKey": "a", "TagValue": "1"}]}))).unwrap(),
            Some(vec![t("a", "1")])
        );
        assert_eq!(tags(&json(serde_json::json!({"Name": "x"}))).unwrap(), None);
        assert_eq!(
            tags(&pairs(&[("Tags.member.1.Key", "a"), ("Tags.member.1.Value", "1")])).unwrap(),
            Some(vec![t("a", "1")])
        );
        assert_eq!(
            tags(&pairs(&[
                ("TagSpecification.1.ResourceType", "vpc"),
                ("TagSpecification.1.Tag.1.Key", "a"),
                ("TagSpecification.1.Tag.1.Value", "1")
            ]))
            .unwrap(),
            Some(vec![t("a", "1")])
        );
        assert!(tags(&json(serde_json::json!({"Tags": "a=1"}))).is_err());
    }

    #[test]
    fn roles_are_found_at_any_depth_outside_tags() {
        let p = Params {
            pairs: Vec::new(),
            json: Some(serde_json::json!({
                "Targets": [{"Id": "1", "RoleArn": "arn:aws:iam::111122223333:role/events"}],
                "Tags": [{"Key": "k", "Value": "arn:aws:iam::111122223333:role/tagged"}]
            })),
        };
        assert_eq!(passed_roles(&p), ["arn:aws:iam::111122223333:role/events"]);
    }

    #[test]
    fn replication_roles_are_read_strictly() {
        let body = b"<ReplicationConfiguration><Role>arn:aws:iam::111122223333:role/r</Role><Rule><Status>Enabled</Status></Rule></ReplicationConfiguration>";
        assert_eq!(replication_role(body).unwrap(), "arn:aws:iam::111122223333:role/r");
        assert!(replication_role(b"<ReplicationConfiguration><Rule/></ReplicationConfiguration>").is_err());
        assert!(
            replication_role(b"<ReplicationConfiguration><Role>a</Role><Role>b</Role></ReplicationConfiguration>")
                .is_err()
        );
    }
}
