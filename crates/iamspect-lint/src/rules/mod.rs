//! The rule registry: every rule, once. Each rule is a file of its own whose [`RuleInfo::doc`]
//! `iamspect lint --explain CODE` prints.
//!
//! Codes are grouped in hundreds: `IAM1xx` grammar and types (what the core parser rejects or
//! warns about), `IAM2xx` the catalogue (services, actions, condition keys, resources, ARNs and
//! key types), `IAM3xx` security, `IAM4xx` redundancy and style, `IAM5xx` size.

use std::sync::atomic::{AtomicBool, Ordering};

use iamspect_core::{Policy, PolicyError, Span};

use crate::context::Ctx;
use crate::{Cancelled, Finding, Target};

mod action_not_in_current_catalogue;
mod allow_with_not_action;
mod allow_with_not_principal;
mod allow_with_not_resource;
mod condition_type_mismatch;
mod dead_statement;
mod deny_with_not_principal;
mod duplicate_sid;
mod empty_array;
mod empty_object_condition;
mod for_all_values_with_single_valued_key;
mod invalid_arn;
mod invalid_condition_operator;
mod invalid_condition_value;
mod invalid_grammar;
mod invalid_principal;
mod invalid_version;
mod json_syntax_error;
mod mismatched_action_for_principal;
mod missing_condition_key_for_oidc_principal;
mod missing_github_repo_condition_key;
mod missing_version;
mod multivalued_key_without_qualifier;
mod null_with_qualifier;
mod pass_role_with_star_in_resource;
mod policy_size_exceeds_quota;
mod policy_size_warning;
mod policy_type_syntax_error;
mod private_ip_address;
mod public_principal_without_condition;
mod redundant_action;
mod redundant_resource;
mod redundant_statement;
mod resource_matches_no_resource_type;
mod retired_service;
mod set_qualifier_with_single_valued_key;
mod template_placeholder;
mod unknown_action;
mod unknown_global_condition_key;
mod unknown_service;
mod unknown_service_condition_key;
mod unsupported_action_for_condition_key;
mod unsupported_action_for_resource_type;
mod variables_in_old_version;
mod wildcard_in_service_name;
mod wildcard_without_like_operator;

/// A rule's identity and documentation.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    /// `IAMnnn`, stable.
    pub code: &'static str,
    /// kebab-case name.
    pub name: &'static str,
    /// Access Analyzer's issue code (or the name in upper snake case).
    pub issue_code: &'static str,
    /// Default severity.
    pub severity: crate::Severity,
    /// The documentation (`## What it does`, `## Why is this bad?`, `## Example`).
    pub doc: &'static str,
}

/// The rule with this code (`IAM201`) or name (`unknown-action`), ignoring ASCII case.
pub fn find(code_or_name: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name))
}

