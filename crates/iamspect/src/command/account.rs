//! `--account-data`: loading dumps, reporting what was skipped, and building a request whose
//! policies come from the data.

use std::path::PathBuf;

/// Parses `key=value` context flags (a key given twice gets both values).
pub(crate) fn context_flags(flags: &[String]) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for kv in flags {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(format!("`--context {kv}` must be `key=value`"));
        };
        if k.trim().is_empty() {
            return Err(format!("`--context {kv}`: the key is empty (`key=value`)"));
        }
        match out.iter_mut().find(|(key, _)| key == k) {
            Some((_, vs)) => vs.push(v.to_string()),
            None => out.push((k.to_string(), vec![v.to_string()])),
        }
    }
    Ok(out)
}

/// Loads the account data. A file that fails to load could have held the Deny that decides a
/// request, so any failure refuses the whole load (D35), naming every failed file.
pub(crate) fn load(paths: &[PathBuf]) -> Result<iamspect_account::AccountData, String> {
    let (data, report) = iamspect_account::load_paths(paths);
    if !report.errors.is_empty() {
        let files: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "account data: {} file(s) did not load, and a file that does not load could hold a Deny, so nothing is decided: {}",
            files.len(),
            files.join("; ")
        ));
    }
    if report.loaded.is_empty() {
        return Err("no account data could be loaded from the given paths".to_string());
    }
    // What was read but not used, and why: said, never dropped in silence.
    for s in &report.skipped {
        eprintln!("warning: account data: {s}");
    }
    Ok(data)
}
