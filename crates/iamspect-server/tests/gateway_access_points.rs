//! Requests through S3 access points are refused with a named error, never read as a bucket
//! (decision D139): access point hosts, access point ARNs in the path, and access point aliases.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod common;

use common::gateway::*;
use iamspect_server::gateway::{Gateway, Upstream};
use iamspect_server::{AppState, Settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_point_requests_are_refused_by_name() {
    let (up, seen) = upstream().await;
    let dir = data_dir();
    let state =
        AppState::with_account_data(Settings::default(), vec![dir.join("gaad.json"), dir.join("resources.json")])
            .unwrap();
    let gateway = Gateway::new(Some(Upstream::parse(&format!("http://{up}")).unwrap()));
    let server = start_gateway(state, gateway).await;
    let port = server.addr.port();
    let hosted = Req::new("GET", "/public/a.txt")
        .header("host", &format!("finance-111122223333.s3-accesspoint.us-east-1.localhost.localstack.cloud:{port}"));
    let requests = [
        hosted,
        Req::new("GET", "/arn:aws:s3:us-east-1:111122223333:accesspoint/finance/object/public/a.txt"),
        Req::new("GET", "/arn%3Aaws%3As3%3Aus-east-1%3A111122223333%3Aaccesspoint%2Ffinance/public/a.txt"),
        Req::new("GET", "/finance-abcdefghijklmnopqrstuvwxyz12-s3alias/public/a.txt"),
    ];
    for req in &requests {
        let r = send_raw(server.addr, &to_raw(&signed(server.addr, Some(ALICE), "s3", req, T0))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("access point request, which the gateway does not map"), "{}", r.body);
    }
    assert_eq!(seen.lock().unwrap().len(), 0, "the upstream saw an access point request");
}
