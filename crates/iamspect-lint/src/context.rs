//! What rules share: the parsed policy, the target, the catalogue, and per-statement work done
//! once per run (action entries resolved against the catalogue, resource entries, principals).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

use iamspect_catalog::{Action, Catalog, Service};
use iamspect_core::{Effect, Policy, Span, Statement};

use crate::Target;

/// What an `Action`/`NotAction` entry names, according to the catalogue.
#[derive(Clone, Debug)]
pub(crate) enum Resolved {
    /// `"*"`.
    All,
    /// A template placeholder or otherwise unreadable entry: the core already warned.
    Opaque,
    /// The service prefix matches no service.
    UnknownService,
    /// The service is known but the name matches no action.
    UnknownAction(Service<'static>),
    /// The actions it matches (at least one).
    Actions(Vec<Action<'static>>),
}

/// One `Action`/`NotAction` entry.
pub(crate) struct ActionEntry<'a> {
    pub(crate) text: &'a str,
    pub(crate) span: Span,
    pub(crate) resolved: Resolved,
}

/// A statement's action entries, split for fast coverage tests: literal names (lower case) and
/// patterns with wildcards.
#[derive(Default)]
pub(crate) struct ActionSet<'a> {
    pub(crate) literals: std::collections::HashSet<String>,
    pub(crate) wildcards: Vec<&'a str>,
}

impl ActionSet<'_> {
    /// True if some entry covers action pattern `a`; each comparison is paid from `budget`
    /// (false once it is spent).
    pub(crate) fn covers_within(&self, a: &str, budget: &Budget) -> bool {
        (!has_wildcard(a) && budget.spend(1) && self.literals.contains(&a.to_ascii_lowercase()))
            || self.wildcards.iter().any(|w| budget.compare(w, a) && glob_covers_within(w, a, true, Some(budget)))
    }
}

/// The work a rule that compares entries pair by pair (redundant and dead statements, redundant
/// actions and resources) may do on one policy: pairs grow with the square of the policy, so
/// each such rule gets a fixed amount plus an amount per byte of text, which keeps lint linear in
/// the size of the policy. Every policy AWS accepts fits with room to spare; a rule that runs out
/// stops and says so in a finding of its own (see [`crate::rules::Sink::incomplete`]).
pub(crate) struct Budget {
    left: Cell<u64>,
    spent: Cell<bool>,
}

impl Budget {
    /// Units for any policy.
    const BASE: u64 = 1_000_000;
    /// Units per byte of policy text.
    const PER_BYTE: u64 = 4;

    /// Catalogue entries looked at, for any policy, when resolving action entries.
    const CATALOG_BASE: u64 = 20_000_000;
    /// Catalogue entries looked at per byte of policy text.
    const CATALOG_PER_BYTE: u64 = 20;

    /// The budget of one pairwise rule on a text of `len` bytes.
    pub(crate) fn for_text(len: usize) -> Budget {
        Budget::new(Budget::BASE, Budget::PER_BYTE, len)
    }

    /// The budget of matching a policy's action entries against the catalogue: one unit per
    /// catalogue entry looked at (`*:Get*` looks at every action of every service).
    pub(crate) fn for_catalog(len: usize) -> Budget {
        Budget::new(Budget::CATALOG_BASE, Budget::CATALOG_PER_BYTE, len)
    }

    fn new(base: u64, per_byte: u64, len: usize) -> Budget {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        Budget { left: Cell::new(base.saturating_add(len.saturating_mul(per_byte))), spent: Cell::new(false) }
    }

    /// Takes `units`; false (for good) when they are not left.
    pub(crate) fn spend(&self, units: u64) -> bool {
        if self.spent.get() {
            return false;
        }
        match self.left.get().checked_sub(units) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.spent.set(true);
                false
            }
        }
    }

    /// Takes what comparing patterns `a` and `b` costs when their fixed start or end tells
    /// (most comparisons); [`glob_covers_within`] takes the rest when it must match them in full.
    pub(crate) fn compare(&self, a: &str, b: &str) -> bool {
        let sum = u64::try_from(a.len().saturating_add(b.len())).unwrap_or(u64::MAX);
        self.spend(1 + sum / 64)
    }

    /// [`Budget::compare`] for two ARN patterns: five segments.
    pub(crate) fn compare_arns(&self, a: &str, b: &str) -> bool {
        let sum = u64::try_from(a.len().saturating_add(b.len())).unwrap_or(u64::MAX);
        self.spend(5 + sum / 64)
    }

    /// True once a comparison was refused: the rule's answer is incomplete.
    pub(crate) fn is_spent(&self) -> bool {
        self.spent.get()
    }
}

