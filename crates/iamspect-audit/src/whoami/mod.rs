//! `whoami`: which principal a call of the AWS CLI would be made as, resolved offline from the
//! environment and the shared `config` and `credentials` files, in botocore's order: environment
//! variables; a `role_arn` profile with `source_profile` or `credential_source`; web identity
//! (`AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`, or a profile's `web_identity_token_file`); IAM
//! Identity Center (`sso_session` or `sso_start_url`); keys in the credentials file; a
//! `credential_process` (named, never run); keys in the config file; the container credentials
//! endpoint; instance metadata.
//!
//! Nothing here calls AWS, runs a process or keeps a secret: secret keys, session tokens, SSO
//! access tokens and web identity tokens are read only to learn that they exist and when they
//! expire. What cannot be known offline (the user a long-term key belongs to, the session name the
//! CLI makes up) is said to be unknown, never guessed.

pub mod ini;

use std::collections::BTreeMap;

use base64::Engine as _;
use jiff::Timestamp;
use sha1::Digest as _;

/// What resolution reads: the environment, the two files' texts, the clock, and a reader for the
/// other files the chain names (the SSO token cache, web identity token files).
pub struct Inputs<'a> {
    /// Environment variables (only `AWS_*` and `HOME` are read).
    pub env: &'a BTreeMap<String, String>,
    /// `--profile`, which (as in the CLI) also sets the environment's keys aside.
    pub profile_flag: Option<&'a str>,
    /// The config file's path and text (`None` when it does not exist).
    pub config: Option<(&'a str, &'a str)>,
    /// The credentials file's path and text.
    pub credentials: Option<(&'a str, &'a str)>,
    /// Now.
    pub now: Timestamp,
    /// Reads a file the chain names; `Err` when it cannot be read.
    pub read: &'a dyn Fn(&str) -> Result<String, String>,
}

/// The answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The profile used (`None` when the environment's keys are used and no profile is named).
    pub profile: Option<String>,
    /// Where the profile name came from: `--profile`, `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, `default`.
    pub profile_from: &'static str,
    /// The principal a call would be made as: an exact ARN, or (when `exact` is false) an ARN with
    /// `*` where a part is not known offline, or `None` when nothing of it is known.
    pub principal: Option<String>,
    /// True when `principal` is exact.
    pub exact: bool,
    /// Why the principal is not exactly known.
    pub unknown: Option<String>,
    /// Where the credentials come from, in a phrase.
    pub source: String,
    /// Each step of the chain, first the profile asked for.
    pub chain: Vec<String>,
    /// Whether the credentials look expired: `None` when it cannot be told offline.
    pub expired: Option<bool>,
    /// When they expire (or expired), if known.
    pub expires_at: Option<String>,
    /// Why `expired` is what it is.
    pub expiry_note: String,
    /// The access key id in use, if any (not a secret; printed masked all the same).
    pub access_key_id: Option<String>,
    /// For a role: its ARN.
    pub role_arn: Option<String>,
    /// For IAM Identity Center: the account and the permission set's role name.
    pub sso: Option<(String, String)>,
}

fn env<'a>(inputs: &'a Inputs<'_>, key: &str) -> Option<&'a str> {
    inputs.env.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

/// `~/...` expanded with `HOME`.
pub fn expand(path: &str, env: &BTreeMap<String, String>) -> String {
    match (path.strip_prefix("~/"), env.get("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
        _ => path.to_string(),
    }
}

struct Files {
    config: ini::Sections,
    credentials: ini::Sections,
    config_path: String,
    credentials_path: String,
}

impl Files {
    /// The profile's settings: the config file's `[profile NAME]` (or `[default]`), with the
    /// credentials file's `[NAME]` over it, as botocore merges them.
    fn profile(&self, name: &str) -> Option<BTreeMap<String, String>> {
        let cfg = if name == "default" {
            self.config.get("default").or_else(|| self.config.get("profile default"))
        } else {
            self.config.get(&format!("profile {name}"))
        };
        let creds = self.credentials.get(name);
        if cfg.is_none() && creds.is_none() {
            return None;
        }
        let mut out = cfg.cloned().unwrap_or_default();
        if let Some(c) = creds {
            out.extend(c.clone());
        }
        Some(out)
    }

    fn in_credentials_file(&self, name: &str, key: &str) -> bool {
        self.credentials.get(name).is_some_and(|s| s.contains_key(key))
    }
}

/// The role session ARN of a role ARN (`arn:P:iam::A:role/PATH/NAME` → `arn:P:sts::A:assumed-role/NAME/SESSION`).
fn session_arn(role_arn: &str, session: &str) -> Result<String, String> {
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] if resource.starts_with("role/") => {
            let name = resource.rsplit('/').next().unwrap_or_default();
            Ok(format!("arn:{partition}:sts::{account}:assumed-role/{name}/{session}"))
        }
        _ => Err(format!("`role_arn = {role_arn}` is not a role ARN (`arn:aws:iam::ACCOUNT:role/NAME`)")),
    }
}

