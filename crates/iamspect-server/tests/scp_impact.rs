//! `POST /v1/scp-impact` (decisions D121, D152): what attaching an SCP or an RCP breaks over the
//! server's account data, the JSON of `iamspect scp-impact --format json` (its schema); every
//! counterexample a case `/v1/authorize` decides as it says, and allowed without the new policy.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use std::path::PathBuf;

use axum::http::StatusCode;
use common::send;
use iamspect_server::{AppState, Settings, app};
use serde_json::{Value, json};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../iamspect/tests/scp_impact_data")
}

fn state() -> AppState {
    AppState::with_account_data(Settings::default(), vec![data().join("gaad.json"), data().join("org.json")]).unwrap()
}

fn read(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data().join(name)).unwrap()).unwrap()
}

async fn decide(state: &AppState, case: &Value) -> String {
    let (status, v) = send(app(state.clone()), "POST", "/v1/authorize", Some(case.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{case}: {v}");
    v["decision"].as_str().unwrap().to_string()
}

fn schema_valid(v: &Value) -> bool {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/schemas/scp-impact.schema.json"))
            .unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap().is_valid(v)
}

#[tokio::test]
async fn an_rcp_and_an_scp_break_what_the_engine_confirms() {
    let state = state();
    for (field, file) in [("rcp", "rcp-tls-only.json"), ("scp", "region-lock-scp.json")] {
        let body = json!({field: read(file), "target": "ou-exam-workloads", "maxCounterexamples": 2});
        let (status, v) = send(app(state.clone()), "POST", "/v1/scp-impact", Some(body.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["result"], "FAIL", "{v}");
        assert_eq!(v[field], field, "{v}");
        assert!(schema_valid(&v), "{v}");
        let mut checked = 0;
        for p in v["principals"].as_array().unwrap() {
            for c in p["counterexamples"].as_array().into_iter().flatten() {
                let case = &c["case"];
                assert_eq!(decide(&state, case).await, c["after"].as_str().unwrap(), "{case}");
                // The new policy is the last of its level: without it, allowed.
                let mut today = case.clone();
                let levels = if field == "rcp" { "rcps" } else { "scps" };
                let mut removed = 0;
                for level in today[levels].as_array_mut().unwrap() {
                    let l = level.as_array_mut().unwrap();
                    if l.last() == Some(&read(file)) {
                        l.pop();
                        removed += 1;
                    }
                }
                assert_eq!(removed, 1, "{case}");
                assert_eq!(decide(&state, &today).await, "allowed", "{today}");
                checked += 1;
            }
        }
        assert!(checked >= 2, "{v}");
    }
    // Outside callers only: not proved, not guessed.
    let body = json!({"rcp": read("rcp-org-only.json"), "target": "222222222222"});
    let (status, v) = send(app(state.clone()), "POST", "/v1/scp-impact", Some(body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["result"], "UNKNOWN", "{v}");
    assert_eq!(v["accountsNotProved"], json!(["222222222222"]));
    assert!(schema_valid(&v), "{v}");
}

#[tokio::test]
async fn refusals_name_what_is_wrong() {
    let state = state();
    let rcp = read("rcp-tls-only.json");
    for (body, status, says) in [
        (json!({"target": "r-exam"}), StatusCode::BAD_REQUEST, "`scp` or `rcp`"),
        (json!({"rcp": rcp, "target": "ou-nope"}), StatusCode::BAD_REQUEST, "ou-nope"),
        (json!({"rcp": rcp, "target": "r-exam", "extra": 1}), StatusCode::BAD_REQUEST, "extra"),
        (
            json!({"rcp": rcp, "target": "r-exam", "maxCounterexamples": 0}),
            StatusCode::BAD_REQUEST,
            "maxCounterexamples",
        ),
        (
            json!({"rcp": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}, "target": "r-exam"}),
            StatusCode::BAD_REQUEST,
            "`rcp`",
        ),
    ] {
        let (got, v) = send(app(state.clone()), "POST", "/v1/scp-impact", Some(body.to_string())).await;
        assert_eq!(got, status, "{body}: {v}");
        assert!(v["message"].as_str().unwrap().contains(says), "{body}: {v}");
    }
    // Without account data, or without an organization: 409.
    let body = json!({"rcp": rcp, "target": "r-exam"}).to_string();
    let (got, v) = send(app(AppState::new(Settings::default())), "POST", "/v1/scp-impact", Some(body.clone())).await;
    assert_eq!(got, StatusCode::CONFLICT, "{v}");
    let only_gaad = AppState::with_account_data(Settings::default(), vec![data().join("gaad.json")]).unwrap();
    let (got, v) = send(app(only_gaad), "POST", "/v1/scp-impact", Some(body)).await;
    assert_eq!(got, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("organization"), "{v}");
}
