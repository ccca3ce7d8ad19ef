//! The real corpora in `../shared/corpora`: every AWS managed policy validates as an identity
//! policy, and the perimeter samples validate as their types (the one with a `//` comment is
//! rejected with its line and column). Skips, loudly, when the corpora are absent.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use std::path::{Path, PathBuf};

use iamspect_core::{Policy, PolicyType};

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    if dir.is_dir() {
        Some(dir)
    } else {
        absent(&dir);
        None
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_managed_policy_validates_as_identity() {
    let Some(corpora) = corpora() else { return };
    let mut files = Vec::new();
    json_files(&corpora.join("managed-policies"), &mut files);
    files.retain(|p| p.file_name().is_some_and(|n| n != "index.json"));
    assert_eq!(files.len(), 1645, "the corpus should hold 1,645 managed policies");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        if let Err(e) = Policy::parse(&path.display().to_string(), &text, PolicyType::Identity) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

/// The type of a perimeter sample, from the folder it sits in.
fn perimeter_type(path: &Path) -> PolicyType {
    let p = path.to_string_lossy().to_lowercase();
    // The data-perimeter repository keeps resource-based policies for services without RCP
    // support (API Gateway, SNS) beside its RCPs.
    if p.contains("resource_control_policies/service_specific_controls") {
        PolicyType::Resource
    } else if p.contains("vpc_endpoint") || p.contains("vpc-endpoint") {
        PolicyType::VpcEndpoint
    } else if p.contains("resource_control") || p.contains("resource-control") || p.contains("resourcecontrolpolicies")
    {
        PolicyType::Rcp
    } else {
        PolicyType::Scp
    }
}

/// Samples that AWS itself would reject, with the evidence. Each must fail, and with this reason.
const KNOWN_INVALID: &[(&str, &str)] = &[
    // Not JSON: `"kms:*",` before `]`. The source notes two of its extracted policies are templated.
    (
        "primeharbor-aws-service-control-policies/ResourceControlPolicies/Sec-ProtectKMSandSecrets.json",
        "trailing commas",
    ),
    (
        "primeharbor-aws-service-control-policies/ResourceControlPolicies/Sec-ProtectKMSandSecrets-2.json",
        "trailing commas",
    ),
    // A catalogue of per-issuer statements rather than one attachable RCP: its last statement is an
    // `Allow` with no `Resource`, and it exceeds the 5,120-character RCP quota even without whitespace.
    (
        "resource-control-policy-examples/Limit-access-to-trusted-OIDC-identity-providers/Shared-Issuers.json",
        "no `Resource`",
    ),
];

#[test]
fn perimeter_samples_validate_as_their_types() {
    let Some(corpora) = corpora() else { return };
    let mut files = Vec::new();
    json_files(&corpora.join("perimeter"), &mut files);
    assert!(files.len() > 100, "found only {} perimeter samples", files.len());
    let mut failures = Vec::new();
    let mut commented = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let t = perimeter_type(path);
        let known = KNOWN_INVALID.iter().find(|(p, _)| path.ends_with(p));
        match (Policy::parse(&path.display().to_string(), &text, t), known) {
            (Err(e), Some((_, why))) => assert!(e.to_string().contains(why), "{e}"),
            (Ok(_), Some((p, _))) => failures.push(format!("{p} is listed as invalid but validates")),
            (Ok(_), None) => {}
            (Err(e), None) if text.contains("//") && e.errors[0].message().contains("comment") => {
                commented.push(e.to_string())
            }
            (Err(e), None) => failures.push(format!("[{}] {e}", t.cli_name())),
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert_eq!(commented.len(), 1, "exactly one sample has a `//` comment: {commented:?}");
    assert!(commented[0].contains(':'), "the comment error names its line and column: {}", commented[0]);
}

/// A corpus under `../shared/corpora` is absent: with `CI` set the test fails; otherwise it is
/// skipped and says so on the process's standard error, past the test harness's capture.
fn absent(path: &Path) {
    let message =
        format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
}
