//! Every input is used or refused (issue 12), through the real binary: policy flags on top of
//! account data, principals that are not principals, case files with account data, false greens,
//! malformed values, the clock keys, SCP levels without an Allow.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamspect"));
    cmd.args(args).current_dir(dir).env_remove("CI");
    if let Some(input) = stdin {
        use std::io::Write;
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        return child.wait_with_output().unwrap();
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 with one `error:` line on standard error that contains `says`.
fn refused(o: &Output, says: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stdout: {}\nstderr: {err}", stdout(o));
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains(says), "wanted `{says}` in: {err}");
}

const ADMIN: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
const DENY_ALL: &str =
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#;
const DENY_S3_ANYONE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#;

/// A folder with account data (Charlie, an admin user of 123456789012, and Dana with a boundary)
/// and policy files.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!("iamspect-inputs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let user = |name: &str, id: &str, boundary: &str| {
            format!(
                r#"{{"Path": "/", "UserName": "{name}", "UserId": "{id}", "Arn": "arn:aws:iam::123456789012:user/{name}",
                    "UserPolicyList": [{{"PolicyName": "admin", "PolicyDocument": {ADMIN}}}], "GroupList": [],
                    "AttachedManagedPolicies": []{boundary}}}"#
            )
        };
        let boundary = r#", "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/Bound"}"#;
        let gaad = format!(
            r#"{{"UserDetailList": [{}, {}], "GroupDetailList": [], "RoleDetailList": [],
                "Policies": [{{"PolicyName": "Bound", "PolicyId": "ANPAEXAMPLE", "Arn": "arn:aws:iam::123456789012:policy/Bound", "Path": "/",
                  "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
                  "PolicyVersionList": [{{"Document": {ADMIN}, "VersionId": "v1", "IsDefaultVersion": true}}]}}]}}"#,
            user("Charlie", "AIDAEXAMPLECHARLIE", ""),
            user("Dana", "AIDAEXAMPLEDANA", boundary)
        );
        std::fs::write(dir.join("data/gaad.json"), gaad).unwrap();
        std::fs::write(dir.join("denyall.json"), DENY_ALL).unwrap();
        std::fs::write(dir.join("fullaccess.json"), ADMIN).unwrap();
        std::fs::write(dir.join("rcp-deny.json"), DENY_S3_ANYONE).unwrap();
        std::fs::write(dir.join("vpce-deny.json"), DENY_S3_ANYONE).unwrap();
        Fixture { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(&self.dir, args, None)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        name.to_string()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const CHARLIE: &str = "arn:aws:iam::123456789012:user/Charlie";
const OBJECT: &str = "arn:aws:s3:::acme-reports/q1.csv";

/// Item 1: every policy flag given with `--account-data` is weighed, and the output says where
/// each layer came from.
#[test]
fn policy_flags_combine_with_account_data() {
    let f = Fixture::new("combine");
    let base = ["--account-data", "data", "--principal", CHARLIE, "--action", "s3:GetObject", "--resource", OBJECT];
    let out = f.run(&[&["explain"], &base[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    for (flag, file, denier) in [
        ("--identity-policy", "denyall.json", "identity"),
        ("--permissions-boundary", "denyall.json", "permissionsBoundary"),
        ("--vpc-endpoint-policy", "vpce-deny.json", "vpcEndpoint"),
        ("--rcp", "rcp-deny.json", "rcp"),
        ("--scp", "denyall.json", "scp"),
    ] {
        for command in ["explain", "eval"] {
            let out = f.run(&[&[command], &base[..], &[flag, file, "--format", "json"]].concat());
            assert_eq!(out.status.code(), Some(1), "{command} {flag}: {}{}", stdout(&out), stderr(&out));
            let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            let denied_by =
                if command == "eval" { &v["deniedBy"] } else { &v["EvaluationResults"][0]["iamspect"]["deniedBy"] };
            let denied: Vec<&str> = denied_by.as_array().unwrap().iter().filter_map(|d| d.as_str()).collect();
            assert!(denied.contains(&denier), "{command} {flag}: {v}");
            let from: Vec<&str> = v["sources"].as_array().unwrap().iter().filter_map(|s| s["from"].as_str()).collect();
            assert!(from.contains(&"flags") && from.contains(&"account data"), "{command} {flag}: {v}");
        }
    }
    // The issue's reproduction, all flags at once: denied, each layer named with its source.
    let out = f.run(
        &[
            &["explain"],
            &base[..],
            &[
                "--identity-policy",
                "denyall.json",
                "--permissions-boundary",
                "denyall.json",
                "--vpc-endpoint-policy",
                "vpce-deny.json",
                "--rcp",
                "rcp-deny.json",
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("identityPolicies from account data: "), "{text}");
    assert!(text.contains("identityPolicies from flags: denyall.json"), "{text}");
    for layer in ["identity-based policies", "permissions boundary", "VPC endpoint policy", "resource control policies"]
    {
        let line = text.lines().find(|l| l.trim_start().starts_with(layer)).unwrap_or_default();
        assert!(line.ends_with("denies"), "{layer}: {text}");
    }
    // A user has no session policies: refused, not ignored.
    refused(&f.run(&[&["eval"], &base[..], &["--session-policy", "denyall.json"]].concat()), "no session policies");
    // A boundary the data already holds cannot take a second one.
    let dana = "arn:aws:iam::123456789012:user/Dana";
    let out = f.run(&[
        "explain",
        "--account-data",
        "data",
        "--principal",
        dana,
        "--action",
        "s3:GetObject",
        "--resource",
        OBJECT,
        "--permissions-boundary",
        "denyall.json",
    ]);
    refused(&out, "the permissions boundary comes from account data");
}

/// Item 1: `--message` reads a message and weighs nothing, so anything else is refused.
#[test]
fn message_refuses_what_it_cannot_use() {
    let f = Fixture::new("message");
    let msg = "User: arn:aws:iam::123456789012:user/x is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:GetObject action";
    let out = f.run(&["explain", "--message", msg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // With policies, the request the message names is decided, and the message's own verdict is
    // AWS's (decision D82): here AWS saw no allow, the given policy denies explicitly.
    let out = f.run(&["explain", "--message", msg, "--identity-policy", "denyall.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("AWS decided: implicitDeny: no identity-based policy allows it"), "{}", stdout(&out));
    assert!(stdout(&out).contains("DISAGREES"), "{}", stdout(&out));
    // AWS denied, the given policy allows: still denied (exit 1), and the difference said.
    let out = f.run(&[
        "explain",
        "--message",
        msg,
        "--identity-policy",
        "fullaccess.json",
        "--resource-account",
        "123456789012",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("a policy AWS weighed is missing from the input"), "{}", stdout(&out));
    refused(
        &f.run(&["explain", "--message", msg, "--identity-policy", "denyall.json", "--action", "s3:PutObject"]),
        "`--action`",
    );
    refused(&f.run(&["explain", "--message", msg, "--account-data", "data"]), "user `x` is not in the loaded data");
    // A decoded message is read strictly too: a key given twice is refused, not merged.
    let decoded = f.write("decoded.json", r#"{"allowed": false, "allowed": true, "context": {}}"#);
    refused(
        &f.run(&["explain", "--decoded", &decoded, "--identity-policy", "fullaccess.json"]),
        "duplicate key `allowed`",
    );
    refused(&f.run(&["explain", "--decoded", &decoded, "--principal", CHARLIE]), "--principal");
}

/// Item 2: a principal that is not a principal is refused in every command.
#[test]
fn principals_are_one_of_the_accepted_forms() {
    let f = Fixture::new("principals");
    for principal in ["bob", "123456789012", "arn:aws:iam::1234:user/x"] {
        let args = ["--principal", principal, "--action", "s3:GetObject", "--resource", OBJECT];
        let says = if principal == "123456789012" { "arn:aws:iam::123456789012:root" } else { principal };
        refused(&f.run(&[&["explain"], &args[..], &["--identity-policy", "fullaccess.json"]].concat()), says);
        refused(&f.run(&[&["eval"], &args[..]].concat()), says);
        refused(&f.run(&[&["eval", "--account-data", "data"], &args[..]].concat()), says);
        refused(&f.run(&["what-can", "--account-data", "data", "--principal", principal]), says);
    }
}

/// Item 4: a case file with account data, in either order, from a file or standard input.
#[test]
fn case_files_with_account_data() {
    let f = Fixture::new("cases");
    let case = f.write(
        "case.json",
        &format!(r#"{{"principal": "{CHARLIE}", "action": "s3:GetObject", "resource": "{OBJECT}", "expect": {{"decision": "allowed"}}}}"#),
    );
    for args in [
        vec!["eval", &case, "--account-data", "data"],
        vec!["eval", "--account-data", "data", &case],
        vec!["explain", &case, "--account-data", "data"],
        vec!["explain", "--account-data", "data", &case],
        vec!["eval", "--account-data=data", &case],
    ] {
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("from account data"), "{args:?}: {}", stdout(&out));
    }
    let text = std::fs::read_to_string(f.dir.join(&case)).unwrap();
    let out = run_in(&f.dir, &["eval", "-", "--account-data", "data"], Some(&text));
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    // The case's own policies are added to the data's.
    let deny = f.write(
        "deny-case.json",
        &format!(r#"{{"principal": "{CHARLIE}", "action": "s3:GetObject", "resource": "{OBJECT}", "identityPolicies": [{DENY_ALL}]}}"#),
    );
    let out = f.run(&["eval", &deny, "--account-data", "data", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // Flags and a case file give the request twice: refused.
    refused(&f.run(&["eval", &case, "--principal", CHARLIE]), "`--principal`");
    refused(&f.run(&["explain", &case, "--identity-policy", "denyall.json"]), "`--identity-policy`");
}

/// Item 7: values are checked, with the flag, the value and the type.
#[test]
fn values_are_checked() {
    let f = Fixture::new("values");
    let args = ["--principal", CHARLIE, "--action", "s3:GetObject", "--resource", OBJECT];
    for (extra, says) in [
        (vec!["--context", "aws:SourceIp=999.1.1.1"], "`999.1.1.1` is not an IP address"),
        (vec!["--context", "=x"], "the key is empty"),
        (vec!["--context", "aws:CurrentTime=yesterday"], "is not a date"),
        (vec!["--resource-account", "abc"], "`--resource-account` `abc` is not an AWS account id"),
    ] {
        refused(&f.run(&[&["explain"], &args[..], &extra[..]].concat()), says);
        refused(&f.run(&[&["eval"], &args[..], &extra[..]].concat()), says);
    }
    refused(
        &f.run(&["eval", "--principal", CHARLIE, "--action", "s3:GetObjekt", "--resource", OBJECT]),
        "did you mean `s3:GetObject`?",
    );
    refused(
        &f.run(&["eval", "--principal", CHARLIE, "--action", "s4:GetObject", "--resource", OBJECT]),
        "did you mean `s3`?",
    );
    refused(
        &f.run(&["what-can", "--account-data", "data", "--principal", CHARLIE, "--service", "iamm"]),
        "did you mean `iam`?",
    );
    refused(
        &f.run(&["who-can", "--account-data", "data", "--action", "s3:GetObjekt", "--resource", OBJECT]),
        "did you mean",
    );
}

/// Item 9: the clock keys are set outside case files, shown, and `--context` overrides them.
#[test]
fn clock_keys_are_set_and_shown() {
    let f = Fixture::new("clock");
    let policy = f.write(
        "recent.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "NumericGreaterThan": {"aws:EpochTime": "1577836800"}}}]}"#,
    );
    let args = ["--principal", CHARLIE, "--action", "s3:GetObject", "--resource", OBJECT, "--identity-policy", &policy];
    let out = f.run(&[&["explain"], &args[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("(now;"), "{}", stdout(&out));
    let out = f.run(&[&["eval", "--format", "json"], &args[..]].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["time"]["given"], false, "{v}");
    let out = f.run(&[&["eval", "--context", "aws:CurrentTime=2019-06-01T00:00:00Z"], &args[..]].concat());
    assert_eq!(out.status.code(), Some(1), "a given time is used: {}", stdout(&out));
    assert!(stdout(&out).contains("time 2019-06-01T00:00:00Z (given)"), "{}", stdout(&out));
}

/// Item 5: nothing found is exit 2, unreadable files come before any summary, `expect` is checked.
#[test]
fn no_false_greens() {
    let f = Fixture::new("greens");
    std::fs::create_dir_all(f.dir.join("empty")).unwrap();
    let out = f.run(&["test", "empty"]);
    refused(&out, "empty: no case file");
    assert!(!stdout(&out).contains("passed"), "{}", stdout(&out));
    refused(&f.run(&["lint", "empty"]), "empty: no policy");
    let out = f.run(&["lint", "missing.json"]);
    refused(&out, "missing.json");
    assert_eq!(stdout(&out), "", "no summary for nothing linted");
    let no_cases = f.write("none.json", r#"{"cases": []}"#);
    refused(&f.run(&["test", &no_cases]), "holds no case");
    let case = |expect: &str| {
        format!(
            r#"{{"principal": "{CHARLIE}", "action": "s3:GetObject", "resource": "{OBJECT}",
  "expect": {expect}}}"#
        )
    };
    for (expect, says) in [
        (r#"{"decision": "denied"}"#, "(line 2, column 13): `decision` `denied` is not"),
        (r#"{"decision": "implicitDeny", "deniedBy": ["identities"]}"#, "`deniedBy` `identities` is not a policy type"),
        (r#"{"decision": "allowed", "deniedBy": ["identity"]}"#, "`deniedBy` is for a denial"),
        (r#"{"error": ""}"#, "`error` is empty"),
        (r#"{"error": "x", "decision": "allowed"}"#, "cannot come with `decision`"),
        ("{}", "nothing is expected"),
        (r#"{"decision": "allowed", "decision": "allowed"}"#, "duplicate field `decision`"),
    ] {
        let file = f.write("expect.json", &case(expect));
        refused(&f.run(&["test", &file]), says);
    }
}

/// Item 3: an SCP level without any Allow is explained, and the fix attaches FullAWSAccess.
#[test]
fn scp_level_without_allow_is_explained() {
    let f = Fixture::new("scp");
    let scp = f.write(
        "scp.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}"#,
    );
    let args = [
        "--principal",
        CHARLIE,
        "--action",
        "s3:GetObject",
        "--resource",
        OBJECT,
        "--identity-policy",
        "fullaccess.json",
    ];
    let out = f.run(&[&["explain"], &args[..], &["--scp", &scp]].concat());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("has no Allow statement, so it allows nothing"), "{text}");
    assert!(text.contains("`--scp FullAWSAccess,scp.json`"), "{text}");
    let out = f.run(&[&["explain", "--format", "json"], &args[..], &["--scp", &scp]].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let extra = &v["EvaluationResults"][0]["iamspect"];
    assert_eq!(extra["levelsWithoutAllow"][0]["defaultPolicy"], "FullAWSAccess", "{extra}");
    let fix = &extra["fixes"][0];
    assert_eq!(fix["kind"], "grant", "{extra}");
    let edits = fix["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{extra}");
    assert_eq!(edits[0]["policy"], "FullAWSAccess", "{extra}");
    assert!(!edits[0]["policyAfter"].as_str().unwrap().contains("acme-reports"), "no per-object allow: {extra}");
    assert_eq!(fix["proved"], true, "{extra}");
    // With AWS's default written out, the deny list does what it says.
    let full = format!("FullAWSAccess,{scp}");
    let out = f.run(&[&["explain"], &args[..], &["--scp", &full]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// Item 6: without `--type`, lint reads each file's type from its content and says it; a case
/// file is read as a case, each policy with the type of its field.
#[test]
fn lint_reads_the_type_from_the_content() {
    let out = run_in(&root(), &["lint", "--format", "json", "examples/org/policies"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let errors = v["findings"].as_array().unwrap().iter().filter(|f| f["findingType"] == "ERROR").count();
    assert_eq!(errors, 0, "{v}");
    let notes = stderr(&out);
    assert!(notes.contains("backup-bucket-policy.json: linted as type `resource`"), "{notes}");
    assert!(notes.contains("partner-access-trust-policy.json: linted as type `trust`"), "{notes}");
    assert!(notes.contains("developer-role.json: linted as type `identity`"), "{notes}");

    let f = Fixture::new("lint");
    let case = f.write(
        "case.json",
        &format!(
            r#"{{"principal": "{CHARLIE}", "action": "s3:GetObject", "resource": "{OBJECT}",
  "identityPolicies": [{ADMIN}],
  "resourcePolicy": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{CHARLIE}"}}, "Action": "s3:GetObject", "Resource": "{OBJECT}"}}]}},
  "expect": {{"decision": "allowed"}}}}"#
        ),
    );
    let out = f.run(&["lint", "--format", "json", &case]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let errors: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["findingType"] == "ERROR").collect();
    assert!(errors.is_empty(), "a case file is not one policy: {errors:?}");
    let notes = stderr(&out);
    assert!(notes.contains("`cases[0].resourcePolicy` linted as type `resource`"), "{notes}");
    assert!(notes.contains("`cases[0].identityPolicies[0]` linted as type `identity`"), "{notes}");
    // `--type` still chooses for a plain policy.
    let out = f.run(&["lint", "--type", "scp", "denyall.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("linted as"), "{}", stderr(&out));
}

/// Item 8: who-can asks whose bucket it is when several accounts are loaded, and reports a
/// grant to everyone as such, with its conditions.
#[test]
fn who_can_names_the_bucket_account_and_everyone() {
    let f = Fixture::new("whocan");
    let other = r#"{"UserDetailList": [{"Path": "/", "UserName": "eve", "UserId": "AIDAEXAMPLEEVE", "Arn": "arn:aws:iam::444455556666:user/eve",
        "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": []}], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
    f.write("two/other.json", other);
    std::fs::copy(f.dir.join("data/gaad.json"), f.dir.join("two/gaad.json")).unwrap();
    let args = ["who-can", "--account-data", "two", "--action", "s3:GetObject", "--resource", OBJECT];
    refused(&f.run(&args), "2 accounts are loaded (123456789012, 444455556666)");
    let out = f.run(&[&args[..], &["--resource-account", "123456789012"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("user/eve"), "eve's account does not own the bucket: {}", stdout(&out));
    // One account loaded: it is the bucket's, and the output says so.
    let out = f.run(&["who-can", "--account-data", "data", "--action", "s3:GetObject", "--resource", OBJECT]);
    assert!(stdout(&out).contains("the only account loaded"), "{}", stdout(&out));
    // A bucket policy that grants "*" is reported as open to everyone, with its conditions.
    let public = r#"{"resourcePolicies": {"arn:aws:s3:::acme-reports": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-reports/*"},
        {"Sid": "OrgOnly", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-reports/*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}}}"#;
    f.write("data/bucket.json", public);
    let out = f.run(&[
        "who-can",
        "--account-data",
        "data",
        "--action",
        "s3:GetObject",
        "--resource",
        OBJECT,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["everyone"]["anonymousDecision"], "allowed", "{v}");
    let out = f.run(&["who-can", "--account-data", "data", "--action", "s3:PutObject", "--resource", OBJECT]);
    let text = stdout(&out);
    assert!(text.contains("everyone:") && text.contains("aws:PrincipalOrgID"), "{text}");
}

/// Account data that fails to load decides nothing (D35): a bucket policy with a Deny in a
/// damaged file must not turn a deny into an allow.
#[test]
fn account_data_that_fails_to_load_decides_nothing() {
    let f = Fixture::new("partial-data");
    f.write("data/resources.json", r#"{"resourcePolicies": {"arn:aws:s3:::acme-reports": "#);
    for args in [
        vec![
            "eval",
            "--account-data",
            "data",
            "--principal",
            CHARLIE,
            "--action",
            "s3:GetObject",
            "--resource",
            OBJECT,
        ],
        vec![
            "explain",
            "--account-data",
            "data",
            "--principal",
            CHARLIE,
            "--action",
            "s3:GetObject",
            "--resource",
            OBJECT,
        ],
        vec![
            "who-can",
            "--account-data",
            "data",
            "--action",
            "s3:GetObject",
            "--resource",
            OBJECT,
            "--resource-account",
            "123456789012",
        ],
        vec!["what-can", "--account-data", "data", "--principal", CHARLIE],
    ] {
        let o = f.run(&args);
        refused(&o, "resources.json");
    }
}

/// An iamspect encoded message carries the issued session's own policies; explaining it with
/// account data weighs them, and `--session-policy` cannot be added to them.
#[test]
fn encoded_session_policies_are_weighed() {
    let f = Fixture::new("token-sessions");
    let role = format!(
        r#"{{"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [{{"Path": "/", "RoleName": "App",
            "RoleId": "AROAEXAMPLEAPP", "Arn": "arn:aws:iam::123456789012:role/App",
            "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": []}},
            "RolePolicyList": [{{"PolicyName": "admin", "PolicyDocument": {ADMIN}}}], "AttachedManagedPolicies": []}}]}}"#
    );
    f.write("roles/gaad.json", &role);
    let session =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    let decoded = serde_json::json!({
        "allowed": false, "explicitDeny": false, "matchedStatements": {"items": []}, "failures": {"items": []},
        "context": {"principal": {"id": "AROAEXAMPLEAPP:s1", "arn": "arn:aws:sts::123456789012:assumed-role/App/s1"},
            "action": "s3:GetObject", "resource": OBJECT, "conditions": {"items": []}},
        "iamspect": {"version": 1, "decision": "implicitDeny", "deniedBy": ["session"], "message": null,
            "resourceAccount": "123456789012", "sessionPolicies": [session]}
    });
    f.write("decoded.json", &decoded.to_string());
    let o = f.run(&["explain", "--decoded", "decoded.json", "--account-data", "roles", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("\"session\""), "{}", stdout(&o));
    let o = f.run(&[
        "explain",
        "--decoded",
        "decoded.json",
        "--account-data",
        "roles",
        "--session-policy",
        "fullaccess.json",
    ]);
    refused(&o, "session's own policies");
}
