//! Reasoning over all requests at once: does a policy allow any request another does not, can it
//! allow any of some actions. A set of policies compiles to a formula over the request (action,
//! resource, and each context key's presence and values); a purpose-built procedure decides it
//! (classes of strings from glob automata, regions of numbers, dates and IP addresses, and a DPLL
//! search over the atoms, decision D65) and gives a witness request. Every witness is decided again
//! by `iamspect-core` before it is reported ([`harness`]); a construct this crate cannot decide
//! exactly makes the answer [`Unknown`], naming it, never a guess.
//!
//! Like the core, this crate is pure: no file, network, environment or clock.
#![deny(missing_docs)]

#[cfg(feature = "checks")]
pub mod checks;
mod compile;
mod formula;
mod glob;
pub mod harness;
#[cfg(feature = "impact")]
pub mod impact;
mod principal;
pub mod residual;
mod scp_impact;
mod solve;
mod typed;

use foldhash::{HashMap, HashMapExt};

use iamspect_core::{Policy, PolicyType, Statement};

use compile::{Builder, Domain, Lang, Proto};
use formula::F;
pub use scp_impact::{OrgChange, PrincipalSide};
use solve::{Atom, AtomKind, Bits, Solver, Var};

/// A construct the symbolic core cannot decide exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Unknown {
    /// What could not be decided, in words.
    pub construct: String,
    /// The policy name, statement index and `Sid` where it was met, when known.
    pub statement: Option<(String, usize, Option<String>)>,
}

impl Unknown {
    pub(crate) fn new(construct: String) -> Unknown {
        Unknown { construct, statement: None }
    }

    pub(crate) fn at(mut self, stmt: &Statement) -> Unknown {
        if self.statement.is_none() {
            self.statement = Some((String::new(), stmt.index(), stmt.sid().map(str::to_string)));
        }
        self
    }

    pub(crate) fn in_policy(mut self, name: &str) -> Unknown {
        if let Some((p, _, _)) = &mut self.statement
            && p.is_empty()
        {
            *p = name.to_string();
        }
        self
    }
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.construct)?;
        if let Some((policy, index, sid)) = &self.statement {
            write!(f, " (policy `{policy}`, statement {index}")?;
            if let Some(sid) = sid {
                write!(f, " `{sid}`")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A request the formula allows: the action, the resource (an ARN or `*`), and the context keys
/// with their values (absent keys are not listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// `service:action`, lower case unless a preferred spelling was found.
    pub action: String,
    /// An ARN or `*`.
    pub resource: String,
    /// Context keys as first written, each with one or more values.
    pub context: Vec<(String, Vec<String>)>,
    /// The caller, as the case format writes it, when the policies name principals (otherwise
    /// the harness's role session).
    pub principal: Option<String>,
    /// The resource's account, when the policies name principals.
    pub resource_account: Option<String>,
}

/// The policy types whose statements name principals: the caller is reasoned about (D66).
fn reads_callers(t: PolicyType) -> bool {
    matches!(t, PolicyType::Resource | PolicyType::Trust | PolicyType::Rcp | PolicyType::VpcEndpoint)
}

/// Context keys AWS puts in every request of an IAM principal (and the engine fills in): they are
/// never absent, whatever their values.
const ALWAYS_PRESENT: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:PrincipalIsAWSService",
    "aws:ResourceAccount",
];

/// A question over all requests, compiled and ready to solve.
#[derive(Clone, Debug)]
pub struct Query {
    b: Builder,
    root: F,
    policy_type: PolicyType,
}

/// Options for [`Query::solve`].
#[derive(Clone, Debug, Default)]
pub struct SolveOptions<'a> {
    /// At most this many witnesses, each with a different action where possible.
    pub max_witnesses: usize,
    /// Real action names (`s3:GetObject`) to show instead of made-up ones when one fits.
    pub preferred_actions: &'a [String],
}

