//! The routes, and what `/v1/authorize` and `/v1/explain` share: reading the body into a case.

pub(crate) mod allowed_if;
pub(crate) mod authorize;
pub(crate) mod checks;
pub(crate) mod explain;
pub(crate) mod gateway;
pub(crate) mod health;
pub(crate) mod lint;
pub(crate) mod paths;
pub(crate) mod policies;
pub(crate) mod scp_impact;
pub(crate) mod sts;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::Method;
use axum::response::IntoResponse;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use iamspect_case::{Case, Compiler};
use serde_json::Value;

use crate::error::AppError;
use crate::policy_store::Lookup;
use crate::state::AppState;

/// The fields of a case that hold policies (or, in a case file, policy paths).
const POLICY_FIELDS: [&str; 7] = [
    "identityPolicies",
    "resourcePolicy",
    "permissionsBoundary",
    "sessionPolicies",
    "scps",
    "rcps",
    "vpcEndpointPolicy",
];

/// Where policy paths would be resolved if one got past [`inline_only`]: nowhere.
const NO_BASE: &str = "/nonexistent/iamspect-server/reads-no-files";

/// Reads the body (a case, or with account data a request without policies) into a case;
/// policies named by id are looked up in `refs`.
pub(crate) fn case(text: &str, state: &AppState, compiler: &mut Compiler, refs: &Lookup) -> Result<Case, AppError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AppError::MalformedJson(e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(AppError::InvalidInput("the body must be a JSON object: one case".to_string()));
    };
    let has_policies = POLICY_FIELDS.iter().chain(&["s3", "kms"]).any(|f| obj.contains_key(*f));
    if let (false, Some(account)) = (has_policies, state.account()) {
        // Read strictly by the case reader: keys given twice are refused, the clock keys set.
        return iamspect_case::account_case(&account.data, text, compiler).map_err(AppError::Case);
    }
    inline_only(obj)?;
    iamspect_case::case_from_str_with_refs(0, text, Path::new(NO_BASE), compiler, refs).map_err(AppError::InvalidInput)
}

/// The server reads no file a client names: policies must be inline documents, ids of stored
/// policies (`policy:sha256:<hex>`), or AWS's built-in `FullAWSAccess`/`RCPFullAWSAccess`.
fn inline_only(obj: &serde_json::Map<String, Value>) -> Result<(), AppError> {
    fn check(field: &str, v: &Value) -> Result<(), AppError> {
        match v {
            Value::String(s) if s == "FullAWSAccess" || s == "RCPFullAWSAccess" => Ok(()),
            Value::String(s) if s.starts_with(iamspect_case::POLICY_ID_PREFIX) => Ok(()),
            Value::String(s) => Err(AppError::InvalidInput(format!(
                "`{field}`: `{s}` names a policy; the server reads no files, so give the policy document inline, \
                 the id of a policy registered with `POST /v1/policies`, or `FullAWSAccess`/`RCPFullAWSAccess`"
            ))),
            _ => Ok(()),
        }
    }
    for field in POLICY_FIELDS {
        match (field, obj.get(field)) {
            (_, None) => {}
            ("identityPolicies" | "sessionPolicies", Some(Value::Array(items))) => {
                for (i, v) in items.iter().enumerate() {
                    check(&format!("{field}[{i}]"), v)?;
                }
            }
            ("scps" | "rcps", Some(Value::Array(levels))) => {
                for (l, level) in levels.iter().enumerate() {
                    for (i, v) in level.as_array().into_iter().flatten().enumerate() {
                        check(&format!("{field}[{l}][{i}]"), v)?;
                    }
                }
            }
            (_, Some(v)) => check(field, v)?,
        }
    }
    Ok(())
}

/// Runs blocking work (explanations, lint, reloads) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(format!("task failed: {e}")))?
}

