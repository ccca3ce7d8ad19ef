//! `iamspect explain`: why a request is allowed or denied, in AWS's words, with counterfactuals
//! and a fix proved by re-evaluation. The request comes from a case file, from flags, from an
//! AccessDenied message (`--message`), from `decode-authorization-message` output (`--decoded`), or
//! from iamspect's own encoded authorization message (`--encoded`, or one inside `--message`),
//! opened with the server's key (`--message-key`).

use std::path::{Path, PathBuf};

use iamspect_case::{Built, Compiler};
use iamspect_core::Decision;
use iamspect_explain::message;
use iamspect_explain::report::Report;
use serde_json::{Value, json};

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};
use crate::output;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A case file (every case is explained unless `--index` picks one).
    case: Option<PathBuf>,
    /// Explain only the case at this index of the file.
    #[arg(long)]
    index: Option<usize>,
    /// The text of an AccessDenied error, to read back into its parts.
    #[arg(long, conflicts_with_all = ["case", "principal"])]
    message: Option<String>,
    /// The JSON `aws sts decode-authorization-message` printed: the request, with its context, to
    /// evaluate against the policy files given by the other flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "principal"])]
    decoded: Option<PathBuf>,
    /// An encoded authorization message from iamspect's gateway (`iamspect2.…`, from an EC2-style
    /// message or the `x-iamspect-authorization-message` header), opened with `--message-key`:
    /// shown, or with `--account-data` or policy files, evaluated again. `--message` opens one
    /// found in a message.
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["case", "principal", "decoded", "message"])]
    encoded: Option<String>,
    /// The key file the server seals its encoded messages with (`iamspect serve --message-key`):
    /// 32 bytes, or 64 hexadecimal digits. Needed to read a token.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "decoded"])]
    message_key: Option<PathBuf>,
    /// Account data (get-account-authorization-details dumps, an organization file, resource
    /// policies; files or folders): the principal's and the resource's policies come from it.
    #[arg(long = "account-data", value_name = "PATH", num_args = 1.., conflicts_with = "case")]
    account_data: Vec<PathBuf>,
    /// The caller: a user, role, role session, federated user or root ARN, a service principal, or `anonymous`.
    #[arg(long, requires_all = ["action", "resource"], conflicts_with = "case")]
    principal: Option<String>,
    /// The action, `service:Action`.
    #[arg(long)]
    action: Option<String>,
    /// The resource ARN, or `*`.
    #[arg(long)]
    resource: Option<String>,
    /// The account that owns the resource (needed for S3, whose ARNs carry none).
    #[arg(long)]
    resource_account: Option<String>,
    /// A context key and value, `key=value` (repeat a key for several values).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// An identity-based policy file (repeatable).
    #[arg(long = "identity-policy", value_name = "FILE")]
    identity_policies: Vec<PathBuf>,
    /// The resource-based policy (or role trust policy) file.
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// The permissions boundary file.
    #[arg(long, value_name = "FILE")]
    permissions_boundary: Option<PathBuf>,
    /// A session policy file (repeatable).
    #[arg(long = "session-policy", value_name = "FILE")]
    session_policies: Vec<PathBuf>,
    /// One SCP level, root first: policy files separated by commas (repeat per level; `FullAWSAccess` is built in).
    #[arg(long = "scp", value_name = "FILES")]
    scps: Vec<String>,
    /// One RCP level, root first, like `--scp` (`RCPFullAWSAccess` is built in).
    #[arg(long = "rcp", value_name = "FILES")]
    rcps: Vec<String>,
    /// The VPC endpoint policy file.
    #[arg(long, value_name = "FILE")]
    vpc_endpoint_policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Colour: auto, always or never.
    #[arg(long, value_enum, default_value = "auto")]
    color: super::Color,
}

