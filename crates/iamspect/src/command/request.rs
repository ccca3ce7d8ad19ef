//! The request and policy inputs that `eval` and `explain` share: a case file (or `-` for standard
//! input) or `--principal`/`--action`/`--resource` with policy files, each with or without
//! `--account-data`. Every input is used or refused with an error that names it (decision D41).

use std::io::Read;
use std::path::{Path, PathBuf};

use iamspect_case::{Built, Compiler};
use serde_json::{Value, json};

#[derive(clap::Args, Default)]
pub(crate) struct RequestArgs {
    /// Account data (get-account-authorization-details dumps, an organization file, resource
    /// policies; files or folders): the principal's and the resource's policies come from it, and
    /// policies given by flags or by a case file are added as AWS would combine them. One path per
    /// flag: repeat the flag or separate paths with commas (`--account-data gaad.json,org.json`),
    /// so that a case file after it stays a case file.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',')]
    pub(crate) account_data: Vec<PathBuf>,
    /// The caller: a user, role, role session, federated user or root ARN, a service principal
    /// (`NAME.amazonaws.com`), an identity provider (its provider ARN, or `accounts.google.com`,
    /// `graph.facebook.com`, `www.amazon.com`), or `anonymous`.
    #[arg(long)]
    pub(crate) principal: Option<String>,
    /// The action, `service:Action`.
    #[arg(long)]
    pub(crate) action: Option<String>,
    /// The resource ARN, or `*`.
    #[arg(long)]
    pub(crate) resource: Option<String>,
    /// The account that owns the resource, 12 digits (needed for S3, whose ARNs carry none).
    #[arg(long)]
    pub(crate) resource_account: Option<String>,
    /// A context key and value, `key=value` (repeat a key for several values). `aws:CurrentTime`
    /// and `aws:EpochTime` are the current time unless given.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub(crate) context: Vec<String>,
    /// An identity-based policy file (repeatable); with `--account-data`, added to the principal's.
    #[arg(long = "identity-policy", value_name = "FILE")]
    pub(crate) identity_policies: Vec<PathBuf>,
    /// The resource-based policy (or role trust policy) file.
    #[arg(long, value_name = "FILE")]
    pub(crate) resource_policy: Option<PathBuf>,
    /// The permissions boundary file.
    #[arg(long, value_name = "FILE")]
    pub(crate) permissions_boundary: Option<PathBuf>,
    /// A session policy file (repeatable).
    #[arg(long = "session-policy", value_name = "FILE")]
    pub(crate) session_policies: Vec<PathBuf>,
    /// One SCP level, root first: policy files separated by commas (repeat per level). A level
    /// allows only what its own policies allow: AWS attaches `FullAWSAccess` to every level by
    /// default, and here it is written out (`--scp FullAWSAccess,deny-list.json`).
    #[arg(long = "scp", value_name = "FILES")]
    pub(crate) scps: Vec<String>,
    /// One RCP level, root first, like `--scp` (AWS's default is `RCPFullAWSAccess`, written out:
    /// `--rcp RCPFullAWSAccess,rcp.json`).
    #[arg(long = "rcp", value_name = "FILES")]
    pub(crate) rcps: Vec<String>,
    /// The VPC endpoint policy file.
    #[arg(long, value_name = "FILE")]
    pub(crate) vpc_endpoint_policy: Option<PathBuf>,
    /// The KMS key has AWS's default key policy (it allows `kms:*` to the key's account, so IAM
    /// policies grant). Without it or `--resource-policy`, a request on a key is denied: every key
    /// has a key policy, and iamspect does not guess it (`aws kms get-key-policy` prints it).
    #[arg(long)]
    pub(crate) default_key_policy: bool,
    /// Do not check the request against AWS's catalogue (for emulators and research): an unknown
    /// action, a resource of a type the action does not act on, and context keys the action never
    /// carries are then decided as given. The output says the check was off.
    #[arg(long)]
    pub(crate) no_catalog_check: bool,
}

