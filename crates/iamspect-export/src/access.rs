//! The `access` table of one account: its principals asked every question that the account's
//! policies raise, each answered by `who-can`'s own function (`who_can_with`) over the account's
//! principals.
//!
//! The questions of an account are the `(action, resource)` pairs of the `Allow` statements of
//! its principals' identity policies, of its roles' trust policies and of the resource policies
//! of its resources: the action entries (expanded over AWS's catalogue, or only as written) times
//! the `Resource` entries as written (`*` for `NotResource`). Every principal of the account is
//! asked every question of the account (decision D130), so that for such a question the rows of
//! the partition are exactly the account's principals that `who-can` lists.

use std::collections::BTreeSet;
use std::sync::Arc;

use iamspect_account::AccountData;
use iamspect_account::query::{Conditional, Index, IndexedPrincipal, who_can_with};
use iamspect_catalog::Catalog;
use iamspect_core::{Effect, Policy, PolicyType};

use crate::schema::{Cell, Row};

/// Where the actions of wildcard and `NotAction` entries come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionsFrom {
    /// Expanded over AWS's catalogue of actions: `s3:Get*` is every `s3:Get...` action AWS lists.
    Catalog,
    /// Only the actions written out in full; wildcard and `NotAction` entries are not expanded,
    /// and each is a row of `left_out`.
    Used,
}

/// A question: an action on a resource string.
pub(crate) type Question = (String, String);

/// The questions one policy raises and what it leaves out (per statement entry), computed once
/// per policy.
#[derive(Default)]
pub(crate) struct Raised {
    pub(crate) questions: Vec<Question>,
    pub(crate) left_out: Vec<(String, String)>,
}

/// The questions of the `Allow` statements of `policy`. `resource` replaces the statements'
/// resources (a trust policy's role, whose statements have none).
pub(crate) fn raised(policy: &Policy, from: ActionsFrom, resource: Option<&str>) -> Raised {
    let catalog = Catalog::get();
    let mut out = Raised::default();
    for st in policy.statements().iter().filter(|s| s.effect() == Effect::Allow) {
        let subject = format!("{} statement {}", policy.name(), st.index());
        let (not, _, entries) = st.action_entries();
        let mut actions: BTreeSet<String> = BTreeSet::new();
        if not {
            match from {
                ActionsFrom::Catalog => {
                    actions.extend(
                        catalog.actions().map(|a| format!("{}:{}", a.service().prefix(), a.name())).filter(|a| st.covers_action(a)),
                    );
                }
                ActionsFrom::Used => out.left_out.push((
                    subject.clone(),
                    "NotAction is not expanded with --actions-from used: its actions are not listed (use --actions-from catalog)".to_string(),
                )),
            }
        } else {
            for (entry, _) in entries {
                if entry.contains('*') || entry.contains('?') {
                    match from {
                        ActionsFrom::Catalog => {
                            actions.extend(
                                catalog.actions_matching(entry).map(|a| format!("{}:{}", a.service().prefix(), a.name())),
                            );
                        }
                        ActionsFrom::Used => out.left_out.push((
                            subject.clone(),
                            format!("action `{entry}` has a wildcard and --actions-from used does not expand it: its actions are not listed (use --actions-from catalog)"),
                        )),
                    }
                } else if let Some(a) = catalog.action(entry) {
                    actions.insert(format!("{}:{}", a.service().prefix(), a.name()));
                } else {
                    out.left_out.push((
                        subject.clone(),
                        format!(
                            "action `{entry}` is not in AWS's catalogue of actions, which who-can refuses: not listed"
                        ),
                    ));
                }
            }
        }
        let resources: Vec<String> = match (resource, st.resources()) {
            (Some(r), _) => vec![r.to_string()],
            (None, Some((false, items))) => {
                let mut rs = Vec::new();
                for r in items {
                    if r.contains("${") {
                        out.left_out.push((
                            subject.clone(),
                            format!("resource `{r}` has a policy variable, whose value depends on the principal: not asked (ask who-can with a resource ARN)"),
                        ));
                    } else {
                        rs.push(r.to_string());
                    }
                }
                rs
            }
            // `NotResource`: asked on `*`, which it covers unless it excludes `*` itself.
            (None, Some((true, _))) => vec!["*".to_string()],
            (None, None) => Vec::new(),
        };
        for a in &actions {
            for r in &resources {
                out.questions.push((a.clone(), r.clone()));
            }
        }
    }
    out.questions.sort();
    out.questions.dedup();
    out
}

/// The account of a question's resource when its ARN names none (S3): the partition's account
/// (decision D131). `None` for ARNs that name their account and for `*`.
pub(crate) fn resource_account(resource: &str, account: &str) -> Option<String> {
    iamspect_core::Arn::parse(resource).filter(|a| a.account.is_empty()).map(|_| account.to_string())
}

