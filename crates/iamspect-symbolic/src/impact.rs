//! What attaching an SCP or an RCP breaks (`iamspect scp-impact`, `POST /v1/scp-impact`): for every
//! principal of the accounts under the target, the requests on its own account's resources that it
//! may make today and that the engine denies once the policy is attached (decisions D121, D152),
//! each counterexample decided again by `iamspect-core` before and after. Built with the `impact`
//! feature, which adds the account data to the `checks` feature.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use iamspect_account::AccountData;
use iamspect_account::query::{Index, IndexedPrincipal};
use iamspect_core::{Context, Decision, Policies, Policy, PolicyType, PrincipalKind, Request, authorize};
use serde_json::{Map, Value, json};

use crate::checks::CANCELLED;
use crate::{OrgChange, PrincipalSide, Query, SolveOptions, Witness};

/// What is attached, and where.
pub struct Change {
    /// The SCP attached, if any.
    pub scp: Option<Arc<Policy>>,
    /// The RCP attached, if any.
    pub rcp: Option<Arc<Policy>>,
    /// The root (`r-...`), an OU (`ou-...`) or an account (12 digits).
    pub target: String,
    /// At most this many counterexamples per principal.
    pub max_counterexamples: usize,
}

/// The answer: the result word, the JSON (`docs/schemas/scp-impact.schema.json`) and the text.
pub struct ImpactReport {
    /// `PASS`, `FAIL` or `UNKNOWN`.
    pub result: &'static str,
    /// The JSON answer.
    pub json: Value,
    /// The same for people.
    pub lines: Vec<String>,
}

/// Why no answer was given.
#[derive(Debug)]
pub enum ImpactError {
    /// The input cannot be asked (no organization, an unknown target, nothing attached).
    BadInput(String),
    /// The caller gave up waiting.
    Cancelled,
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

/// One principal's question: what is attached at which level of its path, and its account's
/// RCP levels today (empty when the data has none).
struct Attach<'a> {
    level: usize,
    scp: Option<&'a Arc<Policy>>,
    rcp: Option<&'a Arc<Policy>>,
    rcps: &'a [Vec<Arc<Policy>>],
}