fn allows_as(b: &mut Builder, policy: &Policy, t: PolicyType) -> Result<F, Unknown> {
    let at = |e: Unknown| e.in_policy(policy.name());
    match t {
        PolicyType::Rcp => {
            // Decision D58: every level holds `RCPFullAWSAccess`, so only the denies decide; and
            // an RCP applies only to the services RCPs support, never to `kms:RetireGrant`
            // (the core's `authorizer`).
            let (_, deny) = b.allow_deny(policy).map_err(at)?;
            let services: Vec<String> =
                iamspect_core::rcp_supported_services().iter().map(|s| format!("{s}:*")).collect();
            let s: Vec<&str> = services.iter().map(String::as_str).collect();
            let supported = b.action_in(&s)?;
            let retire = b.action_in(&["kms:RetireGrant"])?;
            let not_retire = b.f.not(retire);
            let applies = b.f.and(vec![supported, not_retire, deny]);
            Ok(b.f.not(applies))
        }
        _ => b.allows(policy).map_err(at),
    }
}

/// For policies that name principals: the callers, and what requests of each kind of caller carry.
fn with_callers(b: &mut Builder, policies: &[&Policy], t: PolicyType) -> Result<(), Unknown> {
    if reads_callers(t) {
        b.candidates = Some(principal::Candidates::new(policies)?);
    }
    Ok(())
}

/// Constraints on requests that follow from the caller (decision D66): principal tags and
/// organization keys only on IAM callers' requests, `aws:Source*` keys only on services' requests;
/// a role trust policy decides only the trust actions on the role.
fn caller_constraints(b: &mut Builder, t: PolicyType) -> Result<Vec<F>, Unknown> {
    let Some(c) = b.candidates.clone() else { return Ok(Vec::new()) };
    let mut parts = Vec::new();
    let names: Vec<(u32, String)> =
        b.keys.iter().enumerate().map(|(i, k)| (i as u32, k.name.to_ascii_lowercase())).collect();
    for (k, name) in names {
        let allowed: Option<Box<dyn Fn(usize) -> bool>> = if principal::IAM_ONLY.iter().any(|p| name.starts_with(p)) {
            Some(Box::new(|i| c.is_iam(i)))
        } else if principal::SERVICE_ONLY.contains(&name.as_str()) {
            Some(Box::new(|i| c.is_service(i)))
        } else {
            None
        };
        if let Some(allowed) = allowed {
            let present = b.present(k);
            let absent = b.f.not(present);
            let ok = b.principal_in(allowed);
            parts.push(b.f.or(vec![absent, ok]));
        }
    }
    if t == PolicyType::Trust {
        // Decision D17: the root user cannot assume roles.
        parts.push(b.principal_in(|i| !c.is_root(i)));
        let actions = [
            "sts:AssumeRole",
            "sts:AssumeRoleWithSAML",
            "sts:AssumeRoleWithWebIdentity",
            "sts:TagSession",
            "sts:SetSourceIdentity",
        ];
        parts.push(b.action_in(&actions)?);
        let role = format!("arn:aws:iam::{}:role/*", c.resource_account);
        parts.push(b.resource_in(&[role.as_str()], false)?);
    }
    Ok(parts)
}

/// `sts:GetCallerIdentity` by a signed caller, which needs no permission (decision D18).
fn free_call(b: &mut Builder) -> Result<F, Unknown> {
    let gci = b.action_in(&["sts:GetCallerIdentity"])?;
    let signed = match b.candidates.clone() {
        Some(c) => b.principal_in(|i| !c.is_anonymous(i)),
        None => b.f.constant(true),
    };
    Ok(b.f.and(vec![gci, signed]))
}

/// The request is one AWS refuses whatever the policies say (decision D51, the core's
/// `protected_rules`): never allowed, so never new access and never granted.
fn protected(b: &mut Builder) -> Result<F, Unknown> {
    let mut alts = Vec::new();
    for (actions, resources) in iamspect_core::protected_rules() {
        let a: Vec<&str> = actions.iter().map(String::as_str).collect();
        let act = b.action_in(&a)?;
        let res = b.resource_in(&resources, false)?;
        let not_service = match b.candidates.clone() {
            Some(c) => b.principal_in(|i| !c.is_service(i)),
            None => b.f.constant(true),
        };
        alts.push(b.f.and(vec![act, res, not_service]));
    }
    let any = b.f.or(alts);
    Ok(b.f.not(any))
}

