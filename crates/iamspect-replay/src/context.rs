//! The request context an event records: source IP or VPC endpoint, user agent, time, region,
//! MFA and session facts, and whether a service made the call on the caller's behalf.

use std::net::IpAddr;

use serde_json::Value;

/// Context keys and values, with notes on what was left out and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RebuiltContext {
    /// Keys and values, in the order they were found.
    pub keys: Vec<(String, Vec<String>)>,
    /// What was left out or inferred.
    pub notes: Vec<String>,
}

impl RebuiltContext {
    fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys.push((key.to_string(), vec![value.into()]));
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Reads a CloudTrail time: ISO 8601 with an offset (`2023-07-10T11:54:42Z`), or without one
/// (`2024-06-02 20:16:32.000000000`, as some log pipelines rewrite it), taken as UTC.
pub fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let dt = s.parse::<jiff::civil::DateTime>().ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

/// The time as AWS writes `aws:CurrentTime`: seconds precision, `Z`.
fn iso(t: jiff::Timestamp) -> String {
    let secs = t.as_second();
    jiff::Timestamp::from_second(secs).map_or_else(|_| t.to_string(), |t| t.to_string())
}

/// Services that set `aws:CalledVia` when they call another service with the caller's credentials.
const CALLED_VIA: [&str; 4] =
    ["athena.amazonaws.com", "cloudformation.amazonaws.com", "dynamodb.amazonaws.com", "kms.amazonaws.com"];

/// `invokedBy` values that mark console requests rather than a service calling for the caller.
const CONSOLE: [&str; 2] = ["signin.amazonaws.com", "console.amazonaws.com"];

/// Rebuilds the context of `record`. `temporary` says whether the caller used temporary
/// credentials (MFA keys are only present then).
pub fn context(record: &Value, temporary: bool) -> RebuiltContext {
    let mut ctx = RebuiltContext::default();
    let vpce = text(record, "vpcEndpointId");
    match text(record, "sourceIPAddress") {
        Some(ip) => match ip.parse::<IpAddr>() {
            Ok(addr) if vpce.is_some() => {
                ctx.set("aws:VpcSourceIp", addr.to_string());
                ctx.notes.push(format!(
                    "the request came through a VPC endpoint: its source IP {addr} is `aws:VpcSourceIp`, and `aws:SourceIp` is absent"
                ));
            }
            Ok(addr) => ctx.set("aws:SourceIp", addr.to_string()),
            Err(_) if ip.ends_with(".amazonaws.com") || ip == "AWS Internal" => ctx
                .notes
                .push(format!("sourceIPAddress is `{ip}`: a service made the call, so `aws:SourceIp` is left out")),
            Err(_) => {
                ctx.notes.push(format!("sourceIPAddress `{ip}` is not an IP address; `aws:SourceIp` is left out"))
            }
        },
        None => ctx.notes.push("the event has no sourceIPAddress; `aws:SourceIp` is left out".to_string()),
    }
    if let Some(v) = vpce {
        ctx.set("aws:SourceVpce", v);
        ctx.notes.push(format!(
            "VPC endpoint {v}: its endpoint policy is not part of the account data and is not evaluated"
        ));
    }
    if let Some(ua) = text(record, "userAgent") {
        ctx.set("aws:UserAgent", ua);
    }
    let event_time = text(record, "eventTime");
    let now = event_time.and_then(parse_time);
    match (event_time, now) {
        (_, Some(t)) => {
            ctx.set("aws:CurrentTime", iso(t));
            ctx.set("aws:EpochTime", t.as_second().to_string());
        }
        (Some(s), None) => ctx.notes.push(format!("eventTime `{s}` is not a time; `aws:CurrentTime` is left out")),
        (None, None) => ctx.notes.push("the event has no eventTime; `aws:CurrentTime` is left out".to_string()),
    }
    if let Some(region) = text(record, "awsRegion") {
        ctx.set("aws:RequestedRegion", region);
    }
    ctx.set("aws:SecureTransport", "true");

    let ui = record.get("userIdentity").filter(|v| v.is_object());
    if let Some(pid) = ui.and_then(|u| text(u, "principalId"))
        && !matches!(ui.and_then(|u| text(u, "type")), Some("AWSService" | "AWSAccount"))
    {
        ctx.set("aws:userid", pid);
    }
    let session = ui.and_then(|u| u.get("sessionContext"));
    let attributes = session.and_then(|s| s.get("attributes"));
    let issued = attributes.and_then(|a| text(a, "creationDate")).and_then(parse_time);
    if temporary {
        match attributes.and_then(|a| a.get("mfaAuthenticated")) {
            Some(Value::String(s)) if s == "true" || s == "false" => {
                ctx.set("aws:MultiFactorAuthPresent", s.as_str());
                if s == "true"
                    && let (Some(issued), Some(now)) = (issued, now)
                {
                    let age = (now.as_second() - issued.as_second()).max(0);
                    ctx.set("aws:MultiFactorAuthAge", age.to_string());
                    ctx.notes.push(
                        "aws:MultiFactorAuthAge is the session's age: CloudTrail records when the session was created, not when MFA was used".to_string(),
                    );
                }
            }
            Some(Value::Bool(b)) => ctx.set("aws:MultiFactorAuthPresent", b.to_string()),
            _ => ctx.notes.push(
                "temporary credentials without sessionContext.attributes.mfaAuthenticated; `aws:MultiFactorAuthPresent` is left out".to_string(),
            ),
        }
        if let Some(issued) = issued {
            ctx.set("aws:TokenIssueTime", iso(issued));
        }
    }
    if let Some(si) = session.and_then(|s| text(s, "sourceIdentity")) {
        ctx.set("aws:SourceIdentity", si);
    }
    if let Some(p) = session.and_then(|s| s.get("webIdFederationData")).and_then(|w| text(w, "federatedProvider")) {
        ctx.set("aws:FederatedProvider", p);
    }
    let identity_type = ui.and_then(|u| text(u, "type"));
    let invoked_by = ui.and_then(|u| text(u, "invokedBy"));
    if let Some(by) = invoked_by.filter(|b| CONSOLE.contains(b)) {
        ctx.notes.push(format!(
            "invoked by `{by}`: a console request, not a service acting for the caller (`aws:ViaAWSService` false)"
        ));
    }
    if let Some(by) = invoked_by
        && identity_type != Some("AWSService")
        && by.ends_with(".amazonaws.com")
        && !CONSOLE.contains(&by)
    {
        ctx.set("aws:ViaAWSService", "true");
        ctx.notes.push(format!("called through `{by}` (userIdentity.invokedBy): `aws:ViaAWSService` is true"));
        if CALLED_VIA.contains(&by) {
            ctx.keys.push(("aws:CalledVia".to_string(), vec![by.to_string()]));
            ctx.set("aws:CalledViaFirst", by);
            ctx.set("aws:CalledViaLast", by);
        }
    } else if identity_type.is_some() && identity_type != Some("AWSService") {
        ctx.set("aws:ViaAWSService", "false");
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("2023-07-10T11:54:42Z").map(|t| t.as_second()), Some(1_688_990_082));
        assert_eq!(parse_time("2024-06-02 20:16:32.000000000").map(|t| t.as_second()), Some(1_717_359_392));
        assert!(parse_time("yesterday").is_none());
    }
}
