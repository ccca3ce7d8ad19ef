//! Conditions: one operator, one key and its policy values, compiled once and evaluated against the
//! request context with AWS's missing-key truth table (spec §5.4).

mod operator;
pub(crate) mod value;

use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;

use crate::arn::ArnPattern;
use crate::pattern::{Pattern, Syntax, Variables};
use crate::request::Context;
use crate::span::Span;

pub(crate) use operator::OperatorError;

pub use operator::{BaseOperator, Family, Operator, SetQualifier};

/// The typed values a request's context may hold, read exactly as conditions read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// An integer or decimal (`Numeric*`).
    Number,
    /// `true` or `false`, in any letter case (`Bool`).
    Bool,
    /// An ISO 8601 date or epoch seconds (`Date*`).
    Date,
    /// One IPv4 or IPv6 address (`IpAddress`).
    IpAddress,
    /// Base64 (`BinaryEquals`).
    Binary,
}

/// Whether `text` reads as a value of `kind`, as the engine reads request values.
pub fn reads_as(kind: ValueKind, text: &str) -> bool {
    match kind {
        ValueKind::Number => value::parse_number(text).is_some(),
        ValueKind::Bool => value::parse_bool(text).is_some(),
        ValueKind::Date => value::parse_date(text).is_some(),
        ValueKind::IpAddress => value::parse_ip(text).is_some(),
        ValueKind::Binary => value::parse_base64(text).is_some(),
    }
}

/// The epoch seconds of a date as conditions read it (ISO 8601 or epoch seconds), if it is one.
pub fn date_seconds(text: &str) -> Option<i64> {
    value::parse_date(text).map(|t| t.as_second())
}

/// A number as `Numeric*` conditions read it (policy and request values alike), if it is one.
/// For reasoning over all requests (`iamspect-symbolic`), which must read values exactly as here.
pub fn number_value(text: &str) -> Option<f64> {
    value::parse_number(text)
}

/// A date as `Date*` conditions read it, in nanoseconds since the epoch, if it is one.
pub fn date_nanos(text: &str) -> Option<i128> {
    value::parse_date(text).map(|t| t.as_nanosecond())
}

/// A boolean as `Bool` and `Null` read it (`true`/`false` in any letter case), if it is one.
pub fn bool_value(text: &str) -> Option<bool> {
    value::parse_bool(text)
}

/// A request value as `IpAddress` reads it, if it is one.
pub fn ip_value(text: &str) -> Option<IpAddr> {
    value::parse_ip(text)
}

/// A policy value as `IpAddress` reads it (a CIDR block or a bare address): the address as
/// written and the prefix length, if it is one.
pub fn cidr_value(text: &str) -> Option<(IpAddr, u8)> {
    value::parse_cidr(text).map(|n| (n.addr(), n.prefix_len()))
}

/// True for a template placeholder (`<my-org-id>`, `[MAX_AGE]`), which a typed condition keeps as
/// an unreadable value (decision D24).
pub fn is_template_placeholder(text: &str) -> bool {
    is_placeholder(text)
}

/// A policy value as JSON gave it: AWS accepts numbers and booleans with or without quotes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawValue {
    Str(String),
    Num(String),
    Bool(bool),
}

impl RawValue {
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            RawValue::Str(s) | RawValue::Num(s) => s.as_str().into(),
            RawValue::Bool(b) => if *b { "true" } else { "false" }.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum BoolValue {
    Lit(bool),
    Var(Pattern),
}

/// Policy values, read once into the operator's type.
#[derive(Clone, Debug, PartialEq)]
enum Values {
    String(Vec<Pattern>),
    // `None` is a template placeholder (decision D24): it compares as unreadable.
    Numeric(Vec<Option<f64>>),
    Date(Vec<Option<Timestamp>>),
    Bool(Vec<BoolValue>),
    Binary(Vec<Option<Vec<u8>>>),
    Ip(Vec<Option<IpNet>>),
    Arn(Vec<ArnPattern>),
    Null(Vec<bool>),
}

/// One `"Operator": {"key": values}` entry of a `Condition` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) operator: Operator,
    /// The key as written (for display).
    pub(crate) key: String,
    /// The key in lower case (keys are case-insensitive).
    pub(crate) key_lower: Box<str>,
    /// Its hash, for the context lookup.
    key_hash: u64,
    /// The policy values as written (for display).
    pub(crate) raw_values: Vec<String>,
    values: Values,
    pub(crate) operator_span: Span,
    pub(crate) key_span: Span,
    pub(crate) span: Span,
}

/// The result of one condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    True,
    False,
    /// A request value could not be read as the operator's type (decision D8).
    TypeError,
}

