//! Finding the policies to lint: policy files, the IAM policies inside a Terraform plan
//! (`terraform show -json`), and those inside CloudFormation templates in JSON or YAML.
//!
//! Every policy becomes a [`Document`]: the text to lint, its type, the resource that holds it,
//! and how positions in that text map back to the file ([`Origin`]).

mod cfn;
mod detect;
mod emit;
mod terraform;
mod tree;

use std::ops::Range;
use std::path::{Path, PathBuf};

use iamspect_core::{PolicyType, Span};

pub(crate) use emit::Piece;

/// Files larger than this are not read.
pub(crate) const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A file that was read.
pub(crate) struct Source {
    /// The path as given (or found under a given folder).
    pub(crate) path: PathBuf,
    pub(crate) text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SourceKind {
    Policy,
    TerraformPlan,
    CloudFormation,
}

/// The resource of a template that holds a policy.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    /// The logical id (CloudFormation) or address (Terraform).
    pub(crate) name: String,
    /// `AWS::IAM::Role`, `aws_iam_role`.
    pub(crate) kind: String,
    /// Where in the resource: `AssumeRolePolicyDocument`, `Policies[0].PolicyDocument`, `policy`.
    pub(crate) attribute: String,
}

/// One policy to lint.
pub(crate) struct Document {
    /// Index of the [`Source`] it came from.
    pub(crate) source: usize,
    pub(crate) resource: Option<Resource>,
    pub(crate) policy_type: PolicyType,
    pub(crate) resource_type: Option<String>,
    /// The policy text that is linted.
    pub(crate) text: String,
    pub(crate) origin: Origin,
}

/// How positions in a [`Document`]'s text relate to its file.
pub(crate) enum Origin {
    /// The text is the whole file.
    File,
    /// The text was rebuilt from a part of the file (a template's policy); the pieces map it back.
    Embedded { pieces: Vec<Piece>, whole: Range<usize> },
    /// The text is a string inside the file (a Terraform plan) and positions are given in it.
    Detached,
}

/// Where a span of a document's text is in what is shown to the user.
#[derive(Clone, Debug)]
pub(crate) struct Mapped {
    /// Bytes of the file (or, for [`Origin::Detached`], of the document's text).
    pub(crate) range: Range<usize>,
    /// The position is exact; otherwise it is the smallest template node that holds it.
    pub(crate) exact: bool,
    /// The value located there comes from this intrinsic function.
    pub(crate) intrinsic: Option<String>,
}

impl Document {
    /// The text positions are shown in: the file, or the document itself when detached.
    pub(crate) fn shown_text<'a>(&'a self, sources: &'a [Source]) -> &'a str {
        match self.origin {
            Origin::Detached => &self.text,
            _ => sources.get(self.source).map_or("", |s| s.text.as_str()),
        }
    }

    /// Maps a span of the document's text (or the whole document) to what is shown.
    pub(crate) fn map(&self, span: Option<Span>) -> Mapped {
        let (pieces, whole) = match &self.origin {
            Origin::File | Origin::Detached => {
                let range = span.map_or(0..0, |s| s.start..s.end);
                return Mapped { range, exact: true, intrinsic: None };
            }
            Origin::Embedded { pieces, whole } => (pieces, whole),
        };
        let Some(span) = span else {
            return Mapped { range: whole.start..whole.start, exact: true, intrinsic: None };
        };
        let intrinsic = pieces
            .iter()
            .filter(|p| p.intrinsic.is_some())
            .find(|p| p.generated.start < span.end.max(span.start + 1) && span.start < p.generated.end)
            .and_then(|p| p.intrinsic.clone());
        // The smallest piece that holds the whole span.
        let holder = pieces
            .iter()
            .filter(|p| p.generated.start <= span.start && span.end <= p.generated.end)
            .min_by_key(|p| p.generated.len());
        let Some(p) = holder else {
            return Mapped { range: whole.clone(), exact: false, intrinsic };
        };
        if p.exact {
            let start = p.file.start + (span.start - p.generated.start);
            let end = p.file.start + (span.end - p.generated.start);
            Mapped { range: start..end.min(p.file.end), exact: true, intrinsic }
        } else {
            let exact = p.generated.start == span.start && p.generated.end == span.end;
            Mapped { range: p.file.clone(), exact, intrinsic }
        }
    }
}

/// What was read from the paths given.
#[derive(Default)]
pub(crate) struct Loaded {
    pub(crate) sources: Vec<Source>,
    pub(crate) documents: Vec<Document>,
    /// Things not linted, and why (shown on standard error).
    pub(crate) notes: Vec<String>,
    /// Files that could not be read.
    pub(crate) errors: Vec<String>,
}

/// Reads files and folders (searched for `*.json`, and for CloudFormation templates in
/// `*.yaml`/`*.yml`/`*.template`). Plain policies get `policy_type` and `resource_type`.
pub(crate) fn load(paths: &[PathBuf], policy_type: Option<PolicyType>, resource_type: Option<&str>) -> Loaded {
    let mut loaded = Loaded::default();
    for path in paths {
        if path.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = walk(path, &mut files) {
                loaded.errors.push(format!("{}: {e}", path.display()));
            }
            if files.is_empty() {
                loaded.errors.push(format!(
                    "{}: no policy, plan or template (`*.json`, `*.yaml`, `*.yml`, `*.template`) in this folder",
                    path.display()
                ));
            }
            for file in files {
                let yaml = is_yaml(&file);
                load_file(&file, policy_type, resource_type, yaml, &mut loaded);
            }
        } else {
            load_file(path, policy_type, resource_type, false, &mut loaded);
        }
    }
    loaded
}