/// One statement with its entries.
pub(crate) struct Stmt<'a> {
    pub(crate) statement: &'a Statement,
    /// `NotAction`.
    pub(crate) not_action: bool,
    pub(crate) action_span: Span,
    pub(crate) actions: Vec<ActionEntry<'a>>,
    pub(crate) action_set: ActionSet<'a>,
    /// `(NotResource, element span, entries)`; `None` in a trust policy.
    pub(crate) resources: Option<iamspect_core::policy::ElementEntries<'a>>,
    /// The resource entries split into ARN segments once (in the order of `resources`).
    pub(crate) arns: Vec<ArnParts<'a>>,
    /// `(NotPrincipal, element span, value)` with the value read as JSON.
    pub(crate) principal: Option<(bool, Span, serde_json::Value)>,
}

impl Stmt<'_> {
    pub(crate) fn effect(&self) -> Effect {
        self.statement.effect()
    }

    pub(crate) fn has_conditions(&self) -> bool {
        !self.statement.conditions().is_empty()
    }

    /// True if the principal names everyone: `"*"` or an `"AWS"` list with `"*"`.
    pub(crate) fn principal_is_public(&self) -> bool {
        let Some((false, _, value)) = &self.principal else { return false };
        match value {
            serde_json::Value::String(s) => s == "*",
            serde_json::Value::Object(map) => map.get("AWS").is_some_and(|v| match v {
                serde_json::Value::String(s) => s == "*",
                serde_json::Value::Array(a) => a.iter().any(|x| x.as_str() == Some("*")),
                _ => false,
            }),
            _ => false,
        }
    }
}

/// The context of one run.
pub(crate) struct Ctx<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) target: Target<'a>,
    pub(crate) catalog: &'static Catalog,
    pub(crate) statements: Vec<Stmt<'a>>,
    /// Some action entries were left unresolved ([`Resolved::Opaque`]) because matching them
    /// against the catalogue would have cost more than [`Budget::for_catalog`] allows.
    pub(crate) catalog_incomplete: bool,
    cancel: &'a AtomicBool,
}

impl<'a> Ctx<'a> {
    /// True once the caller cancelled the run: rules that loop over pairs return early.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// A fresh [`Budget`] for one pairwise rule.
    pub(crate) fn budget(&self) -> Budget {
        Budget::for_text(self.policy.source().len())
    }

    pub(crate) fn new(policy: &'a Policy, target: Target<'a>, cancel: &'a AtomicBool) -> Ctx<'a> {
        let catalog = Catalog::get();
        let source = policy.source();
        let budget = Budget::for_catalog(source.len());
        // The same entry in many statements is matched against the catalogue once.
        let mut resolved: std::collections::HashMap<&str, Resolved> = std::collections::HashMap::new();
        let statements = policy
            .statements()
            .iter()
            .map(|statement| {
                let (not_action, action_span, entries) = statement.action_entries();
                let mut action_set = ActionSet::default();
                for (text, _) in &entries {
                    if has_wildcard(text) {
                        action_set.wildcards.push(text);
                    } else {
                        action_set.literals.insert(text.to_ascii_lowercase());
                    }
                }
                let actions = entries
                    .into_iter()
                    .map(|(text, span)| {
                        let resolved = match resolved.get(text) {
                            // A copy costs its length, like the matching it saves.
                            Some(r) if budget.spend(r.len()) => r.clone(),
                            Some(_) => Resolved::Opaque,
                            None => {
                                let r = resolve(catalog, text, &budget);
                                resolved.insert(text, r.clone());
                                r
                            }
                        };
                        ActionEntry { text, span, resolved }
                    })
                    .collect();
                let principal = statement.principal_element().map(|(not, span)| {
                    let value = source
                        .get(span.start..span.end)
                        .and_then(|t| {
                            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&format!("{{{t}}}")).ok()
                        })
                        .and_then(|m| m.into_iter().next().map(|(_, v)| v))
                        .unwrap_or(serde_json::Value::Null);
                    (not, span, value)
                });
                let resources = statement.resource_entries();
                let arns = resources.iter().flat_map(|(_, _, r)| r).map(|(text, _)| ArnParts::new(text)).collect();
                Stmt { statement, not_action, action_span, actions, action_set, resources, arns, principal }
            })
            .collect();
        Ctx { policy, target, catalog, statements, catalog_incomplete: budget.is_spent(), cancel }
    }
}

fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.len() > 2 && ((t.starts_with('<') && t.ends_with('>')) || (t.starts_with('[') && t.ends_with(']')))
}

pub(crate) fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

impl Resolved {
    /// The number of actions it holds.
    fn len(&self) -> u64 {
        match self {
            Resolved::Actions(list) => u64::try_from(list.len()).unwrap_or(u64::MAX),
            _ => 1,
        }
    }
}

/// Resolves one action entry against the catalogue, paying one unit of `budget` per catalogue
/// entry looked at; [`Resolved::Opaque`] once it is spent.
fn resolve(catalog: &'static Catalog, text: &str, budget: &Budget) -> Resolved {
    if text == "*" {
        return Resolved::All;
    }
    let Some((service, name)) = text.split_once(':') else { return Resolved::Opaque };
    if is_placeholder(text) || is_placeholder(service) || is_placeholder(name) {
        return Resolved::Opaque;
    }
    if has_wildcard(service) {
        let mut actions = Vec::new();
        let mut any_service = false;
        for s in catalog.services() {
            if !budget.spend(1) {
                return Resolved::Opaque;
            }
            if !glob_match(service, s.prefix()) {
                continue;
            }
            any_service = true;
            for a in s.actions() {
                if !budget.spend(1) {
                    return Resolved::Opaque;
                }
                if glob_match(name, a.name()) {
                    actions.push(a);
                }
            }
        }
        if actions.is_empty() {
            return if any_service { Resolved::Opaque } else { Resolved::UnknownService };
        }
        return Resolved::Actions(actions);
    }
    let Some(svc) = catalog.service(service) else { return Resolved::UnknownService };
    if !has_wildcard(name) {
        return match svc.action(name) {
            Some(a) => Resolved::Actions(vec![a]),
            None => Resolved::UnknownAction(svc),
        };
    }
    let mut actions = Vec::new();
    for a in svc.actions() {
        if !budget.spend(1) {
            return Resolved::Opaque;
        }
        if glob_match(name, a.name()) {
            actions.push(a);
        }
    }
    if actions.is_empty() { Resolved::UnknownAction(svc) } else { Resolved::Actions(actions) }
}

/// `*`/`?` glob match, ignoring ASCII case.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || t.get(ti).is_some_and(|x| x.eq_ignore_ascii_case(&c)) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// [`glob_covers_within`] ignoring ASCII case, without a budget.
#[cfg(test)]
pub(crate) fn glob_covers(a: &str, b: &str) -> bool {
    glob_covers_within(a, b, true, None)
}

/// True if glob `a` matches every string glob `b` matches (a sound approximation: `b`'s `*` may
/// only be matched by `a`'s `*`, and `b`'s `?` by `a`'s `*` or `?`), with or without ignoring
/// ASCII case. When the fixed start and end of `a` do not decide, matching costs the product of
/// the lengths, paid from `budget` first (false when it is spent).
pub(crate) fn glob_covers_within(a: &str, b: &str, ignore_case: bool, budget: Option<&Budget>) -> bool {
    let eq = |x: &[u8], y: &[u8]| if ignore_case { x.eq_ignore_ascii_case(y) } else { x == y };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b"*" {
        return true;
    }
    // Fast paths: the literal text before `a`'s first wildcard must start `b`, and without
    // wildcards `a` covers only itself.
    let first = a.iter().position(|&c| c == b'*' || c == b'?').unwrap_or(a.len());
    if b.len() < first || !eq(&a[..first], &b[..first]) || b[..first].iter().any(|&c| c == b'*' || c == b'?') {
        return false;
    }
    if first == a.len() {
        return a.len() == b.len();
    }
    let last = a.iter().rposition(|&c| c == b'*' || c == b'?').map_or(0, |i| i + 1);
    let tail = &a[last..];
    if b.len() < tail.len() || !eq(tail, &b[b.len() - tail.len()..]) {
        return false;
    }
    if let Some(budget) = budget {
        let cells = u64::try_from(a.len().saturating_mul(b.len())).unwrap_or(u64::MAX);
        if !budget.spend(cells / 8) {
            return false;
        }
    }
    // reachable[j]: a[..i] can consume b[..j].
    let mut reachable = vec![false; b.len() + 1];
    let mut next = vec![false; b.len() + 1];
    reachable[0] = true;
    for &c in a {
        next.fill(false);
        if c == b'*' {
            let mut on = false;
            for j in 0..=b.len() {
                on |= reachable[j];
                next[j] = on;
            }
        } else {
            for j in 0..b.len() {
                if reachable[j] {
                    let d = b[j];
                    let ok = if c == b'?' {
                        d != b'*'
                    } else {
                        d != b'*' && d != b'?' && (d == c || (ignore_case && d.eq_ignore_ascii_case(&c)))
                    };
                    if ok {
                        next[j + 1] = true;
                    }
                }
            }
        }
        std::mem::swap(&mut reachable, &mut next);
    }
    reachable[b.len()]
}

