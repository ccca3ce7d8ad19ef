//! `iamspect unused --account-data D (--cloudtrail EVENTS... | --last-accessed ARN=FILE...)`:
//! for each user and role, the actions its policies grant (what-can) that it never used in the
//! window, grouped by service and access level; the users and roles with no activity; access
//! keys never used (credential report); and the smallest edit of the identity policies that
//! removes the unused actions, proved by the engine to keep every observed request allowed and,
//! by the symbolic check, to grant nothing new (decisions D145-D147).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use iamspect_account::AccountData;
use iamspect_account::query::{Grant, IndexedPrincipal, what_can};
use iamspect_catalog::Catalog;
use iamspect_core::{Decision, Policy, PolicyType, PrincipalKind};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("usage").required(true).args(["cloudtrail", "last_accessed"])))]
pub(crate) struct Args {
    /// Account data: dumps, an organization file, resource policies (files or folders).
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// CloudTrail events (files or folders) that show what was used.
    #[arg(long = "cloudtrail", value_name = "PATH", num_args = 1..)]
    cloudtrail: Vec<PathBuf>,
    /// `aws iam get-service-last-accessed-details` output, one file per principal, given as
    /// `ARN=FILE` (AWS's output does not name the principal it is about).
    #[arg(long = "last-accessed", value_name = "ARN=FILE", num_args = 1..)]
    last_accessed: Vec<String>,
    /// The IAM credential report (`aws iam get-credential-report` output or its CSV), for access
    /// keys never used.
    #[arg(long = "credential-report", value_name = "FILE")]
    credential_report: Option<PathBuf>,
    /// The window starts here (ISO 8601, `2026-11-01T00:00:00Z`): use before it does not count.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// AWS's service reference, to map operations to actions (as `replay --service-reference`).
    #[arg(long, value_name = "DIR")]
    service_reference: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run(args: Args) -> u8 {
    match unused(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            BAD_INPUT
        }
    }
}