fn role_principal(id: &mut Identity, role_arn: &str, session: Option<&str>, generated: &str) -> Result<(), String> {
    id.role_arn = Some(role_arn.to_string());
    match session {
        Some(s) => {
            id.principal = Some(session_arn(role_arn, s)?);
            id.exact = true;
        }
        None => {
            id.principal = Some(session_arn(role_arn, "*")?);
            id.exact = false;
            id.unknown = Some(format!(
                "no `role_session_name` is set, so the CLI names the session `{generated}` when it calls"
            ));
        }
    }
    Ok(())
}

fn key_principal(id: &mut Identity, key_id: &str) {
    id.access_key_id = Some(key_id.to_string());
    id.principal = None;
    id.exact = false;
    if key_id.starts_with("ASIA") {
        id.unknown = Some(
            "a temporary (`ASIA`) key's session is known only to AWS (`aws sts get-caller-identity` asks it)"
                .to_string(),
        );
    } else {
        id.unknown = Some(
            "a long-term access key names its user (or the root user) only to AWS; give `--account-data` with the `aws iam list-access-keys` output of the users to look it up".to_string(),
        );
    }
}

fn timestamp(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().or_else(|| {
        // The CLI's caches also write `2026-01-02T03:04:05UTC`.
        text.strip_suffix("UTC").and_then(|t| format!("{t}Z").parse::<Timestamp>().ok())
    })
}

fn set_expiry(id: &mut Identity, at: Timestamp, now: Timestamp, what: &str) {
    id.expires_at = Some(at.to_string());
    id.expired = Some(at <= now);
    id.expiry_note = if at <= now { format!("{what} expired at {at}") } else { format!("{what} expires at {at}") };
}

