//! Policies by reference: `POST /v1/policies`, `GET /v1/policies/{id}`, and cases that name
//! stored policies by id.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use common::{ALLOW_S3_READ, DENY_LOGS, case, gaad, send, temp_dir};
use iamspect_server::{AppState, Settings, app};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn router() -> axum::Router {
    app(AppState::new(Settings::default()))
}

/// The id a client computes itself: the SHA-256 of the exact text.
fn id_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("policy:sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Registers `texts` (each a document as written) and returns their ids.
async fn register(app: &axum::Router, texts: &[&str]) -> Vec<String> {
    let body = format!(r#"{{"policies": [{}]}}"#, texts.join(", "));
    let (status, answer) = send(app.clone(), "POST", "/v1/policies", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let ids: Vec<String> = serde_json::from_value(answer["ids"].clone()).unwrap();
    assert_eq!(ids, texts.iter().map(|t| id_of(t.trim())).collect::<Vec<_>>());
    ids
}

/// Sends `body` to `route` with `content_type`; the status and the raw answer.
async fn post_as(app: axum::Router, route: &str, content_type: &str, body: &str) -> (StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::post(route)
        .header("content-type", content_type)
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    (status, String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
}

/// GETs `uri`: the status and the raw answer.
async fn get_raw(app: axum::Router, uri: &str) -> (StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    (status, String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
}

#[tokio::test]
async fn register_then_get_the_exact_text() {
    let app = router();
    // A document as written (white space, key order and all), and the same text as a string.
    let body = format!(r#"{{"policies": [ {ALLOW_S3_READ} , {}]}}"#, Value::from(DENY_LOGS));
    let (status, answer) = send(app.clone(), "POST", "/v1/policies", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"ids": [id_of(ALLOW_S3_READ), id_of(DENY_LOGS)]}));
    for text in [ALLOW_S3_READ, DENY_LOGS] {
        let (status, got) = get_raw(app.clone(), &format!("/v1/policies/{}", id_of(text))).await;
        assert_eq!((status, got.as_str()), (StatusCode::OK, text));
    }
    // One policy: `{"id"}`; the same text again: the same id, stored once.
    let body = json!({"policy": DENY_LOGS}).to_string();
    let (status, answer) = send(app.clone(), "POST", "/v1/policies", Some(body)).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"id": id_of(DENY_LOGS)})));
    // Another server (or a restart) gives the same ids.
    assert_eq!(register(&router(), &[ALLOW_S3_READ]).await, vec![id_of(ALLOW_S3_READ)]);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_on_get() {
    let app = router();
    register(&app, &[ALLOW_S3_READ]).await;
    for id in [id_of(DENY_LOGS), "policy:sha256:abc".to_string(), id_of(ALLOW_S3_READ).to_uppercase()] {
        let (status, body) = send(app.clone(), "GET", &format!("/v1/policies/{id}"), None).await;
        assert_eq!((status, &body["code"]), (StatusCode::NOT_FOUND, &json!("NotFound")), "{id}: {body}");
    }
}

#[tokio::test]
async fn bad_registrations_are_400() {
    let app = router();
    for body in [
        json!({}),
        json!({"policies": [], "policy": {}}),
        json!({"policies": [{"Version": "2012-10-17", "Statement": []}], "other": 1}),
        json!({"policies": ["not json"]}),
        json!({"policies": ["[1, 2]"]}),
        json!({"policies": [3]}),
        json!({"policy": "FullAWSAccess"}),
        json!({"policies": {"a": {}}}),
    ] {
        let (status, answer) = send(app.clone(), "POST", "/v1/policies", Some(body.to_string())).await;
        assert_eq!((status, &answer["code"]), (StatusCode::BAD_REQUEST, &json!("InvalidInput")), "{body}: {answer}");
    }
    let (status, answer) = send(app.clone(), "POST", "/v1/policies", Some(r#"{"policies": [{}, 3]}"#.into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["message"].as_str().unwrap().contains("policies[1]"), "{answer}");
    // Nothing of a refused registration is stored.
    let (status, _) = get_raw(app, &format!("/v1/policies/{}", id_of("{}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_registration_over_the_limit_is_refused() {
    let texts: Vec<String> =
        (0..=iamspect_server::policy_store::MAX_POLICIES).map(|i| format!("{{\"n\":{i}}}")).collect();
    let body = format!(r#"{{"policies": [{}]}}"#, texts.join(","));
    let settings = Settings { body_limit: 1 << 22, ..Settings::default() };
    let app = app(AppState::new(settings));
    let (status, answer) = send(app.clone(), "POST", "/v1/policies", Some(body)).await;
    assert_eq!((status, &answer["code"]), (StatusCode::BAD_REQUEST, &json!("LimitExceeded")), "{answer}");
    let (status, _) = get_raw(app, &format!("/v1/policies/{}", id_of(&texts[0]))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cases_name_stored_policies_by_id() {
    let app = router();
    let ids = register(&app, &[ALLOW_S3_READ, DENY_LOGS]).await;
    let by_ref = |resource: &str, ids: &[&String]| {
        case(
            resource,
            &ids.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    for (resource, refs, inline) in [
        ("arn:aws:s3:::data/a", vec![&ids[0]], vec![ALLOW_S3_READ]),
        ("arn:aws:s3:::logs/a", vec![&ids[0], &ids[1]], vec![ALLOW_S3_READ, DENY_LOGS]),
        ("arn:aws:s3:::data/a", vec![&ids[1]], vec![DENY_LOGS]),
    ] {
        for content_type in ["application/json", "application/json; charset=utf-8"] {
            let a = post_as(app.clone(), "/v1/authorize", content_type, &by_ref(resource, &refs)).await;
            let b = post_as(app.clone(), "/v1/authorize", content_type, &case(resource, &inline)).await;
            assert_eq!(a.0, StatusCode::OK, "{}", a.1);
            assert_eq!(a, b);
        }
    }
    // An id written with an escape reads as the same id, both ways in.
    let escaped = case("arn:aws:s3:::logs/a", &[&format!("\"\\u0070{}\"", &ids[1][1..])]);
    let a = post_as(app.clone(), "/v1/authorize", "application/json", &escaped).await;
    let b = post_as(app.clone(), "/v1/authorize", "application/json; charset=utf-8", &escaped).await;
    assert_eq!(a, b);
    assert_eq!(a, (StatusCode::OK, r#"{"decision":"explicitDeny","deniedBy":["identity"]}"#.to_string()));
    // Every place a policy goes.
    let scp_allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let vpce_allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}"#;
    let ids2 = register(&app, &[scp_allow, vpce_allow]).await;
    // A role session: a user has no session policies (decision D41).
    let all = json!({
        "principal": "arn:aws:sts::111122223333:assumed-role/Reader/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::logs/a",
        "identityPolicies": [ids[0]], "permissionsBoundary": ids2[0], "sessionPolicies": [ids2[0]],
        "resourcePolicy": r#"{"Version": "2012-10-17", "Statement": []}"#.parse::<Value>().unwrap(),
        "scps": [["FullAWSAccess", ids2[0]], [ids2[0]]], "rcps": [["RCPFullAWSAccess"]],
        "vpcEndpointPolicy": ids2[1], "context": {"aws:SourceVpce": "vpce-1"},
    });
    let (status, answer) = send(app.clone(), "POST", "/v1/authorize", Some(all.to_string())).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"decision": "allowed", "deniedBy": []})));
    let mut denied = all.clone();
    let rcp_deny = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*"}]}"#;
    denied["rcps"] = json!([["RCPFullAWSAccess", register(&app, &[rcp_deny]).await[0]]]);
    let (status, answer) = send(app.clone(), "POST", "/v1/authorize", Some(denied.to_string())).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"decision": "explicitDeny", "deniedBy": ["rcp"]})));
}

/// An id the server does not hold is refused (fail closed), by both ways in and by explain, with
/// the field and the id; once the policy is registered the very same body is decided.
#[tokio::test]
async fn unknown_ids_are_400_never_skipped() {
    let app = router();
    let missing = id_of(DENY_LOGS);
    let allow = register(&app, &[ALLOW_S3_READ]).await.remove(0);
    let body = case("arn:aws:s3:::logs/a", &[&format!("\"{allow}\""), &format!("\"{missing}\"")]);
    for _ in 0..3 {
        for content_type in ["application/json", "application/json; charset=utf-8"] {
            let (status, answer) = post_as(app.clone(), "/v1/authorize", content_type, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(answer["code"], "InvalidInput");
            let message = answer["message"].as_str().unwrap();
            assert!(message.contains("identityPolicies[1]") && message.contains(&missing), "{message}");
        }
        let (status, answer) = send(app.clone(), "POST", "/v1/explain", Some(body.clone())).await;
        assert_eq!((status, &answer["code"]), (StatusCode::BAD_REQUEST, &json!("InvalidInput")), "{answer}");
    }
    for bad in ["policy:sha256:abc", "policy:sha256:ZZ"] {
        let body = case("arn:aws:s3:::logs/a", &[&format!("\"{bad}\"")]);
        let (status, answer) = send(app.clone(), "POST", "/v1/authorize", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["message"].as_str().unwrap().contains("is not a policy id"), "{answer}");
    }
    register(&app, &[DENY_LOGS]).await;
    let (status, answer) = send(app.clone(), "POST", "/v1/authorize", Some(body)).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"decision": "explicitDeny", "deniedBy": ["identity"]})));
}

/// A stored text is checked as a type when a case uses it as one: valid as one type, refused as
/// another, naming the field.
#[tokio::test]
async fn the_type_is_checked_on_use() {
    let app = router();
    let with_principal = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "*"}]}"#;
    let id = register(&app, &[with_principal]).await.remove(0);
    let mut c: Value = serde_json::from_str(&case("arn:aws:s3:::data/a", &[])).unwrap();
    c["resourcePolicy"] = json!(id);
    let (status, answer) = send(app.clone(), "POST", "/v1/authorize", Some(c.to_string())).await;
    assert_eq!((status, &answer["decision"]), (StatusCode::OK, &json!("allowed")), "{answer}");
    let c = case("arn:aws:s3:::data/a", &[&format!("\"{id}\"")]);
    for _ in 0..2 {
        let (status, answer) = send(app.clone(), "POST", "/v1/authorize", Some(c.clone())).await;
        assert_eq!((status, &answer["code"]), (StatusCode::BAD_REQUEST, &json!("MalformedPolicyDocument")));
        assert!(answer["message"].as_str().unwrap().contains("identityPolicies[0]"), "{answer}");
    }
}

