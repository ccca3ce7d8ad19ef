//! The answers of `check-no-new-access`, `check-access-not-granted` and `check-no-public-access`
//! (Access Analyzer's custom policy checks), shared by the CLI and the server: the question, its
//! witnesses confirmed by the engine, each again as a case of a real action that the case reader
//! takes and decides as claimed (decision D68), and Access Analyzer's JSON shape (`result`,
//! `message`, `reasons`) plus `counterexamples`. Built only with the `checks` feature, which adds
//! AWS's catalogue and the case reader to this otherwise pure crate.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use iamspect_case::{Actual, Compiler};
use iamspect_core::{Decision, Effect, Policy, PolicyType, authorize_traced};
use serde_json::{Map, Value, json};

use crate::{Query, ResourceKind, Shape, SolveOptions, Unknown, Witness, harness};

/// What [`report`] gives: the result word, the JSON, and the text lines.
#[derive(Clone, Debug)]
pub struct Report {
    /// `PASS`, `FAIL` or `UNKNOWN`.
    pub result: &'static str,
    /// Access Analyzer's shape plus `counterexamples`.
    pub json: Value,
    /// The same for people.
    pub lines: Vec<String>,
}

/// The construct named when the caller gave up waiting (the server's deadline).
pub const CANCELLED: &str = "cancelled: the request's deadline passed";

fn cancelled(cancel: &AtomicBool) -> Result<(), Unknown> {
    if cancel.load(Ordering::Relaxed) { Err(Unknown::new(CANCELLED.to_string())) } else { Ok(()) }
}

/// Each resource type: its policy's type, the actions its policy decides, and its ARNs
/// (`{account}`: the resource's account).
pub const RESOURCE_TYPES: &[(&str, &str, &str)] = &[
    ("AWS::S3::Bucket", "s3:*", "arn:aws:s3:::*"),
    ("AWS::KMS::Key", "kms:*", "arn:aws:kms:*:{account}:key/*"),
    ("AWS::IAM::AssumeRolePolicyDocument", "", ""),
    ("AWS::SQS::Queue", "sqs:*", "arn:aws:sqs:*:{account}:*"),
    ("AWS::SNS::Topic", "sns:*", "arn:aws:sns:*:{account}:*"),
    ("AWS::Lambda::Function", "lambda:*", "arn:aws:lambda:*:{account}:function:*"),
    ("AWS::SecretsManager::Secret", "secretsmanager:*", "arn:aws:secretsmanager:*:{account}:secret:*"),
    ("AWS::ECR::Repository", "ecr:*", "arn:aws:ecr:*:{account}:repository/*"),
    ("AWS::DynamoDB::Table", "dynamodb:*", "arn:aws:dynamodb:*:{account}:table/*"),
    ("AWS::Kinesis::Stream", "kinesis:*", "arn:aws:kinesis:*:{account}:stream/*"),
    ("AWS::EFS::FileSystem", "elasticfilesystem:*", "arn:aws:elasticfilesystem:*:{account}:file-system/*"),
    ("AWS::Glacier::Vault", "glacier:*", "arn:aws:glacier:*:{account}:vaults/*"),
    ("AWS::Backup::BackupVault", "backup:*", "arn:aws:backup:*:{account}:backup-vault:*"),
];

/// What a resource type's policy decides (`--resource-type`), by its CloudFormation name.
pub fn resource_kind(name: &str) -> Option<ResourceKind> {
    let &(_, action, resource) = RESOURCE_TYPES.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(name))?;
    let trust = action.is_empty();
    Some(ResourceKind {
        policy_type: if trust { PolicyType::Trust } else { PolicyType::Resource },
        actions: if trust { Vec::new() } else { vec![action.to_string()] },
        resources: if trust { Vec::new() } else { vec![resource.to_string()] },
    })
}

/// The question compiled.
pub fn query(q: &Question, t: PolicyType) -> Result<Query, Unknown> {
    match q {
        Question::NoNewAccess { new, existing } => Query::no_new_access(new, existing, t),
        Question::NotGranted { policy, actions, resources } => {
            let a: Vec<&str> = actions.iter().map(String::as_str).collect();
            let r: Vec<&str> = resources.iter().map(String::as_str).collect();
            Query::access_granted(policy, &a, (!r.is_empty()).then_some(r.as_slice()), t)
        }
        Question::Public { policy, kind, organization } => Query::public_access(policy, kind, organization.as_deref()),
    }
}