/// Resolves the chain. `Err` is what the CLI would fail with (a profile that does not exist, a
/// loop of `source_profile`s, a key id without its secret), or a file that does not parse.
pub fn resolve(inputs: &Inputs<'_>) -> Result<Identity, String> {
    let files = Files {
        config: match inputs.config {
            Some((path, text)) => ini::parse(text, path)?,
            None => ini::Sections::new(),
        },
        credentials: match inputs.credentials {
            Some((path, text)) => ini::parse(text, path)?,
            None => ini::Sections::new(),
        },
        config_path: inputs.config.map_or_else(|| "~/.aws/config".to_string(), |(p, _)| p.to_string()),
        credentials_path: inputs.credentials.map_or_else(|| "~/.aws/credentials".to_string(), |(p, _)| p.to_string()),
    };
    let explicit = inputs.profile_flag.is_some();
    let (name, from) = match (inputs.profile_flag, env(inputs, "AWS_PROFILE"), env(inputs, "AWS_DEFAULT_PROFILE")) {
        (Some(p), _, _) => (p.to_string(), "--profile"),
        (None, Some(a), Some(b)) if a != b => {
            return Err(format!(
                "AWS_PROFILE is `{a}` and AWS_DEFAULT_PROFILE is `{b}`: the AWS CLI and the SDKs do not agree which wins, so unset one"
            ));
        }
        (None, Some(a), _) => (a.to_string(), "AWS_PROFILE"),
        (None, None, Some(b)) => (b.to_string(), "AWS_DEFAULT_PROFILE"),
        (None, None, None) => ("default".to_string(), "default"),
    };
    let mut id = Identity { profile_from: from, ..Identity::default() };
    // 1. The environment's keys, unless `--profile` was given.
    if !explicit {
        let key = env(inputs, "AWS_ACCESS_KEY_ID");
        let secret = env(inputs, "AWS_SECRET_ACCESS_KEY");
        match (key, secret) {
            (Some(k), Some(_)) => {
                id.source = "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)".to_string();
                id.chain.push(id.source.clone());
                key_principal(&mut id, k);
                expiry_of_keys(&mut id, k, env(inputs, "AWS_CREDENTIAL_EXPIRATION"), inputs.now)?;
                return Ok(id);
            }
            (Some(_), None) => return Err("AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY".to_string()),
            (None, Some(_)) => return Err("AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID".to_string()),
            (None, None) => {}
        }
    }
    let profile = files.profile(&name);
    if profile.is_none() && from != "default" {
        return Err(format!(
            "the profile `{name}` (from {from}) is in neither {} nor {}",
            files.config_path, files.credentials_path
        ));
    }
    id.profile = Some(name.clone());
    let mut visited = vec![name.clone()];
    resolve_profile(inputs, &files, &name, profile.unwrap_or_default(), explicit, &mut id, &mut visited)?;
    Ok(id)
}

fn expiry_of_keys(id: &mut Identity, key: &str, expiration: Option<&str>, now: Timestamp) -> Result<(), String> {
    match expiration {
        Some(e) => {
            let at = timestamp(e).ok_or_else(|| format!("the expiration `{e}` is not a time"))?;
            set_expiry(id, at, now, "the credentials");
        }
        None if key.starts_with("ASIA") => {
            id.expired = None;
            id.expiry_note =
                "temporary credentials without an expiration given: when they expire is known only to AWS".to_string();
        }
        None => {
            id.expired = Some(false);
            id.expiry_note =
                "long-term access keys do not expire (they may still be deactivated or deleted)".to_string();
        }
    }
    Ok(())
}