/// The `Deny` statements on the principal's side (identity, boundary, SCPs) that cover `action`
/// and name resources of their own: within a row's resource pattern, they may deny some
/// resources that the row's string does not show.
pub(crate) fn narrower_denies(p: &IndexedPrincipal, action: &str, resource: &str) -> Vec<String> {
    let scps = p.scps.iter().flat_map(|levels| levels.iter().flatten());
    let mut out = Vec::new();
    for policy in p.identity.iter().chain(p.boundary.iter()).chain(scps) {
        for st in policy.statements().iter().filter(|s| s.effect() == Effect::Deny && s.covers_action(action)) {
            let Some((not, items)) = st.resources() else { continue };
            if !not && items.iter().all(|r| *r == "*" || *r == resource) {
                continue;
            }
            let element = if not { "NotResource" } else { "Resource" };
            out.push(format!("{} statement {}: {element} {}", policy.name(), st.index(), items.join(", ")));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Is a resource policy loaded for `resource` (for an S3 object, its bucket's)?
fn has_policy(data: &AccountData, resource: &str) -> bool {
    let Some(arn) = iamspect_core::Arn::parse(resource) else { return false };
    let bucket = (arn.service == "s3")
        .then(|| arn.resource.split('/').next())
        .flatten()
        .map(|b| format!("arn:{}:s3:::{b}", arn.partition));
    data.resource_policies.contains_key(resource) || bucket.is_some_and(|b| data.resource_policies.contains_key(&b))
}

/// What one account's access computation needs.
pub(crate) struct Asker<'a> {
    pub(crate) data: &'a AccountData,
    pub(crate) context: &'a [(String, Vec<String>)],
    pub(crate) conditional: Option<Conditional<'a>>,
}

/// What answering one question for the principals of an account gives.
pub(crate) struct Answered {
    pub(crate) rows: Vec<Row>,
    pub(crate) left_out: Vec<(String, String)>,
}

impl Asker<'_> {
    /// Asks `question` of `index`, the principals of `account`, with `who_can_with` itself. The
    /// principals the resource's policy names that are not loaded (services, identity providers,
    /// accounts not loaded, sessions of loaded roles) are kept only when the resource is in
    /// `account`, so that each is listed once, in its resource's partition.
    pub(crate) fn ask(&self, account: &str, question: &Question, index: &Index) -> Answered {
        let (action, resource) = question;
        let mut out = Answered { rows: Vec::new(), left_out: Vec::new() };
        let resource_account = resource_account(resource, account);
        if resource_account.is_some() && self.data.accounts.len() > 1 && has_policy(self.data, resource) {
            out.left_out.push((
                format!("{action} on {resource}"),
                "the ARN names no account and a policy is loaded for the resource, whose account the data does not say: not decided (ask who-can with --resource-account)".to_string(),
            ));
            return out;
        }
        let answer = who_can_with(
            self.data,
            index,
            action,
            resource,
            resource_account.as_deref(),
            self.context,
            self.conditional,
        );
        let (allowed, _, named_left_out) = match answer {
            Ok(a) => a,
            Err(e) => {
                out.left_out.push((
                    format!("{action} on {resource}"),
                    format!("not decided for any principal of this account: {e}"),
                ));
                return out;
            }
        };
        let in_account =
            resource_account.is_some() || iamspect_core::Arn::parse(resource).is_some_and(|a| a.account == account);
        if in_account {
            out.left_out.extend(named_left_out.into_iter().map(|l| (format!("{action} on {resource}"), l)));
        }
        let access_level = Catalog::get().action(action).map_or("unknown", |a| a.access_level().as_str()).to_string();
        let is_pattern = resource.contains('*') || resource.contains('?');
        for a in allowed {
            let loaded = index.principals.iter().find(|p| p.principal.arn() == a.principal);
            if loaded.is_none() && !in_account {
                continue;
            }
            let allowed_with = (a.conditional).then(|| {
                let m: serde_json::Map<String, serde_json::Value> =
                    a.witness.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
                serde_json::Value::Object(m).to_string()
            });
            let narrower = match loaded {
                Some(p) if is_pattern => narrower_denies(p, action, resource),
                _ => Vec::new(),
            };
            out.rows.push(vec![
                Cell::Text(a.principal),
                Cell::Text(a.kind.to_string()),
                Cell::Text(action.clone()),
                Cell::Text(access_level.clone()),
                Cell::Text(resource.clone()),
                Cell::Bool(is_pattern),
                Cell::Optional(resource_account.clone()),
                Cell::Bool(a.conditional),
                Cell::Optional(allowed_with),
                Cell::List(a.conditions),
                Cell::List(a.granted_by),
                Cell::List(narrower),
            ]);
        }
        out
    }
}

/// Compiles a resource or trust policy of the account for the questions it raises; an error
/// names the policy.
pub(crate) fn compile(name: &str, document: &str, kind: PolicyType) -> Result<Arc<Policy>, String> {
    Policy::parse(name, document, kind).map(Arc::new).map_err(|e| e.to_string())
}
