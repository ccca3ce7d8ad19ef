//! `iamspect serve`: a JSON decision API over HTTP.
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `POST /v1/authorize` | one case of `shared/spec/case-format.md`, policies inline or by id (`"policy:sha256:<hex>"`, registered with `POST /v1/policies`; an unknown id is a 400 `InvalidInput`); with account data, also `{principal, action, resource, context}` alone | `{decision, deniedBy}` (and `pass` when the case has `expect`) |
//! | `POST /v1/explain` | the same, optionally with `unknownKeys` | what `iamspect explain --format json` prints (with `allowedIf` for the unknown keys) |
//! | `POST /v1/policies` | `{"policies": [document or string, ...]}` or `{"policy": ...}` | `{"ids": [...]}` (or `{"id"}`): `policy:sha256:<hex>` of each exact text, for cases to name instead of the text; see [`policy_store`] |
//! | `GET /v1/policies/{id}` | none | the stored text (404 if not stored) |
//! | `POST /v1/check-no-new-access`, `/v1/check-access-not-granted`, `/v1/check-no-public-access` | Access Analyzer's request fields (`newPolicyDocument`, `existingPolicyDocument`, `policyDocument`, `access`, `resourceType`, `policyType`); see `routes/checks.rs` | what `iamspect check-* --format json` prints |
//! | `POST /v1/lint` | `{"policy": document or string, "type": "identity", "resourceType"}` | Access Analyzer's `{"findings": [...]}` |
//! | `POST /v1/reload` | none | reads the account data again and swaps it in; if any file fails, 422 `AccountDataInvalid` naming each one, and the old data stays whole (see [`state`]) |
//! | `GET /healthz` | none | `{status, version, accountData}` (`status` `degraded` while the latest load failed or data is partial; `accountData.lastReload`) |
//! | `GET /openapi.json` | none | the OpenAPI 3 document |
//! | `POST /`, `GET /` | AWS STS in the Query protocol, SigV4-signed: `GetCallerIdentity`, `AssumeRole`, `GetSessionToken`, `DecodeAuthorizationMessage` | STS's XML (errors as AWS's Query XML); see [`sts`]. `GET /` unsigned without `Action=`: 303 to `/ui/` |
//! | any other path (and `/` for other services), with `--gateway` | any SigV4-signed AWS request, or an unsigned S3 request | the service's AccessDenied shape, or the request forwarded unchanged to the loopback upstream; see [`gateway`] |
//!
//! Every error is `{"code", "message"}` with a 4xx or 5xx status: malformed JSON 400, a case that
//! cannot be decided 400 (`MalformedPolicyDocument`, ...), a body over the limit (1 MiB by
//! default) 413, unknown routes 404, a request over the timeout 408. The server reads no file a
//! client names: policy paths in a case are refused. The JSON API authenticates no one: it binds
//! `127.0.0.1` unless told otherwise.
//!
//! In gateway mode ([`Config::gateway`], `iamspect serve --gateway`) the server also stands in
//! front of AWS calls: a request signed for any service but STS (or an unsigned S3 request) that
//! is not for the API is authenticated with [`iamspect_auth`] against the same credential store
//! as STS, mapped to its IAM actions and resources ([`gateway`]: S3 REST, Query, JSON, Lambda),
//! decided against the account data with the session's policies, and either refused in the
//! service's own error shape (with an encoded authorization message, see
//! [`iamspect_explain::encoded`]) or forwarded to a loopback upstream with method, path, query,
//! headers and body unchanged.
//!
//! Build the router with [`app`] (tests call it with `tower::ServiceExt::oneshot`), serve it on a
//! listener with [`serve`], or do everything the command does with [`run`].

#![deny(missing_docs)]

pub mod cache;
pub mod error;
pub mod gateway;
pub mod policy_store;
mod routes;
pub mod state;
pub mod sts;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request};
use axum::routing::{any, get, post};
use tower::ServiceBuilder;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::{AppError, AppJson};
pub use routes::PoolLimits;
pub use state::{AccountSnapshot, AppState, Settings};

