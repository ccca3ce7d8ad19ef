//! Organizations from the AWS CLI's outputs. The outputs do not say which parent or target they
//! list, so the file name does, after its last `_` (as collectors save them):
//!
//! | file | command |
//! | --- | --- |
//! | any name | `aws organizations describe-organization` (the management account) |
//! | any name | `aws organizations list-roots` |
//! | `..._<parent-id>.json` | `aws organizations list-organizational-units-for-parent --parent-id <parent-id>` |
//! | `..._<parent-id>.json` | `aws organizations list-accounts-for-parent --parent-id <parent-id>` |
//! | `..._<target-id>.json` | `aws organizations list-policies-for-target --target-id <target-id> --filter ...` |
//! | any name | `aws organizations describe-policy --policy-id <id>` |

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::org::{OrgNode, Organization};

/// What the CLI outputs said, collected over all files.
#[derive(Default)]
pub(crate) struct OrgOutputs {
    org_id: Option<String>,
    management_account: Option<String>,
    root: Option<String>,
    /// Parent id to child OU ids and names.
    ous: BTreeMap<String, Vec<(String, String)>>,
    /// Parent id to account ids and names.
    accounts: BTreeMap<String, Vec<(String, String)>>,
    /// Target id to (policy id, name, type).
    attached: BTreeMap<String, Vec<(String, String, String)>>,
    /// Policy id to (name, type, content).
    contents: BTreeMap<String, (String, String, String)>,
}

/// The id a file name carries after its last `_`.
fn id_in_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let id = stem.rsplit('_').next()?;
    (!id.is_empty() && id != stem).then(|| id.to_string())
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Organization and management account from an Organizations ARN:
/// `arn:aws:organizations::MGMT:root/o-xxx/r-yyy` (and `ou/`, `account/`, `policy/` forms).
fn from_arn(arn: &str) -> Option<(String, String)> {
    let a = iamspect_core::Arn::parse(arn)?;
    let org = a.resource.split('/').nth(1)?;
    org.starts_with("o-").then(|| (org.to_string(), a.account.to_string()))
}

