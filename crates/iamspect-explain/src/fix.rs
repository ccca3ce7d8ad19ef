//! Fixes for a denied request, ranked by what they cost in security, each proved by re-evaluation.
//!
//! Three kinds (decision D81), shown in this order:
//! - **request**: the same policies, a different request: the context values a deny's exception or
//!   an allow's condition asks for (a VPC endpoint, a region, MFA, a tag), or a principal a deny
//!   exempts. Proved when the changed request is allowed with the policies as they are.
//! - **grant**: an `Allow` added where a layer lacks one, for exactly this action on exactly this
//!   resource (wildcard characters in the resource escaped as `${*}` and `${?}`), after the
//!   request changes above when the request also needs them.
//! - **weakening**: a deny or a guardrail made to let the caller through (the caller exempted by
//!   `ArnNotEquals aws:PrincipalArn`, or named in a `NotPrincipal`). Always labelled, with the
//!   statements it weakens and the neighbouring requests whose decisions it changes.
//!
//! Edits are made on the policies' own texts ([`crate::patch`]), re-parsed, and the request
//! decided again; neighbouring requests (other actions of the service from AWS's catalogue, a
//! sibling resource) are decided before and after, so a fix says exactly what else it changes.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use iamspect_core::condition::{BaseOperator, Condition, Family};
use iamspect_core::{
    Decision, Denier, Effect, Layer, Outcome, Policies, Policy, PolicyType, PrincipalKind, Request, Statement,
    authorize, authorize_traced,
};
use serde_json::{Map, Value, json};

use crate::Cancelled;
use crate::patch;
use crate::slots::{self, Slot, layer_type};

/// How long [`Edit::diff`] may look for a minimal diff.
pub const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(200);

/// At most this many changed requests are decided while looking for a request-side fix.
pub const MAX_REQUEST_TRIALS: usize = 96;

/// What a fix changes, in the order fixes are shown: the cheapest in security first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FixKind {
    /// The request changes; the policies stay as they are.
    Request,
    /// An `Allow` is added or widened.
    Grant,
    /// A deny or a guardrail lets the caller through.
    Weakening,
}

impl FixKind {
    /// `request`, `grant` or `weakening`.
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::Request => "request",
            FixKind::Grant => "grant",
            FixKind::Weakening => "weakening",
        }
    }
}

/// One context key given a value (or taken away) in a request-side fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEdit {
    /// The condition key.
    pub key: String,
    /// The value the request carries after the change.
    pub value: String,
}

/// One policy changed or added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Where.
    pub slot: Slot,
    /// The policy's name (a new policy is named `iamspect-fix`).
    pub policy: String,
    /// What the edit does, in a sentence.
    pub summary: String,
    /// The policy's text before, byte for byte as given (empty for a new policy).
    pub before: String,
    /// The policy's text after: the same bytes with the edit inserted.
    pub after: String,
}

impl Edit {
    /// A unified diff of the policy's own text.
    ///
    /// The diff gets at most [`DIFF_TIMEOUT`]: past it, it is still a correct diff, only a
    /// coarser one (whole runs of lines replaced), since a minimal diff of two long policies that
    /// differ in many places costs the product of their lengths.
    pub fn diff(&self) -> String {
        unified_diff(&self.before, &self.after, &self.policy)
    }
}

/// A unified diff of two texts under `a/PATH` and `b/PATH` headers (`/dev/null` for a new file),
/// as `patch -p1` and `git apply` read it.
pub fn unified_diff(before: &str, after: &str, path: &str) -> String {
    let old = if before.is_empty() { "/dev/null".to_string() } else { format!("a/{path}") };
    similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&old, &format!("b/{path}"))
        .to_string()
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
    /// What it changes.
    pub kind: FixKind,
    /// The fix in a sentence.
    pub summary: String,
    /// Context values the request must carry (request fixes, and grants that also need them).
    pub context: Vec<ContextEdit>,
    /// Another principal to make the request as (a request fix).
    pub principal: Option<String>,
    /// The policy edits, in evaluation order.
    pub edits: Vec<Edit>,
    /// The decision with every change applied; `None` when it cannot be decided from what was
    /// given (another principal, whose own policies were not given).
    pub outcome: Option<Outcome>,
    /// Neighbouring requests, decided before and after the edits.
    pub probes: Vec<Probe>,
    /// For a weakening, the statements it weakens.
    pub weakens: Vec<String>,
    /// What else the reader should know.
    pub notes: Vec<String>,
}

impl Fix {
    /// True when re-evaluating the changed request with the edited policy texts allows it.
    pub fn is_proved(&self) -> bool {
        self.outcome.is_some_and(|o| o.decision == Decision::Allowed)
    }

    /// The neighbouring requests whose decisions the edits change.
    pub fn changes(&self) -> impl Iterator<Item = &Probe> {
        self.probes.iter().filter(|p| p.before != p.after)
    }

