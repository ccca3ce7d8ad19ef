//! The resource of a request, from the event's `requestParameters`: an ARN-valued parameter that
//! fits one of the action's ARN formats, or an ARN format filled in from the parameters (with the
//! event's region and account), or `*` with the reason.
//!
//! ARN formats come from the service reference when it is loaded (and knows the action), else
//! from a short table for the services whose denials are most common.

use serde_json::Value;

use crate::service_ref::{ResourceType, ServiceReference};

/// The resource found for an action, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceGuess {
    /// An ARN, or `*`.
    pub arn: String,
    /// Where it came from, or why it could not be determined.
    pub how: String,
    /// False when the resource could not be determined and `*` stands in for it.
    pub determined: bool,
    /// Caveats (several candidates, a name where AWS evaluates a full ARN, ...).
    pub notes: Vec<String>,
}

/// The partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// A parameter name or placeholder reduced for comparison: lower case, letters and digits only,
/// without a trailing `WithPath`, `Name`, `Identifier`, `Id` or `Arn`.
fn norm(name: &str) -> String {
    let mut s: String = name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    if let Some(t) = s.strip_suffix("withpath") {
        s = t.to_string();
    }
    for suffix in ["name", "identifier", "id", "arn"] {
        if let Some(t) = s.strip_suffix(suffix)
            && !t.is_empty()
        {
            s = t.to_string();
            break;
        }
    }
    s
}

/// Parameter names that stand for a placeholder under another name.
fn aliases(placeholder: &str) -> &'static [&'static str] {
    match placeholder {
        "object" => &["key"],
        "securitygroup" => &["group"],
        "dbclusterinstance" => &["dbcluster"],
        "snapshot" => &["dbsnapshot", "dbclustersnapshot"],
        "dbinstance" => &["db"],
        "keypair" => &["key"],
        _ => &[],
    }
}

fn is_arn(s: &str) -> bool {
    s.starts_with("arn:") && iamspect_core::Arn::parse(s).is_some()
}

/// One scalar of `requestParameters`.
#[derive(Clone, Debug)]
struct Param {
    /// How deep in `requestParameters` (0: a top-level parameter).
    depth: usize,
    path: String,
    norm: String,
    value: String,
}

/// The scalars of `requestParameters`, shallowest first, and the ARN-valued ones.
#[derive(Clone, Debug, Default)]
struct Params {
    scalars: Vec<Param>,
    arns: Vec<Param>,
}

impl Params {
    fn collect(request_parameters: Option<&Value>) -> Params {
        let mut out = Params::default();
        let mut level: Vec<(String, &Value)> = match request_parameters {
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
            _ => return out,
        };
        for depth in 0..6 {
            let mut next = Vec::new();
            for (path, v) in level {
                let leaf = path.rsplit(['.', '[']).next().unwrap_or(&path).trim_end_matches(']').to_string();
                match v {
                    Value::String(s) if !s.is_empty() => {
                        let p = Param { depth, norm: norm(&leaf), path: path.clone(), value: s.clone() };
                        if is_arn(s) {
                            out.arns.push(p);
                        } else {
                            out.scalars.push(p);
                        }
                    }
                    Value::Number(n) => {
                        out.scalars.push(Param { depth, norm: norm(&leaf), path: path.clone(), value: n.to_string() })
                    }
                    Value::Object(map) => next.extend(map.iter().map(|(k, v)| (format!("{path}.{k}"), v))),
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            // A list of strings under a name (`x-amz-acl: ["private"]`) keeps the name.
                            let p = if item.is_string() { path.clone() } else { format!("{path}[{i}]") };
                            next.push((p, item));
                        }
                    }
                    _ => {}
                }
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        out
    }

    fn find(&self, placeholder_norm: &str) -> Vec<&Param> {
        let mut keys = vec![placeholder_norm];
        keys.extend(aliases(placeholder_norm));
        for k in keys {
            let found: Vec<&Param> = self.scalars.iter().filter(|p| p.norm == k).collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Lit(&'a str),
    Hole(&'a str),
}

fn tokens(format: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Token::Lit(&rest[..start]));
        }
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push(Token::Hole(&after[..end]));
                rest = &after[end + 1..];
            }
            None => {
                out.push(Token::Lit(&rest[start..]));
                rest = "";
            }
        }
    }
    if !rest.is_empty() {
        out.push(Token::Lit(rest));
    }
    out
}