/// What a resource type's policy decides, for `check-no-public-access`: the actions' service
/// prefixes and the shapes of its resources (`{account}` stands for the resource's account).
#[derive(Clone, Debug)]
pub struct ResourceKind {
    /// The policy type its policy is read as.
    pub policy_type: PolicyType,
    /// Action patterns the resource's policy can decide.
    pub actions: Vec<String>,
    /// Resource ARN patterns, with `{account}` for the resource's account.
    pub resources: Vec<String>,
}

impl Query {
    /// Requests that `new` allows and `existing` does not, both read as policies of type `t`
    /// (Access Analyzer's `CheckNoNewAccess`). `sts:GetCallerIdentity` needs no permission
    /// (decision D18), so it is never new access.
    pub fn no_new_access(new: &Policy, existing: &Policy, t: PolicyType) -> Result<Query, Unknown> {
        let mut b = Builder::default();
        with_callers(&mut b, &[new, existing], t)?;
        let n = allows_as(&mut b, new, t)?;
        // Only the actions the new policy may allow matter: the existing policy's other action
        // patterns are left out, which keeps a large existing policy cheap.
        b.scope_actions_to(n);
        let o = allows_as(&mut b, existing, t)?;
        b.action_scope = None;
        b.scope_services = None;
        let not_o = b.f.not(o);
        let free = free_call(&mut b)?;
        let not_gci = b.f.not(free);
        let mut parts = vec![n, not_o, not_gci, protected(&mut b)?];
        parts.extend(caller_constraints(&mut b, t)?);
        let root = b.f.and(parts);
        Ok(Query { b, root, policy_type: t })
    }

    /// Requests that `policy` allows for one of `actions` (patterns as in `Action`) and, when given,
    /// on one of `resources` (patterns as in `Resource`) (Access Analyzer's `CheckAccessNotGranted`).
    /// `sts:GetCallerIdentity` needs no permission (decision D18): every policy lets it through.
    pub fn access_granted(
        policy: &Policy,
        actions: &[&str],
        resources: Option<&[&str]>,
        t: PolicyType,
    ) -> Result<Query, Unknown> {
        let mut b = Builder::default();
        with_callers(&mut b, &[policy], t)?;
        let policy_allows = allows_as(&mut b, policy, t)?;
        let free = free_call(&mut b)?;
        let allows = b.f.or(vec![policy_allows, free]);
        let a = b.action_in(actions)?;
        let r = match resources {
            Some(rs) => b.resource_in(rs, false)?,
            None => b.f.constant(true),
        };
        let mut parts = vec![allows, a, r, protected(&mut b)?];
        parts.extend(caller_constraints(&mut b, t)?);
        let root = b.f.and(parts);
        Ok(Query { b, root, policy_type: t })
    }

