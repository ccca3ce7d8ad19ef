//! A deliberately naive reference evaluator, written straight from `shared/spec/iam-evaluation.md`
//! and `docs/decisions.md`, to check the engine against.
//!
//! It shares nothing with the engine: it reads policy text with `serde_json`, matches globs by
//! plain recursion over characters, and decides with the spec's procedure (§1.3, §1.4, §2) taken
//! literally. It is slow and short on purpose; when it and the engine disagree, read this file next
//! to the spec first.
//!
//! Scope: identity, resource, boundary, session, SCP, RCP and VPC endpoint policies; principals that
//! are IAM users, role sessions (or role ARNs), federated users, root users, service principals and
//! `anonymous`; the trust-policy and KMS key-policy rules (D52, D16, D17) and `GetCallerIdentity`
//! (D18). Not modelled: S3 Block Public Access and ACLs, unique-id principals, `federatedBy`,
//! management accounts, AWS managed KMS keys, identity-provider callers, template placeholders.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The request, described as plainly as possible.
#[derive(Clone, Debug, Default)]
pub(crate) struct RefRequest {
    /// An IAM user, role, role-session, federated-user or root ARN, a service principal such as
    /// `s3.amazonaws.com`, or `anonymous`.
    pub(crate) principal: String,
    pub(crate) action: String,
    /// An ARN or `*`.
    pub(crate) resource: String,
    /// The account that owns the resource.
    pub(crate) resource_account: String,
    /// Condition keys given by the request (keys are case-insensitive; give each once).
    pub(crate) context: BTreeMap<String, Vec<String>>,
    pub(crate) principal_tags: Vec<(String, String)>,
}

/// Every policy, as JSON text, by type.
#[derive(Clone, Debug, Default)]
pub(crate) struct RefPolicies {
    pub(crate) identity: Vec<String>,
    pub(crate) resource: Option<String>,
    pub(crate) boundary: Option<String>,
    pub(crate) session: Vec<String>,
    /// One entry per level, organization root first; `None` when not in an organization.
    pub(crate) scps: Option<Vec<Vec<String>>>,
    pub(crate) rcps: Option<Vec<Vec<String>>>,
    pub(crate) vpc_endpoint: Option<String>,
}

/// The decision (`allowed`, `explicitDeny`, `implicitDeny`) and the `deniedBy` names (D14).
pub(crate) type RefOutcome = (&'static str, BTreeSet<&'static str>);

// ---------------------------------------------------------------------------------------------
// Who is calling (spec §7)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Who {
    User {
        account: String,
        arn: String,
        name: String,
    },
    /// A role session; `session` is `None` when only the role ARN was given.
    Role {
        account: String,
        role_arn: String,
        role_name: String,
        session: Option<String>,
    },
    Federated {
        account: String,
        arn: String,
        name: String,
    },
    Root {
        account: String,
    },
    Service(String),
    Anonymous,
}

impl Who {
    fn parse(text: &str) -> Who {
        if text == "anonymous" {
            return Who::Anonymous;
        }
        let Some([_partition, service, _region, account, resource]) = split_arn(text) else {
            return Who::Service(text.to_string());
        };
        let account = account.to_string();
        let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
        match service {
            "iam" if resource == "root" => Who::Root { account },
            "iam" if resource.starts_with("user/") => {
                Who::User { account, arn: text.to_string(), name: last(resource) }
            }
            "iam" if resource.starts_with("role/") => {
                Who::Role { account, role_arn: text.to_string(), role_name: last(resource), session: None }
            }
            "sts" if resource.starts_with("assumed-role/") => {
                let mut parts = resource.splitn(3, '/').skip(1);
                let role = parts.next().unwrap_or("").to_string();
                let session = parts.next().unwrap_or("").to_string();
                Who::Role {
                    role_arn: format!("arn:aws:iam::{account}:role/{role}"),
                    account,
                    role_name: role,
                    session: Some(session),
                }
            }
            "sts" if resource.starts_with("federated-user/") => {
                let name = resource["federated-user/".len()..].to_string();
                Who::Federated { account, arn: text.to_string(), name }
            }
            _ => Who::Service(text.to_string()),
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Who::User { account, .. } | Who::Role { account, .. } | Who::Federated { account, .. } => Some(account),
            Who::Root { account } => Some(account),
            Who::Service(_) | Who::Anonymous => None,
        }
    }

