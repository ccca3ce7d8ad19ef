//! The resource of a Query, JSON or REST-JSON request: read from the parameters each common
//! service names its resource with (SQS `QueueUrl`, SNS `TopicArn`, DynamoDB `TableName`, KMS
//! `KeyId`, Secrets Manager `SecretId`, IAM `UserName`/`RoleName`/`PolicyArn`, SSM `Name`, Kinesis
//! `StreamName`, ECR `repositoryName`, EventBridge buses and rules, ...), else from any
//! parameter whose value is an ARN of the service, else `*` when the catalogue lists no resource
//! type for the action. Anything else is refused: iamspect never authorizes a guessed resource.

use iamspect_account::AccountData;
use iamspect_core::Arn;
use serde_json::Value;

use super::{Unmapped, names};

/// A request's parameters: Query pairs (form body and query string), or a JSON body.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub(crate) pairs: Vec<(String, String)>,
    pub(crate) json: Option<Value>,
}

impl Params {
    /// The first value named `name` (a Query pair, or a top-level JSON string).
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        if let Some((_, v)) = self.pairs.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        self.json.as_ref().and_then(|j| j.get(name)).and_then(Value::as_str).map(str::to_string)
    }

    /// `Name.1`, `Name.2`, ... (Query lists) or the single `Name`.
    fn list(&self, name: &str) -> Vec<String> {
        let numbered: Vec<String> = (1..).map_while(|i| self.get(&format!("{name}.{i}"))).collect();
        if numbered.is_empty() { self.get(name).into_iter().collect() } else { numbered }
    }

    /// Every string value, with its name.
    fn values(&self) -> Vec<(String, String)> {
        let mut out = self.pairs.clone();
        if let Some(Value::Object(map)) = &self.json {
            for (k, v) in map {
                if let Some(s) = v.as_str() {
                    out.push((k.clone(), s.to_string()));
                }
            }
        }
        out
    }
}

/// Where names become ARNs.
pub(crate) struct Scope<'a> {
    pub(crate) region: &'a str,
    /// The caller's account (none for anonymous callers).
    pub(crate) caller_account: Option<&'a str>,
    pub(crate) data: &'a AccountData,
}

impl Scope<'_> {
    /// The account of a resource named without one: the account of a resource policy loaded for
    /// the same service, region and resource, else the caller's.
    fn account_of(&self, service: &str, resource: &str) -> Result<String, Unmapped> {
        let known = self.data.resource_policies.keys().find_map(|arn| {
            let a = Arn::parse(arn)?;
            (a.service == service && a.region == self.region && a.resource == resource).then(|| a.account.to_string())
        });
        known.or_else(|| self.caller_account.map(str::to_string)).ok_or_else(|| Unmapped {
            code: "IamspectUnknownResource",
            message: format!(
                "cannot tell which account owns {service} resource `{resource}`: the caller is anonymous and the account data has no policy for it"
            ),
        })
    }

    pub(crate) fn arn(&self, service: &str, resource: &str) -> Result<String, Unmapped> {
        let account = self.account_of(service, resource)?;
        Ok(format!("arn:aws:{service}:{}:{account}:{resource}", self.region))
    }

    /// An IAM entity's ARN: from the account data when it is there (with its path), else built
    /// with the path `/`.
    fn iam(&self, kind: &str, name: &str) -> Result<String, Unmapped> {
        let account = self.caller_account.ok_or_else(|| Unmapped {
            code: "IamspectUnknownResource",
            message: format!("cannot tell which account IAM {kind} `{name}` is in: the caller is anonymous"),
        })?;
        let known = self.data.accounts.get(account).and_then(|a| match kind {
            "user" => a.users.get(name).map(|u| u.arn.clone()),
            "role" => a.roles.get(name).map(|r| r.arn.clone()),
            "group" => a.groups.get(name).map(|g| g.arn.clone()),
            _ => None,
        });
        Ok(known.unwrap_or_else(|| format!("arn:aws:iam::{account}:{kind}/{name}")))
    }
}

pub(crate) fn is_arn_of(value: &str, service: &str) -> bool {
    Arn::parse(value).is_some_and(|a| a.service == service)
}

fn missing(action: &str, what: &str) -> Unmapped {
    Unmapped {
        code: "IamspectUnknownResource",
        message: format!(
            "cannot tell the resource of {action}: iamspect reads {what}, and the request has none; iamspect does not authorize a guessed resource"
        ),
    }
}