#[tokio::test]
async fn explain_names_the_policy_by_its_id() {
    let app = router();
    let ids = register(&app, &[ALLOW_S3_READ, DENY_LOGS]).await;
    let body = case("arn:aws:s3:::logs/a", &[&format!("\"{}\"", ids[0]), &format!("\"{}\"", ids[1])]);
    let (status, answer) = send(app.clone(), "POST", "/v1/explain", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let text = answer.to_string();
    assert!(text.contains(&ids[1]), "{text}");
    let inline = case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ, DENY_LOGS]);
    let (_, inline) = send(app, "POST", "/v1/explain", Some(inline)).await;
    assert_eq!(answer["EvalDecision"], inline["EvalDecision"]);
}

/// With account data, a case whose policies are all ids is still a case (not a request about the
/// account's principals), both ways in.
#[tokio::test]
async fn with_account_data_ids_are_policies() {
    let dir = temp_dir("policies-account");
    std::fs::write(dir.join("gaad.json"), gaad(ALLOW_S3_READ)).unwrap();
    let app = app(AppState::with_account_data(Settings::default(), vec![dir]).unwrap());
    let deny = register(&app, &[DENY_LOGS]).await.remove(0);
    let body = case("arn:aws:s3:::logs/a", &[&format!("\"{deny}\"")]);
    for content_type in ["application/json", "application/json; charset=utf-8"] {
        let (status, answer) = post_as(app.clone(), "/v1/authorize", content_type, &body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer, r#"{"decision":"explicitDeny","deniedBy":["identity"]}"#);
    }
    let missing = case("arn:aws:s3:::logs/a", &[&format!("\"{}\"", id_of(ALLOW_S3_READ))]);
    let (status, answer) = send(app, "POST", "/v1/authorize", Some(missing)).await;
    assert_eq!((status, &answer["code"]), (StatusCode::BAD_REQUEST, &json!("InvalidInput")), "{answer}");
}

#[tokio::test]
async fn openapi_names_the_routes() {
    let (_, doc) = send(router(), "GET", "/openapi.json", None).await;
    assert!(doc["paths"]["/v1/policies"]["post"].is_object());
    assert!(doc["paths"]["/v1/policies/{id}"]["get"].is_object());
}

const POLICY_FIELDS: [&str; 7] = [
    "identityPolicies",
    "resourcePolicy",
    "permissionsBoundary",
    "sessionPolicies",
    "scps",
    "rcps",
    "vpcEndpointPolicy",
];

/// One case of a case file, inline (library entries and policy paths replaced by the documents)
/// and by reference (every document replaced by its id), with the texts to register.
struct Variants {
    inline: String,
    by_ref: String,
    texts: Vec<String>,
}

fn variants(case: &str, library: &BTreeMap<String, Box<RawValue>>, dir: &Path) -> Option<Variants> {
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(case).ok()?;
    let mut texts = Vec::new();
    // A policy's document text, when it is (or names) a document.
    let mut document = |raw: &RawValue| -> Option<String> {
        let text = raw.get().trim();
        let text = if text.starts_with('{') {
            text.to_string()
        } else {
            let name: String = serde_json::from_str(text).ok()?;
            match library.get(&name).map(|e| e.get().trim()) {
                Some(entry) if entry.starts_with('{') => entry.to_string(),
                Some(entry) => std::fs::read_to_string(dir.join(serde_json::from_str::<String>(entry).ok()?)).ok()?,
                None if name.ends_with(".json") => std::fs::read_to_string(dir.join(&name)).ok()?,
                None => return None,
            }
        };
        let text = text.trim().to_string();
        texts.push(text.clone());
        Some(text)
    };
    let mut swap = |raw: &RawValue| -> (String, String) {
        match document(raw) {
            Some(text) => (text.clone(), format!("\"{}\"", id_of(&text))),
            None => (raw.get().to_string(), raw.get().to_string()),
        }
    };
    let (mut inline, mut by_ref) = (Vec::new(), Vec::new());
    for (key, raw) in &fields {
        let key_json = Value::from(key.as_str()).to_string();
        let (a, b) = if !POLICY_FIELDS.contains(&key.as_str()) {
            (raw.get().to_string(), raw.get().to_string())
        } else if let Ok(levels) = serde_json::from_str::<Vec<Vec<Box<RawValue>>>>(raw.get()) {
            let levels: Vec<Vec<(String, String)>> =
                levels.iter().map(|l| l.iter().map(|p| swap(p)).collect()).collect();
            let join = |pick: fn(&(String, String)) -> &String| {
                let ls: Vec<String> = levels
                    .iter()
                    .map(|l| format!("[{}]", l.iter().map(|p| pick(p).as_str()).collect::<Vec<_>>().join(",")))
                    .collect();
                format!("[{}]", ls.join(","))
            };
            (join(|p| &p.0), join(|p| &p.1))
        } else if let Ok(list) = serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()) {
            let list: Vec<(String, String)> = list.iter().map(|p| swap(p)).collect();
            let join = |pick: fn(&(String, String)) -> &String| {
                format!("[{}]", list.iter().map(|p| pick(p).as_str()).collect::<Vec<_>>().join(","))
            };
            (join(|p| &p.0), join(|p| &p.1))
        } else {
            swap(raw)
        };
        inline.push(format!("{key_json}:{a}"));
        by_ref.push(format!("{key_json}:{b}"));
    }
    Some(Variants { inline: format!("{{{}}}", inline.join(",")), by_ref: format!("{{{}}}", by_ref.join(",")), texts })
}

