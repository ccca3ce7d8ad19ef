//! The JSON shapes iamspect prints: the trace (`iamspect eval --format json`) and AWS's
//! `SimulatePrincipalPolicy` `EvaluationResult` with the trace under its own key
//! (`iamspect explain --format json`). This module is the schema; see `docs/output-format.md`.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use iamspect_core::{
    Decision, Effect, Layer, LayerVerdict, LineColumn, LineIndex, Policy, PolicyType, PrincipalKind, Request, Response,
    Statement, StatementOutcome, StatementTrace,
};
use serde_json::{Value, json};

use crate::Cancelled;

/// Lines and columns in one policy's text, read once: asking [`Policy::position`] for every
/// statement of a large policy would read the text again each time.
pub struct PolicyPositions<'p> {
    lines: LineIndex<'p>,
    origin: LineColumn,
}

impl<'p> PolicyPositions<'p> {
    /// Reads `policy`'s text once.
    pub fn new(policy: &'p Policy) -> PolicyPositions<'p> {
        PolicyPositions { lines: LineIndex::new(policy.source()), origin: policy.position(0) }
    }

    /// What [`Policy::position`] gives for `offset`.
    pub fn position(&self, offset: usize) -> LineColumn {
        self.lines.line_column(offset).shifted(self.origin)
    }

    /// `{"line", "column"}` of `offset`.
    fn json(&self, offset: usize) -> Value {
        let at = self.position(offset);
        json!({"line": at.line, "column": at.column})
    }
}

/// One [`PolicyPositions`] per policy of a response, made on first use.
#[derive(Default)]
struct Positions<'p> {
    by_policy: HashMap<*const Policy, PolicyPositions<'p>>,
}

impl<'p> Positions<'p> {
    fn of(&mut self, policy: &'p Policy) -> &PolicyPositions<'p> {
        self.by_policy.entry(std::ptr::from_ref(policy)).or_insert_with(|| PolicyPositions::new(policy))
    }
}

/// The statement of `policy` with this index (statements are kept in index order).
pub fn statement(policy: &Policy, index: usize) -> Option<&Statement> {
    let statements = policy.statements();
    match statements.get(index) {
        Some(s) if s.index() == index => Some(s),
        _ => statements.binary_search_by_key(&index, Statement::index).ok().and_then(|i| statements.get(i)),
    }
}

/// A layer verdict's name.
pub fn verdict_name(v: LayerVerdict) -> &'static str {
    match v {
        LayerVerdict::Denies => "denies",
        LayerVerdict::Allows => "allows",
        LayerVerdict::NoAllow => "no allow",
        LayerVerdict::NotApplicable => "not applicable",
    }
}

/// A statement outcome's name.
pub fn outcome_name(o: StatementOutcome) -> &'static str {
    match o {
        StatementOutcome::Matched(_) => "matched",
        StatementOutcome::ActionNotMatched => "actionNotMatched",
        StatementOutcome::ResourceNotMatched => "resourceNotMatched",
        StatementOutcome::PrincipalNotMatched => "principalNotMatched",
        StatementOutcome::ConditionFailed(_) => "conditionFailed",
        StatementOutcome::ConditionTypeError(_) => "conditionTypeError",
    }
}

/// Why a `NotPrincipal` deny applies to the caller (decision D57), in a sentence.
pub fn not_principal_explanation(d: &iamspect_core::NotPrincipalDetail) -> String {
    if d.boundary {
        return "the caller has a permissions boundary, and AWS applies a NotPrincipal Deny to such a caller whatever NotPrincipal lists; write the exception as `\"Principal\": \"*\"` with a condition on `aws:PrincipalArn` instead".to_string();
    }
    let missing = d.missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
    if d.caller_listed {
        format!(
            "NotPrincipal lists the caller but not {missing}: AWS may check the account first (then the role), finds it unlisted, and so the statement applies; add {missing} to NotPrincipal to exempt the caller"
        )
    } else {
        format!("NotPrincipal does not list {missing}, so the statement applies to the caller")
    }
}

