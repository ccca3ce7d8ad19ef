//! The escalation techniques, one file each (the public catalogue of IAM escalations; facts
//! only). Each finds, for one source principal, the edges it can take, and asks the engine every
//! request the technique needs through [`Ctx::ask`].

mod access_key;
mod add_user_to_group;
mod assume_role;
mod existing_compute;
mod login_profile;
mod modify_policy;
mod pass_role;
mod policy_version;
mod update_trust;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use iamspect_core::{Effect, Policy};

use super::{Decided, Edge, Gain, Node, Options, Recipe};
use crate::model::AccountData;
use crate::query::IndexedPrincipal;
use crate::query::index::CompiledSide;
use crate::query::who_can::{Conditional, Question};

/// Every technique: its name (as edges and the JSON give it) and what it is.
pub const TECHNIQUES: &[(&str, &str)] = &[
    assume_role::ABOUT,
    access_key::ABOUT,
    login_profile::ABOUT_CREATE,
    login_profile::ABOUT_UPDATE,
    modify_policy::ABOUT_ATTACH,
    modify_policy::ABOUT_PUT,
    policy_version::ABOUT_CREATE,
    policy_version::ABOUT_SET_DEFAULT,
    add_user_to_group::ABOUT,
    update_trust::ABOUT,
    pass_role::ABOUT,
    existing_compute::ABOUT,
];

/// A request a technique tries: action, resource, and the context it carries.
pub(crate) type Try<'a> = (&'static str, &'a str, &'static [(&'static str, &'static str)]);

/// The Region in which techniques create their resources (any Region the account allows would
/// do; requests name one).
pub(crate) const REGION: &str = "us-east-1";

/// The name techniques give to what they create (decision D91).
pub(crate) const NEW_NAME: &str = "iamspect-path";

