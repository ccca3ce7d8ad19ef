//! Account data: what `aws iam get-account-authorization-details` exports (users, groups, roles,
//! managed policies), organizations with their SCPs and RCPs, and resource-based policies; read
//! from files and folders, and resolved so that a principal ARN gives its identity policies,
//! boundary, tags and SCPs, and a resource ARN its resource policy and RCPs.

#![deny(missing_docs)]

mod federation;
mod gaad;
pub mod identity_center;
mod listings;
mod load;
mod model;
mod org;
mod org_cli;
pub mod paths;
pub mod query;
mod resolve;
mod resources;

pub use federation::OidcProvider;
pub use load::{LoadError, LoadReport, MAX_FILE_BYTES, load_paths};
pub use model::{
    Account, AccountData, DEFAULT_MAX_SESSION_DURATION, Group, MAX_MAX_SESSION_DURATION, ManagedPolicy, NamedDocument,
    Role, User,
};
pub use org::{OrgNode, Organization};
pub use resolve::{ResolveError, Resolved, ResourceSide};
pub use resources::ResourcePolicy;