    /// The session ARN of a role session.
    fn session_arn(&self) -> Option<String> {
        match self {
            Who::Role { account, role_name, session: Some(s), .. } => {
                Some(format!("arn:aws:sts::{account}:assumed-role/{role_name}/{s}"))
            }
            _ => None,
        }
    }

    /// A service-linked role (its path is `/aws-service-role/`).
    fn is_service_linked(&self) -> bool {
        matches!(self, Who::Role { role_arn, .. } if role_arn.contains(":role/aws-service-role/"))
    }
}

// ---------------------------------------------------------------------------------------------
// The request context (spec §6, §7): what the caller gave plus what follows from the request
// ---------------------------------------------------------------------------------------------

struct Ctx {
    /// Keyed by the lower-case key name.
    keys: BTreeMap<String, Vec<String>>,
}

impl Ctx {
    fn build(req: &RefRequest, who: &Who) -> Ctx {
        let mut keys: BTreeMap<String, Vec<String>> =
            req.context.iter().map(|(k, v)| (k.to_lowercase(), v.clone())).collect();
        let mut derived: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: &str| derived.push((k.to_string(), v.to_string()));
        match who {
            Who::User { account, arn, name } => {
                put("aws:PrincipalArn", arn);
                put("aws:PrincipalAccount", account);
                put("aws:PrincipalType", "User");
                put("aws:username", name);
            }
            Who::Role { account, role_arn, .. } => {
                put("aws:PrincipalArn", role_arn);
                put("aws:PrincipalAccount", account);
                put("aws:PrincipalType", "AssumedRole");
            }
            Who::Federated { account, arn, name } => {
                put("aws:PrincipalArn", arn);
                put("aws:PrincipalAccount", account);
                put("aws:PrincipalType", "FederatedUser");
                put("aws:userid", &format!("{account}:{name}"));
            }
            Who::Root { account } => {
                put("aws:PrincipalArn", &format!("arn:aws:iam::{account}:root"));
                put("aws:PrincipalAccount", account);
                put("aws:PrincipalType", "Account");
                put("aws:userid", account);
            }
            Who::Service(name) => {
                put("aws:PrincipalIsAWSService", "true");
                put("aws:PrincipalServiceName", name);
            }
            Who::Anonymous => {
                put("aws:PrincipalAccount", "anonymous");
                put("aws:PrincipalType", "Anonymous");
                put("aws:userid", "anonymous");
            }
        }
        if who.account().is_some() {
            put("aws:PrincipalIsAWSService", "false");
        }
        for (k, v) in &req.principal_tags {
            put(&format!("aws:PrincipalTag/{k}"), v);
        }
        put("aws:ResourceAccount", &req.resource_account);
        for (k, v) in derived {
            keys.entry(k.to_lowercase()).or_insert_with(|| vec![v]);
        }
        Ctx { keys }
    }

    /// The values of a key; `None` when absent (an empty list counts as absent).
    fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_lowercase()).map(Vec::as_slice).filter(|v| !v.is_empty())
    }

    /// The value of a policy variable: only single-valued keys resolve (spec §5.5).
    fn single(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some([one]) => Some(one),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Globs and policy variables
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Tok {
    Ch(char),
    Star,
    Quest,
}

/// Reads pattern text into tokens. With `variables`, `${key}` and `${key, 'default'}` are replaced
/// by the key's value as literal characters and `${*}`, `${?}`, `${$}` stand for those characters.
/// `None` when a variable cannot be resolved: such a pattern matches nothing (spec §5.5).
fn tokens(text: &str, wildcards: bool, variables: bool, ctx: &Ctx) -> Option<Vec<Tok>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if variables && chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
            let close = i + chars[i..].iter().position(|&c| c == '}')?;
            let inner: String = chars[i + 2..close].iter().collect();
            match inner.as_str() {
                "*" | "?" | "$" => out.extend(inner.chars().map(Tok::Ch)),
                _ => {
                    let (key, default) = match inner.split_once(", '") {
                        Some((key, default)) => (key, default.strip_suffix('\'')),
                        None => (inner.as_str(), None),
                    };
                    let value = ctx.single(key).or(default)?;
                    out.extend(value.chars().map(Tok::Ch));
                }
            }
            i = close + 1;
            continue;
        }
        out.push(match chars[i] {
            '*' if wildcards => Tok::Star,
            '?' if wildcards => Tok::Quest,
            c => Tok::Ch(c),
        });
        i += 1;
    }
    Some(out)
}

