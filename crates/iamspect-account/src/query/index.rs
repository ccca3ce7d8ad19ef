//! Every principal of the loaded accounts with its compiled policies, built once per query
//! session. Managed policies and each account's SCP levels are compiled once and shared.

use std::collections::BTreeMap;
use std::sync::Arc;

use iamspect_core::{Context, Policies, Policy, PolicyType, Principal, Request};

use crate::model::{AccountData, NamedDocument};
use crate::resolve::ResourceSide;

/// SCP levels, compiled once per account and shared by its principals.
type SharedLevels = Arc<Vec<Vec<Arc<Policy>>>>;

/// A principal and everything AWS weighs on its side.
#[derive(Clone, Debug)]
pub struct IndexedPrincipal {
    /// The principal (a role stands for its sessions).
    pub principal: Principal,
    /// Identity-based policies.
    pub identity: Vec<Arc<Policy>>,
    /// The permissions boundary.
    pub boundary: Option<Arc<Policy>>,
    /// SCP levels of its account, shared with the other principals of the account.
    pub scps: Option<SharedLevels>,
    /// Organization keys (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`).
    pub context: Vec<(String, Vec<String>)>,
}

/// The compiled account data.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Every user, role and root user.
    pub principals: Vec<IndexedPrincipal>,
    /// What could not be compiled or resolved, and was left out.
    pub skipped: Vec<String>,
}

fn compile(
    cache: &mut BTreeMap<(String, PolicyType), Arc<Policy>>,
    d: &NamedDocument,
    t: PolicyType,
) -> Result<Arc<Policy>, String> {
    if let Some(p) = cache.get(&(d.name.clone(), t)) {
        return Ok(p.clone());
    }
    let p = Arc::new(Policy::parse(&d.name, &d.document, t).map_err(|e| e.to_string())?);
    cache.insert((d.name.clone(), t), p.clone());
    Ok(p)
}

impl IndexedPrincipal {
    /// Resolves and compiles one principal (for questions about a single principal).
    pub fn resolve(data: &AccountData, arn: &str) -> Result<IndexedPrincipal, String> {
        let r = data.resolve_principal(arn).map_err(|e| e.to_string())?;
        let mut cache = BTreeMap::new();
        let identity =
            r.identity.iter().map(|d| compile(&mut cache, d, PolicyType::Identity)).collect::<Result<Vec<_>, _>>()?;
        let boundary =
            r.boundary.as_ref().map(|b| compile(&mut cache, b, PolicyType::PermissionsBoundary)).transpose()?;
        let scps = match &r.scps {
            Some(levels) => Some(Arc::new(
                levels
                    .iter()
                    .map(|l| l.iter().map(|d| compile(&mut cache, d, PolicyType::Scp)).collect::<Result<Vec<_>, _>>())
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            None => None,
        };
        Ok(IndexedPrincipal { principal: r.principal, identity, boundary, scps, context: r.context })
    }
}

impl Index {
    /// Resolves and compiles every principal of `data`.
    pub fn build(data: &AccountData) -> Index {
        Index::build_with_progress(data, &mut |_, _| {})
    }

    /// [`Index::build`], calling `progress(done, total)` after each principal (for progress bars).
    pub fn build_with_progress(data: &AccountData, progress: &mut dyn FnMut(usize, usize)) -> Index {
        let total: usize = data.accounts.values().map(|a| a.users.len() + a.roles.len() + 1).sum();
        let mut done = 0;
        let mut cache = BTreeMap::new();
        let mut index = Index::default();
        for account in data.accounts.values() {
            index.add_account(data, account, &mut cache, &mut || {
                done += 1;
                progress(done, total);
            });
        }
        index
    }

    /// One account's principals alone, compiled as [`Index::build`] compiles them (users, then
    /// roles, then the root user), for work that holds one account at a time.
    pub fn build_account(data: &AccountData, account: &crate::model::Account) -> Index {
        let mut index = Index::default();
        index.add_account(data, account, &mut BTreeMap::new(), &mut || {});
        index
    }

    /// Resolves and compiles `account`'s principals into the index: one compiled copy of each
    /// policy in `cache`, and of the account's SCP levels, shared by its principals; a principal
    /// that does not resolve or compile is in `skipped` as `ARN: why`. `tick` after each.
    fn add_account(
        &mut self,
        data: &AccountData,
        account: &crate::model::Account,
        cache: &mut BTreeMap<(String, PolicyType), Arc<Policy>>,
        tick: &mut dyn FnMut(),
    ) {
        let root = format!("arn:aws:iam::{}:root", account.id);
        let arns = account
            .users
            .values()
            .map(|u| u.arn.clone())
            .chain(account.roles.values().map(|r| r.arn.clone()))
            .chain(std::iter::once(root));
        let mut shared_scps: Option<Option<SharedLevels>> = None;
        for arn in arns {
            tick();
            let resolved = match data.resolve_principal(&arn) {
                Ok(r) => r,
                Err(e) => {
                    self.skipped.push(format!("{arn}: {e}"));
                    continue;
                }
            };
            let built = (|| -> Result<IndexedPrincipal, String> {
                let identity = resolved
                    .identity
                    .iter()
                    .map(|d| compile(cache, d, PolicyType::Identity))
                    .collect::<Result<Vec<_>, _>>()?;
                let boundary = resolved
                    .boundary
                    .as_ref()
                    .map(|b| compile(cache, b, PolicyType::PermissionsBoundary))
                    .transpose()?;
                let scps = match &shared_scps {
                    Some(s) => s.clone(),
                    None => {
                        let compiled = match &resolved.scps {
                            Some(levels) => Some(Arc::new(
                                levels
                                    .iter()
                                    .map(|l| {
                                        l.iter()
                                            .map(|d| compile(cache, d, PolicyType::Scp))
                                            .collect::<Result<Vec<_>, _>>()
                                    })
                                    .collect::<Result<Vec<_>, _>>()?,
                            )),
                            None => None,
                        };
                        shared_scps = Some(compiled.clone());
                        compiled
                    }
                };
                Ok(IndexedPrincipal {
                    principal: resolved.principal.clone(),
                    identity,
                    boundary,
                    scps,
                    context: resolved.context.clone(),
                })
            })();
            match built {
                Ok(p) => self.principals.push(p),
                Err(e) => self.skipped.push(format!("{arn}: {e}")),
            }
        }
    }
}

/// A resource's side, compiled: its policy (a trust policy for role-trust requests), its RCP
/// levels and its organization keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct CompiledSide {
    pub(crate) policy: Option<Arc<Policy>>,
    pub(crate) rcps: Option<Vec<Vec<Arc<Policy>>>>,
    pub(crate) context: Vec<(String, Vec<String>)>,
    /// The key's grants, for a KMS key request (`aws kms list-grants`, decision D135).
    pub(crate) kms_grants: Vec<iamspect_core::KmsGrant>,
}

impl CompiledSide {
    /// [`CompiledSide::compile`] for `action` on `resource`, with the key's grants when it is a
    /// KMS key request: a grant is an allow source beside the key policy (decision D135).
    pub(crate) fn compile_for(
        data: &AccountData,
        side: ResourceSide,
        action: &str,
        resource: &str,
    ) -> Result<CompiledSide, String> {
        let mut compiled = CompiledSide::compile(side, iamspect_core::is_role_trust_request(action, resource))?;
        if iamspect_core::is_kms_key_request(action, resource)
            && let Some(grants) = data.kms_grants.get(resource)
        {
            compiled.kms_grants = grants.clone();
        }
        Ok(compiled)
    }

