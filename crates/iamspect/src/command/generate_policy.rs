//! `iamspect generate-policy --cloudtrail EVENTS... --principal ARN`: a least-privilege identity
//! policy from what the principal actually did, as CloudTrail recorded it (decision D88), proved
//! three ways before it is printed: every rebuilt request is allowed by it (the engine), it lints
//! with no error or security warning, and with `--account-data` it grants nothing the principal's
//! current identity policies do not (`check-no-new-access`'s core).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use iamspect_core::{Layer, LayerVerdict, Policies, Policy, PolicyType, Request};
use serde_json::{Value, json};

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// CloudTrail events: files (`Records`, `lookup-events` output) or folders. One path per flag,
    /// or several after it.
    #[arg(long = "cloudtrail", value_name = "PATH", required = true, num_args = 1..)]
    cloudtrail: Vec<PathBuf>,
    /// The principal: a role (its sessions' events count), or a user.
    #[arg(long)]
    principal: String,
    /// Account data: with it, the generated policy is checked to grant nothing the principal's
    /// current identity policies do not.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',')]
    account_data: Vec<PathBuf>,
    /// Only events at or after this time (ISO 8601, `2026-11-01T00:00:00Z`).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Also the requests AWS refused for want of permission (by default only those it authorized,
    /// whether or not they then failed for another reason).
    #[arg(long)]
    include_denied: bool,
    /// AWS's service reference, to map operations to actions (as `replay --service-reference`).
    #[arg(long, value_name = "DIR")]
    service_reference: Option<PathBuf>,
    /// Where the events show several values of one segment of an action's resource ARNs (and
    /// only that segment), write that segment as `*` (decision D148). Off by default: the
    /// policy names each resource the events name.
    #[arg(long)]
    generalize: bool,
    /// Output format: the policy alone (text), or the policy with its proofs (json).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// What the events gave.
struct Observed {
    /// Each action with the resources it was called on (`*` where the event names none).
    actions: BTreeMap<String, BTreeSet<String>>,
    /// Actions the operations need besides their own (the service reference's list), on `*`.
    dependent: BTreeSet<String>,
    /// The rebuilt requests, for the proof: one per action and resource.
    requests: Vec<Request>,
    /// The action and resource of each kept request.
    request_keys: BTreeSet<(String, String)>,
    /// Events of the principal that could not be rebuilt, with why.
    not_rebuilt: Vec<String>,
    /// Actions whose resource the event does not determine, decided on `*`.
    on_star: BTreeSet<String>,
    /// Event names AWS's catalogue has no action for (internal or console calls): left out.
    not_actions: BTreeSet<String>,
    /// Actions AWS allows without any policy (`sts:GetCallerIdentity`, D18): left out.
    free: BTreeSet<String>,
    /// KMS keys of SSE-KMS objects the S3 calls used, with the actions and the calls.
    kms: Vec<String>,
    /// S3 calls naming a KMS key whose KMS needs are not known.
    kms_unknown: Vec<String>,
    /// Events read, and those of the principal.
    read: usize,
    mine: usize,
}

pub(crate) fn run(args: Args) -> u8 {
    match generate(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            BAD_INPUT
        }
    }
}

/// Whether an event's caller is `principal`: the user itself, or a session of the role.
fn is_principal(caller: &str, principal: &iamspect_core::Principal) -> bool {
    use iamspect_core::PrincipalKind;
    match &principal.kind {
        PrincipalKind::RoleSession { role_name, account, .. } => {
            caller.starts_with(&format!("arn:aws:sts::{account}:assumed-role/{role_name}/"))
        }
        _ => caller == principal.arn(),
    }
}

impl Observed {
    fn new() -> Observed {
        Observed {
            actions: BTreeMap::new(),
            dependent: BTreeSet::new(),
            requests: Vec::new(),
            request_keys: BTreeSet::new(),
            not_rebuilt: Vec::new(),
            on_star: BTreeSet::new(),
            not_actions: BTreeSet::new(),
            free: BTreeSet::new(),
            kms: Vec::new(),
            kms_unknown: Vec::new(),
            read: 0,
            mine: 0,
        }
    }

    /// Keeps `request` for the proof unless one with the same action and resource is kept: the
    /// generated policy has no conditions or variables, so its identity layer decides on the
    /// action and the resource alone.
    fn keep(&mut self, request: Request) {
        let key = (request.action().to_string(), request.resource().to_string());
        if self.request_keys.insert(key) {
            self.requests.push(request);
        }
    }

