//! Resource-based policies: a native file (`{"resourcePolicies": {"ARN": policy}}`) and the
//! outputs of the AWS CLI calls that fetch them, named as collectors save them
//! (`s3-get-bucket-policy_BUCKET`, `sqs-get-queue-attributes_...`, `lambda-get-policy_NAME`, ...).

use serde_json::Value;

use crate::gaad::document_text;

/// A resource's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePolicy {
    /// The resource ARN.
    pub arn: String,
    /// Where it came from.
    pub source: String,
    /// The document.
    pub document: String,
}

/// Reads the native `resourcePolicies` map.
pub(crate) fn parse_native(v: &Value, source: &str) -> Result<Vec<ResourcePolicy>, String> {
    let Some(map) = v.as_object() else {
        return Err("`resourcePolicies` must map resource ARNs to policies".to_string());
    };
    let mut out = Vec::new();
    for (arn, doc) in map {
        let document = document_text(doc).ok_or_else(|| format!("the policy of `{arn}` is not a policy document"))?;
        out.push(ResourcePolicy { arn: arn.clone(), source: source.to_string(), document });
    }
    Ok(out)
}

fn unescape(name: &str) -> String {
    // Collectors escape `:` and `/` as `_3A` and `_2F` in file names.
    name.replace("_3A", ":").replace("_2F", "/")
}

/// What a resource-policy CLI output held.
pub(crate) enum CliOutput {
    /// The file name is not one iamspect knows.
    NotRecognized,
    /// The resource has no policy.
    NoPolicy(String),
    /// A policy.
    Policy(ResourcePolicy),
    /// The output is malformed.
    Error(String),
}

/// Reads a CLI output whose file name says which resource it is for. `account` and `region` come
/// from the dump beside it and the folder name.
pub(crate) fn parse_cli_output(file_name: &str, v: &Value, account: &str, region: &str) -> CliOutput {
    match parse_cli_output_inner(file_name, v, account, region) {
        None => CliOutput::NotRecognized,
        Some((arn, Ok(Some(document)))) => {
            CliOutput::Policy(ResourcePolicy { arn, source: file_name.to_string(), document })
        }
        Some((arn, Ok(None))) => CliOutput::NoPolicy(arn),
        Some((_, Err(e))) => CliOutput::Error(e),
    }
}

type Parsed = (String, Result<Option<String>, String>);

/// An ECR repository policy as AWS applies it: ECR writes its statements without `Resource`,
/// since the policy applies to the repository it is set on (decision D87); each such statement
/// gets that repository as its `Resource`, so the policy reads as the resource policy it is.
/// Text that is not a policy object is returned as it is (and refused when compiled).
fn with_own_resource(text: &str, arn: &str) -> String {
    let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(text) else { return text.to_string() };
    let add = |stmt: &mut Value| {
        if let Value::Object(m) = stmt
            && !m.contains_key("Resource")
            && !m.contains_key("NotResource")
        {
            m.insert("Resource".to_string(), Value::String(arn.to_string()));
        }
    };
    match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().for_each(add),
        Some(one @ Value::Object(_)) => add(one),
        _ => return text.to_string(),
    }
    serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_else(|_| text.to_string())
}

fn parse_cli_output_inner(file_name: &str, v: &Value, account: &str, region: &str) -> Option<Parsed> {
    let (kind, rest) = file_name.split_once('_')?;
    let rest = unescape(rest.trim_end_matches(".json"));
    let policy_field = |field: &str| -> Result<Option<String>, String> {
        match v.get(field) {
            None => Ok(None),
            Some(doc) => document_text(doc).map(Some).ok_or_else(|| format!("`{field}` is not a policy document")),
        }
    };
    let (arn, doc) = match kind {
        "s3-get-bucket-policy" => (format!("arn:aws:s3:::{rest}"), policy_field("Policy")),
        "lambda-get-policy" => (format!("arn:aws:lambda:{region}:{account}:function:{rest}"), policy_field("Policy")),
        "ecr-get-repository-policy" => {
            // The repository's own account is the registry's (decision D87), not the dump's
            // beside it, which differs when several accounts are loaded.
            let registry = v.get("registryId").and_then(Value::as_str).unwrap_or(account);
            let name = v.get("repositoryName").and_then(Value::as_str).map_or(rest.clone(), str::to_string);
            let arn = format!("arn:aws:ecr:{region}:{registry}:repository/{name}");
            let doc = policy_field("policyText").map(|d| d.map(|text| with_own_resource(&text, &arn)));
            (arn, doc)
        }
        "secretsmanager-get-resource-policy" => {
            let arn = v
                .get("ARN")
                .and_then(Value::as_str)
                .map_or_else(|| format!("arn:aws:secretsmanager:{region}:{account}:secret:{rest}"), str::to_string);
            (arn, policy_field("ResourcePolicy"))
        }
        "kms-get-key-policy" => (format!("arn:aws:kms:{region}:{account}:key/{rest}"), policy_field("Policy")),
        "sns-get-topic-attributes" => {
            let attrs = v.get("Attributes").cloned().unwrap_or(Value::Null);
            let arn = attrs.get("TopicArn").and_then(Value::as_str).map_or(rest.clone(), str::to_string);
            (arn, Ok(attrs.get("Policy").and_then(document_text)))
        }
        "sqs-get-queue-attributes" => {
            let attrs = v.get("Attributes").cloned().unwrap_or(Value::Null);
            let arn = attrs.get("QueueArn").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| {
                let name = rest.rsplit('/').next().unwrap_or(&rest);
                format!("arn:aws:sqs:{region}:{account}:{name}")
            });
            (arn, Ok(attrs.get("Policy").and_then(document_text)))
        }
        _ => return None,
    };
    Some((arn, doc))
}
