//! The structured trace: per layer (policy type, and SCP/RCP level), each policy's statements and
//! what each did, with the failing element or condition and the values compared; plus the
//! condition keys the policies look at that the request does not carry.
//!
//! The authorizer reports only small `Copy` outcomes to a [`Tracer`]; the details are rebuilt here
//! afterwards, so the untraced path pays nothing.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::Policies;
use super::statement::StatementOutcome;
use crate::condition::Operator;
use crate::policy::{Effect, Policy};
use crate::request::Request;
use crate::span::Span;

/// Where in the evaluation a policy sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// RCPs at this level (0 = organization root).
    Rcp(usize),
    /// SCPs at this level (0 = organization root).
    Scp(usize),
    /// The VPC endpoint policy.
    VpcEndpoint,
    /// The resource-based policy.
    Resource,
    /// Identity-based policies.
    Identity,
    /// The permissions boundary.
    PermissionsBoundary,
    /// Session policies.
    Session,
}

impl Layer {
    /// A short name: `scp[1]`, `identity`, ...
    pub fn name(self) -> String {
        match self {
            Layer::Rcp(i) => format!("rcp[{i}]"),
            Layer::Scp(i) => format!("scp[{i}]"),
            Layer::VpcEndpoint => "vpcEndpoint".to_string(),
            Layer::Resource => "resource".to_string(),
            Layer::Identity => "identity".to_string(),
            Layer::PermissionsBoundary => "permissionsBoundary".to_string(),
            Layer::Session => "session".to_string(),
        }
    }
}

/// What a layer said as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerVerdict {
    /// A matching `Deny`.
    Denies,
    /// A matching `Allow` and no matching `Deny`.
    Allows,
    /// No matching statement.
    NoAllow,
    /// The layer does not apply to this request.
    NotApplicable,
}

/// A failed (or unreadable) condition, with the values compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionDetail {
    /// Index of the condition in the statement.
    pub index: usize,
    /// The operator.
    pub operator: Operator,
    /// The key as written.
    pub key: String,
    /// The policy values as written.
    pub policy_values: Vec<String>,
    /// The request's values; `None` when the key is missing.
    pub request_values: Option<Vec<String>>,
    /// The key's span in the policy.
    pub span: Span,
}

/// One statement's part in the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementTrace {
    /// Index in the policy's statement list.
    pub index: usize,
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// What happened.
    pub outcome: StatementOutcome,
    /// True if the statement took effect.
    pub applied: bool,
    /// For a failed condition, the details.
    pub condition: Option<ConditionDetail>,
    /// For a `NotPrincipal` deny that applies, why it reaches the caller (decision D57).
    pub not_principal: Option<super::statement::NotPrincipalDetail>,
    /// The statement's bytes in the policy source.
    pub span: Span,
}

/// One policy's statements.
#[derive(Clone, Debug)]
pub struct PolicyTrace {
    /// The policy.
    pub policy: Arc<Policy>,
    /// Its statements in document order.
    pub statements: Vec<StatementTrace>,
}

/// One layer of the evaluation.
#[derive(Clone, Debug)]
pub struct LayerTrace {
    /// Which layer.
    pub layer: Layer,
    /// What it said.
    pub verdict: LayerVerdict,
    /// Its policies.
    pub policies: Vec<PolicyTrace>,
}

/// The whole trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Layers in evaluation order.
    pub layers: Vec<LayerTrace>,
    /// Condition keys referenced by the applicable policies (in conditions or variables) that the
    /// request does not carry, as first written.
    pub missing_context_keys: Vec<String>,
    /// The rule that refuses the request whatever the policies say (decision D51), if one does.
    pub protected: Option<super::Protected>,
    /// The index in [`super::Policies::kms_grants`] of the first grant that allows the request
    /// (decision D135), whether or not the decision is an allow.
    pub kms_grant: Option<usize>,
    /// For a request through an S3 access point, the bucket's evaluation (decision D138).
    pub access_point: Option<AccessPointTrace>,
}

