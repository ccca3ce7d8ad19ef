//! Streaming (`aws-chunked`) S3 uploads: AWS's published examples, requests signed chunk by
//! chunk with AWS's own signer (`aws-sigv4`), and tampered, truncated and mislabelled bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::http::Headers;
use bytes::Bytes;
use iamspect_auth::{
    AuthError, AuthErrorKind, Authenticated, Credential, CredentialStore, HttpRequestParts, Protocol, StreamingMode,
    verify,
};
use jiff::Timestamp;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ARN: &str = "arn:aws:iam::123456789012:user/alice";
/// 2013-05-24T00:00:00Z, the time of AWS's examples.
const EXAMPLE_TIME: i64 = 1_369_353_600;
/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;

fn store() -> CredentialStore {
    let store = CredentialStore::new();
    store.add(Credential::long_term(KEY, SECRET, ARN)).unwrap();
    store
}

/// A request as it arrives: headers and body.
struct Wire {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn verify(&self, now: i64) -> Result<Authenticated, AuthError> {
        let mut request = HttpRequestParts::new(&self.method, &self.target, &self.body);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        verify(&request, &store(), Timestamp::from_second(now).unwrap())
    }

    fn set_header(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_owned();
            }
        }
    }

    /// Replaces the first occurrence of `from` in the body.
    fn replace(&mut self, from: &[u8], to: &[u8]) {
        let at = self.body.windows(from.len()).position(|w| w == from).expect("in the body");
        self.body.splice(at..at + from.len(), to.iter().copied());
    }
}

fn s3_code(error: &AuthError) -> (&'static str, u16) {
    let aws = error.to_aws(Protocol::S3);
    (aws.code, aws.status)
}

// --- AWS's published examples (S3 API reference, "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks" and "... Including Trailing Headers") ---

const EXAMPLE_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const EXAMPLE_CHUNKS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
const TRAILER_CHUNKS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const TRAILER_SIGNATURE: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