fn resolve_profile(
    inputs: &Inputs<'_>,
    files: &Files,
    name: &str,
    p: BTreeMap<String, String>,
    explicit: bool,
    id: &mut Identity,
    visited: &mut Vec<String>,
) -> Result<(), String> {
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // 2. A role assumed with a source profile or a credential source.
    if let Some(role_arn) = get("role_arn")
        && (get("source_profile").is_some() || get("credential_source").is_some())
    {
        id.chain.push(format!("profile `{name}`: assume role {role_arn}"));
        if get("source_profile").is_some() && get("credential_source").is_some() {
            return Err(format!("profile `{name}` has both `source_profile` and `credential_source`"));
        }
        let session = get("role_session_name");
        // Resolve the source first, then the role's own answer over it.
        let mut source = Identity::default();
        if let Some(src) = get("source_profile") {
            let sp = files.profile(src).ok_or_else(|| {
                format!("profile `{name}` names `source_profile = {src}`, which is in neither config nor credentials")
            })?;
            let self_static = src == name;
            if visited.iter().any(|v| v == src) && !self_static {
                return Err(format!("`source_profile` loops: {} -> {src}", visited.join(" -> ")));
            }
            visited.push(src.to_string());
            if self_static {
                // A profile that names itself uses its own keys (botocore's rule).
                static_keys(files, src, &sp, &mut source, inputs.now)?;
            } else {
                resolve_profile(inputs, files, src, sp, explicit, &mut source, visited)?;
            }
        } else if let Some(cs) = get("credential_source") {
            credential_source(inputs, cs, &mut source)?;
        }
        id.chain.extend(source.chain.iter().cloned());
        id.source = format!("assume role {role_arn} with the credentials of {}", source.source);
        role_principal(id, role_arn, session, "botocore-session-<epoch seconds>")?;
        id.expired = source.expired;
        id.expires_at = None;
        id.expiry_note = match source.expired {
            Some(true) => format!(
                "the CLI assumes the role at call time, and the source credentials it would use are expired ({})",
                source.expiry_note
            ),
            Some(false) => format!(
                "the CLI assumes the role at call time with source credentials that have not expired ({})",
                source.expiry_note
            ),
            None => format!("the role's session is made at call time; the source: {}", source.expiry_note),
        };
        if let Some(mfa) = get("mfa_serial") {
            id.expiry_note.push_str(&format!("; the CLI asks for a code of MFA device {mfa} first"));
        }
        return Ok(());
    }
    // 3. Web identity: each setting from the environment (unless `--profile`), else from the
    // profile, key by key as botocore reads them.
    let setting = |env_key: &str, key: &str| if explicit { None } else { env(inputs, env_key) }.or_else(|| get(key));
    let w_file = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
    let w_role = setting("AWS_ROLE_ARN", "role_arn");
    let w_session = setting("AWS_ROLE_SESSION_NAME", "role_session_name");
    if let Some(file) = w_file {
        let role = w_role.ok_or_else(|| format!("a web identity token file ({file}) is set without a role ARN"))?;
        id.source = format!("web identity token file {file}, assuming {role}");
        id.chain.push(id.source.clone());
        role_principal(id, role, w_session, "botocore-session-<epoch seconds>")?;
        web_identity_expiry(inputs, id, file);
        return Ok(());
    }
    // 4. IAM Identity Center.
    if get("sso_session").is_some() || get("sso_start_url").is_some() {
        return sso(inputs, files, name, &p, id);
    }
    // 5. Keys in the credentials file.
    if files.in_credentials_file(name, "aws_access_key_id") {
        return static_keys(files, name, &p, id, inputs.now);
    }
    // 6. A credential process: named, never run.
    if let Some(cmd) = get("credential_process") {
        let program = cmd.split_whitespace().next().unwrap_or_default();
        id.source = format!("credential_process of profile `{name}` (the program `{program}`; not run here)");
        id.chain.push(id.source.clone());
        id.unknown = Some("the credentials come from a program iamspect does not run".to_string());
        id.expiry_note = "the program decides, when it runs".to_string();
        return Ok(());
    }
    // 7. Keys in the config file.
    if get("aws_access_key_id").is_some() {
        return static_keys(files, name, &p, id, inputs.now);
    }
    // 8. and 9. The container endpoint and instance metadata.
    if env(inputs, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env(inputs, "AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        id.source = "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*_URI)".to_string();
        id.chain.push(id.source.clone());
        id.unknown = Some("the task or pod role is known only to the endpoint, which is not asked".to_string());
        id.expiry_note = "the endpoint decides".to_string();
        return Ok(());
    }
    if env(inputs, "AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(format!(
            "no credentials: profile `{name}` names none, and instance metadata is disabled (AWS_EC2_METADATA_DISABLED)"
        ));
    }
    id.source = "instance metadata (IMDS), as the last step of the chain".to_string();
    id.chain.push(id.source.clone());
    id.unknown = Some(format!(
        "profile `{name}` names no credentials, so the CLI would ask the instance metadata service, which is not asked offline (on a machine that is not an EC2 instance the call fails)"
    ));
    id.expiry_note = "the instance metadata service decides".to_string();
    Ok(())
}

fn static_keys(
    files: &Files,
    name: &str,
    p: &BTreeMap<String, String>,
    id: &mut Identity,
    now: Timestamp,
) -> Result<(), String> {
    let key = p.get("aws_access_key_id").filter(|v| !v.is_empty());
    let secret = p.get("aws_secret_access_key").filter(|v| !v.is_empty());
    let (Some(key), Some(_)) = (key, secret) else {
        return Err(format!(
            "profile `{name}` gives `aws_access_key_id` and `aws_secret_access_key` only in part (both are needed)"
        ));
    };
    let file =
        if files.in_credentials_file(name, "aws_access_key_id") { &files.credentials_path } else { &files.config_path };
    id.source = format!("access key in {file} [{name}]");
    id.chain.push(id.source.clone());
    key_principal(id, key);
    // `aws_credential_expiration` is not a setting the CLI reads from files; a session token
    // means temporary keys.
    let key_kind = if p.contains_key("aws_session_token") && !key.starts_with("ASIA") { "ASIA" } else { key };
    expiry_of_keys(id, key_kind, None, now)
}

