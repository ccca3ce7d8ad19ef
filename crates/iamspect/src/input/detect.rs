//! What a JSON file given to `lint` holds when `--type` does not say (decision D47): a case file,
//! whose policies are linted each with the type of the field that holds it, or one policy whose
//! type is read from its content.

use std::ops::Range;

use iamspect_core::PolicyType;

use super::tree::{Node, Value};
use super::{Document, Origin, Piece};

/// True for a case file: `{"cases": [...]}`, or one case with `principal`, `action` and `resource`.
pub(crate) fn is_case_file(value: &serde_json::Value) -> bool {
    let has = |k: &str| value.get(k).is_some();
    value.get("cases").is_some_and(serde_json::Value::is_array)
        || (has("principal") && has("action") && has("resource"))
}

/// The type of a policy read from its content, and why: a statement with `Principal` or
/// `NotPrincipal` makes a resource-based policy, or a role trust policy when every action is
/// `sts:AssumeRole*` (or `sts:TagSession`/`sts:SetSourceIdentity` beside one); otherwise an
/// identity-based policy (an SCP, a boundary or a session policy look the same: `--type` says).
pub(crate) fn policy_type(value: &serde_json::Value) -> (PolicyType, &'static str) {
    let statements: Vec<&serde_json::Value> = match value.get("Statement") {
        Some(serde_json::Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let with_principal = statements.iter().any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some());
    if !with_principal {
        return (PolicyType::Identity, "no statement names a `Principal`");
    }
    let mut actions = statements.iter().flat_map(|s| match s.get("Action") {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(serde_json::Value::as_str).collect::<Vec<_>>(),
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        _ => Vec::new(),
    });
    let trust_action = |a: &str| {
        let lower = a.to_ascii_lowercase();
        lower.starts_with("sts:assumerole") || lower == "sts:tagsession" || lower == "sts:setsourceidentity"
    };
    let all: Vec<&str> = actions.by_ref().collect();
    if !all.is_empty()
        && all.iter().all(|a| trust_action(a))
        && all.iter().any(|a| a.to_ascii_lowercase().starts_with("sts:assumerole"))
    {
        return (PolicyType::Trust, "its statements name a `Principal` and only `sts:AssumeRole*` actions");
    }
    (PolicyType::Resource, "its statements name a `Principal`")
}

/// The inline policies of a case file, each with the type of its field; `notes` gets what is not
/// linted here (policies given by path, AWS's built-in ones) and the type of each.
pub(crate) fn case_documents(
    root: &Node,
    text: &str,
    source: usize,
    path: &str,
    notes: &mut Vec<String>,
) -> Vec<Document> {
    let cases: Vec<&Node> = match root.get("cases").map(|c| &c.value) {
        Some(Value::Seq(items)) => items.iter().collect(),
        _ => vec![root],
    };
    let library: Vec<(&str, &Node)> = match root.get("policies").map(|p| &p.value) {
        Some(Value::Map(entries)) => entries.iter().map(|(k, v)| (k.name.as_str(), v)).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let mut library_types: Vec<(String, PolicyType)> = Vec::new();
    let mut add =
        |node: &Node, t: PolicyType, place: &str, out: &mut Vec<Document>, notes: &mut Vec<String>| match &node.value {
            Value::Map(_) => {
                out.push(embedded(text, node.range.clone(), source, t));
                notes.push(format!("{path}: `{place}` linted as type `{}` (the field it is in)", t.cli_name()));
            }
            Value::String(name) if name == "FullAWSAccess" || name == "RCPFullAWSAccess" => {}
            Value::String(name) if library.iter().any(|(n, _)| n == name) => library_types.push((name.clone(), t)),
            Value::String(name) => {
                notes.push(format!(
                    "{path}: `{place}` names `{name}`, a file: lint it by itself (with `--type {}`)",
                    t.cli_name()
                ));
            }
            _ => {}
        };
    for (i, case) in cases.iter().enumerate() {
        let field = |k: &str| case.get(k);
        let action = field("action").and_then(Node::as_str).unwrap_or_default();
        let resource = field("resource").and_then(Node::as_str).unwrap_or_default();
        let resource_type = if iamspect_core::is_role_trust_request(action, resource) {
            PolicyType::Trust
        } else {
            PolicyType::Resource
        };
        let one = [
            ("resourcePolicy", resource_type),
            ("permissionsBoundary", PolicyType::PermissionsBoundary),
            ("vpcEndpointPolicy", PolicyType::VpcEndpoint),
        ];
        for (k, t) in one {
            if let Some(node) = field(k) {
                add(node, t, &format!("cases[{i}].{k}"), &mut out, notes);
            }
        }
        for (k, t) in [("identityPolicies", PolicyType::Identity), ("sessionPolicies", PolicyType::Session)] {
            if let Some(Node { value: Value::Seq(items), .. }) = field(k) {
                for (j, node) in items.iter().enumerate() {
                    add(node, t, &format!("cases[{i}].{k}[{j}]"), &mut out, notes);
                }
            }
        }
        for (k, t) in [("scps", PolicyType::Scp), ("rcps", PolicyType::Rcp)] {
            if let Some(Node { value: Value::Seq(levels), .. }) = field(k) {
                for (l, level) in levels.iter().enumerate() {
                    if let Value::Seq(items) = &level.value {
                        for (j, node) in items.iter().enumerate() {
                            add(node, t, &format!("cases[{i}].{k}[{l}][{j}]"), &mut out, notes);
                        }
                    }
                }
            }
        }
    }
    for (name, node) in &library {
        let mut types: Vec<PolicyType> = Vec::new();
        for (_, t) in library_types.iter().filter(|(n, _)| n == name) {
            if !types.contains(t) {
                types.push(*t);
            }
        }
        match (&node.value, types.is_empty()) {
            (Value::String(file), _) => {
                notes.push(format!("{path}: policy `{name}` is the file `{file}`: lint it by itself"))
            }
            (_, true) => {
                notes.push(format!("{path}: policy `{name}` is used by no case, so its type is unknown: not linted"))
            }
            (_, false) => {
                for t in types {
                    out.push(embedded(text, node.range.clone(), source, t));
                    notes.push(format!(
                        "{path}: policy `{name}` linted as type `{}` (where the cases use it)",
                        t.cli_name()
                    ));
                }
            }
        }
    }
    out
}

/// A policy that is a slice of the file, positions mapped one to one.
fn embedded(text: &str, range: Range<usize>, source: usize, policy_type: PolicyType) -> Document {
    let body = text.get(range.clone()).unwrap_or_default().to_string();
    let piece = Piece { generated: 0..body.len(), file: range.clone(), exact: true, intrinsic: None };
    Document {
        source,
        resource: None,
        policy_type,
        resource_type: None,
        text: body,
        origin: Origin::Embedded { pieces: vec![piece], whole: range },
    }
}
