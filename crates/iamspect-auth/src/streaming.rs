//! Streaming (`aws-chunked`) payloads of S3 uploads signed in the `Authorization` header
//! (`x-amz-content-sha256: STREAMING-…`).
//!
//! The seed signature covers the headers with the `STREAMING-…` literal as the payload hash
//! (checked by [`crate::sigv4`]); this module checks the body:
//!
//! ```text
//! signed:    <hex-size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n[<trailers>]\r\n
//! unsigned:  <hex-size>\r\n<data>\r\n ... 0\r\n[<trailers>]\r\n
//! trailers:  <name>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]
//! ```
//!
//! Chunk `n`'s signature is HMAC-SHA256 with the request's signing key of
//! `AWS4-HMAC-SHA256-PAYLOAD\n<x-amz-date>\n<scope>\n<signature n-1>\n<SHA-256 of "">\n<SHA-256 of data n>`,
//! the first chunk chaining from the seed signature and the final empty chunk signed like the
//! others. The trailer's is HMAC-SHA256 of
//! `AWS4-HMAC-SHA256-TRAILER\n<x-amz-date>\n<scope>\n<final chunk's signature>\n<SHA-256 of the trailers>`,
//! the trailers canonicalised as `name:value\n` each, names in lower case, sorted, values trimmed.

use sha2::{Digest, Sha256};

use crate::error::{AuthError, AuthErrorKind as K};
use crate::request::HttpRequestParts;
use crate::sigv4::{EMPTY_SHA256, ct_eq, hex, hmac};

/// The name of the trailer that carries the trailer signature.
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// How the body of a streaming upload is framed and signed (`x-amz-content-sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamingMode {
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then the trailers named by
    /// `x-amz-trailer` (the checksums of the flexible-checksum SDKs).
    UnsignedTrailer,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, chained from the seed signature.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then signed trailers.
    SignedTrailer,
}

impl StreamingMode {
    /// The mode a `x-amz-content-sha256` value names, if it is one this gate verifies.
    pub fn parse(value: &str) -> Option<StreamingMode> {
        match value {
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Some(StreamingMode::UnsignedTrailer),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Some(StreamingMode::Signed),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Some(StreamingMode::SignedTrailer),
            _ => None,
        }
    }

    /// The `x-amz-content-sha256` value.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamingMode::UnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            StreamingMode::Signed => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            StreamingMode::SignedTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        }
    }

    /// Whether every chunk carries a signature.
    pub fn signed(self) -> bool {
        !matches!(self, StreamingMode::UnsignedTrailer)
    }

    /// Whether trailers may follow the final chunk.
    pub fn has_trailer(self) -> bool {
        !matches!(self, StreamingMode::Signed)
    }
}

/// What a verified streaming body held. The body itself is left as it came (still
/// `aws-chunked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamingPayload {
    /// The framing and signing mode.
    pub mode: StreamingMode,
    /// The bytes of data in the chunks, equal to `x-amz-decoded-content-length`.
    pub decoded_length: u64,
    /// The chunks with data (the final empty chunk not counted).
    pub chunks: usize,
    /// The trailers in arrival order, names in lower case, values trimmed; without
    /// `x-amz-trailer-signature`. Their values (e.g. a CRC32 of the data) are not checked here.
    pub trailers: Vec<(String, String)>,
}

/// What signed chunks chain from.
pub(crate) struct Chain<'a> {
    pub(crate) key: &'a [u8; 32],
    pub(crate) date_text: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) seed: &'a str,
}

const TERMINATED: &str = "The request body terminated unexpectedly";

fn incomplete(at: usize, why: &str) -> AuthError {
    AuthError::new(K::IncompleteBody, format!("{TERMINATED}: {why} at byte {at} of the aws-chunked body"))
}

fn malformed_trailer(why: String) -> AuthError {
    AuthError::new(K::MalformedTrailer, why)
}

/// Reads the `x-amz-decoded-content-length` header: a decimal count of bytes.
pub(crate) fn decoded_length(request: &HttpRequestParts<'_>) -> Result<u64, AuthError> {
    let value = request.header_str("x-amz-decoded-content-length");
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AuthError::new(
                K::MissingContentLength,
                match value {
                    Some(v) => format!("x-amz-decoded-content-length `{v}` is not a number of bytes"),
                    None => "a streaming upload needs the x-amz-decoded-content-length header".to_owned(),
                },
            )
        })
}