/// How the server reads requests: limits on what arrives before the body, and the pool that
/// CPU-heavy work runs on. [`serve`] and [`app`] use the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// How long a client may take to send a request's line and header fields, and how long a
    /// kept-alive connection may stay idle, before the connection is closed (default 10 s).
    pub header_read_timeout: Duration,
    /// The longest request target (path and query) answered; longer ones get 414 (default
    /// 16 KiB; hyper itself refuses targets of 64 KiB and more, without a body).
    pub max_uri_bytes: usize,
    /// The most header fields a request may have; more get 431 (default 100).
    pub max_header_fields: usize,
    /// The most bytes of header names and values a request may have; more get 431 (default
    /// 32 KiB).
    pub max_header_bytes: usize,
    /// The bounded pool for CPU-heavy work (see [`PoolLimits`]).
    pub pool: PoolLimits,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            max_uri_bytes: 16 * 1024,
            max_header_fields: 100,
            max_header_bytes: 32 * 1024,
            pool: PoolLimits::default(),
        }
    }
}

/// The router, with its layers: tracing, the request checks (target and header sizes, a
/// declared body over the limit, the request's deadline and the pool), the timeout and the body
/// limit.
pub fn app(state: AppState) -> Router {
    app_with(state, &ServeOptions::default())
}

/// [`app`] with other [`ServeOptions`].
pub fn app_with(state: AppState, options: &ServeOptions) -> Router {
    let settings = state.settings();
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), uri = %req.uri(), route)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let checks = Arc::new(Checks {
        pool: Arc::new(routes::Pool::new(options.pool)),
        timeout: settings.timeout,
        body_limit: settings.body_limit,
        max_uri_bytes: options.max_uri_bytes,
        max_header_fields: options.max_header_fields,
        max_header_bytes: options.max_header_bytes,
    });
    Router::new()
        .route("/v1/authorize", post(routes::authorize::authorize))
        .route("/v1/explain", post(routes::explain::explain))
        .route("/v1/lint", post(routes::lint::lint))
        .route("/v1/paths", post(routes::paths::paths))
        .route("/v1/check-no-new-access", post(routes::checks::no_new_access))
        .route("/v1/check-access-not-granted", post(routes::checks::access_not_granted))
        .route("/v1/check-no-public-access", post(routes::checks::no_public_access))
        .route("/v1/scp-impact", post(routes::scp_impact::scp_impact))
        .route("/v1/policies", post(routes::policies::register))
        .route("/v1/policies/{id}", get(routes::policies::get))
        .route("/v1/reload", post(routes::health::reload))
        .route("/healthz", get(routes::health::healthz))
        .route("/openapi.json", get(routes::health::openapi))
        .route("/", any(routes::root))
        .merge(ui::routes())
        .fallback(routes::fallback)
        .method_not_allowed_fallback(routes::health::method_not_allowed)
        // AWS calls go to the gateway whatever their path (a bucket may be named `healthz`).
        .layer(axum::middleware::from_fn_with_state(state.clone(), routes::gateway::aws_calls_first))
        .layer(
            ServiceBuilder::new()
                .layer(trace)
                .layer(axum::middleware::from_fn_with_state(checks, check_request))
                .layer(HandleErrorLayer::new(timeout_error))
                .timeout(settings.timeout)
                .layer(DefaultBodyLimit::max(settings.body_limit)),
        )
        .with_state(state)
}

/// What [`check_request`] checks every request against.
struct Checks {
    pool: Arc<routes::Pool>,
    timeout: Duration,
    body_limit: usize,
    max_uri_bytes: usize,
    max_header_fields: usize,
    max_header_bytes: usize,
}

/// The paths that answer in the API's `{code, message}` shape whatever the mode (the others are
/// STS's and, in gateway mode, the gateway's, which answer in AWS's shapes).
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/v1"
        || path.starts_with("/v1/")
        || path == "/healthz"
        || path == "/openapi.json"
        || path == "/ui"
        || path.starts_with("/ui/")
}