/// How many CPU-heavy requests run at once, and how many may wait for a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    /// Requests that run at once (default: the number of cores).
    pub workers: usize,
    /// Requests that may wait for a worker; one more is answered 503 at once.
    pub queue: usize,
}

impl Default for PoolLimits {
    fn default() -> PoolLimits {
        let workers = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        PoolLimits { workers, queue: 1024 }
    }
}

/// The bounded pool CPU-heavy work runs on (decisions of large or uncached bodies,
/// explanations, lint, policy registration, the gateway's decisions): at most
/// [`PoolLimits::workers`] jobs at once on tokio's blocking threads, never on the async workers
/// that serve `/healthz` and read requests.
#[derive(Debug)]
pub(crate) struct Pool {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl Pool {
    pub(crate) fn new(limits: PoolLimits) -> Pool {
        Pool {
            permits: Arc::new(Semaphore::new(limits.workers.max(1))),
            waiting: AtomicUsize::new(0),
            queue: limits.queue,
        }
    }
}

/// What every request carries in its extensions (put there by [`crate::app`]'s first layer):
/// the pool, and the request's deadline, counted from when the server started on it.
#[derive(Clone, Debug)]
pub(crate) struct Work {
    pool: Arc<Pool>,
    deadline: Instant,
}

/// Why [`Work::run`] gave no answer.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The deadline passed, waiting for a worker or working (the work was told to stop).
    Deadline,
    /// The queue is full.
    Busy,
    /// The work panicked or was lost.
    Failed(String),
}

impl From<Refused> for AppError {
    fn from(r: Refused) -> AppError {
        match r {
            Refused::Deadline => AppError::Timeout,
            Refused::Busy => AppError::Busy,
            Refused::Failed(e) => AppError::Internal(e),
        }
    }
}

/// Sets the flag when dropped: the request was abandoned (deadline, client gone, server timeout).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Counts a waiting request while it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Work {
    pub(crate) fn new(pool: Arc<Pool>, timeout: Duration) -> Work {
        let now = Instant::now();
        Work { pool, deadline: now.checked_add(timeout).unwrap_or(now + Duration::from_secs(86_400)) }
    }

    /// The request's [`Work`], as [`crate::app`] stamped it; a request that did not come through
    /// the router gets a pool of its own and the state's timeout from now.
    pub(crate) fn of(extensions: &axum::http::Extensions, state: &AppState) -> Work {
        extensions
            .get::<Work>()
            .cloned()
            .unwrap_or_else(|| Work::new(Arc::new(Pool::new(PoolLimits::default())), state.settings().timeout))
    }

    /// Runs `f` on the bounded pool, under the request's deadline: it waits for a worker (503 at
    /// once when too many already wait), gets `Deadline` when the deadline passes first, and
    /// `f`'s flag is set then (or when this future is dropped), so that long loops stop soon
    /// after. A job holds its worker until it returns, even after its request gave up on it.
    ///
    /// A handler that answers in its own shape (the gateway, STS) maps [`Refused`] itself:
    ///
    /// ```ignore
    /// let work = Work::of(&parts.extensions, &state);
    /// let decided = work.run(move |_cancel| { /* the decision, with owned inputs */ }).await;
    /// match decided {
    ///     Ok(answer) => answer,
    ///     Err(Refused::Deadline) => /* 408-like, in the protocol's shape */,
    ///     Err(Refused::Busy) => /* 503 (S3: SlowDown), in the protocol's shape */,
    ///     Err(Refused::Failed(e)) => /* 500, logged */,
    /// }
    /// ```
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AtomicBool) -> T + Send + 'static,
    ) -> Result<T, Refused> {
        let cancel = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancel));
        let permit = {
            if self.pool.waiting.fetch_add(1, Ordering::Relaxed) >= self.pool.queue {
                self.pool.waiting.fetch_sub(1, Ordering::Relaxed);
                return Err(Refused::Busy);
            }
            let _waiting = Waiting(&self.pool.waiting);
            let acquire = Arc::clone(&self.pool.permits).acquire_owned();
            match tokio::time::timeout_at(self.deadline, acquire).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(closed)) => return Err(Refused::Failed(closed.to_string())),
                Err(_) => return Err(Refused::Deadline),
            }
        };
        if Instant::now() >= self.deadline {
            return Err(Refused::Deadline);
        }
        let flag = Arc::clone(&cancel);
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&flag)
        });
        match tokio::time::timeout_at(self.deadline, job).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(Refused::Failed(format!("task failed: {e}"))),
            Err(_) => Err(Refused::Deadline),
        }
    }
}

