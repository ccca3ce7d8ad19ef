//! An opt-in Region the caller's account has not enabled (decisions D98, D141): the gateway
//! refuses the request at authentication, as AWS does, before any mapping or policy, and the
//! upstream never sees it. An enabled Region goes on to authorization as before.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use common::gateway::*;
use iamspect_server::gateway::{Gateway, Upstream};
use iamspect_server::{AppState, Settings};

/// The gateway for `region`, with `aws account list-regions` output giving it `status`.
async fn gateway_in(region: &str, status: &str) -> (Server, Seen) {
    let (up, seen) = upstream().await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gateway-regions-{status}"));
    std::fs::create_dir_all(&dir).unwrap();
    let regions = dir.join(format!("list-regions_{ACCOUNT}.json"));
    let body = serde_json::json!({"Regions": [
        {"RegionName": region, "RegionOptStatus": status},
        {"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
    ]});
    std::fs::write(&regions, body.to_string()).unwrap();
    let dir = data_dir();
    let state = AppState::with_account_data(
        Settings::default(),
        vec![dir.join("gaad.json"), dir.join("resources.json"), regions],
    )
    .unwrap();
    let gateway =
        Gateway { region: region.to_string(), ..Gateway::new(Some(Upstream::parse(&format!("http://{up}")).unwrap())) };
    (start_gateway(state, gateway).await, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_not_enabled_is_refused_at_authentication() {
    for status in ["DISABLED", "DISABLING", "ENABLING"] {
        let (server, seen) = gateway_in("af-south-1", status).await;
        let req = Req::new("GET", "/data/public/a.txt");
        let r = send(server.addr, signed_in(server.addr, ALICE, "s3", "af-south-1", &req, T0)).await;
        assert_eq!((r.status, r.tag("Code")), (403, "InvalidAccessKeyId"), "{status}: {}", r.body);
        assert_eq!(r.tag("AWSAccessKeyId"), ALICE_KEY, "{}", r.body);
        // The Query and JSON protocols answer as for an unknown key too.
        let query = form("Action=GetQueueUrl&QueueName=jobs&Version=2012-11-05");
        let r = send(server.addr, signed_in(server.addr, ALICE, "sqs", "af-south-1", &query, T0)).await;
        assert_eq!((r.status, r.tag("Code")), (403, "InvalidClientTokenId"), "{status}: {}", r.body);
        assert_eq!(seen.lock().unwrap().len(), 0, "{status}: the upstream saw a request of a Region not enabled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enabled_region_goes_on_to_authorization() {
    for status in ["ENABLED", "ENABLED_BY_DEFAULT"] {
        let (server, seen) = gateway_in("af-south-1", status).await;
        let allowed = Req::new("GET", "/data/public/a.txt");
        let r = send(server.addr, signed_in(server.addr, ALICE, "s3", "af-south-1", &allowed, T0)).await;
        assert_eq!((r.status, r.body.as_str()), (201, "stored"), "{status}: the upstream's answer");
        let denied = Req::new("GET", "/data/private/a.txt");
        let r = send(server.addr, signed_in(server.addr, ALICE, "s3", "af-south-1", &denied, T0)).await;
        assert_eq!((r.status, r.tag("Code")), (403, "AccessDenied"), "{status}: {}", r.body);
        assert_eq!(seen.lock().unwrap().len(), 1, "{status}");
    }
}
