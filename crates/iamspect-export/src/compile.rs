//! One account's principals compiled on their own, as [`Index::build`] compiles them for the
//! whole data (users, then roles, then the root user; one compiled copy of each policy and of
//! the account's SCP levels, shared by its principals), so that a worker holds one account's
//! compiled policies and drops them when the account is written.

use std::collections::BTreeMap;
use std::sync::Arc;

use iamspect_account::query::{Index, IndexedPrincipal};
use iamspect_account::{Account, AccountData, NamedDocument};
use iamspect_core::{Policy, PolicyType};

type Cache = BTreeMap<(String, PolicyType), Arc<Policy>>;

/// An account's SCP levels, compiled once and shared by its principals.
type SharedLevels = Arc<Vec<Vec<Arc<Policy>>>>;

fn compile(cache: &mut Cache, d: &NamedDocument, t: PolicyType) -> Result<Arc<Policy>, String> {
    if let Some(p) = cache.get(&(d.name.clone(), t)) {
        return Ok(p.clone());
    }
    let p = Arc::new(Policy::parse(&d.name, &d.document, t).map_err(|e| e.to_string())?);
    cache.insert((d.name.clone(), t), p.clone());
    Ok(p)
}

/// The principals of `account`, compiled; those that do not resolve or compile are in `skipped`
/// as `ARN: why`, as [`Index::build`] says them.
pub(crate) fn account_index(data: &AccountData, account: &Account) -> Index {
    let mut cache = Cache::new();
    let mut index = Index::default();
    let root = format!("arn:aws:iam::{}:root", account.id);
    let arns = account
        .users
        .values()
        .map(|u| u.arn.clone())
        .chain(account.roles.values().map(|r| r.arn.clone()))
        .chain(std::iter::once(root));
    let mut shared_scps: Option<Option<SharedLevels>> = None;
    for arn in arns {
        let resolved = match data.resolve_principal(&arn) {
            Ok(r) => r,
            Err(e) => {
                index.skipped.push(format!("{arn}: {e}"));
                continue;
            }
        };
        let built = (|| -> Result<IndexedPrincipal, String> {
            let identity = resolved
                .identity
                .iter()
                .map(|d| compile(&mut cache, d, PolicyType::Identity))
                .collect::<Result<Vec<_>, _>>()?;
            let boundary = resolved
                .boundary
                .as_ref()
                .map(|b| compile(&mut cache, b, PolicyType::PermissionsBoundary))
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
                                        .map(|d| compile(&mut cache, d, PolicyType::Scp))
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
            Ok(p) => index.principals.push(p),
            Err(e) => index.skipped.push(format!("{arn}: {e}")),
        }
    }
    index
}
