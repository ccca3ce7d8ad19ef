//! `paths`: the lab dump's ground truth (principals named after the technique that lets them
//! escalate reach admin with that technique first; the look-alikes do not), every hop's requests
//! decided again by `iamspect eval`, and each technique taken away by a boundary, an SCP, a trust
//! policy condition or `iam:PassedToService`.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const NOW: &str = "aws:CurrentTime=2026-06-01T12:00:00Z";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lab() -> Option<PathBuf> {
    let path = root().join("../shared/corpora/gaad/cloudsplaining/examples_files_example.json");
    if path.is_file() {
        return Some(path);
    }
    let message =
        format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
    None
}

fn iamspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iamspect")).args(args).current_dir(root()).output().unwrap()
}

fn paths(data: &[&Path], extra: &[&str]) -> Value {
    let data: Vec<String> = data.iter().map(|p| p.to_str().unwrap().to_string()).collect();
    let joined = data.join(",");
    let mut args = vec!["paths", "--account-data", &joined, "--context", NOW, "--format", "json"];
    args.extend_from_slice(extra);
    let out = iamspect(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn principal<'a>(v: &'a Value, arn: &str) -> &'a Value {
    v["principals"].as_array().unwrap().iter().find(|p| p["arn"] == arn).unwrap_or_else(|| panic!("{arn} not listed"))
}

fn first_technique(p: &Value) -> Option<String> {
    p["paths"][0]["steps"][0]["technique"].as_str().map(str::to_string)
}

/// The lab's principals (users and their role twins) and the technique that lets each escalate.
const ESCALATES: &[(&str, &[&str])] = &[
    ("privesc1-CreateNewPolicyVersion", &["iam:CreatePolicyVersion"]),
    ("privesc2-SetExistingDefaultPolicyVersion", &["iam:SetDefaultPolicyVersion"]),
    ("privesc3-CreateEC2WithExistingInstanceProfile", &["iam:PassRole"]),
    ("privesc4-CreateAccessKey", &["iam:CreateAccessKey"]),
    ("privesc5-CreateLoginProfile", &["iam:CreateLoginProfile"]),
    ("privesc6-UpdateLoginProfile", &["iam:UpdateLoginProfile"]),
    ("privesc14-UpdatingAssumeRolePolicy", &["iam:UpdateAssumeRolePolicy"]),
    ("privesc15-PassExistingRoleToNewLambdaThenInvoke", &["iam:PassRole"]),
    ("privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo", &["iam:PassRole"]),
    ("privesc17-EditExistingLambdaFunctionWithRole", &["lambda:UpdateFunctionCode"]),
    ("privesc18-PassExistingRoleToNewGlueDevEndpoint", &["iam:PassRole"]),
    ("privesc19-UpdateExistingGlueDevEndpoint", &["glue:UpdateDevEndpoint"]),
    ("privesc20-PassExistingRoleToCloudFormation", &["iam:PassRole"]),
    ("privesc21-PassExistingRoleToNewDataPipeline", &["iam:PassRole"]),
    ("privesc-CloudFormationUpdateStack", &["cloudformation:UpdateStack"]),
    ("privesc-codeBuildCreateProjectPassRole", &["iam:PassRole"]),
    ("privesc-ec2InstanceConnect", &["ec2-instance-connect:SendSSHPublicKey"]),
    ("privesc-sageMakerCreateNotebookPassRole", &["iam:PassRole"]),
    ("privesc-sageMakerCreatePresignedNotebookURL", &["sagemaker:CreatePresignedNotebookInstanceUrl"]),
    ("privesc-sageMakerCreateProcessingJobPassRole", &["iam:PassRole"]),
    ("privesc-sageMakerCreateTrainingJobPassRole", &["iam:PassRole"]),
    ("privesc-ssmSendCommand", &["ssm:SendCommand"]),
    ("privesc-ssmStartSession", &["ssm:StartSession"]),
    ("fn1-privesc3-partial", &["iam:PassRole"]),
    ("fn2-exploitableResourceConstraint", &["iam:CreatePolicyVersion"]),
    ("fn3-exploitableConditionConstraint", &["iam:CreatePolicyVersion"]),
    ("fn4-exploitableNotAction", &["iam:Put*Policy"]),
];