    /// What was proved, exactly.
    pub fn proof(&self) -> String {
        let Some(outcome) = self.outcome else {
            return "not proved: the decision for the other principal needs its own policies, which were not given"
                .to_string();
        };
        if outcome.decision != Decision::Allowed {
            return format!("not proved: with the change the request is still {}", outcome.decision.as_str());
        }
        let subject = match (self.edits.is_empty(), self.context.is_empty()) {
            (true, _) => "allowed with the policies as they are, for the changed request".to_string(),
            (false, true) => "allowed after the edit (the edited texts parsed and the request decided again)".to_string(),
            (false, false) => {
                "allowed after the edit, for the changed request (the edited texts parsed and the request decided again)"
                    .to_string()
            }
        };
        if self.probes.is_empty() {
            return subject;
        }
        let changed = self.changes().count();
        format!(
            "{subject}; {} neighbouring request{} unchanged, {changed} changed",
            self.probes.len() - changed,
            if self.probes.len() - changed == 1 { "" } else { "s" }
        )
    }
}

/// The fixes for a denied request, ranked, and what no fix can change.
#[derive(Clone, Debug, Default)]
pub struct Fixes {
    /// Request changes first, then grants, then weakenings; within a kind, proved ones first.
    pub fixes: Vec<Fix>,
    /// What no policy edit or request change can fix (a resource AWS owns, a missing key policy,
    /// S3 Block Public Access, a deny no exemption reaches).
    pub notes: Vec<String>,
}

/// The ranked fixes for `req`; `None` when it is already allowed.
pub fn suggest(req: &Request, policies: &Policies) -> Option<Fixes> {
    suggest_cancellable(req, policies, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`suggest`], given up when `cancel` is set.
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn suggest_cancellable(
    req: &Request,
    policies: &Policies,
    cancel: &AtomicBool,
) -> Result<Option<Fixes>, Cancelled> {
    let original = authorize(req, policies);
    if original.decision == Decision::Allowed {
        return Ok(None);
    }
    // Decision D51: no policy change can allow a change to a resource AWS owns.
    if let Some(rule) = authorize_traced(req, policies).trace.protected {
        let note = format!("no policy can allow this request: {}", crate::report::protected_explanation(req, rule));
        return Ok(Some(Fixes { fixes: Vec::new(), notes: vec![note] }));
    }
    // Decision D52: a KMS key always has a key policy; a fix cannot invent it.
    if let Some(note) = crate::report::missing_key_policy(req, policies) {
        return Ok(Some(Fixes { fixes: Vec::new(), notes: vec![note] }));
    }
    // Decisions D138 and D140: two evaluations stand behind these decisions (the access point
    // and the bucket; the caller's account and the object's ACL), which the fix search does
    // not edit; the explanation names what each lacked.
    if policies.access_point.is_some() || policies.s3.as_ref().is_some_and(|s| s.object_owner.is_some()) {
        let note = "fixes are not searched for a request through an S3 access point or on an object another account owns: see which of the access point and the bucket (or the caller's account and the object ACL) refuses in the decision's deniedBy".to_string();
        return Ok(Some(Fixes { fixes: Vec::new(), notes: vec![note] }));
    }
    let mut fixes = Vec::new();
    let mut notes = Vec::new();

    // Request changes first: the same policies, the values a deny's exception asks for.
    let search = request_search(req, policies, cancel)?;
    if search.outcome.decision == Decision::Allowed && !search.changes.is_empty() {
        fixes.push(request_fix(req, &search));
    }
    fixes.extend(principal_fixes(req, policies));

    // A grant, where only allows are missing: on the request as it is, or (when the request
    // change above lifted every deny but some allow is still missing) on the changed request.
    if original.decision == Decision::ImplicitDeny {
        crate::check(cancel)?;
        if let Some(f) = grant(req, policies, Vec::new(), cancel, &mut notes)? {
            fixes.push(f);
        }
    } else if search.outcome.decision == Decision::ImplicitDeny && !search.changes.is_empty() {
        crate::check(cancel)?;
        let changed = with_context(req, &search.changes).unwrap_or_else(|| req.clone());
        if let Some(f) = grant(&changed, policies, search.changes.clone(), cancel, &mut notes)? {
            fixes.push(f);
        }
    }

    // Weakenings last: the caller exempted from each deny that stops it.
    if original.decision == Decision::ExplicitDeny {
        crate::check(cancel)?;
        if let Some(f) = weakening(req, policies, cancel, &mut notes)? {
            fixes.push(f);
        }
    }
    if original.denied_by.contains(Denier::S3BlockPublicAccess) {
        notes.push("S3 Block Public Access (RestrictPublicBuckets) stops this request: grant the caller's account by name in the bucket policy instead of `\"*\"`, or turn the setting off for this bucket".to_string());
    }
    fixes.sort_by_key(|f| (f.kind, !f.is_proved()));
    notes.dedup();
    Ok(Some(Fixes { fixes, notes }))
}

// ---------------------------------------------------------------------------------------------
// Request changes

/// The outcome of looking for context values that allow the request.
struct Search {
    changes: Vec<ContextEdit>,
    outcome: Outcome,
}

/// Keys that follow from who the caller is, or that AWS sets from facts the caller does not choose
/// per request: changing them is not a change to the request.
fn fixed_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("aws:principal")
        || k == "aws:userid"
        || k == "aws:username"
        || k.starts_with("aws:resourceaccount")
        || k.starts_with("aws:resourceorg")
        || k == "aws:currenttime"
        || k == "aws:epochtime"
        || k == "aws:tokenissuetime"
        || k == "aws:sourceidentity"
        || k.starts_with("aws:federatedprovider")
        || k == "aws:userid"
}

