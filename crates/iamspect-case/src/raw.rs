//! The case format as JSON, field for field (`shared/spec/case-format.md`). Unknown fields are
//! rejected: a typo in `identityPolicies` must not silently mean "no identity policies".

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// A policy: a document inline, or a string naming a library entry or a `.json` path. Kept as raw
/// text so that inline documents are parsed exactly as written (duplicate keys included).
pub(crate) type RawPolicy<'a> = &'a RawValue;

/// A file: one case, or many with a shared policy library.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile<'a> {
    pub(crate) description: Option<String>,
    #[serde(default, borrow)]
    pub(crate) policies: BTreeMap<String, RawPolicy<'a>>,
    #[serde(borrow)]
    pub(crate) cases: Vec<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawPrincipal {
    Text(String),
    Object(PrincipalObject),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PrincipalObject {
    pub(crate) arn: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) federated: Option<String>,
    #[serde(default)]
    pub(crate) tags: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) service_linked_role: bool,
    #[serde(default)]
    pub(crate) management_account: bool,
    pub(crate) federated_by: Option<String>,
    pub(crate) id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BlockPublicAccess {
    #[serde(default)]
    pub(crate) block_public_acls: bool,
    #[serde(default)]
    pub(crate) ignore_public_acls: bool,
    #[serde(default)]
    pub(crate) block_public_policy: bool,
    #[serde(default)]
    pub(crate) restrict_public_buckets: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct S3 {
    #[serde(default)]
    pub(crate) block_public_access: BlockPublicAccess,
    pub(crate) object_ownership: Option<String>,
    pub(crate) acl: Option<Value>,
    #[serde(default)]
    pub(crate) bucket_abac_enabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Kms {
    #[serde(default)]
    pub(crate) aws_managed_key: bool,
}

/// What must come out.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: Option<String>,
    /// The policy types that deny, compared as a set.
    pub denied_by: Option<Vec<String>>,
    /// The case must be rejected with an error containing this text.
    pub error: Option<String>,
}

/// One case, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCase<'a> {
    /// Read before the strict parse by [`crate::case_from_str`]; [`crate::inline_case`] takes it
    /// from here.
    pub(crate) description: Option<String>,
    pub(crate) principal: RawPrincipal,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) resource_account: Option<String>,
    #[serde(default)]
    pub(crate) context: BTreeMap<String, Value>,
    #[serde(default, borrow)]
    pub(crate) identity_policies: Vec<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) resource_policy: Option<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) permissions_boundary: Option<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) session_policies: Vec<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) scps: Option<Vec<Vec<RawPolicy<'a>>>>,
    #[serde(default, borrow)]
    pub(crate) rcps: Option<Vec<Vec<RawPolicy<'a>>>>,
    #[serde(default, borrow)]
    pub(crate) vpc_endpoint_policy: Option<RawPolicy<'a>>,
    pub(crate) s3: Option<S3>,
    pub(crate) kms: Option<Kms>,
    /// Read before the strict parse by [`crate::case_from_str`], so invalid cases can still be
    /// checked; [`crate::inline_case`] takes it from here. `null` is an error (not "no
    /// `expect`"), as it is in that first read.
    #[serde(default, deserialize_with = "present")]
    pub(crate) expect: Option<Expect>,
}

/// A field that, when present, must hold a `T` (`null` included: no `Option` shortcut).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}
