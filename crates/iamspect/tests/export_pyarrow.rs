//! An independent reader: pyarrow reads the exported Parquet (Hive partitions) and compares
//! held-out questions with `iamspect who-can` (`scripts/export-check-pyarrow.py`). `.ci/run`
//! installs pyarrow; without it the test is skipped, and fails when CI is set.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn skip(message: &str) {
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    eprintln!("WARNING: SKIPPED: {message}");
}

fn check(data: &Path, name: &str) {
    let dir = std::env::temp_dir().join(format!("iamspect-export-pyarrow-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args(["export", "--account-data", data.to_str().unwrap(), "--out", dir.to_str().unwrap()])
        .args(["--context", "aws:CurrentTime=2026-06-01T12:00:00Z"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("python3")
        .arg("scripts/export-check-pyarrow.py")
        .args(["--iamspect", env!("CARGO_BIN_EXE_iamspect"), "--account-data", data.to_str().unwrap()])
        .args(["--export", dir.to_str().unwrap()])
        .current_dir(root())
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let Ok(o) = o else { return skip("python3 is not installed") };
    if o.status.code() == Some(3) {
        return skip(String::from_utf8_lossy(&o.stderr).trim());
    }
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&o.stdout).trim());
}

#[test]
fn pyarrow_reads_the_export_and_agrees_with_who_can_on_the_real_dump() {
    let data = root().join("../shared/corpora/gaad/cloudsplaining/examples_files_example.json");
    if !data.is_file() {
        return skip(&format!("{} is absent: the corpus tests need ../shared/corpora", data.display()));
    }
    check(&data, "real");
}

#[test]
fn pyarrow_reads_the_export_and_agrees_with_who_can_on_a_small_organization() {
    check(&root().join("crates/iamspect/tests/scp_impact_data"), "org");
}
