//! Forwarding an allowed request to the loopback upstream: method, path, query, headers and body
//! unchanged (one HTTP/1.1 connection per request), and the upstream's answer relayed as it
//! streams back.

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{Request, Uri};
use axum::response::Response;
use hyper_util::rt::TokioIo;

use super::Upstream;

/// Sends the request to `upstream` and returns its answer; an error names what failed.
pub(crate) async fn forward(upstream: &Upstream, mut parts: Parts, body: Bytes) -> Result<Response, String> {
    let stream = tokio::net::TcpStream::connect(upstream.authority.as_str())
        .await
        .map_err(|e| format!("cannot connect to the upstream {}: {e}", upstream.authority))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("upstream {}: {e}", upstream.authority))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "upstream connection closed");
        }
    });
    // Origin form, as on the client's request line; the Host header is the client's.
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    parts.uri = target.parse::<Uri>().map_err(|e| format!("request target `{target}`: {e}"))?;
    parts.extensions = axum::http::Extensions::new();
    let request = Request::from_parts(parts, Body::from(body));
    let response = sender.send_request(request).await.map_err(|e| format!("upstream {}: {e}", upstream.authority))?;
    Ok(response.map(Body::new))
}
