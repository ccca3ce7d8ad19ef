//! Every route through `app(state).oneshot(..)`, without a socket.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use axum::http::StatusCode;
use common::{ALLOW_S3_READ, DENY_LOGS, case, send};
use iamspect_server::{AppState, Settings, app};
use serde_json::{Value, json};

fn router() -> axum::Router {
    app(AppState::new(Settings::default()))
}

#[tokio::test]
async fn healthz() {
    let (status, body) = send(router(), "GET", "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["accountData"]["configured"], false);
}

#[tokio::test]
async fn openapi_is_json_and_names_every_route() {
    let (status, doc) = send(router(), "GET", "/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/v1/authorize", "/v1/explain", "/v1/lint", "/v1/reload", "/healthz", "/openapi.json"] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

#[tokio::test]
async fn authorize_allowed() {
    let (status, body) =
        send(router(), "POST", "/v1/authorize", Some(case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ]))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"decision": "allowed", "deniedBy": []}));
}

#[tokio::test]
async fn authorize_denied() {
    let body = case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ, DENY_LOGS]);
    let (status, body) = send(router(), "POST", "/v1/authorize", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"decision": "explicitDeny", "deniedBy": ["identity"]}));

    let (_, body) = send(router(), "POST", "/v1/authorize", Some(case("arn:aws:s3:::logs/a", &[]))).await;
    assert_eq!(body["decision"], "implicitDeny");
}

#[tokio::test]
async fn authorize_with_expect_says_pass() {
    let mut c: Value = serde_json::from_str(&case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ])).unwrap();
    c["expect"] = json!({"decision": "allowed"});
    let (_, body) = send(router(), "POST", "/v1/authorize", Some(c.to_string())).await;
    assert_eq!(body["pass"], true);
    c["expect"] = json!({"decision": "implicitDeny"});
    let (_, body) = send(router(), "POST", "/v1/authorize", Some(c.to_string())).await;
    assert_eq!(body["pass"], false);
    assert_eq!(body["decision"], "allowed");
}

#[tokio::test]
async fn built_in_policies_are_accepted() {
    let mut c: Value = serde_json::from_str(&case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ])).unwrap();
    c["scps"] = json!([["FullAWSAccess"]]);
    let (status, body) = send(router(), "POST", "/v1/authorize", Some(c.to_string())).await;
    assert_eq!((status, &body["decision"]), (StatusCode::OK, &json!("allowed")), "{body}");
}

#[tokio::test]
async fn invalid_case_is_400() {
    let bad_policy =
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps", "Action": "s3:*", "Resource": "*"}]}"#;
    let (status, body) =
        send(router(), "POST", "/v1/authorize", Some(case("arn:aws:s3:::logs/a", &[bad_policy]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "MalformedPolicyDocument", "{body}");
    assert!(body["message"].as_str().unwrap().contains("Effect"), "{body}");

    let (status, body) =
        send(router(), "POST", "/v1/authorize", Some(r#"{"principal": "x", "actoin": "s3:GetObject"}"#.into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "InvalidInput", "{body}");

    let (status, body) = send(router(), "POST", "/v1/authorize", Some("[1, 2]".into())).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("InvalidInput")));
}

#[tokio::test]
async fn a_case_expecting_an_error_gets_it() {
    let c = json!({
        "principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*",
        "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps", "Action": "s3:*", "Resource": "*"}]}],
        "expect": {"error": "MalformedPolicyDocument"},
    });
    let (status, body) = send(router(), "POST", "/v1/authorize", Some(c.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["error"]["code"], "MalformedPolicyDocument");
    assert_eq!(body["pass"], true);
}