/// `*` matches any sequence (also empty), `?` exactly one character, anything else itself.
pub(crate) fn glob(pattern: &[Tok], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((Tok::Star, rest)) => glob(rest, text) || (!text.is_empty() && glob(pattern, &text[1..])),
        Some((Tok::Quest, rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((Tok::Ch(c), rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// Plain glob of pattern text (no variables) against text, for the matcher property test.
pub(crate) fn glob_str(pattern: &str, text: &str) -> bool {
    let toks: Vec<Tok> = pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::Quest,
            c => Tok::Ch(c),
        })
        .collect();
    glob(&toks, &text.chars().collect::<Vec<_>>())
}

fn glob_text(pattern: &str, text: &str, wildcards: bool, variables: bool, ctx: &Ctx) -> bool {
    match tokens(pattern, wildcards, variables, ctx) {
        Some(toks) => glob(&toks, &text.chars().collect::<Vec<_>>()),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// ARNs (decision D3)
// ---------------------------------------------------------------------------------------------

/// Splits a request ARN into partition, service, region, account and resource (at the first five
/// colons). `None` if it is not an ARN.
fn split_arn(text: &str) -> Option<[&str; 5]> {
    let rest = text.strip_prefix("arn:")?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    match parts.as_slice() {
        [a, b, c, d, e] => Some([a, b, c, d, e]),
        _ => None,
    }
}

/// Splits an ARN pattern after `arn:` at its first four colons (colons inside `${...}` do not
/// count when variables are on) and completes it with `*` to five segments.
fn split_pattern(rest: &str, variables: bool) -> Vec<String> {
    let mut segs = vec![String::new()];
    let mut in_var = false;
    let mut prev = ' ';
    for c in rest.chars() {
        if variables && prev == '$' && c == '{' {
            in_var = true;
        } else if in_var && c == '}' {
            in_var = false;
        }
        if c == ':' && !in_var && segs.len() < 5 {
            segs.push(String::new());
        } else if let Some(seg) = segs.last_mut() {
            seg.push(c);
        }
        prev = c;
    }
    while segs.len() < 5 {
        segs.push("*".to_string());
    }
    segs
}

/// An ARN pattern (from `Resource` or an `Arn*` condition) against a value, segment by segment,
/// case-sensitively. `"*"` matches everything; any other pattern does not match the resource `*`.
fn arn_matches(pattern: &str, value: &str, variables: bool, ctx: &Ctx) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some(rest) = pattern.strip_prefix("arn:") else {
        // Not an ARN pattern: the whole value as one glob.
        return glob_text(pattern, value, true, variables, ctx);
    };
    let Some(value_segs) = split_arn(value) else {
        return false;
    };
    split_pattern(rest, variables).iter().zip(value_segs).all(|(p, v)| glob_text(p, v, true, variables, ctx))
}

// ---------------------------------------------------------------------------------------------
// Typed values for conditions
// ---------------------------------------------------------------------------------------------

fn parse_number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let ok = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    if ok(int) && ok(frac) { s.parse().ok() } else { None }
}

/// `true`/`false` in any letter case (D9).
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A date as nanoseconds since the epoch: epoch seconds, or the W3C profile of ISO 8601
/// (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s+]]TZD`) (spec §5.3).
fn parse_date(s: &str) -> Option<i128> {
    let num = |t: &str| -> Option<i64> {
        if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) { t.parse().ok() } else { None }
    };
    if s.len() != 4 && s.chars().all(|c| c.is_ascii_digit()) {
        return num(s).map(|secs| i128::from(secs) * 1_000_000_000);
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y] if y.len() == 4 && time.is_none() => (num(y)?, 1, 1),
        [y, m] if y.len() == 4 && m.len() == 2 && time.is_none() => (num(y)?, num(m)?, 1),
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    let mut nanos = i128::from(days_from_civil(y, m, d)) * 86_400 * 1_000_000_000;
    if let Some(time) = time {
        // Split off the zone designator.
        let (clock, offset_secs) = if let Some(c) = time.strip_suffix('Z') {
            (c, 0)
        } else {
            let at = time.rfind(['+', '-'])?;
            let (c, zone) = time.split_at(at);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (hh, mm) = zone[1..].split_once(':')?;
            if hh.len() != 2 || mm.len() != 2 {
                return None;
            }
            (c, sign * (num(hh)? * 3600 + num(mm)? * 60))
        };
        let (hms, frac) = match clock.split_once('.') {
            Some((hms, frac)) => (hms, Some(frac)),
            None => (clock, None),
        };
        let fields: Vec<&str> = hms.split(':').collect();
        let (h, mi, sec) = match fields.as_slice() {
            [h, mi] if frac.is_none() => (num(h)?, num(mi)?, 0),
            [h, mi, sec] => (num(h)?, num(mi)?, num(sec)?),
            _ => return None,
        };
        if fields.iter().any(|f| f.len() != 2) || h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        let mut frac_nanos = 0i128;
        if let Some(frac) = frac {
            num(frac)?;
            let padded: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
            frac_nanos = padded.parse().ok()?;
        }
        nanos += i128::from(h * 3600 + mi * 60 + sec - offset_secs) * 1_000_000_000 + frac_nanos;
    }
    Some(nanos)
}

/// An IP address, as a 128-bit number and whether it is IPv4.
fn parse_ip(s: &str) -> Option<(u128, bool)> {
    match s.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => Some((u128::from(u32::from(a)), true)),
        std::net::IpAddr::V6(a) => Some((u128::from(a), false)),
    }
}

/// `addr/len`, or a bare address (`/32` or `/128`). True if `ip` is inside.
fn cidr_contains(cidr: &str, ip: (u128, bool)) -> Option<bool> {
    let (addr, len) = match cidr.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u32>().ok()?)),
        None => (cidr, None),
    };
    let (net, v4) = parse_ip(addr)?;
    let bits = if v4 { 32 } else { 128 };
    let len = len.unwrap_or(bits);
    if len > bits {
        return None;
    }
    if v4 != ip.1 {
        return Some(false);
    }
    let shift = bits - len;
    let same = |a: u128| if shift == 128 { 0 } else { a >> shift };
    Some(same(net) == same(ip.0))
}