/// Placeholders whose value may hold `/` (paths, object keys).
fn hole_allows_slash(name: &str) -> bool {
    name.ends_with("WithPath") || name.contains("Object") || name.contains("Path") || name.ends_with("Prefix")
}

/// True if `arn` fits `format` (placeholders match any text without `:`, and without `/` unless
/// they stand for a path or an object key).
pub(crate) fn fits(arn: &str, format: &str) -> bool {
    fn go(s: &str, toks: &[Token<'_>]) -> bool {
        match toks.split_first() {
            None => s.is_empty(),
            Some((Token::Lit(l), rest)) => s.strip_prefix(l).is_some_and(|s| go(s, rest)),
            Some((Token::Hole(name), rest)) => {
                let slash = hole_allows_slash(name);
                let regionish = matches!(*name, "Region" | "Account");
                let mut end = 0;
                loop {
                    // Region and account may be empty (global resources); other placeholders may not.
                    if (end > 0 || regionish) && go(&s[end..], rest) {
                        return true;
                    }
                    let Some(c) = s[end..].chars().next() else { return false };
                    if c == ':' || (c == '/' && !slash) {
                        return false;
                    }
                    end += c.len_utf8();
                }
            }
        }
    }
    go(arn, &tokens(format))
}

/// The event facts a format needs besides the parameters.
#[derive(Clone, Debug)]
pub(crate) struct Place<'a> {
    pub(crate) region: Option<&'a str>,
    pub(crate) account: Option<&'a str>,
}

/// Fills `format` from the parameters; returns the ARN and the parameter paths used.
fn fill(format: &str, params: &Params, place: &Place<'_>, notes: &mut Vec<String>) -> Option<(String, Vec<String>)> {
    let mut out = String::new();
    let mut used = Vec::new();
    for t in tokens(format) {
        match t {
            Token::Lit(l) => out.push_str(l),
            Token::Hole("Partition") => out.push_str(partition(place.region.unwrap_or(""))),
            Token::Hole("Region") => out.push_str(place.region?),
            Token::Hole("Account") => out.push_str(place.account?),
            Token::Hole(name) => {
                let found = params.find(&norm(name));
                let first = found.first()?;
                if first.value.contains(':') || (first.value.contains('/') && !hole_allows_slash(name)) {
                    return None;
                }
                if found.len() > 1 && found.iter().any(|p| p.value != first.value) {
                    notes.push(format!(
                        "requestParameters name {} values for `{name}`; the first, from `{}`, is used",
                        found.len(),
                        first.path
                    ));
                }
                out.push_str(&first.value);
                used.push(first.path.clone());
            }
        }
    }
    Some((out, used))
}

/// ARN formats for services whose denials are common, used when the service reference is not
/// loaded or does not know the action. Most specific first.
fn fallback_formats(service: &str) -> &'static [&'static str] {
    match service {
        "s3" => &["arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:${Partition}:s3:::${BucketName}"],
        "iam" => &[
            "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
            "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}",
            "arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}",
            "arn:${Partition}:iam::${Account}:instance-profile/${InstanceProfileNameWithPath}",
            "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}",
        ],
        "sts" => &["arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"],
        "ec2" => &[
            "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}",
            "arn:${Partition}:ec2:${Region}::image/${ImageId}",
            "arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId}",
            "arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}",
            "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}",
            "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}",
            "arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}",
        ],
        "ec2-instance-connect" => &["arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}"],
        "kms" => &["arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"],
        "lambda" => &["arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"],
        "sqs" => &["arn:${Partition}:sqs:${Region}:${Account}:${QueueName}"],
        "sns" => &["arn:${Partition}:sns:${Region}:${Account}:${TopicName}"],
        "secretsmanager" => &["arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}"],
        "dynamodb" => &["arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"],
        "logs" => &["arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"],
        "rds" => &[
            "arn:${Partition}:rds:${Region}:${Account}:db:${DbInstanceName}",
            "arn:${Partition}:rds:${Region}:${Account}:cluster:${DbClusterInstanceName}",
        ],
        _ => &[],
    }
}