/// The trailer names `x-amz-trailer` declares, lower case.
fn declared_trailers(request: &HttpRequestParts<'_>) -> Vec<String> {
    request
        .header_values("x-amz-trailer")
        .flat_map(|v| String::from_utf8_lossy(v).split(',').map(|n| n.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Finds the next `\r\n` from `pos`: the line before it and the position after it.
fn line(body: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = body.get(pos..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((rest.get(..end)?, pos + end + 2))
}

fn parse_size(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 || !text.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(text).ok()?, 16).ok()
}

fn is_signature(text: &[u8]) -> bool {
    text.len() == 64 && text.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

impl Chain<'_> {
    /// The signature and the string signed.
    fn sign(&self, algorithm: &str, previous: &str, hash_lines: &str) -> (String, String) {
        let string_to_sign = format!("{algorithm}\n{}\n{}\n{previous}\n{hash_lines}", self.date_text, self.scope);
        (hex(&hmac(self.key, string_to_sign.as_bytes())), string_to_sign)
    }

    fn chunk(&self, previous: &str, data: &[u8]) -> (String, String) {
        self.sign("AWS4-HMAC-SHA256-PAYLOAD", previous, &format!("{EMPTY_SHA256}\n{}", hex(&Sha256::digest(data))))
    }

    fn trailer(&self, previous: &str, canonical: &[u8]) -> (String, String) {
        self.sign("AWS4-HMAC-SHA256-TRAILER", previous, &hex(&Sha256::digest(canonical)))
    }
}

fn mismatch(what: String, provided: &str) -> AuthError {
    AuthError::new(K::SignatureDoesNotMatch, what).with_extra("SignatureProvided", provided)
}

fn wrong(what: String, string_to_sign: String, provided: &str) -> AuthError {
    AuthError::new(K::SignatureDoesNotMatch, what)
        .with_extra("StringToSign", string_to_sign)
        .with_extra("SignatureProvided", provided)
}

/// Checks a streaming body: its framing, every chunk signature (signed modes), the final empty
/// chunk, the trailers against `x-amz-trailer` and their signature (signed trailer mode), and the
/// decoded length against `x-amz-decoded-content-length`.
pub(crate) fn verify_body(
    request: &HttpRequestParts<'_>,
    mode: StreamingMode,
    chain: &Chain<'_>,
) -> Result<StreamingPayload, AuthError> {
    let declared_length = decoded_length(request)?;
    let body = request.body;
    let mut pos = 0usize;
    let mut previous = chain.seed.to_owned();
    let mut decoded: u64 = 0;
    let mut chunks = 0usize;
    // The chunks, up to and including the final empty one.
    loop {
        let start = pos;
        let Some((header, next)) = line(body, pos) else {
            return Err(incomplete(start, "no complete chunk header"));
        };
        let (size_text, signature) = match header.iter().position(|b| *b == b';') {
            Some(i) => (header.get(..i).unwrap_or_default(), Some(header.get(i + 1..).unwrap_or_default())),
            None => (header, None),
        };
        let Some(size) = parse_size(size_text) else {
            return Err(incomplete(
                start,
                &format!("`{}` is not a hexadecimal chunk size", String::from_utf8_lossy(size_text)),
            ));
        };
        let signature = match (mode.signed(), signature) {
            (true, Some(ext)) => match ext.strip_prefix(b"chunk-signature=") {
                Some(sig) if is_signature(sig) => Some(String::from_utf8_lossy(sig).into_owned()),
                _ => {
                    return Err(mismatch(
                        format!("chunk {} (byte {start}) has no well-formed chunk-signature", chunks + 1),
                        &String::from_utf8_lossy(ext),
                    ));
                }
            },
            (true, None) => {
                return Err(mismatch(format!("chunk {} (byte {start}) has no chunk-signature", chunks + 1), ""));
            }
            (false, Some(_)) => {
                return Err(incomplete(start, "a chunk extension in an unsigned aws-chunked body"));
            }
            (false, None) => None,
        };
        pos = next;
        let data_len = usize::try_from(size).map_err(|_| incomplete(start, "a chunk larger than memory"))?;
        let data = pos.checked_add(data_len).and_then(|end| body.get(pos..end));
        let Some(data) = data else {
            return Err(incomplete(pos, &format!("the chunk declares {size} bytes and fewer follow")));
        };
        if let Some(provided) = signature {
            let (computed, string_to_sign) = chain.chunk(&previous, data);
            if !ct_eq(computed.as_bytes(), provided.as_bytes()) {
                let which = if size == 0 { "the final chunk".to_owned() } else { format!("chunk {}", chunks + 1) };
                return Err(wrong(
                    format!("the signature of {which} (byte {start}) does not match"),
                    string_to_sign,
                    &provided,
                ));
            }
            previous = computed;
        }
        if size == 0 {
            break;
        }
        pos += data_len;
        match body.get(pos..pos + 2) {
            Some(b"\r\n") => pos += 2,
            _ => return Err(incomplete(pos, "chunk data not followed by CRLF")),
        }
        decoded = decoded.saturating_add(size);
        chunks += 1;
    }

    // The trailers, up to the empty line that ends the body.
    let declared = declared_trailers(request);
    let mut trailers: Vec<(String, String)> = Vec::new();
    let mut trailer_signature: Option<String> = None;
    loop {
        let start = pos;
        let Some((text, next)) = line(body, pos) else {
            return Err(incomplete(start, "the body does not end with an empty line after the final chunk"));
        };
        pos = next;
        if text.is_empty() {
            break;
        }
        if !mode.has_trailer() {
            return Err(malformed_trailer(format!("a trailer at byte {start}, but {} carries none", mode.as_str())));
        }
        let text = String::from_utf8_lossy(text);
        let Some((name, value)) = text.split_once(':') else {
            return Err(malformed_trailer(format!("the trailer `{text}` at byte {start} is not `name:value`")));
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name.is_empty() || value.is_empty() {
            return Err(malformed_trailer(format!("the trailer `{text}` at byte {start} has no name or no value")));
        }
        if mode.signed() && name == TRAILER_SIGNATURE {
            if trailer_signature.is_some() {
                return Err(malformed_trailer(format!("a second {TRAILER_SIGNATURE} at byte {start}")));
            }
            trailer_signature = Some(value);
            continue;
        }
        if trailer_signature.is_some() {
            return Err(malformed_trailer(format!("the trailer `{name}` at byte {start} follows {TRAILER_SIGNATURE}")));
        }
        if !declared.contains(&name) {
            return Err(malformed_trailer(format!(
                "the trailer `{name}` at byte {start} is not named by x-amz-trailer"
            )));
        }
        if trailers.iter().any(|(n, _)| *n == name) {
            return Err(malformed_trailer(format!("the trailer `{name}` is sent twice")));
        }
        trailers.push((name, value));
    }
    if let Some(missing) = declared.iter().find(|d| !trailers.iter().any(|(n, _)| n == *d)) {
        return Err(malformed_trailer(format!("x-amz-trailer names `{missing}` and the body does not carry it")));
    }
    if mode == StreamingMode::SignedTrailer {
        let Some(provided) = trailer_signature else {
            return Err(mismatch(format!("the trailers carry no {TRAILER_SIGNATURE}"), ""));
        };
        let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
        sorted.sort();
        let mut canonical = Vec::new();
        for (name, value) in sorted {
            canonical.extend_from_slice(name.as_bytes());
            canonical.push(b':');
            canonical.extend_from_slice(value.as_bytes());
            canonical.push(b'\n');
        }
        let (computed, string_to_sign) = chain.trailer(&previous, &canonical);
        if !ct_eq(computed.as_bytes(), provided.as_bytes()) {
            return Err(wrong("the trailer signature does not match".to_owned(), string_to_sign, &provided));
        }
    }
    if pos != body.len() {
        return Err(incomplete(pos, "bytes after the end of the aws-chunked body"));
    }
    if decoded != declared_length {
        return Err(AuthError::new(
            K::DecodedLengthMismatch,
            format!("x-amz-decoded-content-length is {declared_length} and the chunks carry {decoded} bytes"),
        )
        .with_extra("NumberBytesExpected", declared_length.to_string())
        .with_extra("NumberBytesProvided", decoded.to_string()));
    }
    Ok(StreamingPayload { mode, decoded_length: decoded, chunks, trailers })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

    use super::*;
    use crate::sigv4::signing_key;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
    const DATE: &str = "20130524T000000Z";

    fn request<'a>(body: &'a [u8], decoded: &'a str, trailer: Option<&'a str>) -> HttpRequestParts<'a> {
        let r = HttpRequestParts::new("PUT", "/examplebucket/chunkObject.txt", body)
            .header("x-amz-decoded-content-length", decoded);
        match trailer {
            Some(t) => r.header("x-amz-trailer", t),
            None => r,
        }
    }

    fn kind(r: Result<StreamingPayload, AuthError>) -> K {
        r.err().map(|e| e.kind().clone()).unwrap()
    }

    /// AWS's published chunk signatures (S3 API reference, "Example: PUT Object"): 64 KiB and
    /// 1 KiB of `a`, chained from the seed signature `4f232c43…`.
    #[test]
    fn aws_example_chunk_signatures() {
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let chain = Chain {
            key: &key,
            date_text: DATE,
            scope: SCOPE,
            seed: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        };
        let (first, string_to_sign) = chain.chunk(chain.seed, &[b'a'; 65536]);
        assert_eq!(first, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
        assert_eq!(
            string_to_sign,
            "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nbf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a"
        );
        let (second, _) = chain.chunk(&first, &[b'a'; 1024]);
        assert_eq!(second, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
        let (last, _) = chain.chunk(&second, b"");
        assert_eq!(last, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
    }

    #[test]
    fn unsigned_framing() {
        let key = [0u8; 32];
        let chain = Chain { key: &key, date_text: DATE, scope: SCOPE, seed: "" };
        let mode = StreamingMode::UnsignedTrailer;
        let crc = Some("x-amz-checksum-crc32");
        let ok = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        let p = verify_body(&request(ok, "5", crc), mode, &chain).unwrap();
        assert_eq!((p.decoded_length, p.chunks), (5, 1));
        assert_eq!(p.trailers, vec![("x-amz-checksum-crc32".to_owned(), "NhCmhg==".to_owned())]);
        // Upper-case hex sizes (the Rust SDK writes them), and no trailer when none is declared.
        let ok = b"A\r\nhellohello\r\n0\r\n\r\n";
        assert_eq!(verify_body(&request(ok, "10", None), mode, &chain).unwrap().decoded_length, 10);

        let cases: &[(&[u8], &str, Option<&str>, K)] = &[
            (b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", "6", crc, K::DecodedLengthMismatch),
            (b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n", "5", crc, K::IncompleteBody),
            (b"5\r\nhell", "5", crc, K::IncompleteBody),
            (b"5\r\nhello\r\n", "5", crc, K::IncompleteBody),
            (b"3\r\nhello\r\n0\r\n\r\n", "5", None, K::IncompleteBody),
            (b"zz\r\nhello\r\n0\r\n\r\n", "5", None, K::IncompleteBody),
            (b"5;chunk-signature=00\r\nhello\r\n0\r\n\r\n", "5", None, K::IncompleteBody),
            (b"5\r\nhello\r\n0\r\n\r\nextra", "5", None, K::IncompleteBody),
            (b"5\r\nhello\r\n0\r\n\r\n", "5", crc, K::MalformedTrailer),
            (b"5\r\nhello\r\n0\r\nx-amz-checksum-sha1:abc=\r\n\r\n", "5", crc, K::MalformedTrailer),
            (b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32NhCmhg==\r\n\r\n", "5", crc, K::MalformedTrailer),
            (b"5\r\nhello\r\n0\r\n\r\n", "five", None, K::MissingContentLength),
        ];
        for (body, decoded, trailer, expected) in cases {
            let got = kind(verify_body(&request(body, decoded, *trailer), mode, &chain));
            assert_eq!(&got, expected, "{}", String::from_utf8_lossy(body));
        }
        let missing = HttpRequestParts::new("PUT", "/b/k", b"0\r\n\r\n");
        assert_eq!(kind(verify_body(&missing, mode, &chain)), K::MissingContentLength);
    }
}
