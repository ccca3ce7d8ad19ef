//! Reading account data from files and folders. Each file is recognised by its content (a GAAD
//! page, an organization file, a resource-policy map) or, for CLI outputs of resource policies, by
//! its name. A file that does not parse is reported with its path and the place inside it; the
//! rest still loads.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::AccountData;
use crate::{gaad, org, resources};

/// The largest file read (a paginated dump is many files).
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// A file that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, with line and column for JSON errors.
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// What loading did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Files used.
    pub loaded: Vec<PathBuf>,
    /// Files that failed.
    pub errors: Vec<LoadError>,
    /// Parts skipped inside files that loaded, and files that hold no account data.
    pub skipped: Vec<String>,
}

fn walk(path: &Path, out: &mut Vec<PathBuf>, report: &mut LoadReport) {
    if path.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                report.errors.push(LoadError { path: path.to_path_buf(), message: e.to_string() });
                return;
            }
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
            if !hidden {
                walk(&p, out, report);
            }
        }
    } else if path.exists() {
        out.push(path.to_path_buf());
    } else {
        report.errors.push(LoadError { path: path.to_path_buf(), message: "no such file or folder".to_string() });
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("the file is {} bytes; at most {MAX_FILE_BYTES} are read", meta.len()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))
}

fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3 && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Loads every file under `paths`.
pub fn load_paths(paths: &[PathBuf]) -> (AccountData, LoadReport) {
    let mut data = AccountData::default();
    let mut report = LoadReport::default();
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files, &mut report);
    }
    // Resource-policy CLI outputs need the account of the dump beside them, so they come last.
    let mut deferred: Vec<(PathBuf, Value)> = Vec::new();
    let mut org_outputs = crate::org_cli::OrgOutputs::default();
    // `get-role` and `list-roles` outputs complete the roles of the dumps, so they come after them.
    let mut role_outputs: Vec<(PathBuf, Value)> = Vec::new();
    let mut region_outputs: Vec<(PathBuf, Vec<(String, String)>)> = Vec::new();
    // OIDC provider outputs name no account (`get`) or need the dumps' accounts: they come last.
    let mut oidc_outputs = crate::federation::OidcOutputs::default();
    // Identity Center outputs are tied to the roles of the dumps: they come last too.
    let mut identity_center = crate::identity_center::Outputs::default();
    for path in files {
        let v = match read_json(&path) {
            Ok(v) => v,
            Err(message) => {
                let is_json_name = path.extension().is_some_and(|e| e == "json");
                let looks_like_data =
                    is_json_name || path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("-get-"));
                if looks_like_data {
                    report.errors.push(LoadError { path, message });
                } else {
                    report.skipped.push(format!("{}: not JSON, not account data", path.display()));
                }
                continue;
            }
        };
        if oidc_outputs.take(&path, &v) {
            continue;
        }
        if identity_center.take(&path, &v) {
            continue;
        }
        let take = if gaad::is_gaad(&v) { Ok(false) } else { org_outputs.take(&path, &v) };
        match take {
            Ok(true) => {
                report.loaded.push(path);
                continue;
            }
            Ok(false) => {}
            Err(message) => {
                report.errors.push(LoadError { path, message });
                continue;
            }
        }
        if gaad::is_gaad(&v) {
            match gaad::add_page(&mut data, v) {
                Ok(skipped) => {
                    report.skipped.extend(skipped.into_iter().map(|s| format!("{}: {s}", path.display())));
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else if let Some(o) = v.get("organization") {
            match org::parse(o.clone()) {
                Ok(o) => {
                    data.organization = Some(o);
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else if gaad::is_role_output(&v) {
            role_outputs.push((path, v));
        } else if let Some(list) = managed_policy_index(&v) {
            // A folder of managed policy documents with an `index.json` naming each one's ARN (as
            // `../shared/corpora/managed-policies` is laid out): for dumps that leave AWS managed
            // policies out.
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            for (arn, name, file) in list {
                match std::fs::read_to_string(dir.join(&file)) {
                    Ok(document) => {
                        data.managed_policies.entry(arn.clone()).or_insert(crate::model::ManagedPolicy {
                            arn,
                            name,
                            document,
                            other_versions: Vec::new(),
                        });
                    }
                    Err(e) => report.errors.push(LoadError { path: dir.join(&file), message: e.to_string() }),
                }
            }
            report.loaded.push(path);
        } else if is_listed_policy_document(&path, &v) {
            // A document listed by an `index.json` beside it: read through the index.
        } else if let Some(aliases) = v.get("Aliases").and_then(Value::as_array) {
            match crate::listings::kms_aliases(aliases) {
                Ok(list) => {
                    data.kms_aliases.extend(list);
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else if let Some(secrets) = v.get("SecretList").and_then(Value::as_array) {
            match crate::listings::secrets(secrets) {
                Ok(list) => {
                    data.secrets.extend(list);
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else if let Some(grants) = v.get("Grants").and_then(Value::as_array) {
            match resources::list_grants(grants) {
                Ok(listed) => {
                    for (key, grant) in listed.grants {
                        data.kms_grants.entry(key).or_default().push(grant);
                    }
                    report.skipped.extend(listed.skipped.into_iter().map(|s| format!("{}: {s}", path.display())));
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else if let Some(regions) = v.get("Regions").and_then(Value::as_array) {
            match resources::list_regions(regions) {
                Ok(list) => region_outputs.push((path, list)),
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else if let Some(r) = v.get("resourcePolicies") {
            match resources::parse_native(r, &path.display().to_string()) {
                Ok(list) => {
                    for rp in list {
                        data.resource_policies.insert(rp.arn.clone(), rp);
                    }
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        } else {
            deferred.push((path, v));
        }
    }
    // Decision D141: a list-regions output belongs to the account its file name ends with
    // (`…_ACCOUNT.json`), or to the only account loaded.
    for (path, list) in region_outputs {
        let stem = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
        let named =
            stem.rsplit_once('_').map(|(_, a)| a).filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
        let account = match named {
            Some(a) => Some(a.to_string()),
            None if data.accounts.len() == 1 => data.accounts.keys().next().cloned(),
            None => None,
        };
        match account {
            Some(account) => {
                data.regions.entry(account).or_default().extend(list);
                report.loaded.push(path);
            }
            None => report.errors.push(LoadError {
                path,
                message: "an `aws account list-regions` output does not say its account: end its file name with `_ACCOUNTID.json` (or load one account's data)".to_string(),
            }),
        }
    }
    for (path, v) in role_outputs {
        match gaad::add_role_output(&mut data, v) {
            Ok(skipped) => {
                report.skipped.extend(skipped.into_iter().map(|s| format!("{}: {s}", path.display())));
                report.loaded.push(path);
            }
            Err(message) => report.errors.push(LoadError { path, message }),
        }
    }
    if data.organization.is_none() {
        data.organization = org_outputs.assemble(&mut report.skipped);
    }
    oidc_outputs.assemble(&mut data, &mut report);
    identity_center.assemble(&mut data, &mut report);
    for (path, v) in deferred {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let dir = path.parent().and_then(|d| d.file_name()).and_then(|n| n.to_str()).unwrap_or("");
        let region = if looks_like_region(dir) { dir } else { "us-east-1" };
        // The account: the only one loaded, or the one whose dump sits in the same folder.
        let account = if data.accounts.len() == 1 {
            data.accounts.keys().next().cloned().unwrap_or_default()
        } else {
            String::new()
        };
        match resources::parse_cli_output(file_name, &v, &account, region) {
            resources::CliOutput::Policy(rp) => {
                data.resource_policies.insert(rp.arn.clone(), rp);
                report.loaded.push(path);
            }
            resources::CliOutput::NoPolicy(arn) => {
                report.skipped.push(format!("{}: `{arn}` has no resource policy", path.display()));
                report.loaded.push(path);
            }
            resources::CliOutput::Error(message) => report.errors.push(LoadError { path, message }),
            resources::CliOutput::NotRecognized => {
                report.skipped.push(format!("{}: not account data iamspect reads", path.display()))
            }
        }
    }
    (data, report)
}

/// `index.json` of a managed-policy folder: `{"Name": {"arn": "...", "file": "Name.json"}, ...}`.
fn managed_policy_index(v: &Value) -> Option<Vec<(String, String, String)>> {
    let map = v.as_object()?;
    let mut out = Vec::with_capacity(map.len());
    for (name, entry) in map {
        let Some(file) = entry.get("file").and_then(Value::as_str) else { continue };
        // Deprecated policies may have no ARN listed; AWS managed policy ARNs follow from the name.
        let arn = entry
            .get("arn")
            .and_then(Value::as_str)
            .map_or_else(|| format!("arn:aws:iam::aws:policy/{name}"), str::to_string);
        out.push((arn, name.clone(), file.to_string()));
    }
    (!out.is_empty()).then_some(out)
}

/// A bare policy document in a folder that has an `index.json`.
fn is_listed_policy_document(path: &Path, v: &Value) -> bool {
    v.get("Statement").is_some() && path.parent().is_some_and(|d| d.join("index.json").is_file())
}
