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

#[cfg(test)]
mod tests {
    use super::*;

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