/// A user or role, as `(account, "user"|"role", name)`.
type Key = (String, &'static str, String);

/// What is known of one principal's use of its permissions.
#[derive(Default)]
struct Usage {
    /// Whether the usage source covers this principal at all (with `--last-accessed`, only the
    /// principals given a file are covered).
    covered: bool,
    /// Events of the principal in the window (CloudTrail), any outcome.
    events: usize,
    /// The latest use (last-accessed).
    last_authenticated: Option<String>,
    /// Actions used, lowercase `service:action`.
    used: BTreeSet<String>,
    /// Actions the operations used may also have needed (conditionally or in another service):
    /// kept, not reported as unused.
    maybe_used: BTreeSet<String>,
    /// Services whose use could not be read to the action (events not rebuilt, actions AWS does
    /// not track), lowercase prefix, with why.
    unknown_services: BTreeMap<String, String>,
    /// Single actions whose use is unknown, with why.
    unknown_actions: BTreeMap<String, String>,
    /// With `--last-accessed`: the services the report lists (a granted service it does not
    /// list is of unknown use).
    listed_services: Option<BTreeSet<String>>,
}

impl Usage {
    /// Why the use of `action` is not known, if it is not.
    fn unknown(&self, action: &str) -> Option<String> {
        let service = action.split(':').next().unwrap_or("");
        if let Some(why) = self.unknown_actions.get(action).or_else(|| self.unknown_services.get(service)) {
            return Some(why.clone());
        }
        if self.listed_services.as_ref().is_some_and(|l| !l.contains(service)) {
            return Some("the last-accessed report does not list this service".to_string());
        }
        None
    }

    /// Whether `action` must be kept: used, maybe used, or of unknown use.
    fn keeps(&self, action: &str) -> bool {
        self.used.contains(action) || self.maybe_used.contains(action) || self.unknown(action).is_some()
    }
}

/// What the usage source gave.
#[derive(Default)]
struct Source {
    usage: BTreeMap<Key, Usage>,
    /// Requests rebuilt from the events (each re-decided after the edit, in a second read).
    requests: usize,
    /// Event counts and notes.
    read: usize,
    in_window: usize,
    notes: Vec<String>,
    first: Option<String>,
    last: Option<String>,
    /// Services of events whose caller could not be read: of unknown use for everyone.
    anyones: BTreeMap<String, String>,
}

impl Source {
    /// Adds another thread's findings.
    fn merge(&mut self, other: Source) {
        for (key, u) in other.usage {
            let mine = self.usage.entry(key).or_default();
            mine.covered |= u.covered;
            mine.events += u.events;
            mine.used.extend(u.used);
            mine.maybe_used.extend(u.maybe_used);
            for (k, v) in u.unknown_services {
                mine.unknown_services.entry(k).or_insert(v);
            }
            for (k, v) in u.unknown_actions {
                mine.unknown_actions.entry(k).or_insert(v);
            }
        }
        self.requests += other.requests;
        self.read += other.read;
        self.in_window += other.in_window;
        self.notes.extend(other.notes);
        if other.first.is_some() && (self.first.is_none() || other.first < self.first) {
            self.first = other.first;
        }
        if other.last > self.last {
            self.last = other.last;
        }
        for (k, v) in other.anyones {
            self.anyones.entry(k).or_insert(v);
        }
    }
}

fn key_of(arn: &str) -> Option<Key> {
    let p = iamspect_core::Principal::parse(arn).ok()?;
    match p.kind {
        PrincipalKind::User { account, name, .. } => Some((account, "user", name)),
        PrincipalKind::RoleSession { account, role_name, .. } => Some((account, "role", role_name)),
        _ => None,
    }
}

fn lower(action: &str) -> String {
    action.to_ascii_lowercase()
}

fn parse_since(args: &Args) -> Result<Option<Timestamp>, String> {
    match &args.since {
        Some(s) => s.parse::<Timestamp>().map(Some).map_err(|e| format!("--since `{s}` is not a time: {e}")),
        None => Ok(None),
    }
}

/// Records already seen (CloudTrail may deliver an event twice; files may overlap), by a
/// 128-bit hash of the record's JSON text: each event counts once, and two different records
/// are told apart (an `eventID` alone may be reused by hand-made or edited events).
type Seen = std::sync::Mutex<std::collections::HashSet<u128>>;

/// Whether the event is new, and in the window; notes an event without a readable time.
fn admit(event: &iamspect_replay::Event, seen: &Seen, since: Option<Timestamp>, notes: &mut Vec<String>) -> bool {
    let record = &event.record;
    let hash = iamspect_replay::record_hash(record);
    if !seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(hash) {
        return false;
    }
    if let Some(since) = since {
        match record.get("eventTime").and_then(Value::as_str).and_then(|t| t.parse::<Timestamp>().ok()) {
            Some(t) if t < since => return false,
            Some(_) => {}
            None => notes.push(format!(
                "{}: no readable eventTime; counted as in the window (its actions are kept)",
                event.source
            )),
        }
    }
    true
}

fn observe(
    src: &mut Source,
    event: &iamspect_replay::Event,
    sref: Option<&iamspect_replay::ServiceReference>,
    data: &AccountData,
) {
    let record = &event.record;
    src.in_window += 1;
    if let Some(t) = record.get("eventTime").and_then(Value::as_str) {
        if src.first.as_deref().is_none_or(|f| t < f) {
            src.first = Some(t.to_string());
        }
        if src.last.as_deref().is_none_or(|l| t > l) {
            src.last = Some(t.to_string());
        }
    }
    let arn = record.pointer("/userIdentity/arn").and_then(Value::as_str).unwrap_or("");
    let event_source = record.get("eventSource").and_then(Value::as_str).unwrap_or("");
    let (service, _) = iamspect_replay::service_prefix(event_source, sref);
    let denied = iamspect_replay::denial_code(record).is_some();
    let rebuilt = iamspect_replay::rebuild(record, sref, Some(data));
    let caller = match &rebuilt {
        Ok(r) => key_of(&r.caller.principal),
        Err(_) => key_of(arn),
    };
    let Some(caller) = caller else {
        if !denied && !arn.is_empty() && iamspect_core::Principal::parse(arn).is_ok() {
            // Root, federated and service callers: not users or roles of the data.
            return;
        }
        if !denied {
            src.anyones.entry(lower(&service)).or_insert_with(|| {
                format!("{}: an event of this service whose caller could not be read", event.source)
            });
        }
        return;
    };
    let usage = src.usage.entry(caller).or_default();
    usage.covered = true;
    usage.events += 1;
    if denied {
        // AWS refused it: activity, but no permission was used.
        return;
    }
    match rebuilt {
        Ok(r) => {
            for t in &r.targets {
                usage.used.insert(lower(&t.action));
            }
            src.requests += r.targets.len();
            usage.maybe_used.extend(r.other_actions.iter().map(|a| lower(a)));
        }
        Err(e) => {
            usage
                .unknown_services
                .entry(lower(&service))
                .or_insert_with(|| format!("{}: the request could not be rebuilt: {e}", event.source));
        }
    }
}

fn from_cloudtrail(args: &Args, data: &AccountData, since: Option<Timestamp>) -> Result<Source, String> {
    let (sref, _) = super::replay::service_reference(args.service_reference.as_deref())?;
    let seen = Seen::default();
    let each = |src: &mut Source, event: iamspect_replay::Event| {
        src.read += 1;
        let mut notes = Vec::new();
        if admit(&event, &seen, since, &mut notes) {
            observe(src, &event, sref.as_ref(), data);
        }
        src.notes.extend(notes);
    };
    let (states, _) = super::replay::stream_events(&args.cloudtrail, "--cloudtrail", &Source::default, &each)?;
    let mut src = Source::default();
    for s in states {
        src.merge(s);
    }
    src.notes.sort();
    for (service, why) in std::mem::take(&mut src.anyones) {
        for usage in src.usage.values_mut() {
            usage.unknown_services.entry(service.clone()).or_insert_with(|| why.clone());
        }
        src.notes.push(why);
    }
    Ok(src)
}

/// The most requests of each kind listed in the first proof.
const LISTED: usize = 50;

/// What re-deciding the observed requests found, per thread.
#[derive(Default)]
struct Redecided {
    requests: usize,
    not_allowed: BTreeSet<String>,
    not_decided: BTreeSet<String>,
    denied_before: BTreeSet<String>,
    not_allowed_count: usize,
    not_decided_count: usize,
    denied_before_count: usize,
}

fn push_capped(set: &mut BTreeSet<String>, count: &mut usize, item: String) {
    *count += 1;
    if set.len() < LISTED {
        set.insert(item);
    }
}

/// Proof 1: reads the events again and re-decides each rebuilt request of the window against
/// the current and the edited data; every request the current policies allow must stay allowed.
fn redecide(args: &Args, data: &AccountData, edited: &AccountData, since: Option<Timestamp>) -> Result<Value, String> {
    let (sref, _) = super::replay::service_reference(args.service_reference.as_deref())?;
    let seen = Seen::default();
    let init = || (Redecided::default(), iamspect_case::Compiler::new(), iamspect_case::Compiler::new());
    let each = |state: &mut (Redecided, iamspect_case::Compiler, iamspect_case::Compiler),
                event: iamspect_replay::Event| {
        let (out, before, after) = state;
        let mut notes = Vec::new();
        if !admit(&event, &seen, since, &mut notes) || iamspect_replay::denial_code(&event.record).is_some() {
            return;
        }
        let Ok(r) = iamspect_replay::rebuild(&event.record, sref.as_ref(), Some(data)) else { return };
        if key_of(&r.caller.principal).is_none() {
            return;
        }
        for t in &r.targets {
            out.requests += 1;
            let decide = |d: &AccountData, c: &mut iamspect_case::Compiler| {
                iamspect_case::from_account_data(
                    d,
                    &r.caller.principal,
                    &t.action,
                    &t.resource,
                    t.resource_account.as_deref(),
                    &r.context,
                    c,
                )
                .map(|b| iamspect_core::authorize(&b.request, &b.policies).decision)
            };
            let what = format!("{} {} on {}", r.caller.principal, t.action, t.resource);
            match (decide(data, before), decide(edited, after)) {
                (Ok(Decision::Allowed), Ok(Decision::Allowed)) => {}
                (Ok(Decision::Allowed), Ok(_)) => push_capped(&mut out.not_allowed, &mut out.not_allowed_count, what),
                (Ok(_), Ok(_)) => push_capped(&mut out.denied_before, &mut out.denied_before_count, what),
                (Err(e), _) | (_, Err(e)) => {
                    push_capped(&mut out.not_decided, &mut out.not_decided_count, format!("{what}: {e}"));
                }
            }
        }
    };
    let (states, _) = super::replay::stream_events(&args.cloudtrail, "--cloudtrail", &init, &each)?;
    let mut all = Redecided::default();
    for (s, _, _) in states {
        all.requests += s.requests;
        all.not_allowed_count += s.not_allowed_count;
        all.not_decided_count += s.not_decided_count;
        all.denied_before_count += s.denied_before_count;
        all.not_allowed.extend(s.not_allowed);
        all.not_decided.extend(s.not_decided);
        all.denied_before.extend(s.denied_before);
    }
    let cap = |set: BTreeSet<String>| set.into_iter().take(LISTED).collect::<Vec<_>>();
    let result = if all.not_allowed_count > 0 {
        "FAIL"
    } else if all.requests == 0 {
        "NOT_CHECKED"
    } else if all.not_decided_count > 0 {
        "UNKNOWN"
    } else {
        "PASS"
    };
    Ok(json!({
        "result": result,
        "requests": all.requests,
        "notAllowedCount": all.not_allowed_count,
        "notAllowed": cap(all.not_allowed),
        "notDecidedCount": all.not_decided_count,
        "notDecided": cap(all.not_decided),
        "deniedBeforeCount": all.denied_before_count,
        "deniedBefore": cap(all.denied_before),
    }))
}

fn field<'a>(v: &'a Value, key: &str, file: &str) -> Result<Option<&'a str>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{file}: `{key}` is not a string")),
    }
}

