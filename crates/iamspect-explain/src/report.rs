//! Everything `explain` says about one request, shared by the command line and the HTTP service.

use std::sync::atomic::AtomicBool;

use iamspect_core::{Policies, Request};
use serde_json::{Value, json};

use crate::{Cancelled, counterfactual, fix, message};

/// Everything `explain` says about one request: the traced decision, AWS's message and error
/// code, counterfactuals, and the proved fix.
pub struct Report {
    /// The decision with its trace.
    pub response: iamspect_core::Response,
    /// The AccessDenied message AWS sends for a denial (`None` when allowed).
    pub message: Option<message::AccessDeniedMessage>,
    /// The error code AWS answers with.
    pub error_code: message::ErrorCode,
    /// What the decision would be without each statement that denies.
    pub without_denies: Vec<counterfactual::WithoutStatement>,
    /// Context changes that change the decision, each decided by the engine.
    pub context_changes: Vec<counterfactual::ContextChange>,
    /// Candidate context changes not tried (past [`counterfactual::MAX_CONTEXT_TRIALS`]).
    pub context_changes_untried: usize,
    /// The ranked fixes (`None` when the request is allowed).
    pub fixes: Option<fix::Fixes>,
    /// SCP and RCP levels that deny because they hold no Allow statement at all (decision D46).
    pub levels_without_allow: Vec<crate::levels::LevelWithoutAllow>,
    /// The policies the request was decided with.
    pub policies: Policies,
    /// Common causes named in a sentence (decision D83).
    pub causes: Vec<String>,
    /// AWS's own verdict, when the request came with one (a decoded authorization message).
    pub aws: Option<crate::evidence::AwsVerdict>,
}

impl Report {
    /// Decides the request with its trace and works out everything above.
    pub fn new(request: &Request, policies: &Policies) -> Report {
        let response = iamspect_core::authorize_traced(request, policies);
        let message = message::for_response(request, &response);
        let error_code = message::error_code(request.service());
        let without_denies = counterfactual::without_each_deny(request, policies, &response.trace);
        let never = AtomicBool::new(false);
        let changes =
            counterfactual::context_changes_cancellable(request, policies, &response.trace, &never).unwrap_or_default();
        let fixes = fix::suggest(request, policies);
        let levels_without_allow = levels_without_allow(&response, policies);
        let causes = crate::causes::common_causes(request, &response);
        Report {
            response,
            message,
            error_code,
            without_denies,
            context_changes: changes.changes,
            context_changes_untried: changes.untried,
            fixes,
            levels_without_allow,
            policies: policies.clone(),
            causes,
            aws: None,
        }
    }

    /// [`Report::new`], given up when `cancel` is set (checked between statements, so a large
    /// explanation stops soon after).
    ///
    /// # Errors
    /// [`Cancelled`] when `cancel` is set.
    pub fn new_cancellable(request: &Request, policies: &Policies, cancel: &AtomicBool) -> Result<Report, Cancelled> {
        let response = iamspect_core::authorize_traced(request, policies);
        crate::check(cancel)?;
        let message = message::for_response(request, &response);
        let error_code = message::error_code(request.service());
        let without_denies = counterfactual::without_each_deny_cancellable(request, policies, &response.trace, cancel)?;
        let changes = counterfactual::context_changes_cancellable(request, policies, &response.trace, cancel)?;
        let fixes = fix::suggest_cancellable(request, policies, cancel)?;
        let levels_without_allow = levels_without_allow(&response, policies);
        let causes = crate::causes::common_causes(request, &response);
        Ok(Report {
            response,
            message,
            error_code,
            without_denies,
            context_changes: changes.changes,
            context_changes_untried: changes.untried,
            fixes,
            levels_without_allow,
            policies: policies.clone(),
            causes,
            aws: None,
        })
    }

    /// The report weighed against AWS's own verdict (decision D82): fixes that stand against a
    /// deny AWS saw are left out.
    #[must_use]
    pub fn with_aws_verdict(mut self, verdict: crate::evidence::AwsVerdict) -> Report {
        if let Some(fixes) = &mut self.fixes {
            verdict.restrict(&self.response.outcome, fixes);
        } else if verdict.decision != Some(iamspect_core::Decision::Allowed) {
            let mut fixes = fix::Fixes::default();
            verdict.restrict(&self.response.outcome, &mut fixes);
            self.fixes = Some(fixes);
        }
        self.aws = Some(verdict);
        self
    }

