//! `who-can`: every principal of the loaded accounts that may perform an action on a resource,
//! with the conditions its access depends on.
//!
//! Candidates come from an index, not from trying everyone: a principal is evaluated only if one
//! of its identity policies has an `Allow` statement covering the action and (unless policy
//! variables make it depend on the principal) the resource, if it is a root user
//! (whose own account grants it everything), or if the resource policy has an `Allow` covering the
//! action (it may grant directly). Each policy is tested once per query, however many principals
//! share it.

use std::collections::HashMap;
use std::sync::Arc;

use iamspect_core::{
    Decision, Effect, Policies, Policy, Principal, PrincipalKind, Request, authorize, authorize_traced,
};

use super::index::{CompiledSide, Index, IndexedPrincipal};
use crate::model::AccountData;

/// One principal's access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// The principal's ARN.
    pub principal: String,
    /// What kind of principal: `user`, `role`, `root`, ...
    pub kind: &'static str,
    /// The decision.
    pub decision: Decision,
    /// True when the request is allowed only with context values the question did not fix
    /// (`witness` gives one such set); false when allowed as asked.
    pub conditional: bool,
    /// For a conditional grant, context values with which the engine allowed the request.
    pub witness: Vec<(String, String)>,
    /// The conditions of the `Allow` statements that grant it (`operator key values`), which the
    /// access depends on.
    pub conditions: Vec<String>,
    /// The policies whose statements grant it.
    pub granted_by: Vec<String>,
    /// The same statements as `(policy name, statement index, line, column)`, for positions.
    pub granted_at: Vec<(String, usize, usize, usize)>,
}

fn allows_action(policy: &Policy, action: &str) -> bool {
    policy.statements().iter().any(|s| s.effect() == Effect::Allow && s.covers_action(action))
}

/// Could the policy allow the action on the resource? Conditions and principals aside.
fn may_allow(policy: &Policy, action: &str, resource: &str) -> bool {
    policy
        .statements()
        .iter()
        .any(|s| s.effect() == Effect::Allow && s.covers_action(action) && s.may_cover_resource(resource))
}

/// Looks for context values that allow a denied request (`iamspect_explain::fix::context_that_allows`
/// in the binary); each answer must be a set of values with which the engine allowed it.
pub type Conditional<'a> = &'a (dyn Fn(&Request, &Policies) -> Option<Vec<(String, String)>> + Sync);

/// Could the policy allow the action under a condition? (An `Allow` covering it with conditions.)
fn conditional_allow(policy: &Policy, action: &str) -> bool {
    policy
        .statements()
        .iter()
        .any(|s| s.effect() == Effect::Allow && s.covers_action(action) && !s.conditions().is_empty())
}

/// The word for a principal's kind.
pub fn kind_word(kind: &PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User { .. } => "user",
        PrincipalKind::RoleSession { .. } => "role",
        PrincipalKind::Root { .. } => "root",
        PrincipalKind::FederatedUser { .. } => "federated user",
        PrincipalKind::Service { .. } => "service",
        PrincipalKind::Federated { .. } => "identity provider",
        PrincipalKind::Anonymous => "anonymous",
    }
}

/// The role name of the stand-in session that asks for an account that is not loaded.
const STAND_IN_ROLE: &str = "AnyPrincipalOfTheAccount";

/// One who-can question (also asked by `paths` for each request of a technique).
pub(crate) struct Question<'a> {
    pub(crate) action: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) resource_account: Option<&'a str>,
    pub(crate) context: &'a [(String, Vec<String>)],
    pub(crate) side: &'a CompiledSide,
    pub(crate) conditional: Option<Conditional<'a>>,
}