fn credential_source(inputs: &Inputs<'_>, source: &str, id: &mut Identity) -> Result<(), String> {
    match source {
        "Environment" => {
            let key = env(inputs, "AWS_ACCESS_KEY_ID")
                .ok_or("`credential_source = Environment` but AWS_ACCESS_KEY_ID is not set")?;
            env(inputs, "AWS_SECRET_ACCESS_KEY")
                .ok_or("`credential_source = Environment` but AWS_SECRET_ACCESS_KEY is not set")?;
            id.source = "environment variables (credential_source = Environment)".to_string();
            id.chain.push(id.source.clone());
            key_principal(id, key);
            expiry_of_keys(id, key, env(inputs, "AWS_CREDENTIAL_EXPIRATION"), inputs.now)
        }
        "EcsContainer" | "Ec2InstanceMetadata" => {
            id.source = format!("credential_source = {source}");
            id.chain.push(id.source.clone());
            id.expiry_note = "the endpoint decides".to_string();
            Ok(())
        }
        other => Err(format!(
            "`credential_source = {other}` is not one the CLI knows (Environment, EcsContainer, Ec2InstanceMetadata)"
        )),
    }
}

fn web_identity_expiry(inputs: &Inputs<'_>, id: &mut Identity, file: &str) {
    let path = expand(file, inputs.env);
    let token = match (inputs.read)(&path) {
        Ok(t) => t,
        Err(e) => {
            id.expired = None;
            id.expiry_note = format!("the token file cannot be read ({e})");
            return;
        }
    };
    // The payload's `exp`; the token is read, never printed or verified here.
    let exp = token
        .trim()
        .split('.')
        .nth(1)
        .and_then(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("exp").and_then(serde_json::Value::as_i64))
        .and_then(|e| Timestamp::from_second(e).ok());
    match exp {
        Some(at) => set_expiry(id, at, inputs.now, "the web identity token"),
        None => {
            id.expired = None;
            id.expiry_note = "the token file does not hold a JWT with an `exp` claim".to_string();
        }
    }
}

fn sha1_hex(text: &str) -> String {
    let digest = sha1::Sha1::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn sso(
    inputs: &Inputs<'_>,
    files: &Files,
    name: &str,
    p: &BTreeMap<String, String>,
    id: &mut Identity,
) -> Result<(), String> {
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let account = get("sso_account_id").ok_or_else(|| format!("SSO profile `{name}` has no `sso_account_id`"))?;
    let role = get("sso_role_name").ok_or_else(|| format!("SSO profile `{name}` has no `sso_role_name`"))?;
    // The token cache's file: the SHA-1 of the session name (`sso_session`) or of the start URL
    // (the legacy form), as the CLI names it.
    let (cache_key, what, refreshable) = match get("sso_session") {
        Some(s) => {
            let section = files.config.get(&format!("sso-session {s}")).ok_or_else(|| {
                format!("profile `{name}` names `sso_session = {s}`, but there is no [sso-session {s}]")
            })?;
            if !section.contains_key("sso_start_url") {
                return Err(format!("[sso-session {s}] has no `sso_start_url`"));
            }
            (s.to_string(), format!("SSO session `{s}`"), true)
        }
        None => {
            let url = get("sso_start_url").unwrap_or_default();
            (url.to_string(), format!("SSO start URL {url}"), false)
        }
    };
    id.sso = Some((account.to_string(), role.to_string()));
    id.source = format!("IAM Identity Center ({what}), permission set `{role}` in account {account}");
    id.chain.push(id.source.clone());
    id.principal = Some(format!("arn:aws:sts::{account}:assumed-role/AWSReservedSSO_{role}_*/*"));
    id.exact = false;
    id.unknown = Some(
        "Identity Center names the role `AWSReservedSSO_<permission set>_<hex>` and the session after the signed-in user; neither is in the local files".to_string(),
    );
    let home = inputs.env.get("HOME").map(String::as_str).unwrap_or("~");
    let path = format!("{}/.aws/sso/cache/{}.json", home.trim_end_matches('/'), sha1_hex(&cache_key));
    let cached =
        (inputs.read)(&path).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()).and_then(|v| {
            let at = v.get("expiresAt").and_then(serde_json::Value::as_str).and_then(timestamp)?;
            Some((at, v.get("refreshToken").is_some()))
        });
    match cached {
        None => {
            id.expired = Some(true);
            id.expiry_note = format!(
                "no SSO token in the cache ({path}): the CLI would fail until `aws sso login --profile {name}`"
            );
        }
        Some((at, has_refresh)) => {
            set_expiry(id, at, inputs.now, "the SSO access token");
            if at <= inputs.now && refreshable && has_refresh {
                id.expired = None;
                id.expiry_note
                    .push_str("; the CLI may renew it with the cached refresh token, which is not tried offline");
            }
        }
    }
    Ok(())
}