/// ARNs the request names in forms other than an ARN-valued parameter: an SQS queue URL, an S3
/// object behind an access point ARN.
fn derived_arns(service: &str, params: &Params, place: &Place<'_>, notes: &mut Vec<String>) -> Vec<Param> {
    let mut out = Vec::new();
    match service {
        "sqs" => {
            for p in params.scalars.iter().filter(|p| p.norm == "queueurl") {
                // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME or https://queue.amazonaws.com/ACCOUNT/NAME
                let rest = p.value.split_once("://").map_or(p.value.as_str(), |(_, r)| r);
                let parts: Vec<&str> = rest.split('/').collect();
                if let [host, account, name] = parts.as_slice() {
                    let region = host
                        .strip_prefix("sqs.")
                        .and_then(|h| h.split('.').next())
                        .filter(|r| r.contains('-'))
                        .or(place.region)
                        .unwrap_or("us-east-1");
                    out.push(Param {
                        depth: 0,
                        path: p.path.clone(),
                        norm: "queue".to_string(),
                        value: format!("arn:{}:sqs:{region}:{account}:{name}", partition(region)),
                    });
                }
            }
        }
        "s3" => {
            let key = params.scalars.iter().find(|p| p.norm == "key");
            for b in params.arns.iter().filter(|p| p.norm == "bucket" && p.value.contains(":accesspoint/")) {
                if let Some(k) = key {
                    out.push(Param {
                        depth: 0,
                        path: format!("{} and {}", b.path, k.path),
                        norm: "object".to_string(),
                        value: format!("{}/object/{}", b.value, k.value),
                    });
                }
            }
        }
        "kms" => {
            if let Some(p) = params.scalars.iter().find(|p| p.norm == "key" && p.value.starts_with("alias/")) {
                notes.push(format!(
                    "`{}` is the alias `{}`: AWS evaluates the key it points to, which CloudTrail does not name",
                    p.path, p.value
                ));
            }
        }
        _ => {}
    }
    out
}

/// Resource types whose name appears in the action name come first (`object` for `GetObject`).
fn ordered(action_name: &str, mut types: Vec<ResourceType>) -> Vec<ResourceType> {
    let lower = action_name.to_ascii_lowercase();
    types.sort_by_key(|t| !lower.contains(&t.name.to_ascii_lowercase().replace('-', "")));
    types
}

fn from_formats(
    formats: &[(String, String)],
    params: &Params,
    arns: &[Param],
    place: &Place<'_>,
    notes: &mut Vec<String>,
) -> Option<(String, String)> {
    // A top-level parameter holding an ARN that fits wins over a format filled in from names,
    // which wins over an ARN deeper down (inside a policy document, a list of grants, ...).
    let by_arn = |top: bool| {
        formats.iter().find_map(|(label, format)| {
            arns.iter()
                .find(|p| (p.depth == 0) == top && fits(&p.value, format))
                .map(|p| (p.value.clone(), format!("requestParameters.{}, an ARN in the {label}", p.path)))
        })
    };
    if let Some(found) = by_arn(true) {
        return Some(found);
    }
    for (label, format) in formats {
        let mut fill_notes = Vec::new();
        if let Some((arn, used)) = fill(format, params, place, &mut fill_notes)
            && !used.is_empty()
        {
            notes.extend(fill_notes);
            let used: Vec<String> = used.iter().map(|u| format!("requestParameters.{u}")).collect();
            return Some((arn, format!("{}, in the {label}", used.join(" and "))));
        }
    }
    by_arn(false)
}