/// The resources `action` is authorized on (one check per resource).
pub(crate) fn resources(action: &str, params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    if names::takes_no_resource(action) {
        return Ok(vec!["*".to_string()]);
    }
    let (service, _) = action.split_once(':').unwrap_or((action, ""));
    let found = match service {
        "sqs" => sqs(params, scope)?,
        "sns" => sns(params, scope)?,
        "dynamodb" => dynamodb(action, params, scope)?,
        "kms" => kms(action, params, scope)?,
        "secretsmanager" => secretsmanager(action, params, scope)?,
        "iam" => iam(params, scope)?,
        "logs" => logs(params, scope)?,
        "lambda" => match params.get("FunctionName") {
            Some(f) => vec![lambda_function(&f, params.get("Qualifier").as_deref(), scope)?],
            None => Vec::new(),
        },
        "ssm" => ssm(params, scope)?,
        "kinesis" => named(params, scope, "kinesis", &["StreamName"], "stream/")?,
        "firehose" => named(params, scope, "firehose", &["DeliveryStreamName"], "deliverystream/")?,
        "ecr" => named(params, scope, "ecr", &["repositoryName"], "repository/")?,
        "events" => events(action, params, scope)?,
        "ec2" if action == "ec2:RunInstances" => run_instances(params, scope)?,
        "ec2" if EC2_CREATES.iter().any(|(a, _, _)| *a == action) => ec2_create(action, params, scope)?,
        "ec2" => ec2(params, scope)?,
        _ => Vec::new(),
    };
    if !found.is_empty() {
        return Ok(found);
    }
    // Any parameter holding an ARN of the service.
    let arns: Vec<String> = params.values().into_iter().map(|(_, v)| v).filter(|v| is_arn_of(v, service)).collect();
    if let Some(first) = arns.into_iter().next() {
        return Ok(vec![first]);
    }
    Err(missing(action, hint(service)))
}

fn hint(service: &str) -> &'static str {
    match service {
        "sqs" => "`QueueUrl` (or `QueueName`)",
        "sns" => "`TopicArn`, `TargetArn` or `Name`",
        "dynamodb" => "`TableName` (or the tables of `RequestItems`)",
        "kms" => "`KeyId` (a key ARN, key id or alias)",
        "secretsmanager" => "`SecretId` (or `Name`)",
        "iam" => "`RoleName`, `UserName`, `GroupName`, `PolicyArn` or `InstanceProfileName`",
        "logs" => "`logGroupName` or `logGroupIdentifier`",
        "lambda" => "the function name in the path or `FunctionName`",
        "ec2" => "`InstanceId`, `VolumeId`, `VpcId`, `SubnetId`, `GroupId` or `ImageId`",
        "ssm" => "`Name` or `Names`",
        "kinesis" => "`StreamName` or `StreamARN`",
        "firehose" => "`DeliveryStreamName`",
        "ecr" => "`repositoryName`",
        "events" => "`Name`, `EventBusName` or the `Entries` of PutEvents",
        _ => "a parameter holding an ARN of the service",
    }
}

/// The strings of a JSON array parameter (`"Names": ["a", "b"]`), or of a Query list.
fn strings(params: &Params, name: &str) -> Vec<String> {
    match params.json.as_ref().and_then(|j| j.get(name)) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => params.list(name),
    }
}

/// A resource named by the first of `keys` present: `prefix` + the name, unless it is an ARN.
fn named(
    params: &Params,
    scope: &Scope<'_>,
    service: &str,
    keys: &[&str],
    prefix: &str,
) -> Result<Vec<String>, Unmapped> {
    for key in keys {
        if let Some(name) = params.get(key) {
            if is_arn_of(&name, service) {
                return Ok(vec![name]);
            }
            return scope.arn(service, &format!("{prefix}{name}")).map(|a| vec![a]);
        }
    }
    Ok(Vec::new())
}

/// SSM parameters: `parameter/NAME`, or `parameter` + NAME when it is a path (`/app/db`).
fn ssm(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    let parameter = |name: &str| -> Result<String, Unmapped> {
        if is_arn_of(name, "ssm") {
            return Ok(name.to_string());
        }
        let path = if name.starts_with('/') { format!("parameter{name}") } else { format!("parameter/{name}") };
        scope.arn("ssm", &path)
    };
    if let Some(name) = params.get("Name") {
        return parameter(&name).map(|a| vec![a]);
    }
    // GetParametersByPath is authorized on the path's own parameter ARN (`parameter/app/db`).
    if let Some(path) = params.get("Path").filter(|p| p.starts_with('/')) {
        return scope.arn("ssm", &format!("parameter{}", path.trim_end_matches('/'))).map(|a| vec![a]);
    }
    strings(params, "Names").iter().map(|n| parameter(n)).collect()
}