pub(crate) fn run(args: Args) -> u8 {
    args.color.apply();
    let token = args
        .encoded
        .as_deref()
        .or_else(|| args.message.as_deref().and_then(iamspect_explain::encoded::find_in_message));
    if let Some(token) = token
        && args.account_data.is_empty()
        && !has_policy_flags(&args)
    {
        return show_encoded(&args, token);
    }
    if let (Some(text), None) = (&args.message, token) {
        return explain_message(text, args.format);
    }
    let (label, cases) = match load(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    for (_, _, built) in &cases {
        if let Err(e) = iamspect_explain::report::known_action(built.request.action()) {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    }
    let mut all_allowed = true;
    let mut json_out = Vec::new();
    for (index, description, built) in cases {
        let report = Report::new(&built.request, &built.policies);
        all_allowed &= report.response.outcome.decision == Decision::Allowed;
        match args.format {
            Format::Text => {
                let heading = format!("{label}#{index}{}", description.map(|d| format!(": {d}")).unwrap_or_default());
                crate::output::print(&output::explain::render(&heading, &built, &report));
            }
            Format::Json => json_out.push(report.to_json(&built.request)),
        }
    }
    if args.format == Format::Json {
        let v = if json_out.len() == 1 { json_out.remove(0) } else { json!(json_out) };
        crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    if all_allowed { SUCCESS } else { FAILURE }
}

type Loaded = (String, Vec<(usize, Option<String>, Built)>);

fn load(args: &Args) -> Result<Loaded, String> {
    let mut compiler = Compiler::new();
    if let Some(path) = &args.case {
        let file = iamspect_case::load_file(path, &mut compiler).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for case in file.cases {
            if args.index.is_some_and(|i| i != case.index) {
                continue;
            }
            let built = case.built.map_err(|e| format!("{}#{}: {e}", path.display(), case.index))?;
            out.push((case.index, case.description, built));
        }
        if out.is_empty() {
            return Err(format!("{}: no case with index {}", path.display(), args.index.unwrap_or(0)));
        }
        return Ok((path.display().to_string(), out));
    }
    let case = if let Some((label, text)) = decoded_text(args)? {
        let decoded = iamspect_explain::decoded::parse_decoded(&text).map_err(|e| format!("{label}: {e}"))?;
        if !args.account_data.is_empty() {
            let context: Vec<String> =
                decoded.context.iter().flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}"))).collect();
            let resource_account = args.resource_account.clone().or_else(|| encoded_resource_account(&text));
            let built = crate::command::account::build(
                &args.account_data,
                &decoded.principal_arn,
                &decoded.action,
                &decoded.resource,
                resource_account.as_deref(),
                &context,
                &mut compiler,
            )?;
            return Ok((label, vec![(0, None, built)]));
        }
        let mut case = case_from_flags(args, &decoded.principal_arn)?;
        if let (None, Some(a)) = (&args.resource_account, encoded_resource_account(&text)) {
            case.insert("resourceAccount".into(), json!(a));
        }
        case.insert("action".into(), json!(decoded.action));
        case.insert("resource".into(), json!(decoded.resource));
        let mut context = serde_json::Map::new();
        for (k, vs) in &decoded.context {
            context.insert(k.clone(), json!(vs));
        }
        case.insert("context".into(), Value::Object(context));
        case
    } else if let (false, Some(principal)) = (args.account_data.is_empty(), &args.principal) {
        let built = crate::command::account::build(
            &args.account_data,
            principal,
            args.action.as_deref().unwrap_or_default(),
            args.resource.as_deref().unwrap_or_default(),
            args.resource_account.as_deref(),
            &args.context,
            &mut compiler,
        )?;
        return Ok(("request".to_string(), vec![(0, None, built)]));
    } else if let Some(principal) = &args.principal {
        case_from_flags(args, principal)?
    } else {
        return Err(
            "give a case file, `--principal`/`--action`/`--resource` or `--decoded` with policy files, or `--message`"
                .to_string(),
        );
    };
    let case = Value::Object(case);
    let text = serde_json::to_string(&case).map_err(|e| e.to_string())?;
    let built =
        iamspect_case::case_from_str(0, &text, Path::new("."), &mut compiler)?.built.map_err(|e| e.to_string())?;
    Ok(("request".to_string(), vec![(0, None, built)]))
}

/// The decoded-message JSON of `--decoded FILE`, `--encoded TOKEN` or a token in `--message`, with
/// a label for errors.
fn decoded_text(args: &Args) -> Result<Option<(String, String)>, String> {
    if let Some(path) = &args.decoded {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Some((path.display().to_string(), text)));
    }
    let token = args
        .encoded
        .as_deref()
        .or_else(|| args.message.as_deref().and_then(iamspect_explain::encoded::find_in_message));
    match token {
        Some(t) => Ok(Some(("encoded message".to_string(), open_token(args, t)?))),
        None => Ok(None),
    }
}

/// `iamspect.resourceAccount` of an iamspect decoded message.
fn encoded_resource_account(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.pointer("/iamspect/resourceAccount").and_then(Value::as_str).map(str::to_string)
}

fn has_policy_flags(args: &Args) -> bool {
    !args.identity_policies.is_empty()
        || args.resource_policy.is_some()
        || args.permissions_boundary.is_some()
        || !args.session_policies.is_empty()
        || !args.scps.is_empty()
        || !args.rcps.is_empty()
        || args.vpc_endpoint_policy.is_some()
}

/// Opens an iamspect token with the key of `--message-key`; without it, a one-line error
/// saying the key is needed.
fn open_token(args: &Args, token: &str) -> Result<String, String> {
    iamspect_explain::encoded::check(token).map_err(|e| e.to_string())?;
    let Some(path) = &args.message_key else {
        return Err("the encoded message is sealed with the server's key: give its key file with `--message-key FILE` (as given to `iamspect serve --message-key`), or decode it with the server's STS `DecodeAuthorizationMessage`".to_string());
    };
    let key = iamspect_explain::encoded::MessageKey::from_file(path).map_err(|e| e.to_string())?;
    iamspect_explain::encoded::decode(&key, token).map_err(|e| e.to_string())
}

/// An iamspect encoded message with nothing to evaluate it against: what it says.
fn show_encoded(args: &Args, token: &str) -> u8 {
    let format = args.format;
    let text = match open_token(args, token) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let decoded = match iamspect_explain::decoded::parse_decoded(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: encoded message: {e}");
            return BAD_INPUT;
        }
    };
    let raw: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if format == Format::Json {
        crate::output::println(&serde_json::to_string_pretty(&raw).unwrap_or_default());
        return SUCCESS;
    }
    let field = |p: &str| raw.pointer(p).and_then(Value::as_str).map(str::to_string);
    let mut out = String::from("iamspect authorization message\n");
    out.push_str(&format!("  principal: {}\n", decoded.principal_arn));
    out.push_str(&format!("  action:    {}\n", decoded.action));
    out.push_str(&format!("  resource:  {}\n", decoded.resource));
    let denied_by: Vec<String> = raw
        .pointer("/iamspect/deniedBy")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let decision = field("/iamspect/decision").unwrap_or_else(|| {
        if decoded.allowed {
            "allowed"
        } else if decoded.explicit_deny {
            "explicitDeny"
        } else {
            "implicitDeny"
        }
        .to_string()
    });
    out.push_str(&format!("  decision:  {decision}"));
    if !denied_by.is_empty() {
        out.push_str(&format!(" (denied by: {})", denied_by.join(", ")));
    }
    out.push('\n');
    if let Some(r) = field("/iamspect/reason") {
        out.push_str(&format!("  reason:    {r}\n"));
    }
    if let Some(m) = field("/iamspect/message") {
        out.push_str(&format!("  message:   {m}\n"));
    }
    for st in &decoded.matched_statements {
        out.push_str(&format!(
            "  matched:   {} {} {} on {}\n",
            st.effect,
            st.statement_id.as_deref().unwrap_or("(no Sid)"),
            st.actions.join(", "),
            st.resources.join(", ")
        ));
    }
    if !decoded.context.is_empty() {
        out.push_str("  context:\n");
        for (k, vs) in &decoded.context {
            out.push_str(&format!("    {k} = {}\n", vs.join(", ")));
        }
    }
    out.push_str("Add --account-data PATH (or policy files) to evaluate the request again and see a fix.\n");
    crate::output::print(&out);
    SUCCESS
}