    /// Requests of a caller outside the resource's account that `policy` allows: anonymous callers,
    /// identity-provider users, and callers of any account the policy does not name (decision
    /// D67); with `organization`, only callers whose `aws:PrincipalOrgID` is not it.
    pub fn public_access(policy: &Policy, kind: &ResourceKind, organization: Option<&str>) -> Result<Query, Unknown> {
        let t = kind.policy_type;
        if !matches!(t, PolicyType::Resource | PolicyType::Trust) {
            return Err(Unknown::new(format!("public access through a {}", t.description())));
        }
        let mut b = Builder::default();
        with_callers(&mut b, &[policy], t)?;
        let allows = allows_as(&mut b, policy, t)?;
        let Some(c) = b.candidates.clone() else {
            return Err(Unknown::new("internal: no callers".into()));
        };
        let outside = b.principal_in(|i| c.is_outside(i));
        let mut parts = vec![allows, outside, protected(&mut b)?];
        if t == PolicyType::Resource {
            let actions: Vec<&str> = kind.actions.iter().map(String::as_str).collect();
            parts.push(b.action_in(&actions)?);
            let resources: Vec<String> =
                kind.resources.iter().map(|r| r.replace("{account}", &c.resource_account)).collect();
            let rs: Vec<&str> = resources.iter().map(String::as_str).collect();
            parts.push(b.resource_in(&rs, false)?);
        }
        // The VPC endpoints and VPCs a policy names are the resource owner's: an outside caller's
        // request does not come through them (decision D67).
        for key in ["aws:SourceVpce", "aws:SourceVpc"] {
            let lower = key.to_ascii_lowercase();
            let Some(k) = b.keys.iter().position(|kk| kk.name.to_ascii_lowercase() == lower) else { continue };
            let literal: Vec<u32> = b.keys.get(k).map_or(Vec::new(), |kk| {
                kk.patterns
                    .globs
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.iter().all(|p| matches!(p, glob::Piece::Lit(_))))
                    .map(|(i, _)| i as u32)
                    .collect()
            });
            if !literal.is_empty() {
                let named = b.exists(k as u32, Lang::Str(literal));
                parts.push(b.f.not(named));
            }
        }
        if let Some(org) = organization {
            for (key, value) in [("aws:PrincipalOrgID", org.to_string()), ("aws:PrincipalOrgPaths", format!("{org}/*"))]
            {
                let k = b.key(key);
                let g = glob::parse(&value, true, false, false)?;
                let id = b.keys.get_mut(k as usize).map(|kk| kk.patterns.add(g));
                if let Some(id) = id {
                    let inside = b.exists(k, Lang::Str(vec![id]));
                    parts.push(b.f.not(inside));
                }
            }
        }
        parts.extend(caller_constraints(&mut b, t)?);
        let root = b.f.and(parts);
        Ok(Query { b, root, policy_type: t })
    }

    /// The same question, asked only about requests that AWS's catalogue lets a case file make
    /// (decision D54), so that a counterexample reads as a case `iamspect eval` accepts.
    pub fn restricted(&self, shape: &Shape) -> Result<Query, Unknown> {
        let mut q = self.clone();
        let b = &mut q.b;
        let mut parts = vec![q.root, b.action_in(&[shape.action.as_str()])?];
        parts.push(match &shape.resource_formats {
            None => b.resource_is_star(),
            Some(formats) => b.resource_in_formats(formats, &shape.partition, &shape.account)?,
        });
        for k in &shape.absent_keys {
            let key = b.key(k);
            let p = b.present(key);
            parts.push(b.f.not(p));
        }
        for k in &shape.single_keys {
            let key = b.key(k);
            if let Some(kk) = b.keys.get_mut(key as usize) {
                kk.one = true;
            }
        }
        for k in &shape.arn_keys {
            let key = b.key(k);
            let all_arns = b.values_in(key, glob::arn_shape());
            parts.push(all_arns);
        }
        for key in 0..b.keys.len() as u32 {
            if b.keys.get(key as usize).is_some_and(|k| k.domain.is_some_and(|d| d != Domain::String)) {
                let junk = b.junk(key);
                parts.push(b.f.not(junk));
            }
        }
        q.root = q.b.f.and(parts);
        Ok(q)
    }

    /// The resource's account the question assumes, when it reasons about callers (an account no
    /// policy names, or the one `aws:ResourceAccount` conditions name).
    pub fn resource_account(&self) -> Option<&str> {
        self.b.candidates.as_ref().map(|c| c.resource_account.as_str())
    }

    /// The condition keys the question looks at, as first written.
    pub fn context_keys(&self) -> Vec<String> {
        self.b.keys.iter().map(|k| k.name.clone()).collect()
    }

    /// True when the policies cannot tell the two actions apart (they match the same patterns).
    pub fn same_action_class(&self, a: &str, b: &str) -> bool {
        let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
        self.b.actions.globs.iter().all(|g| glob::matches(g, &a) == glob::matches(g, &b))
    }

    /// For each action name, which of the policies' action patterns match it (as bits): names with
    /// the same bits are in one class. Patterns that start with a literal service prefix are only
    /// tried on names of that service, which keeps the whole catalogue cheap.
    pub fn action_signatures(&self, names: &[&str]) -> Vec<Vec<u64>> {
        let globs = &self.b.actions.globs;
        let words = globs.len().div_ceil(64).max(1);
        let mut by_service: HashMap<String, Vec<usize>> = HashMap::new();
        let mut anywhere: Vec<usize> = Vec::new();
        for (i, g) in globs.iter().enumerate() {
            let start: String = g
                .iter()
                .map_while(|p| match p {
                    glob::Piece::Lit(c) => Some(*c),
                    _ => None,
                })
                .collect();
            match start.split_once(':') {
                Some((service, _)) => by_service.entry(service.to_string()).or_default().push(i),
                None => anywhere.push(i),
            }
        }
        names
            .iter()
            .map(|n| {
                let lower = n.to_ascii_lowercase();
                let service = lower.split(':').next().unwrap_or("");
                let mut bits = vec![0u64; words];
                for &i in by_service.get(service).into_iter().flatten().chain(anywhere.iter()) {
                    if globs.get(i).is_some_and(|g| glob::matches(g, &lower)) {
                        solve::set_bit(&mut bits, i);
                    }
                }
                bits
            })
            .collect()
    }

    /// The policy type the question reads its policies as.
    pub fn policy_type(&self) -> PolicyType {
        self.policy_type
    }

    /// Witness requests, none when no request satisfies the question. `accept` is asked about each
    /// witness (the caller confirms it with the engine); a rejected witness is set aside and the
    /// search goes on elsewhere. Errors when a construct cannot be decided exactly.
    pub fn solve(&self, opts: &SolveOptions<'_>, mut accept: impl FnMut(&Witness) -> bool) -> Result<Solved, Unknown> {
        let low = Lowered::new(&self.b, self.root)?;
        let mut f = self.b.f.clone();
        f.remap(&low.map);
        let mut vars = low.vars.clone();
        let mut found = Vec::new();
        let mut rejected = Vec::new();
        // The construct of a rejected witness whose model set an atom not decided exactly
        // (decision D153): the answer, when no witness is confirmed.
        let mut opaque: Option<Unknown> = None;
        let max = opts.max_witnesses.max(1);
        let mut attempts = 0;
        while found.len() < max && attempts < max * 4 + 8 {
            attempts += 1;
            let mut s = Solver::new(&f, self.root, &vars, &low.atoms);
            let mut ok = true;
            for &a in &low.forced {
                ok &= s.assume(a, true);
            }
            if !ok || !s.search()? {
                break;
            }
            let model = s.model();
            let w = low.realize(&model, &vars, opts.preferred_actions);
            let action_class = model.first().cloned().flatten().and_then(|v| v.first().copied());
            let resource_class = model.get(1).cloned().flatten().and_then(|v| v.first().copied());
            let set_opaque = s.opaque_set().cloned();
            if accept(&w) {
                found.push(w);
                // Vary: the next witness takes another action.
                if let (Some(c), Some(v)) = (action_class, vars.get_mut(0)) {
                    clear(&mut v.base, c);
                }
            } else {
                match set_opaque {
                    // A candidate only: the engine decides what the atom stands for.
                    Some(u) => {
                        opaque.get_or_insert(u);
                    }
                    None => rejected.push(w),
                }
                if let (Some(c), Some(v)) = (resource_class, vars.get_mut(1)) {
                    clear(&mut v.base, c);
                }
            }
        }
        match opaque {
            Some(u) if found.is_empty() && rejected.is_empty() => Err(u),
            _ => Ok(Solved { witnesses: found, rejected }),
        }
    }
}

