//! IAM Identity Center: permission sets, account assignments and the identity store's users and
//! groups, from the outputs of `aws sso-admin` and `aws identitystore` (decision D96), tied to the
//! `AWSReservedSSO_<permission set>_<suffix>` roles Identity Center provisions in each account.
//!
//! The roles themselves come from the accounts' dumps: IAM decides with the role it holds, and its
//! name ends in a suffix Identity Center chose, which nothing else gives. A permission set adds who
//! may sign in to the role (the users and groups assigned to it in that account) and is compared
//! with the role, so that a role that differs from its permission set (a provisioning not yet
//! done, an edit made in IAM) is said.
//!
//! `describe-permission-set` names its permission set; `get-inline-policy-for-permission-set` and
//! the other per-set outputs do not, so they belong to the `describe-permission-set` output of
//! their folder: one folder per permission set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::{LoadError, LoadReport};
use crate::model::AccountData;

/// The path under which Identity Center provisions its roles.
pub const RESERVED_PATH: &str = "/aws-reserved/sso.amazonaws.com/";

/// A permission set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionSet {
    /// `arn:aws:sso:::permissionSet/ssoins-.../ps-...`.
    pub arn: String,
    /// The name, which the provisioned roles carry.
    pub name: String,
    /// The inline policy's text, when it has one (`Some` only when its output was loaded).
    pub inline: Option<String>,
    /// Whether the inline policy output was loaded (an empty `InlinePolicy` means none).
    pub inline_loaded: bool,
    /// AWS managed policy ARNs (`None`: the output was not loaded).
    pub managed: Option<Vec<String>>,
    /// Customer managed policy references as `(path, name)`, resolved in each account.
    pub customer_managed: Option<Vec<(String, String)>>,
    /// The permissions boundary: an AWS managed ARN, or a customer managed `(path, name)`.
    pub boundary: Option<Boundary>,
    /// Whether the boundary output was loaded.
    pub boundary_loaded: bool,
}

/// A permission set's permissions boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// An AWS managed policy.
    Managed(String),
    /// A customer managed policy by path and name, the same in every account.
    CustomerManaged(String, String),
}

/// Who an assignment gives a permission set to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Assignee {
    /// An identity store user id.
    User(String),
    /// An identity store group id.
    Group(String),
}

/// An account assignment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assignment {
    /// The account.
    pub account: String,
    /// The permission set's ARN.
    pub permission_set: String,
    /// The user or group.
    pub assignee: Assignee,
}

/// Identity Center's data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityCenter {
    /// Permission sets by ARN.
    pub permission_sets: BTreeMap<String, PermissionSet>,
    /// Account assignments.
    pub assignments: Vec<Assignment>,
    /// User names by identity store user id.
    pub users: BTreeMap<String, String>,
    /// Group display names by group id.
    pub groups: BTreeMap<String, String>,
    /// Group members' user ids by group id.
    pub members: BTreeMap<String, Vec<String>>,
    /// The provisioned role of each (account, permission set): role ARN to permission set ARN.
    pub roles: BTreeMap<String, String>,
}

/// One person who may sign in to a role through Identity Center.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignIn {
    /// The user's name, or its id when the identity store's users were not loaded.
    pub user: String,
    /// The group the assignment names, when it is through one.
    pub group: Option<String>,
}

impl IdentityCenter {
    /// The permission set a role was provisioned for, if it is one of Identity Center's.
    pub fn permission_set_of(&self, role_arn: &str) -> Option<&PermissionSet> {
        self.permission_sets.get(self.roles.get(role_arn)?)
    }

    /// The provisioned role a principal is, or is a session of: `(role ARN, permission set)`.
    /// A session ARN names the role without its path, so it is matched by account and name.
    pub fn role_of(&self, principal: &str) -> Option<(&str, &PermissionSet)> {
        if let Some((arn, ps)) = self.roles.get_key_value(principal) {
            return Some((arn.as_str(), self.permission_sets.get(ps)?));
        }
        let rest = principal.strip_prefix("arn:aws:sts::")?;
        let (account, rest) = rest.split_once(":assumed-role/")?;
        let (name, _session) = rest.split_once('/')?;
        let (arn, ps) = self.roles.iter().find(|(arn, _)| {
            arn.strip_prefix("arn:aws:iam::")
                .is_some_and(|r| r.starts_with(&format!("{account}:role/")) && r.rsplit('/').next() == Some(name))
        })?;
        Some((arn.as_str(), self.permission_sets.get(ps)?))
    }