/// EventBridge: `PutEvents` on each entry's bus (`default` when unnamed), rules on
/// `rule/[BUS/]NAME`, buses on `event-bus/NAME`.
fn events(action: &str, params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    let bus = |name: &str| -> Result<String, Unmapped> {
        if is_arn_of(name, "events") { Ok(name.to_string()) } else { scope.arn("events", &format!("event-bus/{name}")) }
    };
    if action == "events:PutEvents" {
        let entries = params.json.as_ref().and_then(|j| j.get("Entries")).and_then(Value::as_array);
        let mut out: Vec<String> = Vec::new();
        for entry in entries.map(Vec::as_slice).unwrap_or_default() {
            let name = entry.get("EventBusName").and_then(Value::as_str).unwrap_or("default");
            let arn = bus(name)?;
            if !out.contains(&arn) {
                out.push(arn);
            }
        }
        return Ok(out);
    }
    let bus_name = params.get("EventBusName").filter(|b| b != "default" && !is_arn_of(b, "events"));
    if let Some(rule) = params.get("Rule").or_else(|| params.get("Name").filter(|_| action.contains("Rule"))) {
        let resource = match bus_name {
            Some(b) => format!("rule/{b}/{rule}"),
            None => format!("rule/{rule}"),
        };
        return scope.arn("events", &resource).map(|a| vec![a]);
    }
    if let Some(name) = params.get("Name").or_else(|| params.get("EventBusName")) {
        return bus(&name).map(|a| vec![a]);
    }
    Ok(Vec::new())
}

fn sqs(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    if let Some(url) = params.get("QueueUrl") {
        return queue_url(&url, scope).map(|a| vec![a]);
    }
    if let Some(name) = params.get("QueueName") {
        return scope.arn("sqs", &name).map(|a| vec![a]);
    }
    Ok(Vec::new())
}

/// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (or any host) to the queue's ARN.
pub(crate) fn queue_url(url: &str, scope: &Scope<'_>) -> Result<String, Unmapped> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let mut segments = path.trim_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some(account), Some(name), None)
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty() =>
        {
            Ok(format!("arn:aws:sqs:{}:{account}:{name}", scope.region))
        }
        _ => Err(Unmapped {
            code: "IamspectUnknownResource",
            message: format!("the QueueUrl `{url}` is not `<endpoint>/<12-digit account>/<queue name>`"),
        }),
    }
}

fn sns(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    for key in ["TopicArn", "TargetArn", "ResourceArn"] {
        if let Some(arn) = params.get(key).filter(|v| is_arn_of(v, "sns")) {
            return Ok(vec![arn]);
        }
    }
    if let Some(sub) = params.get("SubscriptionArn").filter(|v| is_arn_of(v, "sns")) {
        // A subscription is authorized on its topic.
        let topic = sub.rsplit_once(':').map_or(sub.clone(), |(t, _)| t.to_string());
        return Ok(vec![topic]);
    }
    if let Some(name) = params.get("Name") {
        return scope.arn("sns", &name).map(|a| vec![a]);
    }
    Ok(Vec::new())
}

/// DynamoDB: the batch operations name their tables in `RequestItems` and nowhere else; every
/// other operation names one table in `TableName`. A request with the other operation's
/// parameter too is refused: which one an emulator reads is not for the gateway to guess.
fn dynamodb(action: &str, params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    let table = |name: &str| -> Result<String, Unmapped> {
        if is_arn_of(name, "dynamodb") { Ok(name.to_string()) } else { scope.arn("dynamodb", &format!("table/{name}")) }
    };
    let json = params.json.as_ref();
    let conflict = |both: &str| Unmapped {
        code: super::wire::NON_CANONICAL,
        message: format!("{action} with both {both}: the gateway does not guess which one names the table"),
    };
    let request_items = json.and_then(|j| j.get("RequestItems"));
    let transact_items = json.and_then(|j| j.get("TransactItems"));
    let table_name = params.get("TableName");
    match action {
        "dynamodb:BatchGetItem" | "dynamodb:BatchWriteItem" => {
            if table_name.is_some() {
                return Err(conflict("`RequestItems` and a top-level `TableName`"));
            }
            match request_items {
                Some(Value::Object(items)) if !items.is_empty() => items.keys().map(|k| table(k)).collect(),
                _ => Ok(Vec::new()),
            }
        }
        _ => {
            if request_items.is_some() || transact_items.is_some() {
                return Err(conflict("`TableName` and `RequestItems`/`TransactItems`"));
            }
            let Some(name) = table_name else { return Ok(Vec::new()) };
            let arn = table(&name)?;
            // A query or scan of an index is authorized on the index.
            Ok(vec![match params.get("IndexName") {
                Some(index) => format!("{arn}/index/{index}"),
                None => arn,
            }])
        }
    }
}