    /// Compiles `side`. A policy that does not compile is an error, never left out: leaving out a
    /// resource policy or an RCP could turn a deny into an allow.
    pub(crate) fn compile(side: ResourceSide, trust: bool) -> Result<CompiledSide, String> {
        let kind = if trust { PolicyType::Trust } else { PolicyType::Resource };
        let parse =
            |d: &NamedDocument, t| Policy::parse(&d.name, &d.document, t).map(Arc::new).map_err(|e| e.to_string());
        let policy = side.policy.as_ref().map(|d| parse(d, kind)).transpose()?;
        let rcps = side
            .rcps
            .as_ref()
            .map(|levels| {
                levels.iter().map(|l| l.iter().map(|d| parse(d, PolicyType::Rcp)).collect()).collect::<Result<_, _>>()
            })
            .transpose()?;
        Ok(CompiledSide { policy, rcps, context: side.context, kms_grants: Vec::new() })
    }
}

impl IndexedPrincipal {
    /// The request this principal makes for `action` on `resource`, with its context, the
    /// resource side's keys and `context`, and the policies it is decided against; `None` when
    /// the action or resource cannot make a request.
    pub(crate) fn request(
        &self,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        side: &CompiledSide,
        context: &[(String, Vec<String>)],
    ) -> Option<(Request, Policies)> {
        let mut ctx = Context::new();
        for (k, vs) in self.context.iter().chain(side.context.iter()).chain(context.iter()) {
            ctx.insert(k, vs.clone());
        }
        // A role session always carries `aws:TokenIssueTime` (decision D84): a session issued at
        // the time of the question, unless the question gives another.
        let now = ctx
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("aws:CurrentTime"))
            .and_then(|(_, v)| v.first())
            .map(|v| v.to_string());
        if let (true, Some(now)) = (
            matches!(self.principal.kind, iamspect_core::PrincipalKind::RoleSession { .. })
                && !ctx.contains("aws:TokenIssueTime"),
            now,
        ) {
            ctx.insert("aws:TokenIssueTime", vec![now]);
        }
        // S3 ARNs name no account: the resource is taken to be in the principal's.
        let account = resource_account.map(str::to_string).or_else(|| {
            iamspect_core::Arn::parse(resource)
                .filter(|a| a.account.is_empty())
                .and_then(|_| self.principal.account().map(str::to_string))
        });
        let request = Request::new(self.principal.clone(), action, resource, account.as_deref(), ctx).ok()?;
        let policies = Policies {
            identity: self.identity.clone(),
            resource: side.policy.clone(),
            permissions_boundary: self.boundary.clone(),
            scps: self.scps.as_ref().map(|s| s.as_ref().clone()),
            rcps: side.rcps.clone(),
            kms_grants: side.kms_grants.clone(),
            ..Policies::default()
        };
        Some((request, policies))
    }
}
