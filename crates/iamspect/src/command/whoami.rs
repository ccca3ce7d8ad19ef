//! `iamspect whoami [--profile P] [--account-data D]`: which principal an AWS CLI call would be
//! made as, from which profile, and whether its credentials look expired, resolved offline from the
//! environment and the shared config and credentials files (`iamspect_audit::whoami`); with
//! account data, the principal's policies. It never prints a secret: secret keys, session tokens,
//! SSO and web identity tokens are not shown, and the access key id is masked as the CLI's
//! `configure list` masks it (decision D112).
//!
//! Exit codes: 0 the principal is known exactly; 1 it is not (unknown or a pattern) or the
//! credentials look expired; 2 bad input (a profile that does not exist, a file that does not
//! parse).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamspect_audit::whoami::{Identity, Inputs, expand, masked, resolve};
use iamspect_case::Timestamp;
use serde_json::{Value, json};

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The profile, as the CLI's `--profile` (which also sets the environment's keys aside).
    #[arg(long)]
    profile: Option<String>,
    /// Account data: the principal's policies, and `aws iam list-access-keys` outputs to tell whose
    /// long-term key is in use. One path per flag: repeat the flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',')]
    account_data: Vec<PathBuf>,
    /// The time expiry is judged at (RFC 3339). Default: the wall clock, which the output names.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// The largest file read (config files, token caches).
const MAX_BYTES: u64 = 4 << 20;

fn read_small(path: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_BYTES {
        return Err(format!("{path} is {} bytes; at most {MAX_BYTES} are read", meta.len()));
    }
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}

/// The file at `env_key` or `~/.aws/NAME`: its path and text, `None` when it does not exist.
fn aws_file(env: &BTreeMap<String, String>, env_key: &str, name: &str) -> Result<Option<(String, String)>, String> {
    let path = match env.get(env_key).filter(|v| !v.is_empty()) {
        Some(p) => expand(p, env),
        None => match env.get("HOME") {
            Some(home) => format!("{}/.aws/{name}", home.trim_end_matches('/')),
            None => return Ok(None),
        },
    };
    if !Path::new(&path).exists() {
        if env.contains_key(env_key) {
            return Err(format!("{env_key} names {path}, which does not exist"));
        }
        return Ok(None);
    }
    read_small(&path).map(|t| Some((path.clone(), t))).map_err(|e| format!("{path}: {e}"))
}

/// `AccessKeyMetadata` of `aws iam list-access-keys` outputs among the account data's files:
/// access key id to user name.
fn access_keys(paths: &[PathBuf]) -> BTreeMap<String, String> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            if let Ok(entries) = std::fs::read_dir(p) {
                let mut list: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                list.sort();
                for e in list {
                    walk(&e, out);
                }
            }
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p.to_path_buf());
        }
    }
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files);
    }
    let mut out = BTreeMap::new();
    for f in files {
        let Ok(text) = read_small(&f.display().to_string()) else { continue };
        if !text.contains("AccessKeyMetadata") {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
        for k in v.get("AccessKeyMetadata").and_then(Value::as_array).into_iter().flatten() {
            if let (Some(id), Some(user)) =
                (k.get("AccessKeyId").and_then(Value::as_str), k.get("UserName").and_then(Value::as_str))
            {
                out.insert(id.to_string(), user.to_string());
            }
        }
    }
    out
}

/// What the account data adds: the principal (for a listed key or an SSO role) and its policies.
fn with_account_data(id: &mut Identity, paths: &[PathBuf]) -> Result<Option<Value>, String> {
    let data = super::account::load(paths)?;
    let mut subject: Option<String> = None;
    let keys = access_keys(paths);
    if let Some(user) = id.access_key_id.as_ref().and_then(|key| keys.get(key)) {
        let arns: Vec<String> =
            data.accounts.values().filter_map(|a| a.users.get(user)).map(|u| u.arn.clone()).collect();
        match arns.as_slice() {
            [arn] => {
                id.principal = Some(arn.clone());
                id.exact = true;
                id.unknown = None;
                subject = Some(arn.clone());
            }
            [] => id.unknown = Some(format!("the key belongs to user `{user}`, who is in no loaded account")),
            _ => id.unknown = Some(format!("the key belongs to a user `{user}`, and several loaded accounts have one")),
        }
    }
    if let Some(role) = &id.role_arn {
        subject = Some(role.clone());
    }
    if let Some((account, set)) = &id.sso {
        let prefix = format!("AWSReservedSSO_{set}_");
        let roles: Vec<&iamspect_account::Role> = data
            .accounts
            .get(account)
            .map(|a| a.roles.values().filter(|r| r.name.starts_with(&prefix)).collect())
            .unwrap_or_default();
        if let [role] = roles.as_slice() {
            id.principal = Some(format!("arn:aws:sts::{account}:assumed-role/{}/*", role.name));
            id.unknown = Some(
                "the session is named after the signed-in Identity Center user, who is not in the local files"
                    .to_string(),
            );
            subject = Some(role.arn.clone());
        }
    }
    let Some(subject) = subject else { return Ok(None) };
    let resolved = match data.resolve_principal(&subject) {
        Ok(r) => r,
        // Not in the loaded data (another account, or a role ARN written without its path): said,
        // not fatal, since the principal itself is still what the files give.
        Err(e) => return Ok(Some(json!({"principal": subject, "unknown": e.to_string()}))),
    };
    Ok(Some(json!({
        "principal": subject,
        "identity": resolved.identity.iter().map(|d| json!({"name": d.name, "document": serde_json::from_str::<Value>(&d.document).unwrap_or(Value::String(d.document.clone()))})).collect::<Vec<_>>(),
        "permissionsBoundary": resolved.boundary.as_ref().map(|d| d.name.clone()),
        "scpLevels": resolved.scps.as_ref().map(Vec::len),
    })))
}

