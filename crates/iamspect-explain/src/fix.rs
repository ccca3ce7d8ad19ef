//! The smallest change that allows a denied request, proved by re-evaluation.
//!
//! For an explicit deny, each denying statement gets a condition that exempts exactly this caller
//! (`ArnNotEquals` on `aws:PrincipalArn`); for an implicit deny, each layer that lacks an allow
//! gets a statement that allows exactly this action on exactly this resource (wildcard characters
//! in the resource are escaped as `${*}` and `${?}`, so the statement matches nothing else).
//! Every edit is re-parsed and the request re-evaluated; probes (another action of the service,
//! a neighbouring resource) check that the edits change no other decision.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use iamspect_core::{
    Decision, Denier, Effect, Layer, Outcome, Policies, Policy, PolicyType, PrincipalKind, Request, authorize,
    authorize_traced,
};
use serde_json::{Map, Value, json};

use crate::Cancelled;
use crate::slots::{self, Slot, layer_type};

/// How long [`Edit::diff`] may look for a minimal diff.
pub const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(200);

/// One policy changed or added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Where.
    pub slot: Slot,
    /// The policy's name (a new policy is named `iamspect-fix`).
    pub policy: String,
    /// What the edit does, in a sentence.
    pub summary: String,
    /// The policy before, pretty-printed (empty for a new policy).
    pub before: String,
    /// The policy after, pretty-printed: ready to paste.
    pub after: String,
}

impl Edit {
    /// A unified diff of the policy.
    ///
    /// The diff gets at most [`DIFF_TIMEOUT`]: past it, it is still a correct diff, only a
    /// coarser one (whole runs of lines replaced), since a minimal diff of two long policies that
    /// differ in many places costs the product of their lengths.
    pub fn diff(&self) -> String {
        similar::TextDiff::configure()
            .timeout(DIFF_TIMEOUT)
            .diff_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", self.policy), &format!("b/{}", self.policy))
            .to_string()
    }
}

/// A request near the denied one, decided before and after the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The probe's action.
    pub action: String,
    /// The probe's resource.
    pub resource: String,
    /// The decision with the original policies.
    pub before: Decision,
    /// The decision with the fixed policies.
    pub after: Decision,
}

/// A fix and its proof.
#[derive(Clone, Debug)]
pub struct Fix {
    /// The edits, in evaluation order.
    pub edits: Vec<Edit>,
    /// The decision once every edit is applied.
    pub outcome: Outcome,
    /// Neighbouring requests whose decisions must not change.
    pub probes: Vec<Probe>,
    /// What could not be fixed by editing a policy.
    pub notes: Vec<String>,
}

impl Fix {
    /// True when the fixed policies allow the request and change no probe's decision.
    pub fn is_proved(&self) -> bool {
        self.outcome.decision == Decision::Allowed && self.probes.iter().all(|p| p.before == p.after)
    }
}

