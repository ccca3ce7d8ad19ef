//! AWS's machine-readable service reference (one JSON file per service, with `Actions`,
//! `Resources` and `Operations`), read from a folder at run time: which IAM actions an API
//! operation authorizes, and the ARN formats of the resources an action takes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawService {
    name: String,
    actions: Vec<RawAction>,
    resources: Vec<RawResource>,
    operations: Vec<RawOperation>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAction {
    name: String,
    resources: Vec<RawNamed>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNamed {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
#[allow(clippy::upper_case_acronyms, reason = "the field is named ARNFormats")]
struct RawResource {
    name: String,
    #[serde(rename = "ARNFormats")]
    arn_formats: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawOperation {
    name: String,
    authorized_actions: Vec<RawAuthorized>,
    #[serde(rename = "SDK")]
    sdk: Vec<RawSdk>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAuthorized {
    name: String,
    service: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawSdk {
    name: String,
}

/// An action and the resource types it takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Action {
    name: String,
    resources: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Service {
    /// Actions by lower-case name.
    actions: HashMap<String, Action>,
    /// ARN formats by resource type.
    resources: HashMap<String, Vec<String>>,
    /// Authorized actions (`service:Action`) by lower-case operation name.
    operations: HashMap<String, Vec<String>>,
}

/// A resource type an action takes, with its ARN formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// The type name (`instance`, `bucket`, `object`, ...).
    pub name: String,
    /// ARN formats with `${Placeholder}`s.
    pub arn_formats: Vec<String>,
}

/// The service reference.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceReference {
    /// The folder read.
    pub dir: PathBuf,
    services: BTreeMap<String, Service>,
    /// Service prefixes by SDK (boto3) client name.
    sdk: BTreeMap<String, BTreeSet<String>>,
}

/// The JSON files of `dir` and of its subfolders down to `depth` levels (AWS's files sit in the
/// folder itself, or in a folder per snapshot).
fn json_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if depth > 0 {
                json_files(&p, depth - 1, out);
            }
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

impl ServiceReference {
    /// Reads every service file under `dir` (files that are not service files, such as the
    /// index, are ignored). Fails if the folder holds no service with `Operations`.
    pub fn load(dir: &Path) -> Result<ServiceReference, String> {
        if !dir.is_dir() {
            return Err(format!("service reference `{}`: no such folder", dir.display()));
        }
        let mut files = Vec::new();
        json_files(dir, 2, &mut files);
        let mut out = ServiceReference { dir: dir.to_path_buf(), ..ServiceReference::default() };
        let mut with_operations = 0usize;
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let Ok(raw) = serde_json::from_str::<RawService>(&text) else { continue };
            if raw.name.is_empty() || raw.actions.is_empty() {
                continue;
            }
            let prefix = raw.name.to_ascii_lowercase();
            let mut service = Service::default();
            for a in raw.actions {
                let resources = a.resources.into_iter().map(|r| r.name).collect();
                service.actions.insert(a.name.to_ascii_lowercase(), Action { name: a.name, resources });
            }
            for r in raw.resources {
                service.resources.insert(r.name, r.arn_formats);
            }
            if !raw.operations.is_empty() {
                with_operations += 1;
            }
            for o in raw.operations {
                for s in &o.sdk {
                    out.sdk.entry(s.name.to_ascii_lowercase()).or_default().insert(prefix.clone());
                }
                let actions =
                    o.authorized_actions.into_iter().map(|a| format!("{}:{}", a.service, a.name)).collect::<Vec<_>>();
                service.operations.insert(o.name.to_ascii_lowercase(), actions);
            }
            out.services.insert(prefix, service);
        }
        if with_operations == 0 {
            return Err(format!(
                "service reference `{}`: no service file with `Operations` found (expected AWS's service reference JSON, one file per service)",
                dir.display()
            ));
        }
        Ok(out)
    }

    /// The number of services read.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// True if no service was read.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// True if `prefix` is a service of the reference.
    pub fn has_service(&self, prefix: &str) -> bool {
        self.services.contains_key(&prefix.to_ascii_lowercase())
    }

    /// The service prefix of an SDK client name, when exactly one service has it.
    pub fn service_of_sdk(&self, sdk_name: &str) -> Option<&str> {
        let set = self.sdk.get(&sdk_name.to_ascii_lowercase())?;
        match set.len() {
            1 => set.iter().next().map(String::as_str),
            _ => None,
        }
    }

    /// The actions (`service:Action`) the operation authorizes, as listed by `prefix`'s file.
    pub fn operation(&self, prefix: &str, operation: &str) -> Option<&[String]> {
        self.services
            .get(&prefix.to_ascii_lowercase())?
            .operations
            .get(&operation.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    /// The action's name as the reference spells it, if the service has it.
    pub fn action_name(&self, prefix: &str, action: &str) -> Option<&str> {
        self.services
            .get(&prefix.to_ascii_lowercase())?
            .actions
            .get(&action.to_ascii_lowercase())
            .map(|a| a.name.as_str())
    }

    /// The resource types the action takes, in the reference's order. `None` if the action is unknown.
    pub fn resource_types(&self, prefix: &str, action: &str) -> Option<Vec<ResourceType>> {
        let service = self.services.get(&prefix.to_ascii_lowercase())?;
        let a = service.actions.get(&action.to_ascii_lowercase())?;
        Some(
            a.resources
                .iter()
                .map(|name| ResourceType {
                    name: name.clone(),
                    arn_formats: service.resources.get(name).cloned().unwrap_or_default(),
                })
                .collect(),
        )
    }
}
