//! What rules share: the parsed policy, the target, the catalogue, and per-statement work done
//! once per run (action entries resolved against the catalogue, resource entries, principals).

use iamspect_catalog::{Action, Catalog, Service};
use iamspect_core::{Effect, Policy, Span, Statement};

use crate::Target;

/// What an `Action`/`NotAction` entry names, according to the catalogue.
#[derive(Debug)]
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
    /// True if some entry covers action pattern `a`.
    pub(crate) fn covers(&self, a: &str) -> bool {
        (!has_wildcard(a) && self.literals.contains(&a.to_ascii_lowercase()))
            || self.wildcards.iter().any(|w| glob_covers(w, a))
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
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(policy: &'a Policy, target: Target<'a>) -> Ctx<'a> {
        let catalog = Catalog::get();
        let source = policy.source();
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
                    .map(|(text, span)| ActionEntry { text, span, resolved: resolve(catalog, text) })
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
                Stmt {
                    statement,
                    not_action,
                    action_span,
                    actions,
                    action_set,
                    resources: statement.resource_entries(),
                    principal,
                }
            })
            .collect();
        Ctx { policy, target, catalog, statements }
    }
}

fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.len() > 2 && ((t.starts_with('<') && t.ends_with('>')) || (t.starts_with('[') && t.ends_with(']')))
}

pub(crate) fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Resolves one action entry against the catalogue.
fn resolve(catalog: &'static Catalog, text: &str) -> Resolved {
    if text == "*" {
        return Resolved::All;
    }
    let Some((service, name)) = text.split_once(':') else { return Resolved::Opaque };
    if is_placeholder(text) || is_placeholder(service) || is_placeholder(name) {
        return Resolved::Opaque;
    }
    if has_wildcard(service) {
        let actions: Vec<_> = catalog
            .services()
            .filter(|s| glob_match(service, s.prefix()))
            .flat_map(|s| s.actions())
            .filter(|a| glob_match(name, a.name()))
            .collect();
        if actions.is_empty() {
            let any_service = catalog.services().any(|s| glob_match(service, s.prefix()));
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
    let actions: Vec<_> = svc.actions().filter(|a| glob_match(name, a.name())).collect();
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

/// True if glob `a` matches every string glob `b` matches (a sound approximation: `b`'s `*` may
/// only be matched by `a`'s `*`, and `b`'s `?` by `a`'s `*` or `?`), ignoring ASCII case.
pub(crate) fn glob_covers(a: &str, b: &str) -> bool {
    glob_covers_case(a, b, true)
}

/// [`glob_covers`], with or without ignoring ASCII case.
pub(crate) fn glob_covers_case(a: &str, b: &str, ignore_case: bool) -> bool {
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
    // reachable[j]: a[..i] can consume b[..j].
    let mut reachable = vec![false; b.len() + 1];
    reachable[0] = true;
    for &c in a {
        let mut next = vec![false; b.len() + 1];
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
        reachable = next;
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

/// Splits an ARN (pattern) into `[partition, service, region, account, resource]`, or `None`.
pub(crate) fn arn_segments(text: &str) -> Option<[&str; 5]> {
    let rest = text.strip_prefix("arn:")?;
    let mut it = rest.splitn(5, ':');
    Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
}

/// The closest of `candidates` to `word` (case-insensitive edit distance), if close enough.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let w = word.to_ascii_lowercase();
    let limit = (w.len() / 3).clamp(1, 4);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&w, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 4 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
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
        assert_eq!(did_you_mean("GetObjekt", ["GetObject", "PutObject"].into_iter()), Some("GetObject"));
    }
}