/// Suggests the smallest edits that allow `req`; `None` when it is already allowed.
pub fn suggest(req: &Request, policies: &Policies) -> Option<Fix> {
    suggest_cancellable(req, policies, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`suggest`], given up when `cancel` is set.
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn suggest_cancellable(req: &Request, policies: &Policies, cancel: &AtomicBool) -> Result<Option<Fix>, Cancelled> {
    let original = authorize(req, policies);
    if original.decision == Decision::Allowed {
        return Ok(None);
    }
    // Decision D51: no policy change can allow a change to a resource AWS owns.
    if let Some(rule) = iamspect_core::authorize_traced(req, policies).trace.protected {
        return Ok(Some(Fix {
            edits: Vec::new(),
            outcome: original,
            probes: Vec::new(),
            notes: vec![format!(
                "no policy can allow this request: {}",
                crate::report::protected_explanation(req, rule)
            )],
        }));
    }
    // Decision D52: a KMS key always has a key policy; a fix cannot invent it.
    if let Some(note) = crate::report::missing_key_policy(req, policies) {
        return Ok(Some(Fix { edits: Vec::new(), outcome: original, probes: Vec::new(), notes: vec![note] }));
    }
    let trust = crate::message::is_trust_action(req.action());
    let mut working = policies.clone();
    let mut edits: Vec<Edit> = Vec::new();
    let mut notes = Vec::new();

    // An SCP or RCP level without any Allow lacks AWS's default policy (decision D46): the fix
    // attaches it, never an Allow for this one request. Neighbouring requests are then compared
    // with the default attached too, since restoring it is meant to change them.
    let mut baseline = policies.clone();
    for level in crate::levels::without_allow(policies) {
        let (denier, t, text) = match level.layer {
            Layer::Rcp(_) => (Denier::Rcp, PolicyType::Rcp, iamspect_core::policy::RCP_FULL_AWS_ACCESS),
            _ => (Denier::Scp, PolicyType::Scp, iamspect_core::policy::FULL_AWS_ACCESS),
        };
        if !original.denied_by.contains(denier) {
            continue;
        }
        let Ok(default) = Policy::parse(level.default_policy, text, t) else { continue };
        let index = match level.layer {
            Layer::Rcp(l) => policies.rcps.as_ref().and_then(|v| v.get(l)).map_or(0, Vec::len),
            Layer::Scp(l) => policies.scps.as_ref().and_then(|v| v.get(l)).map_or(0, Vec::len),
            _ => 0,
        };
        let slot = Slot { layer: level.layer, index };
        slots::set(&mut baseline, slot, Arc::new(default.clone()));
        let summary = format!(
            "attach AWS's {} to this level, which has no Allow statement (AWS attaches it by default; or attach the Allow list your organization uses)",
            level.default_policy
        );
        let empty = empty_like(&default);
        record(&mut working, &mut edits, slot, &empty, default, summary);
        notes.push(format!(
            "the checks of neighbouring requests compare them with {} attached, as AWS has it by default",
            level.default_policy
        ));
    }

    // Explicit denies: exempt the caller from each statement that denies.
    if original.decision == Decision::ExplicitDeny {
        let traced = authorize_traced(req, &working);
        for layer in &traced.trace.layers {
            for (index, p) in layer.policies.iter().enumerate() {
                let slot = Slot { layer: layer.layer, index };
                // Decision D57: a NotPrincipal deny is lifted by naming what it misses.
                for s in p.statements.iter().filter(|s| s.applied && s.effect == Effect::Deny) {
                    let Some(d) = &s.not_principal else { continue };
                    let current = slots::get(&working, slot).cloned().unwrap_or_else(|| p.policy.clone());
                    if d.boundary || d.missing.is_empty() {
                        // With a boundary the list cannot exempt the caller; a condition can.
                        notes.push(format!(
                            "statement {} of `{}`: {}",
                            s.index,
                            p.policy.name(),
                            crate::wire::not_principal_explanation(d)
                        ));
                        continue;
                    }
                    match add_to_not_principal(&current, s.index, &d.missing, layer_type(layer.layer, trust)) {
                        Ok((policy, summary)) => {
                            let summary = format!("{summary} ({})", crate::wire::not_principal_explanation(d));
                            record(&mut working, &mut edits, slot, &current, policy, summary);
                        }
                        Err(note) => notes.push(note),
                    }
                }
                // The other denying statements: the caller exempted from all of them in one edit.
                let denying: Vec<usize> = p
                    .statements
                    .iter()
                    .filter(|s| s.applied && s.effect == Effect::Deny)
                    .filter(|s| s.not_principal.as_ref().is_none_or(|d| d.boundary || d.missing.is_empty()))
                    .map(|s| s.index)
                    .collect();
                if denying.is_empty() {
                    continue;
                }
                crate::check(cancel)?;
                let current = slots::get(&working, slot).cloned().unwrap_or_else(|| p.policy.clone());
                let (edited, refused) = exempt_caller(req, &current, &denying, layer_type(layer.layer, trust), cancel)?;
                if let Some((policy, summary)) = edited {
                    record(&mut working, &mut edits, slot, &current, policy, summary);
                }
                notes.extend(refused);
            }
        }
        if original.denied_by.contains(Denier::S3BlockPublicAccess) {
            notes.push("S3 Block Public Access (RestrictPublicBuckets) stops this request: grant the caller's account by name in the bucket policy instead of `\"*\"`, or turn the setting off for this bucket".to_string());
        }
    }

    // Implicit gaps: give each layer that lacks an allow exactly this action on this resource.
    for _round in 0..3 {
        crate::check(cancel)?;
        let now = authorize(req, &working);
        if now.decision != Decision::ImplicitDeny {
            break;
        }
        let mut progressed = false;
        for denier in now.denied_by.iter() {
            for slot in gap_slots(denier, &working, req) {
                let current = slots::get(&working, slot).cloned();
                match allow_exactly(req, current.as_deref(), slot, trust) {
                    Ok((policy, summary)) => {
                        let before = current.unwrap_or_else(|| Arc::new(empty_like(&policy)));
                        record(&mut working, &mut edits, slot, &before, policy, summary);
                        progressed = true;
                    }
                    Err(note) => notes.push(note),
                }
            }
        }
        if !progressed {
            break;
        }
    }

    crate::check(cancel)?;
    let outcome = authorize(req, &working);
    let probes = probes(req, &baseline, &working);
    Ok(Some(Fix { edits, outcome, probes, notes }))
}

/// Applies an edit, merging it with an earlier edit of the same policy.
fn record(working: &mut Policies, edits: &mut Vec<Edit>, slot: Slot, before: &Policy, after: Policy, summary: String) {
    let after_text = after.source().to_string();
    let after = Arc::new(after);
    slots::set(working, slot, after.clone());
    if let Some(e) = edits.iter_mut().find(|e| e.slot == slot) {
        e.after = after_text;
        e.summary.push_str("; ");
        e.summary.push_str(&summary);
        return;
    }
    let before_text = if before.statements().is_empty() && before.name() == FIX_NAME {
        String::new()
    } else {
        pretty(before.source()).unwrap_or_else(|| before.source().to_string())
    };
    edits.push(Edit { slot, policy: after.name().to_string(), summary, before: before_text, after: after_text });
}

const FIX_NAME: &str = "iamspect-fix";

fn empty_like(policy: &Policy) -> Policy {
    Policy::parse(FIX_NAME, r#"{"Version": "2012-10-17", "Statement": []}"#, PolicyType::Resource)
        .unwrap_or_else(|_| policy.clone())
}

fn pretty(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&v).ok().map(|s| s + "\n")
}

/// Where an allow is missing for a denier: every SCP/RCP level without one, or the one policy of
/// the layer (the first identity or session policy, or a new one).
fn gap_slots(denier: Denier, policies: &Policies, req: &Request) -> Vec<Slot> {
    let levels_without_allow = |levels: &Option<Vec<Vec<Arc<Policy>>>>, make: fn(usize) -> Layer| -> Vec<Slot> {
        let traced = authorize_traced(req, policies);
        let Some(levels) = levels else { return Vec::new() };
        (0..levels.len())
            .filter(|l| {
                traced
                    .trace
                    .layers
                    .iter()
                    .any(|t| t.layer == make(*l) && t.verdict == iamspect_core::LayerVerdict::NoAllow)
            })
            .map(|l| Slot { layer: make(l), index: 0 })
            .collect()
    };
    match denier {
        Denier::Scp => levels_without_allow(&policies.scps, Layer::Scp),
        Denier::Rcp => levels_without_allow(&policies.rcps, Layer::Rcp)
            .into_iter()
            .map(|slot| match slot.layer {
                Layer::Rcp(l) => {
                    Slot { layer: slot.layer, index: policies.rcps.as_ref().and_then(|v| v.get(l)).map_or(0, Vec::len) }
                }
                _ => slot,
            })
            .collect(),
        Denier::VpcEndpoint => vec![Slot { layer: Layer::VpcEndpoint, index: 0 }],
        Denier::Resource => vec![Slot { layer: Layer::Resource, index: 0 }],
        Denier::Identity => vec![Slot { layer: Layer::Identity, index: 0 }],
        Denier::PermissionsBoundary => vec![Slot { layer: Layer::PermissionsBoundary, index: 0 }],
        Denier::Session => vec![Slot { layer: Layer::Session, index: 0 }],
        Denier::S3BlockPublicAccess | Denier::S3Acl => Vec::new(),
    }
}

/// The resource as a literal ARN pattern: `*`, `?` and `$` escaped so they match only themselves.
fn literal_resource(resource: &str) -> String {
    let mut out = String::with_capacity(resource.len());
    for c in resource.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' => out.push_str("${$}"),
            c => out.push(c),
        }
    }
    out
}

