//! Every rule has a folder `test_data/<code>-<name>/` with `fires*.json` (the rule must fire, with
//! its code and severity) and `clean*.json` (it must not). A file named `<kind>.<type>.json` is
//! linted as that policy type (`fires.scp.json`); otherwise as an identity policy. A
//! `resource-type.txt` in the folder gives the resource type of resource policies.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::Path;

use iamspect_core::PolicyType;
use iamspect_lint::rules::RULES;
use iamspect_lint::{Target, lint};

#[test]
fn every_rule_fires_on_its_fixtures_and_not_on_clean_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data");
    let mut problems = Vec::new();
    for rule in RULES {
        let dir = root.join(format!("{}-{}", rule.code, rule.name));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            problems.push(format!("{}: no folder {}", rule.code, dir.display()));
            continue;
        };
        let resource_type = std::fs::read_to_string(dir.join("resource-type.txt")).ok().map(|s| s.trim().to_string());
        let mut files: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        files.sort();
        let (mut fires, mut clean) = (0, 0);
        for path in files {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let mut parts = stem.splitn(2, '.');
            let kind = parts.next().unwrap().to_string();
            let policy_type = parts.next().map_or(PolicyType::Identity, |t| {
                PolicyType::from_cli_name(t).unwrap_or_else(|| panic!("{}: unknown type `{t}`", path.display()))
            });
            let text = std::fs::read_to_string(&path).unwrap();
            let findings = lint(&text, Target { policy_type, resource_type: resource_type.as_deref() });
            let mine: Vec<_> = findings.iter().filter(|f| f.code == rule.code).collect();
            let name = format!(
                "{}/{}",
                dir.file_name().unwrap().to_string_lossy(),
                path.file_name().unwrap().to_string_lossy()
            );
            if kind.starts_with("fires") {
                fires += 1;
                if mine.is_empty() {
                    problems.push(format!("{name}: {} does not fire; findings: {findings:#?}", rule.code));
                }
                for f in &mine {
                    if f.severity != rule.severity || f.name != rule.name {
                        problems.push(format!("{name}: wrong severity or name: {f:?}"));
                    }
                    if let Some(s) = f.span {
                        assert!(s.start <= s.end && s.end <= text.len(), "{name}: span out of range: {f:?}");
                    }
                }
            } else if kind.starts_with("clean") {
                clean += 1;
                if !mine.is_empty() {
                    problems.push(format!("{name}: {} fires on a clean fixture: {mine:#?}", rule.code));
                }
            }
        }
        if fires == 0 || clean == 0 {
            problems.push(format!("{}: needs at least one fires*.json and one clean*.json", rule.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn findings_are_sorted_and_parse_errors_keep_spans() {
    let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Conditions": {}}]}"#;
    let findings = lint(text, Target { policy_type: PolicyType::Identity, resource_type: None });
    assert_eq!(findings.len(), 1);
    let span = findings[0].span.unwrap();
    assert_eq!(&text[span.start..span.end], "\"Conditions\"");
    let text = r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:*", "s3:GetObject"], "Resource": "*"}]}"#;
    let findings = lint(text, Target { policy_type: PolicyType::Identity, resource_type: None });
    let starts: Vec<_> = findings.iter().map(|f| f.span.map_or(0, |s| s.start)).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    assert!(findings.iter().any(|f| f.code == "IAM401") && findings.iter().any(|f| f.code == "IAM403"));
}