// ---------------------------------------------------------------------------------------------
// Conditions (spec §5)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tri {
    True,
    False,
    /// A request value the operator cannot read (D8).
    Unreadable,
}

const NEGATED: &[&str] = &[
    "stringnotequals",
    "stringnotequalsignorecase",
    "stringnotlike",
    "numericnotequals",
    "datenotequals",
    "notipaddress",
    "arnnotequals",
    "arnnotlike",
];

/// Does request value `v` match policy value `p` under the positive form of `base`? `None` when
/// `v` cannot be read as the operator's type.
fn value_matches(base: &str, p: &str, v: &str, variables: bool, ctx: &Ctx) -> Option<bool> {
    let cmp = |ord: std::cmp::Ordering| -> bool {
        use std::cmp::Ordering::*;
        match base.trim_start_matches("numeric").trim_start_matches("date") {
            "equals" | "notequals" => ord == Equal,
            "lessthan" => ord == Less,
            "lessthanequals" => ord != Greater,
            "greaterthan" => ord == Greater,
            "greaterthanequals" => ord != Less,
            _ => false,
        }
    };
    Some(match base {
        "stringequals" | "stringnotequals" => tokens(p, false, variables, ctx).is_some_and(|t| {
            let text: Vec<char> = v.chars().collect();
            t == text.into_iter().map(Tok::Ch).collect::<Vec<_>>()
        }),
        "stringequalsignorecase" | "stringnotequalsignorecase" => tokens(p, false, variables, ctx).is_some_and(|t| {
            let lower = |c: &char| c.to_ascii_lowercase();
            let text: Vec<Tok> = v.chars().map(|c| Tok::Ch(lower(&c))).collect();
            let pat: Vec<Tok> = t.iter().map(|t| if let Tok::Ch(c) = t { Tok::Ch(lower(c)) } else { *t }).collect();
            pat == text
        }),
        "stringlike" | "stringnotlike" => glob_text(p, v, true, variables, ctx),
        b if b.starts_with("numeric") => {
            let x = parse_number(v)?;
            let n = parse_number(p).unwrap_or(f64::NAN);
            x.partial_cmp(&n).is_some_and(cmp)
        }
        b if b.starts_with("date") => {
            let x = parse_date(v)?;
            parse_date(p).is_some_and(|d| cmp(x.cmp(&d)))
        }
        "bool" => {
            let x = parse_bool(v)?;
            // Policy variables work in `Bool` (D5).
            let rendered = tokens(p, false, variables, ctx)
                .map(|t| t.iter().map(|t| if let Tok::Ch(c) = t { *c } else { '*' }).collect::<String>());
            rendered.and_then(|r| parse_bool(&r)) == Some(x)
        }
        "ipaddress" | "notipaddress" => {
            let x = parse_ip(v)?;
            cidr_contains(p, x) == Some(true)
        }
        "arnequals" | "arnlike" | "arnnotequals" | "arnnotlike" => arn_matches(p, v, variables, ctx),
        _ => false,
    })
}

