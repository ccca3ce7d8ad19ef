//! From policy text to a compiled [`Policy`], checking AWS's grammar (spec §4.1) and the rules of
//! each policy type. Every problem is collected with its span; nothing is silently dropped.

use std::collections::HashSet;

use jsonc_parser::ast::{Object, ObjectPropName, Value};
use jsonc_parser::common::Ranged;

use super::limits::{measured_size, size_limit};
use super::principal::{PrincipalBlock, PrincipalEntry, parse_aws};
use super::{
    ActionBlock, ActionItem, Effect, MAX_POLICY_BYTES, Policy, PolicyError, PolicyErrors, PolicyType, ResourceBlock,
    ResourceItem, Statement, Version,
};
use crate::arn::ArnPattern;
use crate::condition::{Condition, Operator, OperatorError, RawValue, is_placeholder};
use crate::json::{self, span_of};
use crate::pattern::{Pattern, Syntax};
use crate::span::{LineColumn, LineIndex, Span};

/// What IAM's `CreatePolicy` says of a managed policy without `Version` "2012-10-17" (D53).
const MANAGED_VERSION: &str =
    "IAM rejects a managed policy (CreatePolicy, CreatePolicyVersion) whose `Version` is not \"2012-10-17\"";

struct Parser<'t> {
    text: &'t str,
    policy_type: PolicyType,
    variables: bool,
    errors: Vec<PolicyError>,
    warnings: Vec<PolicyError>,
    /// Built at the first error or warning, so that a document with thousands of them is read
    /// once, not once per problem.
    lines: Option<LineIndex<'t>>,
}