/// Whether a last-accessed time falls in the window.
fn in_window(time: Option<&str>, since: Option<Timestamp>, file: &str) -> Result<bool, String> {
    let Some(t) = time else { return Ok(false) };
    let parsed = t.parse::<Timestamp>().map_err(|e| format!("{file}: `{t}` is not a time: {e}"))?;
    Ok(since.is_none_or(|s| parsed >= s))
}

/// `--last-accessed ARN=FILE`: the usage of one principal, from
/// `aws iam get-service-last-accessed-details` output.
fn from_last_accessed(args: &Args, data: &AccountData, since: Option<Timestamp>) -> Result<Source, String> {
    let mut src = Source::default();
    for given in &args.last_accessed {
        // Role and user names may hold `=`: the split is the first one after which a file exists.
        let split = given
            .match_indices('=')
            .map(|(i, _)| (&given[..i], &given[i + 1..]))
            .find(|(_, f)| std::path::Path::new(f).is_file());
        let Some((arn, file)) = split else {
            return Err(format!("--last-accessed `{given}`: expected ARN=FILE, with FILE an existing file"));
        };
        let Some(key) = key_of(arn) else {
            return Err(format!("--last-accessed `{given}`: `{arn}` is not a user or role ARN"));
        };
        iamspect_replay::principal_in_data(data, arn).map_err(|e| format!("--last-accessed `{given}`: {e}"))?;
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{file}: invalid JSON at line {}, column {}: {e}", e.line(), e.column()))?;
        let Some(services) = v.get("ServicesLastAccessed").and_then(Value::as_array) else {
            return Err(format!(
                "{file}: not `aws iam get-service-last-accessed-details` output (no `ServicesLastAccessed` array)"
            ));
        };
        match field(&v, "JobStatus", file)? {
            Some("COMPLETED") | None => {}
            Some(s) => return Err(format!("{file}: `JobStatus` is `{s}`; only a COMPLETED job's details are read")),
        }
        if v.get("IsTruncated").and_then(Value::as_bool) == Some(true) {
            return Err(format!(
                "{file}: `IsTruncated` is true: the services on the next pages would be missing; give the whole output"
            ));
        }
        let usage = src.usage.entry(key.clone()).or_default();
        if usage.covered {
            return Err(format!("--last-accessed: `{arn}` is given twice"));
        }
        usage.covered = true;
        src.read += 1;
        let mut listed = BTreeSet::new();
        for (i, s) in services.iter().enumerate() {
            let at = format!("{file}: `ServicesLastAccessed[{i}]`");
            let Some(namespace) = field(s, "ServiceNamespace", &at)? else {
                return Err(format!("{at} has no `ServiceNamespace`"));
            };
            let namespace = lower(namespace);
            listed.insert(namespace.clone());
            let last = field(s, "LastAuthenticated", &at)?;
            if let Some(t) = last
                && usage.last_authenticated.as_deref().is_none_or(|l| t > l)
            {
                usage.last_authenticated = Some(t.to_string());
            }
            let service_used = in_window(last, since, &at)?;
            let tracked = match s.get("TrackedActionsLastAccessed") {
                None | Some(Value::Null) => None,
                Some(Value::Array(a)) => Some(a),
                Some(_) => return Err(format!("{at}: `TrackedActionsLastAccessed` is not an array")),
            };
            let mut tracked_names = BTreeSet::new();
            for (j, a) in tracked.into_iter().flatten().enumerate() {
                let at = format!("{at}.TrackedActionsLastAccessed[{j}]");
                let Some(name) = field(a, "ActionName", &at)? else {
                    return Err(format!("{at} has no `ActionName`"));
                };
                let action = format!("{namespace}:{}", lower(name));
                tracked_names.insert(action.clone());
                if in_window(field(a, "LastAccessedTime", &at)?, since, &at)? {
                    usage.used.insert(action);
                }
            }
            if service_used {
                // The service was used; only its tracked actions say which.
                let why = format!("{at}: the service was used and AWS does not track this action's use");
                if let Some(service) = Catalog::get().service(&namespace) {
                    for a in service.actions() {
                        let action = lower(&format!("{namespace}:{}", a.name()));
                        if !tracked_names.contains(&action) {
                            usage.unknown_actions.insert(action, why.clone());
                        }
                    }
                } else {
                    usage.unknown_services.insert(namespace.clone(), why);
                }
            }
        }
        usage.listed_services = Some(listed);
    }
    Ok(src)
}

