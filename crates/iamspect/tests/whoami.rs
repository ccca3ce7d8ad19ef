//! `iamspect whoami` resolves the AWS CLI's credential chain offline, in a clean environment with
//! its own HOME: environment keys, `role_arn` chains, SSO with the token cache's expiry, web
//! identity token files, `credential_process` named and never run; and no secret ever appears in
//! what it prints.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYsecret";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENsecret";
const SSO_TOKEN: &str = "aoaAAAAAGExampleSsoAccessTokenSecret";
const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";

struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("iamspect-whoami-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws/sso/cache")).unwrap();
        Home(dir)
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_iamspect"))
            .arg("whoami")
            .args(args)
            .args(["--now", "2026-12-01T00:00:00Z"])
            .env_clear()
            .env("HOME", &self.0)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for secret in [SECRET, SESSION_TOKEN, SSO_TOKEN, KEY_ID, "s3cr3t-arg", "eyJhbGciOi"] {
            assert!(!all.contains(secret), "a secret is printed: {secret} in\n{all}");
        }
        out
    }
    fn json(&self, env: &[(&str, &str)], args: &[&str]) -> (Value, Option<i32>) {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        let out = self.run(env, &a);
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (v, out.status.code())
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(home: &Home) {
    home.write(
        ".aws/credentials",
        &format!(
            "[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n\n[temp]\naws_access_key_id = ASIAEXAMPLETEMPKEY01\naws_secret_access_key = {SECRET}\naws_session_token = {SESSION_TOKEN}\n"
        ),
    );
    home.write(
        ".aws/config",
        "[default]\nregion = eu-west-1\n\n\
         [profile deploy]\nrole_arn = arn:aws:iam::222233334444:role/ci/Deploy\nsource_profile = default\nrole_session_name = alice-session\n\n\
         [profile deploy-unnamed]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = default\n\n\
         [profile chained]\nrole_arn = arn:aws:iam::333344445555:role/Admin\nsource_profile = deploy\nrole_session_name = hop\n\n\
         [profile loop-a]\nrole_arn = arn:aws:iam::222233334444:role/A\nsource_profile = loop-b\n\n\
         [profile loop-b]\nrole_arn = arn:aws:iam::222233334444:role/B\nsource_profile = loop-a\n\n\
         [profile sso-old]\nsso_session = corp\nsso_account_id = 444455556666\nsso_role_name = ReadOnly\n\n\
         [profile sso-fresh]\nsso_start_url = https://fresh.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 444455556666\nsso_role_name = Admin\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n\
         [profile proc]\ncredential_process = /bin/sh -c 'touch ran-it' --token s3cr3t-arg\n\n\
         [profile web]\nrole_arn = arn:aws:iam::222233334444:role/Pods\nweb_identity_token_file = ~/token.jwt\n",
    );
}

#[test]
fn environment_keys_win_and_a_long_term_key_names_no_user() {
    let home = Home::new("env");
    config(&home);
    let (v, code) =
        home.json(&[("AWS_ACCESS_KEY_ID", KEY_ID), ("AWS_SECRET_ACCESS_KEY", SECRET), ("AWS_PROFILE", "deploy")], &[]);
    assert_eq!(code, Some(1), "an unknown principal is not exit 0");
    assert!(v["source"].as_str().unwrap().contains("environment"));
    assert_eq!(v["principal"], Value::Null);
    assert!(v["unknown"].as_str().unwrap().contains("long-term access key"));
    assert_eq!(v["expired"], false);
    assert_eq!(v["accessKeyId"], "****************MPLE");
    // `--profile` sets the environment's keys aside, as the CLI does.
    let (v, _) =
        home.json(&[("AWS_ACCESS_KEY_ID", KEY_ID), ("AWS_SECRET_ACCESS_KEY", SECRET)], &["--profile", "deploy"]);
    assert_eq!(v["principal"], "arn:aws:sts::222233334444:assumed-role/Deploy/alice-session");
}

#[test]
fn role_profiles_give_the_session_arn() {
    let home = Home::new("roles");
    config(&home);
    let (v, code) = home.json(&[("AWS_PROFILE", "deploy")], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["profile"], "deploy");
    assert_eq!(v["principal"], "arn:aws:sts::222233334444:assumed-role/Deploy/alice-session");
    assert_eq!(v["exact"], true);
    assert_eq!(v["expired"], false);
    let (v, _) = home.json(&[], &["--profile", "chained"]);
    assert_eq!(v["principal"], "arn:aws:sts::333344445555:assumed-role/Admin/hop");
    assert_eq!(v["chain"].as_array().unwrap().len(), 3);
    let (v, code) = home.json(&[], &["--profile", "deploy-unnamed"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["exact"], false);
    assert!(v["unknown"].as_str().unwrap().contains("botocore-session-"));
}

#[test]
fn sso_expiry_comes_from_the_token_cache() {
    let home = Home::new("sso");
    config(&home);
    // The cache files are named by the SHA-1 of the session name, or of the start URL.
    home.write(
        ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
        &format!(r#"{{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "{SSO_TOKEN}", "expiresAt": "2026-11-30T10:00:00Z"}}"#),
    );
    let fresh = sha1_hex("https://fresh.awsapps.com/start");
    home.write(
        &format!(".aws/sso/cache/{fresh}.json"),
        &format!(r#"{{"startUrl": "https://fresh.awsapps.com/start", "region": "eu-west-1", "accessToken": "{SSO_TOKEN}", "expiresAt": "2026-12-01T08:00:00Z"}}"#),
    );
    let (v, code) = home.json(&[("AWS_PROFILE", "sso-old")], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["expired"], true);
    assert!(
        v["principal"].as_str().unwrap().starts_with("arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_ReadOnly_")
    );
    let (v, _) = home.json(&[("AWS_PROFILE", "sso-fresh")], &[]);
    assert_eq!(v["expired"], false);
    assert_eq!(v["expiresAt"], "2026-12-01T08:00:00Z");
}

/// The start URL's SHA-1, as the AWS CLI names its legacy cache file (computed by `sha1sum` so the
/// test does not reuse the code under test).
fn sha1_hex(text: &str) -> String {
    let out = Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

#[test]
fn credential_process_is_named_and_never_run() {
    let home = Home::new("proc");
    config(&home);
    let out = home.run(&[("AWS_PROFILE", "proc")], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`/bin/sh`"), "{text}");
    assert!(!home.0.join("ran-it").exists() && !Path::new("ran-it").exists());
}

#[test]
fn web_identity_token_expiry_is_read_not_printed() {
    let home = Home::new("web");
    config(&home);
    // A JWT whose payload says exp = 2026-11-01 (past at --now).
    let header = "eyJhbGciOiJSUzI1NiJ9";
    let payload = base64url(r#"{"sub":"system:serviceaccount:ns:app","exp":1793491200}"#);
    home.write("token.jwt", &format!("{header}.{payload}.c2lnbmF0dXJl"));
    let (v, code) = home.json(&[("AWS_PROFILE", "web")], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["expired"], true);
    assert_eq!(v["exact"], false, "no session name: the CLI makes one up");
    // Each setting may come from the environment, key by key, as botocore reads them.
    let (v, _) = home.json(&[("AWS_PROFILE", "web"), ("AWS_ROLE_SESSION_NAME", "pod-1")], &[]);
    assert_eq!(v["principal"], "arn:aws:sts::222233334444:assumed-role/Pods/pod-1");
    let (v, _) = home.json(
        &[
            ("AWS_ROLE_ARN", "arn:aws:iam::222233334444:role/Pods"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", home.0.join("token.jwt").to_str().unwrap()),
            ("AWS_ROLE_SESSION_NAME", "pod-1"),
        ],
        &[],
    );
    assert_eq!(v["principal"], "arn:aws:sts::222233334444:assumed-role/Pods/pod-1");
}

fn base64url(text: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let b = text.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, x)| acc | (u32::from(*x) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn broken_chains_are_errors() {
    let home = Home::new("broken");
    config(&home);
    let out = home.run(&[("AWS_PROFILE", "loop-a")], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loops"));
    let out = home.run(&[("AWS_PROFILE", "nope")], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`nope`"));
}

#[test]
fn account_data_names_the_user_of_a_listed_key_and_its_policies() {
    let home = Home::new("data");
    config(&home);
    let dir = home.0.join("data");
    home.write(
        "data/gaad.json",
        r#"{"UserDetailList": [{"Path": "/", "UserName": "ci-bot", "UserId": "AIDAEXAMPLE000000001", "Arn": "arn:aws:iam::123456789012:user/ci-bot", "CreateDate": "2026-01-01T00:00:00Z", "UserPolicyList": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#,
    );
    home.write(
        "data/list-access-keys-ci-bot.json",
        &format!(r#"{{"AccessKeyMetadata": [{{"UserName": "ci-bot", "AccessKeyId": "{KEY_ID}", "Status": "Active", "CreateDate": "2026-01-01T00:00:00Z"}}]}}"#),
    );
    let (v, code) = home.json(&[], &["--account-data", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["principal"], "arn:aws:iam::123456789012:user/ci-bot");
    assert_eq!(v["policies"]["identity"][0]["document"]["Statement"][0]["Action"], "s3:GetObject");
    let out = home.run(&[], &["--account-data", dir.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("policies of arn:aws:iam::123456789012:user/ci-bot"));
}
