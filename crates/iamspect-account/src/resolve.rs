//! From an ARN to what AWS would weigh: a principal's identity policies (its own, its groups'),
//! boundary, tags, organization keys and SCPs; a resource's policy (a role's trust policy for
//! `sts:AssumeRole*`, a bucket's policy for its objects) and its account's RCPs.

use iamspect_core::policy::{FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS};
use iamspect_core::{Arn, Principal, PrincipalKind};

use crate::model::{AccountData, NamedDocument};

/// Why an ARN could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveError(pub String);

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the account data says about a principal.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The principal, with its tags, unique id and flags.
    pub principal: Principal,
    /// Identity-based policies: inline, attached, and its groups'.
    pub identity: Vec<NamedDocument>,
    /// The permissions boundary.
    pub boundary: Option<NamedDocument>,
    /// SCPs per level from the root, when the account is in the loaded organization.
    pub scps: Option<Vec<Vec<NamedDocument>>>,
    /// Context keys that follow from the organization (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`).
    pub context: Vec<(String, Vec<String>)>,
}

/// What the account data says about a resource.
#[derive(Clone, Debug, Default)]
pub struct ResourceSide {
    /// The resource policy (or role trust policy).
    pub policy: Option<NamedDocument>,
    /// RCPs per level, when the resource's account is in the organization.
    pub rcps: Option<Vec<Vec<NamedDocument>>>,
    /// `aws:ResourceOrgID`, `aws:ResourceOrgPaths`.
    pub context: Vec<(String, Vec<String>)>,
}

impl AccountData {
    /// The opt-in status of `region` when `account` lists it as not usable (`DISABLED`,
    /// `DISABLING` or `ENABLING`; decision D141): a request there fails at authentication. `None`
    /// when the Region is usable, or when no `aws account list-regions` output names it.
    pub fn region_not_enabled(&self, account: &str, region: &str) -> Option<&str> {
        match self.regions.get(account)?.get(region).map(String::as_str) {
            Some(status @ ("DISABLED" | "DISABLING" | "ENABLING")) => Some(status),
            _ => None,
        }
    }

    fn managed(&self, arn: &str) -> Result<NamedDocument, ResolveError> {
        self.managed_policies
            .get(arn)
            .map(|p| NamedDocument { name: p.arn.clone(), document: p.document.clone() })
            .ok_or_else(|| ResolveError(format!("managed policy `{arn}` is attached but not in the loaded data")))
    }

    fn org_levels(&self, account: &str, rcp: bool) -> Result<Option<Vec<Vec<NamedDocument>>>, ResolveError> {
        let Some(org) = &self.organization else { return Ok(None) };
        let Some(path) = org.path_to(account) else { return Ok(None) };
        let mut levels = Vec::with_capacity(path.len());
        for node in path {
            let names = if rcp { &node.rcps } else { &node.scps };
            let mut level = Vec::with_capacity(names.len());
            for name in names {
                let document = match name.as_str() {
                    "FullAWSAccess" if !rcp => FULL_AWS_ACCESS.to_string(),
                    "RCPFullAWSAccess" if rcp => RCP_FULL_AWS_ACCESS.to_string(),
                    _ => org.policies.get(name).map(|(_, d)| d.clone()).ok_or_else(|| {
                        ResolveError(format!(
                            "`{name}` is attached to `{}` but not among the organization's policies",
                            node.id
                        ))
                    })?,
                };
                level.push(NamedDocument { name: name.clone(), document });
            }
            // AWS attaches RCPFullAWSAccess everywhere and it cannot be detached.
            if rcp && !names.iter().any(|n| n == "RCPFullAWSAccess") {
                level.insert(
                    0,
                    NamedDocument { name: "RCPFullAWSAccess".to_string(), document: RCP_FULL_AWS_ACCESS.to_string() },
                );
            }
            levels.push(level);
        }
        Ok(Some(levels))
    }

    fn org_context(&self, account: &str, prefix: &str) -> Vec<(String, Vec<String>)> {
        let Some(org) = &self.organization else { return Vec::new() };
        let Some(path) = org.org_path(account) else { return Vec::new() };
        vec![(format!("aws:{prefix}OrgID"), vec![org.id.clone()]), (format!("aws:{prefix}OrgPaths"), vec![path])]
    }