pub(super) fn parse_policy(
    name: &str,
    text: &str,
    policy_type: PolicyType,
    origin: LineColumn,
) -> Result<Policy, PolicyErrors> {
    let fail = |errors: Vec<PolicyError>| PolicyErrors {
        name: name.to_string(),
        errors: errors.into_iter().map(|e| e.shift(origin)).collect(),
    };
    if text.len() > MAX_POLICY_BYTES {
        return Err(fail(vec![PolicyError::new(
            text,
            Span::new(0, 0),
            format!("the policy is {} bytes; iamspect reads at most {MAX_POLICY_BYTES}", text.len()),
        )]));
    }
    let root = match json::parse(text) {
        Ok(v) => v,
        Err(e) => return Err(fail(vec![PolicyError::new(text, e.span, e.message)])),
    };
    let mut p = Parser { text, policy_type, variables: false, errors: Vec::new(), warnings: Vec::new(), lines: None };
    let Value::Object(obj) = &root else {
        p.error(span_of(&root), "a policy must be a JSON object".to_string());
        return Err(fail(p.errors));
    };

    let mut version = None;
    let mut version_span = None;
    let mut id = None;
    let mut statement_value = None;
    for (key, value, key_span) in p.props(obj) {
        if key == "Version" {
            version_span = Some(span_of(value));
        }
        match key {
            "Version" => match value {
                Value::StringLit(s) if s.value == "2012-10-17" => version = Some(Version::V2012_10_17),
                Value::StringLit(s) if s.value == "2008-10-17" => version = Some(Version::V2008_10_17),
                other => p.error(span_of(other), "`Version` must be \"2012-10-17\" or \"2008-10-17\"".to_string()),
            },
            "Id" => match value {
                Value::StringLit(s) => id = Some(s.value.to_string()),
                other => p.error(span_of(other), "`Id` must be a string".to_string()),
            },
            "Statement" => statement_value = Some(value),
            other => p.error(
                key_span,
                format!("unknown element `{other}` in a policy; expected `Version`, `Id` or `Statement`"),
            ),
        }
    }
    if matches!(policy_type, PolicyType::Scp | PolicyType::Rcp) && version == Some(Version::V2008_10_17) {
        p.error(span_of(&root), format!("a {} must use `Version` \"2012-10-17\"", policy_type.description()));
    }
    // Decision D53: a permissions boundary is a managed policy, and IAM's CreatePolicy rejects a
    // managed policy without `Version` "2012-10-17"; an identity policy may be inline, where IAM
    // accepts "2008-10-17" or no `Version`, so it gets a warning (an error in `lint`).
    if version != Some(Version::V2012_10_17) {
        let version_span = version_span.unwrap_or(Span::new(obj.range.start, obj.range.start + 1));
        match policy_type {
            PolicyType::PermissionsBoundary => p.error(
                version_span,
                format!("{MANAGED_VERSION}; a permissions boundary is always a managed policy"),
            ),
            PolicyType::Identity => p.warning(
                version_span,
                format!("{MANAGED_VERSION}; as an inline policy (PutUserPolicy, PutRolePolicy, PutGroupPolicy) it is accepted"),
            ),
            _ => {}
        }
    }
    p.variables = version == Some(Version::V2012_10_17);

    let mut statements = Vec::new();
    match statement_value {
        None => p.error(Span::new(obj.range.start, obj.range.start + 1), "the policy has no `Statement`".to_string()),
        Some(Value::Object(s)) => statements.extend(p.statement(s, 0)),
        // Decision D53: IAM, STS and Organizations reject a policy without statements; a
        // service's resource-based policy is left to that service, and matches nothing.
        Some(Value::Array(a)) if a.elements.is_empty() && policy_type != PolicyType::Resource => p.error(
            span_of(statement_value.unwrap_or(&root)),
            "`Statement` is an empty list; IAM rejects a policy without statements".to_string(),
        ),
        Some(Value::Array(a)) => {
            for (i, el) in a.elements.iter().enumerate() {
                match el {
                    Value::Object(s) => statements.extend(p.statement(s, i)),
                    other => p.error(span_of(other), "each statement must be a JSON object".to_string()),
                }
            }
        }
        Some(other) => p.error(span_of(other), "`Statement` must be an object or an array of objects".to_string()),
    }

    if matches!(policy_type, PolicyType::Identity | PolicyType::PermissionsBoundary | PolicyType::Trust) {
        // Decision D53: IAM rejects two statements with the same `Sid`.
        for (j, st) in statements.iter().enumerate() {
            if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty())
                && statements[..j].iter().any(|t| t.sid.as_deref() == Some(sid))
            {
                p.error(
                    Span::new(st.span.start, st.span.start + 1),
                    format!("`Sid` `{sid}` is used by an earlier statement; IAM rejects it (\"Statement IDs (SID) in a single policy must be unique\")"),
                );
            }
        }
    }
    let mut warnings = std::mem::take(&mut p.warnings);
    let limit = size_limit(policy_type);
    let size = measured_size(text, &limit);
    if size > limit.max_chars {
        let whitespace = if limit.counts_whitespace { "with" } else { "without" };
        let mut message = format!(
            "the policy has {size} characters ({whitespace} whitespace), over the {} of {}",
            limit.quota, limit.max_chars
        );
        // Decision D22: where whitespace counts, a document that fits once minified is a warning.
        let minified = text.chars().filter(|c| !c.is_whitespace()).count();
        let fits_minified = limit.counts_whitespace && minified <= limit.max_chars;
        if fits_minified {
            message.push_str(&format!(
                "; it has {minified} without whitespace, so remove the whitespace before attaching it"
            ));
        }
        let e = PolicyError::new(text, Span::new(0, 0), message);
        if limit.is_error && !fits_minified { p.errors.push(e) } else { warnings.push(e) }
    }

    if !p.errors.is_empty() {
        p.errors.sort_by_key(|e| e.span().start);
        return Err(fail(p.errors));
    }
    let warnings = warnings.into_iter().map(|w| w.shift(origin)).collect();
    let action_index = super::index::ActionIndex::build(&statements);
    Ok(Policy {
        name: name.to_string(),
        policy_type,
        version,
        id,
        statements,
        source: text.into(),
        warnings,
        origin,
        action_index,
    })
}

impl<'t> Parser<'t> {
    fn problem(&mut self, span: Span, message: String) -> PolicyError {
        let text = self.text;
        let start = self.lines.get_or_insert_with(|| LineIndex::new(text)).line_column(span.start);
        PolicyError::at(span, start, message)
    }

    fn error(&mut self, span: Span, message: String) {
        let e = self.problem(span, message);
        self.errors.push(e);
    }

    fn warning(&mut self, span: Span, message: String) {
        let w = self.problem(span, message);
        self.warnings.push(w);
    }

    /// The properties of an object, reporting duplicates (which JSON parsers would silently merge).
    fn props<'a, 'v>(&mut self, obj: &'a Object<'v>) -> Vec<(&'a str, &'a Value<'v>, Span)> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(obj.properties.len());
        for prop in &obj.properties {
            let (key, span) = match &prop.name {
                ObjectPropName::String(s) => (&*s.value, Span::new(s.range.start, s.range.end)),
                ObjectPropName::Word(w) => (w.value, Span::new(w.range.start, w.range.end)),
            };
            if !seen.insert(key) {
                self.error(span, format!("duplicate element `{key}`"));
                continue;
            }
            out.push((key, &prop.value, span));
        }
        out
    }