/// How good an outcome is for the search: fewer deny statements applied, then a better decision,
/// then fewer layers denying.
fn score(req: &Request, policies: &Policies) -> (usize, u8, usize, Outcome) {
    let traced = authorize_traced(req, policies);
    let denies = traced.trace.applied(Effect::Deny).count();
    let rank = match traced.outcome.decision {
        Decision::Allowed => 0,
        Decision::ImplicitDeny => 1,
        Decision::ExplicitDeny => 2,
    };
    (denies, rank, traced.outcome.denied_by.iter().count(), traced.outcome)
}

/// The request with `changes` applied to its context.
fn with_context(req: &Request, changes: &[ContextEdit]) -> Option<Request> {
    let mut ctx = req.context().clone();
    for c in changes {
        ctx.insert(&c.key, vec![c.value.clone()]);
    }
    Request::new(req.principal().clone(), req.action(), req.resource(), req.resource_account(), ctx).ok()
}

/// A change tried in the search: its score, the change, the changed request and its outcome.
type Candidate = ((usize, u8, usize), Vec<ContextEdit>, Request, Outcome);

/// Greedy: each round tries the values the failing conditions ask for and keeps the one that
/// improves the outcome most, until the request is allowed or nothing improves it.
fn request_search(req: &Request, policies: &Policies, cancel: &AtomicBool) -> Result<Search, Cancelled> {
    search_with(req, policies, cancel, &|key: &str| !fixed_key(key))
}

/// Context values that make `req` allowed with `policies`, found by deciding it again with the
/// values its failing conditions name (decision D81's search): `None` when none was found. Only
/// keys for which `may_vary` says yes are changed. Every answer is a concrete request the engine
/// allowed, never a guess; `None` does not prove that no context allows it.
pub fn context_that_allows(
    req: &Request,
    policies: &Policies,
    may_vary: &dyn Fn(&str) -> bool,
) -> Option<Vec<ContextEdit>> {
    let search = search_with(req, policies, &AtomicBool::new(false), may_vary).ok()?;
    (search.outcome.decision == Decision::Allowed).then_some(search.changes)
}

fn search_with(
    req: &Request,
    policies: &Policies,
    cancel: &AtomicBool,
    may_vary: &dyn Fn(&str) -> bool,
) -> Result<Search, Cancelled> {
    let mut changes: Vec<ContextEdit> = Vec::new();
    let mut current = req.clone();
    let (mut denies, mut rank, mut layers, mut outcome) = score(&current, policies);
    let mut trials = 0;
    for _round in 0..6 {
        if outcome.decision == Decision::Allowed {
            break;
        }
        let traced = authorize_traced(&current, policies);
        let mut best: Option<Candidate> = None;
        for set in candidates(&traced.trace) {
            crate::check(cancel)?;
            let taken = |key: &str| !may_vary(key) || changes.iter().any(|c| c.key.eq_ignore_ascii_case(key));
            if set.iter().any(|(key, _)| taken(key)) {
                continue;
            }
            if trials >= MAX_REQUEST_TRIALS {
                break;
            }
            trials += 1;
            let edits: Vec<ContextEdit> = set.into_iter().map(|(key, value)| ContextEdit { key, value }).collect();
            let Some(changed) = with_context(&current, &edits) else { continue };
            let (d, r, l, o) = score(&changed, policies);
            let better = (d, r, l) < (denies, rank, layers);
            if better && best.as_ref().is_none_or(|(s, ..)| (d, r, l) < *s) {
                best = Some(((d, r, l), edits, changed, o));
            }
        }
        let Some(((d, r, l), edits, changed, o)) = best else { break };
        (denies, rank, layers, outcome) = (d, r, l, o);
        changes.extend(edits);
        current = changed;
    }
    Ok(Search { changes, outcome })
}

/// Changes worth trying, each a set of key values: for each condition of an applied `Deny`, and
/// each failed condition of an `Allow` that otherwise matched, the policy's own literal values
/// (and the values next to them for numbers, the other truth value for booleans, the first
/// address of a CIDR), one at a time; and for such an `Allow`, all its conditions' first values
/// at once, since an allow with two conditions is met by no single change.
fn candidates(trace: &iamspect_core::Trace) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    let mut push = |set: Vec<(String, String)>| {
        if !set.is_empty() && !out.contains(&set) {
            out.push(set);
        }
    };
    for layer in &trace.layers {
        for p in &layer.policies {
            for s in &p.statements {
                let Some(stmt) = crate::wire::statement(&p.policy, s.index) else { continue };
                let conditions: Vec<&Condition> = match (s.effect, s.applied, &s.condition) {
                    (Effect::Deny, true, _) => stmt.conditions().iter().collect(),
                    (Effect::Allow, false, Some(c)) => stmt.conditions().get(c.index).into_iter().collect(),
                    _ => Vec::new(),
                };
                for c in conditions {
                    for v in values_for(c) {
                        push(vec![(c.key().to_string(), v)]);
                    }
                }
                if let (Effect::Allow, false, Some(_)) = (s.effect, s.applied, &s.condition) {
                    let joint: Option<Vec<(String, String)>> = stmt
                        .conditions()
                        .iter()
                        .map(|c| values_for(c).into_iter().next().map(|v| (c.key().to_string(), v)))
                        .collect();
                    if let Some(joint) = joint.filter(|j| j.len() > 1) {
                        push(joint);
                    }
                }
            }
        }
    }
    out
}

