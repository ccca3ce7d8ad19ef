//! Strings constrained by `*`/`?` patterns: each pattern is a small NFA over its pieces, and the
//! product of all patterns that constrain one string is explored breadth-first. Every reachable
//! product state has an *accept signature* (which patterns accept there); strings with the same
//! signature are indistinguishable to every policy element, so the signatures are the finite set
//! of classes the search chooses from, each with its shortest witness string (decision D65).

use std::collections::{HashMap, VecDeque};

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

/// Splits ARN pattern text after `arn:` at colons outside `${...}`, into at most five segments
/// (the core's `split_segments`).
fn split_segments(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(5);
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i..i + 2) == Some(b"${") {
            depth += 1;
            i += 2;
            continue;
        }
        match bytes.get(i) {
            Some(b'}') if depth > 0 => depth -= 1,
            Some(b':') if depth == 0 && out.len() < 4 => {
                out.push(text.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(text.get(start..).unwrap_or(""));
    out
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
    let segs = split_segments(rest);
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

/// The classes of one string variable.
#[derive(Clone, Debug)]
pub(crate) struct Classes {
    /// Per class, which patterns accept (a bitset over pattern indices).
    pub(crate) signatures: Vec<Vec<u64>>,
    /// Per class, a shortest string with that signature.
    pub(crate) witnesses: Vec<String>,
}

/// The most product states explored for one variable before answering unknown.
const MAX_STATES: usize = 400_000;

/// Explores every string in `domain` (any of its globs) and returns the classes of `patterns`.
pub(crate) fn classes(patterns: &[Glob], domain: &[Glob], what: &str) -> Result<Classes, Unknown> {
    let all: Vec<&Glob> = patterns.iter().chain(domain.iter()).collect();
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
    let start: State =
        all.iter().enumerate().map(|(i, g)| (i as u32, closure(g, vec![0]))).filter(|(_, s)| !s.is_empty()).collect();
    let mut seen: HashMap<State, ()> = HashMap::new();
    let mut queue: VecDeque<(State, String)> = VecDeque::new();
    let mut by_signature: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut out = Classes { signatures: Vec::new(), witnesses: Vec::new() };
    let words = n.div_ceil(64).max(1);
    seen.insert(start.clone(), ());
    queue.push_back((start, String::new()));
    while let Some((state, text)) = queue.pop_front() {
        let mut signature = vec![0u64; words];
        let mut in_domain = domain.is_empty();
        let mut domain_alive = domain.is_empty();
        for (i, set) in &state {
            let i = *i as usize;
            let Some(g) = all.get(i) else { continue };
            let accepts = set.contains(&(g.len() as u32));
            if i < n {
                if accepts && let Some(w) = signature.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            } else {
                domain_alive = true;
                in_domain |= accepts;
            }
        }
        if !domain_alive {
            continue;
        }
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
        for c in alphabet {
            let next: State = state
                .iter()
                .filter_map(|(i, set)| {
                    let g = all.get(*i as usize)?;
                    let s = step(g, set, c);
                    (!s.is_empty()).then_some((*i, s))
                })
                .collect();
            if seen.contains_key(&next) {
                continue;
            }
            if seen.len() >= MAX_STATES {
                return Err(Unknown::new(format!(
                    "the patterns on {what} have more than {MAX_STATES} distinct states to explore"
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
        let c = classes(&ps, &[action_shape()], "the action").unwrap();
        // {none}, {s3:*}, {s3:get*, s3:*}, {ec2:*}
        assert_eq!(c.signatures.len(), 4);
        for (sig, w) in c.signatures.iter().zip(&c.witnesses) {
            for (i, p) in ps.iter().enumerate() {
                assert_eq!(sig[0] >> i & 1 == 1, matches(p, w), "{w}");
            }
        }
    }
}
