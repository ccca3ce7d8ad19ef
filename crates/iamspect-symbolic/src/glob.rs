//! Strings constrained by `*`/`?` patterns: each pattern is a small NFA over its pieces, and the
//! product of all patterns that constrain one string is explored breadth-first. Every reachable
//! product state has an *accept signature* (which patterns accept there); strings with the same
//! signature are indistinguishable to every policy element, so the signatures are the finite set
//! of classes the search chooses from, each with its shortest witness string (decision D65).

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt};

use crate::Unknown;

/// Characters a wildcard piece must not match.
pub(crate) const NO_COLON: u8 = 1;
pub(crate) const NO_WILDCARD_CHARS: u8 = 2;
pub(crate) const NO_SLASH: u8 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Piece {
    /// One exact character.
    Lit(char),
    /// One character, ASCII letters folded (`c` is lower case).
    Fold(char),
    /// `?`: any one character except the excluded ones.
    Any(u8),
    /// `*`: any run of characters except the excluded ones.
    Star(u8),
}

fn allowed(c: char, excluded: u8) -> bool {
    !((excluded & NO_COLON != 0 && c == ':')
        || (excluded & NO_WILDCARD_CHARS != 0 && (c == '*' || c == '?'))
        || (excluded & NO_SLASH != 0 && c == '/'))
}

/// One pattern: a sequence of pieces.
pub(crate) type Glob = Vec<Piece>;

/// Reads pattern text as the core reads it. `variables`: `${...}` is a policy variable (only the
/// escapes `${*}`, `${?}`, `${$}` are decided; any other variable is outside what this crate
/// decides exactly). `fold`: letters compare without regard to ASCII case.
pub(crate) fn parse(text: &str, wildcards: bool, variables: bool, fold: bool) -> Result<Glob, Unknown> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    let lit = |c: char| if fold { Piece::Fold(c.to_ascii_lowercase()) } else { Piece::Lit(c) };
    while let Some(c) = rest.chars().next() {
        if variables && rest.starts_with("${") {
            let Some(close) = rest.find('}') else {
                return Err(Unknown::new(format!("unclosed policy variable in `{text}`")));
            };
            let inner = rest.get(2..close).unwrap_or("");
            rest = rest.get(close + 1..).unwrap_or("");
            match inner {
                "*" | "?" | "$" => inner.chars().for_each(|c| out.push(lit(c))),
                _ => {
                    return Err(Unknown::new(format!(
                        "policy variable `${{{inner}}}` in `{text}` (it ties the value to another key)"
                    )));
                }
            }
            continue;
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
        match c {
            '*' if wildcards => {
                if out.last() != Some(&Piece::Star(0)) {
                    out.push(Piece::Star(0));
                }
            }
            '?' if wildcards => out.push(Piece::Any(0)),
            _ => out.push(lit(c)),
        }
    }
    Ok(out)
}

/// An ARN pattern with each policy variable written `*`: every resource the pattern matches,
/// whatever the variables' values, matches it too (the core substitutes a value as literal text,
/// which `*` matches). Only for variables in the resource part (after the fifth colon) or in a
/// pattern that is not an ARN, where `*` crosses colons as a value may; `None` otherwise, or
/// when a variable is not closed (decision D153).
pub(crate) fn variables_widened(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut first_variable: Option<usize> = None;
    while let Some(i) = rest.find("${") {
        out.push_str(rest.get(..i)?);
        let after = rest.get(i + 2..)?;
        let close = after.find('}')?;
        let inner = after.get(..close)?;
        if matches!(inner, "*" | "?" | "$") {
            out.push_str("${");
            out.push_str(inner);
            out.push('}');
        } else {
            first_variable.get_or_insert(out.len());
            out.push('*');
        }
        rest = after.get(close + 1..)?;
    }
    out.push_str(rest);
    let at = first_variable?;
    let before = out.get(..at)?;
    let in_resource_part = !text.starts_with("arn:") || before.matches(':').count() >= 5;
    in_resource_part.then_some(out)
}