/// The answer, with at most `max` counterexamples. `cancel` set (the caller gave up) stops the
/// work between solver runs with [`CANCELLED`].
pub fn answer(q: &Question, t: PolicyType, max: usize, cancel: &AtomicBool) -> Result<Answer, Unknown> {
    let query = query(q, t)?;
    cancelled(cancel)?;
    find(q, &query, t, max, cancel)
}

/// What is asked.
pub enum Question {
    /// `check-no-new-access`: does `new` allow anything `existing` does not?
    NoNewAccess {
        /// The new policy.
        new: Arc<Policy>,
        /// The existing policy.
        existing: Arc<Policy>,
    },
    /// `check-access-not-granted`: can `policy` allow one of the actions (on one of the resources)?
    NotGranted {
        /// The policy.
        policy: Arc<Policy>,
        /// Action patterns.
        actions: Vec<String>,
        /// Resource patterns (none: any resource).
        resources: Vec<String>,
    },
    /// `check-no-public-access`: can anyone outside the resource's account be allowed?
    Public {
        /// The resource's policy.
        policy: Arc<Policy>,
        /// What its resource type's policy decides.
        kind: ResourceKind,
        /// Callers of this organization count as inside.
        organization: Option<String>,
    },
}

impl Question {
    /// The policy whose grants a counterexample shows.
    pub fn granting(&self) -> &Arc<Policy> {
        match self {
            Question::NoNewAccess { new, .. } => new,
            Question::NotGranted { policy, .. } | Question::Public { policy, .. } => policy,
        }
    }

    /// The policy a counterexample must not be allowed by, if any.
    pub fn denying(&self) -> Option<&Arc<Policy>> {
        match self {
            Question::NoNewAccess { existing, .. } => Some(existing),
            Question::NotGranted { .. } | Question::Public { .. } => None,
        }
    }
}

/// A counterexample: the witness, its case, and whether `iamspect eval` accepts the case as it is
/// (false when no request AWS's catalogue allows shows the difference).
pub struct Found {
    /// The witness.
    pub witness: Witness,
    /// Its case.
    pub case: Value,
    /// The case's request is one AWS's catalogue knows (`iamspect eval` takes it as it is).
    pub catalogued: bool,
}

/// The answer to a question.
pub enum Answer {
    /// No request shows it.
    Pass,
    /// Requests that show it, confirmed.
    Fail(Vec<Found>),
    /// Witnesses exist, but the engine confirmed none.
    Unconfirmed(Vec<Witness>),
}

fn find(q: &Question, query: &Query, t: PolicyType, max: usize, cancel: &AtomicBool) -> Result<Answer, Unknown> {
    let catalog = iamspect_catalog::Catalog::get();
    let names: Vec<String> = catalog.actions().map(|a| format!("{}:{}", a.service().prefix(), a.name())).collect();
    let opts = SolveOptions { max_witnesses: max, preferred_actions: &names };
    let core_ok = |w: &Witness| harness::confirms(w, q.granting(), q.denying(), t);
    let solved = query.solve(&opts, core_ok)?;
    if solved.witnesses.is_empty() {
        return Ok(if solved.rejected.is_empty() { Answer::Pass } else { Answer::Unconfirmed(solved.rejected) });
    }
    // Each witness again as a request a case file can make: a real action, a resource of a type
    // it acts on, only the keys it carries (decision D54), confirmed through the case reader.
    let keys = query.context_keys();
    let mut found: Vec<Found> = Vec::new();
    // Spread the counterexamples over the witnesses' classes, and within a class over services.
    let per_witness = max.div_ceil(solved.witnesses.len());
    for w in &solved.witnesses {
        cancelled(cancel)?;
        let service = w.action.split(':').next().unwrap_or("").to_ascii_lowercase();
        let same_service =
            names.iter().filter(|n| n.split(':').next().is_some_and(|s| s.eq_ignore_ascii_case(&service)));
        let stride = names.len() / 64 + 1;
        let elsewhere = names.iter().step_by(stride);
        let candidates = same_service.chain(elsewhere).filter(|n| query.same_action_class(n, &w.action)).take(32);
        let mut here = 0;
        let mut services_used: Vec<String> = Vec::new();
        for name in candidates {
            cancelled(cancel)?;
            if here >= per_witness || found.len() >= max {
                break;
            }
            let svc = name.split(':').next().unwrap_or("").to_string();
            if found.iter().any(|f| f.witness.action.eq_ignore_ascii_case(name)) || services_used.contains(&svc) {
                continue;
            }
            let account = query.resource_account().unwrap_or(harness::ACCOUNT);
            let Some(shape) = shape(name, &keys, account) else { continue };
            let restricted = query.restricted(&shape)?;
            let one = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
            let mut case = None;
            // The answer is FAIL already (the witness is confirmed): a restricted search that
            // cannot decide only gives no case for this action.
            let r = restricted.solve(&one, |w2| {
                let mut w2 = w2.clone();
                w2.action = name.clone();
                if !harness::confirms(&w2, q.granting(), q.denying(), t) {
                    return false;
                }
                case = case_confirmed(q, &w2, t);
                case.is_some()
            });
            let Ok(r) = r else { continue };
            if let (Some(mut w2), Some(case)) = (r.witnesses.into_iter().next(), case) {
                w2.action = name.clone();
                found.push(Found { witness: w2, case, catalogued: true });
                services_used.push(svc);
                here += 1;
            }
        }
    }
    if found.is_empty() {
        // No request AWS's catalogue allows shows the difference: the engine still confirms these.
        for w in solved.witnesses {
            let case = case_json(q, &w, t, q.granting(), "allowed");
            found.push(Found { witness: w, case, catalogued: false });
        }
    }
    Ok(Answer::Fail(found))
}