fn values_for(c: &Condition) -> Vec<String> {
    let base = c.operator().base;
    let mut out = Vec::new();
    for v in c.values() {
        if v.contains("${") {
            continue;
        }
        if v.contains(['*', '?']) && base.family() != Family::Ip {
            // A pattern: one value it matches, the wildcards filled in.
            let like = matches!(
                base,
                BaseOperator::StringLike
                    | BaseOperator::StringNotLike
                    | BaseOperator::ArnLike
                    | BaseOperator::ArnNotLike
            );
            if like {
                out.push(v.replace('*', "example").replace('?', "x"));
            }
            continue;
        }
        match base.family() {
            Family::Bool => {
                out.push(v.to_ascii_lowercase());
                out.push(if v.eq_ignore_ascii_case("true") { "false" } else { "true" }.to_string());
            }
            Family::Numeric => {
                out.push(v.clone());
                if let Ok(n) = v.parse::<i64>() {
                    out.push((n + 1).to_string());
                    out.push((n - 1).to_string());
                }
            }
            Family::Ip => out.extend(first_host(v)),
            Family::Null => {}
            Family::Date => {
                // The date, and a second either side (epoch seconds) for strict comparisons.
                out.push(v.clone());
                if let Some(n) = iamspect_core::condition::date_seconds(v) {
                    out.push((n + 1).to_string());
                    out.push((n - 1).to_string());
                }
            }
            _ => out.push(v.clone()),
        }
    }
    if base == BaseOperator::Null {
        // A key that must be present: a value it is known to take.
        match c.key().to_ascii_lowercase().as_str() {
            "aws:multifactorauthage" => out.push("60".to_string()),
            "aws:multifactorauthpresent" => out.push("true".to_string()),
            _ => {}
        }
    }
    out
}

/// An address inside a CIDR: its first host (the network address for a /31, /32 or IPv6).
fn first_host(cidr: &str) -> Option<String> {
    let (addr, prefix) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let ip: std::net::IpAddr = addr.parse().ok()?;
    match (ip, prefix.parse::<u8>().ok()?) {
        (std::net::IpAddr::V4(v4), p) if p <= 30 => {
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - u32::from(p)) };
            Some(std::net::Ipv4Addr::from((u32::from(v4) & mask) + 1).to_string())
        }
        (ip, _) => Some(ip.to_string()),
    }
}

/// What a request change means, in a sentence.
pub fn describe_change(key: &str, value: &str) -> String {
    let k = key.to_ascii_lowercase();
    if let Some(tag) = k.strip_prefix("aws:requesttag/") {
        let tag = key.get(key.len() - tag.len()..).unwrap_or(tag);
        return format!("tag the request {tag}={value}");
    }
    if let Some(tag) = k.strip_prefix("aws:resourcetag/") {
        let tag = key.get(key.len() - tag.len()..).unwrap_or(tag);
        return format!("act on a resource tagged {tag}={value} (tagging this one is a change to the resource)");
    }
    match k.as_str() {
        "aws:sourcevpce" => format!("send the request through the VPC endpoint {value}"),
        "aws:sourcevpc" => format!("send the request from the VPC {value}"),
        "aws:requestedregion" => format!("make the request in the region {value}"),
        "aws:multifactorauthpresent" if value == "true" => {
            "sign in with MFA (aws:MultiFactorAuthPresent true)".to_string()
        }
        "aws:multifactorauthage" => format!("sign in with MFA ({key} {value} seconds)"),
        "aws:sourceip" => format!("send the request from the address {value}"),
        "aws:securetransport" if value == "true" => "send the request over HTTPS".to_string(),
        "aws:viaawsservice" => format!("make the request through an AWS service ({key} {value})"),
        "aws:calledvia" | "aws:calledviafirst" | "aws:calledvialast" => {
            format!("make the request through {value}")
        }
        "kms:viaservice" => format!("make the request through {value} (kms:ViaService)"),
        _ if k.starts_with("kms:encryptioncontext:") => {
            format!(
                "with the encryption context {} = {value}",
                key.get("kms:EncryptionContext:".len()..).unwrap_or(key)
            )
        }
        _ if k.starts_with("s3:x-amz-") => format!("send the header {}: {value}", key.get(3..).unwrap_or(key)),
        _ => format!("send the request with {key} = {value}"),
    }
}

fn request_fix(req: &Request, search: &Search) -> Fix {
    let words: Vec<String> = search.changes.iter().map(|c| describe_change(&c.key, &c.value)).collect();
    let _ = req;
    Fix {
        kind: FixKind::Request,
        summary: words.join(", and "),
        context: search.changes.clone(),
        principal: None,
        edits: Vec::new(),
        outcome: Some(search.outcome),
        probes: Vec::new(),
        weakens: Vec::new(),
        notes: Vec::new(),
    }
}

