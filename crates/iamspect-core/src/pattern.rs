//! The one `*`/`?` matcher, used for actions, resources, principals' ARNs and the `*Like` and `Arn*`
//! condition operators.
//!
//! A [`Pattern`] is compiled once from policy text into pieces: literal text, `*`, `?` and policy
//! variables. Matching substitutes variables from the request as *literal* text (a `*` inside a tag
//! value never acts as a wildcard) and then runs a greedy two-pointer glob with one backtrack point,
//! which needs no allocation for patterns of up to 16 pieces.

use smallvec::SmallVec;

/// Where a pattern's text came from decides how it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (`Action`, `Resource`, `StringLike`, `ArnLike`, ...).
    pub(crate) wildcards: bool,
    /// `${...}` is a policy variable (only under `Version` 2012-10-17, and only where AWS allows).
    pub(crate) variables: bool,
}

/// A policy variable: `${key}` or `${key, 'default'}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The key name in lower case (key names are case-insensitive).
    pub(crate) key: Box<str>,
    pub(crate) default: Option<Box<str>>,
    /// The key's hash for the context lookup, computed once.
    hash: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(Box<str>),
    Star,
    Quest,
    Var(Variable),
}

/// How a pattern without variables can be answered without the general matcher.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fast {
    /// `*`: everything.
    Any,
    /// No wildcard at all.
    Exact(Box<str>),
    /// `prefix*`.
    Prefix(Box<str>),
    /// Anything else.
    General,
}

/// A compiled wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Box<[Piece]>,
    fast: Fast,
    /// Some piece is a policy variable: matching substitutes first.
    has_variables: bool,
}

/// Where variable values come from at match time.
pub(crate) trait Variables {
    /// The single value of a context key given in lower case, if the request has exactly one.
    fn single_value(&self, key_lower: &str) -> Option<&str>;

    /// [`Variables::single_value`] with the key's hash ([`crate::request::key_hash`]) at hand.
    fn single_value_hashed(&self, _hash: u64, key_lower: &str) -> Option<&str> {
        self.single_value(key_lower)
    }
}

/// No variables at all.
#[cfg(test)]
pub(crate) struct NoVariables;

#[cfg(test)]
impl Variables for NoVariables {
    fn single_value(&self, _key_lower: &str) -> Option<&str> {
        None
    }
}

/// Why a pattern could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PatternError {
    // Every error is about a policy variable.
    Unclosed,
    Empty,
    Malformed(String),
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::Unclosed => f.write_str("policy variable has no closing `}`"),
            PatternError::Empty => f.write_str("policy variable `${}` is empty"),
            PatternError::Malformed(v) => write!(f, "policy variable `${{{v}}}` is malformed"),
        }
    }
}

impl Pattern {
    /// The pattern that matches everything.
    pub(crate) fn any() -> Pattern {
        Pattern { pieces: Box::new([Piece::Star]), fast: Fast::Any, has_variables: false }
    }