/// Every case of `tests/cases` and `examples` that the server accepts inline (library entries
/// and policy paths inlined) gets the same answer with its policies by reference, by both ways in.
#[tokio::test]
async fn the_same_decision_by_reference_as_inline_for_every_case() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = iamspect_case::case_files(&[root.join("tests/cases"), root.join("examples")]).unwrap();
    let app = router();
    let (mut compared, mut referenced, mut all) = (0, 0, 0);
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let dir = file.parent().unwrap().to_path_buf();
        let (library, cases): (BTreeMap<String, Box<RawValue>>, Vec<Box<RawValue>>) =
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(obj)) if obj.contains_key("cases") => {
                    #[derive(serde::Deserialize)]
                    struct File {
                        #[serde(default)]
                        policies: BTreeMap<String, Box<RawValue>>,
                        cases: Vec<Box<RawValue>>,
                    }
                    let Ok(f) = serde_json::from_str::<File>(&text) else { continue };
                    (f.policies, f.cases)
                }
                Ok(Value::Object(_)) => (BTreeMap::new(), vec![serde_json::from_str(&text).unwrap()]),
                _ => continue,
            };
        for raw in cases {
            all += 1;
            let Some(v) = variants(raw.get(), &library, &dir) else { continue };
            let (status, inline) = post_as(app.clone(), "/v1/authorize", "application/json", &v.inline).await;
            if status != StatusCode::OK {
                continue;
            }
            if !v.texts.is_empty() {
                let texts: Vec<&str> = v.texts.iter().map(String::as_str).collect();
                register(&app, &texts).await;
                referenced += 1;
            }
            let inline: Value = serde_json::from_str(&inline).unwrap();
            for content_type in ["application/json", "application/json; charset=utf-8"] {
                let (status, by_ref) = post_as(app.clone(), "/v1/authorize", content_type, &v.by_ref).await;
                assert_eq!(status, StatusCode::OK, "{}: {}\n{by_ref}", file.display(), v.by_ref);
                let by_ref: Value = serde_json::from_str(&by_ref).unwrap();
                if inline.get("error").is_some() {
                    assert_eq!(inline["error"]["code"], by_ref["error"]["code"], "{}: {}", file.display(), v.by_ref);
                } else {
                    assert_eq!(inline, by_ref, "{}: {}", file.display(), v.by_ref);
                }
            }
            compared += 1;
        }
    }
    assert!(referenced >= 200, "only {referenced} of {all} cases compared with policies by reference");
    eprintln!("{compared} of {all} cases decided alike inline and by reference ({referenced} with ids)");
}