/// The resource of `action` (`service:Action`) in the event.
pub fn resource_for(record: &Value, action: &str, sref: Option<&ServiceReference>) -> ResourceGuess {
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let service = service.to_ascii_lowercase();
    let region = record.get("awsRegion").and_then(Value::as_str).filter(|s| !s.is_empty());
    let account = record.get("recipientAccountId").and_then(Value::as_str).filter(|s| !s.is_empty());
    let place = Place { region, account };
    let request_parameters = record.get("requestParameters").filter(|v| !v.is_null());
    let params = Params::collect(request_parameters);
    let mut notes = Vec::new();
    let mut arns = derived_arns(&service, &params, &place, &mut notes);
    arns.extend(params.arns.iter().cloned());

    let types = sref.and_then(|s| s.resource_types(&service, name));
    if let Some(types) = &types {
        if types.is_empty() {
            return ResourceGuess {
                arn: "*".to_string(),
                how: format!("the service reference: {action} takes no resource"),
                determined: true,
                notes,
            };
        }
        let formats: Vec<(String, String)> = ordered(name, types.clone())
            .into_iter()
            .flat_map(|t| t.arn_formats.into_iter().map(move |f| (format!("{} ARN format", t.name), f)))
            .collect();
        if let Some((arn, how)) = from_formats(&formats, &params, &arns, &place, &mut notes) {
            if types.len() > 1 {
                notes.push(format!(
                    "{action} takes several resource types ({}); AWS may have denied it on another one",
                    types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            secret_note(&service, &arn, &mut notes);
            return ResourceGuess { arn, how, determined: true, notes };
        }
    }
    let fallback: Vec<(String, String)> =
        fallback_formats(&service).iter().map(|f| ("built-in ARN format".to_string(), (*f).to_string())).collect();
    if types.is_none()
        && let Some((arn, how)) = from_formats(&fallback, &params, &arns, &place, &mut notes)
    {
        secret_note(&service, &arn, &mut notes);
        return ResourceGuess { arn, how, determined: true, notes };
    }
    if types.is_none()
        && let Some(p) = arns.iter().find(|p| iamspect_core::Arn::parse(&p.value).is_some_and(|a| a.service == service))
    {
        return ResourceGuess {
            arn: p.value.clone(),
            how: format!("requestParameters.{}, the first {service} ARN of the request", p.path),
            determined: true,
            notes,
        };
    }
    let why = match (&types, request_parameters) {
        (_, None) => "the event has no requestParameters".to_string(),
        (Some(types), Some(_)) => format!(
            "requestParameters name no {} of {action}",
            types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" or ")
        ),
        (None, Some(_)) if fallback.is_empty() => format!(
            "{} and iamspect has no ARN format for `{service}`",
            if sref.is_some() { "the service reference does not list the action" } else { "no service reference" }
        ),
        (None, Some(_)) => format!("requestParameters name no resource iamspect can place in a {service} ARN"),
    };
    ResourceGuess { arn: "*".to_string(), how: why, determined: false, notes }
}

fn secret_note(service: &str, arn: &str, notes: &mut Vec<String>) {
    if service == "secretsmanager"
        && let Some(name) = arn.split(":secret:").nth(1)
    {
        // A full secret ARN ends in `-` and six random characters.
        let suffixed = name.rsplit_once('-').is_some_and(|(_, s)| s.len() == 6);
        if !suffixed {
            notes.push(
                "the secret is named without the six random characters AWS appends to its ARN; policies naming the full ARN will not match".to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_strips_suffixes() {
        assert_eq!(norm("RoleNameWithPath"), "role");
        assert_eq!(norm("dBInstanceIdentifier"), "dbinstance");
        assert_eq!(norm("DbInstanceName"), "dbinstance");
        assert_eq!(norm("instanceId"), "instance");
        assert_eq!(norm("policyArn"), "policy");
        assert_eq!(norm("key"), "key");
        assert_eq!(norm("KeyId"), "key");
    }

    #[test]
    fn fits_formats() {
        assert!(fits("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}"));
        assert!(!fits("arn:aws:s3:::b/k", "arn:${Partition}:s3:::${BucketName}"));
        assert!(fits("arn:aws:s3:::b/k/x", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"));
        assert!(fits("arn:aws:iam::1:role/a/b", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"));
        assert!(!fits("arn:aws:iam::1:user/a", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"));
        assert!(fits("arn:aws:ec2:us-east-1::image/ami-1", "arn:${Partition}:ec2:${Region}::image/${ImageId}"));
    }
}
