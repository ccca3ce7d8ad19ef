//! Finding case files on disk.

use std::path::{Path, PathBuf};

/// Finds case files: every `*.json` under the given folders, except inside `policies` folders,
/// which hold the policy documents cases refer to. A folder without one is an error, not an empty
/// run that passes.
pub fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = out.len();
            walk_cases(path, &mut out).map_err(|e| format!("{}: {e}", path.display()))?;
            if out.len() == before {
                return Err(format!(
                    "{}: no case file (`*.json` outside folders named `policies`) in this folder",
                    path.display()
                ));
            }
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    Ok(out)
}

fn walk_cases(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "policies") {
                continue;
            }
            walk_cases(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}
