//! `iamspect scp-impact --account-data D --scp NEW.json --target ou-...|r-...|ACCOUNT`: what breaks
//! if the SCP is attached there. For every principal of the accounts under the target, the requests
//! it may make today that the engine denies once the SCP is attached (decision D121), from
//! `iamspect-symbolic`, each counterexample decided again by `iamspect-core` before and after.
//! Exit 0 nothing breaks, 1 something breaks, 2 bad input, 3 not decided for some principal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamspect_account::query::{Index, IndexedPrincipal};
use iamspect_core::{Context, Decision, Policies, Policy, PolicyType, PrincipalKind, Request, authorize};
use iamspect_symbolic::{PrincipalSide, Query, SolveOptions, Witness};
use serde_json::{Map, Value, json};

use super::check::UNKNOWN;
use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data with the organization (files or folders; repeat or separate with commas).
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// The SCP document to attach.
    #[arg(long, value_name = "FILE")]
    scp: PathBuf,
    /// Where it is attached: the root (`r-...`), an OU (`ou-...`) or an account (12 digits).
    #[arg(long)]
    target: String,
    /// At most this many counterexamples per principal, each with a different action where
    /// possible.
    #[arg(long, default_value_t = 3)]
    max_counterexamples: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// The keys AWS fills in from the caller: a principal's request carries exactly its own values,
/// or none.
const CALLER_KEYS: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:username",
    "aws:userid",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:FederatedProvider",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
];

/// Keys AWS puts in every request, whatever the caller: a counterexample carries them.
const ALWAYS_PRESENT: &[&str] = &["aws:RequestedRegion", "aws:CurrentTime", "aws:EpochTime", "aws:SecureTransport"];

/// The most classes of actions asked for (one witness each) per principal.
const MAX_CLASSES: usize = 24;
/// The most catalogue actions tried for the list of actions that break, per principal.
const MAX_LISTED_TRIES: usize = 6_000;
/// The most actions listed per principal.
const MAX_LISTED: usize = 200;

struct Broken {
    witness: Witness,
    after: Decision,
    case: Value,
    /// A request AWS's catalogue knows (`iamspect eval` takes its case as it is).
    catalogued: bool,
}

/// Values that read better than a class's shortest string, tried in order for these keys; one is
/// kept only when the engine decides the request the same with it.
const READABLE: &[(&str, &[&str])] = &[
    ("aws:RequestedRegion", &["eu-west-1", "us-west-2", "ap-southeast-2", "us-east-1"]),
    ("aws:SourceIp", &["203.0.113.10", "10.0.0.10"]),
    ("aws:SecureTransport", &["true", "false"]),
];

/// The witness with readable values where the engine decides it the same.
fn readable(
    p: &IndexedPrincipal,
    level: usize,
    new: &Arc<Policy>,
    mut w: Witness,
    fixed: &[(String, Option<Vec<String>>)],
) -> Witness {
    let Some(want) = confirm(p, level, new, &w, fixed) else { return w };
    for (key, candidates) in READABLE {
        let Some(i) = w.context.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) else { continue };
        for c in *candidates {
            let mut w2 = w.clone();
            if let Some(entry) = w2.context.get_mut(i) {
                entry.1 = vec![c.to_string()];
            }
            if confirm(p, level, new, &w2, fixed) == Some(want) {
                w = w2;
                break;
            }
        }
    }
    // The resource's region as the request's, where the engine decides the same.
    let region = w
        .context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("aws:RequestedRegion"))
        .and_then(|(_, vs)| vs.first().cloned())
        .unwrap_or_else(|| "us-east-1".to_string());
    let parts: Vec<&str> = w.resource.splitn(6, ':').collect();
    if let [arn, partition, service, r, account, rest] = parts.as_slice()
        && !r.is_empty()
        && *r != region
    {
        let mut w2 = w.clone();
        w2.resource = format!("{arn}:{partition}:{service}:{region}:{account}:{rest}");
        if confirm(p, level, new, &w2, fixed) == Some(want) {
            w = w2;
        }
    }
    w
}

