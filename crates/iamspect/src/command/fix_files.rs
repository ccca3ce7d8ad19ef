//! A fix's edits as patches of the user's own files (decision D80): each edited policy is found
//! where it was read from (inside the case file, at the place its text starts, or in its own
//! file), the edit is spliced into that file's bytes, and the patch is a diff of the whole file
//! under the path the user gave, so that `patch -p1` and `git apply` take it as it is.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use iamspect_core::{Layer, Policies};
use iamspect_explain::fix::{Edit, Fix, unified_diff};
use iamspect_explain::slots;
use serde_json::Value;

/// One file, before and after a fix.
#[derive(Clone, Debug)]
pub(crate) struct FilePatch {
    /// The path as the user gave it (relative to where the command ran, when the input was).
    pub(crate) path: String,
    pub(crate) before: String,
    pub(crate) after: String,
}

impl FilePatch {
    pub(crate) fn diff(&self) -> String {
        unified_diff(&self.before, &self.after, &self.path)
    }
}

/// Bytes `offset..offset + len` of a file replaced by a text.
type Splice = (usize, usize, String);

/// Where the request and its policies were read from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source<'a> {
    /// A case file, and the case's index in it.
    Case { path: &'a Path, index: usize },
    /// Policy files named by flags (paths as given).
    Flags,
}

/// The fix's edits as file patches, and the edits no file was found for (policies from account
/// data or AWS's own), which are shown as diffs of the policy document alone.
#[derive(Clone, Debug, Default)]
pub(crate) struct Located {
    pub(crate) files: Vec<FilePatch>,
    pub(crate) unplaced: Vec<Edit>,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn locate(fix: &Fix, policies: &Policies, source: Source<'_>) -> Located {
    let mut located = Located::default();
    // Splices per file: (offset, length of the text replaced, new text).
    let mut splices: BTreeMap<String, (String, Vec<Splice>)> = BTreeMap::new();
    let mut new_fields: Vec<(&'static str, Value)> = Vec::new();
    for edit in &fix.edits {
        if edit.before.is_empty() {
            match (source, case_field(edit.slot.layer)) {
                (Source::Case { .. }, Some((field, list))) => {
                    let Ok(doc) = serde_json::from_str::<Value>(&edit.after) else {
                        located.unplaced.push(edit.clone());
                        continue;
                    };
                    new_fields.push((field, if list { Value::Array(vec![doc]) } else { doc }));
                }
                (Source::Flags, Some((_, _))) => {
                    let path = "iamspect-fix.json".to_string();
                    located.notes.push(format!(
                        "the new policy is the file `{path}`: give it with `{}` {path}",
                        flag_of(edit.slot.layer)
                    ));
                    located.files.push(FilePatch { path, before: String::new(), after: edit.after.clone() });
                }
                _ => located.unplaced.push(edit.clone()),
            }
            continue;
        }
        let Some(policy) = slots::get(policies, edit.slot) else {
            located.unplaced.push(edit.clone());
            continue;
        };
        match find_text(policy, &edit.before, source) {
            Some((path, file_text, offset)) => {
                let entry = splices.entry(path).or_insert_with(|| (file_text, Vec::new()));
                entry.1.push((offset, edit.before.len(), edit.after.clone()));
            }
            None => located.unplaced.push(edit.clone()),
        }
    }
    for (path, (before, mut edits)) in splices {
        edits.sort_by_key(|(offset, ..)| std::cmp::Reverse(*offset));
        let mut after = before.clone();
        for (offset, len, text) in edits {
            after.replace_range(offset..offset + len, &text);
        }
        located.files.push(FilePatch { path, before, after });
    }
    if let (Source::Case { path, index }, false) = (source, new_fields.is_empty()) {
        let shown = shown_path(path);
        let position = located.files.iter().position(|f| f.path == shown);
        let current = match position {
            Some(i) => located.files.get(i).map(|f| f.after.clone()),
            None => std::fs::read_to_string(path).ok(),
        };
        let before = match position {
            Some(i) => located.files.get(i).map(|f| f.before.clone()),
            None => current.clone(),
        };
        let mut text = current;
        for (field, value) in &new_fields {
            text = text.and_then(|t| match iamspect_explain::patch::add_case_field(&t, index, field, value) {
                Ok(t) => Some(t),
                Err(e) => {
                    located.notes.push(format!("the new policy could not be added to the case file: {e}"));
                    None
                }
            });
        }
        if let (Some(after), Some(before)) = (text, before) {
            match position.and_then(|i| located.files.get_mut(i)) {
                Some(f) => f.after = after,
                None => located.files.push(FilePatch { path: shown, before, after }),
            }
        }
    }
    located
}

/// The case field a new policy of `layer` goes into, and whether it is a list.
fn case_field(layer: Layer) -> Option<(&'static str, bool)> {
    match layer {
        Layer::Identity => Some(("identityPolicies", true)),
        Layer::Session => Some(("sessionPolicies", true)),
        Layer::Resource => Some(("resourcePolicy", false)),
        Layer::PermissionsBoundary => Some(("permissionsBoundary", false)),
        Layer::VpcEndpoint => Some(("vpcEndpointPolicy", false)),
        Layer::Scp(_) | Layer::Rcp(_) => None,
    }
}

fn flag_of(layer: Layer) -> &'static str {
    match layer {
        Layer::Identity => "--identity-policy",
        Layer::Session => "--session-policy",
        Layer::Resource => "--resource-policy",
        Layer::PermissionsBoundary => "--permissions-boundary",
        Layer::VpcEndpoint => "--vpc-endpoint-policy",
        Layer::Scp(_) => "--scp",
        Layer::Rcp(_) => "--rcp",
    }
}

/// The file the policy's text was read from, its whole text, and where the policy starts in it.
fn find_text(policy: &iamspect_core::Policy, before: &str, source: Source<'_>) -> Option<(String, String, usize)> {
    let name = policy.name();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Source::Case { path, .. } = source {
        // Inline in the case file: where the parser says the policy starts.
        if let Ok(text) = std::fs::read_to_string(path) {
            let at = policy.position(0);
            if let Some(offset) = offset_of(&text, at.line, at.column)
                && text.get(offset..).is_some_and(|t| t.starts_with(before))
            {
                return Some((shown_path(path), text, offset));
            }
        }
        if let Some(dir) = path.parent() {
            candidates.push(dir.join(name));
        }
    }
    candidates.push(PathBuf::from(name));
    candidates.into_iter().find_map(|p| {
        let text = std::fs::read_to_string(&p).ok()?;
        (text == before).then(|| (shown_path(&p), text, 0))
    })
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line == 1 { 0 } else { text.match_indices('\n').nth(line.checked_sub(2)?).map(|(i, _)| i + 1)? };
    let rest = text.get(start..)?;
    let skip = rest.char_indices().nth(column.checked_sub(1)?).map_or(rest.len(), |(i, _)| i);
    Some(start + skip)
}

/// A path as a patch names it: without `./` and `..`-free where possible.
fn shown_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let joined = parts.join("/");
    joined.strip_prefix('/').map_or(joined.clone(), |s| format!("/{s}"))
}

/// Writes each patched file under `dir`, at its path (an absolute path without its root).
pub(crate) fn write(dir: &Path, files: &[FilePatch]) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for f in files {
        let relative = Path::new(f.path.trim_start_matches('/'));
        if relative.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(format!(
                "`{}` lies outside the current folder; run the command from a folder that contains it to write the fix",
                f.path
            ));
        }
        let target = dir.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&target, &f.after).map_err(|e| format!("{}: {e}", target.display()))?;
        written.push(target);
    }
    Ok(written)
}
