//! Condition operator names: `[ForAllValues:|ForAnyValue:]<Base>[IfExists]`, and `Null`.

/// The operator without its set qualifier and `IfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The value type an operator family compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `String*`.
    String,
    /// `Numeric*`.
    Numeric,
    /// `Date*`.
    Date,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// `Arn*`.
    Arn,
    /// `Null`.
    Null,
}

const NAMES: &[(&str, BaseOperator)] = &[
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    ("StringEqualsIgnoreCase", BaseOperator::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", BaseOperator::StringNotEqualsIgnoreCase),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    ("NumericGreaterThanEquals", BaseOperator::NumericGreaterThanEquals),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// The name as AWS spells it.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(_, op)| *op == self).map_or("", |(name, _)| name)
    }

    /// The family of values it compares.
    pub fn family(self) -> Family {
        use BaseOperator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }

    /// Negated operators are true when no policy value matches (NOR over the values).
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// `ForAllValues:`.
    ForAllValues,
    /// `ForAnyValue:`.
    ForAnyValue,
}

/// A whole operator as written in a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The comparison.
    pub base: BaseOperator,
    /// The set qualifier, if any.
    pub qualifier: Option<SetQualifier>,
    /// `IfExists`.
    pub if_exists: bool,
}

/// Why an operator name is not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OperatorError {
    Unknown(String),
    NullIfExists,
}

impl Operator {
    pub(crate) fn parse(text: &str) -> Result<Operator, OperatorError> {
        // Decision D23: operator names are matched without regard to case (AWS's own RCP samples
        // use `ForAnyValue:Stringlike`).
        let strip_prefix = |s: &'_ str, prefix: &str| -> Option<usize> {
            s.get(..prefix.len()).filter(|head| head.eq_ignore_ascii_case(prefix)).map(|_| prefix.len())
        };
        let (qualifier, rest) = if let Some(n) = strip_prefix(text, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), text.get(n..).unwrap_or(""))
        } else if let Some(n) = strip_prefix(text, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), text.get(n..).unwrap_or(""))
        } else {
            (None, text)
        };
        let lookup = |name: &str| NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, op)| *op);
        let without_if_exists = rest.len().checked_sub("IfExists".len()).and_then(|cut| {
            rest.get(cut..).filter(|t| t.eq_ignore_ascii_case("IfExists")).and_then(|_| rest.get(..cut))
        });
        let (base, if_exists) = match lookup(rest) {
            Some(base) => (base, false),
            None => match without_if_exists.and_then(lookup) {
                Some(base) => (base, true),
                None => return Err(OperatorError::Unknown(text.to_string())),
            },
        };
        if base == BaseOperator::Null && if_exists {
            return Err(OperatorError::NullIfExists);
        }
        Ok(Operator { base, qualifier, if_exists })
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualifiers_and_if_exists() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.base, BaseOperator::StringNotLike);
        assert_eq!(op.qualifier, Some(SetQualifier::ForAllValues));
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAllValues:StringNotLikeIfExists");
        assert_eq!(Operator::parse("NullIfExists"), Err(OperatorError::NullIfExists));
        assert_eq!(Operator::parse("ForAnyValue:Stringlike").unwrap().base, BaseOperator::StringLike);
        assert!(Operator::parse("StringEqualz").is_err());
    }
}
