//! Organizations: the tree of root, OUs and accounts with the SCPs and RCPs attached to each.
//!
//! The native file (`{"organization": {...}}`) names each node's policies; `FullAWSAccess` and
//! `RCPFullAWSAccess` are built in:
//!
//! ```json
//! {"organization": {"id": "o-exampleorgid", "managementAccount": "111111111111",
//!   "policies": {"region-lock": {"type": "SERVICE_CONTROL_POLICY", "document": {"Version": "2012-10-17", "Statement": []}}},
//!   "root": {"id": "r-exam", "scps": ["FullAWSAccess"], "rcps": ["RCPFullAWSAccess"], "children": [
//!     {"ou": "ou-exam-workloads", "name": "Workloads", "scps": ["FullAWSAccess", "region-lock"], "children": [
//!       {"account": "222222222222", "name": "prod", "scps": ["FullAWSAccess"]}]}]}}}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::gaad::document_text;

/// A root, OU or account, with its attached policy names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgNode {
    /// `r-...`, `ou-...` or the 12-digit account id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// True for an account.
    pub is_account: bool,
    /// Attached SCP names.
    pub scps: Vec<String>,
    /// Attached RCP names.
    pub rcps: Vec<String>,
    /// Child OUs and accounts.
    pub children: Vec<OrgNode>,
}

/// An organization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organization {
    /// `o-...`.
    pub id: String,
    /// The management account's id.
    pub management_account: Option<String>,
    /// The root.
    pub root: OrgNode,
    /// Policy documents by name, with their type (`SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`).
    pub policies: BTreeMap<String, (String, String)>,
}

impl Organization {
    /// The nodes from the root down to `account`, if the account is in the organization.
    pub fn path_to(&self, account: &str) -> Option<Vec<&OrgNode>> {
        fn walk<'a>(node: &'a OrgNode, account: &str, path: &mut Vec<&'a OrgNode>) -> bool {
            path.push(node);
            if node.is_account && node.id == account {
                return true;
            }
            for child in &node.children {
                if walk(child, account, path) {
                    return true;
                }
            }
            path.pop();
            false
        }
        let mut path = Vec::new();
        walk(&self.root, account, &mut path).then_some(path)
    }

    /// `aws:PrincipalOrgPaths`-style path of an account: `o-id/r-id/ou-a/ou-b/`.
    pub fn org_path(&self, account: &str) -> Option<String> {
        let path = self.path_to(account)?;
        let mut out = format!("{}/", self.id);
        for node in path.iter().filter(|n| !n.is_account) {
            out.push_str(&node.id);
            out.push('/');
        }
        Some(out)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawOrg {
    id: String,
    management_account: Option<String>,
    #[serde(default)]
    policies: BTreeMap<String, RawPolicy>,
    root: RawNode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(rename = "type")]
    policy_type: String,
    document: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: Option<String>,
    ou: Option<String>,
    account: Option<String>,
    name: Option<String>,
    #[serde(default)]
    scps: Vec<String>,
    #[serde(default)]
    rcps: Vec<String>,
    #[serde(default)]
    children: Vec<RawNode>,
}

fn node(raw: RawNode) -> Result<OrgNode, String> {
    let (id, is_account) = match (raw.id, raw.ou, raw.account) {
        (Some(id), None, None) | (None, Some(id), None) => (id, false),
        (None, None, Some(a)) => (a, true),
        _ => return Err("each organization node needs exactly one of `id` (the root), `ou` and `account`".to_string()),
    };
    let children = raw.children.into_iter().map(node).collect::<Result<Vec<_>, _>>()?;
    if is_account && !children.is_empty() {
        return Err(format!("account `{id}` cannot have children"));
    }
    Ok(OrgNode {
        name: raw.name.unwrap_or_else(|| id.clone()),
        id,
        is_account,
        scps: raw.scps,
        rcps: raw.rcps,
        children,
    })
}

/// Reads the native organization file's `organization` value.
pub(crate) fn parse(v: Value) -> Result<Organization, String> {
    let raw: RawOrg = serde_json::from_value(v).map_err(|e| format!("organization: {e}"))?;
    let mut policies = BTreeMap::new();
    for (name, p) in raw.policies {
        let doc = document_text(&p.document)
            .ok_or_else(|| format!("organization policy `{name}` has no readable document"))?;
        let t = match p.policy_type.as_str() {
            "SCP" | "SERVICE_CONTROL_POLICY" => "SERVICE_CONTROL_POLICY",
            "RCP" | "RESOURCE_CONTROL_POLICY" => "RESOURCE_CONTROL_POLICY",
            other => return Err(format!("organization policy `{name}` has unknown type `{other}`")),
        };
        policies.insert(name, (t.to_string(), doc));
    }
    Ok(Organization { id: raw.id, management_account: raw.management_account, root: node(raw.root)?, policies })
}
