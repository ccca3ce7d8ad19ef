//! IAM216: a private IP range in an `aws:SourceIp` condition.

use std::net::IpAddr;

use iamspect_core::condition::BaseOperator;

use super::wildcard_without_like_operator::value_span;
use super::{RuleInfo, Sink};
use crate::Severity;
use crate::context::Ctx;

/// The rule.
pub(crate) const INFO: RuleInfo = RuleInfo {
    code: "IAM216",
    name: "private-ip-address",
    issue_code: "PRIVATE_IP_ADDRESS",
    severity: Severity::Error,
    doc: r#"## What it does
Reports an `aws:SourceIp` value under `IpAddress` (`PRIVATE_IP_ADDRESS`) or `NotIpAddress`
(`PRIVATE_NOT_IP_ADDRESS`) that lies wholly in a private range: `10.0.0.0/8`, `172.16.0.0/12`,
`192.168.0.0/16` (RFC 1918) or `fc00::/7` (IPv6 unique local addresses).

## Why is this bad?
`aws:SourceIp` holds the public address a request comes from; requests through a VPC endpoint
carry no `aws:SourceIp` at all (use `aws:VpcSourceIp` for private addresses). A private range
never matches: `IpAddress` is always false and `NotIpAddress` always true.

## Example
```json
"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}
```
Use `aws:VpcSourceIp` with `aws:SourceVpc` or `aws:SourceVpce`, or the public range.
"#,
};

/// Reads `a.b.c.d[/n]` or an IPv6 address with an optional prefix length.
fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match text.trim().split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, l.parse::<u8>().ok()?),
        None => {
            let a = text.trim().parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((addr, len))
}

/// True if every address of `addr/len` is in `net/net_len` (same family).
fn within(addr: IpAddr, len: u8, net: IpAddr, net_len: u8) -> bool {
    if len < net_len {
        return false;
    }
    let bits = |a: IpAddr| -> (u128, u32) {
        match a {
            IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        }
    };
    let ((a, width), (n, net_width)) = (bits(addr), bits(net));
    if width != net_width {
        return false;
    }
    let shift = width - u32::from(net_len);
    shift >= 128 || (a >> shift) == (n >> shift)
}

/// The private range `text` lies in, if any.
pub(super) fn private_range(text: &str) -> Option<&'static str> {
    let (addr, len) = parse_cidr(text)?;
    const RANGES: &[(&str, &str, u8)] = &[
        ("10.0.0.0/8", "10.0.0.0", 8),
        ("172.16.0.0/12", "172.16.0.0", 12),
        ("192.168.0.0/16", "192.168.0.0", 16),
        ("fc00::/7", "fc00::", 7),
    ];
    RANGES.iter().find_map(|&(name, net, net_len)| {
        let net: IpAddr = net.parse().ok()?;
        within(addr, len, net, net_len).then_some(name)
    })
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Sink) {
    let source = cx.policy.source();
    for s in &cx.statements {
        for c in s.statement.conditions() {
            if !c.key().eq_ignore_ascii_case("aws:SourceIp") {
                continue;
            }
            let (issue, always) = match c.operator().base {
                BaseOperator::IpAddress => ("PRIVATE_IP_ADDRESS", "never matches"),
                BaseOperator::NotIpAddress => ("PRIVATE_NOT_IP_ADDRESS", "always matches"),
                _ => continue,
            };
            for v in c.values() {
                let Some(range) = private_range(v) else { continue };
                out.push_as(
                    &INFO,
                    issue,
                    Some(value_span(source, c, v).unwrap_or(c.spans().1)),
                    format!(
                        "`{v}` is a private range ({range}) and `aws:SourceIp` holds public addresses only: this value \
                         {always}; use `aws:VpcSourceIp` for private addresses"
                    ),
                );
            }
        }
    }
}
