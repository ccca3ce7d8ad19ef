//! iamspect-core parses AWS IAM policies and decides requests exactly as AWS does.
//!
//! It is pure: no file system, network, environment or clock. Everything a decision depends on is
//! passed in, so every decision is reproducible.
//!
//! ```
//! use std::sync::Arc;
//! use iamspect_core::{Context, Decision, Policies, Policy, PolicyType, Principal, Request, authorize};
//!
//! let policy = Policy::parse(
//!     "read-logs",
//!     r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::logs/*"}}"#,
//!     PolicyType::Identity,
//! )?;
//! let principal = Principal::parse("arn:aws:iam::111122223333:user/alice")?;
//! let request = Request::new(principal, "s3:GetObject", "arn:aws:s3:::logs/today", None, Context::new())?;
//! let policies = Policies { identity: vec![Arc::new(policy)], ..Policies::default() };
//! assert_eq!(authorize(&request, &policies).decision, Decision::Allowed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod arn;
pub mod condition;
mod eval;
mod json;
mod pattern;
pub mod policy;
mod request;
mod span;

pub use arn::{Arn, split_segments as split_arn_segments};
pub use eval::{
    AccessPoint, AccessPointTrace, BlockPublicAccess, ConditionDetail, Decision, DeniedBy, Denier, GRANT_OPERATIONS,
    GrantConstraint, GrantKind, KmsGrant, Layer, LayerTrace, LayerVerdict, NetworkOrigin, NotPrincipalDetail,
    OBJECT_ACL_ACTIONS, Outcome, Policies, PolicyTrace, Protected, Response, S3Acl, S3AclGrant, S3Settings,
    StatementOutcome, StatementTrace, Trace, allowing_grant, authorize, authorize_full_scan, authorize_traced,
    grant_operation, is_kms_key_request, is_role_trust_action, is_role_trust_request, protected_rules,
    rcp_supported_services,
};
pub use json::MAX_DEPTH;
pub use policy::{Effect, Policy, PolicyError, PolicyErrors, PolicyType, Statement, Version};
pub use request::{Context, Principal, PrincipalKind, Request, RequestError};
pub use span::{LineColumn, LineIndex, Span};
