//! Matching names against patterns: IAM wildcards (`*`, `?`) in actions, and the placeholders
//! (`${TagKey}`, `<key>`) in condition key names such as `aws:RequestTag/${TagKey}`.
//!
//! Both compare ASCII letters case-insensitively, as IAM compares action names and condition key
//! names.

use std::cmp::Ordering;

/// Compares two names as IAM does, ASCII case-insensitively.
pub(crate) fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Whether `text` matches the IAM wildcard `pattern`: `*` matches any run of characters (also
/// none), `?` exactly one, everything else itself, ignoring ASCII case.
///
/// It works on bytes: the catalogue's names are ASCII (the generator checks), so `?` matching one
/// byte is matching one character, and a non-ASCII pattern byte matches nothing.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // The last `*` seen, and the text position it is currently assumed to stretch to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some(b'*'), _) => {
                star = Some((p, t));
                p += 1;
            }
            (Some(&pc), Some(&tc)) if pc == b'?' || pc.eq_ignore_ascii_case(&tc) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// The length in bytes of the placeholder that `pattern` starts with (`${Name}` or `<name>`), if
/// it starts with one.
fn placeholder_len(pattern: &[u8]) -> Option<usize> {
    let close = match pattern {
        [b'$', b'{', ..] => b'}',
        [b'<', ..] => b'>',
        _ => return None,
    };
    pattern.iter().position(|&c| c == close).map(|end| end + 1)
}

/// Whether a condition key name contains a placeholder.
pub(crate) fn has_placeholder(name: &str) -> bool {
    let bytes = name.as_bytes();
    (0..bytes.len()).any(|i| bytes.get(i..).and_then(placeholder_len).is_some())
}

/// The number of characters of `name` outside its placeholders: the more, the more specific the
/// key.
pub(crate) fn literal_len(name: &str) -> usize {
    let bytes = name.as_bytes();
    let (mut i, mut n) = (0, 0);
    while let Some(rest) = bytes.get(i..).filter(|rest| !rest.is_empty()) {
        match placeholder_len(rest) {
            Some(len) => i += len,
            None => {
                i += 1;
                n += 1;
            }
        }
    }
    n
}

/// Whether the condition key `text` is an instance of the key name `pattern`, where each
/// placeholder (`${TagKey}`, `<key>`) stands for one or more characters of any kind (tag keys may
/// contain `/` and `:`).
pub(crate) fn placeholder_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        if let Some(len) = placeholder_len(p) {
            let rest = p.get(len..).unwrap_or_default();
            return (1..=t.len()).any(|k| go(rest, t.get(k..).unwrap_or_default()));
        }
        match (p.split_first(), t.split_first()) {
            (None, None) => true,
            (Some((pc, p)), Some((tc, t))) if pc.eq_ignore_ascii_case(tc) => go(p, t),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Whether a request ARN is of an ARN format (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`):
/// the first five colons split both into segments compared one by one (case-sensitively), each
/// `${...}` standing for one or more characters of its segment, `/` and `:` included (log group,
/// repository, parameter and secret names hold them), except `${BucketName}`: a bucket name has
/// no `/`. An empty region or account matches only an empty one.
pub(crate) fn arn_format_match(format: &str, arn: &str) -> bool {
    fn split(text: &str) -> Option<[&str; 5]> {
        let rest = text.strip_prefix("arn:")?;
        let mut it = rest.splitn(5, ':');
        Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
    }
    /// One format segment against one request segment, in O(|p|·|t|): `reach[j]` is whether
    /// the format so far can consume exactly the first `j` bytes of `t`.
    fn segment(mut p: &[u8], t: &[u8]) -> bool {
        let mut reach = vec![false; t.len() + 1];
        reach[0] = true;
        while !p.is_empty() {
            let mut next = vec![false; t.len() + 1];
            if p.first() == Some(&b'$')
                && let Some(len) = placeholder_len(p)
            {
                // One or more bytes; `${BucketName}` never takes a `/`.
                let no_slash = p.get(..len) == Some(b"${BucketName}".as_slice());
                let mut run = false;
                for j in 1..=t.len() {
                    let c = t[j - 1];
                    run = (run || reach[j - 1]) && !(no_slash && c == b'/');
                    next[j] = run;
                }
                p = p.get(len..).unwrap_or_default();
            } else {
                for j in 1..=t.len() {
                    next[j] = reach[j - 1] && t[j - 1] == p[0];
                }
                p = &p[1..];
            }
            reach = next;
        }
        reach[t.len()]
    }
    let (Some(f), Some(a)) = (split(format), split(arn)) else { return false };
    f.iter().zip(a.iter()).all(|(f, a)| segment(f.as_bytes(), a.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_formats() {
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        assert!(arn_format_match(object, "arn:aws:s3:::b/k/with/slashes:and:colons"));
        assert!(!arn_format_match(object, "arn:aws:s3:::b"));
        assert!(arn_format_match(bucket, "arn:aws:s3:::b"));
        assert!(!arn_format_match(bucket, "arn:aws:s3:::b/k"));
        assert!(!arn_format_match(bucket, "arn:aws:s3:us-east-1::b"));
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(arn_format_match(role, "arn:aws:iam::111122223333:role/a/b/c"));
        assert!(!arn_format_match(role, "arn:aws:iam::111122223333:user/a"));
        let function = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";
        assert!(arn_format_match(function, "arn:aws:lambda:us-east-1:111122223333:function:f:prod"));
        let group = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}";
        assert!(arn_format_match(group, "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f"));
        assert!(!arn_format_match(group, "arn:aws:logs:us-east-1::log-group:x"));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:get*", "s3:GetObject"));
        assert!(wildcard_match("s3:*", "s3:GetObject"));
        assert!(wildcard_match("*", "s3:GetObject"));
        assert!(wildcard_match("s3:Get?bject", "s3:GetObject"));
        assert!(wildcard_match("s3:*Object*", "s3:GetObjectAcl"));
        assert!(wildcard_match("*:*", "s3:GetObject"));
        assert!(!wildcard_match("s3:Get?", "s3:GetObject"));
        assert!(!wildcard_match("s3:Put*", "s3:GetObject"));
        assert!(!wildcard_match("s3:GetObject", "s3:GetObjectAcl"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "a"));
        assert!(wildcard_match("a**b", "ab"));
    }

    #[test]
    fn placeholders() {
        assert!(has_placeholder("aws:RequestTag/${TagKey}"));
        assert!(has_placeholder("s3:ExistingObjectTag/<key>"));
        assert!(!has_placeholder("aws:SourceIp"));
        assert_eq!(literal_len("aws:RequestTag/${TagKey}"), "aws:RequestTag/".len());
        assert!(placeholder_match("aws:PrincipalTag/${TagKey}", "aws:principaltag/team"));
        assert!(placeholder_match("aws:PrincipalTag/${TagKey}", "aws:PrincipalTag/a/b:c"));
        assert!(!placeholder_match("aws:PrincipalTag/${TagKey}", "aws:PrincipalTag/"));
        assert!(placeholder_match("s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/foo"));
        assert!(placeholder_match("events:Metadata/${MetadataKey}/Matcher", "events:Metadata/x/Matcher"));
        assert!(placeholder_match("token.actions.${Domain}.ghe.com:actor", "token.actions.acme.ghe.com:actor"));
        assert!(!placeholder_match("kms:EncryptionContext:${Key}", "kms:EncryptionContextKeys"));
    }
}