    /// A string or an array of strings, with each string's span.
    fn strings(&mut self, element: &str, value: &Value<'_>) -> Option<Vec<(String, Span)>> {
        let mut out = Vec::new();
        match value {
            Value::StringLit(s) => out.push((s.value.to_string(), span_of(value))),
            Value::Array(a) => {
                for el in &a.elements {
                    match el {
                        Value::StringLit(s) => out.push((s.value.to_string(), span_of(el))),
                        other => {
                            self.error(span_of(other), format!("each `{element}` value must be a string"));
                            return None;
                        }
                    }
                }
            }
            other => {
                self.error(span_of(other), format!("`{element}` must be a string or an array of strings"));
                return None;
            }
        }
        Some(out)
    }

    fn statement(&mut self, obj: &Object<'_>, index: usize) -> Option<Statement> {
        let span = Span::new(obj.range.start, obj.range.end);
        let errors_before = self.errors.len();
        let mut sid = None;
        let mut effect = None;
        let mut principal = None;
        let mut action = None;
        let mut resource = None;
        let mut conditions = Vec::new();
        let mut seen_condition = false;
        let mut effect_seen = false;
        for (key, value, key_span) in self.props(obj) {
            match key {
                "Sid" => match value {
                    Value::StringLit(s) => {
                        // Decision D53: IAM's own policies take only letters and digits.
                        let iam = matches!(
                            self.policy_type,
                            PolicyType::Identity | PolicyType::PermissionsBoundary | PolicyType::Trust
                        );
                        if iam && !s.value.chars().all(|c| c.is_ascii_alphanumeric()) {
                            self.error(
                                span_of(value),
                                format!(
                                    "`Sid` `{}` has a character other than a letter or a digit; IAM rejects it (\"Statement IDs (SID) must be alpha-numeric\", `[0-9A-Za-z]*`)",
                                    s.value
                                ),
                            );
                        }
                        sid = Some(s.value.to_string())
                    }
                    other => self.error(span_of(other), "`Sid` must be a string".to_string()),
                },
                "Effect" => {
                    effect_seen = true;
                    match value {
                        Value::StringLit(s) if s.value == "Allow" => effect = Some((Effect::Allow, span_of(value))),
                        Value::StringLit(s) if s.value == "Deny" => effect = Some((Effect::Deny, span_of(value))),
                        other => self.error(span_of(other), "`Effect` must be \"Allow\" or \"Deny\" (case-sensitive)".to_string()),
                    }
                }
                "Principal" | "NotPrincipal" => {
                    if principal.is_some() {
                        self.error(key_span, "a statement may have `Principal` or `NotPrincipal`, not both".to_string());
                        continue;
                    }
                    principal = Some(self.principal(key == "NotPrincipal", value, key_span));
                }
                "Action" | "NotAction" => {
                    if action.is_some() {
                        self.error(key_span, "a statement may have `Action` or `NotAction`, not both".to_string());
                        continue;
                    }
                    action = Some(self.action(key == "NotAction", value, key_span));
                }
                "Resource" | "NotResource" => {
                    if resource.is_some() {
                        self.error(key_span, "a statement may have `Resource` or `NotResource`, not both".to_string());
                        continue;
                    }
                    resource = Some(self.resource(key == "NotResource", value, key_span));
                }
                "Condition" => {
                    seen_condition = true;
                    conditions = self.conditions(value);
                }
                other => self.error(
                    key_span,
                    format!(
                        "unknown element `{other}` in a statement; expected `Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource` or `Condition`"
                    ),
                ),
            }
        }
        let head = Span::new(span.start, span.start + 1);
        let Some((effect, effect_span)) = effect else {
            if !effect_seen {
                self.error(head, "the statement has no `Effect`".to_string());
            }
            return None;
        };
        let Some(action) = action else {
            self.error(head, "the statement has no `Action` or `NotAction`".to_string());
            return None;
        };
        let action = action?;
        let principal = principal.flatten();
        self.type_rules(effect, &principal, &action, resource.as_ref(), seen_condition, head);
        let resource = match resource {
            Some(r) => Some(r?),
            None => None,
        };
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Statement { index, sid, effect, principal, action, resource, conditions, span, effect_span })
    }

    /// The rules that differ by policy type (spec §4.1, §3.1, §3.2).
    fn type_rules(
        &mut self,
        effect: Effect,
        principal: &Option<PrincipalBlock>,
        action: &ActionBlock,
        resource: Option<&Option<ResourceBlock>>,
        has_condition: bool,
        head: Span,
    ) {
        let t = self.policy_type;
        let what = t.description();
        match (t.requires_principal(), principal) {
            (Some(false), Some(p)) => {
                let element = if p.not { "NotPrincipal" } else { "Principal" };
                self.error(p.span, format!("a {what} may not have `{element}`"));
            }
            (Some(true), None) => self.error(head, format!("each statement of a {what} needs a `Principal`")),
            _ => {}
        }
        if let Some(p) = principal {
            if p.not && effect == Effect::Allow {
                self.error(p.span, "`NotPrincipal` may only be used with `\"Effect\": \"Deny\"`".to_string());
            }
            if p.not && matches!(t, PolicyType::Trust | PolicyType::Rcp) {
                self.error(p.span, format!("a {what} may not have `NotPrincipal`"));
            }
            if t == PolicyType::Rcp && !p.is_everyone() && !p.not {
                self.error(p.span, "the `Principal` of a resource control policy must be \"*\"".to_string());
            }
        }
        match (t, resource) {
            (PolicyType::Trust, Some(Some(r))) => {
                let element = if r.not { "NotResource" } else { "Resource" };
                self.error(r.span, format!("a role trust policy may not have `{element}`"));
            }
            (PolicyType::Trust, _) => {}
            (_, None) => self.error(head, "the statement has no `Resource` or `NotResource`".to_string()),
            _ => {}
        }
        if t == PolicyType::Rcp {
            if action.not {
                self.error(action.span, "a resource control policy may not have `NotAction`".to_string());
            }
            let full_access = effect == Effect::Allow
                && !has_condition
                && action.items.iter().all(|a| a.text == "*")
                && matches!(resource, Some(Some(r)) if !r.not && r.items.iter().all(|i| i.text == "*"));
            if effect == Effect::Allow && !full_access {
                self.error(head, "customer resource control policies may only use `\"Effect\": \"Deny\"`".to_string());
            }
            if effect == Effect::Deny {
                for a in action.items.iter().filter(|a| a.text == "*") {
                    self.error(
                        a.span,
                        "a resource control policy may not use `\"*\"` alone as an action; name the service (`s3:*`)"
                            .to_string(),
                    );
                }
            }
        }
    }

    fn principal(&mut self, not: bool, value: &Value<'_>, key_span: Span) -> Option<PrincipalBlock> {
        let span = Span::new(key_span.start, value.range().end);
        let element = if not { "NotPrincipal" } else { "Principal" };
        let mut entries = Vec::new();
        match value {
            Value::StringLit(s) if s.value == "*" => entries.push((PrincipalEntry::Everyone, span_of(value))),
            Value::Object(obj) => {
                if obj.properties.is_empty() {
                    self.error(span_of(value), format!("`{element}` is empty"));
                }
                for (kind, v, kind_span) in self.props(obj) {
                    let Some(values) = self.strings(kind, v) else {
                        continue;
                    };
                    for (text, vspan) in values {
                        let entry = match kind {
                            "AWS" => match parse_aws(&text) {
                                Ok(p) => PrincipalEntry::Aws(p),
                                Err(message) => {
                                    self.error(vspan, message);
                                    continue;
                                }
                            },
                            "Service" => {
                                if text == "*" || text.is_empty() || text.contains(['*', '?', ' ']) {
                                    self.error(vspan, format!("service principal `{text}` is not valid; `\"Service\": \"*\"` is not allowed"));
                                    continue;
                                }
                                let well_formed = text.contains('.')
                                    && !text.starts_with(['.', '-'])
                                    && text.bytes().all(|b| {
                                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                                    });
                                if !well_formed {
                                    self.error(vspan, format!("service principal `{text}` is not a service principal name (lower case, such as `ec2.amazonaws.com`); IAM rejects it (\"Invalid principal in policy\")"));
                                    continue;
                                }
                                PrincipalEntry::Service(text)
                            }
                            "Federated" => {
                                if text.is_empty() || text.contains(['*', '?']) {
                                    self.error(vspan, format!("federated principal `{text}` is not valid"));
                                    continue;
                                }
                                PrincipalEntry::Federated(text)
                            }
                            "CanonicalUser" => {
                                if text.is_empty() || text.contains(['*', '?']) {
                                    self.error(vspan, format!("canonical user `{text}` is not valid"));
                                    continue;
                                }
                                PrincipalEntry::CanonicalUser(text)
                            }
                            other => {
                                self.error(kind_span, format!("unknown principal type `{other}`; expected `AWS`, `Service`, `Federated` or `CanonicalUser`"));
                                break;
                            }
                        };
                        entries.push((entry, vspan));
                    }
                }
            }
            other => {
                self.error(span_of(other), format!("`{element}` must be \"*\" or an object such as {{\"AWS\": ...}}"))
            }
        }
        Some(PrincipalBlock { not, entries, span })
    }

    fn action(&mut self, not: bool, value: &Value<'_>, key_span: Span) -> Option<ActionBlock> {
        let element = if not { "NotAction" } else { "Action" };
        let span = Span::new(key_span.start, value.range().end);
        let values = self.strings(element, value)?;
        if values.is_empty() {
            self.error(
                span_of(value),
                format!("`{element}` is an empty list; IAM rejects a statement without actions"),
            );
            return None;
        }
        let mut items = Vec::with_capacity(values.len());
        for (text, vspan) in values {
            let well_formed = text == "*"
                || matches!(text.split_once(':'), Some((svc, name)) if !svc.is_empty() && !name.is_empty() && !name.contains(':'));
            if !well_formed && is_placeholder(&text) {
                self.warning(vspan, format!("action `{text}` is a template placeholder; it matches no action"));
            } else if !well_formed {
                self.error(vspan, format!("action `{text}` must be `service:action` (or \"*\")"));
                continue;
            }
            match Pattern::parse(&text, Syntax { wildcards: true, variables: false }) {
                Ok(p) => items.push(ActionItem { pattern: p.to_ascii_lowercase(), text, span: vspan }),
                Err(e) => self.error(vspan, e.to_string()),
            }
        }
        Some(ActionBlock { not, items, span })
    }

    fn resource(&mut self, not: bool, value: &Value<'_>, key_span: Span) -> Option<ResourceBlock> {
        let element = if not { "NotResource" } else { "Resource" };
        let span = Span::new(key_span.start, value.range().end);
        let values = self.strings(element, value)?;
        if values.is_empty() {
            self.error(
                span_of(value),
                format!("`{element}` is an empty list; IAM rejects a statement without resources"),
            );
            return None;
        }
        let mut items = Vec::with_capacity(values.len());
        for (text, vspan) in values {
            if let Some(problem) = arn_problem(&text) {
                self.error(vspan, problem);
                continue;
            }
            if text != "*" {
                let ok = text
                    .strip_prefix("arn:")
                    .is_some_and(|rest| rest.split(':').next().is_some_and(|partition| !partition.is_empty()));
                if !ok && is_placeholder(&text) {
                    self.warning(vspan, format!("resource `{text}` is a template placeholder; it matches no resource"));
                } else if !ok {
                    self.error(vspan, format!("resource `{text}` must be an ARN (`arn:partition:service:region:account:resource`) or \"*\""));
                    continue;
                }
            }
            match ArnPattern::parse(&text, Syntax { wildcards: true, variables: self.variables }) {
                Ok(pattern) => items.push(ResourceItem { text, pattern, span: vspan }),
                Err(e) => self.error(vspan, format!("in resource `{text}`: {e}")),
            }
        }
        Some(ResourceBlock { not, items, span })
    }

    fn conditions(&mut self, value: &Value<'_>) -> Vec<Condition> {
        let mut out = Vec::new();
        let Value::Object(block) = value else {
            self.error(span_of(value), "`Condition` must be an object of operators".to_string());
            return out;
        };
        for (op_name, keys, op_span) in self.props(block) {
            let operator = match Operator::parse(op_name) {
                Ok(op) => op,
                Err(OperatorError::Unknown(name)) => {
                    self.error(op_span, format!("unknown condition operator `{name}`"));
                    continue;
                }
                Err(OperatorError::NullIfExists) => {
                    self.error(op_span, "`IfExists` cannot be added to `Null`".to_string());
                    continue;
                }
            };
            let Value::Object(keys) = keys else {
                self.error(span_of(keys), format!("the value of `{op_name}` must be an object of condition keys"));
                continue;
            };
            let mut seen_keys = HashSet::new();
            for (key, values, key_span) in self.props(keys) {
                if key.is_empty() {
                    self.error(key_span, "a condition key is empty".to_string());
                    continue;
                }
                if !seen_keys.insert(key.to_ascii_lowercase()) {
                    self.error(
                        key_span,
                        format!("condition key `{key}` appears twice under `{op_name}` (keys are case-insensitive)"),
                    );
                    continue;
                }
                let Some(raw) = self.condition_values(op_name, key, values) else {
                    continue;
                };
                let spans = (op_span, key_span, Span::new(key_span.start, values.range().end));
                match Condition::compile(operator, key, &raw, self.variables, spans) {
                    Ok(c) => {
                        if c.has_placeholder() {
                            self.warning(key_span, format!("condition `{op_name}` on `{key}` holds a template placeholder; it is treated as unreadable, so an `Allow` does not apply and a `Deny` does"));
                        }
                        out.push(c)
                    }
                    Err(e) => {
                        let span = match values {
                            Value::Array(a) => a.elements.get(e.index).map_or(span_of(values), span_of),
                            other => span_of(other),
                        };
                        self.error(span, format!("condition `{op_name}` on `{key}`: {}", e.message));
                    }
                }
            }
        }
        out
    }

    fn condition_values(&mut self, op_name: &str, key: &str, value: &Value<'_>) -> Option<Vec<RawValue>> {
        let one = |v: &Value<'_>| -> Option<RawValue> {
            match v {
                Value::StringLit(s) => Some(RawValue::Str(s.value.to_string())),
                Value::NumberLit(n) => Some(RawValue::Num(n.value.to_string())),
                Value::BooleanLit(b) => Some(RawValue::Bool(b.value)),
                _ => None,
            }
        };
        let bad = format!(
            "the values of `{key}` under `{op_name}` must be strings, numbers or booleans, or an array of them"
        );
        match value {
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.elements.len());
                for el in &a.elements {
                    match one(el) {
                        Some(v) => out.push(v),
                        None => {
                            self.error(span_of(el), bad);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => match one(other) {
                Some(v) => Some(vec![v]),
                None => {
                    self.error(span_of(other), bad);
                    None
                }
            },
        }
    }
}