/// The `Principal` that names exactly this caller in a resource-based policy.
fn principal_element(req: &Request) -> Value {
    let p = req.principal();
    match &p.kind {
        PrincipalKind::User { arn, .. } | PrincipalKind::FederatedUser { arn, .. } => json!({"AWS": arn}),
        PrincipalKind::RoleSession { role_arn, .. } => json!({"AWS": role_arn}),
        PrincipalKind::Root { account } => json!({"AWS": format!("arn:aws:iam::{account}:root")}),
        PrincipalKind::Service { name } => json!({"Service": name}),
        PrincipalKind::Federated { provider } => json!({"Federated": provider}),
        PrincipalKind::Anonymous => json!("*"),
    }
}

fn document(policy: Option<&Policy>) -> Result<Map<String, Value>, String> {
    let Some(policy) = policy else {
        let mut m = Map::new();
        m.insert("Version".into(), json!("2012-10-17"));
        m.insert("Statement".into(), json!([]));
        return Ok(m);
    };
    match serde_json::from_str::<Value>(policy.source()) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(format!("policy `{}` could not be re-read for editing", policy.name())),
    }
}

/// The `Statement` list, turning a single statement object into a one-element list.
fn statements(doc: &mut Map<String, Value>) -> Result<&mut Vec<Value>, String> {
    let slot = doc.entry("Statement").or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        let one = slot.take();
        *slot = Value::Array(vec![one]);
    }
    slot.as_array_mut().ok_or_else(|| "`Statement` is not a list".to_string())
}