/// An ARN pattern (a `Resource` entry or an `Arn*` value) as one glob over the whole text: the
/// core matches `arn:` patterns segment by segment (decision D3), which is the same as this glob
/// with the wildcards of the first four segments unable to cross a colon. Text without `arn:` is
/// one glob; `"*"` matches everything.
pub(crate) fn parse_arn(text: &str, variables: bool) -> Result<Glob, Unknown> {
    if text == "*" {
        return Ok(vec![Piece::Star(0)]);
    }
    let Some(rest) = text.strip_prefix("arn:") else {
        return parse(text, true, variables, false);
    };
    // The core's own split, so that segments are cut exactly where the engine cuts them.
    let segs = iamspect_core::split_arn_segments(rest);
    let mut out: Glob = "arn:".chars().map(Piece::Lit).collect();
    for i in 0..5 {
        if i > 0 {
            out.push(Piece::Lit(':'));
        }
        let excluded = if i < 4 { NO_COLON } else { 0 };
        match segs.get(i) {
            Some(seg) => {
                for p in parse(seg, true, variables, false)? {
                    out.push(match p {
                        Piece::Any(_) => Piece::Any(excluded),
                        Piece::Star(_) => Piece::Star(excluded),
                        lit => lit,
                    });
                }
            }
            None => out.push(Piece::Star(excluded)),
        }
    }
    Ok(out)
}

/// An ARN format of AWS's catalogue (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`) as a
/// glob, with the partition and account given: each other `${...}` stands for one or more
/// characters of its segment (a bucket name without `/`), as the catalogue's `arn_format_match`.
pub(crate) fn parse_format(text: &str, partition: &str, account: &str) -> Option<Glob> {
    let text = text.replace("${Partition}", partition).replace("${Account}", account);
    let rest = text.strip_prefix("arn:")?;
    let segs: Vec<&str> = rest.splitn(5, ':').collect();
    if segs.len() != 5 {
        return None;
    }
    let mut out: Glob = "arn:".chars().map(Piece::Lit).collect();
    for (i, seg) in segs.iter().enumerate() {
        if i > 0 {
            out.push(Piece::Lit(':'));
        }
        let base = if i < 4 { NO_COLON } else { 0 };
        let mut s = *seg;
        while let Some(c) = s.chars().next() {
            if s.starts_with("${")
                && let Some(close) = s.find('}')
            {
                let x = if s.get(..close + 1) == Some("${BucketName}") { base | NO_SLASH } else { base };
                out.push(Piece::Any(x));
                out.push(Piece::Star(x));
                s = s.get(close + 1..).unwrap_or("");
                continue;
            }
            out.push(Piece::Lit(c));
            s = s.get(c.len_utf8()..).unwrap_or("");
        }
    }
    Some(out)
}

/// The shape every request ARN has (`Arn::parse`): `arn:` and four more colons.
pub(crate) fn arn_shape() -> Glob {
    let mut out: Glob = "arn:".chars().map(Piece::Lit).collect();
    for _ in 0..4 {
        out.push(Piece::Star(NO_COLON));
        out.push(Piece::Lit(':'));
    }
    out.push(Piece::Star(0));
    out
}

/// The shape of a request's action: `service:Action`, no wildcard, no further colon.
pub(crate) fn action_shape() -> Glob {
    let x = NO_COLON | NO_WILDCARD_CHARS;
    vec![Piece::Any(x), Piece::Star(x), Piece::Lit(':'), Piece::Any(x), Piece::Star(x)]
}

/// Does `glob` match `text`? (Used to test witnesses and to look up preferred values.)
pub(crate) fn matches(glob: &Glob, text: &str) -> bool {
    let mut set = closure(glob, vec![0]);
    for c in text.chars() {
        set = step(glob, &set, c);
        if set.is_empty() {
            return false;
        }
    }
    set.contains(&(glob.len() as u32))
}

fn closure(glob: &Glob, mut set: Vec<u32>) -> Vec<u32> {
    set.sort_unstable();
    set.dedup();
    let mut i = 0;
    while i < set.len() {
        let pos = set.get(i).copied().unwrap_or(u32::MAX);
        if let Some(Piece::Star(_)) = glob.get(pos as usize) {
            let next = pos + 1;
            if let Err(at) = set.binary_search(&next) {
                set.insert(at, next);
            }
        }
        i += 1;
    }
    set
}

fn step(glob: &Glob, set: &[u32], c: char) -> Vec<u32> {
    let mut out = Vec::with_capacity(set.len() + 1);
    for &pos in set {
        match glob.get(pos as usize) {
            Some(Piece::Lit(l)) if *l == c => out.push(pos + 1),
            Some(Piece::Fold(l)) if c.to_ascii_lowercase() == *l => out.push(pos + 1),
            Some(Piece::Any(x)) if allowed(c, *x) => out.push(pos + 1),
            Some(Piece::Star(x)) if allowed(c, *x) => out.push(pos),
            _ => {}
        }
    }
    closure(glob, out)
}

