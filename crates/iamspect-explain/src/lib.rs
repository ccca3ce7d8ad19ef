//! Explaining decisions: AWS's own AccessDenied wording (generated from a decision, and parsed
//! back from a message a user pasted), the error code a service returns, counterfactuals, and
//! fixes that are proved by re-evaluating the request.

#![deny(missing_docs)]

pub mod causes;
pub mod counterfactual;
pub mod decoded;
pub mod encoded;
pub mod evidence;
pub mod fix;
pub mod gates;
pub mod levels;
pub mod message;
pub mod parse;
pub mod patch;
pub mod report;
pub mod slots;
pub mod wire;

use std::sync::atomic::{AtomicBool, Ordering};

/// Work given up because its caller set the cancellation flag (the server does at a request's
/// deadline, so that an abandoned explanation stops using a core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// `Err(Cancelled)` once `cancel` is set.
pub(crate) fn check(cancel: &AtomicBool) -> Result<(), Cancelled> {
    if cancel.load(Ordering::Relaxed) { Err(Cancelled) } else { Ok(()) }
}