/// Why a condition could not be compiled; the index says which value is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ValueError {
    pub(crate) index: usize,
    pub(crate) message: String,
}

impl Condition {
    /// Compiles one key of one operator. `variables` is true under `Version` 2012-10-17.
    pub(crate) fn compile(
        operator: Operator,
        key: &str,
        raw: &[RawValue],
        variables: bool,
        spans: (Span, Span, Span),
    ) -> Result<Condition, ValueError> {
        let family = operator.base.family();
        let err = |index: usize, what: &str, v: &RawValue| ValueError {
            index,
            message: format!("`{}` is not {what}, as `{}` needs", v.text(), operator.base.name()),
        };
        let values = match family {
            Family::String => {
                let wildcards = matches!(operator.base, BaseOperator::StringLike | BaseOperator::StringNotLike);
                let syntax = Syntax { wildcards, variables };
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    let p = Pattern::parse(&v.text(), syntax)
                        .map_err(|e| ValueError { index: i, message: e.to_string() })?;
                    out.push(p);
                }
                Values::String(out)
            }
            Family::Arn => {
                let syntax = Syntax { wildcards: true, variables };
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    let p = ArnPattern::parse(&v.text(), syntax)
                        .map_err(|e| ValueError { index: i, message: e.to_string() })?;
                    out.push(p);
                }
                Values::Arn(out)
            }
            Family::Numeric => Values::Numeric(collect_typed(raw, value::parse_number, |i, v| err(i, "a number", v))?),
            Family::Date => Values::Date(collect_typed(raw, value::parse_date, |i, v| err(i, "a date", v))?),
            Family::Ip => {
                Values::Ip(collect_typed(raw, value::parse_cidr, |i, v| err(i, "an IP address or CIDR block", v))?)
            }
            Family::Binary => Values::Binary(collect_typed(raw, value::parse_base64, |i, v| err(i, "base64", v))?),
            Family::Null => {
                Values::Null(collect(raw, |v| value::parse_bool(&v.text()), |i, v| err(i, "`true` or `false`", v))?)
            }
            Family::Bool => {
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    let text = v.text();
                    if let Some(b) = value::parse_bool(&text) {
                        out.push(BoolValue::Lit(b));
                    } else if variables && text.contains("${") {
                        let p = Pattern::parse(&text, Syntax { wildcards: false, variables })
                            .map_err(|e| ValueError { index: i, message: e.to_string() })?;
                        out.push(BoolValue::Var(p));
                    } else {
                        return Err(err(i, "`true` or `false`", v));
                    }
                }
                Values::Bool(out)
            }
        };
        let (operator_span, key_span, span) = spans;
        Ok(Condition {
            operator,
            key: key.to_string(),
            key_lower: key.to_ascii_lowercase().into(),
            key_hash: crate::request::key_hash(&key.to_ascii_lowercase()),
            raw_values: raw.iter().map(|v| v.text().into_owned()).collect(),
            values,
            operator_span,
            key_span,
            span,
        })
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The condition key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The policy values as written.
    pub fn values(&self) -> &[String] {
        &self.raw_values
    }

    /// The spans of the operator name, of the key, and of the key with its values (for lint).
    pub fn spans(&self) -> (Span, Span, Span) {
        (self.operator_span, self.key_span, self.span)
    }

    /// The policy variables used in the values.
    pub(crate) fn variable_keys(&self) -> Vec<&str> {
        let mut out = Vec::new();
        match &self.values {
            Values::String(ps) => ps.iter().for_each(|p| out.extend(p.variables().map(|v| &*v.key))),
            Values::Arn(ps) => {
                ps.iter().for_each(|a| a.patterns().iter().for_each(|p| out.extend(p.variables().map(|v| &*v.key))))
            }
            Values::Bool(bs) => bs.iter().for_each(|b| {
                if let BoolValue::Var(p) = b {
                    out.extend(p.variables().map(|v| &*v.key));
                }
            }),
            _ => {}
        }
        out
    }

    /// Evaluates against the request context.
    pub(crate) fn evaluate(&self, ctx: &Context) -> Outcome {
        let present = ctx.get_hashed(self.key_hash, &self.key_lower).filter(|vs| !vs.is_empty());
        if let Values::Null(expect_absent) = &self.values {
            let absent = present.is_none();
            return bool_outcome(expect_absent.contains(&absent));
        }
        let Some(request_values) = present else {
            if self.operator.if_exists {
                return Outcome::True;
            }
            return bool_outcome(match self.operator.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => self.operator.base.is_negated(),
            });
        };
        let negated = self.operator.base.is_negated();
        // `test(v)`: for a positive operator "v matches some policy value"; for a negated one
        // "v matches none of them". Every value is tested, without stopping early: an unreadable
        // value anywhere must fail closed (decision D8), whatever the order of the values.
        let (mut any, mut all) = (false, true);
        for v in request_values {
            match self.matches_any(v, ctx) {
                Some(m) => {
                    let t = m != negated;
                    any |= t;
                    all &= t;
                }
                None => return Outcome::TypeError,
            }
        }
        let result = match self.operator.qualifier {
            Some(SetQualifier::ForAnyValue) => any,
            Some(SetQualifier::ForAllValues) => all,
            // Decision D10: positive is "any value matches", negated is "no value matches".
            None if negated => all,
            None => any,
        };
        bool_outcome(result)
    }

    /// Does the request value match any policy value under the positive form of the operator?
    /// `None` when the request value cannot be read as the operator's type.
    fn matches_any(&self, v: &str, vars: &dyn Variables) -> Option<bool> {
        use BaseOperator::*;
        let base = self.operator.base;
        Some(match &self.values {
            Values::String(ps) => {
                let ignore_case = matches!(base, StringEqualsIgnoreCase | StringNotEqualsIgnoreCase);
                ps.iter().any(|p| p.matches(v, ignore_case, vars))
            }
            Values::Arn(ps) => ps.iter().any(|p| p.matches(v, vars)),
            Values::Numeric(ns) => {
                let x = value::parse_number(v)?;
                // A placeholder among the values makes the comparison unreadable (decision D24);
                // checked without collecting, so the decision path does not allocate.
                if ns.iter().any(Option::is_none) {
                    return None;
                }
                ns.iter().flatten().any(|&n| match base {
                    NumericEquals | NumericNotEquals => x == n,
                    NumericLessThan => x < n,
                    NumericLessThanEquals => x <= n,
                    NumericGreaterThan => x > n,
                    _ => x >= n,
                })
            }
            Values::Date(ds) => {
                let x = value::parse_date(v)?;
                if ds.iter().any(Option::is_none) {
                    return None;
                }
                ds.iter().flatten().any(|&d| match base {
                    DateEquals | DateNotEquals => x == d,
                    DateLessThan => x < d,
                    DateLessThanEquals => x <= d,
                    DateGreaterThan => x > d,
                    _ => x >= d,
                })
            }
            Values::Bool(bs) => {
                let x = value::parse_bool(v)?;
                bs.iter().any(|b| match b {
                    BoolValue::Lit(b) => *b == x,
                    BoolValue::Var(p) => p.render(vars).and_then(|s| value::parse_bool(&s)) == Some(x),
                })
            }
            Values::Binary(bs) => {
                let x = value::parse_base64(v)?;
                if bs.iter().any(Option::is_none) {
                    return None;
                }
                bs.iter().flatten().any(|b| *b == x)
            }
            Values::Ip(nets) => {
                let x: IpAddr = value::parse_ip(v)?;
                if nets.iter().any(Option::is_none) {
                    return None;
                }
                nets.iter().flatten().any(|n| n.contains(&x))
            }
            Values::Null(_) => false,
        })
    }
}