    /// Adds another thread's findings.
    fn merge(&mut self, other: Observed) {
        for (a, rs) in other.actions {
            self.actions.entry(a).or_default().extend(rs);
        }
        self.dependent.extend(other.dependent);
        for r in other.requests {
            self.keep(r);
        }
        self.not_rebuilt.extend(other.not_rebuilt);
        self.on_star.extend(other.on_star);
        self.not_actions.extend(other.not_actions);
        self.free.extend(other.free);
        self.kms.extend(other.kms);
        self.kms_unknown.extend(other.kms_unknown);
        self.read += other.read;
        self.mine += other.mine;
    }
}

fn observe(args: &Args) -> Result<Observed, String> {
    let principal = iamspect_core::Principal::parse(&args.principal).map_err(|e| format!("--principal: {e}"))?;
    let since = match &args.since {
        Some(s) => Some(iamspect_replay::parse_time(s).ok_or_else(|| format!("--since `{s}` is not a time"))?),
        None => None,
    };
    let (sref, _) = super::replay::service_reference(args.service_reference.as_deref())?;
    let data = if args.account_data.is_empty() { None } else { Some(super::account::load(&args.account_data)?) };
    let each = |o: &mut Observed, event: iamspect_replay::Event| {
        o.read += 1;
        let record = &event.record;
        // Only an authorization denial means AWS refused the request; a call that failed later
        // (`NoSuchKey`, throttling) was authorized, and the workload needs its permission.
        if iamspect_replay::denial_code(record).is_some() && !args.include_denied {
            return;
        }
        if let Some(since) = since {
            match record.get("eventTime").and_then(Value::as_str).and_then(iamspect_replay::parse_time) {
                Some(time) if time < since => return,
                Some(_) => {}
                None => {
                    o.not_rebuilt
                        .push(format!("{}: no readable eventTime, so not known to be after --since", event.source));
                    return;
                }
            }
        }
        let rebuilt = match iamspect_replay::rebuild(record, sref.as_ref(), data.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                // Only this principal's events count; an event whose caller cannot be read is
                // reported if it could be this principal's.
                let arn = record.pointer("/userIdentity/arn").and_then(Value::as_str).unwrap_or("");
                if is_principal(arn, &principal) {
                    o.mine += 1;
                    o.not_rebuilt.push(format!("{}: {e}", event.source));
                }
                return;
            }
        };
        if !is_principal(&rebuilt.caller.principal, &principal) {
            return;
        }
        o.mine += 1;
        let requests = match rebuilt.requests() {
            Ok(r) => r,
            Err(e) => {
                o.not_rebuilt.push(format!("{}: {e}", event.source));
                return;
            }
        };
        for (target, request) in rebuilt.targets.iter().zip(requests) {
            // A call AWS authorizes as no action of its catalogue (an internal or console call)
            // cannot be granted by a policy: said, not written into one.
            if iamspect_catalog::Catalog::get().action(&target.action).is_none() {
                o.not_actions.insert(target.action.clone());
                return;
            }
            if iamspect_core::authorize(&request, &Policies::default()).decision == iamspect_core::Decision::Allowed {
                o.free.insert(target.action.clone());
                return;
            }
            let resource = if target.resource_determined { target.resource.clone() } else { "*".to_string() };
            if !target.resource_determined {
                o.on_star.insert(target.action.clone());
            }
            o.actions.entry(target.action.clone()).or_default().insert(resource);
            o.keep(request);
        }
        o.dependent.extend(rebuilt.other_actions.iter().cloned());
        // S3 on SSE-KMS objects: S3 calls KMS for the caller, on the key the event names.
        match iamspect_replay::sse_kms_needs(record) {
            Ok(needs) if !needs.is_empty() => {
                let principal = iamspect_core::Principal::parse(&rebuilt.caller.principal).map_err(|e| e.to_string());
                let mut ctx = iamspect_core::Context::new();
                for (k, vs) in &rebuilt.context {
                    ctx.insert(k, vs.clone());
                }
                for need in needs {
                    let request = principal.clone().and_then(|p| {
                        Request::new(p, need.action, &need.resource, None, ctx.clone()).map_err(|e| e.to_string())
                    });
                    match request {
                        Ok(request) => {
                            if need.resource == "*" {
                                o.on_star.insert(need.action.to_string());
                            }
                            o.actions.entry(need.action.to_string()).or_default().insert(need.resource.clone());
                            o.keep(request);
                            o.kms.push(format!(
                                "{} on {}: {} of an SSE-KMS object ({})",
                                need.action,
                                need.key,
                                record.get("eventName").and_then(Value::as_str).unwrap_or(""),
                                event.source
                            ));
                        }
                        Err(e) => o.not_rebuilt.push(format!("{}: {}: {e}", event.source, need.action)),
                    }
                }
            }
            Ok(_) => {}
            Err(e) => o.kms_unknown.push(format!("{}: {e}", event.source)),
        }
    };
    let (states, _) = super::replay::stream_events(&args.cloudtrail, "--cloudtrail", &Observed::new, &each)?;
    let mut o = Observed::new();
    for s in states {
        o.merge(s);
    }
    o.not_rebuilt.sort();
    o.kms.sort();
    o.kms_unknown.sort();
    Ok(o)
}