impl Question<'_> {
    /// The principal's access, if it has any: as asked, or (with `conditional`) under context
    /// values the engine allowed it with.
    pub(crate) fn decide(
        &self,
        p: &IndexedPrincipal,
        kind: Option<&'static str>,
        conditional_cache: &mut HashMap<*const Policy, bool>,
    ) -> Result<Option<Access>, String> {
        let Some((request, policies, witness)) = self.allowed(p, conditional_cache)? else { return Ok(None) };
        let (conditions, granted_by, granted_at) = granted(&request, &policies);
        Ok(Some(Access {
            principal: p.principal.arn(),
            kind: kind.unwrap_or_else(|| kind_word(&p.principal.kind)),
            decision: Decision::Allowed,
            conditional: !witness.is_empty(),
            witness,
            conditions,
            granted_by,
            granted_at,
        }))
    }

    /// The allowed request, its policies and the context values it needed (empty when allowed as
    /// asked); `None` when the principal is not allowed. No trace: [`granted`] says why, when
    /// asked.
    #[allow(clippy::type_complexity, reason = "one private tuple")]
    pub(crate) fn allowed(
        &self,
        p: &IndexedPrincipal,
        conditional_cache: &mut HashMap<*const Policy, bool>,
    ) -> Result<Option<(Request, Policies, Vec<(String, String)>)>, String> {
        let (action, resource) = (self.action, self.resource);
        let Some((request, policies)) = p.request(action, resource, self.resource_account, self.side, self.context)
        else {
            return Err(format!("`{action}` on `{resource}` is not a valid request"));
        };
        let mut witness = Vec::new();
        let mut request = request;
        if authorize(&request, &policies).decision != Decision::Allowed {
            let mut may = |pol: &Arc<Policy>| {
                *conditional_cache.entry(Arc::as_ptr(pol)).or_insert_with(|| conditional_allow(pol, action))
            };
            let worth = p.identity.iter().any(&mut may) || self.side.policy.as_ref().is_some_and(&mut may);
            let Some(find) = self.conditional.filter(|_| worth) else { return Ok(None) };
            let Some(values) = find(&request, &policies) else { return Ok(None) };
            let mut ctx = request.context().clone();
            for (k, v) in &values {
                ctx.insert(k, vec![v.clone()]);
            }
            let Ok(changed) =
                Request::new(request.principal().clone(), action, resource, request.resource_account(), ctx)
            else {
                return Ok(None);
            };
            // The witness is only believed once the engine allows the request with it.
            if authorize(&changed, &policies).decision != Decision::Allowed {
                return Ok(None);
            }
            request = changed;
            witness = values;
        }
        Ok(Some((request, policies, witness)))
    }
}

/// The statements that allow an allowed request (identity and resource layers), as `(conditions,
/// "POLICY statement N", (policy, index, line, column))`.
#[allow(clippy::type_complexity, reason = "one private tuple")]
pub(crate) fn granted(
    request: &Request,
    policies: &Policies,
) -> (Vec<String>, Vec<String>, Vec<(String, usize, usize, usize)>) {
    let traced = authorize_traced(request, policies);
    let mut conditions = Vec::new();
    let mut granted_by = Vec::new();
    let mut granted_at = Vec::new();
    for (layer, pt, st) in traced.trace.applied(Effect::Allow) {
        if !matches!(layer.layer, iamspect_core::Layer::Identity | iamspect_core::Layer::Resource) {
            continue;
        }
        granted_by.push(format!("{} statement {}", pt.policy.name(), st.index));
        if let Some(stmt) = pt.policy.statements().iter().find(|s| s.index() == st.index) {
            let at = pt.policy.position(stmt.span().start);
            granted_at.push((pt.policy.name().to_string(), st.index, at.line, at.column));
            for c in stmt.conditions() {
                conditions.push(format!("{} {} {:?}", c.operator(), c.key(), c.values()));
            }
        }
    }
    conditions.sort();
    conditions.dedup();
    (conditions, granted_by, granted_at)
}

