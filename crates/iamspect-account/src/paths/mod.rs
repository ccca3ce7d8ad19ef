//! Privilege-escalation and role-chain paths: who can become admin, and how.
//!
//! The graph's nodes are the principals of the loaded accounts (users, roles standing for their
//! sessions, the sessions trust policies name, root users). An edge A → B is one technique by
//! which A obtains B's permissions ([`Gain::Becomes`]: assuming a role, creating B's access key,
//! passing a role to a service that runs A's code), or gives B every permission
//! ([`Gain::MakesAdmin`]: attaching or writing a policy, a new policy version, a group). Every
//! edge is decided by the engine on the concrete requests the technique needs, with A's whole
//! policy set and the resource's side (trust policy, RCPs); an edge allowed only under context
//! values A's policies name (MFA, a source IP, temporary credentials) is kept and marked with
//! them, and an edge that needs a resource the account data does not list (a function, an
//! instance, a stack) says so.
//!
//! A principal reaches admin when a path of `Becomes` edges leads to an admin (see [`admin`]),
//! or to a principal X that can make some B admin where B is the principal itself or one it can
//! become.

mod admin;
mod cut;
pub mod json;
mod search;
mod techniques;

use std::collections::HashMap;

use iamspect_core::PrincipalKind;

pub use admin::{Admin, admin};
pub use cut::{Cut, cuts, without_statement};
pub use search::{Path, shortest_to, shortest_to_admin, shortest_to_any};
pub use techniques::TECHNIQUES;

use crate::model::AccountData;
use crate::query::who_can::Conditional;
use crate::query::{Index, IndexedPrincipal, kind_word};

/// One principal of the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its ARN.
    pub arn: String,
    /// `user`, `role`, `role session`, `root`.
    pub kind: &'static str,
    /// The principal with its policies.
    pub principal: IndexedPrincipal,
    /// Whether it is admin, and why.
    pub admin: Admin,
}

/// How the edge's target benefits the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gain {
    /// The source obtains the target's permissions.
    Becomes,
    /// The source gives the target every permission (the target becomes admin).
    MakesAdmin,
}

/// One request a technique needs, as the engine decided it.
#[derive(Clone, Debug)]
pub struct Decided {
    /// Who makes it.
    pub principal: String,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// The context values it was decided with beyond the question's (the technique's own, such
    /// as `iam:PassedToService`, and those a condition needs).
    pub context: Vec<(String, String)>,
    /// True when allowed only with context values A's policies name (MFA, an IP...).
    pub conditional: bool,
    /// When decided after an earlier request of the step changed a policy (a rewritten trust
    /// policy, a group joined): what changed. `None` when decided on the account data as loaded.
    pub after: Option<String>,
    /// What it was decided with, to decide it again when asked why: the trace is taken only for
    /// the requests of the paths that are shown, and keeping each request with its policies
    /// instead cost gigabytes on large organizations (docs/performance.md).
    recipe: Recipe,
    explained: std::sync::OnceLock<Explained>,
}

/// What a request was decided with: shared, so that keeping it costs a few pointers.
#[derive(Clone, Debug)]
pub(crate) struct Recipe {
    /// Who asked, with its policies (shared with its node, or the principal a technique made,
    /// such as a user with a group's policies added).
    pub(crate) who: std::sync::Arc<IndexedPrincipal>,
    /// The resource's side it was decided against (shared with the other requests on it).
    pub(crate) side: std::sync::Arc<crate::query::index::CompiledSide>,
    /// The context every question carries (the clock), shared by every request.
    pub(crate) base: std::sync::Arc<[(String, Vec<String>)]>,
    /// How many of the request's `context` pairs are the technique's own values, asked with
    /// `base`; the next `witness` pairs are the values found for a conditional grant, added last,
    /// as `Question::allowed` added them.
    pub(crate) own: usize,
    /// See `own`.
    pub(crate) witness: usize,
}

/// The statements that allow a request, and their conditions.
type Explained = (Vec<(String, usize, usize, usize)>, Vec<String>);

impl Decided {
    pub(crate) fn new(
        request: &iamspect_core::Request,
        recipe: Recipe,
        context: Vec<(String, String)>,
        conditional: bool,
    ) -> Decided {
        Decided {
            principal: request.principal().arn(),
            action: request.action().to_string(),
            resource: request.resource().to_string(),
            context,
            conditional,
            after: None,
            recipe,
            explained: std::sync::OnceLock::new(),
        }
    }

