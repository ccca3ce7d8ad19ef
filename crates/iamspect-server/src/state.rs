//! What the handlers share: the settings, and the account data loaded at start, kept in an
//! `Arc` that a reload swaps atomically. A request takes the snapshot current when it starts and
//! keeps it to the end, so a reload drops no request and mixes no two loads.
//!
//! Loads fail closed (decision D35): a load in which any file fails changes nothing. At start the
//! server does not start; on reload the previous snapshot stays whole, and the failure is logged
//! at ERROR, answered by `POST /v1/reload` and shown by `/healthz` ([`AppState::last_load`]), each
//! failed file named with its path and where in it. A file left out could have held the Deny that
//! decided a request. [`Options::allow_partial`] (`iamspect serve --allow-partial`) serves the
//! files that did load instead, and says so loudly.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use iamspect_account::{AccountData, LoadError};

use iamspect_explain::encoded::MessageKey;

use crate::cache::{CaseCache, CompilerPool};

/// Limits applied to every request.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The largest request body read, in bytes (larger ones get 413).
    pub body_limit: usize,
    /// How long a request may take (longer ones get 408).
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { body_limit: 1 << 20, timeout: Duration::from_secs(30) }
    }
}

/// One load of the account data.
#[derive(Debug)]
pub struct AccountSnapshot {
    /// The data.
    pub data: AccountData,
    /// The files it came from.
    pub files: Vec<PathBuf>,
    /// Files that failed to load and were left out: never empty only when [`partial`](Self::partial).
    pub errors: Vec<LoadError>,
    /// Whether files were left out (only with [`Options::allow_partial`]): the data may lack
    /// policies, Denies included, that the files held.
    pub partial: bool,
    /// 1 for the load at start, then one more per reload.
    pub generation: u64,
    /// When it was loaded, in seconds since the Unix epoch.
    pub loaded_at: u64,
}

/// How the state is built.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Account data files and folders (none: every request carries its policies).
    pub account_data: Vec<PathBuf>,
    /// Serve the files that loaded when some fail (the default refuses the whole load).
    pub allow_partial: bool,
    /// The key that seals the gateway's encoded authorization messages (none: one is made now,
    /// and tokens do not survive a restart).
    pub message_key: Option<Arc<MessageKey>>,
}

/// What the latest load (at start or reload) did, shown by `/healthz`.
#[derive(Clone, Debug)]
pub struct LoadStatus {
    /// Whether its data is served now.
    pub ok: bool,
    /// When it ran, in seconds since the Unix epoch.
    pub at: u64,
    /// The files that failed, with why (path, then line and column when the file is not JSON).
    pub errors: Vec<LoadError>,
    /// Whether it was served with files left out (`--allow-partial`).
    pub partial: bool,
    /// The generation served after it: the new one, or the one kept (none before a first load).
    pub generation: Option<u64>,
}

/// Why a load changed nothing.
#[derive(Clone, Debug)]
pub enum LoadFailure {
    /// The server was started without account data.
    NotConfigured,
    /// Files failed to load (fail closed), or with `--allow-partial` none loaded.
    Failed {
        /// Every file that failed, with why.
        errors: Vec<LoadError>,
        /// The generation still served (none at start).
        kept: Option<u64>,
    },
    /// No file under the paths holds account data.
    Empty {
        /// The generation still served (none at start).
        kept: Option<u64>,
    },
}

impl LoadFailure {
    /// The files that failed.
    pub fn errors(&self) -> &[LoadError] {
        match self {
            LoadFailure::Failed { errors, .. } => errors,
            _ => &[],
        }
    }
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = |f: &mut std::fmt::Formatter<'_>, kept: &Option<u64>| match kept {
            Some(g) => write!(f, "the previous account data (generation {g}) is kept"),
            None => write!(f, "nothing is served"),
        };
        match self {
            LoadFailure::NotConfigured => {
                write!(f, "the server was started without `--account-data`; there is nothing to reload")
            }
            LoadFailure::Failed { errors, kept: k } => {
                let n = errors.len();
                write!(f, "{n} account data file{} failed to load; ", if n == 1 { "" } else { "s" })?;
                kept(f, k)?;
                write!(f, " (a file left out could hold a Deny; `--allow-partial` serves the rest):")?;
                for e in errors {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
            LoadFailure::Empty { kept: k } => {
                write!(f, "no account data could be loaded from the given paths; ")?;
                kept(f, k)
            }
        }
    }
}

impl std::error::Error for LoadFailure {}

/// The handlers' shared state: cheap to clone.
#[derive(Clone, Default)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    settings: Settings,
    paths: Vec<PathBuf>,
    allow_partial: bool,
    account: ArcSwapOption<AccountSnapshot>,
    /// What the latest load did.
    last_load: Mutex<Option<LoadStatus>>,
    generation: AtomicU64,
    /// Reloads run one at a time; requests never take it.
    reloading: Mutex<()>,
    /// The STS endpoint's credential store and clock.
    sts: crate::sts::StsState,
    /// Policies compiled by earlier requests.
    compilers: CompilerPool,
    /// Cases built from earlier bodies (used only without account data).
    cases: CaseCache,
    /// Policies registered with `POST /v1/policies`, named in cases by id.
    policies: crate::policy_store::PolicyStore,
    /// Gateway mode, when enabled (see [`crate::gateway`]).
    gateway: std::sync::OnceLock<crate::gateway::Gateway>,
    /// The key of the encoded authorization messages.
    message_key: SealingKey,
}

/// The key of the encoded authorization messages; a new random one by default.
struct SealingKey(Arc<MessageKey>);

impl Default for SealingKey {
    fn default() -> SealingKey {
        SealingKey(Arc::new(MessageKey::generate()))
    }
}