/// One operator, one key, its policy values (spec §5.4 truth table, D6, D8, D10).
fn condition(op: &str, key: &str, policy: &[String], variables: bool, ctx: &Ctx) -> Tri {
    let tri = |b: bool| if b { Tri::True } else { Tri::False };
    // Operator names are matched without regard to case (D23).
    let op = op.to_lowercase();
    let (qualifier, rest) = if let Some(r) = op.strip_prefix("forallvalues:") {
        ("all", r)
    } else if let Some(r) = op.strip_prefix("foranyvalue:") {
        ("any", r)
    } else {
        ("", op.as_str())
    };
    let (base, if_exists) = match rest.strip_suffix("ifexists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let values = ctx.get(key);
    if base == "null" {
        let absent = values.is_none();
        return tri(policy.iter().any(|p| parse_bool(p) == Some(absent)));
    }
    let negated = NEGATED.contains(&base);
    let Some(values) = values else {
        return tri(if_exists || qualifier == "all" || (qualifier.is_empty() && negated));
    };
    // Per request value: does it "pass" (for a negated operator: match none of the policy values)?
    // `None` when it cannot be read.
    let passes = |v: &String| -> Option<bool> {
        let mut any_match = false;
        for p in policy {
            any_match |= value_matches(base, p, v, variables, ctx)?;
        }
        Some(any_match != negated)
    };
    // D10: without a qualifier, positive means some value matches and negated means none does.
    let every = qualifier == "all" || (qualifier.is_empty() && negated);
    let mut per_value = Vec::new();
    for v in values {
        match passes(v) {
            Some(b) => per_value.push(b),
            // D8: one unreadable request value makes the whole condition unreadable.
            None => return Tri::Unreadable,
        }
    }
    tri(if every { per_value.iter().all(|&b| b) } else { per_value.iter().any(|&b| b) })
}

// ---------------------------------------------------------------------------------------------
// Policies and statements
// ---------------------------------------------------------------------------------------------

/// A string, number or boolean, or an array of them, as strings.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// How a resource policy's `Principal` reached the caller (spec §1.4); ordered weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    /// The account is named: it delegates to the account's own policies.
    Account,
    /// The session's role (or a federated user's parent): boundary and session policy still apply.
    RoleOrParent,
    /// The caller itself, or everyone (D12): nothing else has to allow.
    Direct,
}

/// One `Principal` entry, `(kind, value)`; `"Principal": "*"` is `("*", "*")`.
fn principal_entries(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::String(s) => vec![("*".to_string(), s.clone())],
        Value::Object(map) => map.iter().flat_map(|(k, v)| strings(v).into_iter().map(|s| (k.clone(), s))).collect(),
        _ => Vec::new(),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
}

/// The account an `"AWS"` value names as a whole (`"A"` or `arn:aws:iam::A:root`).
fn named_account(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    match split_arn(value)? {
        [_, "iam", _, account, "root"] => Some(account),
        _ => None,
    }
}

/// How one principal entry reaches the caller (spec §4.4, §1.4, D7, D12).
fn entry_grant(kind: &str, value: &str, who: &Who) -> Option<Grant> {
    match kind {
        "*" => Some(Grant::Direct),
        "Service" => match who {
            Who::Service(name) if name.eq_ignore_ascii_case(value) => Some(Grant::Direct),
            _ => None,
        },
        "AWS" => {
            if matches!(who, Who::Service(_)) {
                return None; // D7: `{"AWS": ...}` never names a service principal.
            }
            if value == "*" {
                return Some(Grant::Direct);
            }
            if let Some(account) = named_account(value) {
                return (who.account() == Some(account)).then_some(Grant::Account);
            }
            let [_, service, _, account, resource] = split_arn(value)?;
            let last = resource.rsplit('/').next().unwrap_or(resource);
            match (service, who) {
                ("iam", Who::User { arn, .. }) if resource.starts_with("user/") && arn == value => Some(Grant::Direct),
                ("iam", Who::Role { account: a, role_name, .. })
                    if resource.starts_with("role/") && a == account && role_name == last =>
                {
                    Some(Grant::RoleOrParent)
                }
                ("sts", Who::Role { .. }) if who.session_arn().as_deref() == Some(value) => Some(Grant::Direct),
                ("sts", Who::Federated { arn, .. }) if arn == value => Some(Grant::Direct),
                _ => None,
            }
        }
        _ => None,
    }
}