fn kms(action: &str, params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    // Alias operations are authorized on the alias and on the key(s) it points to (KMS's
    // "Controlling access to aliases"): CreateAlias on the new key, UpdateAlias on the current
    // and the new key, DeleteAlias on the current key.
    let alias_arn = |alias: &str| -> Result<String, Unmapped> {
        if is_arn_of(alias, "kms") { Ok(alias.to_string()) } else { scope.arn("kms", alias) }
    };
    match action {
        "kms:CreateAlias" | "kms:UpdateAlias" | "kms:DeleteAlias" => {
            let Some(alias) = params.get("AliasName") else { return Ok(Vec::new()) };
            let alias = alias_arn(&alias)?;
            let mut out = vec![alias.clone()];
            if action != "kms:CreateAlias" {
                out.push(alias_target(&alias, scope)?);
            }
            if action != "kms:DeleteAlias" {
                let Some(key) = params.get("TargetKeyId") else { return Ok(Vec::new()) };
                let key = kms_key(&key, scope)?;
                if !out.contains(&key) {
                    out.push(key);
                }
            }
            return Ok(out);
        }
        _ => {}
    }
    let Some(id) = params.get("KeyId").or_else(|| params.get("TargetKeyId")) else {
        if let Some(alias) = params.get("AliasName") {
            return alias_arn(&alias).map(|a| vec![a]);
        }
        return Ok(Vec::new());
    };
    kms_key(&id, scope).map(|a| vec![a])
}

/// The key an alias ARN points to, from the account data's `aws kms list-aliases` output.
fn alias_target(alias_arn: &str, scope: &Scope<'_>) -> Result<String, Unmapped> {
    scope.data.kms_aliases.get(alias_arn).cloned().ok_or_else(|| Unmapped {
        code: "IamspectUnknownResource",
        message: format!(
            "AWS authorizes a request made through KMS alias `{alias_arn}` on the key the alias points to, and the account data does not say which key that is: add the output of `aws kms list-aliases` to --account-data"
        ),
    })
}

/// A KMS key named by ARN, key id, alias or alias ARN: the key's ARN (an alias is resolved to
/// its key, which is what AWS authorizes).
pub(crate) fn kms_key(id: &str, scope: &Scope<'_>) -> Result<String, Unmapped> {
    if is_arn_of(id, "kms") {
        if id.contains(":alias/") { alias_target(id, scope) } else { Ok(id.to_string()) }
    } else if id.starts_with("alias/") {
        alias_target(&scope.arn("kms", id)?, scope)
    } else {
        scope.arn("kms", &format!("key/{id}"))
    }
}

/// The aliases the request used and the key's aliases, as KMS's condition keys
/// (`kms:RequestAlias`, `kms:ResourceAliases`).
pub(crate) fn kms_alias_context(params: &Params, scope: &Scope<'_>) -> Vec<(String, Vec<String>)> {
    let mut ctx = Vec::new();
    let Some(id) = params.get("KeyId") else { return ctx };
    let alias = if id.starts_with("alias/") {
        Some(id.clone())
    } else {
        id.split_once(":alias/").map(|(_, a)| format!("alias/{a}"))
    };
    if let Some(alias) = &alias {
        ctx.push(("kms:RequestAlias".to_string(), vec![alias.clone()]));
    }
    if let Ok(key) = kms_key(&id, scope) {
        let aliases: Vec<String> = scope
            .data
            .kms_aliases
            .iter()
            .filter(|(_, k)| **k == key)
            .filter_map(|(a, _)| a.split_once(":alias/").map(|(_, n)| format!("alias/{n}")))
            .collect();
        if !aliases.is_empty() {
            ctx.push(("kms:ResourceAliases".to_string(), aliases));
        }
    }
    ctx
}