impl AppState {
    /// A state without account data: every request carries its policies.
    pub fn new(settings: Settings) -> AppState {
        AppState { inner: Arc::new(Inner { settings, ..Inner::default() }) }
    }

    /// A state with the account data of `paths` (files and folders), loaded now; an error naming
    /// every file that failed when any did (see [`with_options`](Self::with_options)).
    ///
    /// # Errors
    /// [`LoadFailure`] when a file fails to load or none holds account data.
    pub fn with_account_data(settings: Settings, paths: Vec<PathBuf>) -> Result<AppState, LoadFailure> {
        AppState::with_options(settings, Options { account_data: paths, ..Options::default() })
    }

    /// A state built with `options`, its account data (if any) loaded now.
    ///
    /// # Errors
    /// [`LoadFailure`] when account data is given and a file fails to load (unless
    /// [`Options::allow_partial`]), or no file holds account data.
    pub fn with_options(settings: Settings, options: Options) -> Result<AppState, LoadFailure> {
        let state = AppState {
            inner: Arc::new(Inner {
                settings,
                paths: options.account_data,
                allow_partial: options.allow_partial,
                message_key: options.message_key.map(SealingKey).unwrap_or_default(),
                ..Inner::default()
            }),
        };
        if !state.inner.paths.is_empty() {
            state.reload()?;
        }
        Ok(state)
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.inner.settings
    }

    /// The account-data paths given at start (empty without account data).
    pub fn account_paths(&self) -> &[PathBuf] {
        &self.inner.paths
    }

    /// The policy compilers shared by the requests (see [`crate::cache`]).
    pub fn compilers(&self) -> &CompilerPool {
        &self.inner.compilers
    }

    /// The cases built from earlier bodies (see [`crate::cache`]).
    pub fn cases(&self) -> &CaseCache {
        &self.inner.cases
    }

    /// The policies registered with `POST /v1/policies` (see [`crate::policy_store`]).
    pub fn policies(&self) -> &crate::policy_store::PolicyStore {
        &self.inner.policies
    }

    /// The key that seals the encoded authorization messages of gateway denials and opens them
    /// for STS `DecodeAuthorizationMessage` (see [`iamspect_explain::encoded`]).
    pub fn message_key(&self) -> &Arc<MessageKey> {
        &self.inner.message_key.0
    }

    /// The STS endpoint's credential store and clock.
    pub fn sts(&self) -> &crate::sts::StsState {
        &self.inner.sts
    }

    /// Turns gateway mode on (once; a second call is refused).
    ///
    /// # Errors
    /// When gateway mode is already on.
    pub fn enable_gateway(&self, gateway: crate::gateway::Gateway) -> Result<(), String> {
        self.inner.gateway.set(gateway).map_err(|_| "gateway mode is already on".to_string())
    }

    /// The gateway settings, when gateway mode is on.
    pub fn gateway(&self) -> Option<&crate::gateway::Gateway> {
        self.inner.gateway.get()
    }

    /// The current account data, if any.
    pub fn account(&self) -> Option<Arc<AccountSnapshot>> {
        self.inner.account.load_full()
    }

    /// Whether loads serve the files that loaded when some fail (`--allow-partial`).
    pub fn allow_partial(&self) -> bool {
        self.inner.allow_partial
    }

    /// What the latest load (at start or reload) did; `None` before the first.
    pub fn last_load(&self) -> Option<LoadStatus> {
        self.inner.last_load.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads the account-data paths again and swaps the new data in when every file loaded (or,
    /// with `--allow-partial`, when any did); otherwise the served data stays whole and the error
    /// names every file that failed. Each failed file is logged at ERROR. Blocking: call it from a
    /// blocking task.
    ///
    /// # Errors
    /// [`LoadFailure`]: nothing to reload, files that failed, or no account data at all.
    pub fn reload(&self) -> Result<Arc<AccountSnapshot>, LoadFailure> {
        if self.inner.paths.is_empty() {
            return Err(LoadFailure::NotConfigured);
        }
        let _one_at_a_time = self.inner.reloading.lock().unwrap_or_else(PoisonError::into_inner);
        let (data, report) = iamspect_account::load_paths(&self.inner.paths);
        let at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let kept = self.account().map(|s| s.generation);
        let partial = !report.errors.is_empty();
        // With `--allow-partial`, files that fail are left out as long as some loaded.
        let serve_partial = self.inner.allow_partial && !report.loaded.is_empty();
        for e in &report.errors {
            if serve_partial {
                tracing::error!(path = %e.path.display(), error = %e.message, "account data file LEFT OUT (--allow-partial): its policies, Denies included, are not in force");
            } else {
                tracing::error!(path = %e.path.display(), error = %e.message, "account data file failed to load");
            }
        }
        for s in &report.skipped {
            tracing::warn!(detail = %s, "account data: part skipped");
        }
        let failure = if partial && !serve_partial {
            Some(LoadFailure::Failed { errors: report.errors.clone(), kept })
        } else if report.loaded.is_empty() {
            Some(LoadFailure::Empty { kept })
        } else {
            None
        };
        if let Some(failure) = failure {
            self.set_last_load(LoadStatus { ok: false, at, errors: report.errors, partial: false, generation: kept });
            return Err(failure);
        }
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let snapshot = Arc::new(AccountSnapshot {
            data,
            files: report.loaded,
            errors: report.errors.clone(),
            partial,
            generation,
            loaded_at: at,
        });
        self.inner.account.store(Some(Arc::clone(&snapshot)));
        self.set_last_load(LoadStatus { ok: true, at, errors: report.errors, partial, generation: Some(generation) });
        Ok(snapshot)
    }

    fn set_last_load(&self, status: LoadStatus) {
        *self.inner.last_load.lock().unwrap_or_else(PoisonError::into_inner) = Some(status);
    }
}
