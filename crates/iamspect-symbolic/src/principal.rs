//! Callers, for policies that name principals (resource-based and trust policies): a finite set of
//! candidate callers such that any real caller matches the same `Principal`/`NotPrincipal` entries,
//! and carries the same principal keys, as one of them (decision D66). The entries name accounts,
//! users, roles, sessions, services and identity providers; every other caller of a kind is
//! interchangeable with one fresh caller of that kind in a fresh account. Whether an entry reaches a
//! candidate is asked of the core itself, and the keys the engine fills in for a candidate are read
//! from the core's own request, so neither is re-implemented here.

use iamspect_core::{Context, Policy, Principal, PrincipalKind, Request};

use crate::Unknown;

/// Keys that follow from the caller (the engine fills them in): their values are tied to the
/// candidate, never chosen freely.
pub(crate) const DERIVED: &[&str] = &[
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
    "aws:username",
    "aws:userid",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:federatedprovider",
    "aws:resourceaccount",
    // Not filled in by the engine, but AWS sets it to the caller's account: tied all the same,
    // and written into the witness's context.
    "kms:calleraccount",
];

/// The keys of `DERIVED` the engine does not fill in: a witness states them.
pub(crate) const STATED: &[&str] = &["kms:calleraccount"];

/// Derived keys whose values name the caller beyond its kind and account: a condition on them
/// needs callers this set does not hold.
const NAMING: &[&str] =
    &["aws:principalarn", "aws:username", "aws:userid", "aws:principalservicename", "aws:federatedprovider"];

/// Keys only an IAM caller's request carries (tags, organization).
pub(crate) const IAM_ONLY: &[&str] = &["aws:principaltag/", "aws:principalorgid", "aws:principalorgpaths"];
/// Keys only a service's request on behalf of a resource carries.
pub(crate) const SERVICE_ONLY: &[&str] =
    &["aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Iam { account: String, root: bool },
    Anonymous,
    Service,
    Federated,
}

#[derive(Clone, Debug)]
pub(crate) struct Candidates {
    /// The case-format text of each candidate.
    pub(crate) texts: Vec<String>,
    pub(crate) kinds: Vec<Kind>,
    /// A request of each candidate (action and resource do not matter to principal matching).
    pub(crate) requests: Vec<Request>,
    /// The resource's account.
    pub(crate) resource_account: String,
    /// The accounts no policy names ("anyone").
    pub(crate) fresh_accounts: Vec<String>,
}