enum Outcome {
    /// SCPs do not apply to it (the management account, a service-linked role).
    Exempt(&'static str),
    Unchanged,
    Breaks {
        found: Vec<Broken>,
        actions: Vec<String>,
        more: bool,
    },
    Unknown(String),
}

pub(crate) fn run(args: Args) -> u8 {
    if args.max_counterexamples == 0 || args.max_counterexamples > 100 {
        eprintln!("error: --max-counterexamples must be between 1 and 100");
        return BAD_INPUT;
    }
    let data = match super::account::load(&args.account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let new = match load_scp(&args.scp) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let Some(org) = &data.organization else {
        eprintln!(
            "error: --account-data holds no organization: an SCP applies through one (add the organization file)"
        );
        return BAD_INPUT;
    };
    let target = args.target.trim();
    // The accounts under the target, loaded or not.
    let mut under: Vec<(String, usize)> = Vec::new();
    let mut all_accounts = Vec::new();
    collect_accounts(&org.root, &mut all_accounts);
    for a in &all_accounts {
        if let Some(path) = org.path_to(a)
            && let Some(level) = path.iter().position(|n| n.id == target)
        {
            under.push((a.clone(), level));
        }
    }
    if !node_exists(&org.root, target) {
        eprintln!("error: --target `{target}` is not the root, an OU or an account of organization {}", org.id);
        return BAD_INPUT;
    }
    let index = Index::build(&data);
    let catalog = iamspect_catalog::Catalog::get();
    let names: Vec<String> = catalog.actions().map(|a| format!("{}:{}", a.service().prefix(), a.name())).collect();
    let mut results: Vec<(&IndexedPrincipal, Outcome)> = Vec::new();
    let mut not_loaded: Vec<String> = Vec::new();
    for (account, level) in &under {
        if !data.accounts.contains_key(account) {
            not_loaded.push(account.clone());
            continue;
        }
        for p in index.principals.iter().filter(|p| p.principal.account() == Some(account.as_str())) {
            results.push((p, decide(p, *level, &new, &names, args.max_counterexamples)));
        }
    }
    let skipped: Vec<&String> =
        index.skipped.iter().filter(|s| under.iter().any(|(a, _)| s.contains(&format!(":{a}:")))).collect();
    let breaks = results.iter().any(|(_, o)| matches!(o, Outcome::Breaks { .. }));
    let unknown = results.iter().any(|(_, o)| matches!(o, Outcome::Unknown(_))) || !skipped.is_empty();
    let (result, code) = if breaks {
        ("FAIL", FAILURE)
    } else if unknown {
        ("UNKNOWN", UNKNOWN)
    } else {
        ("PASS", SUCCESS)
    };
    let message = match result {
        "FAIL" => format!("Attaching {} to {target} denies requests that principals may make today.", new.name()),
        "PASS" => {
            format!("Attaching {} to {target} denies no request that the loaded principals may make today.", new.name())
        }
        _ => format!("Not decided exactly for every principal under {target}."),
    };
    match args.format {
        Format::Json => {
            let principals: Vec<Value> = results.iter().map(|(p, o)| principal_json(p, o)).collect();
            let out = json!({
                "result": result,
                "message": message,
                "scp": new.name(),
                "target": target,
                "accounts": under.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
                "accountsNotLoaded": not_loaded,
                "principalsNotResolved": skipped,
                "principals": principals,
            });
            crate::output::println(&serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Text => {
            crate::output::println(&format!("{result}: {message}"));
            for (p, o) in &results {
                let arn = p.principal.arn();
                match o {
                    Outcome::Exempt(why) => crate::output::println(&format!("  {arn}: not affected ({why})")),
                    Outcome::Unchanged => {}
                    Outcome::Unknown(u) => crate::output::println(&format!("  {arn}: UNKNOWN: {u}")),
                    Outcome::Breaks { found, actions, more } => {
                        crate::output::println(&format!(
                            "  {arn}: {} action(s) it may perform today are denied on some request{}: {}",
                            actions.len(),
                            if *more { " (at least: the list may be incomplete)" } else { "" },
                            actions.iter().take(12).cloned().collect::<Vec<_>>().join(", ")
                                + if actions.len() > 12 { ", ..." } else { "" }
                        ));
                        for b in found {
                            let ctx = b
                                .witness
                                .context
                                .iter()
                                .map(|(k, vs)| format!("{k}={}", vs.join("|")))
                                .collect::<Vec<_>>()
                                .join(" ");
                            crate::output::println(&format!(
                                "    counterexample: {} on {}{} (today allowed, then {})",
                                b.witness.action,
                                b.witness.resource,
                                if ctx.is_empty() { String::new() } else { format!(" with {ctx}") },
                                b.after.as_str()
                            ));
                        }
                    }
                }
            }
            let unchanged = results.iter().filter(|(_, o)| matches!(o, Outcome::Unchanged)).count();
            crate::output::println(&format!("  {unchanged} principal(s) keep everything they may do today"));
            if !not_loaded.is_empty() {
                crate::output::println(&format!(
                    "  note: accounts under the target without loaded data (their principals were not asked): {}",
                    not_loaded.join(", ")
                ));
            }
            for s in &skipped {
                crate::output::println(&format!("  note: not resolved, not asked: {s}"));
            }
        }
    }
    code
}

fn load_scp(path: &Path) -> Result<Arc<Policy>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--scp {}: {e}", path.display()))?;
    let name = path.display().to_string();
    Policy::parse(&name, &text, PolicyType::Scp)
        .map(Arc::new)
        .map_err(|errs| errs.errors.iter().map(|e| format!("{name}:{e}")).collect::<Vec<_>>().join("\n"))
}

fn collect_accounts(node: &iamspect_account::OrgNode, out: &mut Vec<String>) {
    if node.is_account {
        out.push(node.id.clone());
    }
    for c in &node.children {
        collect_accounts(c, out);
    }
}

fn node_exists(node: &iamspect_account::OrgNode, id: &str) -> bool {
    node.id == id || node.children.iter().any(|c| node_exists(c, id))
}

/// The caller's keys as a request of it carries them (its resource in its own account).
fn caller_context(p: &IndexedPrincipal) -> Vec<(String, Option<Vec<String>>)> {
    let account = p.principal.account().unwrap_or("").to_string();
    let mut ctx = Context::new();
    for (k, vs) in &p.context {
        ctx.insert(k, vs.clone());
        // The resource is in the principal's own account, so in its organization.
        if let Some(rest) = k.strip_prefix("aws:Principal") {
            ctx.insert(&format!("aws:Resource{rest}"), vs.clone());
        }
    }
    let mut out = Vec::new();
    if let Ok(req) = Request::new(p.principal.clone(), "s3:GetObject", "*", Some(&account), ctx) {
        for (k, vs) in req.context().iter() {
            if k.eq_ignore_ascii_case("aws:CurrentTime") || k.eq_ignore_ascii_case("aws:EpochTime") {
                continue;
            }
            out.push((k.to_string(), Some(vs.iter().map(|v| v.to_string()).collect())));
        }
    }
    for k in CALLER_KEYS {
        if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(k)) {
            out.push((k.to_string(), None));
        }
    }
    out
}

/// The principal's policies, with the new SCP at `level` when `with_new`.
fn policies(p: &IndexedPrincipal, level: usize, new: &Arc<Policy>, with_new: bool, w: &Witness) -> Policies {
    let mut scps: Vec<Vec<Arc<Policy>>> = p.scps.as_ref().map(|s| s.as_ref().clone()).unwrap_or_default();
    if with_new && let Some(l) = scps.get_mut(level) {
        l.push(new.clone());
    }
    let mut out = Policies {
        identity: p.identity.clone(),
        permissions_boundary: p.boundary.clone(),
        scps: p.scps.as_ref().map(|_| scps),
        ..Policies::default()
    };
    // A KMS key and a role always have a resource policy: one that leaves the decision to the
    // account's own policies (as `check-*` counterexamples do, decision D68).
    out.resource = helper_resource(p, w);
    out
}

fn helper_resource(p: &IndexedPrincipal, w: &Witness) -> Option<Arc<Policy>> {
    let account = p.principal.account()?;
    if iamspect_core::is_kms_key_request(&w.action, &w.resource) {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
        );
        return Policy::parse("default key policy", &text, PolicyType::Resource).ok().map(Arc::new);
    }
    if iamspect_core::is_role_trust_request(&w.action, &w.resource) {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}}]}}"#
        );
        return Policy::parse("trust of the account", &text, PolicyType::Trust).ok().map(Arc::new);
    }
    None
}

