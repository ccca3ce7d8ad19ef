//! What a request says about its signature before it is verified: whether it is signed at all,
//! and the service and region of its credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`
//! in the `Authorization` header, or `X-Amz-Credential` in a presigned query).

use iamspect_auth::HttpRequestParts;

/// The credential scope a request claims.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Claimed {
    /// True when the request carries a SigV4 `Authorization` header or presigned query.
    pub(crate) signed: bool,
    /// The scope's service (signing name), when it could be read.
    pub(crate) service: Option<String>,
    /// The scope's region, when it could be read.
    pub(crate) region: Option<String>,
}

/// Reads the claimed scope. Nothing is verified here.
pub(crate) fn claimed(request: &HttpRequestParts<'_>) -> Claimed {
    let mut out = Claimed::default();
    let credential = if let Some(auth) = request.header_str("authorization") {
        out.signed = !auth.trim().is_empty();
        auth.split([',', ' ']).find_map(|part| part.trim().strip_prefix("Credential=")).map(str::to_string)
    } else {
        let params = request.query_params();
        out.signed = params.iter().any(|(k, _)| k == "X-Amz-Algorithm" || k == "X-Amz-Signature");
        params.into_iter().find(|(k, _)| k == "X-Amz-Credential").map(|(_, v)| v)
    };
    if let Some(c) = credential {
        let parts: Vec<&str> = c.split('/').collect();
        if parts.len() == 5 {
            out.region = Some(parts[2].to_string());
            out.service = Some(parts[3].to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_query_scopes() {
        let r = HttpRequestParts::new("GET", "/b/k", b"").header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20250601/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        );
        let c = claimed(&r);
        assert!(c.signed);
        assert_eq!((c.service.as_deref(), c.region.as_deref()), (Some("s3"), Some("eu-west-1")));
        let r = HttpRequestParts::new(
            "GET",
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250601%2Fus-east-1%2Fsqs%2Faws4_request",
            b"",
        );
        let c = claimed(&r);
        assert!(c.signed);
        assert_eq!(c.service.as_deref(), Some("sqs"));
        assert!(!claimed(&HttpRequestParts::new("GET", "/b/k", b"")).signed);
    }
}