fn unused(pool: &[&str], sources: &[&str]) -> Option<String> {
    pool.iter().find(|c| !sources.iter().any(|s| s.contains(*c))).map(|c| c.to_string())
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Candidates {
    pub(crate) fn new(policies: &[&Policy]) -> Result<Candidates, Unknown> {
        let sources: Vec<&str> = policies.iter().map(|p| p.source()).collect();
        let mut accounts: Vec<String> = Vec::new();
        let mut named: Vec<String> = Vec::new();
        let mut services: Vec<String> = Vec::new();
        let mut providers: Vec<String> = Vec::new();
        let mut resource_accounts: Vec<String> = Vec::new();
        for p in policies {
            for s in p.statements() {
                for c in s.conditions() {
                    let key = c.key().to_ascii_lowercase();
                    if NAMING.contains(&key.as_str()) {
                        return Err(Unknown::new(format!(
                            "condition on `{}` in a policy that names principals (callers are reasoned about by kind and account only)",
                            c.key()
                        )));
                    }
                    if key == "aws:principalaccount" || key == "aws:resourceaccount" {
                        for v in c.values() {
                            if v.contains(['*', '?']) || v.contains("${") {
                                return Err(Unknown::new(format!("pattern `{v}` on `{}`", c.key())));
                            }
                            if is_account(v) {
                                if key == "aws:resourceaccount" {
                                    resource_accounts.push(v.clone());
                                } else {
                                    accounts.push(v.clone());
                                }
                            }
                        }
                    }
                }
                let Some((_, entries)) = s.principal_entries() else { continue };
                for (kind, value) in entries {
                    match kind {
                        "AWS" if value == "*" => {}
                        "AWS" if is_account(&value) => accounts.push(value),
                        "AWS" => match iamspect_core::Arn::parse(&value) {
                            Some(arn) => {
                                accounts.push(arn.account.to_string());
                                named.push(value.clone());
                            }
                            None => {
                                return Err(Unknown::new(format!("principal unique id `{value}`")));
                            }
                        },
                        "Service" => services.push(value),
                        "Federated" => providers.push(value),
                        _ => {}
                    }
                }
            }
        }
        resource_accounts.sort();
        resource_accounts.dedup();
        if resource_accounts.len() > 1 {
            return Err(Unknown::new("conditions name more than one `aws:ResourceAccount`".to_string()));
        }
        let pool = ["111122223333", "123456789012", "210987654321", "555555555555", "777777777777"];
        let resource_account = match resource_accounts.pop() {
            Some(a) => a,
            None => unused(&pool, &sources).ok_or_else(|| Unknown::new("no unused account id".into()))?,
        };
        let fresh_pool = ["999988887777", "888877776666", "666655554444"];
        let fresh = unused(&fresh_pool, &sources).ok_or_else(|| Unknown::new("no unused account id".into()))?;
        let name = unused(&["iamspect-witness", "iamspect-witness-2", "iamspect-witness-3"], &sources)
            .ok_or_else(|| Unknown::new("no unused principal name".into()))?;
        accounts.push(fresh.clone());
        accounts.retain(|a| *a != resource_account && is_account(a));
        accounts.sort();
        accounts.dedup();
        let mut texts: Vec<String> = vec!["anonymous".to_string()];
        for a in &accounts {
            texts.push(format!("arn:aws:iam::{a}:root"));
            texts.push(format!("arn:aws:iam::{a}:user/{name}"));
            texts.push(format!("arn:aws:sts::{a}:assumed-role/{name}/{name}"));
            texts.push(format!("arn:aws:sts::{a}:federated-user/{name}"));
        }
        for n in named {
            let Some(arn) = iamspect_core::Arn::parse(&n) else { continue };
            if arn.account == resource_account {
                continue;
            }
            match arn.resource.split_once('/') {
                Some(("role", rest)) => {
                    let role = rest.rsplit('/').next().unwrap_or(rest);
                    texts.push(format!("arn:aws:sts::{}:assumed-role/{role}/{name}", arn.account));
                }
                _ => texts.push(n.clone()),
            }
        }
        services.push(unused(&["witness.amazonaws.com", "witness-2.amazonaws.com"], &sources).unwrap_or_default());
        providers.push(unused(&["accounts.example.com", "idp.example.org"], &sources).unwrap_or_default());
        texts.extend(services.into_iter().filter(|s| !s.is_empty()));
        texts.extend(providers.into_iter().filter(|s| !s.is_empty()));
        let mut seen = Vec::new();
        texts.retain(|t| {
            let new = !seen.contains(t);
            seen.push(t.clone());
            new
        });
        let mut kinds = Vec::new();
        let mut requests = Vec::new();
        let mut kept = Vec::new();
        for t in texts {
            let Ok(p) = Principal::parse(&t) else { continue };
            let kind = match &p.kind {
                PrincipalKind::Anonymous => Kind::Anonymous,
                PrincipalKind::Service { .. } => Kind::Service,
                PrincipalKind::Federated { .. } => Kind::Federated,
                PrincipalKind::Root { account } => Kind::Iam { account: account.clone(), root: true },
                _ => Kind::Iam { account: p.account().unwrap_or("").to_string(), root: false },
            };
            let Ok(req) = Request::new(p, "iamspect:Witness", "*", Some(&resource_account), Context::new()) else {
                continue;
            };
            kinds.push(kind);
            requests.push(req);
            kept.push(t);
        }
        Ok(Candidates { texts: kept, kinds, requests, resource_account, fresh_accounts: vec![fresh] })
    }

    /// The values the engine fills in for `key` for candidate `i` (for `kms:CallerAccount`, the
    /// caller's account, as KMS sets it).
    pub(crate) fn derived(&self, i: usize, key: &str) -> Option<Vec<String>> {
        if key.eq_ignore_ascii_case("kms:CallerAccount") {
            return match self.kinds.get(i) {
                Some(Kind::Iam { account, .. }) => Some(vec![account.clone()]),
                _ => None,
            };
        }
        let req = self.requests.get(i)?;
        req.context()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, vs)| vs.iter().map(|v| v.to_string()).collect())
            .filter(|vs: &Vec<String>| !vs.is_empty())
    }

    pub(crate) fn is_iam(&self, i: usize) -> bool {
        matches!(self.kinds.get(i), Some(Kind::Iam { .. }))
    }

    pub(crate) fn is_anonymous(&self, i: usize) -> bool {
        matches!(self.kinds.get(i), Some(Kind::Anonymous))
    }

    pub(crate) fn is_root(&self, i: usize) -> bool {
        matches!(self.kinds.get(i), Some(Kind::Iam { root: true, .. }))
    }

    pub(crate) fn is_service(&self, i: usize) -> bool {
        matches!(self.kinds.get(i), Some(Kind::Service))
    }

    /// Anonymous, identity-provider users, and every caller of an account no policy names.
    pub(crate) fn is_outside(&self, i: usize) -> bool {
        match self.kinds.get(i) {
            Some(Kind::Anonymous | Kind::Federated) => true,
            Some(Kind::Iam { account, .. }) => self.fresh_accounts.contains(account),
            _ => false,
        }
    }
}