/// One granted action of a principal.
struct Granted {
    name: String,
    access_level: &'static str,
    conditional: bool,
}

/// The granted actions of `arn`, one per action (what-can may list one several times, on
/// several resources); `allowed` wins over `conditional`.
fn granted(data: &AccountData, arn: &str, context: &[(String, Vec<String>)]) -> Result<Vec<Granted>, String> {
    let principal = IndexedPrincipal::resolve(data, arn)?;
    let access = what_can(data, &principal, &[], None, None, context)?;
    let mut out: BTreeMap<String, Granted> = BTreeMap::new();
    for a in access {
        let conditional = matches!(a.grant, Grant::IfConditions(_));
        out.entry(lower(&a.action)).and_modify(|g| g.conditional &= conditional).or_insert(Granted {
            name: a.action.clone(),
            access_level: a.access_level,
            conditional,
        });
    }
    Ok(out.into_values().collect())
}

/// Every user and role of the data, with its ARN.
fn principals(data: &AccountData) -> Vec<(Key, String)> {
    let mut out = Vec::new();
    for (id, account) in &data.accounts {
        for u in account.users.values() {
            out.push(((id.clone(), "user", u.name.clone()), u.arn.clone()));
        }
        for r in account.roles.values() {
            out.push(((id.clone(), "role", r.name.clone()), r.arn.clone()));
        }
    }
    out
}