/// The access key id as the AWS CLI's `configure list` shows it: all but the last four characters
/// masked.
pub fn masked(key: &str) -> String {
    let n = key.chars().count();
    let tail: String = key.chars().skip(n.saturating_sub(4)).collect();
    format!("{}{tail}", "*".repeat(n.saturating_sub(4)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use std::collections::BTreeMap;

    use super::{Inputs, masked, resolve, session_arn};

    fn run(env: &[(&str, &str)], config: &str, credentials: &str) -> Result<super::Identity, String> {
        let env: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let read = |_: &str| Err("absent".to_string());
        resolve(&Inputs {
            env: &env,
            profile_flag: None,
            config: Some(("config", config)),
            credentials: Some(("credentials", credentials)),
            now: "2026-12-01T00:00:00Z".parse().unwrap(),
            read: &read,
        })
    }

    #[test]
    fn session_arns_drop_the_role_path() {
        assert_eq!(
            session_arn("arn:aws:iam::111122223333:role/a/b/Deploy", "s").unwrap(),
            "arn:aws:sts::111122223333:assumed-role/Deploy/s"
        );
        assert!(session_arn("arn:aws:iam::111122223333:user/x", "s").is_err());
        assert_eq!(masked("AKIAIOSFODNN7EXAMPLE"), "****************MPLE");
    }

    #[test]
    fn chains_resolve_in_botocores_order() {
        let creds = "[default]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n";
        let id = run(&[], "", creds).unwrap();
        assert_eq!(id.principal, None);
        assert_eq!(id.expired, Some(false));
        let id =
            run(&[("AWS_PROFILE", "p")], "[profile p]\ncredential_process = /usr/bin/get-creds --arg\n", "").unwrap();
        assert!(id.source.contains("`/usr/bin/get-creds`") && !id.source.contains("--arg"));
        let id = run(
            &[("AWS_PROFILE", "p")],
            "[profile p]\nrole_arn = arn:aws:iam::111122223333:role/R\ncredential_source = Environment\nrole_session_name = me\n",
            "",
        );
        assert!(id.unwrap_err().contains("AWS_ACCESS_KEY_ID"));
        let id = run(&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")], "", "");
        assert!(id.is_err());
        // No credentials anywhere: instance metadata, unknown.
        let id = run(&[], "", "").unwrap();
        assert!(id.source.contains("instance metadata") && id.expired.is_none());
        let id = run(&[("AWS_EC2_METADATA_DISABLED", "true")], "", "");
        assert!(id.is_err());
        // SSO without a cache file: the CLI would fail until `aws sso login`.
        let id = run(
            &[("AWS_PROFILE", "s")],
            "[profile s]\nsso_start_url = https://x.awsapps.com/start\nsso_account_id = 111122223333\nsso_role_name = Dev\n",
            "",
        )
        .unwrap();
        assert_eq!(id.expired, Some(true));
        assert_eq!(id.sso, Some(("111122223333".to_string(), "Dev".to_string())));
    }
}
