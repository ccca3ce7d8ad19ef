//! S3 streaming (`aws-chunked`) bodies under the headers of AWS's two published chunked-upload
//! examples, whose seed signatures are valid at the examples' time. The first input byte picks the
//! example and how the body is made: the input itself (any framing), or the example's own signed
//! body with the input's edits (`offset: u24, byte`) and a cut, so that every step of the check is
//! reached (framing, chunk and trailer signatures, trailers, decoded length) without large seeds.
//! Verification must never panic, and must accept a body only if it carries the data signed.
#![no_main]

use std::sync::OnceLock;

use iamspect_auth::{Credential, CredentialStore, HttpRequestParts, verify};
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

/// The key of AWS's examples.
const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// 2013-05-24T00:00:00Z, the time of AWS's examples.
const EXAMPLE_TIME: i64 = 1_369_353_600;

/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, AWS's `PUT /examplebucket/chunkObject.txt`.
const SIGNED: &[(&str, &str)] = &[
    ("host", "s3.amazonaws.com"),
    ("x-amz-date", "20130524T000000Z"),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    (
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    ),
    ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    ("content-encoding", "aws-chunked"),
    ("x-amz-decoded-content-length", "66560"),
    ("content-length", "66824"),
];

/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` with a CRC32C trailer, AWS's second example.
const SIGNED_TRAILER: &[(&str, &str)] = &[
    ("host", "s3.amazonaws.com"),
    ("x-amz-date", "20130524T000000Z"),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    (
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    ),
    ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
    ("content-encoding", "aws-chunked"),
    ("x-amz-decoded-content-length", "66560"),
    ("x-amz-trailer", "x-amz-checksum-crc32c"),
];

fn store() -> &'static CredentialStore {
    static STORE: OnceLock<CredentialStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = CredentialStore::new();
        let _ = store.add(Credential::long_term(KEY, SECRET, "arn:aws:iam::123456789012:user/alice"));
        store
    })
}

/// The examples' data: 64 KiB then 1 KiB of `a`.
fn is_example_data(data: &[u8]) -> bool {
    data.len() == 66560 && data.iter().all(|b| *b == b'a')
}

/// The chunk data of an `aws-chunked` body (sizes in hex, `;chunk-signature=` extensions).
fn chunk_data(body: &[u8]) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut rest = body;
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&rest[..end]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?, 16).ok()?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Some(data);
        }
        data.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// The chunk signatures of the two examples, and the trailer example's trailer signature.
const CHUNKS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const TRAILER_CHUNKS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const TRAILER: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

/// An example's signed body.
fn example_body(trailer: bool) -> Vec<u8> {
    let chunks = if trailer { TRAILER_CHUNKS } else { CHUNKS };
    let mut body = Vec::with_capacity(66_960);
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", chunks[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65_536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", chunks[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", chunks[2]).as_bytes());
    if trailer {
        body.extend_from_slice(
            format!("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// The example's body with `edits` (`offset: u24 LE, byte` each) applied, cut to the length the
/// first three bytes give when that is shorter.
fn edited(trailer: bool, edits: &[u8]) -> Vec<u8> {
    let mut body = example_body(trailer);
    let Some((cut, edits)) = edits.split_first_chunk::<3>() else { return body };
    for edit in edits.chunks_exact(4) {
        let at = usize::from(edit[0]) | usize::from(edit[1]) << 8 | usize::from(edit[2]) << 16;
        let len = body.len();
        if let Some(b) = body.get_mut(at % len) {
            *b = edit[3];
        }
    }
    let cut = usize::from(cut[0]) | usize::from(cut[1]) << 8 | usize::from(cut[2]) << 16;
    if cut < body.len() {
        body.truncate(cut);
    }
    body
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, rest)) = input.split_first() else { return };
    let trailer = which % 2 == 1;
    let headers = if trailer { SIGNED_TRAILER } else { SIGNED };
    let body = if which & 2 == 0 { rest.to_vec() } else { edited(trailer, rest) };
    let body = body.as_slice();
    let mut request = HttpRequestParts::new("PUT", "/examplebucket/chunkObject.txt", body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let now = Timestamp::from_second(EXAMPLE_TIME).unwrap_or(Timestamp::UNIX_EPOCH);
    if let Ok(ok) = verify(&request, store(), now) {
        // Every chunk is signed: an accepted body carries exactly the data AWS's example signed.
        let data = chunk_data(body);
        assert!(data.as_deref().is_some_and(is_example_data), "a body that was not signed was accepted");
        assert!(ok.streaming.is_some(), "a streaming body verified without its streaming details");
    }
});
