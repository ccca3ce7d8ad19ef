//! The policy a check reads from a file: a policy file, or one policy of a Terraform plan
//! (`terraform show -json`) or a CloudFormation template (JSON or YAML), found by the same
//! readers `lint` uses (`crate::input`). A file holding several policies of the asked type gives
//! the one `--policy-resource` names, or is refused with the candidates named (decision D150); a
//! template policy whose text depends on an intrinsic function is refused, never guessed (D151).

use std::path::Path;
use std::sync::Arc;

use iamspect_core::{Policy, PolicyType};

use crate::input::{self, Document, Loaded, Origin};

/// What policy a check wants: its type and, for `check-no-public-access`, its resource type.
#[derive(Clone, Copy)]
pub(crate) struct Want<'a> {
    pub(crate) policy_type: PolicyType,
    pub(crate) resource_type: Option<&'a str>,
}

/// A policy read for a check.
pub(crate) struct Picked {
    pub(crate) policy: Arc<Policy>,
    /// `ADDRESS.ATTRIBUTE` (Terraform) or `LOGICAL_ID.PROPERTY` (CloudFormation) when the policy
    /// came from a plan or a template; `None` for a policy file.
    pub(crate) resource: Option<String>,
}

/// The name `--policy-resource` matches in full: the resource and where in it the policy is.
fn full_name(d: &Document) -> Option<String> {
    d.resource.as_ref().map(|r| format!("{}.{}", r.name, r.attribute))
}

/// Whether `select` names the document: its resource (`aws_iam_role.app`, `AppRole`) or the
/// resource and the attribute (`aws_iam_role.app.assume_role_policy`).
fn named(d: &Document, select: &str) -> bool {
    d.resource.as_ref().is_some_and(|r| r.name == select || full_name(d).as_deref() == Some(select))
}

/// Whether the document can be read as the wanted type: its own type, or, for a permissions
/// boundary, a managed policy (the one kind of policy a boundary can be).
fn fits(d: &Document, want: Want<'_>) -> bool {
    let kind = d.resource.as_ref().map(|r| r.kind.as_str()).unwrap_or_default();
    let type_fits = d.policy_type == want.policy_type
        || (want.policy_type == PolicyType::PermissionsBoundary
            && matches!(kind, "aws_iam_policy" | "AWS::IAM::ManagedPolicy"));
    let resource_fits = match (want.resource_type, &d.resource_type) {
        (Some(w), Some(have)) => w.eq_ignore_ascii_case(have),
        (Some(_), None) => want.policy_type == PolicyType::Trust,
        (None, _) => true,
    };
    type_fits && resource_fits
}

fn describe(d: &Document) -> String {
    let r = d.resource.as_ref();
    format!(
        "`{}` ({}, {}{})",
        full_name(d).unwrap_or_default(),
        r.map(|r| r.kind.as_str()).unwrap_or_default(),
        d.policy_type.cli_name(),
        d.resource_type.as_deref().map(|t| format!(" {t}")).unwrap_or_default()
    )
}

/// Reads the file `path`.
pub(crate) fn from_file(path: &Path, want: Want<'_>, select: Option<&str>) -> Result<Picked, String> {
    if path.is_dir() {
        return Err(format!(
            "{}: a folder; give one policy file, Terraform plan or CloudFormation template",
            path.display()
        ));
    }
    let loaded = input::load(&[path.to_path_buf()], Some(want.policy_type), want.resource_type);
    pick(&path.display().to_string(), loaded, want, select)
}

/// Reads `text`, the content `path` had at a git revision (`shown` names it).
pub(crate) fn from_text(
    path: &Path,
    shown: &str,
    text: String,
    want: Want<'_>,
    select: Option<&str>,
) -> Result<Picked, String> {
    let loaded = input::load_text(path, text, Some(want.policy_type));
    pick(shown, loaded, want, select)
}

