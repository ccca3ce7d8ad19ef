//! What the handlers share: the settings, and the account data loaded at start, kept in an
//! `Arc` that a reload swaps atomically. A request takes the snapshot current when it starts and
//! keeps it to the end, so a reload drops no request and mixes no two loads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use iamspect_account::AccountData;

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
    /// Files that failed to load, with why.
    pub errors: Vec<String>,
    /// 1 for the load at start, then one more per reload.
    pub generation: u64,
    /// When it was loaded, in seconds since the Unix epoch.
    pub loaded_at: u64,
}

/// The handlers' shared state: cheap to clone.
#[derive(Clone, Default)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    settings: Settings,
    paths: Vec<PathBuf>,
    account: ArcSwapOption<AccountSnapshot>,
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
}

impl AppState {
    /// A state without account data: every request carries its policies.
    pub fn new(settings: Settings) -> AppState {
        AppState { inner: Arc::new(Inner { settings, ..Inner::default() }) }
    }

    /// A state with the account data of `paths` (files and folders), loaded now; an error when
    /// nothing could be loaded.
    pub fn with_account_data(settings: Settings, paths: Vec<PathBuf>) -> Result<AppState, String> {
        let state = AppState { inner: Arc::new(Inner { settings, paths, ..Inner::default() }) };
        state.reload()?;
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

    /// Reads the account-data paths again and swaps the new data in; on failure the old data
    /// stays. Blocking: call it from a blocking task.
    pub fn reload(&self) -> Result<Arc<AccountSnapshot>, String> {
        if self.inner.paths.is_empty() {
            return Err("the server was started without `--account-data`; there is nothing to reload".to_string());
        }
        let _one_at_a_time = self.inner.reloading.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (data, report) = iamspect_account::load_paths(&self.inner.paths);
        let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        if report.loaded.is_empty() {
            let detail = if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) };
            return Err(format!("no account data could be loaded from the given paths{detail}"));
        }
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let loaded_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let snapshot = Arc::new(AccountSnapshot { data, files: report.loaded, errors, generation, loaded_at });
        self.inner.account.store(Some(Arc::clone(&snapshot)));
        Ok(snapshot)
    }
}