/// The bucket's side of a request through an S3 access point.
#[derive(Clone, Debug)]
pub struct AccessPointTrace {
    /// What the bucket's evaluation decided.
    pub bucket_outcome: super::Outcome,
    /// Its trace.
    pub bucket: Box<Trace>,
    /// The request comes from outside the VPC of a VPC-only access point.
    pub outside_vpc: bool,
}

impl Trace {
    /// The statements that took effect with the given effect, with their layer.
    pub fn applied(&self, effect: Effect) -> impl Iterator<Item = (&LayerTrace, &PolicyTrace, &StatementTrace)> {
        self.layers.iter().flat_map(move |l| {
            l.policies.iter().flat_map(move |p| {
                p.statements.iter().filter(move |s| s.applied && s.effect == effect).map(move |s| (l, p, s))
            })
        })
    }
}

/// Receives every statement outcome and which layers apply.
pub(crate) trait Tracer {
    /// True when the tracer wants every statement, including those the action index skips (they
    /// are reported as [`StatementOutcome::ActionNotMatched`]).
    const RECORDS: bool;
    /// True to test every statement instead of the action index's candidates: the reference the
    /// index is checked against.
    const FULL_SCAN: bool = false;
    fn statement(&mut self, layer: Layer, policy_idx: usize, stmt_idx: usize, outcome: StatementOutcome);
    fn applicable(&mut self, layer: Layer, applicable: bool);
}

/// The tracer of the fast path.
pub(crate) struct NoTrace;

impl Tracer for NoTrace {
    const RECORDS: bool = false;
    #[inline(always)]
    fn statement(&mut self, _: Layer, _: usize, _: usize, _: StatementOutcome) {}
    #[inline(always)]
    fn applicable(&mut self, _: Layer, _: bool) {}
}

/// The fast path's tracer, testing every statement (the reference for the action index).
pub(crate) struct FullScan;

impl Tracer for FullScan {
    const RECORDS: bool = false;
    const FULL_SCAN: bool = true;
    #[inline(always)]
    fn statement(&mut self, _: Layer, _: usize, _: usize, _: StatementOutcome) {}
    #[inline(always)]
    fn applicable(&mut self, _: Layer, _: bool) {}
}

/// Records outcomes for [`Recorder::finish`].
#[derive(Default)]
pub(crate) struct Recorder {
    outcomes: Vec<(Layer, usize, usize, StatementOutcome)>,
    applicable: Vec<(Layer, bool)>,
}

impl Tracer for Recorder {
    const RECORDS: bool = true;
    fn statement(&mut self, layer: Layer, policy_idx: usize, stmt_idx: usize, outcome: StatementOutcome) {
        self.outcomes.push((layer, policy_idx, stmt_idx, outcome));
    }
    fn applicable(&mut self, layer: Layer, applicable: bool) {
        self.applicable.push((layer, applicable));
    }
}