/// AWS's partitions: a literal partition in a resource ARN must be one of them.
const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// The S3 resource types whose ARNs carry a region or an account (access points, Multi-Region
/// Access Points, Batch Operations jobs, Storage Lens, Access Grants); buckets and objects do not.
const S3_REGIONAL_RESOURCES: &[&str] =
    &["accesspoint/", "job/", "storage-lens/", "storage-lens-group/", "access-grants/", "async-request/"];

/// Why IAM rejects a `Resource`/`NotResource` ARN when the policy is written (decision D53): fewer
/// than six parts, an unknown partition, or a region or account in an S3 bucket or object ARN.
/// Segments with wildcards, policy variables or template placeholders are not judged.
fn arn_problem(text: &str) -> Option<String> {
    let rest = text.strip_prefix("arn:")?;
    if is_placeholder(text) {
        return None;
    }
    let literal = |s: &str| !s.is_empty() && !s.contains(['*', '?', '$', '<', '[']);
    let segments = crate::arn::split_segments(rest);
    let [partition, service, region, account, resource] = segments.as_slice() else {
        return Some(format!(
            "resource `{text}` has {} of the six parts of an ARN (`arn:partition:service:region:account:resource`); IAM rejects it (`Resource ... must be in ARN format or \"*\"`)",
            segments.len() + 1
        ));
    };
    if literal(partition) && !PARTITIONS.contains(partition) {
        return Some(format!(
            "resource `{text}`: `{partition}` is not an AWS partition ({}); IAM rejects it",
            PARTITIONS.join(", ")
        ));
    }
    let regional = S3_REGIONAL_RESOURCES.iter().any(|p| resource.starts_with(p));
    let judged = !resource.starts_with(['*', '?', '$', '<', '[']);
    if *service == "s3" && judged && !regional && (literal(region) || literal(account)) {
        return Some(format!(
            "resource `{text}`: S3 bucket and object ARNs have no region and no account (`arn:{partition}:s3:::BUCKET/KEY`); IAM rejects them"
        ));
    }
    None
}