    /// The JSON of `iamspect explain --format json`: AWS's `EvaluationResult` with iamspect's extras.
    pub fn to_json(&self, request: &Request) -> Value {
        self.to_json_cancellable(request, &AtomicBool::new(false)).unwrap_or_default()
    }

    /// [`Report::to_json`], given up when `cancel` is set (checked at every statement of the
    /// trace).
    ///
    /// # Errors
    /// [`Cancelled`] when `cancel` is set.
    pub fn to_json_cancellable(&self, request: &Request, cancel: &AtomicBool) -> Result<Value, Cancelled> {
        let extra = json!({
            "message": self.message.as_ref().map(|m| m.render()),
            "errorCode": self.message.as_ref().map(|_| json!({"code": self.error_code.code, "httpStatus": self.error_code.status})),
            "authentication": "assumed passed: iamspect evaluates signed requests",
            "withoutStatement": self.without_denies.iter().map(|w| json!({
                "layer": w.slot.layer.name(),
                "policy": w.policy,
                "statement": w.statement,
                "sid": w.sid,
                "decision": w.outcome.decision.as_str(),
            })).collect::<Vec<_>>(),
            "contextChanges": self.context_changes.iter().map(|c| json!({
                "key": c.key,
                "value": c.value,
                "decision": c.outcome.decision.as_str(),
            })).collect::<Vec<_>>(),
            "fixes": self.fixes.as_ref().map(|f| f.fixes.iter().map(fix_json).collect::<Vec<_>>()),
            "fixNotes": self.fixes.as_ref().map(|f| f.notes.clone()),
        });
        let mut extra = extra;
        if let (Some(rule), Some(obj)) = (self.response.trace.protected, extra.as_object_mut()) {
            obj.insert(
                "protected".to_string(),
                json!({"rule": rule.name(), "explanation": protected_explanation(request, rule)}),
            );
        }
        // Decision D135: the KMS grant that allows, named.
        let grant = self.response.trace.kms_grant.and_then(|i| self.policies.kms_grants.get(i).map(|g| (i, g)));
        if let (Some((i, g)), Some(obj)) = (grant, extra.as_object_mut()) {
            obj.insert(
                "kmsGrant".to_string(),
                json!({"index": i, "grantId": g.grant_id, "grantee": g.grantee_arn, "operations": g.operations, "explanation": g.describe(i)}),
            );
        }
        if let (Some(note), Some(obj)) = (missing_key_policy(request, &self.policies), extra.as_object_mut()) {
            obj.insert("missingKeyPolicy".to_string(), json!(note));
        }
        if let (false, Some(obj)) = (self.levels_without_allow.is_empty(), extra.as_object_mut()) {
            let levels: Vec<Value> = self
                .levels_without_allow
                .iter()
                .map(|l| {
                    json!({
                        "layer": l.layer.name(),
                        "policies": l.policies,
                        "defaultPolicy": l.default_policy,
                        "explanation": l.explanation(),
                    })
                })
                .collect();
            obj.insert("levelsWithoutAllow".to_string(), Value::Array(levels));
        }
        if let (false, Some(obj)) = (self.causes.is_empty(), extra.as_object_mut()) {
            obj.insert("causes".into(), json!(self.causes));
        }
        if let (Some(aws), Some(obj)) = (&self.aws, extra.as_object_mut()) {
            obj.insert("aws".into(), aws.to_json(&self.response.outcome));
        }
        if let (true, Some(obj)) = (self.context_changes_untried > 0, extra.as_object_mut()) {
            obj.insert("contextChangesUntried".into(), json!(self.context_changes_untried));
        }
        crate::wire::evaluation_result_cancellable(request, &self.response, extra, cancel)
    }
}

/// One fix in the JSON of `explain` (`iamspect.fixes`, docs/output-format.md).
pub fn fix_json(f: &fix::Fix) -> Value {
    let mut v = json!({
        "kind": f.kind.as_str(),
        "summary": f.summary,
        "proved": f.is_proved(),
        "proof": f.proof(),
        "decisionAfter": f.outcome.map(|o| o.decision.as_str()),
        "changes": f.changes().map(probe_json).collect::<Vec<_>>(),
        "unchanged": f.probes.iter().filter(|p| p.before == p.after).map(probe_json).collect::<Vec<_>>(),
        "notes": f.notes,
    });
    let Some(obj) = v.as_object_mut() else { return v };
    if !f.context.is_empty() {
        let context: serde_json::Map<String, Value> =
            f.context.iter().map(|c| (c.key.clone(), json!(c.value))).collect();
        obj.insert("context".into(), Value::Object(context));
    }
    if let Some(p) = &f.principal {
        obj.insert("principal".into(), json!(p));
    }
    if !f.edits.is_empty() {
        let edits: Vec<Value> = f
            .edits
            .iter()
            .map(|e| {
                json!({
                    "layer": e.slot.layer.name(),
                    "policy": e.policy,
                    "summary": e.summary,
                    "policyAfter": e.after,
                })
            })
            .collect();
        obj.insert("edits".into(), Value::Array(edits));
        obj.insert("patch".into(), json!(f.edits.iter().map(fix::Edit::diff).collect::<String>()));
    }
    if !f.weakens.is_empty() {
        obj.insert("weakens".into(), json!(f.weakens));
    }
    v
}