fn clear(b: &mut Bits, i: usize) {
    if let Some(w) = b.get_mut(i / 64) {
        *w &= !(1 << (i % 64));
    }
}

/// The shape of requests a case file can make for one action (see [`Query::restricted`]).
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// The action, as AWS's catalogue spells it.
    pub action: String,
    /// The ARN formats of the resource types it acts on; `None` when it acts only on `*`.
    pub resource_formats: Option<Vec<String>>,
    /// The partition and account that `${Partition}` and `${Account}` stand for.
    pub partition: String,
    /// See `partition`.
    pub account: String,
    /// Keys the action never carries (a case file drops them).
    pub absent_keys: Vec<String>,
    /// Keys that take one value.
    pub single_keys: Vec<String>,
    /// Keys whose values are ARNs.
    pub arn_keys: Vec<String>,
}

/// What [`Query::solve`] found.
#[derive(Clone, Debug, Default)]
pub struct Solved {
    /// Witnesses the caller accepted; none (with none rejected) means no request satisfies the question.
    pub witnesses: Vec<Witness>,
    /// Witnesses the caller rejected. When some were rejected and none accepted, the answer is not known.
    pub rejected: Vec<Witness>,
}

/// The variables with their classes, and the atoms over them.
struct Lowered {
    vars: Vec<Var>,
    atoms: Vec<Atom>,
    /// Per variable, each class's text (keys: one value).
    texts: Vec<Vec<String>>,
    names: Vec<String>,
    /// Action patterns and the action classes' signatures, to place preferred names.
    action_globs: Vec<glob::Glob>,
    action_signatures: Vec<Bits>,
    /// Atoms that start true (keys AWS always sets).
    forced: Vec<u32>,
    /// The formula's atoms are protos: each one's merged atom.
    map: Vec<u32>,
    /// The resource's account, when callers are reasoned about.
    resource_account: Option<String>,
    /// Keys tied to the caller that the engine does not fill in, with each candidate's values.
    stated: Vec<(String, Vec<Option<Vec<String>>>)>,
}

