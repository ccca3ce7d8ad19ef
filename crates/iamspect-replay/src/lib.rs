//! CloudTrail replay: each `AccessDenied`/`UnauthorizedOperation` event is rebuilt into the
//! request AWS authorized (the principal from `userIdentity`, the IAM actions of the API
//! operation, the resource from `requestParameters`, the context from the source IP, VPC
//! endpoint, user agent, MFA and time) and decided against account data, to see whether iamspect
//! reproduces the denial and why.
//!
//! The map from API operations to IAM actions is AWS's service reference, read from a folder at
//! run time ([`ServiceReference::load`]); without it the action is assumed to be
//! `service:EventName`.

#![deny(missing_docs)]

mod context;
mod events;
mod identity;
mod rebuild;
mod replay;
mod resource;
mod service_ref;
mod sse_kms;
mod stream;

pub use context::{RebuiltContext, context, parse_time};
pub use events::{
    DENIAL_CODES, Event, MAX_EVENTS_FILE_BYTES, ReadError, ReadReport, denial_code, is_events_path, read_paths,
    records_of,
};
pub use identity::{Caller, caller};
pub use rebuild::{Actions, Rebuilt, Target, actions_for, rebuild, service_prefix, strip_api_version};
pub use replay::{Evaluation, EventReport, NotRebuilt, Replayer, Summary, Verdict, principal_in_data};
pub use resource::{ResourceGuess, partition, resource_for};
pub use service_ref::{ResourceType, ServiceReference};
pub use sse_kms::{KmsNeed, sse_kms_needs};
pub use stream::{Position, StreamReport, record_hash, stream_bytes, stream_paths, stream_paths_ordered};

/// Replays every denied event of `events`; the other records, and records identical to one
/// already seen (CloudTrail may deliver an event twice; files may overlap), are counted in the
/// summary.
pub fn replay_all(replayer: &mut Replayer<'_>, events: &[Event]) -> (Vec<EventReport>, Summary) {
    let mut summary = Summary::default();
    let mut reports = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in events {
        if !seen.insert(e.record.to_string()) {
            summary.duplicates += 1;
            continue;
        }
        match replayer.replay(e) {
            Some(r) => {
                summary.add(&r);
                reports.push(r);
            }
            None => summary.other_records += 1,
        }
    }
    (reports, summary)
}