/// One line saying what a statement did.
pub fn describe(s: &StatementTrace) -> String {
    match (s.outcome, &s.condition) {
        (StatementOutcome::Matched(_), _) => match &s.not_principal {
            Some(d) => format!("matches: {}", not_principal_explanation(d)),
            None => "matches".to_string(),
        },
        (StatementOutcome::ActionNotMatched, _) => "action does not match".to_string(),
        (StatementOutcome::ResourceNotMatched, _) => "resource does not match".to_string(),
        (StatementOutcome::PrincipalNotMatched, _) => "principal does not match".to_string(),
        (StatementOutcome::ConditionFailed(_) | StatementOutcome::ConditionTypeError(_), Some(c)) => {
            let request = match &c.request_values {
                Some(vs) => format!("request has {}", list(vs)),
                None => "request does not have the key".to_string(),
            };
            let what = if matches!(s.outcome, StatementOutcome::ConditionTypeError(_)) {
                "cannot read the request value for"
            } else {
                "condition is false:"
            };
            format!("{what} {} {} {}; {request}", c.operator, c.key, list(&c.policy_values))
        }
        _ => "condition is false".to_string(),
    }
}

fn list(vs: &[String]) -> String {
    match vs {
        [one] => format!("{one:?}"),
        _ => format!("[{}]", vs.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")),
    }
}

fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}

/// The trace as JSON.
pub fn trace(req: &Request, res: &Response) -> Value {
    trace_cancellable(req, res, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`trace`], given up when `cancel` is set (checked at every statement).
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn trace_cancellable(req: &Request, res: &Response, cancel: &AtomicBool) -> Result<Value, Cancelled> {
    let mut positions = Positions::default();
    let mut layers = Vec::with_capacity(res.trace.layers.len());
    for layer in &res.trace.layers {
        let mut policies = Vec::with_capacity(layer.policies.len());
        for p in &layer.policies {
            let at = positions.of(&p.policy);
            let mut statements = Vec::with_capacity(p.statements.len());
            for s in &p.statements {
                crate::check(cancel)?;
                let mut v = json!({
                    "index": s.index,
                    "sid": s.sid,
                    "effect": effect_name(s.effect),
                    "outcome": outcome_name(s.outcome),
                    "applied": s.applied,
                    "condition": s.condition.as_ref().map(|c| json!({
                        "operator": c.operator.to_string(),
                        "key": c.key,
                        "policyValues": c.policy_values,
                        "requestValues": c.request_values,
                    })),
                    "start": at.json(s.span.start),
                    "end": at.json(s.span.end),
                    "parts": parts_at(&p.policy, at, s),
                });
                // Decision D57: only for a NotPrincipal deny that applies.
                if let (Some(d), Some(obj)) = (&s.not_principal, v.as_object_mut()) {
                    obj.insert(
                        "notPrincipal".to_string(),
                        json!({
                            "callerListed": d.caller_listed,
                            "missing": d.missing,
                            "permissionsBoundary": d.boundary,
                            "explanation": not_principal_explanation(d),
                        }),
                    );
                }
                statements.push(v);
            }
            policies.push(json!({"name": p.policy.name(), "statements": statements}));
        }
        layers.push(json!({"layer": layer.layer.name(), "verdict": verdict_name(layer.verdict), "policies": policies}));
    }
    Ok(json!({
        "principal": req.principal().arn(),
        "action": req.action(),
        "resource": req.resource(),
        "decision": res.outcome.decision.as_str(),
        "deniedBy": res.outcome.denied_by.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "layers": layers,
        "missingContextKeys": res.trace.missing_context_keys,
    }))
}

/// The elements of a traced statement in the order the engine checks them (`Action`,
/// `Resource`, `Principal`, then each condition), each with its position and what it did:
/// `matched` (it did not stop the statement), `failed` (it stopped it), `unreadable` (a condition
/// whose request value the operator cannot read, decision D8) or `unchecked` (an earlier element
/// stopped the statement first).
pub fn parts(policy: &Policy, trace: &StatementTrace) -> Value {
    parts_at(policy, &PolicyPositions::new(policy), trace)
}

/// [`parts`], with the policy's positions read already.
fn parts_at(policy: &Policy, positions: &PolicyPositions<'_>, trace: &StatementTrace) -> Value {
    let Some(stmt) = statement(policy, trace.index) else {
        return json!([]);
    };
    // How far evaluation got: elements before `stop` matched, `stop` failed, after it unchecked.
    let (stop, unreadable) = match trace.outcome {
        StatementOutcome::ActionNotMatched => (0, None),
        StatementOutcome::ResourceNotMatched => (1, None),
        StatementOutcome::PrincipalNotMatched => (2, None),
        StatementOutcome::ConditionFailed(i) => (3 + i, None),
        StatementOutcome::ConditionTypeError(i) => (usize::MAX, Some(i)),
        StatementOutcome::Matched(_) => (usize::MAX, None),
    };
    let status = |step: usize| match step.cmp(&stop) {
        std::cmp::Ordering::Less => "matched",
        std::cmp::Ordering::Equal => "failed",
        std::cmp::Ordering::Greater => "unchecked",
    };
    let at = |span: iamspect_core::Span| (positions.json(span.start), positions.json(span.end));
    let mut out = Vec::new();
    let (not, span, _) = stmt.action_entries();
    let (start, end) = at(span);
    out.push(
        json!({"element": if not { "NotAction" } else { "Action" }, "status": status(0), "start": start, "end": end}),
    );
    if let Some((not, span, _)) = stmt.resource_entries() {
        let (start, end) = at(span);
        out.push(json!({"element": if not { "NotResource" } else { "Resource" }, "status": status(1), "start": start, "end": end}));
    }
    if let Some((not, span)) = stmt.principal_element() {
        let (start, end) = at(span);
        out.push(json!({"element": if not { "NotPrincipal" } else { "Principal" }, "status": status(2), "start": start, "end": end}));
    }
    for (i, c) in stmt.conditions().iter().enumerate() {
        let (start, end) = at(c.spans().2);
        let st = if unreadable == Some(i) { "unreadable" } else { status(3 + i) };
        out.push(json!({
            "element": "Condition",
            "operator": c.operator().to_string(),
            "key": c.key(),
            "status": st,
            "start": start,
            "end": end,
        }));
    }
    json!(out)
}

/// AWS's `SourcePolicyType` for a statement's policy; types AWS's enum lacks are `none` (the
/// trace under `iamspect` says which they are).
fn source_policy_type(req: &Request, layer: Layer, name: &str) -> &'static str {
    match layer {
        Layer::Identity if name.starts_with("arn:aws:iam::aws:policy/") => "aws-managed",
        Layer::Identity if name.contains(":policy/") => "user-managed",
        Layer::Identity => match req.principal().kind {
            PrincipalKind::RoleSession { .. } => "role",
            _ => "user",
        },
        Layer::Resource => "resource",
        _ => "none",
    }
}

