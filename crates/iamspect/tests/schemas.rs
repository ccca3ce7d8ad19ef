//! Every JSON output of the example organization validates against its schema in
//! `docs/schemas/`, so a change to an output is a visible change to its schema.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn output(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn check(schema: &str, value: &Value, what: &str) {
    let text = std::fs::read_to_string(root().join("docs/schemas").join(schema)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{what}: the schema: {e}"));
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not match {}:\n{}", schema["title"], errors.join("\n"));
}

fn example_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("examples/org"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| format!("examples/org/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files.push("tests/cases/guardrails/fixes.json".to_string());
    files
}

#[test]
fn explain_and_eval_outputs_match_their_schemas() {
    for file in example_files() {
        check("explain.schema.json", &output(&["explain", &file, "--format", "json"]), &format!("explain {file}"));
        check("eval.schema.json", &output(&["eval", &file, "--format", "json"]), &format!("eval {file}"));
        check(
            "explain.schema.json",
            &output(&["explain", &file, "--index", "0", "--format", "json"]),
            &format!("explain {file} --index 0"),
        );
        check(
            "eval.schema.json",
            &output(&["eval", &file, "--index", "0", "--format", "json"]),
            &format!("eval {file}"),
        );
    }
}

#[test]
fn test_lint_and_catalog_outputs_match_their_schemas() {
    check("test.schema.json", &output(&["test", "examples", "--format", "json"]), "test examples");
    check(
        "lint.schema.json",
        &output(&["lint", "examples/org/policies", "--format", "json"]),
        "lint examples/org/policies",
    );
    check(
        "lint.schema.json",
        &output(&["lint", "crates/iamspect/tests/lint_data", "--format", "json"]),
        "lint crates/iamspect/tests/lint_data",
    );
    check("catalog.schema.json", &output(&["catalog", "--format", "json"]), "catalog");
}

#[test]
fn account_outputs_match_their_schemas() {
    let data = root().join("../shared/corpora/gaad/cloudsplaining/examples_files_example.json");
    if !data.is_file() {
        assert!(std::env::var_os("CI").is_none(), "{} is absent (CI is set, so this fails)", data.display());
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {} is absent", data.display());
        return;
    }
    let d = data.to_str().unwrap();
    let role = "arn:aws:iam::200611803367:role/AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1";
    for (action, resource) in
        [("iam:PassRole", role), ("sts:AssumeRole", "arn:aws:iam::200611803367:role/privesc-high-priv-service-role")]
    {
        let v =
            output(&["who-can", "--account-data", d, "--action", action, "--resource", resource, "--format", "json"]);
        check("who-can.schema.json", &v, &format!("who-can {action}"));
    }
    // With Identity Center's outputs: the `identityCenter` field (decision D96).
    let with_ic = format!("{d},crates/iamspect/tests/data/identity-center");
    let v = output(&[
        "who-can",
        "--account-data",
        &with_ic,
        "--action",
        "iam:CreateUser",
        "--resource",
        "*",
        "--format",
        "json",
    ]);
    assert!(v.to_string().contains("\"identityCenter\""), "{v}");
    check("who-can.schema.json", &v, "who-can with Identity Center");
    let admin = "arn:aws:iam::200611803367:role/OrganizationAccountAccessRole";
    let v = output(&["what-can", "--account-data", d, "--principal", admin, "--service", "s3,sts", "--format", "json"]);
    check("what-can.schema.json", &v, "what-can");
    let v = output(&["what-can", "--account-data", d, "--principal", admin, "--summary", "--format", "json"]);
    check("what-can.schema.json", &v, "what-can --summary");
    let v = output(&["paths", "--account-data", d, "--format", "json"]);
    check("paths.schema.json", &v, "paths");
    let to = "arn:aws:iam::200611803367:role/privesc-AssumeRole-ending-role";
    let from = "arn:aws:iam::200611803367:role/privesc-AssumeRole-starting-role";
    let v = output(&["paths", "--account-data", d, "--from", from, "--to", to, "--format", "json"]);
    check("paths.schema.json", &v, "paths --to");
}

/// `trust-audit`, `credential-audit` and `whoami` (in a clean environment with its own HOME).
#[test]
fn audit_outputs_match_their_schemas() {
    let data = "crates/iamspect/tests/data";
    let v = output(&["trust-audit", "--account-data", &format!("{data}/trust_audit/gaad.json"), "--format", "json"]);
    check("trust-audit.schema.json", &v, "trust-audit");
    let v = output(&["credential-audit", &format!("{data}/credential_audit/report.json"), "--format", "json"]);
    check("credential-audit.schema.json", &v, "credential-audit");
    let home = std::env::temp_dir().join(format!("iamspect-schemas-whoami-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile deploy]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = keys\n\n[profile keys]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    for profile in ["deploy", "keys"] {
        let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
            .args(["whoami", "--profile", profile, "--format", "json"])
            .env_clear()
            .env("HOME", &home)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("whoami: {e}"));
        check("whoami.schema.json", &v, &format!("whoami --profile {profile}"));
    }
    std::fs::remove_dir_all(&home).unwrap();
}

/// The schemas bite: outputs with a field missing or a wrong value are refused.
#[test]
fn schemas_refuse_what_they_do_not_describe() {
    let refuses = |schema: &str, value: Value| {
        let text = std::fs::read_to_string(root().join("docs/schemas").join(schema)).unwrap();
        let validator = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
        assert!(!validator.is_valid(&value), "{schema} accepted {value}");
    };
    refuses("lint.schema.json", serde_json::json!({"findings": [{}]}));
    refuses(
        "credential-audit.schema.json",
        serde_json::json!({"findings": [{"code": "ROOT_NO_MFA", "severity": "HIGH", "user": "u", "message": "m"}], "time": {"value": "t", "from": "f"}}),
    );
    refuses("trust-audit.schema.json", serde_json::json!({"roles": [{"arn": "a", "findings": []}]}));
    refuses(
        "who-can.schema.json",
        serde_json::json!({"action": "a", "resource": "r", "principals": 1, "evaluated": 1, "leftOut": [], "time": {"value": "t", "given": false},
        "allowed": [{"principal": "p", "kind": "user", "conditional": true, "grantedBy": [], "conditions": []}]}),
    );
    let mut explain = output(&["explain", "examples/org/prod-backups.json", "--index", "0", "--format", "json"]);
    explain["EvaluationResults"][0]["iamspect"]["fixes"][1]["kind"] = Value::from("shortcut");
    refuses("explain.schema.json", explain.clone());
    explain["EvaluationResults"][0]["iamspect"]["fixes"][1]["kind"] = Value::from("weakening");
    explain["EvaluationResults"][0]["iamspect"]["fixes"][1].as_object_mut().unwrap().remove("weakens");
    refuses("explain.schema.json", explain);
}

#[test]
fn eval_unknown_and_scp_impact_outputs_match_their_schemas() {
    let policy = root().join("examples/org/policies/developer-role.json");
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args([
            "eval",
            "--principal",
            "arn:aws:iam::111122223333:user/alice",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::b/k",
            "--resource-account",
            "111122223333",
            "--identity-policy",
            &policy.display().to_string(),
            "--unknown",
            "aws:SourceIp,aws:RequestedRegion",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(v.get("allowedIf").is_some(), "{v}");
    check("eval.schema.json", &v, "eval --unknown");
    let data = root().join("crates/iamspect/tests/scp_impact_data");
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args([
            "scp-impact",
            "--account-data",
            &format!("{},{}", data.join("gaad.json").display(), data.join("org.json").display()),
            "--scp",
            &data.join("region-lock-scp.json").display().to_string(),
            "--target",
            "r-exam",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    check("scp-impact.schema.json", &v, "scp-impact");
}

/// Every known-answer check of `tests/check/manifest.json`, and an UNKNOWN one, validates against
/// `check.schema.json` (the checks' JSON, also the server's `/v1/check-*` bodies).
#[test]
fn the_checks_outputs_validate() {
    let dir = root().join("tests/check");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let file = |v: &Value| dir.join(v.as_str().unwrap()).to_str().unwrap().to_string();
    for c in manifest["checks"].as_array().unwrap() {
        let mut args: Vec<String> = vec![c["command"].as_str().unwrap().to_string()];
        match c["command"].as_str().unwrap() {
            "check-no-new-access" => {
                args.extend([file(&c["new"]), "--existing".into(), file(&c["existing"])]);
            }
            "check-access-not-granted" => {
                let join = |k: &str| {
                    c[k].as_array().map(|a| a.iter().map(|s| s.as_str().unwrap()).collect::<Vec<_>>().join(","))
                };
                args.extend([file(&c["policy"]), "--actions".into(), join("actions").unwrap()]);
                if let Some(r) = join("resources") {
                    args.extend(["--resources".into(), r]);
                }
            }
            _ => {
                args.extend([file(&c["policy"]), "--resource-type".into(), c["resourceType"].as_str().unwrap().into()]);
                if let Some(o) = c["organization"].as_str() {
                    args.extend(["--organization".into(), o.into()]);
                }
            }
        }
        if let Some(t) = c["policyType"].as_str() {
            args.extend(["--policy-type".into(), t.into()]);
        }
        args.extend(["--format".into(), "json".into()]);
        let out = Command::new(env!("CARGO_BIN_EXE_iamspect")).args(&args).current_dir(root()).output().unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["result"], c["result"], "{args:?}");
        check("check.schema.json", &v, &format!("{args:?}"));
    }
    // UNKNOWN: a policy variable that ties a key to another value.
    let scratch = std::env::temp_dir().join(format!("iamspect-schemas-check-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let new = scratch.join("new.json");
    std::fs::write(&new, r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}}}"#).unwrap();
    let old = scratch.join("old.json");
    std::fs::write(&old, r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
        .args([
            "check-no-new-access",
            new.to_str().unwrap(),
            "--existing",
            old.to_str().unwrap(),
            "--policy-type",
            "identity",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    if v["result"] == "UNKNOWN" {
        assert!(v["unknown"]["construct"].is_string(), "{v}");
    }
    check("check.schema.json", &v, "check-no-new-access with policy variables");
}