/// Techniques on users or groups, which only the lab's users (not their role twins) can turn
/// on themselves; and on roles, which only the role twins can.
const USERS_ONLY: &[(&str, &str)] = &[
    ("privesc7-AttachUserPolicy", "iam:Attach*Policy"),
    ("privesc8-AttachGroupPolicy", "iam:Attach*Policy"),
    ("privesc10-PutUserPolicy", "iam:Put*Policy"),
    ("privesc11-PutGroupPolicy", "iam:Put*Policy"),
    ("privesc13-AddUserToGroup", "iam:AddUserToGroup"),
];
const ROLES_ONLY: &[(&str, &str)] =
    &[("privesc9-AttachRolePolicy", "iam:Attach*Policy"), ("privesc12-PutRolePolicy", "iam:Put*Policy")];

const LOOK_ALIKES: &[&str] = &[
    "fp1-allow-and-deny",
    "fp2-allow-and-deny-multiple-policies",
    "fp3-deny-iam",
    "fp4-nonExploitableResourceConstraint",
    "fp5-nonExploitableConditionConstraint",
];

const ACCOUNT: &str = "200611803367";

fn user(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}-user")
}

fn role(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}-role")
}

#[test]
fn the_lab_dump_ground_truth() {
    let Some(lab) = lab() else { return };
    let v = paths(&[&lab], &[]);
    let mut checked = 0;
    let mut expect = |arn: String, techniques: &[&str]| {
        let p = principal(&v, &arn);
        assert_eq!(p["isAdmin"], false, "{arn}");
        assert_eq!(p["reachesAdmin"], true, "{arn} should reach admin");
        let first = first_technique(p).unwrap();
        assert!(techniques.contains(&first.as_str()), "{arn}: first hop {first}, expected one of {techniques:?}");
        checked += 1;
    };
    for (name, techniques) in ESCALATES {
        expect(user(name), techniques);
        expect(role(name), techniques);
    }
    for (name, technique) in USERS_ONLY {
        expect(user(name), &[technique]);
    }
    for (name, technique) in ROLES_ONLY {
        expect(role(name), &[technique]);
    }
    assert_eq!(checked, ESCALATES.len() * 2 + USERS_ONLY.len() + ROLES_ONLY.len());
    for name in LOOK_ALIKES {
        for arn in [user(name), role(name)] {
            assert_eq!(principal(&v, &arn)["reachesAdmin"], false, "{arn} must not reach admin");
        }
    }
    // Named after a technique, but the dump gives them no way to use it: a user with only
    // iam:AttachRolePolicy or iam:PutRolePolicy can change roles but assume none (no role trusts
    // it, and it has no sts:AssumeRole), and the AssumeRole lab's user has no policy and is
    // trusted by no role (its start role trusts only an Identity Center session).
    for arn in [
        user("privesc9-AttachRolePolicy"),
        user("privesc12-PutRolePolicy"),
        format!("arn:aws:iam::{ACCOUNT}:user/privesc-AssumeRole-start-user"),
    ] {
        assert_eq!(principal(&v, &arn)["reachesAdmin"], false, "{arn}");
    }
    // The role chain of the AssumeRole lab: start → intermediate → ending (admin).
    let start = principal(&v, &format!("arn:aws:iam::{ACCOUNT}:role/privesc-AssumeRole-starting-role"));
    let steps = start["paths"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert!(steps.iter().all(|s| s["technique"] == "sts:AssumeRole"));
    assert_eq!(steps[1]["to"], format!("arn:aws:iam::{ACCOUNT}:role/privesc-AssumeRole-ending-role"));
    // The Identity Center session the lab's roles trust is a node, and admin.
    let session = format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io"
    );
    assert_eq!(principal(&v, &session)["isAdmin"], true);
    // A condition every new user session can meet is said: temporary credentials.
    let fn3 = principal(&v, &user("fn3-exploitableConditionConstraint"));
    assert_eq!(fn3["paths"][0]["conditional"], true);
    // Techniques that need a resource the dump does not list say so.
    let ssm = principal(&v, &user("privesc-ssmSendCommand"));
    assert!(ssm["paths"][0]["steps"][0]["conditions"][0].as_str().unwrap().contains("does not list one"));
}