fn request(p: &IndexedPrincipal, w: &Witness, fixed: &[(String, Option<Vec<String>>)]) -> Option<Request> {
    let account = p.principal.account()?;
    let mut ctx = Context::new();
    for (k, v) in fixed {
        if let Some(vs) = v {
            ctx.insert(k, vs.clone());
        }
    }
    for (k, vs) in &w.context {
        ctx.insert(k, vs.clone());
    }
    Request::new(p.principal.clone(), &w.action, &w.resource, Some(account), ctx).ok()
}

/// Allowed today and not once the SCP is attached, as the engine decides: the decision after.
fn confirm(
    p: &IndexedPrincipal,
    level: usize,
    new: &Arc<Policy>,
    w: &Witness,
    fixed: &[(String, Option<Vec<String>>)],
) -> Option<Decision> {
    let req = request(p, w, fixed)?;
    if authorize(&req, &policies(p, level, new, false, w)).decision != Decision::Allowed {
        return None;
    }
    let after = authorize(&req, &policies(p, level, new, true, w)).decision;
    (after != Decision::Allowed).then_some(after)
}

fn decide(p: &IndexedPrincipal, level: usize, new: &Arc<Policy>, names: &[String], max: usize) -> Outcome {
    if p.principal.management_account {
        return Outcome::Exempt("SCPs do not apply to the management account");
    }
    if p.principal.service_linked_role {
        return Outcome::Exempt("SCPs do not apply to service-linked roles");
    }
    let Some(levels) = &p.scps else { return Outcome::Unknown("the account has no SCP levels".into()) };
    let fixed = caller_context(p);
    let side = PrincipalSide {
        identity: &p.identity,
        boundary: p.boundary.as_deref(),
        scps: levels,
        fixed: &fixed,
        closed_prefixes: &["aws:PrincipalTag/"],
        present: ALWAYS_PRESENT,
        root: matches!(p.principal.kind, PrincipalKind::Root { .. }),
    };
    let query = match Query::scp_breaks(&side, level, new) {
        Ok(q) => q,
        Err(u) => return Outcome::Unknown(u.to_string()),
    };
    // One witness per class of actions that breaks (the classes the policies tell apart), up to
    // `MAX_CLASSES`: the first `max` become counterexamples, all of them list actions.
    let opts = SolveOptions { max_witnesses: MAX_CLASSES.max(max), preferred_actions: names };
    let solved = match query.solve(&opts, |w| confirm(p, level, new, w, &fixed).is_some()) {
        Ok(s) => s,
        Err(u) => return Outcome::Unknown(u.to_string()),
    };
    if solved.witnesses.is_empty() {
        return if solved.rejected.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Unknown(format!(
                "the symbolic core found {} request(s) the engine did not confirm (a bug in iamspect; please report it)",
                solved.rejected.len()
            ))
        };
    }
    // Every class was found when the search stopped short of its bound with nothing rejected.
    let mut complete = solved.witnesses.len() < MAX_CLASSES.max(max) && solved.rejected.is_empty();
    let mut found = Vec::new();
    let mut raw = Vec::new();
    for w in &solved.witnesses {
        if found.len() >= max {
            break;
        }
        match catalogued(&query, p, level, new, w, &fixed) {
            Some(w) => {
                let w = readable(p, level, new, w, &fixed);
                let Some(after) = confirm(p, level, new, &w, &fixed) else { continue };
                let case = case_json(p, level, new, &w, &fixed, after);
                found.push(Broken { witness: w, after, case, catalogued: true });
            }
            None => raw.push(w.clone()),
        }
    }
    // A request outside AWS's catalogue only when no catalogued one shows the break (D68).
    if found.is_empty() {
        for w in raw.into_iter().take(max) {
            let Some(after) = confirm(p, level, new, &w, &fixed) else { continue };
            let case = case_json(p, level, new, &w, &fixed, after);
            found.push(Broken { witness: w, after, case, catalogued: false });
        }
    }
    // Every catalogue action of a class that breaks, confirmed by the engine with the class's
    // witness's resource and context (an action it does not confirm so may still break on
    // another resource: the list is then said to be incomplete).
    let mut actions: Vec<String> = Vec::new();
    let mut tries = 0;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut classes: std::collections::HashMap<Vec<u64>, Vec<&String>> = std::collections::HashMap::new();
    for (name, sig) in names.iter().zip(query.action_signatures(&refs)) {
        classes.entry(sig).or_default().push(name);
    }
    'outer: for w in &solved.witnesses {
        let sig = query.action_signatures(&[w.action.as_str()]).into_iter().next().unwrap_or_default();
        for name in classes.get(&sig).into_iter().flatten().copied() {
            tries += 1;
            if tries > MAX_LISTED_TRIES || actions.len() >= MAX_LISTED {
                complete = false;
                break 'outer;
            }
            if actions.contains(name) {
                continue;
            }
            let mut w2 = w.clone();
            w2.action = name.clone();
            if confirm(p, level, new, &w2, &fixed).is_some() {
                actions.push(name.clone());
            } else {
                complete = false;
            }
        }
    }
    for b in &found {
        if !actions.iter().any(|a| a.eq_ignore_ascii_case(&b.witness.action)) {
            actions.push(b.witness.action.clone());
        }
    }
    actions.sort();
    actions.dedup();
    let more = !complete;
    Outcome::Breaks { found, actions, more }
}

