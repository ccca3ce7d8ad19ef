//! Forwarding an allowed request to the loopback upstream: method, path, query, headers and body
//! unchanged, and the upstream's answer relayed as it streams back.
//!
//! Connections to the upstream are kept alive and reused (at most [`MAX_IDLE`] idle ones), so a
//! busy gateway does not open a connection per request. A pooled connection the upstream closed
//! in the meantime is noticed before the request is written and replaced by a fresh one; once a
//! request was written it is never sent twice.

use std::sync::{Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{Request, Response as HttpResponse, Uri};
use axum::response::Response;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::Upstream;

/// Idle upstream connections kept at most.
pub const MAX_IDLE: usize = 64;

/// Kept-alive connections to one upstream.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<Vec<SendRequest<Body>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("Pool").field("connections", &idle).finish()
    }
}

impl Pool {
    /// A connection ready for a request, if one is idle; closed ones are dropped.
    fn take(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.retain(|s| !s.is_closed());
        let i = idle.iter().position(SendRequest::is_ready)?;
        Some(idle.swap_remove(i))
    }

    /// Keeps a connection for later (it becomes ready once its answer has been read).
    fn give(&self, sender: SendRequest<Body>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE && !sender.is_closed() {
            idle.push(sender);
        }
    }

    /// Connections kept (ready or still reading an answer).
    pub fn len(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// True when no connection is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

async fn connect(upstream: &Upstream) -> Result<SendRequest<Body>, String> {
    let stream = tokio::net::TcpStream::connect(upstream.authority.as_str())
        .await
        .map_err(|e| format!("cannot connect to the upstream {}: {e}", upstream.authority))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("upstream {}: {e}", upstream.authority))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "upstream connection closed");
        }
    });
    Ok(sender)
}

/// Sends the request to `upstream` and returns its answer; an error names what failed.
pub(crate) async fn forward(upstream: &Upstream, mut parts: Parts, body: Bytes) -> Result<Response, String> {
    // Origin form, as on the client's request line; the Host header is the client's.
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    parts.uri = target.parse::<Uri>().map_err(|e| format!("request target `{target}`: {e}"))?;
    parts.extensions = axum::http::Extensions::new();
    if let Some(mut sender) = upstream.pool.take() {
        let request = Request::from_parts(parts.clone(), Body::from(body.clone()));
        match sender.try_send_request(request).await {
            Ok(response) => {
                upstream.pool.give(sender);
                return Ok(relayed(response));
            }
            Err(mut e) => {
                if e.take_message().is_none() {
                    // Written, then failed: not sent again.
                    return Err(format!("upstream {}: {}", upstream.authority, e.error()));
                }
                // Not written (the connection had closed): a fresh connection below.
            }
        }
    }
    let mut sender = connect(upstream).await?;
    let request = Request::from_parts(parts, Body::from(body));
    let response = sender.send_request(request).await.map_err(|e| format!("upstream {}: {e}", upstream.authority))?;
    upstream.pool.give(sender);
    Ok(relayed(response))
}

/// The upstream's answer as the client gets it: its hop-by-hop headers (RFC 9110 §7.6.1:
/// `Connection`, the headers it names, `Keep-Alive`, `Proxy-Connection`, `Upgrade`, `TE`,
/// `Trailer`) describe the gateway's connection to the upstream, not the client's, so an upstream
/// that closes its connection does not close the client's.
fn relayed(response: HttpResponse<hyper::body::Incoming>) -> Response {
    let mut response = response.map(Body::new);
    let headers = response.headers_mut();
    let named: Vec<String> = headers
        .get_all(axum::http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    for name in named.iter().map(String::as_str).chain([
        "connection",
        "keep-alive",
        "proxy-connection",
        "upgrade",
        "te",
        "trailer",
    ]) {
        headers.remove(name);
    }
    response
}