fn finish(doc: Map<String, Value>, name: &str, t: PolicyType) -> Result<Policy, String> {
    let text = serde_json::to_string_pretty(&Value::Object(doc)).map_err(|e| e.to_string())? + "\n";
    Policy::parse(name, &text, t).map_err(|e| format!("the edited policy does not validate: {e}"))
}

fn unique_sid(list: &[Value], base: &str) -> String {
    let taken = |sid: &str| list.iter().any(|s| s.get("Sid").and_then(Value::as_str) == Some(sid));
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|n| format!("{base}{n}")).find(|s| !taken(s)).unwrap_or_else(|| base.to_string())
}

/// A statement allowing exactly this action on exactly this resource, added to the policy at `slot`.
fn allow_exactly(req: &Request, policy: Option<&Policy>, slot: Slot, trust: bool) -> Result<(Policy, String), String> {
    let t = layer_type(slot.layer, trust);
    if t == PolicyType::Rcp {
        // Customer RCPs may only deny; a level without an allow lacks AWS's RCPFullAWSAccess,
        // which AWS attaches everywhere and which cannot be detached.
        let full = Policy::parse("RCPFullAWSAccess", iamspect_core::policy::RCP_FULL_AWS_ACCESS, PolicyType::Rcp)
            .map_err(|e| e.to_string())?;
        return Ok((full, "attach AWS's RCPFullAWSAccess to this level, as AWS always does".to_string()));
    }
    let mut doc = document(policy)?;
    let version_2012 = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
    let resource = match req.resource() {
        // Actions without resource-level permissions are authorized on `*` alone.
        "*" => "*".to_string(),
        r if version_2012 => literal_resource(r),
        r => r.to_string(),
    };
    let list = statements(&mut doc)?;
    let mut stmt = Map::new();
    stmt.insert("Sid".into(), json!(unique_sid(list, "IamspectFix")));
    stmt.insert("Effect".into(), json!("Allow"));
    match t {
        PolicyType::Resource | PolicyType::Trust => {
            stmt.insert("Principal".into(), principal_element(req));
        }
        PolicyType::VpcEndpoint => {
            stmt.insert("Principal".into(), json!("*"));
        }
        _ => {}
    }
    stmt.insert("Action".into(), json!(req.action()));
    if t != PolicyType::Trust {
        stmt.insert("Resource".into(), json!(resource));
    }
    list.push(Value::Object(stmt));
    let name = policy.map_or(FIX_NAME.to_string(), |p| p.name().to_string());
    let what = match t {
        PolicyType::Resource | PolicyType::Trust => {
            format!("allow {} to {} in the {}", req.principal().arn(), req.action(), t.description())
        }
        _ => format!("allow {} on {} in the {}", req.action(), req.resource(), t.description()),
    };
    finish(doc, &name, t).map(|p| (p, what))
}

/// The policy with the caller exempted and what was done, if any statement could be edited;
/// and a note for each that could not.
type Exempted = (Option<(Policy, String)>, Vec<String>);

