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
    /// The other versions as `(version id, document)`, when the data lists them (a
    /// `get-account-authorization-details` dump lists every version): what
    /// `iam:SetDefaultPolicyVersion` could make the default.
    pub other_versions: Vec<(String, String)>,
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
    /// `MaxSessionDuration` in seconds (3,600 to 43,200), when the data gives it:
    /// `get-account-authorization-details` leaves it out, `aws iam get-role` and `list-roles`
    /// give it. See [`Role::max_session_seconds`].
    pub max_session_duration: Option<u32>,
}

/// AWS's `MaxSessionDuration` of a role created without one: one hour.
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3_600;
/// The largest `MaxSessionDuration` AWS allows: 12 hours.
pub const MAX_MAX_SESSION_DURATION: u32 = 43_200;

impl Role {
    /// The longest session `AssumeRole` may ask for, in seconds: the role's `MaxSessionDuration`,
    /// or AWS's default of one hour when the data does not give it.
    pub fn max_session_seconds(&self) -> u32 {
        self.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION_DURATION)
    }
}

/// Reads a `MaxSessionDuration` value: whole seconds from 3,600 to 43,200, as AWS allows.
pub(crate) fn max_session_duration(v: &serde_json::Value) -> Result<u32, String> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (DEFAULT_MAX_SESSION_DURATION..=MAX_MAX_SESSION_DURATION).contains(n))
        .ok_or_else(|| format!("`MaxSessionDuration` must be a whole number of seconds from 3600 to 43200, not {v}"))
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
    /// KMS aliases by alias ARN, to the ARN of the key each points to (`aws kms list-aliases`).
    pub kms_aliases: BTreeMap<String, String>,
    /// Secrets Manager secrets: their full ARNs (`aws secretsmanager list-secrets`).
    pub secrets: std::collections::BTreeSet<String>,
    /// IAM OIDC identity providers by ARN (`aws iam list-open-id-connect-providers`,
    /// `get-open-id-connect-provider`).
    pub oidc_providers: BTreeMap<String, crate::federation::OidcProvider>,
    /// IAM Identity Center's permission sets, assignments and identity store, when loaded.
    pub identity_center: Option<crate::identity_center::IdentityCenter>,
    /// KMS grants by key ARN (`aws kms list-grants`; decision D135).
    pub kms_grants: BTreeMap<String, Vec<iamspect_core::KmsGrant>>,
    /// Each account's Regions with their opt-in status (`aws account list-regions`; decision
    /// D141): account id → Region → `ENABLED`, `ENABLED_BY_DEFAULT`, `ENABLING`, `DISABLING` or
    /// `DISABLED`.
    pub regions: BTreeMap<String, BTreeMap<String, String>>,
}