fn secretsmanager(action: &str, params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    if action == "secretsmanager:CreateSecret" {
        // A new secret's ARN ends in `-` and six random characters that AWS picks; a grant on
        // the full ARN of another secret of the same name does not match it, a `-??????` pattern
        // does.
        let Some(name) = params.get("Name") else { return Ok(Vec::new()) };
        return scope.arn("secretsmanager", &format!("secret:{name}-{}", random_suffix())).map(|a| vec![a]);
    }
    let Some(id) = params.get("SecretId").or_else(|| params.get("Name")) else { return Ok(Vec::new()) };
    // A secret's ARN ends in `-` and six random characters; a name or a partial ARN is resolved
    // to the full ARN of a secret the account data lists (`aws secretsmanager list-secrets`, or
    // a resource policy).
    let known = scope.data.secrets.iter().chain(scope.data.resource_policies.keys()).filter(|arn| {
        Arn::parse(arn).is_some_and(|a| a.service == "secretsmanager" && a.resource.starts_with("secret:"))
    });
    let mut matches: Vec<&String> = Vec::new();
    for arn in known {
        let full = *arn == id;
        let partial = arn.strip_prefix(id.as_str()).is_some_and(|rest| rest.len() == 7 && rest.starts_with('-'));
        let by_name = !is_arn_of(&id, "secretsmanager")
            && Arn::parse(arn).is_some_and(|a| {
                a.region == scope.region
                    && Some(a.account) == scope.caller_account
                    && a.resource
                        .strip_prefix("secret:")
                        .and_then(|r| r.strip_prefix(id.as_str()))
                        .is_some_and(|rest| rest.len() == 7 && rest.starts_with('-'))
            });
        if (full || partial || by_name) && !matches.contains(&arn) {
            matches.push(arn);
        }
    }
    match matches.as_slice() {
        [one] => Ok(vec![(*one).clone()]),
        [] => Err(Unmapped {
            code: "IamspectUnknownResource",
            message: format!(
                "AWS authorizes a request for secret `{id}` on the secret's full ARN (its name, `-` and six random characters), and the account data lists no such secret: add the output of `aws secretsmanager list-secrets` to --account-data"
            ),
        }),
        many => Err(Unmapped {
            code: "IamspectUnknownResource",
            message: format!(
                "secret `{id}` matches {} secrets of the account data; name it by its full ARN",
                many.len()
            ),
        }),
    }
}

/// Six characters as Secrets Manager adds to a new secret's name.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = [0; 6];
    }
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

fn iam(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    for (key, kind) in [("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")] {
        if let Some(name) = params.get(key) {
            return scope.iam(kind, &name).map(|a| vec![a]);
        }
    }
    if let Some(name) = params.get("InstanceProfileName") {
        let account = scope.caller_account.unwrap_or_default();
        return Ok(vec![format!("arn:aws:iam::{account}:instance-profile/{name}")]);
    }
    if let Some(arn) = params.get("PolicyArn") {
        return Ok(vec![arn]);
    }
    // CreatePolicy names the new policy by name and path.
    if let Some(name) = params.get("PolicyName") {
        let account = scope.caller_account.unwrap_or_default();
        let path = params.get("Path").unwrap_or_else(|| "/".to_string());
        return Ok(vec![format!("arn:aws:iam::{account}:policy{path}{name}")]);
    }
    Ok(Vec::new())
}

fn logs(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    if let Some(id) = params.get("logGroupIdentifier").filter(|v| is_arn_of(v, "logs")) {
        return Ok(vec![id]);
    }
    let Some(group) = params.get("logGroupName").or_else(|| params.get("logGroupIdentifier")) else {
        return Ok(Vec::new());
    };
    let resource = match params.get("logStreamName") {
        Some(stream) => format!("log-group:{group}:log-stream:{stream}"),
        None => format!("log-group:{group}"),
    };
    scope.arn("logs", &resource).map(|a| vec![a])
}

/// A Lambda function's ARN from a name, partial ARN or ARN, with an optional qualifier.
pub(crate) fn lambda_function(name: &str, qualifier: Option<&str>, scope: &Scope<'_>) -> Result<String, Unmapped> {
    let base = if is_arn_of(name, "lambda") {
        name.to_string()
    } else if let Some((account, rest)) = name.split_once(":function:") {
        format!("arn:aws:lambda:{}:{account}:function:{rest}", scope.region)
    } else {
        scope.arn("lambda", &format!("function:{name}"))?
    };
    Ok(match qualifier {
        Some(q) if !q.is_empty() => format!("{base}:{q}"),
        _ => base,
    })
}

/// `RunInstances` is authorized on every resource it touches: the new instance, its volumes and
/// network interfaces, the image, and the subnet, security groups and key pair it names.
fn run_instances(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    let Some(image) = params.get("ImageId") else { return Ok(Vec::new()) };
    let mut out = vec![
        scope.arn("ec2", "instance/*")?,
        scope.arn("ec2", "volume/*")?,
        scope.arn("ec2", "network-interface/*")?,
        format!("arn:aws:ec2:{}::image/{image}", scope.region),
    ];
    if let Some(subnet) = params.get("SubnetId") {
        out.push(scope.arn("ec2", &format!("subnet/{subnet}"))?);
    }
    for group in params.list("SecurityGroupId") {
        out.push(scope.arn("ec2", &format!("security-group/{group}"))?);
    }
    if let Some(key) = params.get("KeyName") {
        out.push(scope.arn("ec2", &format!("key-pair/{key}"))?);
    }
    Ok(out)
}

