//! Two readings of one raw request, for the differential tests and the fuzz target: the
//! gateway's ([`gateway`], through [`super::wire`]) and an independent one written from how an
//! emulator reads requests ([`emulator`]: moto's server, whose routing and parameter parsing are
//! public). Every request the gateway accepts must read the same both ways; a difference is an
//! authorization bypass, so any request where the two could differ must be refused.
//!
//! The emulator's reading, rule by rule (moto 5, read from its source):
//! - the service is the fourth `/`-separated field of the second whitespace-separated word of the
//!   first comma-separated part of `Authorization`; unsigned requests are S3 unless their path is
//!   `/SERVICE_REGION/…`, their form body names an unsigned STS action, or they fetch a JWKS;
//! - the region is, for S3, from `s3.REGION.amazonaws.com` in the URL, else the third field of the
//!   `Authorization` credential; for other services from `.REGION.amazonaws.com` anywhere in the
//!   URL, else `region/REGION` in the `User-Agent`, else the credential;
//! - an S3 request is virtual-hosted unless its host starts with `localhost` or `localstack`, has no
//!   dot, or is an IP address; the virtual bucket is the host's first label (after `www.`); the
//!   path-style bucket is the first segment of the raw path with every leading `/` removed, and the
//!   key is the decoded path from its second `/` on; `;params` of the last segment are dropped;
//! - Query parameters come from the form body when it has any, else from the URL query, else from
//!   the headers; JSON bodies are read with the last of a repeated key winning.

use axum::http::request::Parts;
use serde_json::Value;

use super::{Gateway, wire};

/// What a reading found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The service the request is routed to (signing name).
    pub service: String,
    /// The region it acts in.
    pub region: String,
    /// S3: the bucket and key.
    pub bucket: String,
    /// S3: the key.
    pub key: String,
    /// The parameters: S3's query (without the presigned URL's own), the Query protocol's
    /// parameters, sorted by name.
    pub params: Vec<(String, String)>,
    /// The JSON protocol's body.
    pub json: Option<Value>,
}

/// The gateway's reading, or why it refuses the request.
///
/// # Errors
/// The refusal's message.
pub fn gateway(parts: &Parts, body: &[u8], gateway: &Gateway) -> Result<Reading, String> {
    if wire::is_control_path(parts.uri.path()) {
        return Err("an emulator control path".to_string());
    }
    let w = wire::read(parts, body, gateway).map_err(|u| u.message)?;
    let mut params = match w.protocol {
        wire::Protocol::Query => w.params.clone(),
        _ => w.query.iter().filter(|(k, _)| !k.starts_with("X-Amz-")).cloned().collect(),
    };
    params.sort();
    Ok(Reading {
        service: w.service,
        region: gateway.region.clone(),
        bucket: w.bucket,
        key: w.key,
        params,
        json: w.json,
    })
}

/// The emulator's reading (see the module's documentation).
pub fn emulator(parts: &Parts, body: &[u8]) -> Reading {
    let header = |name: &str| parts.headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let host = header("host").unwrap_or_default();
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let url = format!(
        "http://{host}{raw_path}{}",
        if raw_query.is_empty() { String::new() } else { format!("?{raw_query}") }
    );
    let auth = header("authorization");
    let credential_fields: Option<Vec<String>> = auth.as_deref().and_then(|a| {
        let first = a.split(',').next()?;
        let word = first.split_whitespace().nth(1)?;
        let fields: Vec<String> = word.split('/').map(str::to_string).collect();
        (fields.len() == 5).then_some(fields)
    });
    let form =
        header("content-type").is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let form_pairs = if form { parse_qsl(&String::from_utf8_lossy(body)) } else { Vec::new() };
    let service = match &credential_fields {
        Some(f) => f[3].to_lowercase(),
        None if auth.is_some() => "s3".to_string(),
        None => {
            let action = form_pairs.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str());
            let first = raw_path.get(1..).and_then(|p| p.split_once('/')).map(|(s, _)| s);
            if matches!(action, Some("AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity")) {
                "sts".to_string()
            } else if raw_path.trim_end_matches('/').ends_with("/.well-known/jwks.json") {
                "cognito-idp".to_string()
            } else if let Some(s) = first.map(|f| f.split('_').collect::<Vec<_>>()).and_then(|p| match p.as_slice() {
                [s, _] if !s.is_empty() => Some((*s).to_string()),
                _ => None,
            }) {
                s
            } else {
                "s3".to_string()
            }
        }
    };
    let from_auth = || credential_fields.as_ref().map(|f| f[2].clone());
    let region = if service == "s3" {
        s3_region_from_url(&url).or_else(from_auth).unwrap_or_else(|| "us-east-1".to_string())
    } else {
        region_in_url(&url)
            .or_else(|| header("user-agent").and_then(|ua| region_in_user_agent(&ua)))
            .or_else(from_auth)
            .unwrap_or_else(|| "us-east-1".to_string())
    };
    let mut reading = Reading {
        service: service.clone(),
        region,
        bucket: String::new(),
        key: String::new(),
        params: Vec::new(),
        json: None,
    };
    let target = header("x-amz-target");
    if service == "s3" {
        // `;params` of the last segment are not part of the path.
        let path = match raw_path.rsplit_once('/') {
            Some((head, last)) => format!("{head}/{}", last.split(';').next().unwrap_or("")),
            None => raw_path.to_string(),
        };
        let decoded = unquote(&path);
        if virtual_hosted(&host) {
            let mut domain = host.as_str();
            if let Some(d) = domain.strip_prefix("www.") {
                domain = d;
            }
            reading.bucket = domain.split('.').next().unwrap_or("").to_string();
            reading.key = decoded.strip_prefix('/').unwrap_or(&decoded).to_string();
        } else {
            let trimmed = path.trim_start_matches('/');
            reading.bucket = trimmed.split('/').next().unwrap_or("").to_string();
            reading.key = decoded.split('/').skip(2).collect::<Vec<_>>().join("/");
        }
        reading.params = parse_qsl(raw_query).into_iter().filter(|(k, _)| !k.starts_with("X-Amz-")).collect();
    } else if let Some(_target) = target.filter(|_| form_pairs.is_empty() && raw_query.is_empty()) {
        reading.json = serde_json::from_slice(if body.is_empty() { b"{}" } else { body }).ok();
    } else {
        reading.params = if !form_pairs.is_empty() { form_pairs } else { parse_qsl(raw_query) };
    }
    // Repeated names: the first value wins.
    let mut seen: Vec<(String, String)> = Vec::new();
    for (k, v) in reading.params.drain(..) {
        if !seen.iter().any(|(n, _)| *n == k) {
            seen.push((k, v));
        }
    }
    seen.sort();
    reading.params = seen;
    reading
}