    pub(crate) fn parse(text: &str, syntax: Syntax) -> Result<Pattern, PatternError> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                let Some(close) = rest.find('}') else {
                    return Err(PatternError::Unclosed);
                };
                let inner = &rest[2..close];
                rest = &rest[close + 1..];
                match inner {
                    "*" | "?" | "$" => lit.push_str(inner),
                    _ => {
                        flush(&mut lit, &mut pieces);
                        pieces.push(Piece::Var(parse_variable(inner)?));
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut lit, &mut pieces);
                    // Consecutive stars mean the same as one.
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Quest);
                }
                _ => lit.push(c),
            }
        }
        flush(&mut lit, &mut pieces);
        Ok(Pattern::from_pieces(pieces))
    }

    fn from_pieces(pieces: Vec<Piece>) -> Pattern {
        let fast = match pieces.as_slice() {
            [] => Fast::Exact("".into()),
            [Piece::Star] => Fast::Any,
            [Piece::Lit(s)] => Fast::Exact(s.clone()),
            [Piece::Lit(s), Piece::Star] => Fast::Prefix(s.clone()),
            _ => Fast::General,
        };
        let has_variables = pieces.iter().any(|p| matches!(p, Piece::Var(_)));
        Pattern { pieces: pieces.into_boxed_slice(), fast, has_variables }
    }

    /// Lower-cases literal text, for patterns matched case-insensitively (actions).
    pub(crate) fn to_ascii_lowercase(&self) -> Pattern {
        let pieces = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => Piece::Lit(s.to_ascii_lowercase().into()),
                other => other.clone(),
            })
            .collect();
        Pattern::from_pieces(pieces)
    }

    /// The whole text, when the pattern has no wildcard and no variable.
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match &self.fast {
            Fast::Exact(s) => Some(s),
            _ => None,
        }
    }

    /// The literal text before the first wildcard or variable ("" when the pattern starts with one).
    pub(crate) fn literal_prefix(&self) -> &str {
        match self.pieces.first() {
            Some(Piece::Lit(s)) => s,
            _ => "",
        }
    }

    /// The policy variables the pattern refers to.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v),
            _ => None,
        })
    }

    /// Matches `text`. `ignore_case` folds ASCII letters only (AWS action names are ASCII).
    /// A variable that the request cannot resolve and that has no default makes the pattern match
    /// nothing, as AWS says of unresolved variables.
    pub(crate) fn matches(&self, text: &str, ignore_case: bool, vars: &dyn Variables) -> bool {
        match &self.fast {
            Fast::Any => return true,
            Fast::Exact(s) => return eq(text, s, ignore_case),
            Fast::Prefix(s) => return text.len() >= s.len() && starts_with(text, s, ignore_case),
            Fast::General => {}
        }
        if !self.has_variables {
            // Nothing to substitute: match the pieces as they are, without copying them.
            let elem = |i: usize| {
                self.pieces.get(i).map(|p| match p {
                    Piece::Lit(s) => Elem::Lit(s),
                    Piece::Star => Elem::Star,
                    Piece::Quest | Piece::Var(_) => Elem::Quest,
                })
            };
            return glob(elem, self.pieces.len(), text, ignore_case);
        }
        let mut elems: SmallVec<[Elem<'_>; 16]> = SmallVec::new();
        for piece in self.pieces.iter() {
            elems.push(match piece {
                Piece::Lit(s) => Elem::Lit(s),
                Piece::Star => Elem::Star,
                Piece::Quest => Elem::Quest,
                Piece::Var(v) => match vars.single_value_hashed(v.hash, &v.key).or(v.default.as_deref()) {
                    Some(value) => Elem::Lit(value),
                    None => return false,
                },
            });
        }
        glob(|i| elems.get(i).copied(), elems.len(), text, ignore_case)
    }

    /// The text with variables substituted, for showing and for equality operators.
    /// `None` when a variable cannot be resolved.
    pub(crate) fn render(&self, vars: &dyn Variables) -> Option<String> {
        let mut out = String::new();
        for piece in self.pieces.iter() {
            match piece {
                Piece::Lit(s) => out.push_str(s),
                Piece::Star => out.push('*'),
                Piece::Quest => out.push('?'),
                Piece::Var(v) => out.push_str(vars.single_value(&v.key).or(v.default.as_deref())?),
            }
        }
        Some(out)
    }
}

fn flush(lit: &mut String, pieces: &mut Vec<Piece>) {
    if !lit.is_empty() {
        pieces.push(Piece::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

fn parse_variable(inner: &str) -> Result<Variable, PatternError> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim_start();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .ok_or_else(|| PatternError::Malformed(inner.to_string()))?;
            (key, Some(quoted.into()))
        }
        None => (inner, None),
    };
    if key.is_empty() {
        return Err(PatternError::Empty);
    }
    if key.chars().any(|c| c.is_whitespace() || c == '$' || c == '{') {
        return Err(PatternError::Malformed(inner.to_string()));
    }
    let key = key.to_ascii_lowercase();
    Ok(Variable { hash: crate::request::key_hash(&key), key: key.into(), default })
}

#[derive(Clone, Copy)]
enum Elem<'a> {
    Lit(&'a str),
    Star,
    Quest,
}

fn eq(text: &str, lit: &str, ignore_case: bool) -> bool {
    if ignore_case { text.eq_ignore_ascii_case(lit) } else { text == lit }
}

fn starts_with(text: &str, lit: &str, ignore_case: bool) -> bool {
    match text.as_bytes().get(..lit.len()) {
        Some(head) if ignore_case => head.eq_ignore_ascii_case(lit.as_bytes()),
        Some(head) => head == lit.as_bytes(),
        None => false,
    }
}