/// The literal text a glob starts with (up to its first wildcard or folded letter).
fn literal_prefix(g: &Glob) -> impl Iterator<Item = char> + '_ {
    g.iter().map_while(|p| match p {
        Piece::Lit(c) => Some(*c),
        _ => None,
    })
}

/// Can some string match both globs, as far as their literal starts tell?
fn prefix_compatible(a: &Glob, b: &Glob) -> bool {
    literal_prefix(a).zip(literal_prefix(b)).all(|(x, y)| x == y)
}

/// The classes of one string variable.
#[derive(Clone, Debug)]
pub(crate) struct Classes {
    /// Per class, which patterns accept (a bitset over pattern indices).
    pub(crate) signatures: Vec<Vec<u64>>,
    /// Per class, a shortest string with that signature.
    pub(crate) witnesses: Vec<String>,
}

/// The most product states explored for one variable before answering unknown.
const MAX_STATES: usize = 5_000;
/// The same for one segment of a resource ARN: a segment's patterns are short, so its states are
/// cheap, and many resource policies put wildcards in the resource segment.
const MAX_SEGMENT_STATES: usize = 40_000;

/// Explores every string that, in each group of `domain`, one glob accepts, and returns the
/// classes of `patterns` among them. Strings outside that domain are never explored, which is what
/// keeps a large policy's patterns cheap when the question confines the string.
pub(crate) fn classes(patterns: &[Glob], domain: &[Vec<Glob>], what: &str) -> Result<Classes, Unknown> {
    classes_capped(patterns, domain, what, MAX_STATES)
}

fn classes_capped(patterns: &[Glob], domain: &[Vec<Glob>], what: &str, cap: usize) -> Result<Classes, Unknown> {
    let mut group_of: Vec<usize> = Vec::new();
    let mut all: Vec<&Glob> = patterns.iter().collect();
    for (gi, group) in domain.iter().enumerate() {
        for g in group {
            all.push(g);
            group_of.push(gi);
        }
    }
    let n = patterns.len();
    // A character no literal mentions stands for every such character.
    let mut mentioned: Vec<char> = Vec::new();
    for g in &all {
        for p in g.iter() {
            match p {
                Piece::Lit(c) => mentioned.push(*c),
                Piece::Fold(c) => {
                    mentioned.push(*c);
                    mentioned.push(c.to_ascii_uppercase());
                }
                _ => {}
            }
        }
    }
    mentioned.extend([':', '*', '?', '/']);
    mentioned.sort_unstable();
    mentioned.dedup();
    let fresh = "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        .chars()
        .chain('\u{e0}'..'\u{17f}')
        .find(|c| mentioned.binary_search(c).is_err())
        .ok_or_else(|| Unknown::new(format!("the patterns on {what} mention every character")))?;

    // A product state: for each live glob, its index and positions (sorted by index).
    type State = Vec<(u32, Vec<u32>)>;
    // A pattern whose literal start no glob of some domain group can share never accepts inside
    // the domain: leave it out (its signature bit stays clear, as the search would find).
    let relevant = |g: &Glob| domain.iter().all(|group| group.iter().any(|d| prefix_compatible(g, d)));
    let start: State = all
        .iter()
        .enumerate()
        .filter(|(i, g)| *i >= n || relevant(g))
        .map(|(i, g)| (i as u32, closure(g, vec![0])))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    let mut seen: HashMap<State, ()> = HashMap::new();
    let mut queue: VecDeque<(State, String)> = VecDeque::new();
    let mut by_signature: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut out = Classes { signatures: Vec::new(), witnesses: Vec::new() };
    let words = n.div_ceil(64).max(1);
    seen.insert(start.clone(), ());
    queue.push_back((start, String::new()));
    while let Some((state, text)) = queue.pop_front() {
        let mut signature = vec![0u64; words];
        let mut alive = vec![false; domain.len()];
        let mut accept = vec![false; domain.len()];
        for (i, set) in &state {
            let i = *i as usize;
            let Some(g) = all.get(i) else { continue };
            let accepts = set.contains(&(g.len() as u32));
            if i < n {
                if accepts && let Some(w) = signature.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            } else if let Some(&gi) = group_of.get(i - n) {
                if let Some(a) = alive.get_mut(gi) {
                    *a = true;
                }
                if let Some(a) = accept.get_mut(gi) {
                    *a |= accepts;
                }
            }
        }
        if !alive.iter().all(|a| *a) {
            continue;
        }
        let in_domain = accept.iter().all(|a| *a);
        if in_domain && !by_signature.contains_key(&signature) {
            by_signature.insert(signature.clone(), out.signatures.len());
            out.signatures.push(signature);
            out.witnesses.push(text.clone());
        }
        // The characters that can make a difference from here.
        let mut alphabet: Vec<char> = vec![fresh];
        for (i, set) in &state {
            let Some(g) = all.get(*i as usize) else { continue };
            for &pos in set {
                match g.get(pos as usize) {
                    Some(Piece::Lit(c)) => alphabet.push(*c),
                    Some(Piece::Fold(c)) => {
                        alphabet.push(*c);
                        alphabet.push(c.to_ascii_uppercase());
                    }
                    Some(Piece::Any(x) | Piece::Star(x)) if *x != 0 => alphabet.extend([':', '*', '?', '/']),
                    _ => {}
                }
            }
        }
        // Letters before punctuation: a class's first witness reads like a name where it can.
        alphabet.sort_unstable_by_key(|c| (!c.is_ascii_alphanumeric(), *c));
        alphabet.dedup();
        // The domain's globs come last in a state: step them first, and skip a character that
        // leaves some group of the domain with no live glob.
        let first_domain = state.partition_point(|(i, _)| (*i as usize) < n);
        for c in alphabet {
            let mut domain_next: Vec<(u32, Vec<u32>)> = Vec::new();
            let mut alive = vec![false; domain.len()];
            for (i, set) in state.iter().skip(first_domain) {
                let Some(g) = all.get(*i as usize) else { continue };
                let st = step(g, set, c);
                if !st.is_empty() {
                    if let Some(a) = group_of.get(*i as usize - n).and_then(|gi| alive.get_mut(*gi)) {
                        *a = true;
                    }
                    domain_next.push((*i, st));
                }
            }
            if !alive.iter().all(|a| *a) {
                continue;
            }
            let mut next: State = state
                .iter()
                .take(first_domain)
                .filter_map(|(i, set)| {
                    let g = all.get(*i as usize)?;
                    let s = step(g, set, c);
                    (!s.is_empty()).then_some((*i, s))
                })
                .collect();
            next.extend(domain_next);
            if seen.contains_key(&next) {
                continue;
            }
            if seen.len() >= cap {
                return Err(Unknown::new(format!(
                    "the patterns on {what} have more than {cap} distinct states to explore"
                )));
            }
            seen.insert(next.clone(), ());
            let mut t = text.clone();
            t.push(c);
            queue.push_back((next, t));
        }
    }
    Ok(out)
}

