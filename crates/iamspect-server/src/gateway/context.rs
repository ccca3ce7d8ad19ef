//! The request context the gateway gives the engine: what the network, the clock, the signature
//! and the session say (`aws:SourceIp`, `aws:SecureTransport`, `aws:CurrentTime`,
//! `aws:EpochTime`, `aws:RequestedRegion`, `aws:MultiFactorAuthPresent`, `aws:TokenIssueTime`,
//! session tags as `aws:PrincipalTag/*`, `aws:SourceIdentity`, `aws:UserAgent`). The engine adds
//! the principal's own keys (`aws:PrincipalArn`, `aws:PrincipalAccount`, its tags, ...).

use std::net::IpAddr;

use iamspect_auth::{Authenticated, HttpRequestParts};
use jiff::Timestamp;

/// The context of a gateway request. `peer` is the client's address (`aws:SourceIp`).
pub(crate) fn build(
    caller: Option<&Authenticated>,
    peer: Option<IpAddr>,
    now: Timestamp,
    request: &HttpRequestParts<'_>,
) -> Vec<(String, Vec<String>)> {
    // AWS gives the time to the second.
    let now = Timestamp::from_second(now.as_second()).unwrap_or(now);
    let mut ctx = vec![
        ("aws:CurrentTime".to_string(), vec![now.to_string()]),
        ("aws:EpochTime".to_string(), vec![now.as_second().to_string()]),
        // The gateway listens on plain HTTP.
        ("aws:SecureTransport".to_string(), vec!["false".to_string()]),
    ];
    if let Some(ip) = peer {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        ctx.push(("aws:SourceIp".to_string(), vec![ip.to_string()]));
    }
    if let Some(agent) = request.header_str("user-agent") {
        ctx.push(("aws:UserAgent".to_string(), vec![agent.to_string()]));
    }
    if let Some(caller) = caller {
        crate::sts::credential_context(caller, now, &mut ctx);
    }
    ctx
}