/// EC2 operations that make a resource: (action, the new resource's type, the parameters naming
/// the existing resources AWS also authorizes the action on, with their types). The new
/// resource's id is not known before it exists, so it is checked as `TYPE/*`, as for
/// RunInstances (AWS's service reference lists these types for each action).
type Ec2Create = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

const EC2_CREATES: &[Ec2Create] = &[
    ("ec2:CreateVpc", "vpc", &[]),
    ("ec2:CreateSubnet", "subnet", &[("VpcId", "vpc")]),
    ("ec2:CreateSecurityGroup", "security-group", &[("VpcId", "vpc")]),
    ("ec2:CreateVolume", "volume", &[("SnapshotId", "snapshot")]),
    ("ec2:CreateInternetGateway", "internet-gateway", &[]),
    ("ec2:CreateRouteTable", "route-table", &[("VpcId", "vpc")]),
    ("ec2:CreateNatGateway", "natgateway", &[("SubnetId", "subnet"), ("AllocationId", "elastic-ip")]),
    ("ec2:AllocateAddress", "elastic-ip", &[]),
    ("ec2:CreateLaunchTemplate", "launch-template", &[]),
    (
        "ec2:CreateNetworkInterface",
        "network-interface",
        &[("SubnetId", "subnet"), ("SecurityGroupId", "security-group")],
    ),
    ("ec2:CreateSnapshot", "snapshot", &[("VolumeId", "volume")]),
    ("ec2:CreateImage", "image", &[("InstanceId", "instance")]),
];

/// Parameters that name IPAM or address pools, whose ARNs the gateway does not derive.
const EC2_POOLS: &[&str] = &["Ipv4IpamPoolId", "Ipv6IpamPoolId", "Ipv6Pool", "PublicIpv4Pool", "IpamPoolId"];

fn ec2_create(action: &str, params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    let Some((_, new, named)) = EC2_CREATES.iter().find(|(a, _, _)| *a == action) else { return Ok(Vec::new()) };
    if let Some(pool) = EC2_POOLS.iter().find(|p| params.get(p).is_some()) {
        return Err(Unmapped {
            code: "IamspectUnknownResource",
            message: format!(
                "{action} with `{pool}`: AWS also authorizes it on the pool, whose ARN the gateway does not derive"
            ),
        });
    }
    // Images and snapshots have no account in their ARN.
    let arn = |kind: &str, id: &str| -> Result<String, Unmapped> {
        if matches!(kind, "image" | "snapshot") {
            Ok(format!("arn:aws:ec2:{}::{kind}/{id}", scope.region))
        } else {
            scope.arn("ec2", &format!("{kind}/{id}"))
        }
    };
    let mut out = vec![arn(new, "*")?];
    for (param, kind) in *named {
        for id in params.list(param) {
            out.push(arn(kind, &id)?);
        }
    }
    Ok(out)
}

fn ec2(params: &Params, scope: &Scope<'_>) -> Result<Vec<String>, Unmapped> {
    for (key, kind) in [
        ("InstanceId", "instance"),
        ("VolumeId", "volume"),
        ("VpcId", "vpc"),
        ("SubnetId", "subnet"),
        ("GroupId", "security-group"),
        ("SnapshotId", "snapshot"),
    ] {
        let ids = params.list(key);
        if !ids.is_empty() {
            return ids.iter().map(|id| scope.arn("ec2", &format!("{kind}/{id}"))).collect();
        }
    }
    if let Some(image) = params.get("ImageId") {
        return Ok(vec![format!("arn:aws:ec2:{}::image/{image}", scope.region)]);
    }
    // CreateTags and DeleteTags name resources by id (`ResourceId.N`): the id's prefix is its type.
    params.list("ResourceId").iter().map(|id| ec2_by_id(id, scope)).collect()
}