/// The result for one principal.
struct Report {
    key: Key,
    arn: String,
    /// Unused, by (service, access level).
    unused: BTreeMap<(String, &'static str), Vec<(String, bool)>>,
    unknown: Vec<(String, String)>,
    used: usize,
    granted: usize,
}

fn unused(args: &Args) -> Result<u8, String> {
    let since = parse_since(args)?;
    let data = super::account::load(&args.account_data)?;
    let mut context = Vec::new();
    let (clock, _) = iamspect_case::set_clock(&mut context, Timestamp::now());
    let mut src = if args.cloudtrail.is_empty() {
        from_last_accessed(args, &data, since)?
    } else {
        from_cloudtrail(args, &data, since)?
    };
    src.notes
        .push("root users are not analysed: their access is not granted by policies any edit could narrow".to_string());
    let keys = principals(&data);
    if keys.is_empty() {
        return Err("--account-data: no user or role was loaded".to_string());
    }
    let last_accessed = args.cloudtrail.is_empty();
    let mut reports = Vec::new();
    let mut not_analysed = Vec::new();
    for (key, arn) in &keys {
        let usage = src.usage.entry(key.clone()).or_default();
        if last_accessed && !usage.covered {
            not_analysed.push(arn.clone());
            continue;
        }
        usage.covered = true;
        let grants = granted(&data, arn, &context).map_err(|e| format!("{arn}: {e}"))?;
        let mut r = Report {
            key: key.clone(),
            arn: arn.clone(),
            unused: BTreeMap::new(),
            unknown: Vec::new(),
            used: 0,
            granted: grants.len(),
        };
        for g in grants {
            let l = lower(&g.name);
            let service = l.split(':').next().unwrap_or("").to_string();
            if usage.used.contains(&l) || usage.maybe_used.contains(&l) {
                r.used += 1;
            } else if let Some(why) = usage.unknown(&l) {
                r.unknown.push((g.name, why));
            } else {
                r.unused.entry((service, g.access_level)).or_default().push((g.name, g.conditional));
            }
        }
        reports.push(r);
    }
    let prove = |edited: &AccountData| {
        if last_accessed {
            Ok(json!({
                "result": "NOT_CHECKED", "requests": 0,
                "notAllowedCount": 0, "notAllowed": [], "notDecidedCount": 0, "notDecided": [],
                "deniedBeforeCount": 0, "deniedBefore": [],
            }))
        } else {
            redecide(args, &data, edited, since)
        }
    };
    let edit = edit(&data, &src, &reports, &not_analysed, &context, &prove)?;
    let keys_report = match &args.credential_report {
        Some(path) => Some(access_keys(path, since)?),
        None => None,
    };
    print(args, &src, &reports, &not_analysed, &edit, keys_report.as_ref(), &clock, since);
    let proved = edit.proofs.iter().all(|(_, p)| p["result"] != "FAIL");
    Ok(if proved { SUCCESS } else { FAILURE })
}

/// The edited policies and their proofs.
struct Edit {
    /// Per policy: name, holders, change (`edit`/`delete`), removed patterns, replaced patterns,
    /// the new document.
    policies: Vec<Value>,
    not_edited: Vec<Value>,
    proofs: Vec<(&'static str, Value)>,
}

/// The patterns of a statement's `Action`, or `None` for a `NotAction` statement.
fn action_list(stmt: &Value) -> Option<Vec<String>> {
    match stmt.get("Action")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        _ => None,
    }
}

/// An edited document (`None`: no statement left), the patterns removed, and the patterns
/// replaced with what replaced them.
type DocumentEdit = (Option<Value>, Vec<String>, Vec<Value>);

/// The edit of one document: each `Allow` statement's `Action` keeps the patterns some holder
/// needs; a wildcard pattern that matches both needed and unused actions becomes the needed
/// actions it matches. `None` when nothing changes.
fn edit_document(text: &str, keeps: &dyn Fn(&str) -> bool) -> Result<Option<DocumentEdit>, String> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let catalog = Catalog::get();
    let mut removed = Vec::new();
    let mut replaced = Vec::new();
    let statements = match doc.get_mut("Statement") {
        Some(Value::Array(list)) => std::mem::take(list),
        Some(one) => vec![one.take()],
        None => return Ok(None),
    };
    let mut kept_statements = Vec::new();
    for mut stmt in statements {
        let allow = stmt.get("Effect").and_then(Value::as_str) == Some("Allow");
        let Some(patterns) = action_list(&stmt).filter(|_| allow) else {
            kept_statements.push(stmt);
            continue;
        };
        let mut new = Vec::new();
        for p in patterns {
            let matched: Vec<String> =
                catalog.actions_matching(&p).map(|a| format!("{}:{}", a.service().prefix(), a.name())).collect();
            let needed: Vec<String> = matched.iter().filter(|a| keeps(&lower(a))).cloned().collect();
            if matched.is_empty() || needed.len() == matched.len() {
                // Unknown to the catalogue (kept as written), or wholly needed.
                new.push(p);
            } else if needed.is_empty() {
                removed.push(p);
            } else {
                replaced.push(json!({"pattern": p, "by": needed}));
                new.extend(needed);
            }
        }
        new.sort();
        new.dedup();
        if new.is_empty() {
            continue;
        }
        stmt["Action"] = if new.len() == 1 { json!(new[0]) } else { json!(new) };
        kept_statements.push(stmt);
    }
    if removed.is_empty() && replaced.is_empty() {
        return Ok(None);
    }
    if kept_statements.is_empty() {
        return Ok(Some((None, removed, replaced)));
    }
    doc["Statement"] = Value::Array(kept_statements);
    Ok(Some((Some(doc), removed, replaced)))
}