/// Adds `ArnNotEquals aws:PrincipalArn <caller>` to each denying statement of `policy` (by
/// index), so that none applies to this caller any more (conditions are ANDed; a negated
/// operator's values are NORed). The document is edited once and parsed once, however many
/// statements deny: the edited policy with the summaries, and a note for each statement that
/// could not be edited.
fn exempt_caller(
    req: &Request,
    policy: &Policy,
    indexes: &[usize],
    t: PolicyType,
    cancel: &AtomicBool,
) -> Result<Exempted, Cancelled> {
    let Some(principal_arn) =
        req.context().iter().find(|(k, _)| k.eq_ignore_ascii_case("aws:PrincipalArn")).and_then(|(_, v)| v.first())
    else {
        let notes = indexes.iter().map(|index| format!(
            "statement {index} of `{}` denies a caller without `aws:PrincipalArn` ({}); remove or narrow the statement",
            policy.name(),
            req.principal().arn()
        ));
        return Ok((None, notes.collect()));
    };
    let principal_arn = principal_arn.to_string();
    let mut doc = match document(Some(policy)) {
        Ok(doc) => doc,
        Err(note) => return Ok((None, vec![note; indexes.len()])),
    };
    let mut summaries = Vec::new();
    let mut notes = Vec::new();
    for &index in indexes {
        crate::check(cancel)?;
        match exempt_in(&mut doc, index, &principal_arn, policy.name()) {
            Ok(summary) => summaries.push(summary),
            Err(note) => notes.push(note),
        }
    }
    if summaries.is_empty() {
        return Ok((None, notes));
    }
    match finish(doc, policy.name(), t) {
        Ok(edited) => Ok((Some((edited, summaries.join("; "))), notes)),
        // Every exemption of this policy is refused with the reason (the caller stays denied,
        // so the fix is not proved): trying them one at a time would parse the policy once per
        // statement.
        Err(note) => {
            notes.extend(std::iter::repeat_n(note, summaries.len()));
            Ok((None, notes))
        }
    }
}

/// The exemption of one statement, in the document.
fn exempt_in(doc: &mut Map<String, Value>, index: usize, principal_arn: &str, name: &str) -> Result<String, String> {
    let list = statements(doc)?;
    let Some(Value::Object(stmt)) = list.get_mut(index) else {
        return Err(format!("statement {index} of `{name}` could not be found for editing"));
    };
    let condition = stmt.entry("Condition").or_insert_with(|| json!({}));
    let Value::Object(condition) = condition else {
        return Err(format!("statement {index} of `{name}` has a malformed `Condition`"));
    };
    let operator = condition.entry("ArnNotEquals").or_insert_with(|| json!({}));
    let Value::Object(keys) = operator else {
        return Err(format!("statement {index} of `{name}` has a malformed `ArnNotEquals`"));
    };
    match keys.get_mut("aws:PrincipalArn") {
        Some(Value::Array(values)) => values.push(json!(principal_arn)),
        Some(existing) => *existing = json!([existing.clone(), principal_arn]),
        None => {
            keys.insert("aws:PrincipalArn".into(), json!(principal_arn));
        }
    }
    Ok(format!("exempt {principal_arn} from the deny of statement {index}"))
}

/// Adds the ARNs a `NotPrincipal` deny does not name to its `AWS` list, so AWS finds every identity
/// it checks for the caller listed (decisions D13, D57).
fn add_to_not_principal(
    policy: &Policy,
    index: usize,
    missing: &[String],
    t: PolicyType,
) -> Result<(Policy, String), String> {
    let mut doc = document(Some(policy))?;
    let list = statements(&mut doc)?;
    let Some(Value::Object(stmt)) = list.get_mut(index) else {
        return Err(format!("statement {index} of `{}` could not be found for editing", policy.name()));
    };
    let Some(Value::Object(not_principal)) = stmt.get_mut("NotPrincipal") else {
        return Err(format!("statement {index} of `{}`: `NotPrincipal` is not an object", policy.name()));
    };
    let aws = not_principal.entry("AWS").or_insert_with(|| json!([]));
    if !aws.is_array() {
        let one = aws.take();
        *aws = json!([one]);
    }
    if let Value::Array(values) = aws {
        for arn in missing {
            values.push(json!(arn));
        }
    }
    let summary = format!("add {} to `NotPrincipal` of statement {index}", missing.join(", "));
    finish(doc, policy.name(), t).map(|p| (p, summary))
}

/// Requests next to the denied one; their decisions must not change.
fn probes(req: &Request, before: &Policies, after: &Policies) -> Vec<Probe> {
    let mut out = Vec::new();
    let mut try_probe = |action: String, resource: String| {
        let Ok(probe) =
            Request::new(req.principal().clone(), &action, &resource, req.resource_account(), req.context().clone())
        else {
            return;
        };
        out.push(Probe {
            before: authorize(&probe, before).decision,
            after: authorize(&probe, after).decision,
            action,
            resource,
        });
    };
    try_probe(format!("{}:IamspectProbeOtherAction", req.service()), req.resource().to_string());
    // A role's trust policy governs only that role, so other resources are not probes for it.
    if req.resource() != "*" && !crate::message::is_trust_action(req.action()) {
        try_probe(req.action().to_string(), format!("{}-iamspect-probe", req.resource()));
        try_probe(req.action().to_string(), "*".to_string());
    }
    out
}
