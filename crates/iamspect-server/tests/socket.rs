//! End to end over a real socket on loopback: bind port 0, serve, send a few raw HTTP/1.1
//! requests, shut down gracefully.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use common::{ALLOW_S3_READ, DENY_LOGS, case};
use iamspect_server::{AppState, Settings, serve};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request on its own connection; returns the status and the JSON body.
async fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    (status, serde_json::from_str(rest).unwrap_or_else(|e| panic!("{e}: {rest}")))
}

#[tokio::test]
async fn serves_on_loopback_and_shuts_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, AppState::new(Settings::default()), async {
        let _ = stopped.await;
    }));

    let (status, body) = http(addr, "GET", "/healthz", "").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = http(addr, "POST", "/v1/authorize", &case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ])).await;
    assert_eq!((status, body["decision"].as_str()), (200, Some("allowed")));
    let (status, body) =
        http(addr, "POST", "/v1/authorize", &case("arn:aws:s3:::logs/a", &[ALLOW_S3_READ, DENY_LOGS])).await;
    assert_eq!((status, body["decision"].as_str()), (200, Some("explicitDeny")));
    let (status, body) = http(addr, "POST", "/v1/authorize", "{\"principal\": ").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("MalformedJSON")));
    // The service keeps serving after a bad request.
    let (status, _) = http(addr, "GET", "/openapi.json", "").await;
    assert_eq!(status, 200);

    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), server).await.unwrap().unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
}