fn replace_document(data: &mut AccountData, name: &str, document: &str) {
    if let Some(m) = data.managed_policies.get_mut(name) {
        m.document = document.to_string();
    }
    for account in data.accounts.values_mut() {
        let inline = account
            .users
            .values_mut()
            .flat_map(|u| u.inline.iter_mut())
            .chain(account.groups.values_mut().flat_map(|g| g.inline.iter_mut()))
            .chain(account.roles.values_mut().flat_map(|r| r.inline.iter_mut()));
        for d in inline {
            if d.name == name {
                d.document = document.to_string();
            }
        }
    }
}

/// A deleted policy is proved as an edit to a policy that allows nothing.
const EMPTY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iamspect:none","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":["true","false"]}}}]}"#;

fn edit(
    data: &AccountData,
    src: &Source,
    reports: &[Report],
    not_analysed: &[String],
    context: &[(String, Vec<String>)],
    prove: &dyn Fn(&AccountData) -> Result<Value, String>,
) -> Result<Edit, String> {
    // Each identity policy with the principals that hold it.
    let mut holders: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (_, arn) in principals(data) {
        let resolved = data.resolve_principal(&arn).map_err(|e| format!("{arn}: {e}"))?;
        for d in resolved.identity {
            holders.entry(d.name.clone()).or_insert_with(|| (d.document.clone(), Vec::new())).1.push(arn.clone());
        }
    }
    let by_arn: BTreeMap<&str, &Report> = reports.iter().map(|r| (r.arn.as_str(), r)).collect();
    let mut out = Edit { policies: Vec::new(), not_edited: Vec::new(), proofs: Vec::new() };
    let mut edited = data.clone();
    let mut changed: Vec<(String, String, Option<String>)> = Vec::new();
    for (name, (document, arns)) in &holders {
        let not: Vec<&String> = arns.iter().filter(|a| not_analysed.contains(a)).collect();
        if !not.is_empty() {
            out.not_edited.push(json!({"policy": name, "reason": format!("also held by {}, whose use was not given", not.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))}));
            continue;
        }
        let usages: Vec<&Usage> =
            arns.iter().filter_map(|a| by_arn.get(a.as_str())).filter_map(|r| src.usage.get(&r.key)).collect();
        if usages.len() != arns.len() {
            out.not_edited
                .push(json!({"policy": name, "reason": "a principal holding it has no usage record (internal)"}));
            continue;
        }
        let keeps = |a: &str| usages.iter().any(|u| u.keeps(a));
        match edit_document(document, &keeps) {
            Err(e) => out.not_edited.push(json!({"policy": name, "reason": format!("not read: {e}")})),
            Ok(None) => {}
            Ok(Some((doc, removed, replaced))) => {
                let text = doc.as_ref().map(|d| serde_json::to_string_pretty(d).unwrap_or_default());
                replace_document(&mut edited, name, text.as_deref().unwrap_or(EMPTY_POLICY));
                out.policies.push(json!({
                    "policy": name,
                    "holders": arns,
                    // AWS's own managed policies cannot be edited: the holders attach a policy
                    // of their own with the edited document instead.
                    "change": if name.starts_with("arn:aws:iam::aws:policy/") { "replace" } else if doc.is_some() { "edit" } else { "delete" },
                    "removed": removed,
                    "replaced": replaced,
                    "document": doc,
                }));
                changed.push((name.clone(), document.clone(), text));
            }
        }
    }
    // Proof 1: every observed request the current policies allow is still allowed.
    let proof = if changed.is_empty() {
        json!({
            "result": if src.requests == 0 { "NOT_CHECKED" } else { "PASS" },
            "requests": src.requests,
            "notAllowedCount": 0, "notAllowed": [], "notDecidedCount": 0, "notDecided": [],
            "deniedBeforeCount": 0, "deniedBefore": [],
        })
    } else {
        prove(&edited)?
    };
    out.proofs.push(("observedRequestsStillAllowed", proof));
    // Proof 2: each edited policy grants nothing its current version does not.
    let mut checks = Vec::new();
    let mut worst = "PASS";
    for (name, old, new) in &changed {
        let result = no_new_access(name, old, new.as_deref().unwrap_or(EMPTY_POLICY));
        let r = result["result"].as_str().unwrap_or("UNKNOWN").to_string();
        if r == "FAIL" || (r == "UNKNOWN" && worst == "PASS") {
            worst = if r == "FAIL" { "FAIL" } else { "UNKNOWN" };
        }
        checks.push(json!({"policy": name, "result": r, "message": result["message"]}));
    }
    out.proofs.push(("noNewAccess", json!({"result": worst, "policies": checks})));
    // Proof 3: what-can on the edited data leaves no reported unused action granted.
    let mut remaining = Vec::new();
    for r in reports {
        let unused: BTreeSet<String> = r.unused.values().flatten().map(|(a, _)| lower(a)).collect();
        if unused.is_empty() {
            continue;
        }
        let grants = granted(&edited, &r.arn, context).map_err(|e| format!("{}: after the edit: {e}", r.arn))?;
        for g in grants {
            if unused.contains(&lower(&g.name)) {
                remaining.push(json!({"principal": r.arn, "action": g.name}));
            }
        }
    }
    out.proofs.push((
        "unusedRemoved",
        json!({
            "result": if remaining.is_empty() { "PASS" } else { "PARTIAL" },
            "remaining": remaining,
            "message": if remaining.is_empty() { "no unused action is granted after the edit".to_string() } else {
                "these unused actions stay granted: a `NotAction` statement, a shared policy another holder needs, or a policy not edited grants them".to_string()
            },
        }),
    ));
    Ok(out)
}