/// One segment written as `*` because the events show several values of it.
struct Generalized {
    action: String,
    pattern: String,
    segment: usize,
    values: BTreeSet<String>,
}

/// An ARN's segments and the separators between them.
type Cut = (Vec<String>, Vec<char>);

/// The values of one segment, and the ARNs that show them.
type Group<'a> = (BTreeSet<String>, Vec<&'a String>);

/// An ARN cut at `:` and `/`: the segments and the separators between them.
fn segments(arn: &str) -> Cut {
    let mut segs = vec![String::new()];
    let mut seps = Vec::new();
    for c in arn.chars() {
        if c == ':' || c == '/' {
            seps.push(c);
            segs.push(String::new());
        } else if let Some(last) = segs.last_mut() {
            last.push(c);
        }
    }
    (segs, seps)
}

/// A segment as literal pattern text (`*`, `?` and `$` match only themselves).
fn literal_segment(s: &str) -> String {
    s.replace('$', "${$}").replace('*', "${*}").replace('?', "${?}")
}

/// Each action's resources as policy patterns: literal ARNs, and with `generalize`, a `*` for
/// each segment the events show several values of while every other segment is the same.
fn resource_patterns(o: &Observed, generalize: bool) -> (BTreeMap<String, BTreeSet<String>>, Vec<Generalized>) {
    let mut out = BTreeMap::new();
    let mut generalized = Vec::new();
    for (action, resources) in &o.actions {
        let mut patterns = BTreeSet::new();
        let mut covered = BTreeSet::new();
        if generalize {
            let cut: Vec<(&String, Cut)> = resources.iter().filter(|r| *r != "*").map(|r| (r, segments(r))).collect();
            let most = cut.iter().map(|(_, (s, _))| s.len()).max().unwrap_or(0);
            // Every group of ARNs equal but in one segment i, with several values there.
            let mut candidates: Vec<(String, usize, BTreeSet<String>, Vec<&String>)> = Vec::new();
            for i in 0..most {
                let mut groups: BTreeMap<(Vec<char>, Vec<String>), Group<'_>> = BTreeMap::new();
                for (arn, (segs, seps)) in &cut {
                    if i >= segs.len() {
                        continue;
                    }
                    let mut rest = segs.clone();
                    let value = std::mem::take(&mut rest[i]);
                    let g = groups.entry((seps.clone(), rest)).or_default();
                    g.0.insert(value);
                    g.1.push(arn);
                }
                for ((seps, rest), (values, arns)) in groups {
                    if values.len() < 2 {
                        continue;
                    }
                    let mut pattern = String::new();
                    for (j, seg) in rest.iter().enumerate() {
                        if j == i {
                            pattern.push('*');
                        } else {
                            pattern.push_str(&literal_segment(seg));
                        }
                        if let Some(c) = seps.get(j) {
                            pattern.push(*c);
                        }
                    }
                    candidates.push((pattern, i, values, arns));
                }
            }
            // The largest groups first; a group is used only while it covers at least two ARNs
            // no pattern taken covers yet (for one, the literal ARN is narrower).
            candidates.sort_by(|a, b| b.3.len().cmp(&a.3.len()).then_with(|| a.0.cmp(&b.0)));
            for (pattern, i, values, arns) in candidates {
                if arns.iter().filter(|a| !covered.contains(**a)).count() < 2 {
                    continue;
                }
                covered.extend(arns.into_iter().cloned());
                patterns.insert(pattern.clone());
                generalized.push(Generalized { action: action.clone(), pattern, segment: i + 1, values });
            }
        }
        for r in resources {
            if !covered.contains(r) {
                patterns.insert(literal(r));
            }
        }
        out.insert(action.clone(), patterns);
    }
    (out, generalized)
}

