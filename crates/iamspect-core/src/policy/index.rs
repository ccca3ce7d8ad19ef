//! The statements of a policy indexed by the service prefix of the actions they can match, built
//! once when the policy is compiled (decision D75).
//!
//! An `Action`/`NotAction` entry whose text starts with `service:` (no wildcard before the colon)
//! can only match actions of that service; any other entry (`*`, `s3*`, `*:Describe*`) may match
//! an action of any service. For one service the index lists, in document order, the statements
//! that may match, each with the entries that may match:
//!
//! - an `Action` statement when one of its entries names the service or is a wildcard service;
//! - every `NotAction` statement (it matches by exclusion: with none of its entries relevant it
//!   matches every action of the service).
//!
//! A statement left out has only entries of other services in `Action`, so its action check is
//! false for every action of the service: it would stop at "action does not match". For the
//! statements listed, testing only the listed entries gives the same answer as testing all of
//! them, because the entries left out name other services. So the decision over the index is the
//! decision over every statement.

use super::Statement;

/// A statement that may match, and the range of its relevant entries in [`ActionIndex::entries`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Position in [`super::Policy::statements`].
    pub(crate) position: u32,
    start: u32,
    end: u32,
}

/// Above this many listed statements over all services the index is not built and every
/// statement is a candidate: a policy of many `NotAction` or wildcard statements and many
/// services would otherwise list each of them once per service.
const MAX_CANDIDATES: usize = 16_384;

/// A service prefix (lower case) and the statements that may match its actions.
type ServiceEntry = (Box<str>, Box<[Candidate]>);

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ActionIndex {
    /// Sorted by service (lower case); each list in document order.
    services: Box<[ServiceEntry]>,
    /// For a service no entry names: the statements with a wildcard service or `NotAction`.
    other: Box<[Candidate]>,
    /// The relevant entries of each candidate, as indices into the statement's entries.
    entries: Box<[u32]>,
    /// The index was too large to build: every statement is a candidate with every entry.
    full: bool,
}

/// The statements that may match an action of `service` (`None`: a service no entry names), each
/// with its relevant entries appended to `entries`.
fn list(statements: &[Statement], service: Option<&str>, entries: &mut Vec<u32>) -> Box<[Candidate]> {
    let mut out = Vec::new();
    for (position, stmt) in statements.iter().enumerate() {
        let start = entries.len();
        for i in 0..stmt.action.items.len() {
            let s = entry_service(stmt, i);
            if s.is_none() || s == service {
                entries.push(i as u32);
            }
        }
        if entries.len() > start || stmt.action.not {
            out.push(Candidate { position: position as u32, start: start as u32, end: entries.len() as u32 });
        }
    }
    out.into_boxed_slice()
}

/// The service an entry is confined to (lower case), or `None` for an entry that may match any
/// service. Entries are lower-cased when compiled.
fn entry_service(stmt: &Statement, i: usize) -> Option<&str> {
    let prefix = stmt.action.items.get(i)?.pattern.literal_prefix();
    prefix.split_once(':').map(|(service, _)| service)
}

impl ActionIndex {
    pub(crate) fn build(statements: &[Statement]) -> ActionIndex {
        let mut services: Vec<&str> = statements
            .iter()
            .flat_map(|s| (0..s.action.items.len()).filter_map(move |i| entry_service(s, i)))
            .collect();
        services.sort_unstable();
        services.dedup();
        let universal = statements
            .iter()
            .filter(|s| (0..s.action.items.len()).any(|i| entry_service(s, i).is_none()) || s.action.not)
            .count();
        if universal.saturating_mul(services.len() + 1) + statements.len() > MAX_CANDIDATES
            || statements.len() > u32::MAX as usize
        {
            return ActionIndex { full: true, ..ActionIndex::default() };
        }
        let mut entries = Vec::new();
        let by_service: Vec<ServiceEntry> =
            services.iter().map(|s| (Box::<str>::from(*s), list(statements, Some(s), &mut entries))).collect();
        let other = list(statements, None, &mut entries);
        ActionIndex { services: by_service.into_boxed_slice(), other, entries: entries.into_boxed_slice(), full: false }
    }

    /// The statements that may match an action of `service` (given with ASCII letters in lower
    /// case, as the entries are compiled), in
    /// document order; `None` when the index was not built and every statement may match.
    pub(crate) fn candidates(&self, service: &str) -> Option<&[Candidate]> {
        if self.full {
            return None;
        }
        let found = self.services.binary_search_by(|(s, _)| (**s).cmp(service)).ok().and_then(|i| self.services.get(i));
        Some(found.map_or(&self.other, |(_, c)| c))
    }

    /// The entries of a candidate's statement that may match.
    pub(crate) fn entries(&self, c: &Candidate) -> &[u32] {
        self.entries.get(c.start as usize..c.end as usize).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicyType};

    fn positions(policy: &Policy, service: &str) -> Option<Vec<(u32, Vec<u32>)>> {
        let index = &policy.action_index;
        let c = index.candidates(service)?;
        Some(c.iter().map(|c| (c.position, index.entries(c).to_vec())).collect())
    }

    #[test]
    fn statements_by_service() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"},
            {"Effect": "Deny", "NotAction": ["iam:*", "S3:PutObject"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["*:List*", "kms:Decrypt"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3*:Get*", "Resource": "*"}
        ]}"#;
        let p = Policy::parse("p", text, PolicyType::Identity).unwrap();
        // s3: its entries, the NotAction (with its s3 entry), the wildcard services.
        assert_eq!(positions(&p, "s3"), Some(vec![(0, vec![0]), (2, vec![1]), (3, vec![0]), (4, vec![0])]));
        assert_eq!(
            positions(&p, "ec2"),
            Some(vec![(0, vec![1]), (1, vec![0]), (2, vec![]), (3, vec![0]), (4, vec![0])])
        );
        // A service no entry names: the NotAction and the wildcard services only.
        assert_eq!(positions(&p, "sqs"), Some(vec![(2, vec![]), (3, vec![0]), (4, vec![0])]));
        assert_eq!(positions(&p, "iam"), Some(vec![(2, vec![0]), (3, vec![0]), (4, vec![0])]));
    }

    #[test]
    fn too_large_an_index_is_not_built() {
        let statements: Vec<String> =
            (0..200).map(|i| format!(r#"{{"Effect": "Deny", "NotAction": "svc{i}:X", "Resource": "*"}}"#)).collect();
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, statements.join(","));
        let p = Policy::parse("p", &text, PolicyType::Identity).unwrap();
        assert_eq!(positions(&p, "svc1"), None);
    }
}
