//! What would cut a principal's paths to admin: one statement taken away from a policy a path
//! step relies on, proved by building the graph again without it and finding no path.

use serde_json::Value;

use super::{Graph, Options, Path, shortest_to_admin};
use crate::model::AccountData;
use crate::query::Index;

/// One statement whose removal was tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The policy (a managed policy's ARN, `OWNER/NAME` for an inline policy, `ROLE/trust-policy`).
    pub policy: String,
    /// The statement's index.
    pub statement: usize,
    /// Its line in the policy.
    pub line: usize,
    /// How many principals of the graph have the policy (a change to it changes them all).
    pub shared_by: usize,
    /// True when, without the statement, the principal has no path to admin at all (within the
    /// same number of steps); false when another path remains.
    pub removes_every_path: bool,
}

/// The document of `policy` in `data`, to change in place.
fn document_mut<'a>(data: &'a mut AccountData, policy: &str) -> Option<&'a mut String> {
    if data.managed_policies.contains_key(policy) {
        return data.managed_policies.get_mut(policy).map(|p| &mut p.document);
    }
    // Where the policy is, found first; then borrowed to change.
    let (account, kind, entity) = data.accounts.iter().find_map(|(id, account)| {
        let inline = |list: &[crate::model::NamedDocument]| list.iter().any(|d| d.name == policy);
        if let Some(r) = account.roles.values().find(|r| policy == format!("{}/trust-policy", r.arn)) {
            return Some((id.clone(), 0, r.name.clone()));
        }
        if let Some(u) = account.users.values().find(|u| inline(&u.inline)) {
            return Some((id.clone(), 1, u.name.clone()));
        }
        if let Some(g) = account.groups.values().find(|g| inline(&g.inline)) {
            return Some((id.clone(), 2, g.name.clone()));
        }
        account.roles.values().find(|r| inline(&r.inline)).map(|r| (id.clone(), 3, r.name.clone()))
    })?;
    let account = data.accounts.get_mut(&account)?;
    let list = match kind {
        0 => return account.roles.get_mut(&entity)?.trust_policy.as_mut(),
        1 => &mut account.users.get_mut(&entity)?.inline,
        2 => &mut account.groups.get_mut(&entity)?.inline,
        _ => &mut account.roles.get_mut(&entity)?.inline,
    };
    list.iter_mut().find(|d| d.name == policy).map(|d| &mut d.document)
}

/// `data` with statement `index` of `policy` taken away (the policy detached, or the inline
/// policy deleted, when it was its only statement, since IAM has no policy without statements);
/// `None` when the policy or statement is not found, or it is a trust policy's only statement.
pub fn without_statement(data: &AccountData, policy: &str, index: usize) -> Option<AccountData> {
    let mut changed = data.clone();
    let doc = document_mut(&mut changed, policy)?;
    let mut v: Value = serde_json::from_str(doc).ok()?;
    let statements = v.get_mut("Statement")?;
    let left = match statements {
        Value::Array(list) if index < list.len() => {
            list.remove(index);
            list.len()
        }
        Value::Object(_) if index == 0 => 0,
        _ => return None,
    };
    if left > 0 {
        *doc = serde_json::to_string_pretty(&v).ok()?;
        return Some(changed);
    }
    if changed.managed_policies.contains_key(policy) {
        for account in changed.accounts.values_mut() {
            for u in account.users.values_mut() {
                u.attached.retain(|a| a != policy);
            }
            for g in account.groups.values_mut() {
                g.attached.retain(|a| a != policy);
            }
            for r in account.roles.values_mut() {
                r.attached.retain(|a| a != policy);
            }
        }
        return Some(changed);
    }
    let mut found = false;
    for account in changed.accounts.values_mut() {
        let lists = account
            .users
            .values_mut()
            .map(|u| &mut u.inline)
            .chain(account.groups.values_mut().map(|g| &mut g.inline))
            .chain(account.roles.values_mut().map(|r| &mut r.inline));
        for list in lists {
            let before = list.len();
            list.retain(|d| d.name != policy);
            found |= list.len() != before;
        }
    }
    found.then_some(changed)
}

/// For each statement the steps of `path` rely on, whether taking it away leaves `from` (an ARN)
/// with no path to admin: the graph is built again each time, so the answer is proved.
pub fn cuts(
    data: &AccountData,
    graph: &Graph,
    from: &str,
    path: &Path,
    max_hops: usize,
    options: &Options<'_>,
) -> Vec<Cut> {
    let mut tried: Vec<(String, usize, usize)> = Vec::new();
    for e in path.steps.iter().filter_map(|&e| graph.edges.get(e)) {
        for r in &e.requests {
            for (policy, statement, line, _) in r.granted_by() {
                if !tried.iter().any(|(p, s, _)| p == policy && s == statement) {
                    tried.push((policy.clone(), *statement, *line));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (policy, statement, line) in tried {
        let shared_by = graph.nodes.iter().filter(|n| n.principal.identity.iter().any(|p| p.name() == policy)).count();
        let Some(changed) = without_statement(data, &policy, statement) else { continue };
        let index = Index::build(&changed);
        // Only the principal's reach matters: the graph from it.
        let never = std::sync::atomic::AtomicBool::new(false);
        let again = Graph::build_from(&changed, &index, options, from, max_hops, &never).ok().flatten();
        let removes_every_path =
            again.as_ref().is_some_and(|g| g.node(from).is_some_and(|n| shortest_to_admin(g, n, max_hops).is_none()));
        out.push(Cut { policy, statement, line, shared_by, removes_every_path });
    }
    // Proved cuts first, then the ones that change fewer principals.
    out.sort_by_key(|c| (!c.removes_every_path, c.shared_by));
    out
}
