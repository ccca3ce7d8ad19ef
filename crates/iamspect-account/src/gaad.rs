//! `aws iam get-account-authorization-details` output. Documents come as JSON objects (the AWS
//! CLI decodes them) or as URL-encoded strings (the raw API, most SDKs); both are accepted.
//! Paginated dumps are merged: each page adds its users, groups, roles and policies.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{Account, AccountData, Group, ManagedPolicy, NamedDocument, Role, User};

/// A list, or (as in the AWS CLI's documented example) a single object standing for one.
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(t)) => vec![t],
        None => Vec::new(),
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Page {
    user_detail_list: Vec<RawUser>,
    group_detail_list: Vec<RawGroup>,
    role_detail_list: Vec<RawRole>,
    policies: Vec<RawPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Inline {
    policy_name: String,
    policy_document: Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Attached {
    policy_arn: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Boundary {
    permissions_boundary_arn: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Tag {
    key: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawUser {
    arn: String,
    user_name: String,
    user_id: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    user_policy_list: Vec<Inline>,
    #[serde(deserialize_with = "one_or_many")]
    attached_managed_policies: Vec<Attached>,
    #[serde(deserialize_with = "one_or_many")]
    group_list: Vec<String>,
    permissions_boundary: Option<Boundary>,
    #[serde(deserialize_with = "one_or_many")]
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawGroup {
    arn: String,
    group_name: String,
    #[serde(deserialize_with = "one_or_many")]
    group_policy_list: Vec<Inline>,
    #[serde(deserialize_with = "one_or_many")]
    attached_managed_policies: Vec<Attached>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct InstanceProfile {
    instance_profile_name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawRole {
    arn: String,
    role_name: String,
    path: String,
    role_id: Option<String>,
    assume_role_policy_document: Value,
    #[serde(deserialize_with = "one_or_many")]
    role_policy_list: Vec<Inline>,
    #[serde(deserialize_with = "one_or_many")]
    attached_managed_policies: Vec<Attached>,
    permissions_boundary: Option<Boundary>,
    #[serde(deserialize_with = "one_or_many")]
    tags: Vec<Tag>,
    #[serde(deserialize_with = "one_or_many")]
    instance_profile_list: Vec<InstanceProfile>,
    /// Not in `get-account-authorization-details`; in `get-role` and `list-roles`.
    max_session_duration: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Version {
    document: Value,
    version_id: String,
    is_default_version: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPolicy {
    arn: String,
    policy_name: String,
    default_version_id: String,
    #[serde(deserialize_with = "one_or_many")]
    policy_version_list: Vec<Version>,
}

/// True if the JSON looks like a GAAD page.
pub(crate) fn is_gaad(v: &Value) -> bool {
    let details =
        ["UserDetailList", "GroupDetailList", "RoleDetailList"].iter().any(|k| v.get(k).is_some_and(Value::is_array));
    // A page may hold only `Policies`; Organizations' `list-policies` output has that key too, but
    // its entries have a `Type` and no `PolicyVersionList`.
    let iam_policies = v.get("Policies").and_then(Value::as_array).is_some_and(|ps| {
        !ps.is_empty() && ps.iter().all(|p| p.get("PolicyVersionList").is_some() || p.get("DefaultVersionId").is_some())
    });
    details || iam_policies
}

/// A policy document as JSON text: an object as is, a string URL-decoded.
pub(crate) fn document_text(v: &Value) -> Option<String> {
    match v {
        Value::Object(_) => serde_json::to_string_pretty(v).ok(),
        Value::String(s) => {
            let decoded = percent_encoding::percent_decode_str(s).decode_utf8().ok()?.into_owned();
            // Pretty-print so that positions in explanations are readable.
            serde_json::from_str::<Value>(&decoded)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .or(Some(decoded))
        }
        _ => None,
    }
}

fn account_of(arn: &str) -> String {
    iamspect_core::Arn::parse(arn).map(|a| a.account.to_string()).unwrap_or_default()
}

fn tags(list: Vec<Tag>) -> BTreeMap<String, String> {
    list.into_iter().map(|t| (t.key, t.value)).collect()
}

fn inline(owner: &str, list: Vec<Inline>, skipped: &mut Vec<String>) -> Vec<NamedDocument> {
    let mut out = Vec::new();
    for p in list {
        match document_text(&p.policy_document) {
            Some(document) => out.push(NamedDocument { name: format!("{owner}/{}", p.policy_name), document }),
            None => skipped.push(format!("inline policy `{}` of `{owner}` has no readable document", p.policy_name)),
        }
    }
    out
}

/// Adds one GAAD page to `data`; returns what was skipped and why.
pub(crate) fn add_page(data: &mut AccountData, v: Value) -> Result<Vec<String>, String> {
    let page: Page =
        serde_json::from_value(v).map_err(|e| format!("not a get-account-authorization-details page: {e}"))?;
    let mut skipped = Vec::new();
    for u in page.user_detail_list {
        let account = account_of(&u.arn);
        let user = User {
            inline: inline(&u.arn, u.user_policy_list, &mut skipped),
            attached: u.attached_managed_policies.into_iter().map(|a| a.policy_arn).collect(),
            groups: u.group_list,
            boundary: u.permissions_boundary.map(|b| b.permissions_boundary_arn),
            tags: tags(u.tags),
            arn: u.arn,
            name: u.user_name.clone(),
            id: u.user_id,
        };
        entry(data, &account).users.insert(u.user_name, user);
    }
    for g in page.group_detail_list {
        let account = account_of(&g.arn);
        let group = Group {
            inline: inline(&g.arn, g.group_policy_list, &mut skipped),
            attached: g.attached_managed_policies.into_iter().map(|a| a.policy_arn).collect(),
            arn: g.arn,
            name: g.group_name.clone(),
        };
        entry(data, &account).groups.insert(g.group_name, group);
    }
    for r in page.role_detail_list {
        let account = account_of(&r.arn);
        let role = role(r, &mut skipped);
        entry(data, &account).roles.insert(role.name.clone(), role);
    }
    for p in page.policies {
        let default = p
            .policy_version_list
            .iter()
            .find(|v| v.is_default_version || v.version_id == p.default_version_id)
            .and_then(|v| document_text(&v.document));
        let mut other_versions = Vec::new();
        for v in
            p.policy_version_list.iter().filter(|v| !(v.is_default_version || v.version_id == p.default_version_id))
        {
            match document_text(&v.document) {
                Some(d) => other_versions.push((v.version_id.clone(), d)),
                None => skipped.push(format!("managed policy `{}` version `{}` is not readable", p.arn, v.version_id)),
            }
        }
        match default {
            Some(document) => {
                data.managed_policies
                    .insert(p.arn.clone(), ManagedPolicy { arn: p.arn, name: p.policy_name, document, other_versions });
            }
            None => skipped.push(format!("managed policy `{}` has no readable default version", p.arn)),
        }
    }
    Ok(skipped)
}

fn role(r: RawRole, skipped: &mut Vec<String>) -> Role {
    let trust_policy = document_text(&r.assume_role_policy_document);
    if trust_policy.is_none() {
        skipped.push(format!("role `{}` has no readable trust policy", r.arn));
    }
    let max_session_duration = match r.max_session_duration.as_ref().map(crate::model::max_session_duration) {
        Some(Ok(seconds)) => Some(seconds),
        Some(Err(message)) => {
            skipped.push(format!("role `{}`: {message}; AWS's default of 3600 applies", r.arn));
            None
        }
        None => None,
    };
    Role {
        inline: inline(&r.arn, r.role_policy_list, skipped),
        attached: r.attached_managed_policies.into_iter().map(|a| a.policy_arn).collect(),
        boundary: r.permissions_boundary.map(|b| b.permissions_boundary_arn),
        tags: tags(r.tags),
        instance_profiles: r.instance_profile_list.into_iter().map(|i| i.instance_profile_name).collect(),
        trust_policy,
        arn: r.arn,
        name: r.role_name,
        path: r.path,
        id: r.role_id,
        max_session_duration,
    }
}

/// True for the output of `aws iam get-role` (`{"Role": {...}}`) or `aws iam list-roles`
/// (`{"Roles": [...]}`, with `Marker` and `IsTruncated` when paginated).
pub(crate) fn is_role_output(v: &Value) -> bool {
    let is_role =
        |r: &Value| r.get("RoleName").is_some_and(Value::is_string) && r.get("Arn").is_some_and(Value::is_string);
    v.get("Role").is_some_and(is_role)
        || v.get("Roles").and_then(Value::as_array).is_some_and(|roles| roles.iter().all(is_role))
}

/// Adds the roles of a `get-role` or `list-roles` output. A role already loaded (from a
/// `get-account-authorization-details` dump, which has its policies) keeps what it has and takes
/// the output's `MaxSessionDuration`, and its trust policy and id when it had none; a role not
/// loaded yet is added with what the output gives (no identity policies: it is allowed nothing).
pub(crate) fn add_role_output(data: &mut AccountData, v: Value) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        role: Option<RawRole>,
        #[serde(default)]
        roles: Vec<RawRole>,
    }
    let out: Output = serde_json::from_value(v).map_err(|e| format!("not a get-role or list-roles output: {e}"))?;
    let mut skipped = Vec::new();
    for r in out.role.into_iter().chain(out.roles) {
        let account = account_of(&r.arn);
        let new = role(r, &mut skipped);
        match entry(data, &account).roles.get_mut(&new.name) {
            Some(old) => {
                old.max_session_duration = new.max_session_duration.or(old.max_session_duration);
                if old.trust_policy.is_none() {
                    old.trust_policy = new.trust_policy;
                }
                if old.id.is_none() {
                    old.id = new.id;
                }
            }
            None => {
                entry(data, &account).roles.insert(new.name.clone(), new);
            }
        }
    }
    Ok(skipped)
}

fn entry<'a>(data: &'a mut AccountData, id: &str) -> &'a mut Account {
    data.accounts.entry(id.to_string()).or_insert_with(|| Account { id: id.to_string(), ..Account::default() })
}