impl Attach<'_> {
    fn names(&self) -> String {
        [self.scp, self.rcp].into_iter().flatten().map(|p| p.name().to_string()).collect::<Vec<_>>().join(" and ")
    }
}

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
fn readable(p: &IndexedPrincipal, at: &Attach<'_>, mut w: Witness, fixed: &[(String, Option<Vec<String>>)]) -> Witness {
    let Some(want) = confirm(p, at, &w, fixed) else { return w };
    for (key, candidates) in READABLE {
        let Some(i) = w.context.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) else { continue };
        for c in *candidates {
            let mut w2 = w.clone();
            if let Some(entry) = w2.context.get_mut(i) {
                entry.1 = vec![c.to_string()];
            }
            if confirm(p, at, &w2, fixed) == Some(want) {
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
        if confirm(p, at, &w2, fixed) == Some(want) {
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

/// The RCP levels of `account` (root first), compiled; `Ok(empty)` when it is not in the
/// organization.
fn rcp_levels(data: &AccountData, account: &str) -> Result<Vec<Vec<Arc<Policy>>>, String> {
    // The levels do not depend on the resource: any ARN of the account asks for them.
    let probe = format!("arn:aws:sqs:us-east-1:{account}:iamspect-rcp-levels");
    let side = data.resource_side("sqs:GetQueueUrl", &probe, Some(account)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for level in side.rcps.unwrap_or_default() {
        let mut compiled = Vec::new();
        for d in level {
            let p =
                Policy::parse(&d.name, &d.document, PolicyType::Rcp).map_err(|e| format!("RCP `{}`: {e}", d.name))?;
            compiled.push(Arc::new(p));
        }
        out.push(compiled);
    }
    Ok(out)
}

/// What attaching `change` breaks, over `data` (which must hold the organization).
pub fn impact(data: &AccountData, change: &Change, cancel: &AtomicBool) -> Result<ImpactReport, ImpactError> {
    if change.scp.is_none() && change.rcp.is_none() {
        return Err(ImpactError::BadInput("give the SCP or the RCP to attach (or both)".to_string()));
    }
    if change.max_counterexamples == 0 || change.max_counterexamples > 100 {
        return Err(ImpactError::BadInput("the counterexamples per principal must be between 1 and 100".to_string()));
    }
    let Some(org) = &data.organization else {
        return Err(ImpactError::BadInput(
            "the account data holds no organization: SCPs and RCPs apply through one (add the organization file)"
                .to_string(),
        ));
    };
    let target = change.target.trim();
    if !node_exists(&org.root, target) {
        return Err(ImpactError::BadInput(format!(
            "target `{target}` is not the root, an OU or an account of organization {}",
            org.id
        )));
    }
    let names_attached = [&change.scp, &change.rcp]
        .into_iter()
        .flatten()
        .map(|p| p.name().to_string())
        .collect::<Vec<_>>()
        .join(" and ");
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
    let index = Index::build(data);
    let catalog = iamspect_catalog::Catalog::get();
    let names: Vec<String> = catalog.actions().map(|a| format!("{}:{}", a.service().prefix(), a.name())).collect();
    let mut results: Vec<(&IndexedPrincipal, Outcome)> = Vec::new();
    let mut not_loaded: Vec<String> = Vec::new();
    // Accounts whose resources the RCP denies some request on that no loaded principal of the
    // account makes through its identity policies (D152): not proved unbroken.
    let mut not_asked: Vec<String> = Vec::new();
    for (account, level) in &under {
        if cancel.load(Ordering::Relaxed) {
            return Err(ImpactError::Cancelled);
        }
        if !data.accounts.contains_key(account) {
            not_loaded.push(account.clone());
            continue;
        }
        let levels = rcp_levels(data, account);
        if let (Some(rcp), Ok(levels)) = (&change.rcp, &levels) {
            let opts = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
            let open = Query::rcp_denies_more(levels, rcp).and_then(|q| q.solve(&opts, |_| true));
            if !matches!(open, Ok(s) if s.witnesses.is_empty() && s.rejected.is_empty()) {
                not_asked.push(account.clone());
            }
        }
        for p in index.principals.iter().filter(|p| p.principal.account() == Some(account.as_str())) {
            let outcome = match &levels {
                Ok(levels) => {
                    let at = Attach { level: *level, scp: change.scp.as_ref(), rcp: change.rcp.as_ref(), rcps: levels };
                    decide(p, &at, &names, change.max_counterexamples, cancel)
                }
                Err(e) => Outcome::Unknown(format!("the RCP levels of account {account}: {e}")),
            };
            results.push((p, outcome));
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(ImpactError::Cancelled);
    }
    let skipped: Vec<&String> =
        index.skipped.iter().filter(|s| under.iter().any(|(a, _)| s.contains(&format!(":{a}:")))).collect();
    let breaks = results.iter().any(|(_, o)| matches!(o, Outcome::Breaks { .. }));
    let unknown = results.iter().any(|(_, o)| matches!(o, Outcome::Unknown(_)))
        || !skipped.is_empty()
        || !not_loaded.is_empty()
        || !not_asked.is_empty();
    let result = if breaks {
        "FAIL"
    } else if unknown {
        "UNKNOWN"
    } else {
        "PASS"
    };
    let message = match result {
        "FAIL" => format!("Attaching {names_attached} to {target} denies requests that principals may make today."),
        "PASS" => format!(
            "Attaching {names_attached} to {target} denies no request that the loaded principals may make today."
        ),
        _ if !not_asked.is_empty() && !results.iter().any(|(_, o)| matches!(o, Outcome::Unknown(_))) => format!(
            "Not decided exactly: the RCP denies requests on resources of {} that no loaded principal of {} makes through its identity policies; requests that resource-based policies grant, and requests of callers outside these accounts, are not asked.",
            not_asked.join(", "),
            if not_asked.len() == 1 { "it" } else { "them" }
        ),
        _ => format!("Not decided exactly for every principal under {target}."),
    };
    let scp_given = change.scp.is_some();
    let principals: Vec<Value> = results.iter().map(|(p, o)| principal_json(p, o, scp_given)).collect();
    let mut out = json!({
        "result": result,
        "message": message,
        "target": target,
        "accounts": under.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
        "accountsNotLoaded": not_loaded,
        "principalsNotResolved": skipped,
        "principals": principals,
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(p) = &change.scp {
            obj.insert("scp".into(), json!(p.name()));
        }
        if let Some(p) = &change.rcp {
            obj.insert("rcp".into(), json!(p.name()));
            obj.insert("accountsNotProved".into(), json!(not_asked));
        }
    }
    let mut lines = vec![format!("{result}: {message}")];
    for (p, o) in &results {
        let arn = p.principal.arn();
        match o {
            Outcome::Exempt(why) => lines.push(format!("  {arn}: not affected ({why})")),
            Outcome::Unchanged => {}
            Outcome::Unknown(u) => lines.push(format!("  {arn}: UNKNOWN: {u}")),
            Outcome::Breaks { found, actions, more } => {
                lines.push(format!(
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
                    lines.push(format!(
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
    lines.push(format!("  {unchanged} principal(s) keep everything they may do today"));
    if !not_loaded.is_empty() {
        lines.push(format!(
            "  note: accounts under the target without loaded data (their principals were not asked): {}",
            not_loaded.join(", ")
        ));
    }
    for s in &skipped {
        lines.push(format!("  note: not resolved, not asked: {s}"));
    }
    if !not_asked.is_empty() {
        lines.push(format!(
            "  note: the RCP denies some request on resources of {} that is not asked (resource-based grants, outside callers)",
            not_asked.join(", ")
        ));
    }
    Ok(ImpactReport { result, json: out, lines })
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
fn policies(p: &IndexedPrincipal, at: &Attach<'_>, with_new: bool, w: &Witness) -> Policies {
    let mut scps: Vec<Vec<Arc<Policy>>> = p.scps.as_ref().map(|s| s.as_ref().clone()).unwrap_or_default();
    let mut rcps: Vec<Vec<Arc<Policy>>> = at.rcps.to_vec();
    if with_new {
        if let (Some(new), Some(l)) = (at.scp, scps.get_mut(at.level)) {
            l.push(new.clone());
        }
        if let (Some(new), Some(l)) = (at.rcp, rcps.get_mut(at.level)) {
            l.push(new.clone());
        }
    }
    let mut out = Policies {
        identity: p.identity.clone(),
        permissions_boundary: p.boundary.clone(),
        scps: p.scps.as_ref().map(|_| scps),
        rcps: (!at.rcps.is_empty()).then_some(rcps),
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
    at: &Attach<'_>,
    w: &Witness,
    fixed: &[(String, Option<Vec<String>>)],
) -> Option<Decision> {
    let req = request(p, w, fixed)?;
    if authorize(&req, &policies(p, at, false, w)).decision != Decision::Allowed {
        return None;
    }
    let after = authorize(&req, &policies(p, at, true, w)).decision;
    (after != Decision::Allowed).then_some(after)
}

fn decide(p: &IndexedPrincipal, at: &Attach<'_>, names: &[String], max: usize, cancel: &AtomicBool) -> Outcome {
    if p.principal.management_account {
        return Outcome::Exempt(if at.rcp.is_some() {
            "SCPs do not apply to the management account, nor RCPs to its resources"
        } else {
            "SCPs do not apply to the management account"
        });
    }
    if p.principal.service_linked_role {
        return Outcome::Exempt(if at.rcp.is_some() {
            "SCPs and RCPs do not apply to service-linked roles"
        } else {
            "SCPs do not apply to service-linked roles"
        });
    }
    if cancel.load(Ordering::Relaxed) {
        return Outcome::Unknown(CANCELLED.to_string());
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
    let change = OrgChange {
        target_level: at.level,
        scp: at.scp.map(|p| p.as_ref()),
        rcp: at.rcp.map(|p| p.as_ref()),
        rcps: at.rcps,
    };
    let query = match Query::org_breaks(&side, &change) {
        Ok(q) => q,
        Err(u) => return Outcome::Unknown(u.to_string()),
    };
    // One witness per class of actions that breaks (the classes the policies tell apart), up to
    // `MAX_CLASSES`: the first `max` become counterexamples, all of them list actions.
    let opts = SolveOptions { max_witnesses: MAX_CLASSES.max(max), preferred_actions: names };
    let solved = match query.solve(&opts, |w| confirm(p, at, w, &fixed).is_some()) {
        Ok(s) => s,
        Err(u) => return Outcome::Unknown(u.to_string()),
    };
    if solved.witnesses.is_empty() {
        return if solved.rejected.is_empty() {
            unchanged_beyond(&side, at)
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
        match catalogued(&query, p, at, w, &fixed) {
            Some(w) => {
                let w = readable(p, at, w, &fixed);
                let Some(after) = confirm(p, at, &w, &fixed) else { continue };
                let case = case_json(p, at, &w, &fixed, after);
                found.push(Broken { witness: w, after, case, catalogued: true });
            }
            None => raw.push(w.clone()),
        }
    }
    // A request outside AWS's catalogue only when no catalogued one shows the break (D68).
    if found.is_empty() {
        for w in raw.into_iter().take(max) {
            let Some(after) = confirm(p, at, &w, &fixed) else { continue };
            let case = case_json(p, at, &w, &fixed, after);
            found.push(Broken { witness: w, after, case, catalogued: false });
        }
    }
    // Every catalogue action of a class that breaks, confirmed by the engine with the class's
    // witness's resource and context (an action it does not confirm so may still break on
    // another resource: the list is then said to be incomplete).
    let mut actions: Vec<String> = Vec::new();
    let mut tries = 0;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut classes: HashMap<Vec<u64>, Vec<&String>> = HashMap::new();
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
            if confirm(p, at, &w2, &fixed).is_some() {
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

/// When none of the principal's own-account requests its identity policies grant breaks: whether
/// an attached SCP could still deny one of its requests that another account's resource, or a
/// resource-based policy, grants (decision D154). Asked with no identity side and the resource's
/// account free (the caller's keys stay its own), which can only add requests: none means the
/// principal keeps everything; some means not known.
fn unchanged_beyond(side: &PrincipalSide<'_>, at: &Attach<'_>) -> Outcome {
    let Some(scp) = at.scp else { return Outcome::Unchanged };
    let fixed: Vec<(String, Option<Vec<String>>)> =
        side.fixed.iter().filter(|(k, _)| !k.to_ascii_lowercase().starts_with("aws:resource")).cloned().collect();
    let any = PrincipalSide { identity: &[], boundary: None, fixed: &fixed, root: true, ..side.clone() };
    let change = OrgChange { target_level: at.level, scp: Some(scp.as_ref()), rcp: None, rcps: &[] };
    let opts = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
    match Query::org_breaks(&any, &change).and_then(|q| q.solve(&opts, |_| true)) {
        Ok(s) if s.witnesses.is_empty() && s.rejected.is_empty() => Outcome::Unchanged,
        Ok(_) => Outcome::Unknown(
            "none of its requests on its own account's resources that its identity policies grant breaks, but the SCP denies some request of it that a resource-based policy or another account's resource could grant, which is not asked".to_string(),
        ),
        Err(u) => Outcome::Unknown(u.to_string()),
    }
}

/// The witness again as a request of a real action on a resource of a type it acts on, when one
/// shows the break (decision D68).
fn catalogued(
    query: &Query,
    p: &IndexedPrincipal,
    at: &Attach<'_>,
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
        let Some(shape) = crate::checks::shape(&name, &keys, account) else { continue };
        let Ok(restricted) = query.restricted(&shape) else { continue };
        let one = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
        let r = restricted.solve(&one, |w2| {
            let mut w2 = w2.clone();
            w2.action = name.clone();
            confirm(p, at, &w2, fixed).is_some()
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
    at: &Attach<'_>,
    w: &Witness,
    fixed: &[(String, Option<Vec<String>>)],
    after: Decision,
) -> Value {
    let mut case = Map::new();
    case.insert(
        "description".into(),
        json!(format!("{} may make this request today; with {} attached it is denied", p.principal.arn(), at.names())),
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
    let pols = policies(p, at, true, w);
    if let Some(levels) = &pols.scps {
        case.insert(
            "scps".into(),
            Value::Array(levels.iter().map(|l| Value::Array(l.iter().map(|x| policy_value(x)).collect())).collect()),
        );
    }
    if let Some(levels) = &pols.rcps {
        case.insert(
            "rcps".into(),
            Value::Array(levels.iter().map(|l| Value::Array(l.iter().map(|x| policy_value(x)).collect())).collect()),
        );
    }
    if let Some(r) = &pols.resource {
        case.insert("resourcePolicy".into(), policy_value(r));
    }
    case.insert("expect".into(), json!({ "decision": after.as_str() }));
    Value::Object(case)
}

fn principal_json(p: &IndexedPrincipal, o: &Outcome, scp: bool) -> Value {
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
            "counterexamples": found.iter().map(|b| {
                let mut c = json!({
                    "action": b.witness.action,
                    "resource": b.witness.resource,
                    "today": "allowed",
                    "after": b.after.as_str(),
                    "catalogued": b.catalogued,
                    "case": b.case,
                });
                if scp && let Some(obj) = c.as_object_mut() {
                    obj.insert("withNewScp".into(), json!(b.after.as_str()));
                }
                c
            }).collect::<Vec<_>>(),
        }),
    }
}