#[tokio::test]
async fn policy_paths_are_refused() {
    for (field, value) in [
        ("identityPolicies", json!(["/etc/passwd.json"])),
        ("resourcePolicy", json!("../secret.json")),
        ("scps", json!([["FullAWSAccess", "scp.json"]])),
    ] {
        let mut c: Value = serde_json::from_str(&case("arn:aws:s3:::logs/a", &[])).unwrap();
        c[field] = value;
        let (status, body) = send(router(), "POST", "/v1/authorize", Some(c.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert!(body["message"].as_str().unwrap().contains("reads no files"), "{body}");
    }
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (status, body) = send(router(), "POST", "/v1/authorize", Some(r#"{"principal": "#.into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "MalformedJSON");
    assert!(body["message"].as_str().unwrap().contains("not valid JSON"), "{body}");

    let (status, body) = send(router(), "POST", "/v1/lint", Some("{'policy': 1}".into())).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("MalformedJSON")));
}

#[tokio::test]
async fn missing_content_type_is_415() {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::post("/v1/authorize").body(Body::from(case("*", &[]))).unwrap();
    let res = router().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["code"], "UnsupportedMediaType");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let padding = "x".repeat(2 << 20);
    let body = format!(r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "description": "{padding}"}}"#);
    let (status, body) = send(router(), "POST", "/v1/authorize", Some(body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "PayloadTooLarge");

    let small = app(AppState::new(Settings { body_limit: 64, ..Settings::default() }));
    let (status, _) = send(small, "POST", "/v1/authorize", Some(case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ]))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_405() {
    let (status, body) = send(router(), "GET", "/v2/nothing", None).await;
    assert_eq!((status, &body["code"]), (StatusCode::NOT_FOUND, &json!("NotFound")));
    let (status, body) = send(router(), "GET", "/v1/authorize", None).await;
    assert_eq!((status, &body["code"]), (StatusCode::METHOD_NOT_ALLOWED, &json!("MethodNotAllowed")));
}

#[tokio::test]
async fn explain_denied() {
    let body = case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ, DENY_LOGS]);
    let (status, body) = send(router(), "POST", "/v1/explain", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result = &body["EvaluationResults"][0];
    assert_eq!(result["EvalDecision"], "explicitDeny");
    assert_eq!(result["iamspect"]["deniedBy"], json!(["identity"]));
    let message = result["iamspect"]["message"].as_str().unwrap();
    assert!(message.contains("explicit deny"), "{message}");
    assert_eq!(result["iamspect"]["withoutStatement"][0]["decision"], "allowed");
}

#[tokio::test]
async fn explain_allowed_and_unknown_action() {
    let (status, body) =
        send(router(), "POST", "/v1/explain", Some(case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ]))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["EvaluationResults"][0]["EvalDecision"], "allowed");

    let c = case("arn:aws:s3:::logs/a", &[]).replace("s3:GetObject", "s3:GetObjekt");
    let (status, body) = send(router(), "POST", "/v1/explain", Some(c)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("did you mean `s3:GetObject`"), "{body}");
}

