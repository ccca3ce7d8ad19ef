//! The `trust` table of one account: for each of its roles and each assume action its trust
//! policy allows, `who-can`'s answer for that action on the role (decision D163).
//!
//! `who-can` on a role asks every loaded principal, since the trust policy may grant directly.
//! Asking 100,000 principals for each of 50,000 roles is out of reach, so the principals asked are
//! those the trust policy may admit: the principals of every account its `Principal` entries name
//! (by account id, root, or any ARN of that account). A statement with `Principal: *`,
//! `NotPrincipal`, a unique id, a `CanonicalUser` or an entry that names no account may admit
//! anyone, and then every loaded principal is asked. A principal of an account the trust policy
//! does not name cannot be allowed by it (AWS requires the role's trust policy to allow every
//! assumption, in the same account too; decision D16), so the answer is `who-can`'s.

use std::collections::BTreeSet;

use iamspect_account::query::{Conditional, Index, IndexedPrincipal, who_can_with};
use iamspect_account::{AccountData, Role};
use iamspect_core::{Effect, Policy};

use crate::schema::{Cell, Row};

/// The actions that assume a role.
pub(crate) const ASSUME_ACTIONS: [&str; 3] =
    ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"];

/// Whom the trust policy may admit.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admits {
    /// Only principals of these accounts (and the principals it names that are not loaded, which
    /// `who-can` asks from the policy itself).
    Accounts(BTreeSet<String>),
    /// Anyone: every loaded principal must be asked.
    Anyone,
}

/// The accounts whose principals `policy`'s `Allow` statements may admit.
pub(crate) fn admits(policy: &Policy) -> Admits {
    let mut accounts = BTreeSet::new();
    for st in policy.statements().iter().filter(|s| s.effect() == Effect::Allow) {
        let Some((not, entries)) = st.principal_entries() else { return Admits::Anyone };
        if not {
            return Admits::Anyone;
        }
        for (kind, value) in entries {
            match kind {
                // Services and identity providers are not loaded principals; who-can asks them
                // from the policy.
                "Service" | "Federated" => {}
                "AWS" if is_account_id(&value) => {
                    accounts.insert(value);
                }
                "AWS" => match iamspect_core::Arn::parse(&value).filter(|a| is_account_id(a.account)) {
                    Some(arn) => {
                        accounts.insert(arn.account.to_string());
                    }
                    None => return Admits::Anyone,
                },
                _ => return Admits::Anyone,
            }
        }
    }
    Admits::Accounts(accounts)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Where the principals asked come from.
pub(crate) trait Principals {
    /// Every loaded principal.
    fn everyone(&self) -> &Index;
    /// The loaded principals of `account` (none when it is not loaded).
    fn of_account(&mut self, account: &str) -> Vec<IndexedPrincipal>;
}

/// What the trust rows of one account need.
pub(crate) struct TrustAsker<'a> {
    pub(crate) data: &'a AccountData,
    pub(crate) context: &'a [(String, Vec<String>)],
    pub(crate) conditional: Option<Conditional<'a>>,
}

impl TrustAsker<'_> {
    /// The rows of `role` (of `account`), whose trust policy compiled as `policy`; a question
    /// who-can refuses is a `left_out` entry.
    pub(crate) fn rows(
        &self,
        principals: &mut dyn Principals,
        account: &str,
        role: &Role,
        policy: &Policy,
        rows: &mut Vec<Row>,
        left_out: &mut Vec<(String, String)>,
    ) {
        let actions: Vec<&str> = ASSUME_ACTIONS
            .into_iter()
            .filter(|a| policy.statements().iter().any(|s| s.effect() == Effect::Allow && s.covers_action(a)))
            .collect();
        if actions.is_empty() {
            return;
        }
        let named;
        let index = match admits(policy) {
            Admits::Anyone => principals.everyone(),
            Admits::Accounts(accounts) => {
                named = Index {
                    principals: accounts.iter().flat_map(|a| principals.of_account(a)).collect(),
                    skipped: Vec::new(),
                };
                &named
            }
        };
        for action in actions {
            let answer = who_can_with(self.data, index, action, &role.arn, None, self.context, self.conditional);
            let (allowed, _, named_left_out) = match answer {
                Ok(a) => a,
                Err(e) => {
                    left_out
                        .push((format!("{action} on {}", role.arn), format!("who may assume it is not decided: {e}")));
                    continue;
                }
            };
            // The principals the trust policy names that who-can cannot ask are `left_out` rows of
            // the account already: the same question is one of the account's `access` questions.
            drop(named_left_out);
            for a in allowed {
                let principal_account = principal_account(&a.principal);
                let loaded = principal_account.as_deref().is_some_and(|x| self.data.accounts.contains_key(x))
                    && !matches!(a.kind, "account not loaded" | "service" | "identity provider");
                let allowed_with = (a.conditional).then(|| {
                    let m: serde_json::Map<String, serde_json::Value> =
                        a.witness.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
                    serde_json::Value::Object(m).to_string()
                });
                rows.push(vec![
                    Cell::Text(role.arn.clone()),
                    Cell::Text(action.to_string()),
                    Cell::Text(a.principal),
                    Cell::Text(a.kind.to_string()),
                    Cell::Optional(principal_account.clone()),
                    Cell::Bool(principal_account.as_deref() != Some(account)),
                    Cell::Bool(loaded),
                    Cell::Bool(a.conditional),
                    Cell::Optional(allowed_with),
                    Cell::List(a.conditions),
                    Cell::List(a.granted_by),
                ]);
            }
        }
    }
}

/// The account an ARN names, if any (a service or an identity provider's URL names none).
fn principal_account(principal: &str) -> Option<String> {
    iamspect_core::Arn::parse(principal).map(|a| a.account.to_string()).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn trust(principal: &str) -> Policy {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
        );
        Policy::parse("t", &doc, iamspect_core::PolicyType::Trust).unwrap()
    }

    #[test]
    fn named_accounts_are_admitted_and_wildcards_admit_anyone() {
        let one = |a: &str| Admits::Accounts([a.to_string()].into_iter().collect());
        assert_eq!(admits(&trust(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#)), one("111122223333"));
        assert_eq!(admits(&trust(r#"{"AWS":"111122223333"}"#)), one("111122223333"));
        assert_eq!(admits(&trust(r#"{"AWS":"arn:aws:iam::111122223333:role/x/R"}"#)), one("111122223333"));
        assert_eq!(admits(&trust(r#"{"Service":"ec2.amazonaws.com"}"#)), Admits::Accounts(BTreeSet::new()));
        assert_eq!(admits(&trust(r#""*""#)), Admits::Anyone);
        assert_eq!(admits(&trust(r#"{"AWS":"*"}"#)), Admits::Anyone);
        assert_eq!(admits(&trust(r#"{"AWS":"AROAEXAMPLEID12345678"}"#)), Admits::Anyone);
    }
}