fn full(n: usize) -> Bits {
    let mut b = vec![0u64; n.div_ceil(64).max(1)];
    (0..n).for_each(|i| solve::set_bit(&mut b, i));
    b
}

impl Lowered {
    fn new(b: &Builder, root: F) -> Result<Lowered, Unknown> {
        // Where the question confines the action or the resource (the new policy's `Action`s), only
        // strings there are explored.
        let pick = |ids: Option<Vec<u32>>, globs: &[glob::Glob]| -> Vec<glob::Glob> {
            ids.map(|ids| ids.iter().filter_map(|&i| globs.get(i as usize).cloned()).collect()).unwrap_or_default()
        };
        let action_bound = b.f.bound(root, &|a| match b.protos.get(a as usize) {
            Some(Proto::Action(ids)) => Some(ids.clone()),
            _ => None,
        });
        let resource_bound = b.f.bound(root, &|a| match b.protos.get(a as usize) {
            Some(Proto::Resource(ids)) => Some(ids.clone()),
            _ => None,
        });
        let empty_action = action_bound.as_ref().is_some_and(Vec::is_empty);
        let empty_resource = resource_bound.as_ref().is_some_and(Vec::is_empty);
        let action_any = pick(action_bound, &b.actions.globs);
        let resource_ids = resource_bound.clone();
        let resource_any = pick(resource_bound, &b.resources.globs);
        let empty = || glob::Classes { signatures: Vec::new(), witnesses: Vec::new() };
        let bounded = |shape: Vec<glob::Glob>, any: Vec<glob::Glob>| {
            if any.is_empty() { vec![shape] } else { vec![shape, any] }
        };
        let action = if empty_action {
            empty()
        } else {
            glob::classes(&b.actions.globs, &bounded(vec![glob::action_shape()], action_any), "the action")?
        };
        let star: glob::Glob = vec![glob::Piece::Lit('*')];
        let resource = if empty_resource {
            empty()
        } else {
            match glob::arn_classes(&b.resources.globs, resource_ids.as_deref()) {
                Some(r) => r?,
                None => glob::classes(
                    &b.resources.globs,
                    &bounded(vec![star, glob::arn_shape()], resource_any),
                    "the resource",
                )?,
            }
        };
        let callers = match &b.candidates {
            Some(c) => c.texts.clone(),
            None => vec![String::new()],
        };
        let mut texts = vec![action.witnesses.clone(), resource.witnesses.clone(), callers];
        let mut names = vec!["action".to_string(), "resource".to_string(), "principal".to_string()];
        // Per key: per class, membership of each language is computed on demand below.
        struct KeyClasses {
            signatures: Vec<Bits>,
            junk: Option<usize>,
        }
        let mut key_classes = Vec::new();
        for k in &b.keys {
            let kc = match k.domain {
                None | Some(Domain::String) => {
                    let c = glob::classes(&k.patterns.globs, &[], &format!("condition key `{}`", k.name))?;
                    let mut w = c.witnesses;
                    if k.patterns.globs.is_empty() {
                        w = vec!["example".to_string()];
                    }
                    texts.push(w);
                    KeyClasses { signatures: c.signatures, junk: None }
                }
                Some(_) => {
                    let refs: Vec<&typed::Typed> = k.typed.iter().collect();
                    let mut reps = typed::representatives(&refs);
                    let sigs = reps
                        .iter()
                        .map(|r| {
                            let mut s = vec![0u64; k.typed.len().div_ceil(64).max(1)];
                            for (i, t) in k.typed.iter().enumerate() {
                                if typed::matches_any(t, r) == Some(true) {
                                    solve::set_bit(&mut s, i);
                                }
                            }
                            s
                        })
                        .collect::<Vec<_>>();
                    let junk = reps.len();
                    reps.push("junk".to_string());
                    let mut sigs = sigs;
                    sigs.push(vec![0u64; k.typed.len().div_ceil(64).max(1)]);
                    texts.push(reps);
                    KeyClasses { signatures: sigs, junk: Some(junk) }
                }
            };
            names.push(k.name.clone());
            key_classes.push(kc);
        }
        let mut vars: Vec<Var> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Var {
                single: i < 3,
                one: i >= 3 && b.keys.get(i - 3).is_some_and(|k| k.one),
                base: full(t.len()),
                atoms: Vec::new(),
            })
            .collect();
        let mut atoms: Vec<Atom> = Vec::new();
        let mut index: HashMap<(u32, Option<Bits>), u32> = HashMap::new();
        let mut map = Vec::with_capacity(b.protos.len());
        let any_of = |sigs: &[Bits], ids: &[u32]| -> Bits {
            let mut out = vec![0u64; sigs.len().div_ceil(64).max(1)];
            for (c, sig) in sigs.iter().enumerate() {
                if ids.iter().any(|&i| solve::bit(sig, i as usize)) {
                    solve::set_bit(&mut out, c);
                }
            }
            out
        };
        for p in &b.protos {
            let (var, kind) = match p {
                Proto::Action(ids) => (0u32, AtomKind::In(any_of(&action.signatures, ids))),
                Proto::Resource(ids) => (1, AtomKind::In(any_of(&resource.signatures, ids))),
                Proto::Principal(bits) => (2, AtomKind::In(bits.clone())),
                Proto::Opaque(u) => {
                    map.push(atoms.len() as u32);
                    atoms.push(Atom { var: u32::MAX, kind: AtomKind::Opaque(u.clone()) });
                    continue;
                }
                Proto::Present(k) | Proto::Exists(k, _) if tied(b, *k) => {
                    let (Some(c), Some(key)) = (&b.candidates, b.keys.get(*k as usize)) else {
                        return Err(Unknown::new("internal: tied key without callers".into()));
                    };
                    let mut bits = vec![0u64; c.requests.len().div_ceil(64).max(1)];
                    for i in 0..c.requests.len() {
                        let values = c.derived(i, &key.name);
                        let holds = match (p, values) {
                            (Proto::Present(_), v) => v.is_some(),
                            (Proto::Exists(_, lang), Some(vs)) => vs.iter().any(|v| holds(lang, key, v)),
                            _ => false,
                        };
                        if holds {
                            solve::set_bit(&mut bits, i);
                        }
                    }
                    (2, AtomKind::In(bits))
                }
                Proto::Present(k) => (3 + k, AtomKind::Present),
                Proto::Exists(k, lang) => {
                    let Some(kc) = key_classes.get(*k as usize) else {
                        return Err(Unknown::new("internal: unknown key".into()));
                    };
                    let n = kc.signatures.len();
                    let mut out = vec![0u64; n.div_ceil(64).max(1)];
                    for c in 0..n {
                        if member(lang, c, kc.signatures.get(c).map_or(&[][..], |s| s.as_slice()), kc.junk) {
                            solve::set_bit(&mut out, c);
                        }
                    }
                    (3 + k, AtomKind::In(out))
                }
            };
            let key = (
                var,
                match &kind {
                    AtomKind::In(s) => Some(s.clone()),
                    _ => None,
                },
            );
            let id = match index.get(&key) {
                Some(&id) => id,
                None => {
                    let id = atoms.len() as u32;
                    index.insert(key, id);
                    atoms.push(Atom { var, kind });
                    if let Some(v) = vars.get_mut(var as usize) {
                        v.atoms.push(id);
                    }
                    id
                }
            };
            map.push(id);
        }
        let mut forced = Vec::new();
        for name in ALWAYS_PRESENT.iter().filter(|_| b.candidates.is_none()) {
            let lower = name.to_ascii_lowercase();
            if let Some(k) = b.keys.iter().position(|k| k.name.to_ascii_lowercase() == lower)
                && let Some(&id) = index.get(&(3 + k as u32, None))
            {
                forced.push(id);
            }
        }
        let mut low = Lowered {
            vars: Vec::new(),
            atoms,
            texts,
            names,
            action_globs: b.actions.globs.clone(),
            action_signatures: action.signatures,
            forced,
            map: Vec::new(),
            resource_account: b.candidates.as_ref().map(|c| c.resource_account.clone()),
            stated: match &b.candidates {
                Some(c) => b
                    .keys
                    .iter()
                    .filter(|k| principal::STATED.contains(&k.name.to_ascii_lowercase().as_str()))
                    .map(|k| (k.name.clone(), (0..c.requests.len()).map(|i| c.derived(i, &k.name)).collect()))
                    .collect(),
                None => Vec::new(),
            },
        };
        low.vars = std::mem::take(&mut vars);
        low.map = map;
        Ok(low)
    }

    fn realize(&self, model: &solve::Model, vars: &[Var], preferred: &[String]) -> Witness {
        let text = |var: usize, class: usize| -> String {
            self.texts.get(var).and_then(|t| t.get(class)).cloned().unwrap_or_default()
        };
        let action_class = model.first().cloned().flatten().and_then(|v| v.first().copied()).unwrap_or(0);
        let mut action = text(0, action_class);
        // A real action name in the same class reads better than a made-up one.
        if let Some(sig) = self.action_signatures.get(action_class) {
            let service = action.split(':').next().unwrap_or("").to_string();
            if let Some(p) = preferred.iter().find(|p| {
                let lower = p.to_ascii_lowercase();
                lower.starts_with(&format!("{service}:"))
                    && self.action_globs.iter().enumerate().all(|(i, g)| glob::matches(g, &lower) == solve::bit(sig, i))
            }) {
                action = p.clone();
            }
        }
        let _ = vars;
        let resource_class = model.get(1).cloned().flatten().and_then(|v| v.first().copied()).unwrap_or(0);
        let resource = text(1, resource_class);
        let caller = model.get(2).cloned().flatten().and_then(|v| v.first().copied());
        let principal = caller.map(|c| text(2, c)).filter(|t| !t.is_empty());
        let mut context = Vec::new();
        for (name, per_caller) in &self.stated {
            if let Some(values) = caller.and_then(|c| per_caller.get(c).cloned().flatten()) {
                context.push((name.clone(), values));
            }
        }
        for (i, m) in model.iter().enumerate().skip(3) {
            if let Some(classes) = m {
                let values: Vec<String> = classes.iter().map(|&c| text(i, c)).collect();
                context.push((self.names.get(i).cloned().unwrap_or_default(), values));
            }
        }
        Witness { action, resource, context, principal, resource_account: self.resource_account.clone() }
    }
}