impl OrgOutputs {
    /// Takes the file if it is one of the outputs; returns whether it was.
    pub(crate) fn take(&mut self, path: &Path, v: &Value) -> Result<bool, String> {
        let mut note_arn = |arn: Option<&str>| {
            if let Some((org, mgmt)) = arn.and_then(from_arn) {
                self.org_id.get_or_insert(org);
                if !mgmt.is_empty() {
                    self.management_account.get_or_insert(mgmt);
                }
            }
        };
        if let Some(o) = v.get("Organization").filter(|o| o.is_object()) {
            note_arn(str_of(o, "Arn"));
            self.org_id = str_of(o, "Id").map(str::to_string).or(self.org_id.take());
            if let Some(m) = str_of(o, "MasterAccountId").or(str_of(o, "ManagementAccountId")) {
                self.management_account = Some(m.to_string());
            }
            return Ok(true);
        }
        if let Some(roots) = v.get("Roots").and_then(Value::as_array) {
            let root = roots.first().ok_or("`Roots` is empty")?;
            note_arn(str_of(root, "Arn"));
            self.root = str_of(root, "Id").map(str::to_string);
            return Ok(true);
        }
        if let Some(policy) = v.get("Policy").filter(|p| p.get("PolicySummary").is_some()) {
            let summary = &policy["PolicySummary"];
            let id = str_of(summary, "Id").ok_or("`PolicySummary` has no `Id`")?;
            let content = str_of(policy, "Content").ok_or("`Policy` has no `Content`")?;
            note_arn(str_of(summary, "Arn"));
            self.contents.insert(
                id.to_string(),
                (
                    str_of(summary, "Name").unwrap_or(id).to_string(),
                    str_of(summary, "Type").unwrap_or("").to_string(),
                    content.to_string(),
                ),
            );
            return Ok(true);
        }
        let listed = |key: &str| v.get(key).and_then(Value::as_array);
        let needs_id =
            || id_in_name(path).ok_or_else(|| "the file name must end in `_<parent or target id>`".to_string());
        if let Some(list) = listed("OrganizationalUnits") {
            let parent = needs_id()?;
            for ou in list {
                note_arn(str_of(ou, "Arn"));
                let id = str_of(ou, "Id").ok_or("an organizational unit has no `Id`")?;
                self.ous
                    .entry(parent.clone())
                    .or_default()
                    .push((id.to_string(), str_of(ou, "Name").unwrap_or(id).to_string()));
            }
            return Ok(true);
        }
        if let Some(list) = listed("Accounts") {
            let parent = needs_id()?;
            for a in list {
                note_arn(str_of(a, "Arn"));
                let id = str_of(a, "Id").ok_or("an account has no `Id`")?;
                self.accounts
                    .entry(parent.clone())
                    .or_default()
                    .push((id.to_string(), str_of(a, "Name").unwrap_or(id).to_string()));
            }
            return Ok(true);
        }
        let is_org_policy_list = listed("Policies")
            .is_some_and(|ps| !ps.is_empty() && ps.iter().all(|p| p.get("Type").is_some() && p.get("Id").is_some()));
        if let (true, Some(list)) = (is_org_policy_list, listed("Policies")) {
            let target = needs_id()?;
            for p in list {
                note_arn(str_of(p, "Arn"));
                let id = str_of(p, "Id").unwrap_or_default();
                self.attached.entry(target.clone()).or_default().push((
                    id.to_string(),
                    str_of(p, "Name").unwrap_or(id).to_string(),
                    str_of(p, "Type").unwrap_or("").to_string(),
                ));
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// The organization, when a root was listed.
    pub(crate) fn assemble(self, skipped: &mut Vec<String>) -> Option<Organization> {
        let root_id = self.root.clone()?;
        let mut policies = BTreeMap::new();
        let policy_names = |target: &str,
                            kind: &str,
                            policies: &mut BTreeMap<String, (String, String)>,
                            skipped: &mut Vec<String>| {
            let mut names = Vec::new();
            for (id, name, t) in self.attached.get(target).into_iter().flatten() {
                if t != kind {
                    continue;
                }
                if name == "FullAWSAccess" || name == "RCPFullAWSAccess" {
                    names.push(name.clone());
                    continue;
                }
                match self.contents.get(id) {
                    Some((_, _, content)) => {
                        policies.insert(id.clone(), (kind.to_string(), content.clone()));
                        names.push(id.clone());
                    }
                    None => skipped.push(format!("policy `{id}` ({name}) is attached to `{target}` but no describe-policy output gives its content")),
                }
            }
            names
        };
        fn build(
            id: &str,
            name: &str,
            is_account: bool,
            out: &OrgOutputs,
            names: &mut dyn FnMut(&str, &str) -> Vec<String>,
            depth: usize,
        ) -> OrgNode {
            let mut node = OrgNode {
                id: id.to_string(),
                name: name.to_string(),
                is_account,
                scps: names(id, "SERVICE_CONTROL_POLICY"),
                rcps: names(id, "RESOURCE_CONTROL_POLICY"),
                children: Vec::new(),
            };
            // Organizations nest OUs at most five deep; the bound guards against cycles in files.
            if !is_account && depth < 8 {
                for (ou, ou_name) in out.ous.get(id).into_iter().flatten() {
                    node.children.push(build(ou, ou_name, false, out, names, depth + 1));
                }
                for (acct, acct_name) in out.accounts.get(id).into_iter().flatten() {
                    node.children.push(build(acct, acct_name, true, out, names, depth + 1));
                }
            }
            node
        }
        let mut names = |target: &str, kind: &str| policy_names(target, kind, &mut policies, skipped);
        let root = build(&root_id, "Root", false, &self, &mut names, 0);
        Some(Organization {
            id: self.org_id.clone().unwrap_or_else(|| "o-unknown".to_string()),
            management_account: self.management_account.clone(),
            root,
            policies,
        })
    }
}
