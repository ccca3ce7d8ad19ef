//! Resource-based policies: a native file (`{"resourcePolicies": {"ARN": policy}}`) and the
//! outputs of the AWS CLI calls that fetch them, named as collectors save them
//! (`s3-get-bucket-policy_BUCKET`, `sqs-get-queue-attributes_...`, `lambda-get-policy_NAME`, ...).

use serde_json::Value;

use iamspect_core::{GrantConstraint, KmsGrant};

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

/// What `aws kms list-grants` held: the grants by key ARN, and the grants not weighed, each with
/// why (decision D135).
#[derive(Debug, Default)]
pub(crate) struct ListedGrants {
    pub(crate) grants: Vec<(String, KmsGrant)>,
    pub(crate) skipped: Vec<String>,
}

/// Reads `aws kms list-grants` output (`{"Grants": [...]}`). A grant whose grantee is not an IAM
/// principal (a service principal), or whose operations or constraints iamspect does not know, is
/// skipped with a note: a grant only allows, so leaving one out can refuse what AWS allows, never
/// allow what AWS refuses. A malformed entry fails the file.
pub(crate) fn list_grants(grants: &[Value]) -> Result<ListedGrants, String> {
    let mut out = ListedGrants::default();
    for (i, g) in grants.iter().enumerate() {
        let text = |field: &str| g.get(field).and_then(Value::as_str).map(str::to_string);
        let at = format!("Grants[{i}].");
        let key = text("KeyId").ok_or_else(|| format!("`{at}KeyId` is missing or not a string"))?;
        if iamspect_core::Arn::parse(&key).is_none_or(|a| a.service != "kms" || !a.resource.starts_with("key/")) {
            return Err(format!("`{at}KeyId` `{key}` is not a KMS key ARN (list-grants gives the key's ARN)"));
        }
        let grantee = text("GranteePrincipal").ok_or_else(|| format!("`{at}GranteePrincipal` is missing"))?;
        let operations: Vec<String> = match g.get("Operations").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .map(|o| o.as_str().map(str::to_string).ok_or_else(|| format!("`{at}Operations` holds a non-string")))
                .collect::<Result<_, _>>()?,
            None => return Err(format!("`{at}Operations` is missing or not a list")),
        };
        let pairs = |v: &Value| -> Result<Vec<(String, String)>, String> {
            let map = v.as_object().ok_or_else(|| format!("`{at}Constraints` holds a non-object"))?;
            map.iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|v| (k.clone(), v.to_string()))
                        .ok_or_else(|| format!("`{at}Constraints` value of `{k}` is not a string"))
                })
                .collect()
        };
        let constraint = match g.get("Constraints") {
            None | Some(Value::Null) => None,
            Some(c) => {
                let equals = c.get("EncryptionContextEquals").map(pairs).transpose()?;
                let subset = c.get("EncryptionContextSubset").map(pairs).transpose()?;
                let known = c.as_object().is_some_and(|m| {
                    m.keys().all(|k| k == "EncryptionContextEquals" || k == "EncryptionContextSubset")
                });
                match (equals, subset) {
                    (Some(e), None) if known => Some(GrantConstraint::EncryptionContextEquals(e)),
                    (None, Some(s)) if known => Some(GrantConstraint::EncryptionContextSubset(s)),
                    _ => {
                        out.skipped.push(format!(
                            "grant `{}` on `{key}`: its constraints are not one encryption-context constraint iamspect decides; not weighed",
                            text("GrantId").unwrap_or_default()
                        ));
                        continue;
                    }
                }
            }
        };
        match KmsGrant::build(
            &at,
            text("GrantId"),
            &grantee,
            &operations,
            constraint,
            text("RetiringPrincipal").as_deref(),
        ) {
            Ok(grant) => out.grants.push((key, grant)),
            Err(why) => out.skipped.push(format!("grant on `{key}` not weighed: {why}")),
        }
    }
    Ok(out)
}

/// The opt-in statuses `aws account list-regions` reports (decision D141).
pub(crate) const REGION_OPT_STATUSES: &[&str] = &["ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT"];

/// Reads `aws account list-regions` output (`{"Regions": [{"RegionName", "RegionOptStatus"}]}`):
/// each Region with its status. Anything else in an entry is an error naming it.
pub(crate) fn list_regions(regions: &[Value]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::with_capacity(regions.len());
    for (i, r) in regions.iter().enumerate() {
        let name = r.get("RegionName").and_then(Value::as_str);
        let status = r.get("RegionOptStatus").and_then(Value::as_str);
        match (name, status) {
            (Some(name), Some(status)) if REGION_OPT_STATUSES.contains(&status) => {
                out.push((name.to_string(), status.to_string()));
            }
            (Some(_), Some(status)) => {
                return Err(format!(
                    "`Regions[{i}].RegionOptStatus` `{status}` is not one of {}",
                    REGION_OPT_STATUSES.join(", ")
                ));
            }
            _ => return Err(format!("`Regions[{i}]` needs `RegionName` and `RegionOptStatus`")),
        }
    }
    Ok(out)
}