/// A check over a parsed policy.
type Check = fn(&Ctx<'_>, &mut Sink);

macro_rules! rules {
    ($($module:ident: $check:expr),* $(,)?) => {
        /// Every rule, sorted by code.
        pub const RULES: &[RuleInfo] = &[$($module::INFO),*];
        /// The checks, in the order of `RULES`; `None` for rules that report what the core parser
        /// rejects or warns about.
        const CHECKS: &[Option<Check>] = &[$($check),*];
    };
}

rules! {
    json_syntax_error: None,
    invalid_grammar: None,
    invalid_condition_operator: None,
    invalid_condition_value: None,
    invalid_principal: None,
    policy_type_syntax_error: None,
    invalid_version: None,
    template_placeholder: None,
    unknown_service: Some(unknown_service::check),
    unknown_action: Some(unknown_action::check),
    unknown_global_condition_key: Some(unknown_global_condition_key::check),
    unknown_service_condition_key: Some(unknown_service_condition_key::check),
    resource_matches_no_resource_type: Some(resource_matches_no_resource_type::check),
    invalid_arn: Some(invalid_arn::check),
    condition_type_mismatch: Some(condition_type_mismatch::check),
    for_all_values_with_single_valued_key: Some(for_all_values_with_single_valued_key::check),
    set_qualifier_with_single_valued_key: Some(set_qualifier_with_single_valued_key::check),
    multivalued_key_without_qualifier: Some(multivalued_key_without_qualifier::check),
    unsupported_action_for_resource_type: Some(unsupported_action_for_resource_type::check),
    wildcard_in_service_name: Some(wildcard_in_service_name::check),
    retired_service: Some(retired_service::check),
    null_with_qualifier: Some(null_with_qualifier::check),
    wildcard_without_like_operator: Some(wildcard_without_like_operator::check),
    private_ip_address: Some(private_ip_address::check),
    mismatched_action_for_principal: Some(mismatched_action_for_principal::check),
    unsupported_action_for_condition_key: Some(unsupported_action_for_condition_key::check),
    action_not_in_current_catalogue: Some(action_not_in_current_catalogue::check),
    pass_role_with_star_in_resource: Some(pass_role_with_star_in_resource::check),
    allow_with_not_principal: None,
    deny_with_not_principal: Some(deny_with_not_principal::check),
    public_principal_without_condition: Some(public_principal_without_condition::check),
    allow_with_not_action: Some(allow_with_not_action::check),
    allow_with_not_resource: Some(allow_with_not_resource::check),
    missing_github_repo_condition_key: Some(missing_github_repo_condition_key::check),
    missing_condition_key_for_oidc_principal: Some(missing_condition_key_for_oidc_principal::check),
    missing_version: Some(missing_version::check),
    variables_in_old_version: Some(variables_in_old_version::check),
    redundant_action: Some(redundant_action::check),
    redundant_resource: Some(redundant_resource::check),
    redundant_statement: Some(redundant_statement::check),
    dead_statement: Some(dead_statement::check),
    duplicate_sid: Some(duplicate_sid::check),
    empty_array: Some(empty_array::check),
    empty_object_condition: Some(empty_object_condition::check),
    policy_size_exceeds_quota: None,
    policy_size_warning: None,
}

/// Where rules put their findings.
pub(crate) struct Sink {
    findings: Vec<Finding>,
}

impl Sink {
    /// Says that `rule` ran out of its [`crate::context::Budget`] and stopped, having compared
    /// only some of the pairs it looks at: it may have missed what it reports.
    pub(crate) fn incomplete(&mut self, rule: &'static RuleInfo, statements: usize) {
        self.push(
            rule,
            None,
            format!(
                "not every pair was compared: the policy ({statements} statements) is too large for this check to \
                 finish in the work lint allows it, so it may have missed some; split the policy to check it fully"
            ),
        );
    }

    /// A finding of `rule` with its default issue code and severity.
    pub(crate) fn push(&mut self, rule: &'static RuleInfo, span: Option<Span>, message: String) {
        self.push_as(rule, rule.issue_code, span, message);
    }

    /// A finding of `rule` with a more specific Access Analyzer issue code.
    pub(crate) fn push_as(
        &mut self,
        rule: &'static RuleInfo,
        issue_code: &'static str,
        span: Option<Span>,
        message: String,
    ) {
        self.findings.push(Finding {
            code: rule.code,
            name: rule.name,
            issue_code,
            severity: rule.severity,
            message,
            span,
        });
    }
}

/// The span of a core error or warning, or `None` for the whole document.
fn error_span(e: &PolicyError) -> Option<Span> {
    let s = e.span();
    (s.end > s.start || s.start > 0).then_some(s)
}

/// Which grammar rule a core parse error belongs to, and the Access Analyzer issue code.
fn classify_error(message: &str, target: Target<'_>) -> (&'static RuleInfo, &'static str) {
    let m = message;
    let has = |s: &str| m.contains(s);
    if has("invalid JSON") || has("the document is empty") || has("nesting is deeper") || has("must be a JSON object") {
        return (&json_syntax_error::INFO, json_syntax_error::INFO.issue_code);
    }
    if has("bytes; iamspect reads at most") || (has(" characters (") && has(", over the ")) {
        return (&policy_size_exceeds_quota::INFO, policy_size_exceeds_quota::issue_code(target.policy_type));
    }
    if has("`Version` must be") || has("must use `Version`") || m.starts_with("IAM rejects a managed policy") {
        return (&invalid_version::INFO, invalid_version::INFO.issue_code);
    }
    if m.starts_with("resource `") && has("of the six parts of an ARN") {
        return (&invalid_arn::INFO, "MISSING_ARN_FIELD");
    }
    if m.starts_with("resource `") && has("is not an AWS partition") {
        return (&invalid_arn::INFO, "INVALID_PARTITION");
    }
    if m.starts_with("resource `") && has("S3 bucket and object ARNs have no region") {
        return (&invalid_arn::INFO, "ARN_REGION_NOT_ALLOWED");
    }
    if has("unknown condition operator") || has("cannot be added to `Null`") {
        let code = if has("`Null`") { "NULL_WITH_IF_EXISTS" } else { invalid_condition_operator::INFO.issue_code };
        return (&invalid_condition_operator::INFO, code);
    }
    if m.starts_with("condition `") || m.starts_with("the values of `") {
        return (&invalid_condition_value::INFO, invalid_condition_value::INFO.issue_code);
    }
    if has("`NotPrincipal` may only be used with") {
        return (&allow_with_not_principal::INFO, allow_with_not_principal::INFO.issue_code);
    }
    if has(" may not have `")
        || has("needs a `Principal`")
        || has("resource control policy")
        || has("role trust policy may not")
    {
        return (&policy_type_syntax_error::INFO, policy_type_syntax_error::issue_code(m, target.policy_type));
    }
    if m.starts_with("principal `")
        || has("service principal `")
        || has("federated principal `")
        || has("canonical user `")
        || has("unknown principal type")
        || has("`Principal` is empty")
        || has("`NotPrincipal` is empty")
        || has("`Principal` must be")
        || has("`NotPrincipal` must be")
    {
        return (&invalid_principal::INFO, invalid_principal::INFO.issue_code);
    }
    (&invalid_grammar::INFO, invalid_grammar::issue_code(m))
}

/// Runs every rule; `Err` when `cancel` was set (checked between rules, and by the rules that
/// compare pairs between statements).
pub(crate) fn run(text: &str, target: Target<'_>, cancel: &AtomicBool) -> Result<Vec<Finding>, Cancelled> {
    let is_cancelled = || cancel.load(Ordering::Relaxed);
    let mut sink = Sink { findings: Vec::new() };
    match Policy::parse("policy", text, target.policy_type) {
        Err(errors) => {
            for e in &errors.errors {
                let (rule, issue) = classify_error(e.message(), target);
                sink.push_as(rule, issue, error_span(e), e.message().to_string());
            }
        }
        Ok(policy) => {
            for w in policy.warnings() {
                if w.message().contains("template placeholder") {
                    sink.push(&template_placeholder::INFO, error_span(w), w.message().to_string());
                } else if w.message().starts_with("IAM rejects a managed policy") {
                    // Decision D53: CreatePolicy rejects it, so as a managed policy it is an error.
                    sink.push(&invalid_version::INFO, error_span(w), w.message().to_string());
                } else {
                    let issue = policy_size_warning::issue_code(target.policy_type);
                    sink.push_as(&policy_size_warning::INFO, issue, error_span(w), w.message().to_string());
                }
            }
            if is_cancelled() {
                return Err(Cancelled);
            }
            let cx = Ctx::new(&policy, target, cancel);
            if cx.catalog_incomplete {
                sink.push(
                    &unknown_action::INFO,
                    None,
                    "not every action entry was matched against AWS's catalogue: the policy has more wildcard \
                     entries than lint expands in the work it allows, so findings about the others' actions may be \
                     missing; split the policy to check it fully"
                        .to_string(),
                );
            }
            for check in CHECKS.iter().flatten() {
                if is_cancelled() {
                    return Err(Cancelled);
                }
                check(&cx, &mut sink);
            }
        }
    }
    let mut findings = sink.findings;
    findings.sort_by(|a, b| {
        let key = |f: &Finding| f.span.map_or((0, 0), |s| (s.start, s.end));
        key(a).cmp(&key(b)).then(a.code.cmp(b.code))
    });
    findings.dedup();
    if is_cancelled() { Err(Cancelled) } else { Ok(findings) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_sorted() {
        let mut codes: Vec<_> = RULES.iter().map(|r| r.code).collect();
        let sorted = {
            let mut c = codes.clone();
            c.sort();
            c
        };
        assert_eq!(codes, sorted, "RULES must be sorted by code");
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        for r in RULES {
            assert!(r.code.starts_with("IAM") && r.code.len() == 6, "{}", r.code);
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(r.doc.contains(section), "{} lacks {section}", r.code);
            }
        }
    }

    /// A policy far past any budget: the pairwise checks stop and say so, and lint stays fast;
    /// a set cancellation flag stops it.
    #[test]
    fn budgets_and_cancellation() {
        let target = Target { policy_type: iamspect_core::PolicyType::Identity, resource_type: None };
        // Nothing covers anything else, so every pair is compared.
        let entries: Vec<String> = (0..6000).map(|i| format!("\"arn:aws:s3:::b{i}/*\"")).collect();
        let actions: Vec<String> = (0..6000).map(|i| format!("\"s3:{i}Get*\"")).collect();
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": [{}], "Resource": [{}]}}]}}"#,
            actions.join(","),
            entries.join(",")
        );
        let findings = crate::lint(&text, target);
        let incomplete: Vec<_> = findings
            .iter()
            .filter(|f| f.span.is_none() && f.message.starts_with("not every pair"))
            .map(|f| f.code)
            .collect();
        assert_eq!(incomplete, ["IAM403", "IAM404"], "{} findings", findings.len());
        let cancel = AtomicBool::new(true);
        assert_eq!(crate::lint_cancellable(&text, target, &cancel), Err(Cancelled));
    }
}
