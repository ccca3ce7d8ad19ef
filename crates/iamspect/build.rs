//! Records the git revision the binary is built from, for `iamspect --version`; `unknown` when
//! the sources are not a git checkout (a crate tarball) or git is missing, unless the build is
//! given it in `IAMSPECT_GIT_REV`.

use std::process::Command;

fn main() {
    // A build without the git checkout (the container's, whose context has no .git) passes the
    // revision in `IAMSPECT_GIT_REV`.
    println!("cargo:rerun-if-env-changed=IAMSPECT_GIT_REV");
    let given = std::env::var("IAMSPECT_GIT_REV").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let rev = given.unwrap_or_else(git_rev);
    println!("cargo:rustc-env=IAMSPECT_GIT_REV={rev}");
    // Rebuilt when HEAD moves (a commit or a checkout), not on every build.
    for path in ["../../.git/HEAD", "../../.git/refs/heads"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn git_rev() -> String {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}