/// `str::find` for the short texts of a request: the first byte located, then the rest compared,
/// without building a two-way searcher on every call. A match starts on a character boundary,
/// since it starts with the first byte of `lit`'s first character.
fn find(haystack: &str, lit: &str) -> Option<usize> {
    let bytes = haystack.as_bytes();
    let Some(&first) = lit.as_bytes().first() else { return Some(0) };
    let mut from = 0;
    while let Some(i) = bytes.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if bytes.get(at..)?.starts_with(lit.as_bytes()) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Greedy glob: on a mismatch, retry from the last `*` one character further on. This is exact for
/// `*`/`?` patterns because a later `*` can always absorb what an earlier one would have.
fn glob<'a>(elem: impl Fn(usize) -> Option<Elem<'a>>, len: usize, text: &str, ignore_case: bool) -> bool {
    let mut ei = 0;
    let mut ti = 0;
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        let rest = text.get(ti..).unwrap_or("");
        let advanced = match elem(ei) {
            Some(Elem::Star) => {
                // A trailing `*` matches whatever is left.
                if ei + 1 == len {
                    return true;
                }
                backtrack = Some((ei + 1, ti));
                ei += 1;
                continue;
            }
            Some(Elem::Quest) => match rest.chars().next() {
                Some(c) => {
                    ti += c.len_utf8();
                    true
                }
                None => false,
            },
            Some(Elem::Lit(s)) => {
                if starts_with(rest, s, ignore_case) {
                    ti += s.len();
                    true
                } else {
                    false
                }
            }
            None => {
                if rest.is_empty() {
                    return true;
                }
                false
            }
        };
        if advanced {
            ei += 1;
            continue;
        }
        match backtrack {
            Some((star_ei, star_ti)) => {
                let Some(c) = text.get(star_ti..).and_then(|r| r.chars().next()) else { return false };
                let mut next = star_ti + c.len_utf8();
                // When a literal follows the `*`, only the places where it occurs can match: jump
                // to the next one instead of trying every character.
                if let (Some(Elem::Lit(lit)), false) = (elem(star_ei), ignore_case) {
                    match text.get(next..).and_then(|r| find(r, lit)) {
                        Some(offset) => next += offset,
                        None => return false,
                    }
                }
                backtrack = Some((star_ei, next));
                ei = star_ei;
                ti = next;
            }
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vars(&'static [(&'static str, &'static str)]);
    impl Variables for Vars {
        fn single_value(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }

    const GLOB: Syntax = Syntax { wildcards: true, variables: true };

    fn check(pattern: &str, text: &str, expect: bool) {
        let p = Pattern::parse(pattern, GLOB).unwrap();
        assert_eq!(p.matches(text, false, &NoVariables), expect, "{pattern} vs {text}");
    }

    #[test]
    fn find_is_str_find() {
        for hay in ["", "a", "abcabc", "ééaé", "b/1/test/x/test/", "aaab"] {
            for lit in ["", "a", "bc", "é", "aé", "test/", "aab", "zz"] {
                assert_eq!(find(hay, lit), hay.find(lit), "{hay:?} {lit:?}");
            }
        }
    }

    #[test]
    fn wildcards() {
        check("*", "", true);
        check("a*", "abc", true);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("s3:GetObjec?", "s3:GetObjec", false);
        check("b/*/test/*", "b/1/2/test/3/o.jpg", true);
        check("b/*/test/*", "b//test/o.jpg", true);
        check("b/*/test/*", "b/1/test/", true);
        check("b/*/test/*", "b/test/o.jpg", false);
        check("b/*/test/*", "b/1-test/o.jpg", false);
        check("*a*b", "xxaxxbxb", true);
        check("*a*b", "xxaxxbxc", false);
        check("??", "é1", true);
        check("a**b", "ab", true);
    }

    #[test]
    fn ignore_case_is_ascii_folding() {
        let p = Pattern::parse("iam:list*", GLOB).unwrap();
        assert!(p.matches("IAM:ListAccessKeys", true, &NoVariables));
        assert!(!p.matches("IAM:ListAccessKeys", false, &NoVariables));
    }

    #[test]
    fn variables_are_literal_and_unresolved_match_nothing() {
        let p = Pattern::parse("home/${aws:PrincipalTag/team}/*", GLOB).unwrap();
        assert!(p.matches("home/a*/x", false, &Vars(&[("aws:principaltag/team", "a*")])));
        assert!(!p.matches("home/ab/x", false, &Vars(&[("aws:principaltag/team", "a*")])));
        assert!(!p.matches("home//x", false, &NoVariables));
        let d = Pattern::parse("${aws:username, 'none'}", GLOB).unwrap();
        assert!(d.matches("none", false, &NoVariables));
        let esc = Pattern::parse("a${*}b${?}${$}", GLOB).unwrap();
        assert!(esc.matches("a*b?$", false, &NoVariables));
        assert!(!esc.matches("axb?$", false, &NoVariables));
    }

    #[test]
    fn without_variables_the_text_is_literal() {
        let p = Pattern::parse("${aws:username}", Syntax { wildcards: true, variables: false }).unwrap();
        assert!(p.matches("${aws:username}", false, &NoVariables));
        assert_eq!(Pattern::parse("${a", GLOB), Err(PatternError::Unclosed));
    }
}
