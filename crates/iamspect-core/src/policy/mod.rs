//! IAM policy documents: the compiled model, with byte spans for every statement, element, value and
//! condition key.

mod err;
pub(crate) mod index;
mod limits;
mod parse;
mod principal;

use std::sync::Arc;

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::pattern::Pattern;
use crate::span::{LineColumn, Span};

pub use err::{PolicyError, PolicyErrors};
pub use limits::{MAX_POLICY_BYTES, size_limit};
pub(crate) use principal::{AwsPrincipal, PrincipalBlock, PrincipalEntry};

/// The kinds of policy AWS weighs, each with its own grammar rules and size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    /// Identity-based: attached to a user, its groups, or a role.
    Identity,
    /// Resource-based: a bucket, key, queue, topic, function or secret policy.
    Resource,
    /// A role's trust policy (the resource policy of `sts:AssumeRole*`).
    Trust,
    /// A permissions boundary.
    PermissionsBoundary,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// A VPC endpoint policy.
    VpcEndpoint,
}

impl PolicyType {
    /// Every type, in evaluation order.
    pub const ALL: [PolicyType; 8] = [
        PolicyType::Rcp,
        PolicyType::Scp,
        PolicyType::VpcEndpoint,
        PolicyType::Resource,
        PolicyType::Trust,
        PolicyType::Identity,
        PolicyType::PermissionsBoundary,
        PolicyType::Session,
    ];

    /// The name used on the command line (`--type`).
    pub fn cli_name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::Trust => "trust",
            PolicyType::PermissionsBoundary => "boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::VpcEndpoint => "vpc-endpoint",
        }
    }

    /// Reads a `--type` name.
    pub fn from_cli_name(name: &str) -> Option<PolicyType> {
        PolicyType::ALL.into_iter().find(|t| t.cli_name() == name).or(match name {
            "permissionsBoundary" | "permissions-boundary" => Some(PolicyType::PermissionsBoundary),
            "vpcEndpoint" | "vpce" => Some(PolicyType::VpcEndpoint),
            _ => None,
        })
    }

    /// Whether statements must, may not, or may name a `Principal`.
    pub(crate) fn requires_principal(self) -> Option<bool> {
        match self {
            PolicyType::Identity | PolicyType::PermissionsBoundary | PolicyType::Session | PolicyType::Scp => {
                Some(false)
            }
            PolicyType::Resource | PolicyType::Trust | PolicyType::Rcp | PolicyType::VpcEndpoint => Some(true),
        }
    }

    /// How AWS names the type in prose.
    pub fn description(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::Trust => "role trust policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
            PolicyType::VpcEndpoint => "VPC endpoint policy",
        }
    }
}

/// `Version`: it decides whether `${...}` is a policy variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables work.
    V2012_10_17,
    /// `2008-10-17`: `${...}` is literal text.
    V2008_10_17,
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// One `Action`/`NotAction` entry. The pattern is lower-cased: actions match case-insensitively.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ActionItem {
    pub(crate) text: String,
    pub(crate) pattern: Pattern,
    pub(crate) span: Span,
}

/// `Action` or `NotAction`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ActionBlock {
    pub(crate) not: bool,
    pub(crate) items: Vec<ActionItem>,
    pub(crate) span: Span,
}

/// One `Resource`/`NotResource` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ResourceItem {
    pub(crate) text: String,
    pub(crate) pattern: ArnPattern,
    pub(crate) span: Span,
}

/// `Resource` or `NotResource`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ResourceBlock {
    pub(crate) not: bool,
    pub(crate) items: Vec<ResourceItem>,
    pub(crate) span: Span,
}

/// An element with its entries, as [`Statement::action_entries`] and
/// [`Statement::resource_entries`] give them: whether it is the `Not` form, the element's span,
/// and each entry as written with its span.
pub type ElementEntries<'a> = (bool, Span, Vec<(&'a str, Span)>);

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub(crate) index: usize,
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalBlock>,
    pub(crate) action: ActionBlock,
    pub(crate) resource: Option<ResourceBlock>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) span: Span,
    pub(crate) effect_span: Span,
}

impl Statement {
    /// Position in the policy's `Statement` list (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// `Sid`, if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// `Effect`.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The statement's bytes in the policy source.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The conditions, one per operator and key.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// False only if `Resource`/`NotResource` certainly does not cover `resource`, whatever the
    /// request's context: entries with policy variables may match once substituted, so they count
    /// as covering. Indexes use it with [`Statement::covers_action`].
    pub fn may_cover_resource(&self, resource: &str) -> bool {
        let Some(block) = &self.resource else { return true };
        let no_variables = crate::request::Context::default();
        let hit = block.items.iter().any(|r| {
            let has_variables = r.pattern.patterns().iter().any(|p| p.variables().next().is_some());
            has_variables || r.pattern.matches(resource, &no_variables)
        });
        // With variables in a NotResource entry the answer depends on the context: keep it.
        let not_has_variables = block.not
            && block.items.iter().any(|r| r.pattern.patterns().iter().any(|p| p.variables().next().is_some()));
        not_has_variables || hit != block.not
    }

    /// The `Resource` (`false`) or `NotResource` (`true`) entries as written; `None` for a trust
    /// policy statement, which has neither.
    pub fn resources(&self) -> Option<(bool, Vec<&str>)> {
        self.resource.as_ref().map(|r| (r.not, r.items.iter().map(|i| i.text.as_str()).collect()))
    }

    /// `Effect`'s value span.
    pub fn effect_span(&self) -> Span {
        self.effect_span
    }