/// Refuses at once what is too large to read (a target or header fields over the limits: 414,
/// 431; on the API's paths, a declared body over the limit: 413, before the body is read), and
/// gives every other request its deadline, counted from now, and the pool.
async fn check_request(
    axum::extract::State(checks): axum::extract::State<Arc<Checks>>,
    mut req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > checks.max_uri_bytes {
        let message =
            format!("the request target is {target} bytes; the server reads at most {}", checks.max_uri_bytes);
        return AppError::UriTooLong(message).into_response();
    }
    let fields = req.headers().len();
    let bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if fields > checks.max_header_fields || bytes > checks.max_header_bytes {
        let message = format!(
            "the request has {fields} header fields of {bytes} bytes; the server reads at most {} fields of {} bytes",
            checks.max_header_fields, checks.max_header_bytes
        );
        return AppError::HeadersTooLarge(message).into_response();
    }
    if is_api_path(req.uri().path())
        && let Some(declared) = routes::declared_over(req.headers(), checks.body_limit)
    {
        let message =
            format!("the body is {declared} bytes (Content-Length); the server's limit is {} bytes", checks.body_limit);
        return AppError::PayloadTooLarge(message).into_response();
    }
    req.extensions_mut().insert(routes::Work::new(Arc::clone(&checks.pool), checks.timeout));
    next.run(req).await
}

async fn timeout_error(err: tower::BoxError) -> AppError {
    if err.is::<tower::timeout::error::Elapsed>() { AppError::Timeout } else { AppError::Internal(err.to_string()) }
}

/// Serves [`app`] on `listener` until `shutdown` completes, then finishes the requests under way.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown).await
}

/// [`serve`] with other [`ServeOptions`]: each connection is served by hyper's HTTP/1 server with
/// a header read timeout (a client that sends its header fields slowly is cut off), and
/// header limits above the app's own, so that it is the app that answers oversized requests,
/// with a `{code, message}` body. What hyper still answers itself, without a body, is a request
/// it cannot parse (400), a target of 64 KiB or more (414), and a head larger than its buffer
/// (431).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = app_with(state, &options);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        // Room for the app's own checks to see (and answer) requests over its limits.
        .max_headers(options.max_header_fields.saturating_mul(2).max(100))
        .max_buf_size(options.max_uri_bytes.saturating_add(options.max_header_bytes).saturating_mul(2).max(400 * 1024));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            let mut router = router.clone();
            async move { tower::Service::call(&mut router, req).await }
        });
        let connection = graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// After a failed accept: connection-level errors are the client's; others (too many open files)
/// get a pause before the next accept, as axum's `serve` does.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accept failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests under way");
}

/// On Unix, reloads the account data on every SIGHUP. As for `POST /v1/reload`, a reload in which
/// any file fails keeps the previous data whole (unless `--allow-partial`): each failed file is
/// logged at ERROR with its path and line, and `/healthz` shows it under `lastReload`.
pub fn reload_on_sighup(state: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP");
                return;
            }
        };
        while hup.recv().await.is_some() {
            let worker = state.clone();
            match tokio::task::spawn_blocking(move || worker.reload()).await {
                Ok(Ok(s)) if s.partial => tracing::error!(
                    generation = s.generation,
                    files = s.files.len(),
                    left_out = s.errors.len(),
                    "SIGHUP: account data reloaded PARTIALLY (--allow-partial)"
                ),
                Ok(Ok(s)) => {
                    tracing::info!(generation = s.generation, files = s.files.len(), "SIGHUP: account data reloaded")
                }
                Ok(Err(e)) => tracing::error!(error = %e, "SIGHUP: reload refused"),
                Err(e) => tracing::error!(error = %e, "reload task failed"),
            }
        }
    });
    #[cfg(not(unix))]
    drop(state);
}