/// Set when `--no-catalog-check` was given, so that the action checks after loading stand aside
/// too (decision D54).
static CATALOG_CHECK_OFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Applies `--no-catalog-check` to a compiler (and to [`known_action`]).
fn catalog_check(args: &RequestArgs, compiler: &mut Compiler) {
    compiler.catalog_check = !args.no_catalog_check;
    if args.no_catalog_check {
        CATALOG_CHECK_OFF.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The clock keys of a request that is not a case file: the time used, and whether it was given.
pub(crate) struct Clock {
    pub(crate) time: String,
    pub(crate) given: bool,
}

/// One request to decide.
pub(crate) struct Item {
    pub(crate) index: usize,
    pub(crate) description: Option<String>,
    pub(crate) built: Built,
    pub(crate) clock: Option<Clock>,
}

/// What the inputs gave: a label for headings and the requests.
pub(crate) struct Loaded {
    pub(crate) label: String,
    pub(crate) items: Vec<Item>,
}

impl RequestArgs {
    /// The request flags given (`--principal`, `--action`, ...).
    pub(crate) fn request_flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.principal.is_some() {
            out.push("--principal");
        }
        if self.action.is_some() {
            out.push("--action");
        }
        if self.resource.is_some() {
            out.push("--resource");
        }
        if self.resource_account.is_some() {
            out.push("--resource-account");
        }
        if !self.context.is_empty() {
            out.push("--context");
        }
        out
    }

    /// The policy flags given.
    pub(crate) fn policy_flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.identity_policies.is_empty() {
            out.push("--identity-policy");
        }
        if self.resource_policy.is_some() {
            out.push("--resource-policy");
        }
        if self.permissions_boundary.is_some() {
            out.push("--permissions-boundary");
        }
        if !self.session_policies.is_empty() {
            out.push("--session-policy");
        }
        if !self.scps.is_empty() {
            out.push("--scp");
        }
        if !self.rcps.is_empty() {
            out.push("--rcp");
        }
        if self.vpc_endpoint_policy.is_some() {
            out.push("--vpc-endpoint-policy");
        }
        if self.default_key_policy {
            out.push("--default-key-policy");
        }
        if self.no_catalog_check {
            out.push("--no-catalog-check");
        }
        out
    }

    /// Every input flag given, `--account-data` included.
    pub(crate) fn all_flags(&self) -> Vec<&'static str> {
        let mut out = self.request_flags();
        out.extend(self.policy_flags());
        if !self.account_data.is_empty() {
            out.insert(0, "--account-data");
        }
        out
    }

    /// The context flags as keys and values (a key given twice gets both values); a flag without
    /// `=` or with an empty key is refused.
    pub(crate) fn context_pairs(&self) -> Result<Vec<(String, Vec<String>)>, String> {
        crate::command::account::context_flags(&self.context)
    }
}

/// Refuses the flags in `flags`, naming the first and why it cannot be used.
pub(crate) fn refuse(flags: &[&str], why: &str) -> Result<(), String> {
    match flags.first() {
        Some(flag) => Err(format!("`{flag}` cannot be used here: {why}")),
        None => Ok(()),
    }
}

/// Reads a case file (`-`: standard input), or the request given by flags, each against account
/// data when `--account-data` is given.
pub(crate) fn load(case: Option<&Path>, index: Option<usize>, args: &RequestArgs) -> Result<Loaded, String> {
    let mut compiler = Compiler::new();
    catalog_check(args, &mut compiler);
    if let Some(path) = case {
        refuse(
            &args.request_flags(),
            "a case file gives the request (write the value in the case, or give the request by flags without a case file)",
        )?;
        refuse(
            &args.policy_flags(),
            "a case file gives the policies (write them in the case; with `--account-data`, they are added to the data's)",
        )?;
        let data = account_data(args)?;
        let file = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("standard input: {e}"))?;
            iamspect_case::load_str_with(&text, Path::new("-"), Path::new("."), data.as_ref(), &mut compiler)
        } else if let Some(data) = &data {
            iamspect_case::load_file_with_account_data(path, data, &mut compiler)
        } else {
            iamspect_case::load_file(path, &mut compiler)
        }
        .map_err(|e| e.to_string())?;
        let mut items = Vec::new();
        for case in file.cases {
            if index.is_some_and(|i| i != case.index) {
                continue;
            }
            let built = case.built.map_err(|e| format!("{}#{}: {e}", path.display(), case.index))?;
            items.push(Item { index: case.index, description: case.description, built, clock: None });
        }
        if items.is_empty() {
            return Err(match index {
                Some(i) => format!("{}: no case with index {i}", path.display()),
                None => format!("{}: the file holds no case", path.display()),
            });
        }
        return Ok(Loaded { label: path.display().to_string(), items });
    }
    if index.is_some() {
        return Err("`--index` picks a case of a case file, and no case file was given".to_string());
    }
    let missing: Vec<&str> =
        [("--principal", &args.principal), ("--action", &args.action), ("--resource", &args.resource)]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(flag, _)| flag)
            .collect();
    if missing.len() == 3 {
        return Err("give a case file (or `-` for standard input), or the request with `--principal`, `--action` and `--resource`".to_string());
    }
    if !missing.is_empty() {
        return Err(format!("the request needs {} too", missing.join(" and ")));
    }
    let context = args.context_pairs()?;
    let item = from_request(
        args.principal.as_deref().unwrap_or_default(),
        args.action.as_deref().unwrap_or_default(),
        args.resource.as_deref().unwrap_or_default(),
        args.resource_account.as_deref(),
        context,
        args,
        &mut compiler,
    )?;
    Ok(Loaded { label: "request".to_string(), items: vec![item] })
}