/// Every request of every hop, decided again by `iamspect eval` on the same data: allowed.
#[test]
fn every_hop_is_allowed_by_eval() {
    let Some(lab) = lab() else { return };
    let v = paths(&[&lab], &[]);
    let mut decided = 0;
    for p in v["principals"].as_array().unwrap() {
        for path in p["paths"].as_array().unwrap() {
            for step in path["steps"].as_array().unwrap() {
                for r in step["requests"].as_array().unwrap() {
                    // Decided after a change the step makes (a trust policy rewritten): not the
                    // data as loaded.
                    if !r["after"].is_null() {
                        continue;
                    }
                    let mut args = vec![
                        "eval".to_string(),
                        "--account-data".to_string(),
                        lab.to_str().unwrap().to_string(),
                        "--principal".to_string(),
                        r["principal"].as_str().unwrap().to_string(),
                        "--action".to_string(),
                        r["action"].as_str().unwrap().to_string(),
                        "--resource".to_string(),
                        r["resource"].as_str().unwrap().to_string(),
                        "--context".to_string(),
                        NOW.to_string(),
                    ];
                    for (k, val) in r["context"].as_object().unwrap() {
                        args.push("--context".to_string());
                        args.push(format!("{k}={}", val.as_str().unwrap()));
                    }
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let out = iamspect(&args);
                    let text = String::from_utf8_lossy(&out.stdout);
                    assert_eq!(
                        out.status.code(),
                        Some(0),
                        "{args:?}\n{text}\n{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    decided += 1;
                }
            }
        }
    }
    assert!(decided >= 60, "only {decided} requests decided");
}

/// A small account: the attacker `mallory`, an admin user, and a role Lambda may assume that has
/// `AdministratorAccess`.
struct Account {
    dir: PathBuf,
}

const ACCT: &str = "111122223333";

impl Account {
    fn new(name: &str) -> Account {
        let dir = std::env::temp_dir().join(format!("iamspect-paths-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Account { dir }
    }

    /// Writes the dump with `mallory`'s inline policy, boundary, and the Lambda role's trust.
    fn write(&self, mallory: Value, boundary: Option<Value>, lambda_trust: Value) -> PathBuf {
        let admin_doc =
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let mut policies = vec![json!({
            "PolicyName": "AdministratorAccess",
            "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": admin_doc, "VersionId": "v1", "IsDefaultVersion": true}]
        })];
        let mut mallory_user = json!({
            "UserName": "mallory",
            "Arn": format!("arn:aws:iam::{ACCT}:user/mallory"),
            "UserPolicyList": [{"PolicyName": "mallory", "PolicyDocument": mallory}],
            "AttachedManagedPolicies": [],
            "GroupList": []
        });
        if let Some(b) = boundary {
            let arn = format!("arn:aws:iam::{ACCT}:policy/boundary");
            policies.push(json!({
                "PolicyName": "boundary",
                "Arn": arn,
                "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": b, "VersionId": "v1", "IsDefaultVersion": true}]
            }));
            mallory_user["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn});
        }
        let dump = json!({
            "UserDetailList": [
                mallory_user,
                {
                    "UserName": "boss",
                    "Arn": format!("arn:aws:iam::{ACCT}:user/boss"),
                    "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
                    "GroupList": []
                }
            ],
            "GroupDetailList": [],
            "RoleDetailList": [{
                "RoleName": "lambda-admin",
                "Arn": format!("arn:aws:iam::{ACCT}:role/lambda-admin"),
                "Path": "/",
                "AssumeRolePolicyDocument": lambda_trust,
                "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
                "RolePolicyList": [],
                "InstanceProfileList": []
            }],
            "Policies": policies
        });
        let path = self.dir.join("gaad.json");
        std::fs::write(&path, serde_json::to_string_pretty(&dump).unwrap()).unwrap();
        path
    }

    /// Writes an organization whose account has `FullAWSAccess` and `scp`.
    fn org(&self, scp: Value) -> PathBuf {
        let org = json!({"organization": {
            "id": "o-exampleorgid",
            "managementAccount": "999999999999",
            "policies": {"guardrail": {"type": "SERVICE_CONTROL_POLICY", "document": scp}},
            "root": {"id": "r-exam", "scps": ["FullAWSAccess"], "children": [
                {"account": ACCT, "name": "workload", "scps": ["FullAWSAccess", "guardrail"]}
            ]}
        }});
        let path = self.dir.join("org.json");
        std::fs::write(&path, serde_json::to_string_pretty(&org).unwrap()).unwrap();
        path
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn allow(actions: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
}

fn lambda_trust() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
}

fn mallory(v: &Value) -> &Value {
    principal(v, &format!("arn:aws:iam::{ACCT}:user/mallory"))
}

#[test]
fn create_access_key_is_taken_away_by_a_boundary_and_an_scp() {
    let a = Account::new("access-key");
    let dump = a.write(allow(&["iam:CreateAccessKey"]), None, lambda_trust());
    let v = paths(&[&dump], &[]);
    assert_eq!(mallory(&v)["reachesAdmin"], true);
    assert_eq!(first_technique(mallory(&v)).unwrap(), "iam:CreateAccessKey");
    assert_eq!(mallory(&v)["paths"][0]["steps"][0]["to"], format!("arn:aws:iam::{ACCT}:user/boss"));
    // A boundary that allows only S3.
    let dump = a.write(allow(&["iam:CreateAccessKey"]), Some(allow(&["s3:*"])), lambda_trust());
    assert_eq!(mallory(&paths(&[&dump], &[]))["reachesAdmin"], false);
    // An SCP that denies it.
    let dump = a.write(allow(&["iam:CreateAccessKey"]), None, lambda_trust());
    let org = a.org(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "*"}]}));
    let v = paths(&[&dump, &org], &[]);
    assert_eq!(mallory(&v)["reachesAdmin"], false);
    // Admin within the guardrail: the admin user is still admin, and the guardrail is named.
    let boss = principal(&v, &format!("arn:aws:iam::{ACCT}:user/boss"));
    assert_eq!(boss["isAdmin"], true);
    assert_eq!(boss["admin"]["guardrails"].as_array().unwrap().len(), 1);
}