/// The request shape AWS's catalogue gives `action` (as `iamspect_case::check::catalog` reads it).
pub fn shape(action: &str, keys: &[String], account: &str) -> Option<Shape> {
    use iamspect_catalog::ConditionKeyType as T;
    let catalog = iamspect_catalog::Catalog::get();
    let a = catalog.action(action)?;
    let mut formats: Vec<String> =
        a.resource_types().flat_map(|t| t.resource_type().arn_formats().iter().map(|f| f.to_string())).collect();
    formats.sort();
    formats.dedup();
    let mut shape = Shape {
        action: action.to_string(),
        resource_formats: (!formats.is_empty()).then_some(formats),
        partition: "aws".to_string(),
        account: account.to_string(),
        ..Shape::default()
    };
    for key in keys {
        let entry = catalog.condition_key(key);
        if let Some((prefix, _)) = key.split_once(':')
            && !prefix.eq_ignore_ascii_case("aws")
            && catalog.service(prefix).is_some()
        {
            let carried = entry.is_some_and(|k| {
                k.is_global()
                    || a.supports_condition_key(k)
                    || a.resource_types().any(|t| t.resource_type().condition_keys().any(|r| r.name() == k.name()))
            });
            if !carried {
                shape.absent_keys.push(key.clone());
                continue;
            }
        }
        if let Some(k) = entry {
            let ty = k.value_type();
            let typed = matches!(ty.element(), T::Numeric | T::Bool | T::Date | T::IpAddress | T::Binary);
            if typed && !(ty.is_multivalued() || ty == T::Unknown) {
                shape.single_keys.push(key.clone());
            }
            if ty.element() == T::Arn {
                shape.arn_keys.push(key.clone());
            }
        }
    }
    Some(shape)
}

/// The case of a witness, with `policy` in its place, if the case reader takes it and decides it
/// as the question says (allowed under the granting policy, not under the other).
fn case_confirmed(q: &Question, w: &Witness, t: PolicyType) -> Option<Value> {
    let decide = |policy: &Arc<Policy>| -> Option<Decision> {
        let case = case_json(q, w, t, policy, "allowed");
        let mut compiler = Compiler::new();
        let built = iamspect_case::case_from_str(0, &case.to_string(), Path::new("."), &mut compiler).ok()?;
        match iamspect_case::run(&built).0 {
            Actual::Decision(o) => Some(o.decision),
            Actual::Error(_) => None,
        }
    };
    if decide(q.granting())? != Decision::Allowed {
        return None;
    }
    if let Some(other) = q.denying()
        && decide(other)? == Decision::Allowed
    {
        return None;
    }
    Some(case_json(q, w, t, q.granting(), "allowed"))
}

fn policy_value(p: &Policy) -> Value {
    serde_json::from_str(p.source()).unwrap_or(Value::Null)
}

