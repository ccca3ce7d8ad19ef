//! ARNs: splitting request ARNs and matching ARN patterns segment by segment (decision D3).
//!
//! `arn:partition:service:region:account-id:resource`: the first five colons split the segments; the
//! resource segment keeps any further colons and slashes.

use crate::pattern::{Pattern, PatternError, Syntax, Variables};

/// A request ARN split into its six segments (borrowed from the request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: &'a str,
    /// The service prefix (`s3`, `iam`, ...).
    pub service: &'a str,
    /// The region (empty for global services).
    pub region: &'a str,
    /// The account id (empty for S3 buckets).
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` if it is an ARN (`arn:` and at least five colons).
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let rest = text.strip_prefix("arn:")?;
        let mut it = rest.splitn(5, ':');
        let partition = it.next()?;
        let service = it.next()?;
        let region = it.next()?;
        let account = it.next()?;
        let resource = it.next()?;
        Some(Arn { partition, service, region, account, resource })
    }
}

/// Splits policy text into ARN segments, ignoring colons inside `${...}` variables.
/// Returns the pieces after `arn:` (one to five of them). Public so that the symbolic checks
/// segment ARN patterns exactly as the engine matches them.
pub fn split_segments(text: &str) -> Vec<&str> {
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

/// A compiled `Resource`/`NotResource` entry or ARN condition value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `"*"`.
    Any,
    /// An ARN pattern: five segment patterns after `arn:`; missing trailing segments are `*`.
    /// `head` is `arn:partition:service:region:account:` when those four segments are plain
    /// text: a request ARN matches them exactly when it starts with that text (the segments hold
    /// no colon, so the request's first five colons fall in the same places), and then only the
    /// resource segment is left to match.
    Segments { segs: Box<[Pattern; 5]>, head: Option<Box<str>> },
    /// Text that does not start with `arn:`, matched as one glob against the whole value.
    Other(Pattern),
}

impl ArnPattern {
    pub(crate) fn parse(text: &str, syntax: Syntax) -> Result<ArnPattern, PatternError> {
        if text == "*" {
            return Ok(ArnPattern::Any);
        }
        let Some(rest) = text.strip_prefix("arn:") else {
            return Ok(ArnPattern::Other(Pattern::parse(text, syntax)?));
        };
        let segs = split_segments(rest);
        let mut parsed: Vec<Pattern> = Vec::with_capacity(5);
        for seg in &segs {
            parsed.push(Pattern::parse(seg, syntax)?);
        }
        while parsed.len() < 5 {
            parsed.push(Pattern::any());
        }
        let arr: [Pattern; 5] = match parsed.try_into() {
            Ok(arr) => arr,
            Err(_) => return Err(PatternError::Malformed(text.to_string())),
        };
        let head = match &arr {
            [p, s, r, a, _] => match (p.as_literal(), s.as_literal(), r.as_literal(), a.as_literal()) {
                // A colon inside a segment (in `${...}` text a 2008-10-17 policy keeps literally)
                // would move the request's colons: no head then.
                (Some(p), Some(s), Some(r), Some(a)) if ![p, s, r, a].iter().any(|x| x.contains(':')) => {
                    Some(format!("arn:{p}:{s}:{r}:{a}:").into_boxed_str())
                }
                _ => None,
            },
        };
        Ok(ArnPattern::Segments { segs: Box::new(arr), head })
    }

    /// Case-sensitive match of a request resource (an ARN or `"*"`). The text is split only when
    /// a pattern needs its segments: behind a plain head, the rest of the text is the resource
    /// segment (the head holds the first five colons), and nothing else needs splitting.
    pub(crate) fn matches(&self, text: &str, vars: &dyn Variables) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Other(p) => p.matches(text, false, vars),
            ArnPattern::Segments { segs, head: Some(head) } => {
                let [.., resource] = segs.as_ref();
                text.strip_prefix(&**head).is_some_and(|rest| resource.matches(rest, false, vars))
            }
            ArnPattern::Segments { head: None, .. } => self.matches_split(text, Arn::parse(text), vars),
        }
    }

    /// [`ArnPattern::matches`] with `text` already split (the request splits its resource once).
    pub(crate) fn matches_split(&self, text: &str, arn: Option<Arn<'_>>, vars: &dyn Variables) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Other(p) => p.matches(text, false, vars),
            ArnPattern::Segments { segs, head: Some(head) } => {
                let [.., resource] = segs.as_ref();
                match (text.strip_prefix(&**head), arn) {
                    (Some(_), Some(arn)) => resource.matches(arn.resource, false, vars),
                    _ => false,
                }
            }
            ArnPattern::Segments { segs, head: None } => {
                let Some(arn) = arn else {
                    return false;
                };
                let [partition, service, region, account, resource] = segs.as_ref();
                // Every segment must match, so the order is free: the segments that differ most
                // between resources first, the partition (nearly always `aws`) last.
                service.matches(arn.service, false, vars)
                    && resource.matches(arn.resource, false, vars)
                    && account.matches(arn.account, false, vars)
                    && region.matches(arn.region, false, vars)
                    && partition.matches(arn.partition, false, vars)
            }
        }
    }

    pub(crate) fn patterns(&self) -> Vec<&Pattern> {
        match self {
            ArnPattern::Any => Vec::new(),
            ArnPattern::Other(p) => vec![p],
            ArnPattern::Segments { segs, .. } => segs.iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::NoVariables;

    fn m(pattern: &str, arn: &str) -> bool {
        ArnPattern::parse(pattern, Syntax { wildcards: true, variables: true }).unwrap().matches(arn, &NoVariables)
    }

    #[test]
    fn the_head_shortcut_is_the_segment_match() {
        let patterns = [
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b",
            "arn:aws:s3:::",
            "arn:aws:s3",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:lambda:us-east-1:1:function:f*",
            "arn:aws:s3:${a:b}::x",
            "arn:aws:s3:::${aws:username}/*",
            "arn::s3:::b/*",
        ];
        let texts = [
            "arn:aws:s3:::b/k:with:colons",
            "arn:aws:s3:::b",
            "arn:aws:s3:::",
            "arn:aws:s3:::bb",
            "arn:aws:s3:${a:b}::x",
            "arn:aws:s3:${a:b::x",
            "arn:aws:iam::111122223333:role/r",
            "arn:aws:iam::111122223333",
            "arn:aws:lambda:us-east-1:1:function:f:alias",
            "arn::s3:::b/1",
            "*",
        ];
        for variables in [true, false] {
            for p in patterns {
                let with_head = ArnPattern::parse(p, Syntax { wildcards: true, variables }).unwrap();
                let ArnPattern::Segments { segs, .. } = with_head.clone() else { continue };
                let without = ArnPattern::Segments { segs, head: None };
                for t in texts {
                    assert_eq!(with_head.matches(t, &NoVariables), without.matches(t, &NoVariables), "{p} {t}");
                    let split = with_head.matches_split(t, Arn::parse(t), &NoVariables);
                    assert_eq!(with_head.matches(t, &NoVariables), split, "{p} {t}: unsplit and split");
                }
            }
        }
    }

    #[test]
    fn segments() {
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/k:with:colons"));
        assert!(m("arn:aws:sqs", "arn:aws:sqs:us-east-1:111122223333:q"));
        assert!(!m("arn:aws:s3:::B/*", "arn:aws:s3:::b/x"));
        assert!(!m("arn:aws:ec2:*:111122223333:*", "arn:aws:ec2:us-east-1:444455556666:instance/i"));
        assert!(m("arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/path/r"));
        assert!(!m("arn:aws:s3:::b/*", "*"));
        assert!(m("*", "*"));
        assert!(!m("arn:aws:lambda:*:*:function:f", "arn:aws:lambda:us-east-1:1:function:f:alias"));
        assert!(m("arn:aws:lambda:*:*:function:f*", "arn:aws:lambda:us-east-1:1:function:f:alias"));
    }

    #[test]
    fn colons_inside_variables_do_not_split() {
        assert_eq!(split_segments("aws:iam::${aws:PrincipalAccount}:role/x").len(), 5);
    }
}