fn probe_json(p: &fix::Probe) -> Value {
    json!({"action": p.action, "resource": p.resource, "before": p.before.as_str(), "after": p.after.as_str()})
}

/// When a request on a KMS key is denied because no key policy was given (decision D52): what is
/// missing and how to get it.
pub fn missing_key_policy(request: &Request, policies: &Policies) -> Option<String> {
    if !iamspect_core::is_kms_key_request(request.action(), request.resource()) || policies.resource.is_some() {
        return None;
    }
    let outcome = iamspect_core::authorize(request, policies);
    if !outcome.denied_by.contains(iamspect_core::Denier::Resource) {
        return None;
    }
    Some(format!(
        "no key policy was given, and every KMS key has one that must allow the request (IAM policies alone never give access to a key): get it with `aws kms get-key-policy --key-id {} --policy-name default --query Policy --output text` and give it as the resource-based policy (`--resource-policy FILE`, or `resourcePolicy` in a case), or, for a key that has AWS's default key policy, say so (`--default-key-policy`, or `\"kms\": {{\"defaultKeyPolicy\": true}}` in a case)",
        request.resource()
    ))
}

/// Why AWS refuses a request to a resource it owns (decision D51), in AWS's words; for the roles
/// that only AWS modifies, with the `UnmodifiableEntity` message IAM answers.
pub fn protected_explanation(request: &Request, rule: iamspect_core::Protected) -> String {
    use iamspect_core::Protected;
    let role = request.resource().rsplit('/').next().unwrap_or_default();
    match rule {
        Protected::ReservedRole | Protected::ServiceLinkedRole => format!(
            "{}; IAM answers UnmodifiableEntity (HTTP 400): \"Cannot perform the operation on the protected role '{role}' - this role is only modifiable by AWS\"",
            rule.explanation()
        ),
        _ => rule.explanation().to_string(),
    }
}

/// Explain checks the action against AWS's catalogue: a typo would otherwise be explained as an
/// implicit deny. (Decisions never depend on the catalogue; only this check does.)
pub fn known_action(action: &str) -> Result<(), String> {
    let catalog = iamspect_catalog::Catalog::get();
    if catalog.action(action).is_some() {
        return Ok(());
    }
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let Some(svc) = catalog.service(service) else {
        return Err(format!("unknown service `{service}` in action `{action}`"));
    };
    let lower = name.to_ascii_lowercase();
    let mut near: Vec<(usize, String)> = svc
        .actions()
        .map(|a| (distance(&lower, &a.name().to_ascii_lowercase()), format!("{}:{}", svc.prefix(), a.name())))
        .collect();
    near.sort();
    let hint = near.first().filter(|(d, _)| *d <= 3).map(|(_, a)| format!("; did you mean `{a}`?")).unwrap_or_default();
    Err(format!("unknown action `{action}`: {} has no action `{name}`{hint}", svc.name()))
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let left = row.get(j).copied().unwrap_or(0);
            let up = row.get(j + 1).copied().unwrap_or(0);
            let next = (prev + cost).min(left + 1).min(up + 1);
            prev = up;
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = next;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// The SCP and RCP levels that deny because they hold no Allow at all (D46), among the layers
/// that denied.
fn levels_without_allow(
    response: &iamspect_core::Response,
    policies: &Policies,
) -> Vec<crate::levels::LevelWithoutAllow> {
    let denied_by = response.outcome.denied_by;
    crate::levels::without_allow(policies)
        .into_iter()
        .filter(|l| match l.layer {
            iamspect_core::Layer::Rcp(_) => denied_by.contains(iamspect_core::Denier::Rcp),
            _ => denied_by.contains(iamspect_core::Denier::Scp),
        })
        .collect()
}