/// The principals a deny that applies exempts by name (`ArnNotEquals aws:PrincipalArn` and its
/// kin): making the request as one of them is a request change, not proved, since that
/// principal's own policies were not given.
fn principal_fixes(req: &Request, policies: &Policies) -> Vec<Fix> {
    let traced = authorize_traced(req, policies);
    let mut out: Vec<Fix> = Vec::new();
    for (_, p, s) in traced.trace.applied(Effect::Deny) {
        let Some(stmt) = crate::wire::statement(&p.policy, s.index) else { continue };
        for c in stmt.conditions() {
            let negated = matches!(
                c.operator().base,
                BaseOperator::ArnNotEquals
                    | BaseOperator::ArnNotLike
                    | BaseOperator::StringNotEquals
                    | BaseOperator::StringNotLike
            );
            if !negated || !c.key().eq_ignore_ascii_case("aws:PrincipalArn") {
                continue;
            }
            for v in c.values() {
                if v.contains(['*', '?', '$']) || out.iter().any(|f| f.principal.as_deref() == Some(v)) {
                    continue;
                }
                let sid = s.sid.as_deref().map(|s| format!(" {s:?}")).unwrap_or_default();
                out.push(Fix {
                    kind: FixKind::Request,
                    summary: format!(
                        "make the request as {v}, which statement {}{sid} of `{}` exempts",
                        s.index,
                        p.policy.name()
                    ),
                    context: Vec::new(),
                    principal: Some(v.clone()),
                    edits: Vec::new(),
                    outcome: None,
                    probes: Vec::new(),
                    weakens: Vec::new(),
                    notes: vec![format!(
                        "this principal's own policies were not given: whether they allow {} on {} is not decided here",
                        req.action(),
                        req.resource()
                    )],
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Grants and weakenings

/// Policies being edited, and the edits so far.
struct Working {
    policies: Policies,
    edits: Vec<Edit>,
    /// The policies neighbouring requests are compared with (AWS's default SCP or RCP attached
    /// where a level lacks any Allow, since restoring it is meant to change them).
    baseline: Policies,
}

impl Working {
    fn new(policies: &Policies) -> Working {
        Working { policies: policies.clone(), edits: Vec::new(), baseline: policies.clone() }
    }

    /// Applies an edit, merging it with an earlier edit of the same policy.
    fn record(&mut self, slot: Slot, before: Option<&Policy>, after: Policy, summary: String) {
        let after_text = after.source().to_string();
        let after = Arc::new(after);
        slots::set(&mut self.policies, slot, after.clone());
        if let Some(e) = self.edits.iter_mut().find(|e| e.slot == slot) {
            e.after = after_text;
            e.summary.push_str("; ");
            e.summary.push_str(&summary);
            return;
        }
        let before_text = before.map(|b| b.source().to_string()).unwrap_or_default();
        self.edits.push(Edit {
            slot,
            policy: after.name().to_string(),
            summary,
            before: before_text,
            after: after_text,
        });
    }
}

const FIX_NAME: &str = "iamspect-fix";

/// Attaches AWS's default policy to each SCP or RCP level that denies because it holds no Allow
/// at all (decision D46).
fn restore_levels(w: &mut Working, original: Outcome, notes: &mut Vec<String>) {
    for level in crate::levels::without_allow(&w.policies.clone()) {
        let (denier, t, text) = match level.layer {
            Layer::Rcp(_) => (Denier::Rcp, PolicyType::Rcp, iamspect_core::policy::RCP_FULL_AWS_ACCESS),
            _ => (Denier::Scp, PolicyType::Scp, iamspect_core::policy::FULL_AWS_ACCESS),
        };
        if !original.denied_by.contains(denier) {
            continue;
        }
        let Ok(default) = Policy::parse(level.default_policy, text, t) else { continue };
        let index = match level.layer {
            Layer::Rcp(l) => w.policies.rcps.as_ref().and_then(|v| v.get(l)).map_or(0, Vec::len),
            Layer::Scp(l) => w.policies.scps.as_ref().and_then(|v| v.get(l)).map_or(0, Vec::len),
            _ => 0,
        };
        let slot = Slot { layer: level.layer, index };
        slots::set(&mut w.baseline, slot, Arc::new(default.clone()));
        let summary = format!(
            "attach AWS's {} to this level, which has no Allow statement (AWS attaches it by default; or attach the Allow list your organization uses)",
            level.default_policy
        );
        w.record(slot, None, default, summary);
        notes.push(format!(
            "the neighbouring requests are compared with {} attached, as AWS has it by default",
            level.default_policy
        ));
    }
}

/// Gives each layer that lacks an allow exactly this action on this resource.
fn fill_gaps(req: &Request, w: &mut Working, cancel: &AtomicBool, notes: &mut Vec<String>) -> Result<(), Cancelled> {
    let trust = crate::message::is_trust_action(req.action());
    for _round in 0..3 {
        crate::check(cancel)?;
        let now = authorize(req, &w.policies);
        if now.decision != Decision::ImplicitDeny {
            break;
        }
        let mut progressed = false;
        for denier in now.denied_by.iter() {
            for slot in gap_slots(denier, &w.policies, req) {
                let current = slots::get(&w.policies, slot).cloned();
                match allow_exactly(req, current.as_deref(), slot, trust) {
                    Ok((policy, summary)) => {
                        w.record(slot, current.as_deref(), policy, summary);
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
    Ok(())
}

/// The grant fix: allows added where they are missing, for `req` (the request as it is, or as
/// changed by `context`).
fn grant(
    req: &Request,
    policies: &Policies,
    context: Vec<ContextEdit>,
    cancel: &AtomicBool,
    notes: &mut Vec<String>,
) -> Result<Option<Fix>, Cancelled> {
    let original = authorize(req, policies);
    if original.decision != Decision::ImplicitDeny {
        return Ok(None);
    }
    let mut w = Working::new(policies);
    restore_levels(&mut w, original, notes);
    fill_gaps(req, &mut w, cancel, notes)?;
    if w.edits.is_empty() {
        return Ok(None);
    }
    crate::check(cancel)?;
    let outcome = authorize(req, &w.policies);
    let probes = probes(req, &w.baseline, &w.policies, &[]);
    let mut summary: Vec<String> = context.iter().map(|c| describe_change(&c.key, &c.value)).collect();
    summary.extend(w.edits.iter().map(|e| e.summary.clone()));
    // An allow added beside one whose condition the request fails sidesteps that condition (an
    // external id, MFA, a source): that is a weakening of the guardrail, not a plain grant.
    let bypassed = bypassed_conditions(req, policies, &w.edits);
    let (kind, notes) = if bypassed.is_empty() {
        (FixKind::Grant, Vec::new())
    } else {
        (
            FixKind::Weakening,
            vec!["the added allow has no condition, so it lets this caller through without meeting the conditions the existing allow asks for".to_string()],
        )
    };
    Ok(Some(Fix {
        kind,
        summary: summary.join("; "),
        context,
        principal: None,
        edits: w.edits,
        outcome: Some(outcome),
        probes,
        weakens: bypassed,
        notes,
    }))
}

/// The allow statements of the edited policies that match the request but for a condition: what
/// an unconditional allow beside them sidesteps.
fn bypassed_conditions(req: &Request, policies: &Policies, edits: &[Edit]) -> Vec<String> {
    let traced = authorize_traced(req, policies);
    let mut out = Vec::new();
    for layer in &traced.trace.layers {
        for (index, p) in layer.policies.iter().enumerate() {
            if !edits.iter().any(|e| e.slot == Slot { layer: layer.layer, index }) {
                continue;
            }
            for s in &p.statements {
                let failed = matches!(
                    s.outcome,
                    iamspect_core::StatementOutcome::ConditionFailed(_)
                        | iamspect_core::StatementOutcome::ConditionTypeError(_)
                );
                if s.effect == Effect::Allow && !s.applied && failed {
                    let sid = s.sid.as_deref().map(|s| format!(" {s:?}")).unwrap_or_default();
                    let key = s.condition.as_ref().map(|c| format!(" on {}", c.key)).unwrap_or_default();
                    out.push(format!(
                        "the condition{key} of statement {}{sid} of `{}` ({})",
                        s.index,
                        p.policy.name(),
                        crate::wire::layer_words(layer.layer)
                    ));
                }
            }
        }
    }
    out
}

/// The weakening fix: the caller exempted from each deny that applies, and the allows it then
/// still lacks added.
fn weakening(
    req: &Request,
    policies: &Policies,
    cancel: &AtomicBool,
    notes: &mut Vec<String>,
) -> Result<Option<Fix>, Cancelled> {
    let original = authorize(req, policies);
    let trust = crate::message::is_trust_action(req.action());
    let mut w = Working::new(policies);
    restore_levels(&mut w, original, notes);
    let mut weakens = Vec::new();
    let mut weakened: Vec<Statement> = Vec::new();
    let traced = authorize_traced(req, &w.policies);
    for layer in &traced.trace.layers {
        for (index, p) in layer.policies.iter().enumerate() {
            let slot = Slot { layer: layer.layer, index };
            let t = layer_type(layer.layer, trust);
            let denying: Vec<_> = p.statements.iter().filter(|s| s.applied && s.effect == Effect::Deny).collect();
            if denying.is_empty() {
                continue;
            }
            crate::check(cancel)?;
            let name_of = |s: &iamspect_core::StatementTrace| {
                let sid = s.sid.as_deref().map(|s| format!(" {s:?}")).unwrap_or_default();
                format!(
                    "statement {}{sid} of `{}` ({})",
                    s.index,
                    p.policy.name(),
                    crate::wire::layer_words(layer.layer)
                )
            };
            let mut text =
                slots::get(&w.policies, slot).map_or_else(|| p.policy.source().to_string(), |c| c.source().to_string());
            let mut words = Vec::new();
            let mut done = Vec::new();
            // Decision D57: a NotPrincipal deny is lifted by naming what it misses.
            for s in &denying {
                let Some(d) = &s.not_principal else { continue };
                if d.boundary || d.missing.is_empty() {
                    // With a boundary the list cannot exempt the caller; a condition can.
                    notes.push(format!("{}: {}", name_of(s), crate::wire::not_principal_explanation(d)));
                    continue;
                }
                match patch::add_not_principal(&text, s.index, &d.missing) {
                    Ok(edited) => {
                        text = edited;
                        words.push(format!(
                            "add {} to `NotPrincipal` of statement {} ({})",
                            d.missing.join(", "),
                            s.index,
                            crate::wire::not_principal_explanation(d)
                        ));
                        done.push(*s);
                    }
                    Err(note) => notes.push(format!("{}: {note}", name_of(s))),
                }
            }
            // The other denying statements: the caller exempted from all of them in one edit.
            let rest: Vec<_> = denying.iter().filter(|s| !done.iter().any(|d| d.index == s.index)).copied().collect();
            if !rest.is_empty() {
                match exempt_caller(req, &text, &rest.iter().map(|s| s.index).collect::<Vec<_>>()) {
                    Ok((edited, w_)) => {
                        text = edited;
                        words.push(w_);
                        done.extend(rest);
                    }
                    Err(note) => notes.push(format!("`{}`: {note}", p.policy.name())),
                }
            }
            if done.is_empty() {
                continue;
            }
            match Policy::parse(p.policy.name(), &text, t) {
                Ok(policy) => {
                    let original_text = slots::get(policies, slot).cloned();
                    w.record(slot, original_text.as_deref(), policy, words.join("; "));
                    for s in done {
                        weakens.push(name_of(s));
                        if let Some(stmt) = crate::wire::statement(&p.policy, s.index) {
                            weakened.push(stmt.clone());
                        }
                    }
                }
                Err(e) => notes.push(format!("`{}`: the edited policy does not validate: {e}", p.policy.name())),
            }
        }
    }
    if w.edits.is_empty() {
        return Ok(None);
    }
    fill_gaps(req, &mut w, cancel, notes)?;
    crate::check(cancel)?;
    let outcome = authorize(req, &w.policies);
    let probes = probes(req, &w.baseline, &w.policies, &weakened);
    let summary = w.edits.iter().map(|e| e.summary.clone()).collect::<Vec<_>>().join("; ");
    Ok(Some(Fix {
        kind: FixKind::Weakening,
        summary,
        context: Vec::new(),
        principal: None,
        edits: w.edits,
        outcome: Some(outcome),
        probes,
        weakens,
        notes: vec!["this removes protection: every request of this caller that these statements deny is let through, not only this one (see the neighbouring requests)".to_string()],
    }))
}

/// Adds `ArnNotEquals aws:PrincipalArn <caller>` to each statement of `indexes`: conditions are
/// ANDed and a negated operator's values NORed, so the statements no longer apply to this caller.
fn exempt_caller(req: &Request, text: &str, indexes: &[usize]) -> Result<(String, String), String> {
    let Some(principal_arn) =
        req.context().iter().find(|(k, _)| k.eq_ignore_ascii_case("aws:PrincipalArn")).and_then(|(_, v)| v.first())
    else {
        return Err(format!(
            "the caller has no `aws:PrincipalArn` ({}), so no condition can exempt it; remove or narrow the statement",
            req.principal().arn()
        ));
    };
    let edits: Vec<(usize, &str, &str, &str)> =
        indexes.iter().map(|i| (*i, "ArnNotEquals", "aws:PrincipalArn", &**principal_arn)).collect();
    let edited = patch::add_condition_values(text, &edits)?;
    let list = indexes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let s = if indexes.len() == 1 { "" } else { "s" };
    Ok((edited, format!("exempt {principal_arn} from the deny of statement{s} {list}")))
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

fn unique_sid(policy: Option<&Policy>, base: &str) -> String {
    let taken = |sid: &str| policy.is_some_and(|p| p.statements().iter().any(|s| s.sid() == Some(sid)));
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|n| format!("{base}{n}")).find(|s| !taken(s)).unwrap_or_else(|| base.to_string())
}

/// A statement allowing exactly this action on exactly this resource, added to the policy at
/// `slot` (its own text, edited in place), or a new policy.
fn allow_exactly(req: &Request, policy: Option<&Policy>, slot: Slot, trust: bool) -> Result<(Policy, String), String> {
    let t = layer_type(slot.layer, trust);
    if t == PolicyType::Rcp {
        // Customer RCPs may only deny; a level without an allow lacks AWS's RCPFullAWSAccess,
        // which AWS attaches everywhere and which cannot be detached.
        let full = Policy::parse("RCPFullAWSAccess", iamspect_core::policy::RCP_FULL_AWS_ACCESS, PolicyType::Rcp)
            .map_err(|e| e.to_string())?;
        return Ok((full, "attach AWS's RCPFullAWSAccess to this level, as AWS always does".to_string()));
    }
    let version_2012 = policy.is_none_or(|p| p.version() == Some(iamspect_core::Version::V2012_10_17));
    let resource = match req.resource() {
        // Actions without resource-level permissions are authorized on `*` alone.
        "*" => "*".to_string(),
        r if version_2012 => literal_resource(r),
        r => r.to_string(),
    };
    let mut stmt = Map::new();
    stmt.insert("Sid".into(), json!(unique_sid(policy, "IamspectFix")));
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
    let stmt = Value::Object(stmt);
    let (name, text) = match policy {
        Some(p) => (p.name().to_string(), patch::add_statement(p.source(), &stmt)?),
        None => {
            let doc = json!({"Version": "2012-10-17", "Statement": [stmt]});
            (FIX_NAME.to_string(), serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n")
        }
    };
    let what = match t {
        PolicyType::Resource | PolicyType::Trust => {
            format!("allow {} to {} in the {}", req.principal().arn(), req.action(), t.description())
        }
        _ => format!("allow {} on {} in the {}", req.action(), req.resource(), t.description()),
    };
    Policy::parse(&name, &text, t).map(|p| (p, what)).map_err(|e| format!("the edited policy does not validate: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Neighbouring requests

/// Requests next to the denied one, decided with `before` and `after`: other actions of the
/// service from AWS's catalogue (those the weakened statements cover first), and a sibling
/// resource of the same type.
fn probes(req: &Request, before: &Policies, after: &Policies, weakened: &[Statement]) -> Vec<Probe> {
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
    for action in neighbour_actions(req, weakened) {
        try_probe(action, req.resource().to_string());
    }
    // A role's trust policy governs only that role, so other resources are not probes for it.
    if req.resource() != "*"
        && !crate::message::is_trust_action(req.action())
        && let Some(sibling) = sibling_resource(req)
    {
        try_probe(req.action().to_string(), sibling);
    }
    out
}

/// Up to three other actions of the request's service, from AWS's catalogue: those the weakened
/// statements cover and that act on the same resource type first, then the catalogue's
/// neighbours of the action.
fn neighbour_actions(req: &Request, weakened: &[Statement]) -> Vec<String> {
    let catalog = iamspect_catalog::Catalog::get();
    let Some(service) = catalog.service(req.service()) else { return Vec::new() };
    let own = catalog.action(req.action());
    let own_types: Vec<&str> = own.map(|a| a.resource_types().map(|r| r.name()).collect()).unwrap_or_default();
    let full = |a: &iamspect_catalog::Action<'_>| format!("{}:{}", service.prefix(), a.name());
    let same_type = |a: &iamspect_catalog::Action<'_>| {
        own_types.is_empty() || a.resource_types().any(|r| own_types.contains(&r.name()))
    };
    let mut out: Vec<String> = Vec::new();
    let actions: Vec<_> = service.actions().filter(|a| a.is_current()).collect();
    for a in &actions {
        let name = full(a);
        if out.len() >= 3 {
            break;
        }
        if !name.eq_ignore_ascii_case(req.action())
            && same_type(a)
            && !weakened.is_empty()
            && weakened.iter().any(|s| s.covers_action(&name))
        {
            out.push(name);
        }
    }
    if out.is_empty() {
        let at = actions.iter().position(|a| full(a).eq_ignore_ascii_case(req.action())).unwrap_or(0);
        for a in actions.iter().skip(at.saturating_sub(2)).take(6) {
            let name = full(a);
            if out.len() < 3 && !name.eq_ignore_ascii_case(req.action()) && same_type(a) {
                out.push(name);
            }
        }
    }
    out
}

/// The resource with its last name replaced: another object of the bucket, another role of the
/// account. The replacement names the catalogue's variable (`another-object-name`).
fn sibling_resource(req: &Request) -> Option<String> {
    let resource = req.resource();
    if !resource.starts_with("arn:") || resource.contains(['*', '?']) {
        return None;
    }
    let cut = resource.rfind(['/', ':'])?;
    let (head, tail) = resource.split_at(cut + 1);
    if tail.is_empty() {
        return None;
    }
    let variable = last_variable(req).unwrap_or("name");
    let mut words = String::new();
    for (i, c) in variable.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push('-');
        }
        words.push(c.to_ascii_lowercase());
    }
    Some(format!("{head}another-{words}"))
}

/// The last `${Variable}` of the ARN format of the action's first resource type.
fn last_variable(req: &Request) -> Option<&'static str> {
    let catalog = iamspect_catalog::Catalog::get();
    let action = catalog.action(req.action())?;
    let formats: Vec<&'static str> =
        action.resource_types().flat_map(|r| r.resource_type().arn_formats().iter().copied()).collect();
    let format = formats.first()?;
    let start = format.rfind("${")?;
    let name = format.get(start + 2..)?;
    name.split('}').next()
}

/// Context values that allow a request denied without them: a principal whose policies allow the
/// action under a condition is asked again with the values the conditions name (decision D84);
/// keys the question or the principal fixes stay. Shared by `who-can` and `paths`.
pub fn conditional_grant_values(
    req: &iamspect_core::Request,
    policies: &iamspect_core::Policies,
) -> Option<Vec<(String, String)>> {
    let fixed = |key: &str| {
        let k = key.to_ascii_lowercase();
        req.context().contains(key)
            || k.starts_with("aws:principal")
            || k.starts_with("aws:resource")
            || matches!(k.as_str(), "aws:userid" | "aws:username" | "aws:currenttime" | "aws:epochtime")
    };
    let as_pairs =
        |edits: Vec<ContextEdit>| -> Vec<(String, String)> { edits.into_iter().map(|e| (e.key, e.value)).collect() };
    // `aws:TokenIssueTime` is never searched for: a session issued long ago has expired.
    // Temporary credentials issued now carry it (a role's sessions always do; a user's only
    // with temporary credentials), so that is the one value tried.
    let no_token_time = |key: &str| !fixed(key) && !key.eq_ignore_ascii_case("aws:TokenIssueTime");
    if let Some(edits) = context_that_allows(req, policies, &no_token_time) {
        return Some(as_pairs(edits));
    }
    if req.context().contains("aws:TokenIssueTime") {
        return None;
    }
    let now = req.context().iter().find(|(k, _)| k.eq_ignore_ascii_case("aws:CurrentTime"))?.1.first()?.to_string();
    let mut ctx = req.context().clone();
    ctx.insert("aws:TokenIssueTime", vec![now.clone()]);
    let fresh =
        iamspect_core::Request::new(req.principal().clone(), req.action(), req.resource(), req.resource_account(), ctx)
            .ok()?;
    let edits = if iamspect_core::authorize(&fresh, policies).decision == iamspect_core::Decision::Allowed {
        Vec::new()
    } else {
        context_that_allows(&fresh, policies, &no_token_time)?
    };
    let mut out = vec![("aws:TokenIssueTime".to_string(), now)];
    out.extend(as_pairs(edits));
    Some(out)
}