    /// True if `account` is the loaded organization's management account.
    pub fn is_management_account(&self, account: &str) -> bool {
        self.organization.as_ref().and_then(|o| o.management_account.as_deref()) == Some(account)
    }

    /// Resolves a principal ARN (user, role, role session, federated user, root).
    pub fn resolve_principal(&self, text: &str) -> Result<Resolved, ResolveError> {
        let mut principal = Principal::parse(text).map_err(|e| ResolveError(e.to_string()))?;
        let account_id = principal.account().map(str::to_string);
        let account = account_id.as_deref().and_then(|a| self.accounts.get(a));
        let mut identity = Vec::new();
        let mut boundary = None;
        match &mut principal.kind {
            PrincipalKind::User { name, account: acct, .. } => {
                let user = account.and_then(|a| a.users.get(name.as_str())).ok_or_else(|| {
                    ResolveError(format!("user `{name}` is not in the loaded data of account {acct}"))
                })?;
                identity.extend(user.inline.iter().cloned());
                for arn in &user.attached {
                    identity.push(self.managed(arn)?);
                }
                for group_name in &user.groups {
                    if let Some(group) = account.and_then(|a| a.groups.get(group_name)) {
                        identity.extend(group.inline.iter().cloned());
                        for arn in &group.attached {
                            identity.push(self.managed(arn)?);
                        }
                    }
                }
                boundary = user.boundary.as_deref().map(|b| self.managed(b)).transpose()?;
                principal.tags = user.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                principal.id = user.id.clone();
            }
            PrincipalKind::RoleSession { role_name, role_arn, role_path, account: acct, .. } => {
                let role = account.and_then(|a| a.roles.get(role_name.as_str())).ok_or_else(|| {
                    ResolveError(format!("role `{role_name}` is not in the loaded data of account {acct}"))
                })?;
                identity.extend(role.inline.iter().cloned());
                for arn in &role.attached {
                    identity.push(self.managed(arn)?);
                }
                boundary = role.boundary.as_deref().map(|b| self.managed(b)).transpose()?;
                *role_arn = role.arn.clone();
                *role_path = role.path.clone();
                principal.service_linked_role = role.path.starts_with("/aws-service-role/");
                principal.tags = role.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                principal.id = role.id.clone();
            }
            _ => {}
        }
        let mut context = Vec::new();
        let mut scps = None;
        if let Some(a) = &account_id {
            principal.management_account = self.is_management_account(a);
            context = self.org_context(a, "Principal");
            scps = self.org_levels(a, false)?;
        }
        Ok(Resolved { principal, identity, boundary, scps, context })
    }

    /// The resource's policy and RCPs. `account` is the resource's account (S3 ARNs carry none).
    pub fn resource_side(
        &self,
        action: &str,
        resource: &str,
        account: Option<&str>,
    ) -> Result<ResourceSide, ResolveError> {
        let Some(arn) = Arn::parse(resource) else { return Ok(ResourceSide::default()) };
        let account = account.filter(|a| !a.is_empty()).or(Some(arn.account).filter(|a| !a.is_empty()));
        let trust_action = iamspect_core::is_role_trust_action(action);
        let policy = if arn.service == "iam" && arn.resource.starts_with("role/") && trust_action {
            let name = arn.resource.rsplit('/').next().unwrap_or("");
            self.accounts.get(arn.account).and_then(|a| a.roles.get(name)).and_then(|r| {
                r.trust_policy
                    .clone()
                    .map(|document| NamedDocument { name: format!("{}/trust-policy", r.arn), document })
            })
        } else {
            let direct = self.resource_policies.get(resource);
            // An S3 object's policy is its bucket's.
            let bucket = (arn.service == "s3")
                .then(|| arn.resource.split('/').next())
                .flatten()
                .and_then(|b| self.resource_policies.get(&format!("arn:{}:s3:::{b}", arn.partition)));
            direct.or(bucket).map(|p| NamedDocument { name: p.source.clone(), document: p.document.clone() })
        };
        let (rcps, context) = match account {
            Some(a) => (self.org_levels(a, true)?, self.org_context(a, "Resource")),
            None => (None, Vec::new()),
        };
        Ok(ResourceSide { policy, rcps, context })
    }
}
