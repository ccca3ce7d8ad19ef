//! Reading CloudTrail events: log files (`{"Records": [...]}`), `aws cloudtrail lookup-events`
//! output (`{"Events": [{"CloudTrailEvent": "<json>"}]}`), a bare array of records, a single
//! record, and folders of such files.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The largest events file read.
pub const MAX_EVENTS_FILE_BYTES: u64 = 512 << 20;

/// One CloudTrail record and where it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// `FILE#INDEX`: the file and the record's position in it.
    pub source: String,
    /// The record.
    pub record: Value,
}

/// A file that could not be read as CloudTrail events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// What reading found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadReport {
    /// Every record, in file order.
    pub events: Vec<Event>,
    /// Files read.
    pub files: Vec<PathBuf>,
    /// Files named on their own that could not be read as events.
    pub errors: Vec<ReadError>,
    /// Files found in folders that are not CloudTrail events (skipped).
    pub skipped: Vec<ReadError>,
}

/// Collects the files under `path`; the flag says whether the file was named itself (rather
/// than found in a folder).
pub(crate) fn walk(path: &Path, named: bool, out: &mut Vec<(PathBuf, bool)>, errors: &mut Vec<ReadError>) {
    if path.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                errors.push(ReadError { path: path.to_path_buf(), message: e.to_string() });
                return;
            }
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            // In folders only JSON files are read; a file named on the command line is read whatever its name.
            if p.is_dir() || name.ends_with(".json") || name.ends_with(".json.gz") {
                walk(&p, false, out, errors);
            }
        }
    } else if path.exists() {
        out.push((path.to_path_buf(), named));
    } else {
        errors.push(ReadError { path: path.to_path_buf(), message: "no such file or folder".to_string() });
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = crate::stream::file_bytes(path)?;
    serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))
}

pub(crate) fn is_record(v: &Value) -> bool {
    v.get("eventSource").is_some_and(Value::is_string) && v.get("eventName").is_some_and(Value::is_string)
}

/// The records a JSON document holds: `Records` of a log file, `Events[].CloudTrailEvent` of
/// `lookup-events` output (a JSON string or an object), an array of records, or one record.
pub fn records_of(v: Value) -> Result<Vec<Value>, String> {
    match v {
        Value::Object(mut obj) => {
            if let Some(records) = obj.remove("Records") {
                let Value::Array(records) = records else {
                    return Err("`Records` must be an array of CloudTrail records".to_string());
                };
                return Ok(records);
            }
            if let Some(events) = obj.remove("Events") {
                let Value::Array(events) = events else {
                    return Err("`Events` must be an array (as `aws cloudtrail lookup-events` prints it)".to_string());
                };
                let mut out = Vec::with_capacity(events.len());
                for (i, e) in events.into_iter().enumerate() {
                    match e.get("CloudTrailEvent") {
                        Some(Value::String(text)) => out.push(
                            serde_json::from_str(text)
                                .map_err(|err| format!("`Events[{i}].CloudTrailEvent` is not JSON: {err}"))?,
                        ),
                        Some(obj @ Value::Object(_)) => out.push(obj.clone()),
                        _ => return Err(format!("`Events[{i}]` has no `CloudTrailEvent`")),
                    }
                }
                return Ok(out);
            }
            let v = Value::Object(obj);
            if is_record(&v) {
                Ok(vec![v])
            } else {
                Err("not CloudTrail events: expected `Records` (a log file), `Events` (lookup-events output) or a record".to_string())
            }
        }
        Value::Array(items) => {
            if items.iter().all(is_record) {
                Ok(items)
            } else {
                Err("an array must hold CloudTrail records (objects with `eventSource` and `eventName`)".to_string())
            }
        }
        _ => Err("not CloudTrail events: the file holds neither an object nor an array".to_string()),
    }
}

/// True if the file (or every JSON file under the folder, and at least one) holds CloudTrail
/// events. Used to tell events from account data on the command line.
pub fn is_events_path(path: &Path) -> bool {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(path, true, &mut files, &mut errors);
    !files.is_empty()
        && errors.is_empty()
        && files.iter().all(|(f, _)| read_json(f).ok().is_some_and(|v| looks_like_events(&v)))
}

fn looks_like_events(v: &Value) -> bool {
    v.get("Records").is_some_and(Value::is_array)
        || v.get("QueryResultRows").is_some_and(Value::is_array)
        || v.get("Events")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().all(|x| x.get("CloudTrailEvent").is_some()))
        || is_record(v)
        || v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(is_record))
}

/// Reads every file under `paths`.
pub fn read_paths(paths: &[PathBuf]) -> ReadReport {
    let mut report = ReadReport::default();
    let mut files = Vec::new();
    for p in paths {
        walk(p, true, &mut files, &mut report.errors);
    }
    for (path, named) in files {
        let mut records = Vec::new();
        let records = crate::stream::file_bytes(&path)
            .and_then(|bytes| crate::stream::stream_records(&bytes, &mut |_, r| records.push(r)))
            .map(|_| records);
        match records {
            Ok(records) => {
                let label = path.display().to_string();
                for (i, record) in records.into_iter().enumerate() {
                    report.events.push(Event { source: format!("{label}#{i}"), record });
                }
                report.files.push(path);
            }
            Err(message) if named => report.errors.push(ReadError { path, message }),
            Err(message) => report.skipped.push(ReadError { path, message }),
        }
    }
    report
}

/// The error codes of denials by authorization (with or without EC2's `Client.` prefix): what
/// `replay`, `replay --summary` and the web page's denial trends (`web/denials.js`, which a test
/// holds to this list) count as denials (decision D160).
pub const DENIAL_CODES: [&str; 7] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "VpceAccessDenied",
    "AuthorizationError",
    "AuthorizationErrorException",
    "UnauthorizedAccess",
];

/// The event's `errorCode` if it is an authorization denial.
pub fn denial_code(record: &Value) -> Option<&str> {
    let code = record.get("errorCode")?.as_str()?;
    let bare = code.strip_prefix("Client.").unwrap_or(code);
    DENIAL_CODES.contains(&bare).then_some(code)
}
