//! Finding and replacing one policy of a [`Policies`] by its layer and position, so that
//! counterfactuals and fixes can change exactly one policy and re-evaluate.

use std::sync::Arc;

use iamspect_core::{Layer, Policies, Policy, PolicyType};

/// Where a policy sits: its layer and its index within that layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The layer.
    pub layer: Layer,
    /// The policy's index in that layer (0 for single-policy layers).
    pub index: usize,
}

/// The policy type a layer holds (the resource layer holds a trust policy for role actions).
pub(crate) fn layer_type(layer: Layer, trust: bool) -> PolicyType {
    match layer {
        Layer::Rcp(_) => PolicyType::Rcp,
        Layer::Scp(_) => PolicyType::Scp,
        Layer::VpcEndpoint => PolicyType::VpcEndpoint,
        Layer::Resource if trust => PolicyType::Trust,
        Layer::Resource => PolicyType::Resource,
        Layer::Identity => PolicyType::Identity,
        Layer::PermissionsBoundary => PolicyType::PermissionsBoundary,
        Layer::Session => PolicyType::Session,
    }
}

/// The policy at `slot`, if there is one.
pub fn get(policies: &Policies, slot: Slot) -> Option<&Arc<Policy>> {
    match slot.layer {
        Layer::Rcp(l) => policies.rcps.as_ref()?.get(l)?.get(slot.index),
        Layer::Scp(l) => policies.scps.as_ref()?.get(l)?.get(slot.index),
        Layer::VpcEndpoint => policies.vpc_endpoint.as_ref(),
        Layer::Resource => policies.resource.as_ref(),
        Layer::Identity => policies.identity.get(slot.index),
        Layer::PermissionsBoundary => policies.permissions_boundary.as_ref(),
        Layer::Session => policies.session.get(slot.index),
    }
}

/// Puts `policy` at `slot`, replacing what was there or adding it (a new identity or session
/// policy goes at the end of its list; a new SCP or RCP at the end of its level).
pub fn set(policies: &mut Policies, slot: Slot, policy: Arc<Policy>) {
    fn put(list: &mut Vec<Arc<Policy>>, index: usize, policy: Arc<Policy>) {
        match list.get_mut(index) {
            Some(p) => *p = policy,
            None => list.push(policy),
        }
    }
    match slot.layer {
        Layer::Rcp(l) => {
            if let Some(level) = policies.rcps.as_mut().and_then(|levels| levels.get_mut(l)) {
                put(level, slot.index, policy);
            }
        }
        Layer::Scp(l) => {
            if let Some(level) = policies.scps.as_mut().and_then(|levels| levels.get_mut(l)) {
                put(level, slot.index, policy);
            }
        }
        Layer::VpcEndpoint => policies.vpc_endpoint = Some(policy),
        Layer::Resource => policies.resource = Some(policy),
        Layer::Identity => put(&mut policies.identity, slot.index, policy),
        Layer::PermissionsBoundary => policies.permissions_boundary = Some(policy),
        Layer::Session => put(&mut policies.session, slot.index, policy),
    }
}