/// A complete case in the case-file format (`shared/spec/case-format.md`).
fn case_json(q: &Question, w: &Witness, t: PolicyType, policy: &Arc<Policy>, expect: &str) -> Value {
    let mut case = Map::new();
    let description = match q {
        Question::NoNewAccess { new, existing } => format!(
            "new access: {} allows this request, {} does not (read as {})",
            new.name(),
            existing.name(),
            t.description()
        ),
        Question::NotGranted { policy, .. } => {
            format!("{} allows a listed action (read as {})", policy.name(), t.description())
        }
        Question::Public { policy, .. } => {
            format!("{} allows a caller outside the resource's account", policy.name())
        }
    };
    case.insert("description".into(), json!(description));
    case.insert("principal".into(), json!(w.principal.as_deref().unwrap_or(harness::PRINCIPAL)));
    case.insert("action".into(), json!(w.action));
    case.insert("resource".into(), json!(w.resource));
    let account = w.resource_account.as_deref().unwrap_or(harness::ACCOUNT);
    if iamspect_core::Arn::parse(&w.resource).is_none_or(|a| a.account != account) {
        case.insert("resourceAccount".into(), json!(account));
    }
    if !w.context.is_empty() {
        let ctx: Map<String, Value> =
            w.context.iter().map(|(k, vs)| (k.clone(), if vs.len() == 1 { json!(vs[0]) } else { json!(vs) })).collect();
        case.insert("context".into(), Value::Object(ctx));
    }
    let mut identity: Vec<Value> = Vec::new();
    for (slot, text) in harness::helpers(w, t) {
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        match slot {
            "identity" => identity.push(v),
            _ => {
                case.insert("resourcePolicy".into(), v);
            }
        }
    }
    let p = policy_value(policy);
    match t {
        PolicyType::Identity => identity.push(p),
        PolicyType::PermissionsBoundary => {
            case.insert("permissionsBoundary".into(), p);
        }
        PolicyType::Session => {
            case.insert("sessionPolicies".into(), json!([p]));
        }
        PolicyType::Scp => {
            case.insert("scps".into(), json!([[p]]));
        }
        PolicyType::Resource | PolicyType::Trust => {
            case.insert("resourcePolicy".into(), p);
        }
        PolicyType::Rcp => {
            case.insert("rcps".into(), json!([[p]]));
        }
        PolicyType::VpcEndpoint => {
            case.insert("vpcEndpointPolicy".into(), p);
        }
    }
    if !identity.is_empty() {
        case.insert("identityPolicies".into(), Value::Array(identity));
    }
    case.insert("expect".into(), json!({ "decision": expect }));
    Value::Object(case)
}

/// The statements of the granting policy that allow the witness; for a policy that grants by not
/// denying (an RCP), the existing policy's statements that deny it, marked `true`.
fn reasons(q: &Question, w: &Witness, t: PolicyType) -> Vec<(usize, Option<String>, bool)> {
    let applied = |policy: &Arc<Policy>, effect: Effect| -> Vec<(usize, Option<String>)> {
        let (Ok(req), Ok(p)) = (harness::request(w), harness::policies(w, policy, t)) else {
            return Vec::new();
        };
        let trace = authorize_traced(&req, &p).trace;
        trace
            .applied(effect)
            .filter(|(_, p, _)| p.policy.name() == policy.name())
            .map(|(_, _, s)| (s.index, s.sid.clone()))
            .collect()
    };
    let allows = applied(q.granting(), Effect::Allow);
    if !allows.is_empty() {
        return allows.into_iter().map(|(i, s)| (i, s, false)).collect();
    }
    match q.denying() {
        Some(existing) => applied(existing, Effect::Deny).into_iter().map(|(i, s)| (i, s, true)).collect(),
        None => Vec::new(),
    }
}