/// The witness again as a request of a real action on a resource of a type it acts on, when one
/// shows the break (decision D68).
fn catalogued(
    query: &Query,
    p: &IndexedPrincipal,
    level: usize,
    new: &Arc<Policy>,
    w: &Witness,
    fixed: &[(String, Option<Vec<String>>)],
) -> Option<Witness> {
    let catalog = iamspect_catalog::Catalog::get();
    let account = p.principal.account()?;
    let keys = query.context_keys();
    let service = w.action.split(':').next().unwrap_or("").to_ascii_lowercase();
    let candidates: Vec<String> = catalog
        .actions()
        .map(|a| format!("{}:{}", a.service().prefix(), a.name()))
        .filter(|n| n.split(':').next().is_some_and(|s| s.eq_ignore_ascii_case(&service)))
        .filter(|n| query.same_action_class(n, &w.action))
        .take(16)
        .collect();
    for name in candidates {
        let Some(shape) = super::check::shape(&name, &keys, account) else { continue };
        let Ok(restricted) = query.restricted(&shape) else { continue };
        let one = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
        let r = restricted.solve(&one, |w2| {
            let mut w2 = w2.clone();
            w2.action = name.clone();
            confirm(p, level, new, &w2, fixed).is_some()
        });
        if let Ok(r) = r
            && let Some(mut w2) = r.witnesses.into_iter().next()
        {
            w2.action = name;
            return Some(w2);
        }
    }
    None
}