/// Is the key tied to the caller (the engine fills it in from the caller)?
fn tied(b: &Builder, k: u32) -> bool {
    b.candidates.is_some()
        && b.keys
            .get(k as usize)
            .is_some_and(|key| principal::DERIVED.contains(&key.name.to_ascii_lowercase().as_str()))
}

/// Does the concrete value `v` of `key` lie in the language?
fn holds(lang: &Lang, key: &compile::Key, v: &str) -> bool {
    let readable = key.typed.first().is_none_or(|t| typed::matches_any(t, v).is_some());
    match lang {
        Lang::Junk => !readable,
        Lang::Str(ids) => ids.iter().any(|&i| key.patterns.globs.get(i as usize).is_some_and(|g| glob::matches(g, v))),
        Lang::Typed(i) => key.typed.get(*i as usize).is_some_and(|t| typed::matches_any(t, v) == Some(true)),
        Lang::Complement(inner) => readable && !holds(inner, key, v),
    }
}

/// Is class `c` (with signature `sig`) in the language?
fn member(lang: &Lang, c: usize, sig: &[u64], junk: Option<usize>) -> bool {
    let sig: Bits = sig.to_vec();
    match lang {
        Lang::Junk => junk == Some(c),
        Lang::Str(ids) => ids.iter().any(|&i| solve::bit(&sig, i as usize)),
        Lang::Typed(i) => junk != Some(c) && solve::bit(&sig, *i as usize),
        Lang::Complement(inner) => junk != Some(c) && !member(inner, c, &sig, junk),
    }
}
