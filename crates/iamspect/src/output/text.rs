//! The human trace.

use iamspect_core::{Decision, Effect, Request, Response};

use iamspect_explain::wire::{describe, verdict_name};

pub(crate) fn response(req: &Request, res: &Response) -> String {
    let mut out = String::new();
    let decision = res.outcome.decision;
    out.push_str(&format!(
        "{} {} {} on {}\n",
        req.principal().arn(),
        if decision == Decision::Allowed { "may perform" } else { "may not perform" },
        req.action(),
        req.resource()
    ));
    out.push_str(&format!("decision: {}\n", decision.as_str()));
    let by: Vec<_> = res.outcome.denied_by.iter().map(|d| d.as_str()).collect();
    if !by.is_empty() {
        out.push_str(&format!("denied by: {}\n", by.join(", ")));
    }
    out.push_str("layers:\n");
    for layer in &res.trace.layers {
        out.push_str(&format!("  {:<22} {}\n", layer.layer.name(), verdict_name(layer.verdict)));
        for p in &layer.policies {
            for s in &p.statements {
                let at = p.policy.position(s.span.start);
                let effect = if s.effect == Effect::Allow { "Allow" } else { "Deny" };
                let sid = s.sid.as_deref().map(|s| format!(" {s:?}")).unwrap_or_default();
                out.push_str(&format!(
                    "    {} statement {}{sid} ({effect}, line {}, column {}): {}\n",
                    p.policy.name(),
                    s.index,
                    at.line,
                    at.column,
                    describe(s)
                ));
            }
        }
    }
    if !res.trace.missing_context_keys.is_empty() {
        out.push_str(&format!("missing context keys: {}\n", res.trace.missing_context_keys.join(", ")));
    }
    out
}