fn is_yaml(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "template"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("json") || is_yaml(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads one file. `only_templates`: a YAML file found in a folder that is not a template is
/// skipped quietly.
fn load_file(
    path: &Path,
    policy_type: Option<PolicyType>,
    resource_type: Option<&str>,
    only_templates: bool,
    loaded: &mut Loaded,
) {
    let text = match read(path) {
        Ok(t) => t,
        Err(e) => {
            loaded.errors.push(format!("{}: {e}", path.display()));
            return;
        }
    };
    load_read(path, text, policy_type, resource_type, only_templates, loaded);
}

/// Reads `text` as the content of the file `path` (a policy, a Terraform plan or a
/// CloudFormation template), as [`load`] reads a file: for the checks' `--existing-rev`, whose
/// text comes from git.
pub(crate) fn load_text(path: &Path, text: String, policy_type: Option<PolicyType>) -> Loaded {
    let mut loaded = Loaded::default();
    load_read(path, text, policy_type, None, false, &mut loaded);
    loaded
}

fn load_read(
    path: &Path,
    text: String,
    policy_type: Option<PolicyType>,
    resource_type: Option<&str>,
    only_templates: bool,
    loaded: &mut Loaded,
) {
    let index = loaded.sources.len();
    let yaml = is_yaml(path) || (!text.trim_start().starts_with('{') && looks_like_yaml_template(&text));
    if yaml {
        let root = match tree::from_yaml(&text) {
            Ok(root) => root,
            Err(e) if !only_templates => {
                loaded.errors.push(format!("{}: not a YAML CloudFormation template: {e}", path.display()));
                return;
            }
            Err(_) => return,
        };
        if !cfn::is_template(&root) {
            if !only_templates {
                loaded.errors.push(format!("{}: not a CloudFormation template (no `Resources`)", path.display()));
            }
            return;
        }
        let documents = cfn::documents(&root, &text, index, &mut loaded.notes, path);
        loaded.documents.extend(documents);
        loaded.sources.push(Source { path: path.to_path_buf(), text });
        return;
    }
    let value: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    match value.as_ref().map(classify) {
        Some(SourceKind::TerraformPlan) => {
            if let Some(v) = &value {
                let documents = terraform::documents(v, index, &mut loaded.notes, path);
                loaded.documents.extend(documents);
            }
            loaded.sources.push(Source { path: path.to_path_buf(), text });
        }
        Some(SourceKind::CloudFormation) => {
            let root = match tree::from_json(&text) {
                Ok(root) => root,
                Err(e) => {
                    loaded.errors.push(format!("{}: {e}", path.display()));
                    return;
                }
            };
            let documents = cfn::documents(&root, &text, index, &mut loaded.notes, path);
            loaded.documents.extend(documents);
            loaded.sources.push(Source { path: path.to_path_buf(), text });
        }
        Some(SourceKind::Policy) | None => {
            let shown = path.display().to_string();
            if let Some(v) = &value
                && detect::is_case_file(v)
            {
                // A case file: each inline policy with the type of its field (decision D47).
                match tree::from_json(&text) {
                    Ok(root) => {
                        let documents = detect::case_documents(&root, &text, index, &shown, &mut loaded.notes);
                        loaded.documents.extend(documents);
                        loaded.sources.push(Source { path: path.to_path_buf(), text });
                    }
                    Err(e) => loaded.errors.push(format!("{shown}: {e}")),
                }
                return;
            }
            let policy_type = match (policy_type, &value) {
                (Some(t), _) => t,
                (None, Some(v)) => {
                    let (t, why) = detect::policy_type(v);
                    loaded.notes.push(format!("{shown}: linted as type `{}` ({why}; `--type` chooses)", t.cli_name()));
                    t
                }
                (None, None) => {
                    loaded.notes.push(format!(
                        "{shown}: linted as type `identity` (it is not valid JSON, so its content says nothing; `--type` chooses)"
                    ));
                    PolicyType::Identity
                }
            };
            loaded.documents.push(Document {
                source: index,
                resource: None,
                policy_type,
                resource_type: resource_type.map(str::to_string),
                text: text.clone(),
                origin: Origin::File,
            });
            loaded.sources.push(Source { path: path.to_path_buf(), text });
        }
    }
}

fn looks_like_yaml_template(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("Resources:"))
}

fn classify(value: &serde_json::Value) -> SourceKind {
    let has = |k: &str| value.get(k).is_some();
    if has("format_version") && (has("planned_values") || has("resource_changes")) {
        SourceKind::TerraformPlan
    } else if value.get("Resources").is_some_and(serde_json::Value::is_object)
        && (has("AWSTemplateFormatVersion")
            || value.get("Resources").and_then(|r| r.as_object()).is_some_and(|r| {
                r.values().any(|res| res.get("Type").and_then(|t| t.as_str()).is_some_and(|t| t.contains("::")))
            }))
    {
        SourceKind::CloudFormation
    } else {
        SourceKind::Policy
    }
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("the file is {} bytes; at most {MAX_FILE_BYTES} are read", meta.len()));
    }
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}