    /// `Action` (`false`) or `NotAction` (`true`), the element's span, and its entries as written,
    /// each with its span (for lint).
    pub fn action_entries(&self) -> ElementEntries<'_> {
        let a = &self.action;
        (a.not, a.span, a.items.iter().map(|i| (i.text.as_str(), i.span)).collect())
    }

    /// `Resource` (`false`) or `NotResource` (`true`), the element's span, and its entries as
    /// written, each with its span; `None` when the statement has neither (for lint).
    pub fn resource_entries(&self) -> Option<ElementEntries<'_>> {
        let r = self.resource.as_ref()?;
        Some((r.not, r.span, r.items.iter().map(|i| (i.text.as_str(), i.span)).collect()))
    }

    /// `Principal` (`false`) or `NotPrincipal` (`true`) and the element's span (from its name to
    /// the end of its value), if the statement has one (for lint).
    pub fn principal_element(&self) -> Option<(bool, Span)> {
        self.principal.as_ref().map(|p| (p.not, p.span))
    }

    /// `Principal` (`false`) or `NotPrincipal` (`true`) and its entries as (kind, value): kind is
    /// `"*"` (everyone), `"AWS"`, `"Service"`, `"Federated"` or `"CanonicalUser"`; an `"AWS"` value is
    /// `*`, a 12-digit account id, an ARN or a unique id. `None` when the statement has neither.
    /// For reasoning over all principals (`iamspect-symbolic`).
    pub fn principal_entries(&self) -> Option<(bool, Vec<(&'static str, String)>)> {
        let block = self.principal.as_ref()?;
        let entries = block
            .entries
            .iter()
            .map(|(e, _)| match e {
                PrincipalEntry::Everyone => ("*", "*".to_string()),
                PrincipalEntry::Aws(a) => (
                    "AWS",
                    match a {
                        AwsPrincipal::Any => "*".to_string(),
                        AwsPrincipal::Account(id) => id.clone(),
                        AwsPrincipal::User(arn)
                        | AwsPrincipal::Session(arn)
                        | AwsPrincipal::FederatedUser(arn)
                        | AwsPrincipal::Role { arn, .. } => arn.clone(),
                        AwsPrincipal::UniqueId(id) => id.clone(),
                    },
                ),
                PrincipalEntry::Service(s) => ("Service", s.clone()),
                PrincipalEntry::Federated(f) => ("Federated", f.clone()),
                PrincipalEntry::CanonicalUser(c) => ("CanonicalUser", c.clone()),
            })
            .collect();
        Some((block.not, entries))
    }

    /// Whether `Principal`/`NotPrincipal` reaches the caller of `request` (for `NotPrincipal`: the
    /// caller is not exempted), exactly as the decision reads it for a caller without a permissions
    /// boundary; `None` when the statement has neither element.
    pub fn principal_reaches(&self, request: &crate::request::Request) -> Option<bool> {
        let block = self.principal.as_ref()?;
        Some(crate::eval::principal_reaches(block, request))
    }

    /// True if `Action`/`NotAction` covers `action` (resource, principal and conditions aside):
    /// the cheap first test of indexes that pick which statements may matter for an action.
    pub fn covers_action(&self, action: &str) -> bool {
        let no_variables = crate::request::Context::default();
        let hit = self.action.items.iter().any(|a| a.pattern.matches(action, true, &no_variables));
        hit != self.action.not
    }
}

/// A parsed, validated and compiled policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub(crate) name: String,
    pub(crate) policy_type: PolicyType,
    pub(crate) version: Option<Version>,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) source: Arc<str>,
    pub(crate) warnings: Vec<PolicyError>,
    pub(crate) origin: LineColumn,
    /// The statements by the service of the actions they can match (decision D75).
    pub(crate) action_index: index::ActionIndex,
}

impl Policy {
    /// Parses and validates `text` as a policy of type `policy_type`. `name` identifies it in
    /// traces and messages. Every problem found is returned, each with its line and column.
    pub fn parse(name: &str, text: &str, policy_type: PolicyType) -> Result<Policy, PolicyErrors> {
        parse::parse_policy(name, text, policy_type, LineColumn::START)
    }

    /// Like [`Policy::parse`] for text that is a fragment of a larger document (an inline policy
    /// in a case file) starting at `origin`: lines and columns are counted in that document.
    pub fn parse_at(
        name: &str,
        text: &str,
        policy_type: PolicyType,
        origin: LineColumn,
    ) -> Result<Policy, PolicyErrors> {
        parse::parse_policy(name, text, policy_type, origin)
    }

    /// The line and column of a byte offset of [`Policy::source`], in the document the policy came from.
    pub fn position(&self, offset: usize) -> LineColumn {
        Span::line_column(&self.source, offset).shifted(self.origin)
    }

    /// The name given at parse time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type it was validated as.
    pub fn policy_type(&self) -> PolicyType {
        self.policy_type
    }

    /// `Version`, if present.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// `Id`, if present.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The same policy without the statement at `index` (for counterfactuals: what would the
    /// decision be without it?). Spans still point into the unchanged source.
    pub fn without_statement(&self, index: usize) -> Policy {
        let mut p = self.clone();
        p.statements.retain(|s| s.index != index);
        p.action_index = index::ActionIndex::build(&p.statements);
        p
    }

    /// Problems that do not make the policy invalid (such as quotas that AWS managed policies are
    /// exempt from).
    pub fn warnings(&self) -> &[PolicyError] {
        &self.warnings
    }
}

/// AWS's default SCP, attached everywhere when SCPs are enabled.
pub const FULL_AWS_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}"#;

/// AWS's default RCP, attached everywhere when RCPs are enabled; it cannot be detached.
pub const RCP_FULL_AWS_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "*",
      "Resource": "*"
    }
  ]
}"#;
