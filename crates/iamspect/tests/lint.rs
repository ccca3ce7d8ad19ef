//! `iamspect lint` through the real binary: the four output formats (snapshots), exit codes,
//! `--select`/`--ignore`/`--fail-on`/`--explain`, and policies found in Terraform plans and
//! CloudFormation templates. Fixtures are in `tests/lint_data`; the findings they rely on are
//! grammar errors, which every version of the rule set reports, and the checks that depend on
//! which rules exist read the codes from the output instead of naming them.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint_data")
}

fn lint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).arg("lint").args(args).current_dir(data()).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = lint(&all);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    (v, out.status.code())
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

fn codes(v: &Value) -> Vec<String> {
    findings(v).iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

/// The finding at `line` of `file` (1-based, as Access Analyzer counts lines).
fn at<'a>(v: &'a Value, file: &str, line: u64) -> &'a Value {
    findings(v)
        .iter()
        .find(|f| f["file"] == file && f["locations"][0]["span"]["start"]["line"] == line)
        .unwrap_or_else(|| panic!("no finding at {file}:{line} in {v:#}"))
}

const GRAMMAR: [&str; 2] = ["policies/bad-effect.json", "policies/trailing-comma.json"];

#[test]
fn text_output() {
    let out = lint(&GRAMMAR);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("text_grammar_errors", stdout(&out));
}

#[test]
fn text_output_of_templates() {
    let out = lint(&["cfn/template.yaml", "cfn/template.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    // Only the grammar findings are pinned: other rules may add findings to these templates.
    let effect: Vec<&str> = text.split("\n\n").filter(|b| b.contains("`Effect` must be")).collect();
    insta::assert_snapshot!("text_templates", effect.join("\n\n"));
}

#[test]
fn json_output() {
    let out = lint(&["--format", "json", GRAMMAR[0], GRAMMAR[1]]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("json_grammar_errors", stdout(&out));
}

#[test]
fn github_output() {
    let out = lint(&["--format", "github", GRAMMAR[0], GRAMMAR[1]]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("github_grammar_errors", stdout(&out));
    let out = lint(&["--format", "github", "cfn/template.yaml", "terraform/plan.json"]);
    let text = stdout(&out);
    let effect: Vec<&str> = text.lines().filter(|l| l.contains("`Effect` must be")).collect();
    insta::assert_snapshot!("github_templates", effect.join("\n"));
}

#[test]
fn sarif_output() {
    let out = lint(&["--format", "sarif", GRAMMAR[0], GRAMMAR[1], "cfn/template.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "iamspect");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        for field in ["id", "name", "shortDescription", "fullDescription", "help", "defaultConfiguration"] {
            assert!(!rule[field].is_null(), "rule without {field}: {rule:#}");
        }
        let security = rule["properties"].get("security-severity").is_some();
        assert_eq!(security, rule["properties"]["issueCode"].is_string() && security);
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "{r:#}");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.starts_with("./"), "{uri}");
        for field in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][field].as_u64().unwrap() >= 1, "{r:#}");
        }
    }
    // The grammar findings, pinned.
    // (`ruleIndex` moves as rules are added; its agreement with `ruleId` is checked above.)
    let effect: Vec<Value> = results
        .iter()
        .filter(|r| r["message"]["text"].as_str().unwrap().contains("`Effect` must be"))
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("ruleIndex");
            r
        })
        .collect();
    insta::assert_json_snapshot!("sarif_effect_results", effect);
}

#[test]
fn exit_codes() {
    assert_eq!(lint(&["policies/clean.json"]).status.code(), Some(0));
    assert_eq!(lint(&[GRAMMAR[0]]).status.code(), Some(1));
    let missing = lint(&["policies/no-such-file.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no-such-file.json"), "{}", stderr(&missing));
    // A missing file next to a good one still exits 2, after reporting the good one.
    assert_eq!(lint(&["policies/clean.json", "policies/no-such-file.json"]).status.code(), Some(2));
    assert_eq!(lint(&["--type", "nonsense", "policies/clean.json"]).status.code(), Some(2));
    assert_eq!(lint(&["--fail-on", "CRITICAL", "policies/clean.json"]).status.code(), Some(2));
    assert_eq!(lint(&["--format", "xml", "policies/clean.json"]).status.code(), Some(2));
    assert_eq!(lint(&[]).status.code(), Some(2));
}

#[test]
fn fail_on_thresholds() {
    let order = ["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"];
    let (v, _) = json(&["policies", "cfn", "terraform"]);
    let rank = |t: &str| order.iter().position(|o| *o == t).unwrap();
    for (i, level) in order.iter().enumerate() {
        let expect_fail = findings(&v).iter().any(|f| rank(f["findingType"].as_str().unwrap()) <= i);
        let out = lint(&["--fail-on", level, "policies", "cfn", "terraform"]);
        assert_eq!(out.status.code(), Some(i32::from(expect_fail)), "--fail-on {level}");
    }
    // Lower case is accepted too.
    assert_eq!(lint(&["--fail-on", "warning", GRAMMAR[0]]).status.code(), Some(1));
}