    fn explained(&self) -> &Explained {
        self.explained.get_or_init(|| {
            // The same request again, built as `Question::allowed` built it: the engine is
            // deterministic, so the statements found are those that allowed it.
            let r = &self.recipe;
            let (own, witness) = self.context.split_at(r.own.min(self.context.len()));
            let witness = witness.get(..r.witness).unwrap_or(witness);
            let mut asked = r.base.to_vec();
            asked.extend(own.iter().map(|(k, v)| (k.clone(), vec![v.clone()])));
            let Some((request, policies)) = r.who.request(&self.action, &self.resource, None, &r.side, &asked) else {
                return (
                    Vec::new(),
                    vec![format!("`{}` on `{}` could not be built again", self.action, self.resource)],
                );
            };
            let request = if witness.is_empty() {
                request
            } else {
                let mut ctx = request.context().clone();
                for (k, v) in witness {
                    ctx.insert(k, vec![v.clone()]);
                }
                match iamspect_core::Request::new(
                    request.principal().clone(),
                    &self.action,
                    &self.resource,
                    request.resource_account(),
                    ctx,
                ) {
                    Ok(changed) => changed,
                    Err(e) => return (Vec::new(), vec![format!("`{}` could not be built again: {e}", self.action)]),
                }
            };
            let (conditions, _, at) = crate::query::who_can::granted(&request, &policies);
            (at, conditions)
        })
    }

    /// The statements that allow it: policy name, statement index, line, column.
    pub fn granted_by(&self) -> &[(String, usize, usize, usize)] {
        &self.explained().0
    }

    /// The conditions of those statements (`operator key values`).
    pub fn conditions(&self) -> &[String] {
        &self.explained().1
    }
}

/// One edge.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The node that acts.
    pub from: usize,
    /// The node it becomes or makes admin.
    pub to: usize,
    /// The technique's name (see [`TECHNIQUES`]).
    pub technique: &'static str,
    /// What the source gains.
    pub gain: Gain,
    /// The requests it needs, each allowed.
    pub requests: Vec<Decided>,
    /// What the edge depends on beyond the requests: context values, and resources the account
    /// data does not list.
    pub conditions: Vec<String>,
    /// One sentence for people.
    pub story: String,
}

impl Edge {
    /// True when the edge holds only under a condition.
    pub fn conditional(&self) -> bool {
        !self.conditions.is_empty()
    }
}

/// The graph of the loaded accounts.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Every principal.
    pub nodes: Vec<Node>,
    /// Every edge, grouped by source.
    pub edges: Vec<Edge>,
    /// What could not be decided or resolved, and was left out (each line says what and why).
    pub left_out: Vec<String>,
    /// Edge indices by source node.
    pub(crate) out: Vec<Vec<usize>>,
    by_arn: HashMap<String, usize>,
}

/// The work was stopped (the deadline passed, or the client left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// Options of [`Graph::build`].
pub struct Options<'a> {
    /// Context keys every request carries (the clock, at least).
    pub context: &'a [(String, Vec<String>)],
    /// Finds context values that allow a request denied without them (`who-can`'s, decision D84).
    pub conditional: Option<Conditional<'a>>,
    /// Only paths to admin are asked for: edges no shortest path to admin takes are not decided
    /// (an admin's, and those of a principal that can make itself admin besides that one;
    /// decision D93). False for paths to a principal and for `who-can --transitive`.
    pub admin_only: bool,
}