/// The account data of `--account-data`, loaded, if given.
pub(crate) fn account_data(args: &RequestArgs) -> Result<Option<iamspect_account::AccountData>, String> {
    if args.account_data.is_empty() {
        return Ok(None);
    }
    crate::command::account::load(&args.account_data).map(Some)
}

/// One request (from flags, or read from a decoded authorization message) with the policy flags,
/// against account data when given. The clock keys are set unless given.
pub(crate) fn from_request(
    principal: &str,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: Vec<(String, Vec<String>)>,
    args: &RequestArgs,
    compiler: &mut Compiler,
) -> Result<Item, String> {
    from_request_with_sessions(principal, action, resource, resource_account, context, args, &[], compiler)
}

/// [`from_request`], with the session policies an iamspect encoded message carries (the issued
/// session's own, which no account data holds): they are the request's session policies, and
/// `--session-policy` cannot be given with them.
#[allow(clippy::too_many_arguments, reason = "the request's parts, each named")]
pub(crate) fn from_request_with_sessions(
    principal: &str,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    mut context: Vec<(String, Vec<String>)>,
    args: &RequestArgs,
    sessions: &[String],
    compiler: &mut Compiler,
) -> Result<Item, String> {
    catalog_check(args, compiler);
    check_values(Some(resource), resource_account, &context)?;
    let (time, given) = iamspect_case::set_clock(&mut context, jiff_now());
    let clock = Some(Clock { time, given });
    let mut case = serde_json::Map::new();
    case.insert("principal".into(), json!(principal));
    case.insert("action".into(), json!(action));
    case.insert("resource".into(), json!(resource));
    if let Some(a) = resource_account {
        case.insert("resourceAccount".into(), json!(a));
    }
    let mut ctx = serde_json::Map::new();
    for (k, vs) in &context {
        ctx.insert(k.clone(), json!(vs));
    }
    case.insert("context".into(), Value::Object(ctx));
    policy_fields(args, &mut case)?;
    if !sessions.is_empty() {
        if !args.session_policies.is_empty() {
            return Err(
                "the encoded message carries the session's own policies; `--session-policy` cannot be added to them"
                    .to_string(),
            );
        }
        let docs = sessions
            .iter()
            .map(|t| {
                serde_json::from_str::<Value>(t).map_err(|e| format!("a session policy in the encoded message: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        case.insert("sessionPolicies".into(), json!(docs));
    }
    let text = serde_json::to_string(&Value::Object(case)).map_err(|e| e.to_string())?;
    let given_built =
        iamspect_case::case_from_str(0, &text, Path::new("."), compiler)?.built.map_err(|e| e.to_string())?;
    let Some(data) = account_data(args)? else {
        return Ok(Item { index: 0, description: None, built: given_built, clock });
    };
    let from_data =
        iamspect_case::from_account_data(&data, principal, action, resource, resource_account, &context, compiler)
            .map_err(|e| e.to_string())?;
    let (mut built, sources) =
        iamspect_case::combine(from_data, given_built.policies, "flags").map_err(|e| e.to_string())?;
    built.sources = sources;
    Ok(Item { index: 0, description: None, built, clock })
}

fn jiff_now() -> iamspect_case::Timestamp {
    iamspect_case::Timestamp::now()
}

fn policy_path(flag: &str, path: &Path) -> Result<Value, String> {
    if !path.is_file() {
        return Err(format!("`{flag}`: policy file `{}` does not exist", path.display()));
    }
    if path.extension().is_none_or(|e| e != "json") {
        return Err(format!("`{flag}`: policy file `{}` must end in `.json`", path.display()));
    }
    Ok(json!(path.display().to_string()))
}

fn level(flag: &str, spec: &str) -> Result<Value, String> {
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(format!("`{flag} {spec}`: an empty policy name (two commas, or a comma at an end)"));
        }
        if name == "FullAWSAccess" || name == "RCPFullAWSAccess" {
            out.push(json!(name));
        } else {
            out.push(policy_path(flag, Path::new(name))?);
        }
    }
    Ok(json!(out))
}

/// The case fields of the policy flags.
fn policy_fields(args: &RequestArgs, case: &mut serde_json::Map<String, Value>) -> Result<(), String> {
    let paths = |flag: &str, ps: &[PathBuf]| -> Result<Value, String> {
        Ok(json!(ps.iter().map(|p| policy_path(flag, p)).collect::<Result<Vec<_>, _>>()?))
    };
    case.insert("identityPolicies".into(), paths("--identity-policy", &args.identity_policies)?);
    case.insert("sessionPolicies".into(), paths("--session-policy", &args.session_policies)?);
    if let Some(p) = &args.resource_policy {
        case.insert("resourcePolicy".into(), policy_path("--resource-policy", p)?);
    }
    if let Some(p) = &args.permissions_boundary {
        case.insert("permissionsBoundary".into(), policy_path("--permissions-boundary", p)?);
    }
    if let Some(p) = &args.vpc_endpoint_policy {
        case.insert("vpcEndpointPolicy".into(), policy_path("--vpc-endpoint-policy", p)?);
    }
    if !args.scps.is_empty() {
        let levels = args.scps.iter().map(|l| level("--scp", l)).collect::<Result<Vec<_>, _>>()?;
        case.insert("scps".into(), json!(levels));
    }
    if !args.rcps.is_empty() {
        let levels = args.rcps.iter().map(|l| level("--rcp", l)).collect::<Result<Vec<_>, _>>()?;
        case.insert("rcps".into(), json!(levels));
    }
    if args.default_key_policy {
        case.insert("kms".into(), json!({"defaultKeyPolicy": true}));
    }
    Ok(())
}

/// What the output says about where the inputs came from: one line per layer that account data
/// and the flags or the case fill, and the time used.
pub(crate) fn notes(item: &Item) -> Vec<String> {
    let mut out = item.built.notes.clone();
    for s in &item.built.sources {
        out.push(format!("{} from {}: {}", s.layer, s.from, s.policies.join(", ")));
    }
    if let Some(clock) = &item.clock {
        out.push(if clock.given {
            format!("time {} (given)", clock.time)
        } else {
            format!("time {} (now; `--context aws:CurrentTime=...` sets another)", clock.time)
        });
    }
    out
}

/// The same, as JSON: `{"sources": [{"layer", "from", "policies"}], "time": {"value", "given"}}`.
pub(crate) fn notes_json(item: &Item) -> Value {
    let mut v = serde_json::Map::new();
    if !item.built.notes.is_empty() {
        v.insert("notes".into(), json!(item.built.notes));
    }
    if !item.built.sources.is_empty() {
        v.insert(
            "sources".into(),
            json!(
                item.built
                    .sources
                    .iter()
                    .map(|s| json!({"layer": s.layer, "from": s.from, "policies": s.policies}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    if let Some(clock) = &item.clock {
        v.insert("time".into(), json!({"value": clock.time, "given": clock.given}));
    }
    Value::Object(v)
}

/// Refuses a service prefix AWS's catalogue does not list, with the nearest one.
pub(crate) fn known_service(prefix: &str) -> Result<(), String> {
    let catalog = iamspect_catalog::Catalog::get();
    if catalog.service(prefix).is_some() {
        return Ok(());
    }
    let lower = prefix.to_ascii_lowercase();
    let near = catalog.services().map(|s| (iamspect_case::check::distance(&lower, s.prefix()), s.prefix())).min();
    let hint = near.filter(|(d, _)| *d <= 3).map(|(_, p)| format!("; did you mean `{p}`?")).unwrap_or_default();
    Err(format!("unknown service `{prefix}`: AWS's catalogue has no service with this prefix{hint}"))
}

/// Refuses an action AWS's catalogue does not list, with the nearest service or action.
pub(crate) fn known_action(action: &str) -> Result<(), String> {
    if CATALOG_CHECK_OFF.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    if let Some((service, _)) = action.split_once(':')
        && iamspect_catalog::Catalog::get().service(service).is_none()
    {
        return known_service(service).map_err(|e| format!("action `{action}`: {e}"));
    }
    iamspect_explain::report::known_action(action)
}

/// Checks the values given to `who-can` and `what-can`: the resource account is 12 digits, the
/// context values read as their keys' types, and nothing holds a control character.
pub(crate) fn check_values(
    resource: Option<&str>,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<(), String> {
    use iamspect_case::check;
    if let Some(r) = resource {
        check::no_control("--resource", r).map_err(|e| e.message)?;
    }
    if let Some(a) = resource_account {
        match resource {
            Some(r) => check::resource_account("--resource-account", r, a),
            None => check::account_id("--resource-account", a),
        }
        .map_err(|e| e.message)?;
    }
    for (k, vs) in context {
        check::context(k, vs).map_err(|e| format!("--context: {}", e.message))?;
    }
    Ok(())
}
