//! The JSON shapes iamspect prints: the trace (`iamspect eval --format json`) and AWS's
//! `SimulatePrincipalPolicy` `EvaluationResult` with the trace under its own key
//! (`iamspect explain --format json`). This module is the schema; see `docs/output-format.md`.

use iamspect_core::{
    Decision, Effect, Layer, LayerVerdict, Policy, PolicyType, PrincipalKind, Request, Response, StatementOutcome,
    StatementTrace,
};
use serde_json::{Value, json};

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
    let layers: Vec<Value> = res
        .trace
        .layers
        .iter()
        .map(|layer| {
            let policies: Vec<Value> = layer
                .policies
                .iter()
                .map(|p| {
                    let statements: Vec<Value> = p
                        .statements
                        .iter()
                        .map(|s| {
                            let start = p.policy.position(s.span.start);
                            let end = p.policy.position(s.span.end);
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
                                "start": {"line": start.line, "column": start.column},
                                "end": {"line": end.line, "column": end.column},
                                "parts": parts(&p.policy, s),
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
                            v
                        })
                        .collect();
                    json!({"name": p.policy.name(), "statements": statements})
                })
                .collect();
            json!({"layer": layer.layer.name(), "verdict": verdict_name(layer.verdict), "policies": policies})
        })
        .collect();
    json!({
        "principal": req.principal().arn(),
        "action": req.action(),
        "resource": req.resource(),
        "decision": res.outcome.decision.as_str(),
        "deniedBy": res.outcome.denied_by.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "layers": layers,
        "missingContextKeys": res.trace.missing_context_keys,
    })
}

/// The elements of a traced statement in the order the engine checks them (`Action`,
/// `Resource`, `Principal`, then each condition), each with its position and what it did:
/// `matched` (it did not stop the statement), `failed` (it stopped it), `unreadable` (a condition
/// whose request value the operator cannot read, decision D8) or `unchecked` (an earlier element
/// stopped the statement first).
pub fn parts(policy: &Policy, trace: &StatementTrace) -> Value {
    let Some(stmt) = policy.statements().iter().find(|s| s.index() == trace.index) else {
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
    let at = |span: iamspect_core::Span| {
        let (start, end) = (policy.position(span.start), policy.position(span.end));
        (json!({"line": start.line, "column": start.column}), json!({"line": end.line, "column": end.column}))
    };
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
    let decision = res.outcome.decision;
    // AWS lists the deny statements for a denial and the allow statements otherwise, and never
    // SCP statements.
    let want = if decision == Decision::Allowed { Effect::Allow } else { Effect::Deny };
    let matched: Vec<Value> = res
        .trace
        .applied(want)
        .filter(|(l, _, _)| !matches!(l.layer, Layer::Scp(_) | Layer::Rcp(_)))
        .map(|(l, p, s)| {
            let start = p.policy.position(s.span.start);
            let end = p.policy.position(s.span.end);
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
    iamspect.insert("trace".into(), trace(req, res));
    result.insert("iamspect".into(), Value::Object(iamspect));
    json!({"EvaluationResults": [Value::Object(result)], "IsTruncated": false})
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
    let list: Vec<Value> = res
        .trace
        .applied(effect)
        .filter(|(l, _, _)| !grant_only || matches!(l.layer, Layer::Identity | Layer::Resource))
        .map(|(l, p, s)| {
            let start = p.policy.position(s.span.start);
            let end = p.policy.position(s.span.end);
            json!({
                "layer": l.layer.name(),
                "policyType": layer_policy_type(l.layer),
                "policy": p.policy.name(),
                "statement": s.index,
                "sid": s.sid,
                "effect": effect_name(s.effect),
                "start": {"line": start.line, "column": start.column},
                "end": {"line": end.line, "column": end.column},
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