    /// Who may sign in to the role (the users assigned to its permission set in its account,
    /// directly or through a group), and the groups whose members were not loaded.
    pub fn sign_ins(&self, role_arn: &str) -> (Vec<SignIn>, Vec<String>) {
        let mut out = Vec::new();
        let mut unknown_groups = Vec::new();
        let Some(ps) = self.roles.get(role_arn) else { return (out, unknown_groups) };
        let account = role_arn.split(':').nth(4).unwrap_or("");
        let user_name = |id: &str| self.users.get(id).cloned().unwrap_or_else(|| id.to_string());
        for a in self.assignments.iter().filter(|a| &a.permission_set == ps && a.account == account) {
            match &a.assignee {
                Assignee::User(id) => out.push(SignIn { user: user_name(id), group: None }),
                Assignee::Group(id) => {
                    let group = self.groups.get(id).cloned().unwrap_or_else(|| id.clone());
                    match self.members.get(id) {
                        Some(members) => out
                            .extend(members.iter().map(|u| SignIn { user: user_name(u), group: Some(group.clone()) })),
                        None => unknown_groups.push(group),
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        (out, unknown_groups)
    }
}

/// For a role Identity Center provisioned (or a session of one), its permission set and who may
/// sign in to it, as the commands print it: `{permissionSet, permissionSetArn, signIns: [{user,
/// group?}], groupsNotLoaded}`.
pub fn describe(data: &AccountData, principal: &str) -> Option<Value> {
    let ic = data.identity_center.as_ref()?;
    let (role, ps) = ic.role_of(principal)?;
    let (sign_ins, groups_not_loaded) = ic.sign_ins(role);
    Some(serde_json::json!({
        "permissionSet": ps.name,
        "permissionSetArn": ps.arn,
        "signIns": sign_ins.iter().map(|s| match &s.group {
            Some(g) => serde_json::json!({"user": s.user, "group": g}),
            None => serde_json::json!({"user": s.user}),
        }).collect::<Vec<_>>(),
        "groupsNotLoaded": groups_not_loaded,
    }))
}

/// Which Identity Center output `v` is, by its top-level keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Describe,
    Inline,
    Managed,
    CustomerManaged,
    Boundary,
    Assignments,
    Users,
    Groups,
    Memberships,
    ListSets,
}

/// An identity store list (`aws identitystore list-users` / `list-groups`): every item names its
/// identity store, which IAM's own `list-users` and `list-groups` items do not.
fn identity_store_list(v: &Value, key: &str) -> bool {
    v.get(key)
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty() && a.iter().all(|u| u.get("IdentityStoreId").is_some()))
}

fn kind(v: &Value) -> Option<Kind> {
    let obj = v.as_object()?;
    let has = |k: &str| obj.contains_key(k);
    Some(if has("PermissionSet") && v["PermissionSet"].get("PermissionSetArn").is_some() {
        Kind::Describe
    } else if has("InlinePolicy") {
        Kind::Inline
    } else if has("AttachedManagedPolicies") {
        Kind::Managed
    } else if has("CustomerManagedPolicyReferences") {
        Kind::CustomerManaged
    } else if has("PermissionsBoundary") {
        Kind::Boundary
    } else if has("AccountAssignments") {
        Kind::Assignments
    } else if identity_store_list(v, "Users") {
        Kind::Users
    } else if identity_store_list(v, "Groups") {
        Kind::Groups
    } else if has("GroupMemberships") {
        Kind::Memberships
    } else if has("PermissionSets") {
        Kind::ListSets
    } else {
        return None;
    })
}

/// The Identity Center outputs found while loading, assembled once every dump is in.
#[derive(Default)]
pub(crate) struct Outputs {
    files: Vec<(PathBuf, Kind, Value)>,
}

fn text<'a>(v: &'a Value, key: &str, path: &Path) -> Result<&'a str, String> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| format!("`{key}` missing or not a string in {}", path.display()))
}

fn array<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    v.get(key).and_then(Value::as_array).ok_or_else(|| format!("`{key}` is not an array"))
}

fn account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A policy path as IAM writes it: `/` or `/a/b/`.
fn policy_path(v: &Value) -> Result<String, String> {
    match v.get("Path") {
        None | Some(Value::Null) => Ok("/".to_string()),
        Some(Value::String(p)) if p.starts_with('/') && p.ends_with('/') => Ok(p.clone()),
        Some(other) => Err(format!("`Path` {other} is not a policy path such as `/` or `/team/`")),
    }
}