fn pick(shown: &str, loaded: Loaded, want: Want<'_>, select: Option<&str>) -> Result<Picked, String> {
    if !loaded.errors.is_empty() {
        return Err(loaded.errors.join("\n"));
    }
    let docs = &loaded.documents;
    let from_template = docs.iter().any(|d| d.resource.is_some());
    if !from_template {
        return match docs.as_slice() {
            // `--policy-resource` is for plans and templates; the command refuses it when no file is one.
            [d] if matches!(d.origin, Origin::File) => {
                parse(shown, &d.text, want.policy_type).map(|policy| Picked { policy, resource: None })
            }
            [] => Err(format!("{shown}: holds no policy{}", notes(&loaded.notes))),
            _ => Err(format!(
                "{shown}: a case file, not a policy; give a policy file, a Terraform plan or a CloudFormation template"
            )),
        };
    }
    let named_docs: Vec<&Document> = match select {
        Some(s) => docs.iter().filter(|d| named(d, s)).collect(),
        None => docs.iter().collect(),
    };
    let all = || docs.iter().map(describe).collect::<Vec<_>>().join(", ");
    if let Some(s) = select
        && named_docs.is_empty()
    {
        return Err(format!(
            "{shown}: no resource `{s}` holds a policy (it holds {}){}",
            if docs.is_empty() { "none".to_string() } else { all() },
            notes(&loaded.notes)
        ));
    }
    let candidates: Vec<&Document> = named_docs.iter().copied().filter(|d| fits(d, want)).collect();
    let wanted = match want.resource_type {
        Some(r) if want.policy_type != PolicyType::Trust => format!("`{}` policy of {r}", want.policy_type.cli_name()),
        _ => format!("`{}` policy", want.policy_type.cli_name()),
    };
    let d = match candidates.as_slice() {
        [d] => *d,
        [] => {
            let held = named_docs.iter().map(|d| describe(d)).collect::<Vec<_>>().join(", ");
            return Err(format!(
                "{shown}: {} holds no {wanted}; it holds {}{}",
                select.map_or("the file".to_string(), |s| format!("`{s}`")),
                if held.is_empty() { "none".to_string() } else { held },
                notes(&loaded.notes)
            ));
        }
        many => {
            let names = many.iter().map(|d| describe(d)).collect::<Vec<_>>().join(", ");
            return Err(format!(
                "{shown}: {} policies could be the one to check: {names}; name one with --policy-resource",
                many.len()
            ));
        }
    };
    if let Origin::Embedded { pieces, .. } = &d.origin
        && let Some(f) = pieces.iter().find_map(|p| p.intrinsic.as_deref())
    {
        return Err(format!(
            "{shown}: {}: the policy uses {f}, whose value is known only when the stack is deployed; iamspect checks a policy whose text is fixed (check the deployed policy, or a Terraform plan)",
            describe(d)
        ));
    }
    let name = full_name(d).unwrap_or_default();
    let policy = parse(&format!("{shown} > {name}"), &d.text, want.policy_type)?;
    Ok(Picked { policy, resource: Some(name) })
}

fn notes(notes: &[String]) -> String {
    if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) }
}

fn parse(name: &str, text: &str, t: PolicyType) -> Result<Arc<Policy>, String> {
    Policy::parse(name, text, t)
        .map(Arc::new)
        .map_err(|errs| errs.errors.iter().map(|e| format!("{name}:{e}")).collect::<Vec<_>>().join("\n"))
}

/// The text `path` had at the git revision `rev`, read by `git show REV:./NAME` in its folder.
pub(crate) fn text_at_revision(path: &Path, rev: &str) -> Result<(String, String), String> {
    if rev.starts_with('-') || rev.contains(':') {
        return Err(format!("--existing-rev `{rev}` is not a revision"));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file = path.file_name().ok_or_else(|| format!("{}: not a file", path.display()))?;
    let spec = format!("{rev}:./{}", file.to_string_lossy());
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", "--end-of-options", &spec])
        .output()
        .map_err(|e| format!("--existing-rev: cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "--existing-rev: git show {spec} (in {}): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if out.stdout.len() as u64 > input::MAX_FILE_BYTES {
        return Err(format!("{spec}: {} bytes; at most {} are read", out.stdout.len(), input::MAX_FILE_BYTES));
    }
    let text = String::from_utf8(out.stdout).map_err(|_| format!("{spec}: not UTF-8"))?;
    Ok((text, format!("{} at {rev}", path.display())))
}

/// `--policy-resource` given while no file read is a plan or a template: refused, not ignored.
pub(crate) fn selection_used(select: Option<&str>, picked: &[&Picked]) -> Result<(), String> {
    match select {
        Some(s) if picked.iter().all(|p| p.resource.is_none()) => Err(format!(
            "--policy-resource `{s}` names a resource of a Terraform plan or CloudFormation template, and no file given is one"
        )),
        _ => Ok(()),
    }
}