/// True if some string matches both globs `a` and `b`, ignoring ASCII case.
pub(crate) fn glob_intersects(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (n, m) = (a.len(), b.len());
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let k = i * (m + 1) + j;
        if seen[k] {
            continue;
        }
        seen[k] = true;
        if i == n && j == m {
            return true;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'*') {
            stack.push((i + 1, j));
            if j < m {
                stack.push((i, j + 1));
            }
        }
        if cb == Some(b'*') {
            stack.push((i, j + 1));
            if i < n {
                stack.push((i + 1, j));
            }
        }
        if let (Some(x), Some(y)) = (ca, cb)
            && x != b'*'
            && y != b'*'
            && (x == b'?' || y == b'?' || x.eq_ignore_ascii_case(&y))
        {
            stack.push((i + 1, j + 1));
        }
    }
    false
}

/// Replaces every `${...}` with `*`.
pub(crate) fn variables_as_stars(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("${") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => {
                out.push('*');
                rest = &rest[i + j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// A resource entry and its ARN segments, split once.
pub(crate) struct ArnParts<'a> {
    pub(crate) text: &'a str,
    pub(crate) segments: Option<[&'a str; 5]>,
}

impl<'a> ArnParts<'a> {
    pub(crate) fn new(text: &'a str) -> ArnParts<'a> {
        ArnParts { text, segments: arn_segments(text) }
    }
}

/// Splits an ARN (pattern) into `[partition, service, region, account, resource]`, or `None`.
pub(crate) fn arn_segments(text: &str) -> Option<[&str; 5]> {
    let rest = text.strip_prefix("arn:")?;
    let mut it = rest.splitn(5, ':');
    Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
}

/// The closest of `candidates` to `word` (case-insensitive edit distance), if close enough.
/// Each candidate is paid from `budget`; once it is spent there is no suggestion (the finding
/// stands without its "did you mean").
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl Iterator<Item = &'c str>,
    budget: &Budget,
) -> Option<&'c str> {
    let w = word.to_ascii_lowercase();
    let limit = (w.len() / 3).clamp(1, 4);
    let mut best: Option<(usize, &str)> = None;
    let mut rows = (Vec::new(), Vec::new());
    for c in candidates {
        if w.len().abs_diff(c.len()) > limit {
            continue;
        }
        let cells = u64::try_from(w.len().saturating_mul(c.len())).unwrap_or(u64::MAX);
        if !budget.spend(1 + cells / 8) {
            return None;
        }
        let d = edit_distance(w.as_bytes(), c.as_bytes(), &mut rows);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance between `a` (lower case) and `b` (compared ignoring ASCII case), with
/// two rows kept by the caller across calls.
fn edit_distance(a: &[u8], b: &[u8], rows: &mut (Vec<usize>, Vec<usize>)) -> usize {
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(0..=b.len());
    for (i, &x) in a.iter().enumerate() {
        cur.clear();
        cur.resize(b.len() + 1, i + 1);
        for (j, &y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y.to_ascii_lowercase())).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("s3:Get*", "s3:getobject"));
        assert!(!glob_match("s3:Get*", "s3:PutObject"));
        assert!(glob_covers("s3:*", "s3:Get*"));
        assert!(glob_covers("s3:Get*", "s3:GetObject"));
        assert!(!glob_covers("s3:Get?", "s3:Get*"));
        assert!(!glob_covers("*x", "*"));
        assert!(glob_intersects("bucket/*", "*/key"));
        assert!(!glob_intersects("table/*", "bucket/*"));
        assert_eq!(variables_as_stars("a/${aws:username}/b"), "a/*/b");
        let budget = Budget::for_text(0);
        assert_eq!(did_you_mean("GetObjekt", ["GetObject", "PutObject"].into_iter(), &budget), Some("GetObject"));
    }
}