impl Graph {
    /// Builds the graph: every principal of `index` (and the role sessions trust policies name),
    /// and every edge the techniques find. `progress(done, total)` is called per node.
    pub fn build(
        data: &AccountData,
        index: &Index,
        options: &Options<'_>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Graph {
        // Sessions that trust policies name are nodes too: each has its role's permissions, and
        // may be the only way in (an Identity Center session that the lab's roles trust).
        let mut graph = Graph::nodes_of(data, index);
        // Each principal's edges are decided on their own: the principals are shared out among
        // the cores, each thread with its own caches, and the edges put back in order.
        let total = graph.nodes.len();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16).min(total.max(1));
        let done = std::sync::atomic::AtomicUsize::new(0);
        let nodes = &graph.nodes;
        let parts: Vec<(Vec<Edge>, Vec<String>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let done = &done;
                    scope.spawn(move || {
                        let cx = techniques::Ctx::new(data, nodes, options);
                        let mut edges = Vec::new();
                        for from in (t..total).step_by(threads) {
                            techniques::edges(&cx, from, &mut edges);
                            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                            progress(n, total);
                        }
                        (edges, cx.into_errors())
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| (Vec::new(), vec!["a worker thread failed".to_string()])))
                .collect()
        });
        let mut edges = Vec::new();
        for (e, errors) in parts {
            edges.extend(e);
            graph.left_out.extend(errors);
        }
        graph.left_out.sort();
        graph.left_out.dedup();
        graph.set_edges(edges);
        graph
    }

    /// The graph as far as `start` (an ARN) can go in `max_hops` steps: every principal, but the
    /// edges of only those it can reach, decided as it reaches them (what a search from `start`
    /// needs, and nothing more). Stops with `None` when `cancel` is set; `Ok(None)` when `start`
    /// is not a principal of the graph.
    pub fn build_from(
        data: &AccountData,
        index: &Index,
        options: &Options<'_>,
        start: &str,
        max_hops: usize,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<Graph>, Cancelled> {
        let mut graph = Graph::nodes_of(data, index);
        let Some(from) = graph.node(start) else { return Ok(None) };
        let cx = techniques::Ctx::new(data, &graph.nodes, options);
        let mut out: Vec<Vec<Edge>> = vec![Vec::new(); graph.nodes.len()];
        let mut depth = vec![usize::MAX; graph.nodes.len()];
        depth[from] = 0;
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(x) = queue.pop_front() {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(Cancelled);
            }
            let d = depth[x];
            if d >= max_hops {
                continue;
            }
            let mut edges = Vec::new();
            techniques::edges(&cx, x, &mut edges);
            for e in edges.iter().filter(|e| e.gain == Gain::Becomes) {
                if depth[e.to] == usize::MAX {
                    depth[e.to] = d + 1;
                    queue.push_back(e.to);
                }
            }
            out[x] = edges;
        }
        let errors = cx.into_errors();
        graph.left_out.extend(errors);
        graph.set_edges(out.into_iter().flatten().collect());
        Ok(Some(graph))
    }

    /// Every principal of `index`, and the role sessions trust policies name; no edges yet.
    fn nodes_of(data: &AccountData, index: &Index) -> Graph {
        let mut graph = Graph::default();
        for p in &index.principals {
            graph.add(p.clone(), None);
        }
        graph.left_out.extend(index.skipped.iter().cloned());
        for session in named_sessions(data) {
            if graph.by_arn.contains_key(&session) {
                continue;
            }
            match IndexedPrincipal::resolve(data, &session) {
                Ok(p) => graph.add(p, Some("role session")),
                Err(e) => graph.left_out.push(format!("{session} (a trust policy names it): {e}")),
            }
        }
        graph
    }

    /// Takes the edges, ordered by source with unconditional ones first, and indexes them.
    fn set_edges(&mut self, mut edges: Vec<Edge>) {
        // Unconditional edges first, so that a search meets them first among paths as short.
        edges.sort_by_key(|e: &Edge| (e.from, e.conditional()));
        self.out = vec![Vec::new(); self.nodes.len()];
        for (i, e) in edges.iter().enumerate() {
            if let Some(o) = self.out.get_mut(e.from) {
                o.push(i);
            }
        }
        self.edges = edges;
    }

    fn add(&mut self, principal: IndexedPrincipal, kind: Option<&'static str>) {
        let arn = principal.principal.arn();
        let kind = kind.unwrap_or_else(|| kind_word(&principal.principal.kind));
        let admin = admin(&principal);
        self.by_arn.insert(arn.clone(), self.nodes.len());
        self.nodes.push(Node { arn, kind, principal, admin });
    }

    /// The node of an ARN.
    pub fn node(&self, arn: &str) -> Option<usize> {
        self.by_arn.get(arn).copied()
    }

    /// The edges leaving a node.
    pub fn edges_from(&self, node: usize) -> impl Iterator<Item = &Edge> {
        self.out.get(node).into_iter().flatten().filter_map(|&i| self.edges.get(i))
    }
}

/// Role sessions (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`) that the loaded trust
/// policies name, in a loaded account.
fn named_sessions(data: &AccountData) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for account in data.accounts.values() {
        for role in account.roles.values() {
            let Some(trust) = &role.trust_policy else { continue };
            let Ok(policy) = iamspect_core::Policy::parse(&role.arn, trust, iamspect_core::PolicyType::Trust) else {
                continue;
            };
            for s in policy.statements() {
                let Some((false, entries)) = s.principal_entries() else { continue };
                for (kind, value) in entries {
                    let loaded =
                        iamspect_core::Arn::parse(&value).is_some_and(|a| data.accounts.contains_key(a.account));
                    if kind == "AWS" && value.contains(":assumed-role/") && loaded {
                        out.insert(value);
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// True for the kinds of principal that act (users, roles, sessions); a root user is listed but
/// never the start of an escalation (it has everything already).
pub(crate) fn acts(node: &Node) -> bool {
    !matches!(node.principal.principal.kind, PrincipalKind::Root { .. })
}