/// An ARN glob (from [`parse_arn`] or [`parse_format`]) split back into its five segments: the
/// literal colons after `arn:` that end the first four (segments hold no literal colon).
fn arn_segments(g: &Glob) -> Option<Vec<Glob>> {
    let prefix: Glob = "arn:".chars().map(Piece::Lit).collect();
    let rest = g.strip_prefix(prefix.as_slice())?;
    let mut segs: Vec<Glob> = vec![Vec::new()];
    for p in rest {
        match (p, segs.len()) {
            (Piece::Lit(':'), n) if n < 5 => segs.push(Vec::new()),
            _ => segs.last_mut()?.push(*p),
        }
    }
    (segs.len() == 5).then_some(segs)
}

/// The most combined classes of a resource before answering unknown.
const MAX_COMBINED: usize = 200_000;

/// The classes of resources (`*` or an ARN) for patterns that are all ARN globs or the literal
/// `*`, segment by segment: an ARN pattern matches when each of its five segment globs matches
/// its segment, so the classes of each segment, combined, give the classes of the whole (far
/// fewer states than one product over whole ARNs, where wildcards in several segments multiply).
/// `bound`: keep only classes some of these patterns accept. `None` when a pattern is neither.
pub(crate) fn arn_classes(patterns: &[Glob], bound: Option<&[u32]>) -> Option<Result<Classes, Unknown>> {
    let star: Glob = vec![Piece::Lit('*')];
    let mut segs: Vec<Option<Vec<Glob>>> = Vec::with_capacity(patterns.len());
    for g in patterns {
        if *g == star {
            segs.push(None);
        } else {
            segs.push(Some(arn_segments(g)?));
        }
    }
    Some(combine(patterns.len(), &segs, bound))
}