/// The answer as Access Analyzer's JSON (plus counterexamples) and as text lines.
pub fn report(q: &Question, t: PolicyType, outcome: &Result<Answer, Unknown>) -> Report {
    let result = match outcome {
        Ok(Answer::Pass) => "PASS",
        Ok(Answer::Fail(_)) => "FAIL",
        _ => "UNKNOWN",
    };
    let message = match (q, outcome) {
        (Question::NoNewAccess { .. }, Ok(Answer::Pass)) => {
            "The new policy grants no access that the existing policy does not.".to_string()
        }
        (Question::NoNewAccess { .. }, Ok(Answer::Fail(_))) => {
            "The new policy grants access that the existing policy does not.".to_string()
        }
        (Question::NotGranted { .. }, Ok(Answer::Pass)) => {
            "The policy grants none of the listed actions on the listed resources.".to_string()
        }
        (Question::NotGranted { .. }, Ok(Answer::Fail(_))) => {
            "The policy grants at least one of the listed actions on the listed resources.".to_string()
        }
        (Question::Public { .. }, Ok(Answer::Pass)) => {
            "The policy allows no caller outside the resource's account (anonymous callers included).".to_string()
        }
        (Question::Public { .. }, Ok(Answer::Fail(_))) => {
            "The policy allows callers outside the resource's account.".to_string()
        }
        (_, Ok(Answer::Unconfirmed(ws))) => format!(
            "Not decided: the symbolic core found {} request(s) that the engine did not confirm, which is a bug in iamspect; please report it.",
            ws.len()
        ),
        (_, Err(u)) => format!("Not decided exactly: {u}."),
    };
    let mut reasons_out: Vec<Value> = Vec::new();
    let mut counterexamples: Vec<Value> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    if let Ok(Answer::Fail(found)) = outcome {
        let mut seen: Vec<(usize, bool)> = Vec::new();
        for f in found {
            for (index, sid, denied) in reasons(q, &f.witness, t) {
                if seen.contains(&(index, denied)) {
                    continue;
                }
                seen.push((index, denied));
                let sid_text = sid.as_deref().map(|s| format!(" (`{s}`)")).unwrap_or_default();
                let description = match (q, denied) {
                    (Question::NoNewAccess { new, existing }, true) => format!(
                        "Statement {index}{sid_text} of {} denies `{}` on `{}`, which {} does not deny",
                        existing.name(),
                        f.witness.action,
                        f.witness.resource,
                        new.name()
                    ),
                    _ => format!(
                        "Statement {index}{sid_text} of {} allows `{}` on `{}`{}",
                        q.granting().name(),
                        f.witness.action,
                        f.witness.resource,
                        match q {
                            Question::NoNewAccess { existing, .. } => {
                                format!(", which {} does not allow", existing.name())
                            }
                            Question::NotGranted { .. } => String::new(),
                            Question::Public { .. } => format!(
                                " to {}",
                                f.witness.principal.as_deref().unwrap_or("a caller outside the account")
                            ),
                        }
                    ),
                };
                lines.push(format!("  reason: {description}"));
                reasons_out.push(json!({"description": description, "statementIndex": index, "statementId": sid}));
            }
            let ctx =
                f.witness.context.iter().map(|(k, vs)| format!("{k}={}", vs.join("|"))).collect::<Vec<_>>().join(" ");
            lines.push(format!(
                "  counterexample: {}{} on {}{}",
                f.witness.principal.as_deref().map(|p| format!("{p}: ")).unwrap_or_default(),
                f.witness.action,
                f.witness.resource,
                if ctx.is_empty() { String::new() } else { format!(" with {ctx}") }
            ));
            counterexamples.push(f.case.clone());
        }
    }
    let mut out = json!({
        "result": result,
        "message": message,
        "reasons": reasons_out,
        "counterexamples": counterexamples,
    });
    if let (Ok(Answer::Fail(found)), Some(obj)) = (outcome, out.as_object_mut()) {
        // False when no request AWS's catalogue knows shows the difference (D68): the
        // engine allows these requests, and `iamspect eval` refuses them as unknown to AWS.
        obj.insert("counterexamplesCatalogued".into(), json!(found.iter().all(|f| f.catalogued)));
    }
    if let (Err(u), Some(obj)) = (outcome, out.as_object_mut()) {
        obj.insert("unknown".into(), unknown_json(u));
    }
    let mut text = vec![format!("{result}: {message}")];
    if let Ok(Answer::Fail(found)) = outcome
        && found.iter().any(|f| !f.catalogued)
    {
        text.push(
            "  note: no request AWS's catalogue knows shows the difference; these requests use actions or resources outside it (the engine allows them, `iamspect eval` refuses them)".to_string(),
        );
    }
    text.extend(lines);
    Report { result, json: out, lines: text }
}

/// What could not be decided, as JSON: the construct, its policy and statement.
pub fn unknown_json(u: &Unknown) -> Value {
    json!({
        "construct": u.construct,
        "policy": u.statement.as_ref().map(|s| s.0.clone()),
        "statementIndex": u.statement.as_ref().map(|s| s.1),
        "statementId": u.statement.as_ref().and_then(|s| s.2.clone()),
    })
}
