//! The IAM policies of a Terraform plan (`terraform show -json`): JSON strings in resource
//! attributes, found in `planned_values` (through `child_modules`) and `resource_changes`.

use std::collections::HashSet;
use std::path::Path;

use iamspect_core::PolicyType;
use serde_json::Value;

use super::{Document, Origin, Resource};

/// Where each resource type keeps its policies: (attribute, policy type, resource type).
fn policy_attributes(kind: &str, values: &Value) -> Vec<(&'static str, PolicyType, Option<&'static str>)> {
    use PolicyType::{Identity, Rcp, Resource, Scp, Trust, VpcEndpoint};
    match kind {
        "aws_iam_policy" | "aws_iam_role_policy" | "aws_iam_user_policy" | "aws_iam_group_policy" => {
            vec![("policy", Identity, None)]
        }
        "aws_iam_role" => vec![("assume_role_policy", Trust, None)],
        "aws_s3_bucket_policy" | "aws_s3_bucket" => vec![("policy", Resource, Some("AWS::S3::Bucket"))],
        "aws_kms_key" => vec![("policy", Resource, Some("AWS::KMS::Key"))],
        "aws_sqs_queue_policy" | "aws_sqs_queue" => vec![("policy", Resource, Some("AWS::SQS::Queue"))],
        "aws_sns_topic_policy" | "aws_sns_topic" => vec![("policy", Resource, Some("AWS::SNS::Topic"))],
        "aws_secretsmanager_secret_policy" => vec![("policy", Resource, Some("AWS::SecretsManager::Secret"))],
        "aws_ecr_repository_policy" => vec![("policy", Resource, Some("AWS::ECR::Repository"))],
        "aws_vpc_endpoint" => vec![("policy", VpcEndpoint, None)],
        "aws_organizations_policy" => match values.get("type").and_then(Value::as_str) {
            Some("SERVICE_CONTROL_POLICY") | None => vec![("content", Scp, None)],
            Some("RESOURCE_CONTROL_POLICY") => vec![("content", Rcp, None)],
            Some(_) => Vec::new(),
        },
        _ => Vec::new(),
    }
}

struct Walk<'a> {
    source: usize,
    path: &'a Path,
    seen: HashSet<String>,
    out: Vec<Document>,
    notes: &'a mut Vec<String>,
}

/// Every policy of the plan.
pub(crate) fn documents(plan: &Value, source: usize, notes: &mut Vec<String>, path: &Path) -> Vec<Document> {
    let mut w = Walk { source, path, seen: HashSet::new(), out: Vec::new(), notes };
    if let Some(root) = plan.get("planned_values").and_then(|p| p.get("root_module")) {
        w.module(root);
    }
    for change in plan.get("resource_changes").and_then(Value::as_array).into_iter().flatten() {
        let address = change.get("address").and_then(Value::as_str).unwrap_or("");
        if w.seen.contains(address) || change.get("mode").and_then(Value::as_str) == Some("data") {
            continue;
        }
        let kind = change.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(after) = change.get("change").and_then(|c| c.get("after")).filter(|a| a.is_object()) else {
            continue;
        };
        let unknown = change.get("change").and_then(|c| c.get("after_unknown"));
        w.resource(address, kind, after, unknown);
    }
    w.out
}

impl Walk<'_> {
    fn module(&mut self, module: &Value) {
        for r in module.get("resources").and_then(Value::as_array).into_iter().flatten() {
            if r.get("mode").and_then(Value::as_str) == Some("data") {
                continue;
            }
            let address = r.get("address").and_then(Value::as_str).unwrap_or("");
            let kind = r.get("type").and_then(Value::as_str).unwrap_or("");
            if let Some(values) = r.get("values") {
                self.resource(address, kind, values, None);
            }
        }
        for child in module.get("child_modules").and_then(Value::as_array).into_iter().flatten() {
            self.module(child);
        }
    }

    fn resource(&mut self, address: &str, kind: &str, values: &Value, unknown: Option<&Value>) {
        let attributes = policy_attributes(kind, values);
        let inline = kind == "aws_iam_role" && values.get("inline_policy").is_some();
        if attributes.is_empty() && !inline {
            return;
        }
        self.seen.insert(address.to_string());
        for (attribute, policy_type, resource_type) in attributes {
            self.attribute(
                address,
                kind,
                attribute.to_string(),
                values.get(attribute),
                unknown.and_then(|u| u.get(attribute)),
                policy_type,
                resource_type,
            );
        }
        if let Some(list) = values.get("inline_policy").and_then(Value::as_array) {
            for (i, item) in list.iter().enumerate() {
                self.attribute(
                    address,
                    kind,
                    format!("inline_policy[{i}].policy"),
                    item.get("policy"),
                    None,
                    PolicyType::Identity,
                    None,
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments, reason = "one call per attribute")]
    fn attribute(
        &mut self,
        address: &str,
        kind: &str,
        attribute: String,
        value: Option<&Value>,
        unknown: Option<&Value>,
        policy_type: PolicyType,
        resource_type: Option<&str>,
    ) {
        match value.and_then(Value::as_str) {
            Some(text) if !text.trim().is_empty() => self.out.push(Document {
                source: self.source,
                resource: Some(Resource { name: address.to_string(), kind: kind.to_string(), attribute }),
                policy_type,
                resource_type: resource_type.map(str::to_string),
                text: text.to_string(),
                origin: Origin::Detached,
            }),
            _ if unknown.and_then(Value::as_bool) == Some(true) => self.notes.push(format!(
                "{}: {address}: `{attribute}` is known only after apply; not linted",
                self.path.display()
            )),
            _ => {}
        }
    }
}
