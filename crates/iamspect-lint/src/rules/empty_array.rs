//! IAM408: an empty array where AWS expects values.

use iamspect_core::Span;

use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM408",
    name: "empty-array",
    issue_code: "EMPTY_ARRAY",
    severity: Severity::Suggestion,
    doc: r#"## What it does
Reports an empty array `[]` as the value of a principal type of `Principal` or `NotPrincipal`
(`EMPTY_ARRAY_PRINCIPAL`), or of a condition key (`EMPTY_ARRAY_CONDITION`, or
`EMPTY_ARRAY_CONDITION_FOR_ALL_VALUES`, `EMPTY_ARRAY_CONDITION_FOR_ANY_VALUE` and
`EMPTY_ARRAY_CONDITION_IF_EXISTS` by the operator). An empty `Action`, `NotAction`, `Resource`,
`NotResource` or `Statement` list is an error instead (IAM102, `EMPTY_ARRAY_ACTION`,
`EMPTY_ARRAY_RESOURCE`, `MISSING_STATEMENT`): IAM rejects the policy (decision D53).

## Why is this bad?
An empty list names nothing: the element matches no action, resource or principal, and a
condition key without values never compares as meant. AWS accepts the policy, but the statement
does not do what it appears to do.

## Example
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": []}}}
```
Give the values, or remove the condition.
"#,
};

/// A JSON value read with the spans of its parts (enough of JSON for these checks).
pub(super) enum Json {
    /// A string, a number, `true`, `false` or `null`.
    Scalar,
    /// An array: each element with its span.
    Array(Vec<(Span, Json)>),
    /// An object: each member.
    Object(Vec<Member>),
}

/// One member of an object.
pub(super) struct Member {
    pub(super) key: String,
    pub(super) value_span: Span,
    pub(super) value: Json,
}

impl Json {
    /// The members of an object (none for other values).
    pub(super) fn members(&self) -> &[Member] {
        match self {
            Json::Object(m) => m,
            _ => &[],
        }
    }
}

struct Reader<'t> {
    text: &'t [u8],
    pos: usize,
    base: usize,
    depth: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.text.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        if self.text.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        loop {
            match self.text.get(self.pos)? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        let raw = std::str::from_utf8(self.text.get(start..self.pos)?).ok()?;
        serde_json::from_str(raw).ok()
    }

    fn value(&mut self) -> Option<(Span, Json)> {
        self.ws();
        let start = self.pos;
        self.depth += 1;
        if self.depth > iamspect_core::MAX_DEPTH {
            return None;
        }
        let value = match *self.text.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                self.ws();
                if self.text.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.ws();
                        if self.text.get(self.pos) != Some(&b':') {
                            return None;
                        }
                        self.pos += 1;
                        let (value_span, value) = self.value()?;
                        members.push(Member { key, value_span, value });
                        self.ws();
                        match self.text.get(self.pos)? {
                            b',' => self.pos += 1,
                            b'}' => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Json::Object(members)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.text.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.text.get(self.pos)? {
                            b',' => self.pos += 1,
                            b']' => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Json::Array(items)
            }
            b'"' => {
                self.string()?;
                Json::Scalar
            }
            _ => {
                while self
                    .text
                    .get(self.pos)
                    .is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace())
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    return None;
                }
                Json::Scalar
            }
        };
        self.depth -= 1;
        Some((self.span(start, self.pos), value))
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span { start: self.base + start, end: self.base + end }
    }
}

/// Reads the JSON value that `span` of `source` holds (a statement), with spans into `source`.
pub(super) fn read(source: &str, span: Span) -> Option<Json> {
    let text = source.get(span.start..span.end)?;
    let mut r = Reader { text: text.as_bytes(), pos: 0, base: span.start, depth: 0 };
    r.value().map(|(_, v)| v)
}

/// True if `text` has `open`, then only whitespace, then `close`: a cheap test before reading.
pub(super) fn has_empty(text: &str, open: u8, close: u8) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == open && b.get(i + 1..).and_then(|rest| rest.iter().find(|c| !c.is_ascii_whitespace())) == Some(&close)
    })
}

fn is_empty_array(v: &Json) -> bool {
    matches!(v, Json::Array(items) if items.is_empty())
}

/// The issue code of an empty array of values under condition operator `op`.
fn condition_issue(op: &str) -> &'static str {
    let lower = op.to_ascii_lowercase();
    if lower.starts_with("forallvalues:") {
        "EMPTY_ARRAY_CONDITION_FOR_ALL_VALUES"
    } else if lower.starts_with("foranyvalue:") {
        "EMPTY_ARRAY_CONDITION_FOR_ANY_VALUE"
    } else if lower.ends_with("ifexists") {
        "EMPTY_ARRAY_CONDITION_IF_EXISTS"
    } else {
        "EMPTY_ARRAY_CONDITION"
    }
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let source = cx.policy.source();
    for s in &cx.statements {
        let span = s.statement.span();
        if !source.get(span.start..span.end).is_some_and(|t| has_empty(t, b'[', b']')) {
            continue;
        }
        let Some(statement) = read(source, span) else { continue };
        for m in statement.members() {
            match m.key.as_str() {
                "Principal" | "NotPrincipal" => {
                    for p in m.value.members().iter().filter(|p| is_empty_array(&p.value)) {
                        out.push_as(
                            &INFO,
                            "EMPTY_ARRAY_PRINCIPAL",
                            Some(p.value_span),
                            format!("`{}` of `{}` is an empty array: it names no principal", p.key, m.key),
                        );
                    }
                }
                "Condition" => {
                    for op in m.value.members() {
                        for k in op.value.members().iter().filter(|k| is_empty_array(&k.value)) {
                            out.push_as(
                                &INFO,
                                condition_issue(&op.key),
                                Some(k.value_span),
                                format!("`{}` of `{}` has an empty array of values", k.key, op.key),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
