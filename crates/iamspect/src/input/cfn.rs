//! The IAM policies of a CloudFormation template (JSON or YAML, read into a [`Node`] tree).

use std::path::Path;

use iamspect_core::PolicyType;

use super::emit::{Piece, emit, resolve};
use super::tree::{Node, Value};
use super::{Document, Origin, Resource};

/// Whether a tree is a template: a `Resources` object.
pub(crate) fn is_template(root: &Node) -> bool {
    matches!(root.get("Resources").map(|r| &r.value), Some(Value::Map(_)))
}

/// Where each resource type keeps its policies: (property, policy type, resource type).
fn policy_properties(kind: &str) -> &'static [(&'static str, PolicyType, Option<&'static str>)] {
    use PolicyType::{Identity, Resource, Trust, VpcEndpoint};
    match kind {
        "AWS::IAM::Policy"
        | "AWS::IAM::ManagedPolicy"
        | "AWS::IAM::RolePolicy"
        | "AWS::IAM::UserPolicy"
        | "AWS::IAM::GroupPolicy" => &[("PolicyDocument", Identity, None)],
        "AWS::IAM::Role" => &[("AssumeRolePolicyDocument", Trust, None)],
        "AWS::S3::BucketPolicy" => &[("PolicyDocument", Resource, Some("AWS::S3::Bucket"))],
        "AWS::S3::AccessPoint" => &[("Policy", Resource, Some("AWS::S3::AccessPoint"))],
        "AWS::SQS::QueuePolicy" => &[("PolicyDocument", Resource, Some("AWS::SQS::Queue"))],
        "AWS::SNS::TopicPolicy" => &[("PolicyDocument", Resource, Some("AWS::SNS::Topic"))],
        "AWS::KMS::Key" => &[("KeyPolicy", Resource, Some("AWS::KMS::Key"))],
        "AWS::SecretsManager::ResourcePolicy" => &[("ResourcePolicy", Resource, Some("AWS::SecretsManager::Secret"))],
        "AWS::ECR::Repository" => &[("RepositoryPolicyText", Resource, Some("AWS::ECR::Repository"))],
        "AWS::EC2::VPCEndpoint" => &[("PolicyDocument", VpcEndpoint, None)],
        _ => &[],
    }
}

/// Every policy of the template.
pub(crate) fn documents(root: &Node, text: &str, source: usize, notes: &mut Vec<String>, path: &Path) -> Vec<Document> {
    let mut out = Vec::new();
    let Some(Value::Map(resources)) = root.get("Resources").map(|r| &r.value) else {
        return out;
    };
    for (id, resource) in resources {
        let Some(kind) = resource.get("Type").and_then(Node::as_str) else { continue };
        let Some(props) = resource.get("Properties") else { continue };
        let mut push = |node: &Node, attribute: String, policy_type: PolicyType, resource_type: Option<&str>| {
            let res = Resource { name: id.name.clone(), kind: kind.to_string(), attribute };
            match document(node, text, source, res, policy_type, resource_type) {
                Ok(d) => out.push(d),
                Err(why) => notes.push(format!("{}: {} ({kind}): not linted: {why}", path.display(), id.name)),
            }
        };
        for &(prop, policy_type, resource_type) in policy_properties(kind) {
            if let Some(node) = props.get(prop) {
                push(node, prop.to_string(), policy_type, resource_type);
            }
        }
        if matches!(kind, "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group")
            && let Some(Value::Seq(items)) = props.get("Policies").map(|p| &p.value)
        {
            for (i, item) in items.iter().enumerate() {
                if let Some(node) = item.get("PolicyDocument") {
                    push(node, format!("Policies[{i}].PolicyDocument"), PolicyType::Identity, None);
                }
            }
        }
        if kind == "AWS::Organizations::Policy" {
            let policy_type = match props.get("Type").and_then(Node::as_str) {
                Some("SERVICE_CONTROL_POLICY") => Some(PolicyType::Scp),
                Some("RESOURCE_CONTROL_POLICY") => Some(PolicyType::Rcp),
                _ => None,
            };
            if let (Some(t), Some(node)) = (policy_type, props.get("Content")) {
                push(node, "Content".to_string(), t, None);
            }
        }
    }
    out
}

fn document(
    node: &Node,
    text: &str,
    source: usize,
    resource: Resource,
    policy_type: PolicyType,
    resource_type: Option<&str>,
) -> Result<Document, String> {
    let whole = node.range.clone();
    let (policy, pieces) = match (&node.value, node.intrinsic()) {
        (Value::Map(_), None) => {
            let e = emit(node, text);
            (e.text, e.pieces)
        }
        // A policy written as a JSON string.
        (Value::String(s), _) => {
            let piece = Piece { generated: 0..s.len(), file: whole.clone(), exact: false, intrinsic: None };
            (s.clone(), vec![piece])
        }
        // A policy computed as a string (`!Sub |` with a JSON body).
        (_, Some((name @ ("Fn::Sub" | "Fn::Join"), _))) => {
            let s = resolve(node);
            let piece =
                Piece { generated: 0..s.len(), file: whole.clone(), exact: false, intrinsic: Some(name.to_string()) };
            (s, vec![piece])
        }
        (_, Some((name, _))) => return Err(format!("the policy is computed by {name}")),
        _ => return Err("the policy is not an object".to_string()),
    };
    Ok(Document {
        source,
        resource: Some(resource),
        policy_type,
        resource_type: resource_type.map(str::to_string),
        text: policy,
        origin: Origin::Embedded { pieces, whole },
    })
}