fn policy_value(p: &Policy) -> Value {
    serde_json::from_str(p.source()).unwrap_or(Value::Null)
}

/// The counterexample as a case (`shared/spec/case-format.md`) with the new SCP attached, expecting
/// the engine's decision then; `today` in the JSON says it is allowed without it.
fn case_json(
    p: &IndexedPrincipal,
    level: usize,
    new: &Arc<Policy>,
    w: &Witness,
    fixed: &[(String, Option<Vec<String>>)],
    after: Decision,
) -> Value {
    let mut case = Map::new();
    case.insert(
        "description".into(),
        json!(format!("{} may make this request today; with {} attached it is denied", p.principal.arn(), new.name())),
    );
    if p.principal.tags.is_empty() {
        case.insert("principal".into(), json!(p.principal.arn()));
    } else {
        let tags: Map<String, Value> = p.principal.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        case.insert("principal".into(), json!({"arn": p.principal.arn(), "tags": tags}));
    }
    case.insert("action".into(), json!(w.action));
    case.insert("resource".into(), json!(w.resource));
    let account = p.principal.account().unwrap_or("");
    case.insert("resourceAccount".into(), json!(account));
    let mut ctx = Map::new();
    // The organization keys the account data gives the caller (the engine fills in the rest).
    for (k, vs) in &p.context {
        ctx.insert(k.clone(), json!(vs));
    }
    for (k, vs) in &w.context {
        let derived = fixed.iter().any(|(n, v)| n.eq_ignore_ascii_case(k) && v.is_some())
            && !p.context.iter().any(|(n, _)| n.eq_ignore_ascii_case(k));
        if !derived {
            ctx.insert(k.clone(), if vs.len() == 1 { json!(vs[0]) } else { json!(vs) });
        }
    }
    if !ctx.is_empty() {
        case.insert("context".into(), Value::Object(ctx));
    }
    case.insert("identityPolicies".into(), Value::Array(p.identity.iter().map(|x| policy_value(x)).collect()));
    if let Some(b) = &p.boundary {
        case.insert("permissionsBoundary".into(), policy_value(b));
    }
    let pols = policies(p, level, new, true, w);
    if let Some(levels) = &pols.scps {
        case.insert(
            "scps".into(),
            Value::Array(levels.iter().map(|l| Value::Array(l.iter().map(|x| policy_value(x)).collect())).collect()),
        );
    }
    if let Some(r) = &pols.resource {
        case.insert("resourcePolicy".into(), policy_value(r));
    }
    case.insert("expect".into(), json!({ "decision": after.as_str() }));
    Value::Object(case)
}