/// Structured logs to standard error, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// What `iamspect serve` is given.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// Account data files and folders (none: every request carries its policies).
    pub account_data: Vec<PathBuf>,
    /// Limits.
    pub settings: Settings,
    /// Long-term keys the STS endpoint (`/`) accepts: a JSON list of
    /// `{accessKeyId, secretAccessKey, principal}` (see [`sts::load_credentials`]).
    pub credentials: Option<PathBuf>,
    /// Gateway mode (see [`gateway`]): `None` keeps it off.
    pub gateway: Option<gateway::Gateway>,
    /// Serve the account data files that loaded when some fail (see [`state`]; the default
    /// refuses to start).
    pub allow_partial: bool,
    /// The most temporary credentials the STS endpoint keeps live at once (see [`sts`]).
    pub max_sessions: usize,
    /// The file of the key that seals the gateway's encoded authorization messages (see
    /// [`iamspect_explain::encoded::MessageKey::parse`]); none: a key is made for this run.
    pub message_key: Option<PathBuf>,
    /// OIDC issuers' signing keys for `AssumeRoleWithWebIdentity`: `(issuer, JWKS file)` pairs
    /// (see [`sts::load_oidc_jwks`]).
    pub oidc_jwks: Vec<(String, PathBuf)>,
}

/// Loads the account data, binds, and serves until Ctrl-C or SIGTERM. Blocking.
pub fn run(config: Config) -> Result<(), String> {
    init_tracing();
    let message_key = match &config.message_key {
        Some(path) => {
            let key = iamspect_explain::encoded::MessageKey::from_file(path).map_err(|e| e.to_string())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
                    tracing::warn!(path = %path.display(), "the message key file is readable by other users: `chmod 600` it");
                }
            }
            tracing::info!(key_id = key.id(), "message key loaded: encoded authorization messages are sealed with it");
            Some(std::sync::Arc::new(key))
        }
        None => None,
    };
    let options =
        state::Options { account_data: config.account_data.clone(), allow_partial: config.allow_partial, message_key };
    // Fail closed: a file that does not load stops the start (each one was logged at ERROR).
    let state = AppState::with_options(config.settings, options).map_err(|e| e.to_string())?;
    if let Some(s) = state.account() {
        if s.partial {
            tracing::error!(
                files = s.files.len(),
                left_out = s.errors.len(),
                accounts = s.data.accounts.len(),
                "account data loaded PARTIALLY (--allow-partial): decisions lack whatever the files left out held"
            );
        } else {
            tracing::info!(files = s.files.len(), accounts = s.data.accounts.len(), "account data loaded");
        }
    }
    if config.message_key.is_none() {
        tracing::warn!(
            key_id = state.message_key().id(),
            "no --message-key: encoded authorization messages are sealed with a key made for this run; they will not decode after a restart"
        );
    }
    if let Some(gateway) = config.gateway.clone() {
        if state.account().is_none() {
            return Err("--gateway needs --account-data: the gateway decides every request with it".to_string());
        }
        match &gateway.upstream {
            Some(u) => tracing::info!(upstream = %u.authority, "gateway mode: allowed requests go to the upstream"),
            None => tracing::info!("gateway mode without an upstream: allowed requests get a JSON answer"),
        }
        state.enable_gateway(gateway)?;
    }
    if let Some(path) = &config.credentials {
        let keys = sts::load_credentials(path)?;
        tracing::info!(keys = keys.len(), "credentials loaded");
        state.sts().add_credentials(keys)?;
    }
    for (issuer, path) in &config.oidc_jwks {
        let n = sts::load_oidc_jwks(state.sts(), issuer, path)?;
        tracing::info!(issuer, keys = n, "OIDC signing keys loaded");
        let name = iamspect_auth::oidc::issuer_name(issuer);
        let known = state.account().is_some_and(|a| a.data.oidc_providers.values().any(|p| p.url == name));
        if !known && !sts::is_built_in_provider(name) {
            tracing::warn!(
                issuer,
                "no OIDC provider of the loaded account data has this URL: tokens of this issuer are refused until one is loaded"
            );
        }
    }
    state.sts().store().set_max_temporary(config.max_sessions);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "listening beyond loopback: this API authenticates no one");
        }
        tracing::info!(%addr, "listening");
        if !state.account_paths().is_empty() {
            reload_on_sighup(state.clone());
        }
        // Expired temporary credentials go even when no new ones are issued (D36).
        let sweeper = state.clone();
        tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
            every_minute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every_minute.tick().await;
                let dropped = sweeper.sts().sweep();
                if dropped > 0 {
                    tracing::debug!(dropped, "expired temporary credentials dropped");
                }
            }
        });
        serve(listener, state, shutdown_signal()).await.map_err(|e| format!("server error: {e}"))
    })
}