/// Whether moto reads the host as `bucket.…` (virtual-hosted S3).
fn virtual_hosted(host: &str) -> bool {
    if host.is_empty()
        || host.starts_with("localhost")
        || host.starts_with("localstack")
        || host.starts_with("host.docker.internal")
    {
        return false;
    }
    if !host.contains('.') {
        return false;
    }
    let name = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    if name.split('.').count() == 4
        && name.split('.').all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if host.starts_with('[') {
        return false;
    }
    !(host == "s3.amazonaws.com"
        || (host.starts_with("s3.") || host.starts_with("s3-")) && host.ends_with(".amazonaws.com"))
}

fn s3_region_from_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    let host = rest.split('/').next()?;
    let at = host.find(".s3.").map(|i| i + 4).or_else(|| host.starts_with("s3.").then_some(3))?;
    let tail = &host[at..];
    tail.strip_suffix(".amazonaws.com").map(str::to_string)
}

fn region_in_url(url: &str) -> Option<String> {
    let at = url.find(".amazonaws.com")?;
    let start = url[..at].rfind('.')? + 1;
    Some(url[start..at].to_string())
}

fn region_in_user_agent(agent: &str) -> Option<String> {
    let at = agent.find("region/")?;
    let tail = &agent[at + 7..];
    let b = tail.as_bytes();
    // `[a-z]{2}-[a-z]+-\d`
    if b.len() < 6 || !b[0].is_ascii_lowercase() || !b[1].is_ascii_lowercase() || b[2] != b'-' {
        return None;
    }
    let letters = tail[3..].bytes().take_while(u8::is_ascii_lowercase).count();
    let after = 3 + letters;
    (letters > 0 && b.get(after) == Some(&b'-') && b.get(after + 1).is_some_and(u8::is_ascii_digit))
        .then(|| tail[..after + 2].to_string())
}

/// Python's `unquote`: `%XX` decoded where well-formed, UTF-8 with replacement.
fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(0));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `parse_qsl(keep_blank_values=True)`: `&`-separated, `+` a space.
fn parse_qsl(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unquote(&k.replace('+', " ")), unquote(&v.replace('+', " ")))
        })
        .collect()
}

/// Where the two readings differ, if they do.
pub fn difference(gateway: &Reading, emulator: &Reading) -> Option<String> {
    let mut out = Vec::new();
    if gateway.service != emulator.service {
        out.push(format!("service {} / {}", gateway.service, emulator.service));
    }
    if gateway.region != emulator.region {
        out.push(format!("region {} / {}", gateway.region, emulator.region));
    }
    if gateway.bucket != emulator.bucket || gateway.key != emulator.key {
        out.push(format!("object {}/{} / {}/{}", gateway.bucket, gateway.key, emulator.bucket, emulator.key));
    }
    if gateway.params != emulator.params {
        out.push(format!("parameters {:?} / {:?}", gateway.params, emulator.params));
    }
    if gateway.json != emulator.json {
        out.push(format!("JSON {:?} / {:?}", gateway.json, emulator.json));
    }
    (!out.is_empty()).then(|| out.join("; "))
}