fn no_new_access(name: &str, old: &str, new: &str) -> Value {
    use iamspect_symbolic::{Query, SolveOptions, harness};
    let parse = |text: &str| Policy::parse(name, text, PolicyType::Identity).map_err(|e| e.to_string());
    let (generated, current) = match (parse(new), parse(old)) {
        (Ok(n), Ok(o)) => (n, o),
        (Err(e), _) | (_, Err(e)) => return json!({"result": "UNKNOWN", "message": e}),
    };
    let query = match Query::no_new_access(&generated, &current, PolicyType::Identity) {
        Ok(q) => q,
        Err(u) => return json!({"result": "UNKNOWN", "message": u.to_string()}),
    };
    let granting = Arc::new(generated.clone());
    let denying = Arc::new(current.clone());
    let opts = SolveOptions { max_witnesses: 1, preferred_actions: &[] };
    let confirm =
        |w: &iamspect_symbolic::Witness| harness::confirms(w, &granting, Some(&denying), PolicyType::Identity);
    match query.solve(&opts, confirm) {
        Err(u) => json!({"result": "UNKNOWN", "message": u.to_string()}),
        Ok(s) if s.witnesses.is_empty() && s.rejected.is_empty() => {
            json!({"result": "PASS", "message": "grants nothing the current version does not"})
        }
        Ok(s) if s.witnesses.is_empty() => {
            json!({"result": "UNKNOWN", "message": "the search found requests the engine did not confirm"})
        }
        Ok(s) => json!({
            "result": "FAIL",
            "message": format!("allows what the current version does not: {}", s.witnesses.iter().map(|w| format!("{} on {}", w.action, w.resource)).collect::<Vec<_>>().join(", ")),
        }),
    }
}

/// Active access keys never used, or not used since `--since`, from the credential report.
fn access_keys(path: &std::path::Path, since: Option<Timestamp>) -> Result<Value, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let report = iamspect_audit::credentials::read(&text).map_err(|e| format!("{file}: {e}"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(report.csv.as_bytes());
    let headers = reader.headers().map_err(|e| format!("{file}: the CSV header: {e}"))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let mut cols = BTreeMap::new();
    for name in [
        "user",
        "arn",
        "access_key_1_active",
        "access_key_1_last_used_date",
        "access_key_1_last_rotated",
        "access_key_2_active",
        "access_key_2_last_used_date",
        "access_key_2_last_rotated",
    ] {
        let i = col(name).ok_or_else(|| format!("{file}: the credential report has no `{name}` column"))?;
        cols.insert(name, i);
    }
    let mut never = Vec::new();
    let mut not_since = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| format!("{file}: row {row}: {e}"))?;
        let get = |name: &str| cols.get(name).and_then(|&j| record.get(j)).unwrap_or("").trim().to_string();
        for k in ["1", "2"] {
            let active = get(&format!("access_key_{k}_active"));
            match active.as_str() {
                "true" | "TRUE" => {}
                "false" | "FALSE" => continue,
                other => {
                    return Err(format!("{file}: row {row}: `access_key_{k}_active` is `{other}`, not true or false"));
                }
            }
            let used = get(&format!("access_key_{k}_last_used_date"));
            let entry = json!({"user": get("arn"), "key": k.parse::<u8>().unwrap_or(0), "lastRotated": get(&format!("access_key_{k}_last_rotated")), "lastUsed": used});
            match used.as_str() {
                "N/A" | "no_information" | "" => never.push(entry),
                t => {
                    let time = t.parse::<Timestamp>().map_err(|e| {
                        format!("{file}: row {row}: `access_key_{k}_last_used_date` `{t}` is not a time: {e}")
                    })?;
                    if since.is_some_and(|s| time < s) {
                        not_since.push(entry);
                    }
                }
            }
        }
    }
    Ok(json!({"file": file, "neverUsed": never, "notUsedSince": not_since}))
}