fn layer_decision(res: &Response, layer: Layer) -> Option<&'static str> {
    let l = res.trace.layers.iter().find(|l| l.layer == layer)?;
    Some(match l.verdict {
        LayerVerdict::Allows => Decision::Allowed.as_str(),
        LayerVerdict::Denies => Decision::ExplicitDeny.as_str(),
        LayerVerdict::NoAllow => Decision::ImplicitDeny.as_str(),
        LayerVerdict::NotApplicable => return None,
    })
}

/// `SimulatePrincipalPolicy`'s response for one request, with iamspect's trace and extras under
/// `iamspect`.
pub fn evaluation_result(req: &Request, res: &Response, extra: Value) -> Value {
    evaluation_result_cancellable(req, res, extra, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`evaluation_result`], given up when `cancel` is set (checked at every statement of the
/// trace).
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn evaluation_result_cancellable(
    req: &Request,
    res: &Response,
    extra: Value,
    cancel: &AtomicBool,
) -> Result<Value, Cancelled> {
    let decision = res.outcome.decision;
    // AWS lists the deny statements for a denial and the allow statements otherwise, and never
    // SCP statements.
    let want = if decision == Decision::Allowed { Effect::Allow } else { Effect::Deny };
    let mut positions = Positions::default();
    let matched: Vec<Value> = res
        .trace
        .applied(want)
        .filter(|(l, _, _)| !matches!(l.layer, Layer::Scp(_) | Layer::Rcp(_)))
        .map(|(l, p, s)| {
            let at = positions.of(&p.policy);
            let (start, end) = (at.position(s.span.start), at.position(s.span.end));
            json!({
                "SourcePolicyId": p.policy.name(),
                "SourcePolicyType": source_policy_type(req, l.layer, p.policy.name()),
                "StartPosition": {"Line": start.line, "Column": start.column},
                "EndPosition": {"Line": end.line, "Column": end.column},
            })
        })
        .collect();
    let mut result = serde_json::Map::new();
    result.insert("EvalActionName".into(), json!(req.action()));
    result.insert("EvalResourceName".into(), json!(req.resource()));
    result.insert("EvalDecision".into(), json!(decision.as_str()));
    result.insert("MatchedStatements".into(), json!(matched));
    result.insert("MissingContextValues".into(), json!(res.trace.missing_context_keys));
    let scp_layers: Vec<_> = res.trace.layers.iter().filter(|l| matches!(l.layer, Layer::Scp(_))).collect();
    if !scp_layers.is_empty() {
        let allowed =
            scp_layers.iter().all(|l| matches!(l.verdict, LayerVerdict::Allows | LayerVerdict::NotApplicable));
        result.insert("OrganizationsDecisionDetail".into(), json!({"AllowedByOrganizations": allowed}));
    }
    if let Some(pb) = res
        .trace
        .layers
        .iter()
        .find(|l| l.layer == Layer::PermissionsBoundary && l.verdict != LayerVerdict::NotApplicable)
    {
        result.insert(
            "PermissionsBoundaryDecisionDetail".into(),
            json!({"AllowedByPermissionsBoundary": pb.verdict == LayerVerdict::Allows}),
        );
    }
    // AWS: per-policy-type decisions for cross-account requests; an empty map for a same-account
    // request with a resource ARN; absent for `*`.
    if !req.is_same_account() {
        let mut details = serde_json::Map::new();
        for (layer, key) in [
            (Layer::Identity, "IAM Policy"),
            (Layer::Resource, "Resource Policy"),
            (Layer::PermissionsBoundary, "Permissions Boundary Policy"),
        ] {
            if let Some(d) = layer_decision(res, layer) {
                details.insert(key.into(), json!(d));
            }
        }
        result.insert("EvalDecisionDetails".into(), Value::Object(details));
    } else if req.resource() != "*" {
        result.insert("EvalDecisionDetails".into(), json!({}));
    }
    let mut iamspect = match extra {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    iamspect.insert("deniedBy".into(), json!(res.outcome.denied_by.iter().map(|d| d.as_str()).collect::<Vec<_>>()));
    iamspect.insert("decidingStatements".into(), deciding_statements(res));
    iamspect.insert("trace".into(), trace_cancellable(req, res, cancel)?);
    result.insert("iamspect".into(), Value::Object(iamspect));
    Ok(json!({"EvaluationResults": [Value::Object(result)], "IsTruncated": false}))
}

/// The statements that decided: for an explicit deny every `Deny` that applied, in every layer
/// (SCPs and RCPs included, which `MatchedStatements` leaves out as AWS does); for an allowed
/// request the `Allow` statements of the identity and resource layers that grant it; none for an
/// implicit deny.
pub fn deciding_statements(res: &Response) -> Value {
    let (effect, grant_only) = match res.outcome.decision {
        Decision::ExplicitDeny => (Effect::Deny, false),
        Decision::Allowed => (Effect::Allow, true),
        Decision::ImplicitDeny => return json!([]),
    };
    let mut positions = Positions::default();
    let list: Vec<Value> = res
        .trace
        .applied(effect)
        .filter(|(l, _, _)| !grant_only || matches!(l.layer, Layer::Identity | Layer::Resource))
        .map(|(l, p, s)| {
            let at = positions.of(&p.policy);
            json!({
                "layer": l.layer.name(),
                "policyType": layer_policy_type(l.layer),
                "policy": p.policy.name(),
                "statement": s.index,
                "sid": s.sid,
                "effect": effect_name(s.effect),
                "start": at.json(s.span.start),
                "end": at.json(s.span.end),
            })
        })
        .collect();
    json!(list)
}

/// The case-format name of a layer's policy type.
fn layer_policy_type(layer: Layer) -> &'static str {
    match layer {
        Layer::Rcp(_) => "rcp",
        Layer::Scp(_) => "scp",
        Layer::VpcEndpoint => "vpcEndpoint",
        Layer::Resource => "resource",
        Layer::Identity => "identity",
        Layer::PermissionsBoundary => "permissionsBoundary",
        Layer::Session => "session",
    }
}

/// The policy type of a layer, in words.
pub fn layer_words(layer: Layer) -> String {
    match layer {
        Layer::Rcp(l) => format!("resource control policies, level {l}"),
        Layer::Scp(l) => format!("service control policies, level {l}"),
        Layer::VpcEndpoint => PolicyType::VpcEndpoint.description().to_string(),
        Layer::Resource => PolicyType::Resource.description().to_string(),
        Layer::Identity => "identity-based policies".to_string(),
        Layer::PermissionsBoundary => PolicyType::PermissionsBoundary.description().to_string(),
        Layer::Session => "session policies".to_string(),
    }
}
