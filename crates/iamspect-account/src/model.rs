//! What is known about accounts, as plain data.

use std::collections::BTreeMap;

use crate::org::Organization;
use crate::resources::ResourcePolicy;

/// A policy document with the name it is known by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedDocument {
    /// An inline policy's `account/entity/name`, or a managed policy's ARN.
    pub name: String,
    /// The JSON text.
    pub document: String,
}

/// A managed policy: its default version's document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The default version's document.
    pub document: String,
}

/// An IAM user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Unique id (`AIDA...`).
    pub id: Option<String>,
    /// Inline policies.
    pub inline: Vec<NamedDocument>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Permissions boundary ARN.
    pub boundary: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// An IAM group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Inline policies.
    pub inline: Vec<NamedDocument>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
}

/// An IAM role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Role {
    /// ARN (with path).
    pub arn: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// Unique id (`AROA...`).
    pub id: Option<String>,
    /// The trust policy.
    pub trust_policy: Option<String>,
    /// Inline policies.
    pub inline: Vec<NamedDocument>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    /// Permissions boundary ARN.
    pub boundary: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Instance profile names.
    pub instance_profiles: Vec<String>,
}

/// One account's IAM data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// The account id.
    pub id: String,
    /// Users by name.
    pub users: BTreeMap<String, User>,
    /// Groups by name.
    pub groups: BTreeMap<String, Group>,
    /// Roles by name.
    pub roles: BTreeMap<String, Role>,
}

/// Everything loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountData {
    /// Accounts by id.
    pub accounts: BTreeMap<String, Account>,
    /// Managed policies (customer and AWS) by ARN.
    pub managed_policies: BTreeMap<String, ManagedPolicy>,
    /// The organization, if one was loaded.
    pub organization: Option<Organization>,
    /// Resource policies by resource ARN.
    pub resource_policies: BTreeMap<String, ResourcePolicy>,
}