#[test]
fn attaching_a_policy_to_itself_is_admin_only_within_its_boundary() {
    let a = Account::new("attach");
    let dump = a.write(allow(&["iam:AttachUserPolicy"]), None, lambda_trust());
    let v = paths(&[&dump], &[]);
    assert_eq!(first_technique(mallory(&v)).unwrap(), "iam:Attach*Policy");
    let request = &mallory(&v)["paths"][0]["steps"][0]["requests"][0];
    assert_eq!(request["context"]["iam:PolicyARN"], "arn:aws:iam::aws:policy/AdministratorAccess");
    // With a boundary that allows IAM only, attaching AdministratorAccess does not make it admin.
    let dump = a.write(allow(&["iam:AttachUserPolicy"]), Some(allow(&["iam:*"])), lambda_trust());
    assert_eq!(mallory(&paths(&[&dump], &[]))["reachesAdmin"], false);
    // A condition on iam:PolicyARN that excludes AdministratorAccess takes it away.
    let only_read = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*",
        "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}]});
    let dump = a.write(only_read, None, lambda_trust());
    assert_eq!(mallory(&paths(&[&dump], &[]))["reachesAdmin"], false);
}

#[test]
fn pass_role_to_lambda_respects_passed_to_service_and_the_trust_policy() {
    let a = Account::new("pass-role");
    let actions = ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"];
    let dump = a.write(allow(&actions), None, lambda_trust());
    let v = paths(&[&dump], &[]);
    let step = &mallory(&v)["paths"][0]["steps"][0];
    assert_eq!(step["technique"], "iam:PassRole");
    assert_eq!(step["to"], format!("arn:aws:iam::{ACCT}:role/lambda-admin"));
    assert_eq!(step["requests"][0]["context"]["iam:PassedToService"], "lambda.amazonaws.com");
    assert_eq!(mallory(&v)["paths"][0]["conditional"], false);
    // iam:PassedToService limited to EC2: the role cannot be passed to Lambda.
    let ec2_only = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]});
    let dump = a.write(ec2_only, None, lambda_trust());
    assert_eq!(mallory(&paths(&[&dump], &[]))["reachesAdmin"], false);
    // A role that does not trust Lambda cannot be passed to it.
    let ec2_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let dump = a.write(allow(&actions), None, ec2_trust);
    assert_eq!(mallory(&paths(&[&dump], &[]))["reachesAdmin"], false);
}