impl Recorder {
    pub(crate) fn finish(self, req: &Request, policies: &Policies) -> Trace {
        let mut layers = Vec::new();
        let mut layer_list: Vec<(Layer, Vec<Arc<Policy>>)> = Vec::new();
        if let Some(levels) = &policies.rcps {
            layer_list.extend(levels.iter().enumerate().map(|(i, l)| (Layer::Rcp(i), l.clone())));
        }
        if let Some(levels) = &policies.scps {
            layer_list.extend(levels.iter().enumerate().map(|(i, l)| (Layer::Scp(i), l.clone())));
        }
        layer_list.push((Layer::VpcEndpoint, policies.vpc_endpoint.iter().cloned().collect()));
        layer_list.push((Layer::Resource, policies.resource.iter().cloned().collect()));
        layer_list.push((Layer::Identity, policies.identity.clone()));
        layer_list.push((Layer::PermissionsBoundary, policies.permissions_boundary.iter().cloned().collect()));
        layer_list.push((Layer::Session, policies.session.clone()));

        // Each statement's outcome, found by key: a scan of the outcomes per statement would cost
        // the square of the number of statements.
        let mut recorded: HashMap<(Layer, usize, usize), StatementOutcome> =
            HashMap::with_capacity(self.outcomes.len());
        for &(layer, policy_idx, stmt_idx, outcome) in &self.outcomes {
            recorded.entry((layer, policy_idx, stmt_idx)).or_insert(outcome);
        }
        let mut missing = BTreeSet::new();
        for (layer, list) in layer_list {
            let applicable = self.applicable.iter().rev().find(|(l, _)| *l == layer).is_some_and(|(_, a)| *a);
            if list.is_empty() && !applicable {
                continue;
            }
            let mut policy_traces = Vec::new();
            let (mut any_deny, mut any_allow) = (false, false);
            for (pi, policy) in list.iter().enumerate() {
                let mut statements = Vec::new();
                for stmt in &policy.statements {
                    let Some(&outcome) = recorded.get(&(layer, pi, stmt.index)) else {
                        continue;
                    };
                    let applied = outcome.applies(stmt.effect);
                    any_deny |= applied && stmt.effect == Effect::Deny;
                    any_allow |= applied && stmt.effect == Effect::Allow;
                    let condition = match outcome {
                        StatementOutcome::ConditionFailed(i) | StatementOutcome::ConditionTypeError(i) => {
                            stmt.conditions.get(i).map(|c| ConditionDetail {
                                index: i,
                                operator: c.operator,
                                key: c.key.clone(),
                                policy_values: c.raw_values.clone(),
                                request_values: req
                                    .context
                                    .get(&c.key_lower)
                                    .map(|vs| vs.iter().map(|v| v.to_string()).collect()),
                                span: c.key_span,
                            })
                        }
                        _ => None,
                    };
                    // Keys the statement would look at once its action and resource match.
                    if !matches!(outcome, StatementOutcome::ActionNotMatched | StatementOutcome::ResourceNotMatched) {
                        for c in &stmt.conditions {
                            if req.context.get(&c.key_lower).is_none() {
                                missing.insert((c.key_lower.to_string(), c.key.clone()));
                            }
                            for v in c.variable_keys() {
                                if req.context.get(v).is_none() {
                                    missing.insert((v.to_string(), v.to_string()));
                                }
                            }
                        }
                    }
                    let not_principal = match &stmt.principal {
                        Some(block) if block.not && applied && stmt.effect == Effect::Deny => {
                            let has_boundary = req.principal.is_iam()
                                && !matches!(req.principal.kind, crate::request::PrincipalKind::Root { .. })
                                && policies.permissions_boundary.is_some();
                            Some(super::statement::not_principal_detail(block, req, has_boundary))
                        }
                        _ => None,
                    };
                    statements.push(StatementTrace {
                        not_principal,
                        index: stmt.index,
                        sid: stmt.sid.clone(),
                        effect: stmt.effect,
                        outcome,
                        applied,
                        condition,
                        span: stmt.span,
                    });
                }
                policy_traces.push(PolicyTrace { policy: policy.clone(), statements });
            }
            let verdict = if !applicable {
                LayerVerdict::NotApplicable
            } else if any_deny {
                LayerVerdict::Denies
            } else if any_allow || matches!(layer, Layer::Rcp(_)) {
                // Decision D58: every RCP level holds RCPFullAWSAccess, written out or not.
                LayerVerdict::Allows
            } else {
                LayerVerdict::NoAllow
            };
            layers.push(LayerTrace { layer, verdict, policies: policy_traces });
        }
        let mut seen = BTreeSet::new();
        let missing_context_keys =
            missing.into_iter().filter(|(lower, _)| seen.insert(lower.clone())).map(|(_, key)| key).collect();
        let protected = super::protected::protected(req, policies.kms_aws_managed_key);
        let kms_grant =
            if policies.kms_grants.is_empty() { None } else { super::kms::allowing_grant(&policies.kms_grants, req) };
        Trace { layers, missing_context_keys, protected, kms_grant, access_point: None }
    }
}
