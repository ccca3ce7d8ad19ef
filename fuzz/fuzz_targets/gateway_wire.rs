//! Raw HTTP requests, read by the gateway (`iamspect_server::gateway::differential::gateway`) and
//! by an independent reading modelled on how an emulator reads them (`…::emulator`): whatever the
//! gateway accepts must read the same both ways (service, region, bucket, key, parameters, JSON
//! body), since a difference is an operation authorized for one thing and executed as another.
//! The request head is parsed by `httparse`, not by the server's own HTTP stack. Inputs are the
//! request bytes; the seeds in `fuzz/seeds/gateway_wire/` are SDK-shaped requests of S3, SQS and
//! DynamoDB.
#![no_main]

use std::sync::OnceLock;

use iamspect_server::gateway::Gateway;
use iamspect_server::gateway::differential;
use libfuzzer_sys::fuzz_target;

fn gateway() -> &'static Gateway {
    static G: OnceLock<Gateway> = OnceLock::new();
    G.get_or_init(Gateway::default)
}

fuzz_target!(|data: &[u8]| {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let Ok(httparse::Status::Complete(head)) = request.parse(data) else { return };
    let (Some(method), Some(path)) = (request.method, request.path) else { return };
    let mut builder = http::Request::builder().method(method).uri(path);
    for h in request.headers.iter() {
        let Ok(value) = http::HeaderValue::from_bytes(h.value) else { return };
        builder = builder.header(h.name, value);
    }
    let Ok(built) = builder.body(()) else { return };
    let (parts, ()) = built.into_parts();
    let body = &data[head..];
    if let Ok(ours) = differential::gateway(&parts, body, gateway()) {
        let theirs = differential::emulator(&parts, body);
        if let Some(difference) = differential::difference(&ours, &theirs) {
            panic!("accepted, but read two ways: {difference}\n{}", String::from_utf8_lossy(data));
        }
    }
});