#[test]
fn assuming_a_role_respects_the_trust_policy_condition() {
    let a = Account::new("assume");
    let trusts_account = |condition: Option<Value>| {
        let mut s = json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        json!({"Version": "2012-10-17", "Statement": [s]})
    };
    let dump = a.write(allow(&["sts:AssumeRole"]), None, trusts_account(None));
    let v = paths(&[&dump], &[]);
    assert_eq!(first_technique(mallory(&v)).unwrap(), "sts:AssumeRole");
    // Only with MFA: kept, and marked with the condition.
    let mfa = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
    let dump = a.write(allow(&["sts:AssumeRole"]), None, trusts_account(Some(mfa)));
    let v = paths(&[&dump], &[]);
    assert_eq!(mallory(&v)["reachesAdmin"], true);
    assert_eq!(mallory(&v)["paths"][0]["conditional"], true);
    let conditions = mallory(&v)["paths"][0]["steps"][0]["conditions"].to_string();
    assert!(conditions.contains("aws:MultiFactorAuthPresent"), "{conditions}");
    // Only for principals tagged team=platform, which mallory is not (principal tags are never
    // varied): no path.
    let tagged = json!({"StringEquals": {"aws:PrincipalTag/team": "platform"}});
    let dump = a.write(allow(&["sts:AssumeRole"]), None, trusts_account(Some(tagged)));
    assert_eq!(mallory(&paths(&[&dump], &[]))["reachesAdmin"], false);
}