fn principal_json(p: &IndexedPrincipal, o: &Outcome) -> Value {
    let arn = p.principal.arn();
    let kind = match &p.principal.kind {
        PrincipalKind::Root { .. } => "root",
        PrincipalKind::User { .. } => "user",
        PrincipalKind::RoleSession { .. } => "role",
        _ => "other",
    };
    let account = p.principal.account().unwrap_or("");
    match o {
        Outcome::Exempt(why) => {
            json!({"principal": arn, "kind": kind, "account": account, "breaks": false, "exempt": why})
        }
        Outcome::Unchanged => json!({"principal": arn, "kind": kind, "account": account, "breaks": false}),
        Outcome::Unknown(u) => {
            json!({"principal": arn, "kind": kind, "account": account, "breaks": null, "unknown": u})
        }
        Outcome::Breaks { found, actions, more } => json!({
            "principal": arn,
            "kind": kind,
            "account": account,
            "breaks": true,
            "actions": actions,
            "actionsComplete": !more,
            "counterexamples": found.iter().map(|b| json!({
                "action": b.witness.action,
                "resource": b.witness.resource,
                "today": "allowed",
                "withNewScp": b.after.as_str(),
                "catalogued": b.catalogued,
                "case": b.case,
            })).collect::<Vec<_>>(),
        }),
    }
}