#[allow(clippy::too_many_arguments, reason = "one printer for both formats")]
fn print(
    args: &Args,
    src: &Source,
    reports: &[Report],
    not_analysed: &[String],
    edit: &Edit,
    keys: Option<&Value>,
    clock: &str,
    since: Option<Timestamp>,
) {
    let no_activity: Vec<&str> = reports
        .iter()
        .filter(|r| {
            src.usage.get(&r.key).is_some_and(|u| {
                u.events == 0
                    && u.last_authenticated.as_deref().is_none_or(|t| in_window(Some(t), since, "").ok() != Some(true))
            })
        })
        .map(|r| r.arn.as_str())
        .collect();
    let principals: Vec<Value> = reports
        .iter()
        .map(|r| {
            let u = src.usage.get(&r.key);
            json!({
                "principal": r.arn,
                "type": r.key.1,
                "events": if args.cloudtrail.is_empty() { Value::Null } else { json!(u.map_or(0, |u| u.events)) },
                "lastAuthenticated": u.and_then(|u| u.last_authenticated.clone()),
                "granted": r.granted,
                "used": r.used,
                "unused": r.unused.iter().map(|((service, level), actions)| json!({
                    "service": service,
                    "accessLevel": level,
                    "actions": actions.iter().map(|(a, c)| json!({"action": a, "grant": if *c { "conditional" } else { "allowed" }})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "unknown": r.unknown.iter().map(|(a, why)| json!({"action": a, "reason": why})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let proofs: serde_json::Map<String, Value> = edit.proofs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let v = json!({
        "source": if args.cloudtrail.is_empty() { "lastAccessed" } else { "cloudtrail" },
        "since": args.since,
        "window": {"first": src.first, "last": src.last},
        "events": {"read": src.read, "inWindow": src.in_window},
        "evaluatedAt": clock,
        "principals": principals,
        "notAnalysed": not_analysed,
        "noActivity": no_activity,
        "accessKeys": keys,
        "edit": {"policies": edit.policies, "notEdited": edit.not_edited, "proofs": proofs},
        "notes": src.notes,
    });
    match args.format {
        Format::Json => crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default()),
        Format::Text => crate::output::print(&text(&v)),
    }
}

fn text(v: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut out = String::new();
    for p in list(&v["principals"]) {
        out.push_str(&format!(
            "{} ({}): {} granted actions, {} used, {} unused, {} of unknown use\n",
            s(&p["principal"]),
            s(&p["type"]),
            p["granted"],
            p["used"],
            list(&p["unused"]).iter().map(|g| list(&g["actions"]).len()).sum::<usize>(),
            list(&p["unknown"]).len()
        ));
        for g in list(&p["unused"]) {
            let actions: Vec<String> = list(&g["actions"]).iter().map(|a| s(&a["action"])).collect();
            out.push_str(&format!(
                "  unused {} ({}): {}\n",
                s(&g["service"]),
                s(&g["accessLevel"]),
                actions.join(", ")
            ));
        }
    }
    for arn in list(&v["noActivity"]) {
        out.push_str(&format!("no activity: {}\n", s(&arn)));
    }
    for arn in list(&v["notAnalysed"]) {
        out.push_str(&format!("not analysed (no usage given): {}\n", s(&arn)));
    }
    if v["accessKeys"].is_object() {
        for k in list(&v["accessKeys"]["neverUsed"]) {
            out.push_str(&format!("access key {} of {} never used\n", k["key"], s(&k["user"])));
        }
        for k in list(&v["accessKeys"]["notUsedSince"]) {
            out.push_str(&format!(
                "access key {} of {} not used since --since (last {})\n",
                k["key"],
                s(&k["user"]),
                s(&k["lastUsed"])
            ));
        }
    }
    for p in list(&v["edit"]["policies"]) {
        out.push_str(&format!(
            "edit {} ({}): remove {}",
            s(&p["policy"]),
            s(&p["change"]),
            list(&p["removed"]).iter().map(s).collect::<Vec<_>>().join(", ")
        ));
        for r in list(&p["replaced"]) {
            out.push_str(&format!(
                "; {} becomes {}",
                s(&r["pattern"]),
                list(&r["by"]).iter().map(s).collect::<Vec<_>>().join(", ")
            ));
        }
        out.push('\n');
    }
    for p in list(&v["edit"]["notEdited"]) {
        out.push_str(&format!("not edited {}: {}\n", s(&p["policy"]), s(&p["reason"])));
    }
    if let Some(proofs) = v["edit"]["proofs"].as_object() {
        for (k, p) in proofs {
            out.push_str(&format!("proof {k}: {}\n", s(&p["result"])));
        }
    }
    for n in list(&v["notes"]) {
        out.push_str(&format!("note: {}\n", s(&n)));
    }
    out
}
