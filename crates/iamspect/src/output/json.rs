//! The machine-readable trace.

use iamspect_core::{Effect, Request, Response};
use serde_json::{Value, json};

use super::{outcome_name, verdict_name};

pub(crate) fn response(req: &Request, res: &Response) -> Value {
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
                            json!({
                                "index": s.index,
                                "sid": s.sid,
                                "effect": if s.effect == Effect::Allow { "Allow" } else { "Deny" },
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
                            })
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