fn reference(v: &Value) -> Result<(String, String), String> {
    let name = v.get("Name").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or("`Name` missing")?;
    Ok((policy_path(v)?, name.to_string()))
}

impl Outputs {
    /// Keeps `v` if it is an Identity Center output; whether it was.
    pub(crate) fn take(&mut self, path: &Path, v: &Value) -> bool {
        match kind(v) {
            Some(k) => {
                self.files.push((path.to_path_buf(), k, v.clone()));
                true
            }
            None => false,
        }
    }

    /// Adds Identity Center's data to `data`, and ties each assignment to the role its account's
    /// dump holds. Outputs that cannot be used are load errors; what the dumps do not show is said
    /// in the report.
    pub(crate) fn assemble(self, data: &mut AccountData, report: &mut LoadReport) {
        if self.files.is_empty() {
            return;
        }
        let mut ic = IdentityCenter::default();
        // The permission set of each folder, from its `describe-permission-set` output.
        let mut by_folder: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        for (path, k, v) in &self.files {
            if *k != Kind::Describe {
                continue;
            }
            let ps = &v["PermissionSet"];
            let parsed = text(ps, "PermissionSetArn", path).and_then(|arn| {
                if !arn.starts_with("arn:aws:sso:::permissionSet/") {
                    return Err(format!("`PermissionSetArn` `{arn}` is not a permission set ARN"));
                }
                let name = text(ps, "Name", path)?;
                Ok((arn.to_string(), name.to_string()))
            });
            match parsed {
                Ok((arn, name)) => {
                    by_folder.entry(folder(path)).or_default().push(arn.clone());
                    ic.permission_sets.entry(arn.clone()).or_insert(PermissionSet { arn, name, ..Default::default() });
                    report.loaded.push(path.clone());
                }
                Err(message) => report.errors.push(LoadError { path: path.clone(), message }),
            }
        }
        let mut listed = Listed::default();
        for (path, k, v) in &self.files {
            let result = match k {
                Kind::Describe => Ok(()),
                Kind::ListSets => listed.extend_from(v),
                Kind::Inline | Kind::Managed | Kind::CustomerManaged | Kind::Boundary => {
                    match by_folder.get(&folder(path)).map(Vec::as_slice) {
                        Some([arn]) => match ic.permission_sets.get_mut(arn) {
                            Some(ps) => per_set(ps, *k, v),
                            None => Err("its permission set did not load".to_string()),
                        },
                        Some(_) => Err("its folder holds several `describe-permission-set` outputs: put each permission set's outputs in a folder of their own".to_string()),
                        None => Err("names no permission set, and its folder holds no `describe-permission-set` output to tie it to".to_string()),
                    }
                }
                Kind::Assignments => assignments(v, &mut ic),
                Kind::Users => users(v, &mut ic),
                Kind::Groups => groups(v, &mut ic),
                Kind::Memberships => memberships(v, &mut ic),
            };
            match result {
                Ok(()) => {
                    if *k != Kind::Describe {
                        report.loaded.push(path.clone());
                    }
                }
                Err(message) => report.errors.push(LoadError { path: path.clone(), message }),
            }
        }
        for a in &ic.assignments {
            if !ic.permission_sets.contains_key(&a.permission_set) {
                report.skipped.push(format!(
                    "Identity Center: an assignment in account {} names permission set `{}`, whose `describe-permission-set` output was not loaded",
                    a.account, a.permission_set
                ));
            }
        }
        for arn in &listed.0 {
            if !ic.permission_sets.contains_key(arn) {
                report.skipped.push(format!(
                    "Identity Center: permission set `{arn}` is listed, but its `describe-permission-set` output was not loaded: who signs in through it is not known"
                ));
            }
        }
        tie_roles(data, &mut ic, report);
        data.identity_center = Some(ic);
    }
}

/// The permission sets `list-permission-sets` outputs name.
#[derive(Default)]
struct Listed(Vec<String>);

impl Listed {
    fn extend_from(&mut self, v: &Value) -> Result<(), String> {
        for arn in array(v, "PermissionSets")? {
            let arn = arn
                .as_str()
                .filter(|a| a.starts_with("arn:aws:sso:::permissionSet/"))
                .ok_or_else(|| format!("`PermissionSets` holds {arn}, which is not a permission set ARN"))?;
            self.0.push(arn.to_string());
        }
        Ok(())
    }
}