#[test]
fn drawings_and_bad_input() {
    let a = Account::new("formats");
    let dump = a.write(allow(&["iam:CreateAccessKey"]), None, lambda_trust());
    let data = dump.to_str().unwrap();
    let from = format!("arn:aws:iam::{ACCT}:user/mallory");
    let dot = iamspect(&["paths", "--account-data", data, "--from", &from, "--format", "dot"]);
    let dot = String::from_utf8(dot.stdout).unwrap();
    assert!(dot.starts_with("digraph paths {") && dot.contains("iam:CreateAccessKey"), "{dot}");
    let mermaid = iamspect(&["paths", "--account-data", data, "--from", &from, "--format", "mermaid"]);
    let mermaid = String::from_utf8(mermaid.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR") && mermaid.contains("|iam:CreateAccessKey|"), "{mermaid}");
    let text = iamspect(&["paths", "--account-data", data, "--from", &from]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("can create an access key for"), "{text}");
    // --to a principal: the path to it.
    let to = format!("arn:aws:iam::{ACCT}:user/boss");
    let v = paths(&[&dump], &["--from", &from, "--to", &to]);
    assert_eq!(mallory(&v)["reachesTarget"], true);
    // An unknown --from is refused with its name.
    let out = iamspect(&["paths", "--account-data", data, "--from", "arn:aws:iam::111122223333:user/nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("user/nobody"));
}

#[test]
fn who_can_transitive_lists_who_can_through_a_path() {
    let a = Account::new("transitive");
    let dump = a.write(allow(&["iam:CreateAccessKey"]), None, lambda_trust());
    let data = dump.to_str().unwrap();
    let args = [
        "who-can",
        "--account-data",
        data,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::reports/q1.csv",
        "--resource-account",
        ACCT,
        "--context",
        NOW,
        "--transitive",
        "--format",
        "json",
    ];
    let out = iamspect(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mallory = format!("arn:aws:iam::{ACCT}:user/mallory");
    let direct: Vec<&str> = v["allowed"].as_array().unwrap().iter().map(|a| a["principal"].as_str().unwrap()).collect();
    assert!(!direct.contains(&mallory.as_str()), "{direct:?}");
    let through = v["transitive"].as_array().unwrap();
    let m = through.iter().find(|t| t["principal"] == mallory).unwrap_or_else(|| panic!("{through:?}"));
    assert_eq!(m["steps"][0]["technique"], "iam:CreateAccessKey");
    assert_eq!(m["steps"][0]["to"], format!("arn:aws:iam::{ACCT}:user/boss"));
    // Without --transitive, the field is null.
    let plain: Vec<&str> = args.iter().copied().filter(|a| *a != "--transitive").collect();
    let v: Value = serde_json::from_slice(&iamspect(&plain).stdout).unwrap();
    assert!(v["transitive"].is_null());
}

#[test]
fn cut_says_which_statement_removes_every_path() {
    let Some(lab) = lab() else { return };
    let from = user("privesc4-CreateAccessKey");
    let v = paths(&[&lab], &["--from", &from, "--cut"]);
    let cuts = principal(&v, &from)["cuts"].as_array().unwrap().clone();
    // Its own CreateAccessKey statement cuts every path; the statement of the user it becomes
    // does not (it could become another).
    let own =
        cuts.iter().find(|c| c["policy"] == format!("arn:aws:iam::{ACCOUNT}:policy/privesc4-CreateAccessKey")).unwrap();
    assert_eq!(own["removesEveryPath"], true);
    assert_eq!(cuts[0], *own, "proved cuts come first");
    assert!(cuts.iter().any(|c| c["removesEveryPath"] == false), "{cuts:?}");
    // --cut needs --from.
    let out = iamspect(&["paths", "--account-data", lab.to_str().unwrap(), "--cut"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--from` builds only what the principal can reach: the same answer as the whole graph.
#[test]
fn one_principal_gets_the_same_answer_as_the_whole_graph() {
    let Some(lab) = lab() else { return };
    let all = paths(&[&lab], &[]);
    let summary = |p: &Value| {
        let steps =
            p["paths"][0]["steps"].as_array().map(|s| s.iter().map(|s| s["technique"].clone()).collect::<Vec<_>>());
        (p["reachesAdmin"].clone(), p["isAdmin"].clone(), steps)
    };
    let mut compared = 0;
    for p in all["principals"].as_array().unwrap() {
        let arn = p["arn"].as_str().unwrap();
        let name = arn.rsplit('/').next().unwrap();
        if !(name.starts_with("fn")
            || name.starts_with("fp")
            || name.starts_with("privesc1")
            || name.starts_with("privesc-A"))
        {
            continue;
        }
        let one = paths(&[&lab], &["--from", arn]);
        assert_eq!(one["principals"].as_array().unwrap().len(), 1);
        assert_eq!(summary(principal(&one, arn)), summary(p), "{arn}");
        compared += 1;
    }
    assert!(compared >= 20, "{compared}");
}

/// Every flag is used or refused: `--cut` with `--to`, and a context value that is no value.
#[test]
fn paths_refuse_what_they_cannot_use() {
    let a = Account::new("refusals");
    let dump = a.write(allow(&["iam:CreateAccessKey"]), None, lambda_trust());
    let data = dump.to_str().unwrap();
    let from = format!("arn:aws:iam::{ACCT}:user/mallory");
    let to = format!("arn:aws:iam::{ACCT}:user/boss");
    let out = iamspect(&["paths", "--account-data", data, "--from", &from, "--to", &to, "--cut"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cut"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = iamspect(&["paths", "--account-data", data, "--context", "aws:CurrentTime=yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("aws:CurrentTime"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