fn bool_outcome(b: bool) -> Outcome {
    if b { Outcome::True } else { Outcome::False }
}

/// Reads typed values; a template placeholder (`<my-cidr>`) is kept as `None` (decision D24).
fn collect_typed<T>(
    raw: &[RawValue],
    parse: impl Fn(&str) -> Option<T>,
    err: impl Fn(usize, &RawValue) -> ValueError,
) -> Result<Vec<Option<T>>, ValueError> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        let text = v.text();
        match parse(&text) {
            Some(t) => out.push(Some(t)),
            None if is_placeholder(&text) => out.push(None),
            None => return Err(err(i, v)),
        }
    }
    Ok(out)
}

/// A template placeholder as AWS's sample policies write them: `<my-org-id>`, `[MAX_AGE]`.
pub(crate) fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.len() > 2 && ((t.starts_with('<') && t.ends_with('>')) || (t.starts_with('[') && t.ends_with(']')))
}

/// True if any policy value is a template placeholder.
impl Condition {
    pub(crate) fn has_placeholder(&self) -> bool {
        self.raw_values.iter().any(|v| is_placeholder(v))
    }
}

fn collect<T>(
    raw: &[RawValue],
    parse: impl Fn(&RawValue) -> Option<T>,
    err: impl Fn(usize, &RawValue) -> ValueError,
) -> Result<Vec<T>, ValueError> {
    raw.iter().enumerate().map(|(i, v)| parse(v).ok_or_else(|| err(i, v))).collect()
}
