//! The `principals` table: every user, role and root user, with what describes it.

use iamspect_account::{Account, AccountData};

use crate::schema::{Cell, Row};

fn tags(t: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(t).unwrap_or_else(|_| "{}".to_string())
}

/// The rows of `account`'s principals: users, roles, then the root user.
pub(crate) fn rows(data: &AccountData, account: &Account) -> Vec<Row> {
    let org_path = data.organization.as_ref().and_then(|o| o.org_path(&account.id));
    let mut out = Vec::with_capacity(account.users.len() + account.roles.len() + 1);
    for u in account.users.values() {
        out.push(vec![
            Cell::Text(u.arn.clone()),
            Cell::Text(u.name.clone()),
            Cell::Text("user".to_string()),
            Cell::Optional(path_of(&u.arn)),
            Cell::Text(tags(&u.tags)),
            Cell::Optional(u.boundary.clone()),
            Cell::Optional(org_path.clone()),
            Cell::List(u.groups.clone()),
            Cell::List(u.attached.clone()),
            Cell::List(u.inline.iter().map(|d| d.name.clone()).collect()),
        ]);
    }
    for r in account.roles.values() {
        out.push(vec![
            Cell::Text(r.arn.clone()),
            Cell::Text(r.name.clone()),
            Cell::Text("role".to_string()),
            Cell::Optional(Some(r.path.clone())),
            Cell::Text(tags(&r.tags)),
            Cell::Optional(r.boundary.clone()),
            Cell::Optional(org_path.clone()),
            Cell::List(Vec::new()),
            Cell::List(r.attached.clone()),
            Cell::List(r.inline.iter().map(|d| d.name.clone()).collect()),
        ]);
    }
    out.push(vec![
        Cell::Text(format!("arn:aws:iam::{}:root", account.id)),
        Cell::Text("root".to_string()),
        Cell::Text("root".to_string()),
        Cell::Optional(None),
        Cell::Text("{}".to_string()),
        Cell::Optional(None),
        Cell::Optional(org_path),
        Cell::List(Vec::new()),
        Cell::List(Vec::new()),
        Cell::List(Vec::new()),
    ]);
    out
}

/// A user's path, from its ARN (`arn:aws:iam::1:user/a/b/name` has path `/a/b/`).
fn path_of(arn: &str) -> Option<String> {
    let rest = arn.split_once(":user/")?.1;
    Some(match rest.rfind('/') {
        Some(i) => format!("/{}/", &rest[..i]),
        None => "/".to_string(),
    })
}