/// D13: is the caller exempt from a `NotPrincipal` deny? Only if every identity AWS validates for
/// it is listed.
fn not_principal_exempts(entries: &[(String, String)], who: &Who) -> bool {
    let aws = |pred: &dyn Fn(&str) -> bool| entries.iter().any(|(k, v)| k == "AWS" && pred(v));
    let account_listed = |account: &str| aws(&|v| named_account(v) == Some(account));
    let listed = |want: Grant| aws(&|v| named_account(v).is_none() && entry_grant("AWS", v, who) == Some(want));
    match who {
        _ if entries.iter().any(|(k, v)| k == "*" && v == "*") => true,
        // D7: `{"AWS": "*"}` lists every AWS identity and anonymous callers, but no service.
        Who::Service(_) => entries.iter().any(|(k, v)| entry_grant(k, v, who).is_some()),
        _ if aws(&|v| v == "*") => true,
        Who::Root { account } => account_listed(account),
        Who::User { account, .. } | Who::Federated { account, .. } => account_listed(account) && listed(Grant::Direct),
        Who::Role { account, session, .. } => {
            account_listed(account) && listed(Grant::RoleOrParent) && (session.is_none() || listed(Grant::Direct))
        }
        Who::Anonymous => false,
    }
}

/// What a set of policies said about the request.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    deny: bool,
    allow: bool,
    /// The strongest principal match among the applying `Allow` statements.
    grant: Option<Grant>,
}

struct Eval<'a> {
    req: &'a RefRequest,
    who: Who,
    ctx: Ctx,
    has_boundary: bool,
}

impl Eval<'_> {
    fn scan(&self, policies: &[String]) -> Scan {
        let mut out = Scan::default();
        for text in policies {
            let doc: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let variables = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
            let statements = match doc.get("Statement") {
                Some(Value::Array(list)) => list.clone(),
                Some(one) => vec![one.clone()],
                None => Vec::new(),
            };
            for stmt in &statements {
                let deny = stmt.get("Effect").and_then(Value::as_str) == Some("Deny");
                if let Some(grant) = self.statement_applies(stmt, deny, variables) {
                    if deny {
                        out.deny = true;
                    } else {
                        out.allow = true;
                        out.grant = out.grant.max(grant);
                    }
                }
            }
        }
        out
    }

    /// `None` if the statement does not apply; otherwise how its `Principal` reached the caller.
    fn statement_applies(&self, stmt: &Value, deny: bool, variables: bool) -> Option<Option<Grant>> {
        let (req, ctx) = (self.req, &self.ctx);
        // Action / NotAction: case-insensitive globs, no variables.
        let action = req.action.to_lowercase();
        let (not, list) = match (stmt.get("Action"), stmt.get("NotAction")) {
            (Some(a), _) => (false, strings(a)),
            (None, Some(a)) => (true, strings(a)),
            (None, None) => return None,
        };
        let hit = list.iter().any(|p| glob_text(&p.to_lowercase(), &action, true, false, ctx));
        if hit == not {
            return None;
        }
        // Resource / NotResource (absent only in trust policies).
        let resource = match (stmt.get("Resource"), stmt.get("NotResource")) {
            (Some(r), _) => Some((false, strings(r))),
            (None, Some(r)) => Some((true, strings(r))),
            (None, None) => None,
        };
        if let Some((not, list)) = resource {
            let hit =
                list.iter().any(|p| p == "*" || (req.resource != "*" && arn_matches(p, &req.resource, variables, ctx)));
            if hit == not {
                return None;
            }
        }
        // Principal / NotPrincipal.
        let grant = if let Some(p) = stmt.get("Principal") {
            // D56: a role trust policy naming an IAM user leaves the user's boundary in force.
            let trust = TRUST_ACTIONS.contains(&self.req.action.to_lowercase().as_str())
                && matches!(split_arn(&self.req.resource), Some([_, "iam", _, _, r]) if r.starts_with("role/"));
            let user_arn = |k: &str, v: &str| k == "AWS" && matches!(&self.who, Who::User { arn, .. } if arn == v);
            Some(
                principal_entries(p)
                    .iter()
                    .filter_map(|(k, v)| {
                        let g = entry_grant(k, v, &self.who)?;
                        Some(if trust && user_arn(k, v) { Grant::RoleOrParent } else { g })
                    })
                    .max()?,
            )
        } else if let Some(p) = stmt.get("NotPrincipal") {
            // D13: a caller with a permissions boundary is never exempted.
            if !self.has_boundary && not_principal_exempts(&principal_entries(p), &self.who) {
                return None;
            }
            Some(Grant::Direct)
        } else {
            None
        };
        // Condition: every operator and key must hold; an unreadable one holds for a Deny only (D8).
        if let Some(Value::Object(ops)) = stmt.get("Condition") {
            for (op, keys) in ops {
                let Value::Object(keys) = keys else { return None };
                for (key, values) in keys {
                    match condition(op, key, &strings(values), variables, ctx) {
                        Tri::True => {}
                        Tri::False => return None,
                        Tri::Unreadable if deny => {}
                        Tri::Unreadable => return None,
                    }
                }
            }
        }
        Some(grant)
    }
}