fn policy_path(path: &Path) -> Result<Value, String> {
    if !path.is_file() {
        return Err(format!("policy file `{}` does not exist", path.display()));
    }
    if path.extension().is_none_or(|e| e != "json") {
        return Err(format!("policy file `{}` must end in `.json`", path.display()));
    }
    Ok(json!(path.display().to_string()))
}

fn level(spec: &str) -> Result<Value, String> {
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "FullAWSAccess" || name == "RCPFullAWSAccess" {
            out.push(json!(name));
        } else {
            out.push(policy_path(Path::new(name))?);
        }
    }
    Ok(json!(out))
}

fn case_from_flags(args: &Args, principal: &str) -> Result<serde_json::Map<String, Value>, String> {
    let mut case = serde_json::Map::new();
    case.insert("principal".into(), json!(principal));
    case.insert("action".into(), json!(args.action));
    case.insert("resource".into(), json!(args.resource));
    if let Some(a) = &args.resource_account {
        case.insert("resourceAccount".into(), json!(a));
    }
    let mut context = serde_json::Map::new();
    for kv in &args.context {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(format!("`--context {kv}` must be `key=value`"));
        };
        match context.get_mut(k) {
            Some(Value::Array(vs)) => vs.push(json!(v)),
            _ => {
                context.insert(k.to_string(), json!([v]));
            }
        }
    }
    case.insert("context".into(), Value::Object(context));
    let paths = |ps: &[PathBuf]| -> Result<Value, String> {
        Ok(json!(ps.iter().map(|p| policy_path(p)).collect::<Result<Vec<_>, _>>()?))
    };
    case.insert("identityPolicies".into(), paths(&args.identity_policies)?);
    case.insert("sessionPolicies".into(), paths(&args.session_policies)?);
    if let Some(p) = &args.resource_policy {
        case.insert("resourcePolicy".into(), policy_path(p)?);
    }
    if let Some(p) = &args.permissions_boundary {
        case.insert("permissionsBoundary".into(), policy_path(p)?);
    }
    if let Some(p) = &args.vpc_endpoint_policy {
        case.insert("vpcEndpointPolicy".into(), policy_path(p)?);
    }
    if !args.scps.is_empty() {
        case.insert("scps".into(), json!(args.scps.iter().map(|l| level(l)).collect::<Result<Vec<_>, _>>()?));
    }
    if !args.rcps.is_empty() {
        case.insert("rcps".into(), json!(args.rcps.iter().map(|l| level(l)).collect::<Result<Vec<_>, _>>()?));
    }
    Ok(case)
}

fn explain_message(text: &str, format: Format) -> u8 {
    let parsed = match iamspect_explain::parse::parse(text) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let steps = iamspect_explain::parse::next_steps(&parsed);
    match format {
        Format::Text => crate::output::print(&output::explain::render_message(&parsed, &steps)),
        Format::Json => {
            let v = json!({
                "principal": parsed.principal,
                "action": parsed.action,
                "resource": parsed.resource,
                "deny": match parsed.deny {
                    message::DenyKind::Explicit => "explicit",
                    message::DenyKind::Implicit => "implicit",
                    message::DenyKind::Unspecified => "unspecified",
                },
                "policyType": parsed.policy_type.map(|t| t.words()),
                "deniedBy": parsed.policy_type.map(|t| t.denier().as_str()),
                "policyArn": parsed.policy_arn,
                "nextSteps": steps,
            });
            crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    SUCCESS
}