/// The principals the `Allow` statements of `policy` that cover `action` name, as
/// `(element, value)`: `("AWS", ARN or account)`, `("Service", name)`, `("Federated", provider)`.
fn named_principals(policy: &Policy, action: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in policy.statements().iter().filter(|s| s.effect() == Effect::Allow && s.covers_action(action)) {
        let Some((false, span)) = s.principal_element() else { continue };
        let Some(text) = policy.source().get(span.start..span.end) else { continue };
        let Ok(serde_json::Value::Object(element)) = serde_json::from_str::<serde_json::Value>(&format!("{{{text}}}"))
        else {
            continue;
        };
        let Some(serde_json::Value::Object(map)) = element.values().next() else { continue };
        for (key, value) in map {
            let values = match value {
                serde_json::Value::String(v) => vec![v.clone()],
                serde_json::Value::Array(vs) => vs.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                _ => Vec::new(),
            };
            for v in values {
                if v != "*" && !out.iter().any(|(k, x)| k == key && *x == v) {
                    out.push((key.clone(), v));
                }
            }
        }
    }
    out
}

/// A principal a policy names, as who-can asks about it, and its kind: a session of a loaded role
/// (with the role's policies), a service, an identity provider, or the root of an account that is
/// not loaded (standing for whichever of its principals its own policies allow). `Ok(None)` for
/// what is asked anyway (a loaded principal, a loaded account's root); an error, which the answer
/// lists as left out, for what cannot be asked: a user or role of an account that is not loaded
/// (its own policies are unknown), a session whose role does not resolve, text that is no
/// principal.
fn named_principal(
    data: &AccountData,
    element: &str,
    value: &str,
) -> Result<Option<(IndexedPrincipal, &'static str)>, String> {
    let bare = |principal: Principal| IndexedPrincipal {
        principal,
        identity: Vec::new(),
        boundary: None,
        scps: None,
        context: Vec::new(),
    };
    match element {
        "Service" => Ok(Some((bare(Principal::new(PrincipalKind::Service { name: value.to_string() })), "service"))),
        "Federated" => Ok(Some((
            bare(Principal::new(PrincipalKind::Federated { provider: value.to_string() })),
            "identity provider",
        ))),
        "AWS" => {
            let text = if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                format!("arn:aws:iam::{value}:root")
            } else {
                value.to_string()
            };
            let principal = Principal::parse(&text).map_err(|e| e.to_string())?;
            let loaded = principal.account().is_some_and(|a| data.accounts.contains_key(a));
            match principal.kind {
                PrincipalKind::RoleSession { .. } if loaded && text.contains(":assumed-role/") => {
                    IndexedPrincipal::resolve(data, &text).map(|p| Some((p, "role session")))
                }
                PrincipalKind::Root { account } if !loaded => {
                    // The account's principals, whose own policies are not loaded: asked as one
                    // of its role sessions whose identity side allows everything, so that the
                    // resource's side alone decides (decision D85). The answer names the account.
                    let stand_in = Principal::parse(&format!(
                        "arn:aws:sts::{account}:assumed-role/{STAND_IN_ROLE}/{STAND_IN_ROLE}"
                    ))
                    .map_err(|e| e.to_string())?;
                    let everything = Policy::parse(
                        "the account's own policies (not loaded)",
                        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
                        iamspect_core::PolicyType::Identity,
                    )
                    .map_err(|e| e.to_string())?;
                    let mut p = bare(stand_in);
                    p.identity = vec![Arc::new(everything)];
                    Ok(Some((p, "account not loaded")))
                }
                _ if loaded => Ok(None),
                _ => {
                    Err("its account is not loaded, so its own policies, which must allow it too, are unknown"
                        .to_string())
                }
            }
        }
        _ => Ok(None),
    }
}