/// Runs a route's work on the pool ([`Work::run`]), with the refusals as [`AppError`]s.
pub(crate) async fn offload<T: Send + 'static>(
    work: &Work,
    f: impl FnOnce(&AtomicBool) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    work.run(f).await?
}

/// `Content-Length` as declared, when it is over `limit`: the request can be refused at once,
/// before its body arrives.
pub(crate) fn declared_over(headers: &axum::http::HeaderMap, limit: usize) -> Option<u64> {
    let declared: u64 = headers.get(axum::http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()?;
    (declared > u64::try_from(limit).unwrap_or(u64::MAX)).then_some(declared)
}

/// True when the request says its body is JSON (`application/json`, or `application/<x>+json`),
/// as axum's `Json` checks it.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence
        .split_once('/')
        .is_some_and(|(kind, sub)| kind == "application" && (sub == "json" || sub.ends_with("+json")))
}

/// The body of a JSON request, read (up to the limit) but not parsed: parsing is work for the
/// pool. The errors are `axum::Json`'s, in the app's shape.
pub(crate) async fn json_bytes(req: axum::extract::Request, state: &AppState) -> Result<axum::body::Bytes, AppError> {
    use axum::extract::FromRequest;
    use axum::extract::rejection::JsonRejection;
    if !is_json(req.headers()) {
        return Err(AppError::from(JsonRejection::MissingJsonContentType(Default::default())));
    }
    axum::body::Bytes::from_request(req, state).await.map_err(|e| AppError::from(JsonRejection::from(e)))
}

/// `value` as an `application/json` answer, serialized where it was made (on the pool).
pub(crate) fn json_response(value: &Value) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let bytes = serde_json::to_vec(value).map_err(|e| AppError::Internal(e.to_string()))?;
    let content_type = axum::http::HeaderValue::from_static("application/json");
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// The methods the gateway takes: those of AWS's REST, Query and JSON protocols (S3 uses all
/// five). Any other method on a path of the gateway's is a 405, not a guess.
const GATEWAY_METHODS: [Method; 5] = [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE];

/// `/`: STS, and in gateway mode the gateway too (see [`gateway::root`]). Without the gateway,
/// `/` takes what STS and the redirect to the web page take: `GET` (and `HEAD`) and `POST`; with
/// it, also `PUT` and `DELETE` (S3's bucket operations on a virtual-hosted bucket). Any other
/// method is a 405 in the API's shape, as the OpenAPI document says.
pub(crate) async fn root(State(state): State<AppState>, request: axum::extract::Request) -> axum::response::Response {
    let method = request.method();
    let allowed = if state.gateway().is_some() {
        GATEWAY_METHODS.contains(method)
    } else {
        method == Method::GET || method == Method::HEAD || method == Method::POST
    };
    if !allowed {
        return AppError::MethodNotAllowed.into_response();
    }
    gateway::root(State(state), request).await
}

/// Every path no route has: 404, or in gateway mode outside the API's paths the gateway (see
/// [`gateway::fallback`]) for the methods it takes, 405 for the others.
pub(crate) async fn fallback(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    if state.gateway().is_some()
        && !crate::is_api_path(request.uri().path())
        && !GATEWAY_METHODS.contains(request.method())
    {
        return AppError::MethodNotAllowed.into_response();
    }
    gateway::fallback(State(state), request).await
}