/// An EC2 resource's ARN from its id, whose prefix names its type; other prefixes are refused.
fn ec2_by_id(id: &str, scope: &Scope<'_>) -> Result<String, Unmapped> {
    const TYPES: &[(&str, &str)] = &[
        ("i-", "instance"),
        ("vol-", "volume"),
        ("vpc-", "vpc"),
        ("subnet-", "subnet"),
        ("sg-", "security-group"),
        ("eni-", "network-interface"),
        ("igw-", "internet-gateway"),
        ("rtb-", "route-table"),
        ("acl-", "network-acl"),
        ("nat-", "natgateway"),
        ("eipalloc-", "elastic-ip"),
        ("lt-", "launch-template"),
        ("dopt-", "dhcp-options"),
        ("key-", "key-pair"),
    ];
    if let Some(rest) = id.strip_prefix("ami-") {
        return Ok(format!("arn:aws:ec2:{}::image/ami-{rest}", scope.region));
    }
    if let Some(rest) = id.strip_prefix("snap-") {
        return Ok(format!("arn:aws:ec2:{}::snapshot/snap-{rest}", scope.region));
    }
    match TYPES.iter().find(|(prefix, _)| id.starts_with(prefix)) {
        Some((_, kind)) => scope.arn("ec2", &format!("{kind}/{id}")),
        None => Err(Unmapped {
            code: "IamspectUnknownResource",
            message: format!("EC2 resource id `{id}`: the gateway does not know the resource type of its prefix"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Params {
        Params { pairs: p.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(), json: None }
    }

    #[test]
    fn per_service() {
        let mut data = AccountData::default();
        data.kms_aliases.insert(
            "arn:aws:kms:eu-west-1:111122223333:alias/app".to_string(),
            "arn:aws:kms:eu-west-1:111122223333:key/k-app".to_string(),
        );
        data.secrets.insert("arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf".to_string());
        let scope = Scope { region: "eu-west-1", caller_account: Some("111122223333"), data: &data };
        let r = |action: &str, p: Params| resources(action, &p, &scope).map_err(|e| e.message);
        assert_eq!(
            r("sqs:SendMessage", pairs(&[("QueueUrl", "http://localhost:4566/444455556666/jobs")])),
            Ok(vec!["arn:aws:sqs:eu-west-1:444455556666:jobs".to_string()])
        );
        assert_eq!(r("sqs:ListQueues", pairs(&[])), Ok(vec!["*".to_string()]));
        assert_eq!(
            r("ec2:CreateTags", pairs(&[("ResourceId.1", "vpc-1"), ("ResourceId.2", "ami-2")])),
            Ok(vec![
                "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-1".to_string(),
                "arn:aws:ec2:eu-west-1::image/ami-2".to_string()
            ])
        );
        assert!(r("ec2:CreateTags", pairs(&[("ResourceId.1", "zzz-1")])).is_err());
        // A new resource is `TYPE/*`, with the existing ones the request names.
        assert_eq!(
            r("ec2:CreateSubnet", pairs(&[("VpcId", "vpc-1"), ("CidrBlock", "10.0.0.0/24")])),
            Ok(vec![
                "arn:aws:ec2:eu-west-1:111122223333:subnet/*".to_string(),
                "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-1".to_string()
            ])
        );
        assert_eq!(
            r("ec2:CreateSnapshot", pairs(&[("VolumeId", "vol-1")])),
            Ok(vec![
                "arn:aws:ec2:eu-west-1::snapshot/*".to_string(),
                "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1".to_string()
            ])
        );
        assert!(r("ec2:CreateVpc", pairs(&[("Ipv4IpamPoolId", "ipam-pool-1")])).is_err());
        assert_eq!(
            r("ssm:GetParametersByPath", pairs(&[("Path", "/app/")])),
            Ok(vec!["arn:aws:ssm:eu-west-1:111122223333:parameter/app".to_string()])
        );
        assert_eq!(
            r("iam:CreatePolicy", pairs(&[("PolicyName", "p"), ("Path", "/team/")])),
            Ok(vec!["arn:aws:iam::111122223333:policy/team/p".to_string()])
        );
        let json = |v: Value| Params { pairs: Vec::new(), json: Some(v) };
        assert_eq!(
            r("dynamodb:GetItem", json(serde_json::json!({"TableName": "Orders"}))),
            Ok(vec!["arn:aws:dynamodb:eu-west-1:111122223333:table/Orders".to_string()])
        );
        // Through an alias: the key it points to (D61).
        assert_eq!(
            r("kms:Decrypt", json(serde_json::json!({"KeyId": "alias/app"}))),
            Ok(vec!["arn:aws:kms:eu-west-1:111122223333:key/k-app".to_string()])
        );
        assert_eq!(
            r("kms:Encrypt", json(serde_json::json!({"KeyId": "arn:aws:kms:eu-west-1:111122223333:alias/app"}))),
            Ok(vec!["arn:aws:kms:eu-west-1:111122223333:key/k-app".to_string()])
        );
        assert!(
            r("kms:Encrypt", json(serde_json::json!({"KeyId": "alias/other"}))).unwrap_err().contains("list-aliases")
        );
        assert_eq!(
            r("kms:DeleteAlias", json(serde_json::json!({"AliasName": "alias/app"}))),
            Ok(vec![
                "arn:aws:kms:eu-west-1:111122223333:alias/app".to_string(),
                "arn:aws:kms:eu-west-1:111122223333:key/k-app".to_string()
            ])
        );
        assert_eq!(
            r("kms:UpdateAlias", json(serde_json::json!({"AliasName": "alias/app", "TargetKeyId": "k2"}))),
            Ok(vec![
                "arn:aws:kms:eu-west-1:111122223333:alias/app".to_string(),
                "arn:aws:kms:eu-west-1:111122223333:key/k-app".to_string(),
                "arn:aws:kms:eu-west-1:111122223333:key/k2".to_string()
            ])
        );
        // Secrets: the full ARN, from the name or a partial ARN; a new secret gets a suffix.
        let full = Ok(vec!["arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf".to_string()]);
        assert_eq!(r("secretsmanager:GetSecretValue", json(serde_json::json!({"SecretId": "app/db"}))), full);
        assert_eq!(
            r(
                "secretsmanager:GetSecretValue",
                json(serde_json::json!({"SecretId": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db"}))
            ),
            full
        );
        assert!(
            r("secretsmanager:GetSecretValue", json(serde_json::json!({"SecretId": "app/other"})))
                .unwrap_err()
                .contains("list-secrets")
        );
        let created = r("secretsmanager:CreateSecret", json(serde_json::json!({"Name": "app/new"}))).unwrap();
        assert!(
            created[0].starts_with("arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/new-")
                && created[0].len() == "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/new-".len() + 6,
            "{created:?}"
        );
        assert_eq!(
            r("kms:Encrypt", json(serde_json::json!({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}))),
            Ok(vec!["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".to_string()])
        );
        assert_eq!(
            r("iam:GetRole", pairs(&[("RoleName", "Deploy")])),
            Ok(vec!["arn:aws:iam::111122223333:role/Deploy".to_string()])
        );
        assert_eq!(
            r("sns:Publish", pairs(&[("TopicArn", "arn:aws:sns:eu-west-1:111122223333:t")])),
            Ok(vec!["arn:aws:sns:eu-west-1:111122223333:t".to_string()])
        );
        assert!(r("kms:Decrypt", json(serde_json::json!({"CiphertextBlob": "AAAA"}))).is_err());
        assert_eq!(
            r("dynamodb:Query", json(serde_json::json!({"TableName": "Orders", "IndexName": "byDate"}))),
            Ok(vec!["arn:aws:dynamodb:eu-west-1:111122223333:table/Orders/index/byDate".to_string()])
        );
        assert_eq!(
            r("kms:CreateAlias", json(serde_json::json!({"AliasName": "alias/app", "TargetKeyId": "k1"}))),
            Ok(vec![
                "arn:aws:kms:eu-west-1:111122223333:alias/app".to_string(),
                "arn:aws:kms:eu-west-1:111122223333:key/k1".to_string()
            ])
        );
        assert!(r("kms:DeleteAlias", json(serde_json::json!({"AliasName": "alias/unlisted"}))).is_err());
        let run = r(
            "ec2:RunInstances",
            pairs(&[("ImageId", "ami-1"), ("SubnetId", "subnet-1"), ("SecurityGroupId.1", "sg-1"), ("KeyName", "k")]),
        )
        .unwrap();
        assert_eq!(run.len(), 7);
        assert!(run.contains(&"arn:aws:ec2:eu-west-1::image/ami-1".to_string()));
        assert!(run.contains(&"arn:aws:ec2:eu-west-1:111122223333:instance/*".to_string()));
        assert_eq!(
            r("ssm:GetParameters", json(serde_json::json!({"Names": ["/app/db", "plain"]}))),
            Ok(vec![
                "arn:aws:ssm:eu-west-1:111122223333:parameter/app/db".to_string(),
                "arn:aws:ssm:eu-west-1:111122223333:parameter/plain".to_string()
            ])
        );
        assert_eq!(
            r("kinesis:PutRecord", json(serde_json::json!({"StreamName": "clicks"}))),
            Ok(vec!["arn:aws:kinesis:eu-west-1:111122223333:stream/clicks".to_string()])
        );
        assert_eq!(
            r("ecr:BatchGetImage", json(serde_json::json!({"repositoryName": "app"}))),
            Ok(vec!["arn:aws:ecr:eu-west-1:111122223333:repository/app".to_string()])
        );
        assert_eq!(
            r("events:PutEvents", json(serde_json::json!({"Entries": [{"Detail": "{}"}, {"EventBusName": "orders"}]}))),
            Ok(vec![
                "arn:aws:events:eu-west-1:111122223333:event-bus/default".to_string(),
                "arn:aws:events:eu-west-1:111122223333:event-bus/orders".to_string()
            ])
        );
        assert_eq!(
            r("events:PutRule", json(serde_json::json!({"Name": "nightly", "EventBusName": "orders"}))),
            Ok(vec!["arn:aws:events:eu-west-1:111122223333:rule/orders/nightly".to_string()])
        );
        assert!(r("sqs:SendMessage", pairs(&[("QueueUrl", "http://localhost/jobs")])).is_err());
    }
}