/// A resource ARN as a literal pattern: `*` and `?` in it match only themselves.
fn literal(resource: &str) -> String {
    if resource == "*" {
        return resource.to_string();
    }
    resource.replace('$', "${$}").replace('*', "${*}").replace('?', "${?}")
}

fn one_or_list(items: Vec<String>) -> Value {
    if items.len() == 1 { json!(items[0]) } else { json!(items) }
}

/// The policy: per service, the actions with the same resources in one statement.
fn policy_document(o: &Observed, patterns: &BTreeMap<String, BTreeSet<String>>) -> Value {
    let mut statements = Vec::new();
    let mut by_service: BTreeMap<String, BTreeMap<Vec<String>, Vec<String>>> = BTreeMap::new();
    for (action, resources) in patterns {
        let service = action.split(':').next().unwrap_or("").to_string();
        let resources: Vec<String> = resources.iter().cloned().collect();
        by_service.entry(service).or_default().entry(resources).or_default().push(action.clone());
    }
    for (service, groups) in &by_service {
        let name: String = service
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
            })
            .collect();
        for (i, (resources, actions)) in groups.iter().enumerate() {
            let sid = if groups.len() == 1 { name.clone() } else { format!("{name}{}", i + 1) };
            statements.push(json!({
                "Sid": sid,
                "Effect": "Allow",
                "Action": one_or_list(actions.clone()),
                "Resource": one_or_list(resources.clone()),
            }));
        }
    }
    let dependent: Vec<String> = o.dependent.iter().filter(|a| !o.actions.contains_key(*a)).cloned().collect();
    if !dependent.is_empty() {
        statements.push(json!({
            "Sid": "ActionsTheOperationsAlsoNeed",
            "Effect": "Allow",
            "Action": one_or_list(dependent),
            "Resource": "*",
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The principal's current identity policies as one document (statements of one layer combine
/// the same way in one document as in several).
fn current_policy(args: &Args) -> Result<Policy, String> {
    let data = super::account::load(&args.account_data)?;
    let resolved = data.resolve_principal(&args.principal).map_err(|e| e.to_string())?;
    let mut statements = Vec::new();
    for d in &resolved.identity {
        let doc: Value = serde_json::from_str(&d.document).map_err(|e| format!("{}: {e}", d.name))?;
        if doc.get("Version").and_then(Value::as_str) != Some("2012-10-17") && d.document.contains("${") {
            return Err(format!(
                "`{}` is a 2008-10-17 policy with `${{...}}` text, which would read as variables once combined; not compared",
                d.name
            ));
        }
        match doc.get("Statement") {
            Some(Value::Array(list)) => statements.extend(list.iter().cloned()),
            Some(one) => statements.push(one.clone()),
            None => {}
        }
    }
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    Policy::parse("current identity policies", &text, PolicyType::Identity).map_err(|e| e.to_string())
}

fn generate(args: &Args) -> Result<u8, String> {
    let o = observe(args)?;
    if o.actions.is_empty() {
        return Err(format!(
            "no request of {} to build a policy from: {} events read, {} of this principal{}",
            args.principal,
            o.read,
            o.mine,
            if o.not_rebuilt.is_empty() { String::new() } else { format!(", {} not rebuilt", o.not_rebuilt.len()) }
        ));
    }
    let (patterns, generalized) = resource_patterns(&o, args.generalize);
    let document = policy_document(&o, &patterns);
    let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())? + "\n";
    let policy = Arc::new(
        Policy::parse("generated", &text, PolicyType::Identity)
            .map_err(|e| format!("the generated policy does not parse: {e}"))?,
    );

    // Proof 1: the identity layer allows every rebuilt request with the generated policy alone.
    let policies = Policies { identity: vec![policy.clone()], ..Policies::default() };
    let not_allowed: Vec<String> = o
        .requests
        .iter()
        .filter(|r| {
            let traced = iamspect_core::authorize_traced(r, &policies);
            !traced.trace.layers.iter().any(|l| l.layer == Layer::Identity && l.verdict == LayerVerdict::Allows)
        })
        .map(|r| format!("{} on {}", r.action(), r.resource()))
        .collect();
    // Proof 2: lint.
    let findings =
        iamspect_lint::lint(&text, iamspect_lint::Target { policy_type: PolicyType::Identity, resource_type: None });
    let blocking: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f.severity, iamspect_lint::Severity::Error | iamspect_lint::Severity::SecurityWarning))
        .map(|f| format!("{} {}: {}", f.code, f.severity.as_str(), f.message))
        .collect();
    // Proof 3: no new access against the current policies.
    let no_new_access = if args.account_data.is_empty() {
        json!({"result": "NOT_CHECKED", "message": "give --account-data to compare with the principal's current identity policies"})
    } else {
        match current_policy(args) {
            Err(e) => json!({"result": "UNKNOWN", "message": e}),
            Ok(current) => compare(&policy, &current),
        }
    };
    let requests_proved = not_allowed.is_empty();
    let proofs = json!({
        "allowsEveryRequest": {"proved": requests_proved, "requests": o.requests.len(), "notAllowed": not_allowed},
        "lint": {"proved": blocking.is_empty(), "blocking": blocking, "findings": findings.len()},
        "noNewAccess": no_new_access,
    });
    let notes: Vec<String> = o
        .on_star
        .iter()
        .map(|a| {
            format!("{a}: the events name no resource, so it is allowed on `*` (narrow it if you know the resource)")
        })
        .chain(o.not_rebuilt.iter().map(|e| format!("not covered, the request could not be rebuilt: {e}")))
        .chain(
            o.free
                .iter()
                .map(|a| format!("left out: `{a}` needs no permission (AWS allows it to every signed caller)")),
        )
        .chain(o.not_actions.iter().map(|a| {
            format!("left out: `{a}` is no action of AWS's catalogue (an internal or console call no policy grants)")
        }))
        .chain(generalized.iter().map(|g| {
            format!(
                "generalized: {} on {}: segment {} is `*` (which also matches `/` and `:`) for the values {}",
                g.action,
                g.pattern,
                g.segment,
                g.values.iter().take(10).map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                    + &if g.values.len() > 10 { format!(" and {} more", g.values.len() - 10) } else { String::new() }
            )
        }))
        .chain(o.kms.iter().map(|k| format!("added: {k}")))
        .chain(o.kms_unknown.iter().map(|k| format!("not covered: {k}")))
        .collect();
    let generalized_json: Vec<Value> = generalized
        .iter()
        .map(|g| json!({"action": g.action, "pattern": g.pattern, "segment": g.segment, "values": g.values}))
        .collect();
    match args.format {
        Format::Text => {
            crate::output::print(&text);
            eprintln!(
                "generated from {} request(s) of {} event(s) of {} ({} events read)",
                o.requests.len(),
                o.mine,
                args.principal,
                o.read
            );
            eprintln!(
                "proved: every rebuilt request allowed: {}; lint without error or security warning: {}; no new access: {}",
                if requests_proved { "yes" } else { "NO" },
                if blocking.is_empty() { "yes" } else { "NO" },
                no_new_access["result"].as_str().unwrap_or("?")
            );
            for n in &notes {
                eprintln!("note: {n}");
            }
        }
        Format::Json => {
            let v = json!({"policy": document, "principal": args.principal, "requests": o.requests.len(), "events": o.mine, "proofs": proofs, "generalized": generalized_json, "notes": notes});
            crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    let all = requests_proved && blocking.is_empty() && no_new_access["result"] != "FAIL";
    Ok(if all { SUCCESS } else { FAILURE })
}

/// `check-no-new-access` of the generated policy against the current one.
fn compare(generated: &Policy, current: &Policy) -> Value {
    use iamspect_symbolic::{Query, SolveOptions, harness};
    let query = match Query::no_new_access(generated, current, PolicyType::Identity) {
        Ok(q) => q,
        Err(u) => return json!({"result": "UNKNOWN", "message": u.to_string()}),
    };
    let granting = Arc::new(generated.clone());
    let denying = Arc::new(current.clone());
    let opts = SolveOptions { max_witnesses: 5, preferred_actions: &[] };
    let confirm =
        |w: &iamspect_symbolic::Witness| harness::confirms(w, &granting, Some(&denying), PolicyType::Identity);
    match query.solve(&opts, confirm) {
        Err(u) => json!({"result": "UNKNOWN", "message": u.to_string()}),
        Ok(s) if s.witnesses.is_empty() && s.rejected.is_empty() => {
            json!({"result": "PASS", "message": "the generated policy grants nothing the current identity policies do not"})
        }
        Ok(s) if s.witnesses.is_empty() => {
            json!({"result": "UNKNOWN", "message": "the search found requests the engine did not confirm"})
        }
        Ok(s) => json!({
            "result": "FAIL",
            "message": "the generated policy allows requests the current identity policies do not (the principal did them, so another policy, such as a resource policy, must have allowed them)",
            "examples": s.witnesses.iter().map(|w| json!({"action": w.action, "resource": w.resource})).collect::<Vec<_>>(),
        }),
    }
}