fn folder(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn per_set(ps: &mut PermissionSet, k: Kind, v: &Value) -> Result<(), String> {
    match k {
        Kind::Inline => {
            let t = v["InlinePolicy"].as_str().ok_or("`InlinePolicy` is not a string")?;
            ps.inline = (!t.trim().is_empty()).then(|| t.to_string());
            ps.inline_loaded = true;
        }
        Kind::Managed => {
            let mut arns = Vec::new();
            for m in array(v, "AttachedManagedPolicies")? {
                let arn = m.get("Arn").and_then(Value::as_str).ok_or("an attached managed policy without `Arn`")?;
                if !arn.starts_with("arn:aws:iam::aws:policy/") {
                    return Err(format!("`{arn}` is not an AWS managed policy ARN"));
                }
                arns.push(arn.to_string());
            }
            ps.managed = Some(arns);
        }
        Kind::CustomerManaged => {
            let refs = array(v, "CustomerManagedPolicyReferences")?.iter().map(reference).collect::<Result<_, _>>()?;
            ps.customer_managed = Some(refs);
        }
        Kind::Boundary => {
            let b = &v["PermissionsBoundary"];
            ps.boundary =
                match (b.get("ManagedPolicyArn"), b.get("CustomerManagedPolicyReference")) {
                    (Some(Value::String(arn)), None) => Some(Boundary::Managed(arn.clone())),
                    (None, Some(r)) => {
                        let (path, name) = reference(r)?;
                        Some(Boundary::CustomerManaged(path, name))
                    }
                    (None, None) if b.is_null() || b.as_object().is_some_and(|o| o.is_empty()) => None,
                    _ => return Err(
                        "`PermissionsBoundary` must hold one of `ManagedPolicyArn` or `CustomerManagedPolicyReference`"
                            .to_string(),
                    ),
                };
            ps.boundary_loaded = true;
        }
        _ => {}
    }
    Ok(())
}

fn assignments(v: &Value, ic: &mut IdentityCenter) -> Result<(), String> {
    for a in array(v, "AccountAssignments")? {
        let field = |k: &str| a.get(k).and_then(Value::as_str).ok_or_else(|| format!("an assignment without `{k}`"));
        let account = field("AccountId")?;
        if !account_id(account) {
            return Err(format!("`AccountId` `{account}` is not a 12-digit account id"));
        }
        let id = field("PrincipalId")?.to_string();
        let assignee = match field("PrincipalType")? {
            "USER" => Assignee::User(id),
            "GROUP" => Assignee::Group(id),
            other => return Err(format!("`PrincipalType` `{other}` is neither USER nor GROUP")),
        };
        ic.assignments.push(Assignment {
            account: account.to_string(),
            permission_set: field("PermissionSetArn")?.to_string(),
            assignee,
        });
    }
    ic.assignments.sort();
    ic.assignments.dedup();
    Ok(())
}

fn users(v: &Value, ic: &mut IdentityCenter) -> Result<(), String> {
    for u in array(v, "Users")? {
        let id = u.get("UserId").and_then(Value::as_str).ok_or("a user without `UserId`")?;
        let name = u.get("UserName").and_then(Value::as_str).ok_or("a user without `UserName`")?;
        ic.users.insert(id.to_string(), name.to_string());
    }
    Ok(())
}

fn groups(v: &Value, ic: &mut IdentityCenter) -> Result<(), String> {
    for g in array(v, "Groups")? {
        let id = g.get("GroupId").and_then(Value::as_str).ok_or("a group without `GroupId`")?;
        let name = g.get("DisplayName").and_then(Value::as_str).unwrap_or(id);
        ic.groups.insert(id.to_string(), name.to_string());
    }
    Ok(())
}

fn memberships(v: &Value, ic: &mut IdentityCenter) -> Result<(), String> {
    for m in array(v, "GroupMemberships")? {
        let group = m.get("GroupId").and_then(Value::as_str).ok_or("a membership without `GroupId`")?;
        let user = m
            .get("MemberId")
            .and_then(|id| id.get("UserId"))
            .and_then(Value::as_str)
            .ok_or("a membership without `MemberId.UserId`")?;
        let members = ic.members.entry(group.to_string()).or_default();
        if !members.iter().any(|u| u == user) {
            members.push(user.to_string());
        }
    }
    Ok(())
}

/// Ties each (account, permission set) of the assignments to the `AWSReservedSSO_<name>_` role of
/// that account's dump, and says where there is none or where the role differs from the set.
fn tie_roles(data: &AccountData, ic: &mut IdentityCenter, report: &mut LoadReport) {
    let mut pairs: Vec<(String, String)> =
        ic.assignments.iter().map(|a| (a.account.clone(), a.permission_set.clone())).collect();
    pairs.sort();
    pairs.dedup();
    for (account, ps_arn) in pairs {
        let Some(ps) = ic.permission_sets.get(&ps_arn) else { continue };
        let Some(acct) = data.accounts.get(&account) else {
            report.skipped.push(format!(
                "Identity Center: permission set `{}` is assigned in account {account}, which is not loaded: its role there is not known",
                ps.name
            ));
            continue;
        };
        let prefix = format!("AWSReservedSSO_{}_", ps.name);
        let found: Vec<&crate::model::Role> =
            acct.roles.values().filter(|r| r.name.starts_with(&prefix) && r.path.starts_with(RESERVED_PATH)).collect();
        match found.as_slice() {
            [role] => {
                for difference in differences(data, &account, ps, role) {
                    report.skipped.push(format!(
                        "Identity Center: role `{}` differs from permission set `{}`: {difference}; decisions use the role as the dump holds it",
                        role.arn, ps.name
                    ));
                }
                ic.roles.insert(role.arn.clone(), ps_arn.clone());
            }
            [] => report.skipped.push(format!(
                "Identity Center: permission set `{}` is assigned in account {account}, whose dump holds no `{prefix}*` role under `{RESERVED_PATH}`: not provisioned there when the dump was taken, so no one signs in through it",
                ps.name
            )),
            _ => report.skipped.push(format!(
                "Identity Center: account {account} holds several `{prefix}*` roles; none is tied to permission set `{}`",
                ps.name
            )),
        }
    }
}

/// How a provisioned role differs from its permission set, for the parts whose outputs were
/// loaded.
fn differences(data: &AccountData, account: &str, ps: &PermissionSet, role: &crate::model::Role) -> Vec<String> {
    let mut out = Vec::new();
    let same_json = |a: &str, b: &str| matches!((serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)), (Ok(x), Ok(y)) if x == y);
    if ps.inline_loaded {
        match (&ps.inline, role.inline.as_slice()) {
            (None, []) => {}
            (Some(want), [have]) if same_json(want, &have.document) => {}
            (None, _) => out.push("the role has an inline policy the permission set does not".to_string()),
            (Some(_), _) => out.push("its inline policy is not the permission set's".to_string()),
        }
    }
    let mut want: Vec<String> = Vec::new();
    let mut compare = ps.managed.is_some() && ps.customer_managed.is_some();
    want.extend(ps.managed.iter().flatten().cloned());
    for (path, name) in ps.customer_managed.iter().flatten() {
        want.push(format!("arn:aws:iam::{account}:policy{path}{name}"));
    }
    if ps.managed.is_some() != ps.customer_managed.is_some() {
        // Only one of the two lists was loaded: compare the kind that was.
        compare = false;
        let aws_only = ps.managed.is_some();
        let have: Vec<&String> = role.attached.iter().filter(|a| a.contains(":iam::aws:") == aws_only).collect();
        let mut w: Vec<&String> = want.iter().collect();
        let mut h = have;
        w.sort();
        h.sort();
        if w != h {
            out.push("its attached managed policies are not the permission set's".to_string());
        }
    }
    if compare {
        let mut w = want.clone();
        let mut h = role.attached.clone();
        w.sort();
        h.sort();
        if w != h {
            out.push(format!("its attached managed policies {h:?} are not the permission set's {w:?}"));
        }
    }
    for arn in &want {
        if arn.contains(&format!(":iam::{account}:")) && !data.managed_policies.contains_key(arn) {
            out.push(format!("customer managed policy `{arn}` is not in the account's dump"));
        }
    }
    if ps.boundary_loaded {
        let want = match &ps.boundary {
            None => None,
            Some(Boundary::Managed(arn)) => Some(arn.clone()),
            Some(Boundary::CustomerManaged(path, name)) => Some(format!("arn:aws:iam::{account}:policy{path}{name}")),
        };
        if want != role.boundary {
            out.push(format!("its permissions boundary {:?} is not the permission set's {want:?}", role.boundary));
        }
    }
    out
}