/// AWS's example body: 64 KiB then 1 KiB of `a`, the final chunk, and (with `trailer`) the
/// CRC32C trailer and its signature.
fn example_body(chunks: [&str; 3], trailer: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", chunks[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", chunks[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", chunks[2]).as_bytes());
    if let Some(signature) = trailer {
        body.extend_from_slice(
            format!("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{signature}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// AWS's `PUT /examplebucket/chunkObject.txt` with `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
fn aws_example() -> Wire {
    let body = example_body(EXAMPLE_CHUNKS, None);
    assert_eq!(body.len(), 66824, "the Content-Length of AWS's example");
    let headers = [
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
    Wire {
        method: "PUT".into(),
        target: "/examplebucket/chunkObject.txt".into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body,
    }
}

/// AWS's example with `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` and a CRC32C trailer.
fn aws_trailer_example() -> Wire {
    let headers = [
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
    Wire {
        method: "PUT".into(),
        target: "/examplebucket/chunkObject.txt".into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: example_body(TRAILER_CHUNKS, Some(TRAILER_SIGNATURE)),
    }
}

#[test]
fn aws_published_chunked_example_verifies() {
    let ok = aws_example().verify(EXAMPLE_TIME).unwrap();
    assert_eq!(ok.principal_arn(), ARN);
    assert!(ok.payload_signed);
    let streaming = ok.streaming.unwrap();
    assert_eq!((streaming.mode, streaming.decoded_length, streaming.chunks), (StreamingMode::Signed, 66560, 2));
    assert!(streaming.trailers.is_empty());
    assert_eq!(EXAMPLE_SEED, &aws_example().headers[3].1[aws_example().headers[3].1.len() - 64..]);
}

#[test]
fn aws_published_trailer_example_verifies() {
    let ok = aws_trailer_example().verify(EXAMPLE_TIME).unwrap();
    let streaming = ok.streaming.unwrap();
    assert_eq!(streaming.mode, StreamingMode::SignedTrailer);
    assert_eq!(streaming.trailers, vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())]);
    assert!(aws_trailer_example().headers[3].1.ends_with(TRAILER_SEED));

    // The trailer's value and its signature are both covered.
    let mut w = aws_trailer_example();
    w.replace(b"sOO8/Q==", b"AAAAAA==");
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
    let mut w = aws_trailer_example();
    w.replace(TRAILER_SIGNATURE.as_bytes(), TRAILER_CHUNKS[2].as_bytes());
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
    let mut w = aws_trailer_example();
    w.replace(format!("x-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n").as_bytes(), b"");
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
    // A trailer x-amz-trailer does not name.
    let mut w = aws_trailer_example();
    w.replace(b"x-amz-checksum-crc32c:", b"x-amz-checksum-crc32:");
    let e = w.verify(EXAMPLE_TIME).unwrap_err();
    assert_eq!(s3_code(&e), ("MalformedTrailerError", 400), "{e:?}");
}

#[test]
fn tampered_chunk_data_is_signature_does_not_match() {
    let mut w = aws_example();
    // The last byte of the second chunk.
    w.replace(b"a\r\n0;chunk-signature", b"b\r\n0;chunk-signature");
    let e = w.verify(EXAMPLE_TIME).unwrap_err();
    assert_eq!(e.kind(), &AuthErrorKind::SignatureDoesNotMatch);
    assert_eq!(s3_code(&e), ("SignatureDoesNotMatch", 403));
    assert!(e.message().contains("chunk 2"), "{}", e.message());
    let aws = e.to_aws(Protocol::S3);
    assert_eq!(aws.extra.first(), Some(&("AWSAccessKeyId", KEY.to_owned())));
    let string_to_sign = aws.extra.iter().find(|(n, _)| *n == "StringToSign").map(|(_, v)| v.as_str());
    assert!(
        string_to_sign
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\nad80c730"),
        "{aws:?}"
    );
}

#[test]
fn tampered_chunk_signatures_are_signature_does_not_match() {
    for (i, sig) in EXAMPLE_CHUNKS.iter().enumerate() {
        let mut w = aws_example();
        w.replace(sig.as_bytes(), "0".repeat(64).as_bytes());
        let e = w.verify(EXAMPLE_TIME).unwrap_err();
        assert_eq!(s3_code(&e), ("SignatureDoesNotMatch", 403), "chunk {i}: {e:?}");
    }
    // Chunks reordered: each signature is right for its data, not for its place in the chain.
    let mut w = aws_example();
    let first = format!("10000;chunk-signature={}\r\n", EXAMPLE_CHUNKS[0]);
    let mut body = format!("400;chunk-signature={}\r\n", EXAMPLE_CHUNKS[1]).into_bytes();
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(first.as_bytes());
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", EXAMPLE_CHUNKS[2]).as_bytes());
    w.body = body;
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
    // A chunk without its signature.
    let mut w = aws_example();
    w.replace(format!("400;chunk-signature={}", EXAMPLE_CHUNKS[1]).as_bytes(), b"400");
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
    // A trailer where the mode has none.
    let mut w = aws_example();
    let end = w.body.len() - 2;
    w.body.splice(end..end, b"x-amz-checksum-crc32:NSRBwg==\r\n".iter().copied());
    assert_eq!(s3_code(&w.verify(EXAMPLE_TIME).unwrap_err()), ("MalformedTrailerError", 400));
}

#[test]
fn truncated_bodies_are_incomplete_body() {
    let full = aws_example().body;
    // Cut in the data, in a chunk header, before the final chunk, and before the last CRLF.
    for cut in [100, 65536 + 90, 66738, full.len() - 2, full.len() - 1] {
        let mut w = aws_example();
        w.body.truncate(cut);
        let e = w.verify(EXAMPLE_TIME).unwrap_err();
        assert_eq!(e.kind(), &AuthErrorKind::IncompleteBody, "cut at {cut}: {e:?}");
        let aws = e.to_aws(Protocol::S3);
        assert_eq!(
            (aws.code, aws.status, aws.message.as_str()),
            ("IncompleteBody", 400, "The request body terminated unexpectedly")
        );
    }
    // A chunk size that is not hex.
    let mut w = aws_example();
    w.replace(b"10000;", b"1000g;");
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::IncompleteBody);
}

#[test]
fn the_seed_signature_covers_the_headers() {
    // x-amz-decoded-content-length is signed in AWS's example: changing it breaks the seed.
    let mut w = aws_example();
    w.set_header("x-amz-decoded-content-length", "66561");
    let e = w.verify(EXAMPLE_TIME).unwrap_err();
    assert_eq!(e.kind(), &AuthErrorKind::SignatureDoesNotMatch);
    assert!(
        e.to_aws(Protocol::S3)
            .extra
            .iter()
            .any(|(n, v)| *n == "CanonicalRequest" && v.ends_with("\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
    );
    // The literal is the payload hash: another streaming literal is another signature.
    let mut w = aws_example();
    w.set_header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
    assert_eq!(w.verify(EXAMPLE_TIME).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
}

// --- Requests signed by aws-sigv4, chunk by chunk ---

fn settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings
}

/// Signs the head of a streaming upload with aws-sigv4 and frames `data` in chunks of `chunk`
/// bytes: signed chunks (and a signed trailer) for the signed modes, plain ones otherwise.
fn sigv4_upload(mode: StreamingMode, data: &[u8], chunk: usize, decoded: &str, crc: Option<&str>) -> Wire {
    let identity = Credentials::new(KEY, SECRET, None, None, "test").into();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(T0).unwrap());
    let params = || {
        v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(time)
            .settings(settings())
            .build()
            .unwrap()
    };
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), "bucket.s3.amazonaws.com".into()),
        ("content-encoding".into(), "aws-chunked".into()),
        ("x-amz-decoded-content-length".into(), decoded.into()),
    ];
    if crc.is_some() {
        headers.push(("x-amz-trailer".into(), "x-amz-checksum-crc32".into()));
    }
    let body_kind = match mode {
        StreamingMode::UnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
        StreamingMode::SignedTrailer => SignableBody::StreamingSignedPayloadTrailer,
        StreamingMode::Signed => SignableBody::Precomputed(mode.as_str().to_owned()),
    };
    let signable = SignableRequest::new(
        "PUT",
        "https://bucket.s3.amazonaws.com/key.bin?x-id=PutObject",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body_kind,
    )
    .unwrap();
    let (instructions, seed) = sign(signable, &params().into()).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    let mut body = Vec::new();
    let mut running = seed;
    let mut pieces: Vec<&[u8]> = data.chunks(chunk).collect();
    pieces.push(b"");
    for piece in pieces {
        if mode.signed() {
            let signature = v4::sign_chunk(&Bytes::copy_from_slice(piece), &running, &params()).unwrap().into_parts().1;
            body.extend_from_slice(format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes());
            running = signature;
        } else {
            body.extend_from_slice(format!("{:X}\r\n", piece.len()).as_bytes());
        }
        if !piece.is_empty() {
            body.extend_from_slice(piece);
            body.extend_from_slice(b"\r\n");
        }
    }
    if let Some(crc) = crc {
        body.extend_from_slice(format!("x-amz-checksum-crc32:{crc}\r\n").as_bytes());
        if mode == StreamingMode::SignedTrailer {
            let mut trailers = Headers::new();
            trailers.insert("x-amz-checksum-crc32", crc.to_owned());
            let signature = v4::sign_trailer(&trailers, &running, &params()).unwrap().into_parts().1;
            body.extend_from_slice(format!("x-amz-trailer-signature:{signature}\r\n").as_bytes());
        }
    }
    body.extend_from_slice(b"\r\n");
    Wire { method: "PUT".into(), target: "/key.bin?x-id=PutObject".into(), headers, body }
}

const DATA: &[u8] = b"The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog.";

#[test]
fn unsigned_trailer_uploads_verify() {
    let w = sigv4_upload(StreamingMode::UnsignedTrailer, DATA, 40, &DATA.len().to_string(), Some("NSRBwg=="));
    assert!(w.headers.iter().any(|(n, v)| n == "x-amz-content-sha256" && v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"));
    let ok = w.verify(T0).unwrap();
    assert!(!ok.payload_signed);
    let streaming = ok.streaming.unwrap();
    assert_eq!((streaming.decoded_length, streaming.chunks), (DATA.len() as u64, 3));
    assert_eq!(streaming.trailers, vec![("x-amz-checksum-crc32".to_owned(), "NSRBwg==".to_owned())]);

    // The chunks are not signed: other data of the same length passes the gate.
    let mut w = sigv4_upload(StreamingMode::UnsignedTrailer, DATA, 40, &DATA.len().to_string(), Some("NSRBwg=="));
    w.replace(b"quick", b"QUICK");
    assert!(w.verify(T0).is_ok());
    // The headers are: a changed trailer list breaks the seed signature.
    let mut w = sigv4_upload(StreamingMode::UnsignedTrailer, DATA, 40, &DATA.len().to_string(), Some("NSRBwg=="));
    w.set_header("x-amz-trailer", "x-amz-checksum-sha256");
    assert_eq!(w.verify(T0).unwrap_err().kind(), &AuthErrorKind::SignatureDoesNotMatch);
    // The declared trailer is missing.
    let mut w = sigv4_upload(StreamingMode::UnsignedTrailer, DATA, 40, &DATA.len().to_string(), Some("NSRBwg=="));
    w.replace(b"x-amz-checksum-crc32:NSRBwg==\r\n", b"");
    assert_eq!(s3_code(&w.verify(T0).unwrap_err()), ("MalformedTrailerError", 400));
    // Truncated.
    let mut w = sigv4_upload(StreamingMode::UnsignedTrailer, DATA, 40, &DATA.len().to_string(), Some("NSRBwg=="));
    w.body.truncate(50);
    assert_eq!(s3_code(&w.verify(T0).unwrap_err()), ("IncompleteBody", 400));
}

#[test]
fn signed_uploads_verify_and_tampering_is_caught() {
    for mode in [StreamingMode::Signed, StreamingMode::SignedTrailer] {
        let crc = (mode == StreamingMode::SignedTrailer).then_some("NSRBwg==");
        let w = sigv4_upload(mode, DATA, 32, &DATA.len().to_string(), crc);
        let ok = w.verify(T0).unwrap_or_else(|e| panic!("{mode:?}: {e:?}"));
        assert!(ok.payload_signed);
        assert_eq!(ok.streaming.unwrap().chunks, 3);

        let mut w = sigv4_upload(mode, DATA, 32, &DATA.len().to_string(), crc);
        w.replace(b"lazy", b"LAZY");
        let e = w.verify(T0).unwrap_err();
        assert_eq!(s3_code(&e), ("SignatureDoesNotMatch", 403), "{mode:?}");
        if let Some(crc) = crc {
            let mut w = sigv4_upload(mode, DATA, 32, &DATA.len().to_string(), Some(crc));
            w.replace(crc.as_bytes(), b"AAAAAA==");
            assert_eq!(s3_code(&w.verify(T0).unwrap_err()), ("SignatureDoesNotMatch", 403));
        }
    }
}

#[test]
fn a_wrong_decoded_length_is_incomplete_body() {
    for mode in [StreamingMode::Signed, StreamingMode::UnsignedTrailer] {
        let crc = (mode == StreamingMode::UnsignedTrailer).then_some("NSRBwg==");
        let declared = (DATA.len() + 1).to_string();
        let e = sigv4_upload(mode, DATA, 32, &declared, crc).verify(T0).unwrap_err();
        assert_eq!(e.kind(), &AuthErrorKind::DecodedLengthMismatch);
        let aws = e.to_aws(Protocol::S3);
        assert_eq!((aws.code, aws.status), ("IncompleteBody", 400));
        assert_eq!(aws.message, "You did not provide the number of bytes specified by the Content-Length HTTP header");
        assert!(aws.extra.contains(&("NumberBytesExpected", declared.clone())), "{:?}", aws.extra);
        assert!(aws.extra.contains(&("NumberBytesProvided", DATA.len().to_string())), "{:?}", aws.extra);

        let e = sigv4_upload(mode, DATA, 32, "lots", crc).verify(T0).unwrap_err();
        assert_eq!(s3_code(&e), ("MissingContentLength", 411));
    }
}

#[test]
fn sigv4a_streaming_stays_unsupported() {
    let mut w = sigv4_upload(StreamingMode::Signed, DATA, 32, &DATA.len().to_string(), None);
    w.set_header("x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
    let e = w.verify(T0).unwrap_err();
    assert_eq!(e.kind(), &AuthErrorKind::Unsupported);
    assert!(e.message().contains("SigV4a"), "{}", e.message());
    assert_eq!(s3_code(&e), ("NotImplemented", 501));
    w.set_header("x-amz-content-sha256", "STREAMING-SOMETHING-ELSE");
    assert_eq!(s3_code(&w.verify(T0).unwrap_err()), ("NotImplemented", 501));
}

/// Verification speed of a 1 MiB upload in signed and in unsigned 64 KiB chunks.
/// `cargo test --release -p iamspect-auth --test streaming -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check"]
fn measure_verification_speed() {
    let data = vec![b'x'; 1 << 20];
    let decoded = data.len().to_string();
    let cases = [
        ("signed 64 KiB chunks", sigv4_upload(StreamingMode::Signed, &data, 65536, &decoded, None)),
        (
            "unsigned 64 KiB chunks",
            sigv4_upload(StreamingMode::UnsignedTrailer, &data, 65536, &decoded, Some("AAAAAA==")),
        ),
    ];
    for (name, wire) in &cases {
        let runs = 200;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            wire.verify(T0).unwrap();
        }
        let each = start.elapsed() / runs;
        println!("{name}: {each:?} per 1 MiB request ({:.0} MiB/s)", 1.0 / each.as_secs_f64());
    }
}