// ---------------------------------------------------------------------------------------------
// The decision (spec §1.3, §1.4, §2, §3; decisions D1, D2, D12-D19)
// ---------------------------------------------------------------------------------------------

/// Services whose resources RCPs restrict (spec §3.2).
const RCP_SERVICES: &[&str] = &["s3", "sts", "sqs", "kms", "secretsmanager", "dynamodb", "ecr", "logs", "cognito-idp"];

/// Actions authorized against a role's trust policy (spec §10.3, D16).
const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
];

/// Decides as the spec says.
pub(crate) fn decide(req: &RefRequest, pols: &RefPolicies) -> RefOutcome {
    let who = Who::parse(&req.principal);
    let action = req.action.to_lowercase();
    let service = action.split(':').next().unwrap_or("");

    // D18: `GetCallerIdentity` needs no permission.
    if action == "sts:getcalleridentity" && !matches!(who, Who::Anonymous) {
        return ("allowed", BTreeSet::new());
    }

    let resource_arn = split_arn(&req.resource);
    let is_trust = TRUST_ACTIONS.contains(&action.as_str())
        && matches!(resource_arn, Some([_, "iam", _, _, r]) if r.starts_with("role/"));
    let is_kms_key = service == "kms" && matches!(resource_arn, Some([.., r]) if r.starts_with("key/"));
    let is_root = matches!(who, Who::Root { .. });
    let is_iam = who.account().is_some();
    let is_federated = matches!(who, Who::Federated { .. });
    let is_session = matches!(who, Who::Role { .. } | Who::Federated { .. });
    let same_account = who.account() == Some(req.resource_account.as_str());
    let slr = who.is_service_linked();

    // Which policies apply (spec §1.5, D19).
    let scp_applies = is_iam && !slr;
    let rcp_applies = !slr && RCP_SERVICES.contains(&service) && action != "kms:retiregrant";
    let identity_applies = is_iam && !is_root;
    let has_boundary = identity_applies && pols.boundary.is_some();
    let session_given = is_session && !pols.session.is_empty();

    let ev = Eval { req, ctx: Ctx::build(req, &who), who, has_boundary };
    let one = |p: &Option<String>| p.iter().cloned().collect::<Vec<_>>();

    let mut explicit = BTreeSet::new();
    let mut failing = BTreeSet::new();
    // SCP and RCP levels: a Deny at any level denies; every SCP level needs an Allow (D2), every
    // RCP level has one (D58).
    for (name, levels, applies) in [("scp", &pols.scps, scp_applies), ("rcp", &pols.rcps, rcp_applies)] {
        for level in levels.iter().flatten().filter(|_| applies) {
            let s = ev.scan(level);
            if s.deny {
                explicit.insert(name);
            }
            // D58: every RCP level has RCPFullAWSAccess, which cannot be detached.
            if !s.allow && name == "scp" {
                failing.insert(name);
            }
        }
    }
    if pols.vpc_endpoint.is_some() {
        let s = ev.scan(&one(&pols.vpc_endpoint));
        if s.deny {
            explicit.insert("vpcEndpoint");
        }
        if !s.allow {
            failing.insert("vpcEndpoint");
        }
    }
    let rbp = ev.scan(&one(&pols.resource));
    let id = if identity_applies { ev.scan(&pols.identity) } else { Scan::default() };
    let pb = if has_boundary { ev.scan(&one(&pols.boundary)) } else { Scan::default() };
    let sp = if session_given { ev.scan(&pols.session) } else { Scan::default() };
    for (name, s) in [("resource", rbp), ("identity", id), ("permissionsBoundary", pb), ("session", sp)] {
        if s.deny {
            explicit.insert(name);
        }
    }
    // Step 2: any explicit deny is final.
    if !explicit.is_empty() {
        return ("explicitDeny", explicit);
    }

    // Steps 6-9: the grant and the policies that limit it.
    // D52: a KMS key without a key policy allows no one, as a role without a trust policy (D16).
    let grant = rbp.grant;
    let identity_ok = is_root || id.allow;
    let boundary_ok = !has_boundary || pb.allow;
    // D1: a role session without session policies passes; a federated user without one does not.
    let session_ok = if session_given { sp.allow } else { !is_federated };
    let resource_must_allow = is_trust || is_kms_key;

    let mut gaps: Vec<&'static str> = Vec::new();
    let limits = |gaps: &mut Vec<&'static str>| {
        if !boundary_ok {
            gaps.push("permissionsBoundary");
        }
        if !session_ok {
            gaps.push("session");
        }
    };
    if !is_iam {
        // Services and anonymous callers have no identity policies: only the resource policy grants.
        if grant.is_none() {
            gaps.push("resource");
        }
    } else if !same_account {
        // Spec §2: the principal's account and the resource's account must both allow.
        if !identity_ok {
            gaps.push("identity");
        }
        limits(&mut gaps);
        if grant.is_none() {
            gaps.push("resource");
        }
    } else {
        match grant {
            Some(Grant::Direct) => {}
            Some(Grant::RoleOrParent) => limits(&mut gaps),
            None if resource_must_allow => gaps.push("resource"),
            Some(Grant::Account) | None => {
                if !identity_ok {
                    gaps.push("identity");
                }
                limits(&mut gaps);
            }
        }
    }
    if is_trust && is_root {
        gaps.push("identity"); // D17: the root user cannot assume a role.
    }
    failing.extend(gaps);
    if failing.is_empty() { ("allowed", BTreeSet::new()) } else { ("implicitDeny", failing) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx { keys: BTreeMap::from([("aws:username".to_string(), vec!["bob".to_string()])]) }
    }

    #[test]
    fn reference_globs_and_dates() {
        assert!(glob_str("b/*/test/*", "b/1/2/test/3/o.jpg"));
        assert!(!glob_str("b/*/test/*", "b/test/o.jpg"));
        assert!(glob_str("a?c", "abc") && !glob_str("a?c", "ac"));
        assert!(arn_matches("arn:aws:s3:::b/home/${aws:username}/*", "arn:aws:s3:::b/home/bob/x", true, &ctx()));
        assert!(!arn_matches("arn:aws:s3:::b/home/${aws:username}/*", "arn:aws:s3:::b/home/bob/x", false, &ctx()));
        assert!(arn_matches("arn:aws:sqs", "arn:aws:sqs:us-east-1:111122223333:q", true, &ctx()));
        assert!(!arn_matches("arn:aws:lambda:*:*:function:f", "arn:aws:lambda:r:1:function:f:alias", true, &ctx()));
        assert!(arn_matches("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::1:user/bob", true, &ctx()));
        let a = parse_date("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_date("2020"), Some(a));
        assert_eq!(parse_date("2020-01"), Some(a));
        assert_eq!(parse_date("1577836800"), Some(a));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(a));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(a));
        assert!(parse_date("2020-01-01T00:00:00.5Z").unwrap() > a);
        assert_eq!(parse_date("junk"), None);
        assert_eq!(cidr_contains("10.1.2.3/16", parse_ip("10.1.99.1").unwrap()), Some(true));
        assert_eq!(cidr_contains("0.0.0.0/0", parse_ip("8.8.8.8").unwrap()), Some(true));
        assert_eq!(cidr_contains("2001:db8::/32", parse_ip("10.0.0.1").unwrap()), Some(false));
    }
}
