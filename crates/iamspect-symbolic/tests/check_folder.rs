//! `tests/check/manifest.json`: every known answer, through the library (the binary and
//! `iamspect eval` are run by `tests/check/run.sh`), every witness confirmed by the engine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code may panic")]

use std::path::Path;
use std::sync::Arc;

use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::{Query, ResourceKind, SolveOptions, harness};
use serde_json::Value;

fn kind(resource_type: &str) -> ResourceKind {
    let (t, action, resource) = match resource_type {
        "AWS::S3::Bucket" => (PolicyType::Resource, "s3:*", "arn:aws:s3:::*"),
        "AWS::KMS::Key" => (PolicyType::Resource, "kms:*", "arn:aws:kms:*:{account}:key/*"),
        "AWS::SQS::Queue" => (PolicyType::Resource, "sqs:*", "arn:aws:sqs:*:{account}:*"),
        "AWS::IAM::AssumeRolePolicyDocument" => (PolicyType::Trust, "", ""),
        other => panic!("add {other} to this test"),
    };
    let list = |s: &str| if s.is_empty() { Vec::new() } else { vec![s.to_string()] };
    ResourceKind { policy_type: t, actions: list(action), resources: list(resource) }
}

#[test]
fn known_answers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/check");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let checks = manifest["checks"].as_array().unwrap();
    assert!(checks.len() >= 20);
    for c in checks {
        let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        let load = |name: &str, t: PolicyType| {
            Arc::new(Policy::parse(name, &std::fs::read_to_string(dir.join(name)).unwrap(), t).unwrap())
        };
        let list = |k: &str| -> Vec<String> {
            c[k].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect()).unwrap_or_default()
        };
        let opts = SolveOptions { max_witnesses: 3, preferred_actions: &[] };
        let found = match s("command").as_str() {
            "check-no-new-access" => {
                let t = PolicyType::from_cli_name(&s("policyType")).unwrap();
                let (n, o) = (load(&s("new"), t), load(&s("existing"), t));
                let q = Query::no_new_access(&n, &o, t).unwrap();
                q.solve(&opts, |w| harness::confirms(w, &n, Some(&o), t)).unwrap()
            }
            "check-access-not-granted" => {
                let t = PolicyType::from_cli_name(&s("policyType")).unwrap();
                let p = load(&s("policy"), t);
                let (actions, resources) = (list("actions"), list("resources"));
                let a: Vec<&str> = actions.iter().map(String::as_str).collect();
                let r: Vec<&str> = resources.iter().map(String::as_str).collect();
                let q = Query::access_granted(&p, &a, (!r.is_empty()).then_some(r.as_slice()), t).unwrap();
                q.solve(&opts, |w| harness::confirms(w, &p, None, t)).unwrap()
            }
            _ => {
                let k = kind(&s("resourceType"));
                let p = load(&s("policy"), k.policy_type);
                let org = c["organization"].as_str();
                let q = Query::public_access(&p, &k, org).unwrap();
                q.solve(&opts, |w| harness::confirms(w, &p, None, k.policy_type)).unwrap()
            }
        };
        assert!(found.rejected.is_empty(), "{c}: the engine rejected {:?}", found.rejected);
        let result = if found.witnesses.is_empty() { "PASS" } else { "FAIL" };
        assert_eq!(result, s("result"), "{c}");
    }
}