/// Who may perform `action` on `resource` (whose account is `resource_account`, for ARNs without
/// one). Returns the allowed principals, sorted by ARN, and the number evaluated.
pub fn who_can(
    data: &AccountData,
    index: &Index,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<(Vec<Access>, usize), String> {
    who_can_with(data, index, action, resource, resource_account, context, None).map(|(a, n, _)| (a, n))
}

/// [`who_can`], and with `conditional`, the principals allowed only under context values the
/// question left open (decision D84): a denied principal one of whose policies allows the action
/// under a condition is asked again with the values `conditional` finds, and listed as
/// conditional when the engine allows it with them. Also returns the principals the resource's
/// policy names that could not be asked, each with why (decision D85).
pub fn who_can_with(
    data: &AccountData,
    index: &Index,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
    conditional: Option<Conditional<'_>>,
) -> Result<(Vec<Access>, usize, Vec<String>), String> {
    let side = data.resource_side(action, resource, resource_account).map_err(|e| e.to_string())?;
    let side = CompiledSide::compile(side, iamspect_core::is_role_trust_request(action, resource))?;
    let resource_grants = side.policy.as_ref().is_some_and(|p| allows_action(p, action));
    let mut relevant: HashMap<*const Policy, bool> = HashMap::new();
    let mut conditional_cache: HashMap<*const Policy, bool> = HashMap::new();
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    let mut evaluated = 0;
    let q = Question { action, resource, resource_account, context, side: &side, conditional };
    for p in &index.principals {
        let is_root = matches!(p.principal.kind, PrincipalKind::Root { .. });
        let identity_may = p
            .identity
            .iter()
            .any(|pol| *relevant.entry(Arc::as_ptr(pol)).or_insert_with(|| may_allow(pol, action, resource)));
        if !(identity_may || is_root || resource_grants) {
            continue;
        }
        evaluated += 1;
        if let Some(access) = q.decide(p, None, &mut conditional_cache)? {
            out.push(access);
        }
    }
    // Principals the resource's policy names that are not loaded principals (decision D85):
    // sessions of loaded roles, service principals, identity providers, accounts not loaded.
    if let Some(policy) = side.policy.as_ref().filter(|_| resource_grants) {
        let loaded: std::collections::HashSet<String> = index.principals.iter().map(|p| p.principal.arn()).collect();
        for (element, name) in named_principals(policy, action) {
            let (principal, kind) = match named_principal(data, &element, &name) {
                Ok(Some(x)) => x,
                Ok(None) => continue,
                Err(why) => {
                    left_out.push(format!("{element} `{name}`, which the resource's policy names: {why}"));
                    continue;
                }
            };
            if loaded.contains(&principal.principal.arn())
                || out.iter().any(|a: &Access| a.principal == principal.principal.arn())
            {
                continue;
            }
            evaluated += 1;
            if let Some(mut access) = q.decide(&principal, Some(kind), &mut conditional_cache)? {
                if kind == "account not loaded" {
                    access.principal =
                        principal.principal.account().map_or(name.clone(), |a| format!("arn:aws:iam::{a}:root"));
                    access.granted_by.retain(|g| !g.starts_with("the account's own policies"));
                    access
                        .conditions
                        .push("any principal of this account whose own policies (not loaded) allow it".to_string());
                }
                out.push(access);
            }
        }
    }
    out.sort_by(|a, b| a.principal.cmp(&b.principal));
    Ok((out, evaluated, left_out))
}

/// Would `p`, with a policy granting everything added to its identity policies, be allowed
/// `action` on `resource` (its boundary, SCPs, the resource's policy and RCPs as they are)? For
/// `who-can --transitive`: a principal another can make admin.
pub fn allowed_with_everything(
    data: &AccountData,
    p: &IndexedPrincipal,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<bool, String> {
    let side = data.resource_side(action, resource, resource_account).map_err(|e| e.to_string())?;
    let side = CompiledSide::compile(side, iamspect_core::is_role_trust_request(action, resource))?;
    let everything = Policy::parse(
        "a policy that allows everything",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        iamspect_core::PolicyType::Identity,
    )
    .map_err(|e| e.to_string())?;
    let mut with = p.clone();
    with.identity.push(Arc::new(everything));
    let Some((request, policies)) = with.request(action, resource, resource_account, &side, context) else {
        return Err(format!("`{action}` on `{resource}` is not a valid request"));
    };
    Ok(authorize(&request, &policies).decision == Decision::Allowed)
}