#[tokio::test]
async fn lint_document_and_string() {
    let policy =
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]});
    let (status, body) = send(router(), "POST", "/v1/lint", Some(json!({"policy": policy}).to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let findings = body["findings"].as_array().unwrap();
    let f = findings.iter().find(|f| f["findingDetails"].as_str().unwrap().contains("GetObjekt")).unwrap();
    assert_eq!(f["findingType"], "ERROR");
    assert_eq!(f["policyType"], "identity");
    assert_eq!(f["locations"][0]["path"], json!([{"value": "Statement"}, {"index": 0}, {"value": "Action"}]));

    let text = serde_json::to_string_pretty(&policy).unwrap();
    let (status, body) =
        send(router(), "POST", "/v1/lint", Some(json!({"policy": text, "type": "identity"}).to_string())).await;
    assert_eq!(status, StatusCode::OK);
    let f = body["findings"].as_array().unwrap().iter().find(|f| f["code"] == findings[0]["code"]).unwrap();
    // Positions are in the string's text: the pretty-printed policy puts the action on line 6.
    assert_eq!(f["locations"][0]["path"], findings[0]["locations"][0]["path"]);
    assert_eq!(f["locations"][0]["span"]["start"]["line"], 6, "{f}");
}

#[tokio::test]
async fn lint_bad_input() {
    let (status, body) =
        send(router(), "POST", "/v1/lint", Some(json!({"policy": {}, "type": "martian"}).to_string())).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("InvalidInput")));
    let (status, _) = send(router(), "POST", "/v1/lint", Some(json!({"document": {}}).to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reload_without_account_data_is_409() {
    let (status, body) = send(router(), "POST", "/v1/reload", None).await;
    assert_eq!((status, &body["code"]), (StatusCode::CONFLICT, &json!("Conflict")));
}

/// Sends `body` to `/v1/authorize` with `content_type`; the status and the raw answer.
async fn authorize_as(app: axum::Router, content_type: &str, body: &str) -> (StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::post("/v1/authorize")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    (status, String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
}

/// `Content-Type: application/json` takes the one-parse way in (`inline_case`, known policies not
/// read again); any other JSON content type the exact way. Both answer every body alike: valid
/// cases that vary in everything but their policies, and bodies each way must refuse.
#[tokio::test]
async fn the_fast_and_the_exact_way_answer_alike() {
    let mut bodies = Vec::new();
    for i in 0..20 {
        let mut c: Value =
            serde_json::from_str(&case(&format!("arn:aws:s3:::logs/key-{i}"), &[ALLOW_S3_READ, DENY_LOGS])).unwrap();
        c["principal"] = json!(format!("arn:aws:iam::111122223333:user/user-{i}"));
        c["context"] = json!({"aws:SourceIp": format!("10.0.0.{i}"), "aws:SecureTransport": i % 2 == 0});
        if i % 3 == 0 {
            c["expect"] = json!({"decision": "explicitDeny"});
        }
        bodies.push(c.to_string());
    }
    bodies.extend([
        case("arn:aws:s3:::data/a", &[ALLOW_S3_READ]),
        case("arn:aws:s3:::data/a", &[]),
        case("arn:aws:s3:::data/a", &[r#"{"Version": "2012-10-17", "Statement": 3}"#]),
        case("arn:aws:s3:::data/a", &[ALLOW_S3_READ, "0"]),
        case("arn:aws:s3:::data/a", &[r#""FullAWSAccess""#]),
        case("arn:aws:s3:::data/a", &[r#""my-policy.json""#]),
        case("arn:aws:s3:::data/a", &[r#"{"Version": "2012-10-17", "Statement": [], "X": 1e400}"#]),
        format!("{} trailing", case("arn:aws:s3:::data/a", &[ALLOW_S3_READ])),
        case("arn:aws:s3:::data/a", &[ALLOW_S3_READ]).replace("\"action\"", "\"actoin\""),
        case("arn:aws:s3:::data/a", &[ALLOW_S3_READ]).replace("\"identityPolicies\"", "\"identity\\u0050olicies\""),
        case("arn:aws:s3:::data/a", &[ALLOW_S3_READ]).replace('}', "}, \"expect\": null}"),
        "{\"principal\": ".to_string(),
        "[1, 2]".to_string(),
        "\u{feff}{}".to_string(),
    ]);
    let (fast, exact) = (router(), router());
    for round in 0..2 {
        for body in &bodies {
            let a = authorize_as(fast.clone(), "application/json", body).await;
            let b = authorize_as(exact.clone(), "application/json; charset=utf-8", body).await;
            assert_eq!(a, b, "round {round}: {body}");
            // Written as serde_json writes it.
            let v: Value = serde_json::from_str(&a.1).unwrap();
            assert_eq!(v.to_string(), a.1);
        }
    }
    // And the answers are the decisions.
    let (status, answer) = authorize_as(fast, "application/json", &bodies[1]).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, r#"{"decision":"explicitDeny","deniedBy":["identity"]}"#));
}