pub(crate) fn run(args: Args) -> u8 {
    let go = || -> Result<(Identity, Timestamp, bool, Option<Value>), String> {
        let env: BTreeMap<String, String> =
            std::env::vars().filter(|(k, _)| k.starts_with("AWS_") || k == "HOME").collect();
        let (now, given) = match &args.now {
            Some(n) => (n.parse::<Timestamp>().map_err(|e| format!("`--now {n}` is not an RFC 3339 time: {e}"))?, true),
            None => (Timestamp::now(), false),
        };
        let config = aws_file(&env, "AWS_CONFIG_FILE", "config")?;
        let credentials = aws_file(&env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")?;
        let reader = |p: &str| read_small(p);
        let inputs = Inputs {
            env: &env,
            profile_flag: args.profile.as_deref(),
            config: config.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            credentials: credentials.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            now,
            read: &reader,
        };
        let mut id = resolve(&inputs)?;
        let policies =
            if args.account_data.is_empty() { None } else { with_account_data(&mut id, &args.account_data)? };
        Ok((id, now, given, policies))
    };
    let (id, now, given, policies) = match go() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let key = id.access_key_id.as_deref().map(masked);
    match args.format {
        Format::Json => {
            let mut v = json!({
                "profile": id.profile,
                "profileFrom": id.profile_from,
                "principal": id.principal,
                "exact": id.exact,
                "unknown": id.unknown,
                "source": id.source,
                "chain": id.chain,
                "expired": id.expired,
                "expiresAt": id.expires_at,
                "expiryNote": id.expiry_note,
                "accessKeyId": key,
                "time": {"value": now.to_string(), "given": given},
            });
            if let Some(p) = policies {
                v["policies"] = p;
            }
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            crate::output::print(&s);
        }
        Format::Text => {
            let mut out = String::new();
            match &id.profile {
                Some(p) => out.push_str(&format!("profile    {p} (from {})\n", id.profile_from)),
                None => out.push_str("profile    none (the environment's keys are used)\n"),
            }
            match (&id.principal, id.exact) {
                (Some(p), true) => out.push_str(&format!("principal  {p}\n")),
                (Some(p), false) => {
                    out.push_str(&format!("principal  {p} (not exact: {})\n", id.unknown.as_deref().unwrap_or("")))
                }
                (None, _) => out.push_str(&format!("principal  unknown: {}\n", id.unknown.as_deref().unwrap_or(""))),
            }
            out.push_str(&format!("source     {}\n", id.source));
            if let Some(k) = &key {
                out.push_str(&format!("key        {k}\n"));
            }
            let expired = match id.expired {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            };
            out.push_str(&format!(
                "expired    {expired}: {} (at {now}, {})\n",
                id.expiry_note,
                if given { "given" } else { "now" }
            ));
            if id.chain.len() > 1 {
                out.push_str("chain\n");
                for step in &id.chain {
                    out.push_str(&format!("  {step}\n"));
                }
            }
            if let Some(why) = policies.as_ref().and_then(|p| p["unknown"].as_str()) {
                out.push_str(&format!("policies   unknown: {why}\n"));
            } else if let Some(p) = &policies {
                out.push_str(&format!("policies of {}\n", p["principal"].as_str().unwrap_or("")));
                for d in p["identity"].as_array().into_iter().flatten() {
                    out.push_str(&format!("  {}\n", d["name"].as_str().unwrap_or("")));
                }
                if let Some(b) = p["permissionsBoundary"].as_str() {
                    out.push_str(&format!("  boundary {b}\n"));
                }
            }
            crate::output::print(&out);
        }
    }
    if id.exact && id.expired != Some(true) { SUCCESS } else { FAILURE }
}