/// Compiled resource sides by (kind, resource), or why one did not compile.
type Sides = HashMap<(&'static str, String), Result<Arc<CompiledSide>, String>>;

/// A group's policies, or why they cannot be weighed: `Err(None)` when one attached to it is not
/// in the loaded data, `Err(Some(why))` when one does not parse.
pub(crate) type GroupPolicies = Result<Vec<Arc<Policy>>, Option<String>>;

/// A principal's and an action's addresses, and the action's length.
type GrantKey = (usize, usize, usize);

/// An identity statement that allows an action.
struct Grant {
    policy: Arc<Policy>,
    statement: usize,
    /// Its `Resource` is `"*"`.
    everywhere: bool,
}

/// What the techniques share: the data, the nodes, and caches.
pub(crate) struct Ctx<'a> {
    pub(crate) data: &'a AccountData,
    pub(crate) nodes: &'a [Node],
    context: &'a [(String, Vec<String>)],
    conditional: Option<Conditional<'a>>,
    sides: RefCell<Sides>,
    grants: RefCell<HashMap<GrantKey, Rc<Vec<Grant>>>>,
    /// Only paths to admin are asked for (decision D93).
    admin_only: bool,
    /// In the first pass of a principal: techniques that make a principal admin look at itself only.
    self_only: std::cell::Cell<bool>,
    /// Each account's customer managed policies attached to a principal, with the nodes each is
    /// attached to (IAM changes only its own account's policies, D93: per account, so that a
    /// principal looks at its account's alone).
    attached: HashMap<String, Vec<(String, Vec<usize>)>>,
    granted: RefCell<HashMap<usize, bool>>,
    /// Each account's user and role nodes.
    by_account: HashMap<String, (Vec<usize>, Vec<usize>)>,
    /// Each account's groups: ARN and the user nodes in it.
    groups: HashMap<String, Vec<(String, Vec<usize>)>>,
    /// Each group's policies, compiled once (or why they cannot be).
    group_policies: RefCell<HashMap<String, Rc<GroupPolicies>>>,
    trusts: RefCell<HashMap<usize, Rc<assume_role::Trust>>>,
    /// The roles each trust policy names, inverted once (see [`Ctx::trust_index`]).
    trust_index: RefCell<Option<Rc<assume_role::TrustIndex>>>,
    trusted: RefCell<HashMap<(String, &'static str), Option<Decided>>>,
    /// `context`, shared by the requests kept (see [`Recipe`]).
    base: Arc<[(String, Vec<String>)]>,
    /// Node principals shared by the requests they ask (see [`Ctx::shared`]).
    shared: RefCell<HashMap<usize, Arc<IndexedPrincipal>>>,
    errors: RefCell<Vec<String>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(data: &'a AccountData, nodes: &'a [Node], options: &Options<'a>) -> Ctx<'a> {
        let mut groups: HashMap<String, Vec<(String, Vec<usize>)>> = HashMap::new();
        for account in data.accounts.values() {
            for group in account.groups.values() {
                let members = nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.kind == "user" && n.principal.principal.account() == Some(account.id.as_str()))
                    .filter(|(_, n)| {
                        let name = n.arn.rsplit('/').next().unwrap_or("");
                        account.users.get(name).is_some_and(|u| u.groups.contains(&group.name))
                    })
                    .map(|(i, _)| i)
                    .collect();
                groups.entry(account.id.clone()).or_default().push((group.arn.clone(), members));
            }
        }
        let mut attached: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
        for (i, n) in nodes.iter().enumerate().filter(|(_, n)| super::acts(n)) {
            for p in &n.principal.identity {
                let name = p.name();
                if name.starts_with("arn:") && !name.contains(":iam::aws:policy/") {
                    let list = attached.entry(name.to_string()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        let mut by_policy_account: HashMap<String, Vec<(String, Vec<usize>)>> = HashMap::new();
        for (arn, nodes) in attached {
            // A policy ARN that does not parse names no account: no principal can change it.
            let Some(account) = iamspect_core::Arn::parse(&arn).map(|a| a.account.to_string()) else { continue };
            by_policy_account.entry(account).or_default().push((arn, nodes));
        }
        let mut by_account: HashMap<String, (Vec<usize>, Vec<usize>)> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            let Some(account) = n.principal.principal.account() else { continue };
            let entry = by_account.entry(account.to_string()).or_default();
            match n.kind {
                "user" => entry.0.push(i),
                "role" => entry.1.push(i),
                _ => {}
            }
        }
        Ctx {
            by_account,
            groups,
            attached: by_policy_account,
            group_policies: RefCell::default(),
            data,
            nodes,
            context: options.context,
            conditional: options.conditional,
            sides: RefCell::default(),
            grants: RefCell::default(),
            admin_only: options.admin_only,
            self_only: std::cell::Cell::new(false),
            granted: RefCell::default(),
            trusts: RefCell::default(),
            trust_index: RefCell::default(),
            trusted: RefCell::default(),
            shared: RefCell::default(),
            base: options.context.into(),
            errors: RefCell::default(),
        }
    }

    pub(crate) fn into_errors(self) -> Vec<String> {
        let mut e = self.errors.into_inner();
        e.sort();
        e.dedup();
        e
    }

    /// Could one of `who`'s identity policies allow `action` (resources and conditions aside)?
    /// The cheap test before asking the engine.
    pub(crate) fn may(&self, who: &IndexedPrincipal, action: &'static str) -> bool {
        !self.grants(who, action).is_empty()
    }

    /// `who`'s identity statements that allow `action` (resources and conditions aside), found
    /// once per principal and action: keyed by addresses, which live as long as the graph.
    fn grants(&self, who: &IndexedPrincipal, action: &'static str) -> Rc<Vec<Grant>> {
        let key = (who as *const IndexedPrincipal as usize, action.as_ptr() as usize, action.len());
        if let Some(found) = self.grants.borrow().get(&key) {
            return found.clone();
        }
        let found: Rc<Vec<Grant>> = Rc::new(
            who.identity
                .iter()
                .flat_map(|pol| {
                    pol.statements()
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.effect() == Effect::Allow && s.covers_action(action))
                        .map(|(i, s)| {
                            // `"Resource": "*"` covers every resource: no ARN to match.
                            let everywhere = matches!(s.resources(), Some((false, rs)) if rs.contains(&"*"));
                            Grant { policy: pol.clone(), statement: i, everywhere }
                        })
                        .collect::<Vec<_>>()
                })
                .collect(),
        );
        self.grants.borrow_mut().insert(key, found.clone());
        found
    }

    /// Could one of `who`'s identity policies allow `action` on `resource` (conditions aside)?
    /// The cheap test before asking the engine about one resource.
    pub(crate) fn may_on(&self, who: &IndexedPrincipal, action: &'static str, resource: &str) -> bool {
        self.grants(who, action).iter().any(|g| {
            g.everywhere || g.policy.statements().get(g.statement).is_some_and(|s| s.may_cover_resource(resource))
        })
    }

    /// The customer managed policies of `from`'s account attached to a principal (directly or
    /// through a group), in ARN order, with the nodes each is attached to.
    pub(crate) fn attached_in(&self, from: usize) -> impl Iterator<Item = (&str, &[usize])> {
        let list = self.attached.get(self.account(from));
        list.into_iter().flatten().map(|(p, n)| (p.as_str(), n.as_slice()))
    }

    /// The groups of `from`'s account: ARN, with the user nodes in it.
    pub(crate) fn groups_in(&self, from: usize) -> impl Iterator<Item = (&str, &[usize])> {
        let list = self.groups.get(self.account(from));
        list.into_iter().flatten().map(|(g, m)| (g.as_str(), m.as_slice()))
    }

    /// A group's policies (inline and attached), parsed once.
    pub(crate) fn group_policies(&self, group: &crate::model::Group) -> Rc<GroupPolicies> {
        if let Some(found) = self.group_policies.borrow().get(&group.arn) {
            return found.clone();
        }
        let mut docs = group.inline.clone();
        let mut missing = false;
        for arn in &group.attached {
            match self.data.managed_policies.get(arn) {
                Some(p) => docs.push(crate::model::NamedDocument { name: p.arn.clone(), document: p.document.clone() }),
                None => missing = true,
            }
        }
        let compiled = if missing {
            Err(None)
        } else {
            docs.iter()
                .map(|d| Policy::parse(&d.name, &d.document, iamspect_core::PolicyType::Identity).map(Arc::new))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Some(e.to_string()))
        };
        let compiled = Rc::new(compiled);
        self.group_policies.borrow_mut().insert(group.arn.clone(), compiled.clone());
        compiled
    }

    /// Who a role node's trust policy names, read once.
    pub(super) fn trust_of(&self, role: usize) -> Rc<assume_role::Trust> {
        if let Some(t) = self.trusts.borrow().get(&role) {
            return t.clone();
        }
        let text = self.nodes.get(role).and_then(|n| self.role(n)).and_then(|r| r.trust_policy.as_deref());
        let t = Rc::new(assume_role::trust(text));
        self.trusts.borrow_mut().insert(role, t.clone());
        t
    }

    /// Which roles' trust policies name whom, built once from [`Ctx::trust_of`]: so that role
    /// assumption asks, for each caller, only the roles that name it, its account or everyone,
    /// instead of testing every role's trust policy for every caller.
    pub(super) fn trust_index(&self) -> Rc<assume_role::TrustIndex> {
        if let Some(i) = self.trust_index.borrow().as_ref() {
            return i.clone();
        }
        let roles: Vec<usize> = self.roles().map(|(i, _)| i).collect();
        let index = Rc::new(assume_role::TrustIndex::build(roles.iter().map(|&r| (r, self.trust_of(r)))));
        *self.trust_index.borrow_mut() = Some(index.clone());
        index
    }

    /// Would `node` be admin with a policy granting everything added? Found once per node.
    pub(crate) fn admin_if_granted(&self, node: usize) -> bool {
        if let Some(&known) = self.granted.borrow().get(&node) {
            return known;
        }
        let answer = self.nodes.get(node).is_some_and(|n| {
            crate::paths::admin::allow_all("a policy that allows everything")
                .is_some_and(|all| crate::paths::admin::admin_with(&n.principal, &[all], None))
        });
        self.granted.borrow_mut().insert(node, answer);
        answer
    }

    /// The resource's side (its policy or trust policy, RCPs), compiled once.
    pub(crate) fn side(&self, action: &str, resource: &str) -> Option<Arc<CompiledSide>> {
        // The side depends on the action only through these two (`AccountData::resource_side`,
        // `CompiledSide::compile_for`): one side per resource and kind, shared by its actions.
        let kind = if iamspect_core::is_role_trust_request(action, resource) {
            "trust"
        } else if iamspect_core::is_kms_key_request(action, resource) {
            "kms key"
        } else {
            "other"
        };
        let key = (kind, resource.to_string());
        let found = self.sides.borrow().get(&key).cloned();
        let side = match found {
            Some(side) => side,
            None => {
                let side = self
                    .data
                    .resource_side(action, resource, None)
                    .map_err(|e| e.to_string())
                    .and_then(|s| CompiledSide::compile_for(self.data, s, action, resource))
                    .map(Arc::new);
                self.sides.borrow_mut().insert(key, side.clone());
                side
            }
        };
        // A side that does not compile is never taken as empty: the edge is left out, and said
        // (for each action asked on it).
        side.map_err(|e| self.errors.borrow_mut().push(format!("`{action}` on `{resource}`: {e}"))).ok()
    }

    /// Asks the engine whether `who` may perform `action` on `resource` with `extra` context,
    /// against the resource's side (or `side` when given, for a policy a technique rewrites).
    pub(crate) fn ask(
        &self,
        who: &IndexedPrincipal,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
        side: Option<Arc<CompiledSide>>,
    ) -> Option<Decided> {
        let side = match side {
            Some(s) => s,
            None => self.side(action, resource)?,
        };
        let mut context: Vec<(String, Vec<String>)> = self.context.to_vec();
        for (k, v) in extra {
            context.push((k.to_string(), vec![v.to_string()]));
        }
        let q = Question {
            action,
            resource,
            resource_account: None,
            context: &context,
            side: &side,
            conditional: self.conditional,
        };
        match q.allowed(who, &mut HashMap::new()) {
            Ok(Some((request, policies, witness))) => {
                let mut ctx: Vec<(String, String)> =
                    extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                let conditional = !witness.is_empty();
                ctx.extend(witness.iter().cloned());
                // A role's session carries `aws:TokenIssueTime` (decision D84): said, so that the
                // request can be decided again exactly as it was.
                let session = matches!(who.principal.kind, iamspect_core::PrincipalKind::RoleSession { .. });
                let given = ctx.iter().any(|(k, _)| k.eq_ignore_ascii_case("aws:TokenIssueTime"));
                let now = self.context.iter().find(|(k, _)| k.eq_ignore_ascii_case("aws:CurrentTime"));
                if let Some(now) = now.and_then(|(_, v)| v.first()).filter(|_| session && !given) {
                    ctx.push(("aws:TokenIssueTime".to_string(), now.clone()));
                }
                drop(policies);
                let own = extra.len();
                let recipe =
                    Recipe { who: self.shared(who), side, base: self.base.clone(), own, witness: witness.len() };
                Some(Decided::new(&request, recipe, ctx, conditional))
            }
            Ok(None) => None,
            Err(e) => {
                self.errors.borrow_mut().push(format!("{}: {e}", who.principal.arn()));
                None
            }
        }
    }

    /// `who` to keep with a decided request: a node's principal is shared by every request it
    /// asks (cloned once per thread); any other (a user with a group's policies added, a service)
    /// is its own.
    fn shared(&self, who: &IndexedPrincipal) -> Arc<IndexedPrincipal> {
        let offset = (who as *const IndexedPrincipal as usize).wrapping_sub(self.nodes.as_ptr() as usize);
        let node = offset / std::mem::size_of::<Node>().max(1);
        // The address only proposes a node; it is one only when its principal is `who` itself.
        if !self.nodes.get(node).is_some_and(|n| std::ptr::eq(&n.principal, who)) {
            return Arc::new(who.clone());
        }
        self.shared.borrow_mut().entry(node).or_insert_with(|| Arc::new(who.clone())).clone()
    }

    /// Asks every `(action, resource)` in turn: all must be allowed.
    pub(crate) fn ask_all(
        &self,
        who: &IndexedPrincipal,
        requests: &[(&str, String)],
        extra: &[(&str, &str)],
    ) -> Option<Vec<Decided>> {
        requests.iter().map(|(a, r)| self.ask(who, a, r, extra, None)).collect()
    }

    /// Should a technique that makes `to` admin consider it, acting as `from`? Always, except in
    /// the first pass of a principal when only paths to admin are asked for, which looks for
    /// itself alone.
    pub(crate) fn consider(&self, from: usize, to: usize) -> bool {
        !self.self_only.get() || from == to
    }

    /// True in the first pass of a principal, which looks for itself alone.
    pub(crate) fn self_only(&self) -> bool {
        self.self_only.get()
    }

    /// Says that something was left out, and why (never dropped without a word).
    pub(crate) fn left_out(&self, what: String) {
        self.errors.borrow_mut().push(what);
    }

    /// The node's account.
    pub(crate) fn account(&self, node: usize) -> &str {
        self.nodes.get(node).and_then(|n| n.principal.principal.account()).unwrap_or("")
    }

    /// The nodes that are roles (not named sessions).
    pub(crate) fn roles(&self) -> impl Iterator<Item = (usize, &Node)> {
        self.nodes.iter().enumerate().filter(|(_, n)| n.kind == "role")
    }

    /// The nodes of `kind` (`user`, `role`) in `from`'s account. IAM has no resource-based
    /// policies, so a principal can change the users, groups, roles and policies of its own
    /// account only (D93): the others are never asked about.
    pub(crate) fn local(&self, from: usize, kind: &str) -> impl Iterator<Item = (usize, &Node)> {
        let list =
            self.by_account.get(self.account(from)).map(|(users, roles)| if kind == "user" { users } else { roles });
        list.into_iter().flatten().filter_map(|&i| self.nodes.get(i).map(|n| (i, n)))
    }

    /// The account data's role of a role node.
    pub(crate) fn role(&self, node: &Node) -> Option<&crate::model::Role> {
        let arn = iamspect_core::Arn::parse(&node.arn)?;
        let name = arn.resource.rsplit('/').next()?;
        self.data.accounts.get(arn.account)?.roles.get(name)
    }

    /// The account data's user of a user node.
    pub(crate) fn user(&self, node: &Node) -> Option<&crate::model::User> {
        let arn = iamspect_core::Arn::parse(&node.arn)?;
        let name = arn.resource.rsplit('/').next()?;
        self.data.accounts.get(arn.account)?.users.get(name)
    }

    /// Does the role trust the service principal `service` (decided by the engine on its trust
    /// policy)? The decision, when it does.
    pub(crate) fn service_trusted(&self, role: &Node, service: &'static str) -> Option<Decided> {
        let key = (role.arn.clone(), service);
        if let Some(known) = self.trusted.borrow().get(&key) {
            return known.clone();
        }
        let principal =
            iamspect_core::Principal::new(iamspect_core::PrincipalKind::Service { name: service.to_string() });
        let bare =
            IndexedPrincipal { principal, identity: Vec::new(), boundary: None, scps: None, context: Vec::new() };
        let answer = self.ask(&bare, "sts:AssumeRole", &role.arn, &[], None);
        self.trusted.borrow_mut().insert(key, answer.clone());
        answer
    }
}

/// Every edge from `from`.
pub(crate) fn edges(cx: &Ctx<'_>, from: usize, out: &mut Vec<Edge>) {
    let Some(node) = cx.nodes.get(from) else { return };
    if !super::acts(node) {
        return;
    }
    // When only paths to admin are asked for (decision D93), an admin needs no edge, and a
    // principal that can make itself admin needs only that edge: every path through it is
    // shortest through that one step.
    if cx.admin_only {
        if node.admin.is_admin {
            return;
        }
        let start = out.len();
        cx.self_only.set(true);
        modify_policy::edges(cx, from, out);
        policy_version::edges(cx, from, out);
        add_user_to_group::edges(cx, from, out);
        cx.self_only.set(false);
        if out.len() > start {
            return;
        }
    }
    assume_role::edges(cx, from, out);
    access_key::edges(cx, from, out);
    login_profile::edges(cx, from, out);
    modify_policy::edges(cx, from, out);
    policy_version::edges(cx, from, out);
    add_user_to_group::edges(cx, from, out);
    update_trust::edges(cx, from, out);
    pass_role::edges(cx, from, out);
    existing_compute::edges(cx, from, out);
}

/// The conditions an edge depends on, from its requests' context values found by the search
/// (the technique's own values, such as `iam:PassedToService`, are facts of the technique).
pub(crate) fn conditions_of(requests: &[Decided], own: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for r in requests.iter().filter(|r| r.conditional) {
        for (k, v) in &r.context {
            if own.iter().any(|o| o.eq_ignore_ascii_case(k)) {
                continue;
            }
            let c = format!("{} = {v} (for {})", k, r.action);
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Builds an edge.
pub(crate) fn edge(
    from: usize,
    to: usize,
    technique: &'static str,
    gain: Gain,
    requests: Vec<Decided>,
    own_keys: &[&str],
    story: String,
) -> Edge {
    let conditions = conditions_of(&requests, own_keys);
    Edge { from, to, technique, gain, requests, conditions, story }
}