#[test]
fn select_and_ignore() {
    let (all, _) = json(&GRAMMAR);
    let codes_all = codes(&all);
    assert!(codes_all.len() >= 2, "{all:#}");
    let first = codes_all[0].clone();
    let first_name = findings(&all)[0]["name"].as_str().unwrap().to_string();

    let (v, code) = json(&["--ignore", &first, GRAMMAR[0], GRAMMAR[1]]);
    assert!(!codes(&v).contains(&first));
    assert_eq!(codes(&v).len(), codes_all.iter().filter(|c| **c != first).count());
    let expected = if codes(&v).is_empty() { Some(0) } else { code };
    assert_eq!(code, expected);

    let (v, _) = json(&["--select", &first, GRAMMAR[0], GRAMMAR[1]]);
    assert!(!codes(&v).is_empty() && codes(&v).iter().all(|c| *c == first), "{v:#}");

    // By name, in a comma-separated list, as the codes are.
    let (v, _) = json(&["--ignore", &format!("{first_name},{first}"), GRAMMAR[0], GRAMMAR[1]]);
    assert!(!codes(&v).contains(&first));
    let (v, _) = json(&["--select", &first_name, GRAMMAR[0], GRAMMAR[1]]);
    assert!(codes(&v).iter().all(|c| *c == first), "{v:#}");

    // Ignoring every code found leaves nothing, and exit 0.
    let every = codes_all.join(",");
    let (v, code) = json(&["--ignore", &every, GRAMMAR[0], GRAMMAR[1]]);
    assert!(findings(&v).is_empty());
    assert_eq!(code, Some(0));

    assert_eq!(lint(&["--select", "no-such-rule", GRAMMAR[0]]).status.code(), Some(2));
}

#[test]
fn explain_prints_the_rule() {
    let (all, _) = json(&GRAMMAR);
    let f = &findings(&all)[0];
    let code = f["code"].as_str().unwrap();
    let name = f["name"].as_str().unwrap();
    let out = lint(&["--explain", code]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("# {code} ({name})")), "{}", stdout(&out));
    let by_name = lint(&["--explain", name]);
    assert_eq!(stdout(&by_name), stdout(&out));
    assert_eq!(lint(&["--explain", "IAM999999"]).status.code(), Some(2));
}

#[test]
fn terraform_plan() {
    let out = lint(&["terraform/plan.json"]);
    assert!(stdout(&out).contains("in 4 policies from 1 file"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("aws_iam_role_policy.computed: `policy` is known only after apply"),
        "{}",
        stderr(&out)
    );
    let (v, code) = json(&["terraform/plan.json"]);
    assert_eq!(code, Some(1));
    let effect = findings(&v).iter().find(|f| f["resource"]["name"] == "aws_iam_role.app").unwrap();
    assert_eq!(effect["resource"]["attribute"], "assume_role_policy");
    assert_eq!(effect["policyType"], "trust");
    assert_eq!(effect["positionIn"], "policy");
    assert_eq!(effect["locations"][0]["span"]["start"], serde_json::json!({"line": 1, "column": 47, "offset": 47}));
    assert_eq!(
        effect["locations"][0]["path"],
        serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Effect"}])
    );
    // The bucket policy of the child module is linted as a resource policy: it lacks a Principal.
    let bucket = findings(&v)
        .iter()
        .find(|f| f["resource"]["name"] == "module.storage.aws_s3_bucket_policy.this")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(bucket["policyType"], "resource");
    assert_eq!(bucket["locations"][0]["span"]["start"]["line"], 4);
    // Data sources are left out.
    assert!(findings(&v).iter().all(|f| !f["resource"]["name"].as_str().unwrap_or("").starts_with("data.")));
}

#[test]
fn cloudformation_json_and_yaml() {
    for (file, policies, effect_line, effect_col, if_line, if_col) in
        [("cfn/template.json", 3, 27, 28, 45, 24), ("cfn/template.yaml", 4, 25, 24, 35, 20)]
    {
        let text = stdout(&lint(&[file]));
        assert!(text.contains(&format!("in {policies} policies from 1 file")), "{text}");
        let (v, code) = json(&[file]);
        assert_eq!(code, Some(1));
        let f = at(&v, file, effect_line);
        assert_eq!(
            f["resource"],
            serde_json::json!({"name": "AppRole", "type": "AWS::IAM::Role", "attribute": "Policies[0].PolicyDocument"})
        );
        assert_eq!(f["locations"][0]["span"]["start"]["column"], effect_col);
        assert_eq!(f["exactPosition"], true);
        assert!(f.get("uncertain").is_none());
        assert_eq!(f["policyType"], "identity");
        // `Effect: !If [...]`: located on the intrinsic function, and uncertain.
        let f = at(&v, file, if_line);
        assert_eq!(f["resource"]["name"], "LogsPolicy");
        assert_eq!(f["policyType"], "resource");
        assert_eq!(f["locations"][0]["span"]["start"]["column"], if_col);
        assert_eq!(f["uncertain"]["intrinsicFunction"], "Fn::If");
        assert!(f["findingDetails"].as_str().unwrap().ends_with("(uncertain: the value comes from Fn::If)"));
        assert_eq!(
            f["locations"][0]["path"],
            serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Effect"}])
        );
    }
}

#[test]
fn folders_are_searched() {
    let out = lint(&["policies"]);
    let text = stdout(&out);
    assert!(text.contains("policies/bad-effect.json") && text.contains("policies/trailing-comma.json"), "{text}");
    assert!(text.contains("from 4 files"), "{text}");
}

#[test]
fn resource_type_and_policy_type_flags() {
    // As an identity policy, the bucket policy shape is fine; as a resource policy it needs a Principal.
    let (v, _) = json(&["--type", "resource", "--resource-type", "AWS::S3::Bucket", "policies/clean.json"]);
    assert!(findings(&v).iter().any(|f| f["policyType"] == "resource" && f["findingType"] == "ERROR"), "{v:#}");
}
