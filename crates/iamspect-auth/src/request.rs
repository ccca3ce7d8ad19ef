//! The parts of an HTTP request the gate reads.

/// An incoming HTTP request as seen on the wire: method, raw (still percent-encoded) path, raw
/// query string, headers in arrival order and the body.
///
/// Build it from a server's request with [`HttpRequestParts::new`] and [`header`](Self::header),
/// or from an `http::Request` with [`from_http`](Self::from_http).
#[derive(Debug, Clone, Default)]
pub struct HttpRequestParts<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The path exactly as received, percent-encoding intact (`/bucket/my%20key`); empty means `/`.
    pub path: &'a str,
    /// The query string without the `?`, exactly as received; empty when there is none.
    pub query: &'a str,
    /// Header names (any case) and raw values, in arrival order; a name may repeat.
    pub headers: Vec<(&'a str, &'a [u8])>,
    /// The whole body (empty for none).
    pub body: &'a [u8],
}

impl<'a> HttpRequestParts<'a> {
    /// A request from its method, its request target (`/path?query`, as on the request line) and
    /// its body; add headers with [`header`](Self::header).
    pub fn new(method: &'a str, target: &'a str, body: &'a [u8]) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self { method, path, query, headers: Vec::new(), body }
    }

    /// Adds one header.
    #[must_use]
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value.as_bytes()));
        self
    }

    /// A request from the `http` crate's request head and the collected body. HTTP/2's
    /// `:authority` is read from the URI when no `Host` header is present.
    pub fn from_http(parts: &'a http::request::Parts, body: &'a [u8]) -> Self {
        let mut headers: Vec<(&'a str, &'a [u8])> =
            parts.headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect();
        if !parts.headers.contains_key(http::header::HOST)
            && let Some(authority) = parts.uri.authority()
        {
            headers.push(("host", authority.as_str().as_bytes()));
        }
        Self {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers,
            body,
        }
    }

    /// The values of a header (case-insensitive name), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }

    /// The first value of a header as text, if present and valid UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&'a str> {
        self.header_values(name).next().and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The query parameters, decoded (`+` is a space, `%XX` a byte), in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        crate::sigv4::parse_query(self.query)
    }
}