fn combine(n: usize, segs: &[Option<Vec<Glob>>], bound: Option<&[u32]>) -> Result<Classes, Unknown> {
    let words = n.div_ceil(64).max(1);
    let set = |b: &mut Vec<u64>, i: usize| {
        if let Some(w) = b.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    };
    let mut arn_all = vec![0u64; words];
    let mut star_sig = vec![0u64; words];
    for (i, s) in segs.iter().enumerate() {
        if s.is_some() { set(&mut arn_all, i) } else { set(&mut star_sig, i) }
    }
    let mut partial: Vec<(Vec<u64>, String)> = vec![(arn_all, "arn".to_string())];
    for k in 0..5 {
        // This segment's distinct globs, and which patterns use each.
        let mut globs: Vec<Glob> = Vec::new();
        let mut of: Vec<Option<usize>> = Vec::with_capacity(n);
        for s in segs {
            of.push(s.as_ref().and_then(|s| s.get(k)).map(|g| match globs.iter().position(|x| x == g) {
                Some(j) => j,
                None => {
                    globs.push(g.clone());
                    globs.len() - 1
                }
            }));
        }
        let domain = if k < 4 { vec![vec![vec![Piece::Star(NO_COLON)]]] } else { Vec::new() };
        // Only the patterns still matching the earlier segments matter for this one: class the
        // segment over those alone (one exploration per distinct set of them).
        let mut cache: HashMap<Vec<usize>, (Vec<usize>, Classes)> = HashMap::new();
        let mut next: HashMap<Vec<u64>, String> = HashMap::new();
        for (sig, text) in &partial {
            let mut alive: Vec<usize> = of
                .iter()
                .enumerate()
                .filter(|(i, _)| sig.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1))
                .filter_map(|(_, j)| *j)
                .collect();
            alive.sort_unstable();
            alive.dedup();
            if !cache.contains_key(&alive) {
                let sub: Vec<Glob> = alive.iter().filter_map(|&j| globs.get(j).cloned()).collect();
                let c = classes_capped(&sub, &domain, "a resource ARN segment", MAX_SEGMENT_STATES)?;
                cache.insert(alive.clone(), (alive.clone(), c));
            }
            let Some((alive_globs, seg_classes)) = cache.get(&alive) else { continue };
            for (seg_sig, seg_text) in seg_classes.signatures.iter().zip(&seg_classes.witnesses) {
                let mut s = sig.clone();
                for (i, j) in of.iter().enumerate() {
                    // The pattern's segment glob, as an index into this exploration's globs.
                    let local = j.and_then(|j| alive_globs.iter().position(|&a| a == j));
                    let hit = local.is_some_and(|l| seg_sig.get(l / 64).is_some_and(|w| w >> (l % 64) & 1 == 1));
                    if !hit && let Some(w) = s.get_mut(i / 64) {
                        *w &= !(1 << (i % 64));
                    }
                }
                next.entry(s).or_insert_with(|| format!("{text}:{seg_text}"));
                if next.len() > MAX_COMBINED {
                    return Err(Unknown::new(format!(
                        "the resource patterns have more than {MAX_COMBINED} distinct classes"
                    )));
                }
            }
        }
        partial = next.into_iter().collect();
        partial.sort_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| a.1.cmp(&b.1)));
    }
    partial.push((star_sig, "*".to_string()));
    if let Some(bound) = bound {
        partial
            .retain(|(sig, _)| bound.iter().any(|&i| sig.get(i as usize / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)));
    }
    let (signatures, witnesses) = partial.into_iter().unzip();
    Ok(Classes { signatures, witnesses })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_patterns_match_segment_wise() {
        let g = parse_arn("arn:aws:s3:::b/*", true).unwrap();
        assert!(matches(&g, "arn:aws:s3:::b/k:with:colons"));
        let q = parse_arn("arn:aws:sqs", true).unwrap();
        assert!(matches(&q, "arn:aws:sqs:us-east-1:1:q"));
        assert!(!matches(&q, "arn:aws:sqs:us-east-1:1"));
        let star = parse_arn("arn:aws:iam::*:role/*", true).unwrap();
        assert!(!matches(&star, "arn:aws:iam::1:2:role/x"));
        assert!(matches(&arn_shape(), "arn:::::"));
        assert!(!matches(&action_shape(), "s3:*"));
    }

    #[test]
    fn classes_of_nested_prefixes() {
        let ps = vec![
            parse("s3:get*", true, false, false).unwrap(),
            parse("s3:*", true, false, false).unwrap(),
            parse("ec2:*", true, false, false).unwrap(),
        ];
        let c = classes(&ps, &[vec![action_shape()]], "the action").unwrap();
        // {none}, {s3:*}, {s3:get*, s3:*}, {ec2:*}
        assert_eq!(c.signatures.len(), 4);
        for (sig, w) in c.signatures.iter().zip(&c.witnesses) {
            for (i, p) in ps.iter().enumerate() {
                assert_eq!(sig[0] >> i & 1 == 1, matches(p, w), "{w}");
            }
        }
    }
}
