//! Reading CloudTrail files streaming and in parallel (decision D149): each file is read (and
//! gunzipped when it starts with gzip's magic bytes, as AWS writes `.json.gz` log files), its
//! records are cut out as raw JSON text without building the whole document, and each record is
//! parsed and handed to the caller one at a time. Files are shared out among threads; each thread
//! holds one file's bytes and one record at a time, so memory is bounded by the largest file per
//! thread, not by the number of events.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::events::{Event, MAX_EVENTS_FILE_BYTES, ReadError, is_record, walk};

/// What a streaming read found (the events went to the caller).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamReport {
    /// Files read.
    pub files: Vec<PathBuf>,
    /// Files named on their own that could not be read as events.
    pub errors: Vec<ReadError>,
    /// Files found in folders that are not CloudTrail events (skipped).
    pub skipped: Vec<ReadError>,
    /// Records handed to the caller.
    pub events: usize,
}

/// The file's bytes, gunzipped when it is gzip (one or several members, as `cat`ed files are).
pub(crate) fn file_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_EVENTS_FILE_BYTES {
        return Err(format!("the file is {} bytes; at most {MAX_EVENTS_FILE_BYTES} are read", meta.len()));
    }
    gunzip(std::fs::read(path).map_err(|e| e.to_string())?)
}

/// The bytes, gunzipped when they are gzip.
fn gunzip(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8));
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .take(MAX_EVENTS_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not valid gzip: {e}"))?;
    if out.len() as u64 > MAX_EVENTS_FILE_BYTES {
        return Err(format!("the file decompresses to more than {MAX_EVENTS_FILE_BYTES} bytes; at most that is read"));
    }
    Ok(out)
}

fn parse_error(e: &serde_json::Error) -> String {
    format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())
}

/// A CloudTrail Lake result row (`QueryResultRows[i]`, a list of one-column maps) as a record: a
/// row of one column holding a whole record as JSON text is that record; otherwise each column
/// is a top-level field, and a value that is JSON object or array text is parsed.
fn lake_row(row: &[BTreeMap<String, String>], at: &str) -> Result<Value, String> {
    let cells: Vec<(&String, &String)> = row.iter().flat_map(|m| m.iter()).collect();
    if let [(_, text)] = cells.as_slice()
        && let Ok(v) = serde_json::from_str::<Value>(text)
        && is_record(&v)
    {
        return Ok(v);
    }
    let mut record = serde_json::Map::new();
    for (column, text) in cells {
        let trimmed = text.trim_start();
        let value = if trimmed.starts_with('{') || trimmed.starts_with('[') {
            serde_json::from_str(text).map_err(|e| {
                format!("{at}, column `{column}`: not JSON ({e}); select nested fields as JSON text (`json_format`) or the whole event")
            })?
        } else {
            Value::String(text.clone())
        };
        record.insert(column.clone(), value);
    }
    let v = Value::Object(record);
    if is_record(&v) { Ok(v) } else { Err(format!("{at} has no `eventSource` and `eventName` columns")) }
}

/// Hands each record of one CloudTrail document held in memory (plain or gzip, any shape
/// [`stream_paths`] reads) to `each` with its index, in order; returns how many. This is what
/// each reading thread does with one file (and what `benches/stream.rs` measures).
pub fn stream_bytes(bytes: Vec<u8>, each: &mut dyn FnMut(usize, Value)) -> Result<usize, String> {
    stream_records(&gunzip(bytes)?, each)
}

/// The deepest nesting of arrays and objects a record may have (serde_json refuses more than 128).
const MAX_NESTING: usize = 100;

/// How deeply arrays and objects nest in a JSON text (brackets inside strings do not count).
fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Hands the records to `each` in order; returns how many.
fn hand_over(records: Vec<Value>, each: &mut dyn FnMut(usize, Value)) -> usize {
    let n = records.len();
    for (i, r) in records.into_iter().enumerate() {
        each(i, r);
    }
    n
}

/// Hands each record of the document in `bytes` to `each`, in order; returns how many. A
/// document that is refused hands over nothing (D161): the shapes whose records can be refused
/// one by one (arrays, `lookup-events` output, CloudTrail Lake rows, rarely large) are read
/// whole before the first is handed over, and a log file's `Records` (the large ones) is checked
/// as JSON as a whole, and for nesting, before its records are parsed one at a time.
pub(crate) fn stream_records(bytes: &[u8], each: &mut dyn FnMut(usize, Value)) -> Result<usize, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.trim_start().as_bytes().first().copied();
    match first {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| parse_error(&e))?;
            let mut held = Vec::with_capacity(items.len());
            for (n, raw) in items.into_iter().enumerate() {
                let v: Value = serde_json::from_str(raw.get()).map_err(|e| parse_error(&e))?;
                if !is_record(&v) {
                    return Err(format!(
                        "an array must hold CloudTrail records (objects with `eventSource` and `eventName`); item {n} is not one"
                    ));
                }
                held.push(v);
            }
            Ok(hand_over(held, each))
        }
        Some(b'{') => {
            let top: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|e| parse_error(&e))?;
            if let Some(raw) = top.get("Records") {
                let items: Vec<&RawValue> = serde_json::from_str(raw.get())
                    .map_err(|_| "`Records` must be an array of CloudTrail records".to_string())?;
                // The one way a record of valid JSON text can fail to parse is nesting deeper than
                // serde_json's limit: refuse such a file before handing over its first record.
                if let Some(i) = items.iter().position(|r| nesting(r.get().as_bytes()) > MAX_NESTING) {
                    return Err(format!("`Records[{i}]` is nested deeper than {MAX_NESTING} levels"));
                }
                let mut n = 0;
                for raw in items {
                    each(n, serde_json::from_str(raw.get()).map_err(|e| parse_error(&e))?);
                    n += 1;
                }
                return Ok(n);
            }
            if let Some(raw) = top.get("Events") {
                let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
                    "`Events` must be an array (as `aws cloudtrail lookup-events` prints it)".to_string()
                })?;
                let mut held = Vec::with_capacity(items.len());
                for (i, raw) in items.into_iter().enumerate() {
                    let e: Value = serde_json::from_str(raw.get()).map_err(|e| parse_error(&e))?;
                    let record = match e.get("CloudTrailEvent") {
                        Some(Value::String(text)) => serde_json::from_str(text)
                            .map_err(|err| format!("`Events[{i}].CloudTrailEvent` is not JSON: {err}"))?,
                        Some(obj @ Value::Object(_)) => obj.clone(),
                        _ => return Err(format!("`Events[{i}]` has no `CloudTrailEvent`")),
                    };
                    held.push(record);
                }
                return Ok(hand_over(held, each));
            }
            if let Some(raw) = top.get("QueryResultRows") {
                // CloudTrail Lake: `aws cloudtrail get-query-results` output.
                if let Some(status) = top.get("QueryStatus").and_then(|s| serde_json::from_str::<String>(s.get()).ok())
                    && status != "FINISHED"
                {
                    return Err(format!("`QueryStatus` is `{status}`; only a FINISHED query's results are read"));
                }
                if top.get("NextToken").is_some_and(|t| t.get() != "null") {
                    return Err("`NextToken` is set: the rows of the next pages are missing; give the CLI's whole (paginated) output".to_string());
                }
                let rows: Vec<Vec<BTreeMap<String, String>>> = serde_json::from_str(raw.get())
                    .map_err(|e| format!("`QueryResultRows` must be rows of column-value maps: {e}"))?;
                let mut held = Vec::with_capacity(rows.len());
                for (i, row) in rows.iter().enumerate() {
                    held.push(lake_row(row, &format!("`QueryResultRows[{i}]`"))?);
                }
                return Ok(hand_over(held, each));
            }
            let v: Value = serde_json::from_str(text).map_err(|e| parse_error(&e))?;
            if is_record(&v) {
                each(0, v);
                Ok(1)
            } else {
                Err("not CloudTrail events: expected `Records` (a log file), `Events` (lookup-events output), `QueryResultRows` (CloudTrail Lake results) or a record".to_string())
            }
        }
        _ => Err("not CloudTrail events: the file holds neither an object nor an array".to_string()),
    }
}

/// A file's index and whether it was read.
type Outcome = (usize, Result<(), String>);

/// Reads every file under `paths` on `threads` threads, handing each record to `each` with the
/// thread's own state (made by `init`); `progress(bytes done, bytes in all)` is called after
/// each file. The states come back in no particular order: callers combine them so that the
/// order does not matter. A file that is refused hands over no record (D161); its error is
/// reported, and callers refuse the whole input when a named file fails.
pub fn stream_paths<S: Send>(
    paths: &[PathBuf],
    threads: usize,
    progress: &(dyn Fn(u64, u64) + Sync),
    init: &(dyn Fn() -> S + Sync),
    each: &(dyn Fn(&mut S, Event) + Sync),
) -> (Vec<S>, StreamReport) {
    let mut report = StreamReport::default();
    let mut files = Vec::new();
    for p in paths {
        walk(p, true, &mut files, &mut report.errors);
    }
    let sizes: Vec<u64> = files.iter().map(|(f, _)| std::fs::metadata(f).map_or(0, |m| m.len())).collect();
    let total: u64 = sizes.iter().sum();
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let events = AtomicUsize::new(0);
    let threads = threads.clamp(1, files.len().max(1));
    let results: Vec<(S, Vec<Outcome>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut state = init();
                    let mut outcomes = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, _)) = files.get(i) else { break };
                        let label = path.display().to_string();
                        let outcome = file_bytes(path).and_then(|bytes| {
                            stream_records(&bytes, &mut |n, record| {
                                each(&mut state, Event { source: format!("{label}#{n}"), record });
                            })
                        });
                        if let Ok(n) = &outcome {
                            events.fetch_add(*n, Ordering::Relaxed);
                        }
                        let size = sizes.get(i).copied().unwrap_or(0);
                        progress(done.fetch_add(size, Ordering::Relaxed) + size, total);
                        outcomes.push((i, outcome.map(|_| ())));
                    }
                    (state, outcomes)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut states = Vec::new();
    for (s, o) in results {
        states.push(s);
        outcomes.extend(o);
    }
    if outcomes.len() != files.len() {
        report.errors.push(ReadError {
            path: PathBuf::from("-"),
            message: "a reading thread stopped before its files were read".to_string(),
        });
    }
    outcomes.sort_by_key(|(i, _)| *i);
    for (i, outcome) in outcomes {
        let Some((path, named)) = files.get(i) else { continue };
        match outcome {
            Ok(()) => report.files.push(path.clone()),
            Err(message) if *named => report.errors.push(ReadError { path: path.clone(), message }),
            Err(message) => report.skipped.push(ReadError { path: path.clone(), message }),
        }
    }
    report.events = events.into_inner();
    (states, report)
}

/// Where a record was read: the file's index among the files found (in the order of the paths
/// given, folders sorted by name) and the record's index in its file. Sorting by it gives the
/// order a sequential read would have seen the records in.
pub type Position = (usize, usize);

/// What a worker sends the delivering thread: the file's index, its items or error, its records.
type FileItems<T> = (usize, Result<Vec<T>, String>);

/// Like [`stream_paths`], but `each` may turn a record into an item, and the items of each file
/// are handed to `deliver` on the calling thread in file order, once the file was read whole (a
/// file that fails hands over nothing, so a skipped file counts for nothing). At most
/// `2 × threads` files' items wait to be delivered (a thread ahead of the oldest file still
/// being read waits), so memory stays bounded by a few files' items whatever the input's size.
/// Decision D157.
pub fn stream_paths_ordered<S: Send, T: Send>(
    paths: &[PathBuf],
    threads: usize,
    progress: &(dyn Fn(u64, u64) + Sync),
    init: &(dyn Fn() -> S + Sync),
    each: &(dyn Fn(&mut S, Position, Event) -> Option<T> + Sync),
    deliver: &mut dyn FnMut(&Path, Vec<T>),
) -> (Vec<S>, StreamReport) {
    use std::sync::{Condvar, Mutex, PoisonError, mpsc};
    let mut report = StreamReport::default();
    let mut files = Vec::new();
    for p in paths {
        walk(p, true, &mut files, &mut report.errors);
    }
    let sizes: Vec<u64> = files.iter().map(|(f, _)| std::fs::metadata(f).map_or(0, |m| m.len())).collect();
    let total: u64 = sizes.iter().sum();
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let events = AtomicUsize::new(0);
    let threads = threads.clamp(1, files.len().max(1));
    let window = threads.saturating_mul(2);
    // How many files were delivered; a thread waits before reading file `i` until `i < delivered + window`.
    let delivered = Mutex::new(0usize);
    let moved = Condvar::new();
    // Set when a thread unwinds, so that the threads waiting for its file stop waiting.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let mut outcomes: Vec<Option<Result<(), String>>> = vec![None; files.len()];
    let states: Vec<S> = std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<FileItems<T>>();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (files, sizes, next, done, events, delivered, moved, stopped) =
                    (&files, &sizes, &next, &done, &events, &delivered, &moved, &stopped);
                scope.spawn(move || {
                    let _unwinding = Unwinding(stopped, delivered, moved);
                    let mut state = init();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, _)) = files.get(i) else { break };
                        {
                            let mut d = delivered.lock().unwrap_or_else(PoisonError::into_inner);
                            while i >= d.saturating_add(window) && !stopped.load(Ordering::Relaxed) {
                                d = moved.wait(d).unwrap_or_else(PoisonError::into_inner);
                            }
                        }
                        if stopped.load(Ordering::Relaxed) {
                            break;
                        }
                        let label = path.display().to_string();
                        let mut items = Vec::new();
                        let outcome = file_bytes(path).and_then(|bytes| {
                            stream_records(&bytes, &mut |n, record| {
                                let event = Event { source: format!("{label}#{n}"), record };
                                if let Some(item) = each(&mut state, (i, n), event) {
                                    items.push(item);
                                }
                            })
                        });
                        if let Ok(n) = &outcome {
                            events.fetch_add(*n, Ordering::Relaxed);
                        }
                        let size = sizes.get(i).copied().unwrap_or(0);
                        progress(done.fetch_add(size, Ordering::Relaxed) + size, total);
                        if tx.send((i, outcome.map(|_| items))).is_err() {
                            break;
                        }
                    }
                    state
                })
            })
            .collect();
        drop(tx);
        // Deliver in file order; hold the files read ahead of the oldest one still being read.
        let mut pending: BTreeMap<usize, Result<Vec<T>, String>> = BTreeMap::new();
        let mut first = 0usize;
        for (i, result) in rx {
            pending.insert(i, result);
            while let Some(result) = pending.remove(&first) {
                match result {
                    Ok(items) => {
                        if let Some((path, _)) = files.get(first) {
                            deliver(path, items);
                        }
                        outcomes[first] = Some(Ok(()));
                    }
                    Err(e) => outcomes[first] = Some(Err(e)),
                }
                first += 1;
                *delivered.lock().unwrap_or_else(PoisonError::into_inner) = first;
                moved.notify_all();
            }
        }
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if states.len() != threads || outcomes.iter().any(Option::is_none) {
        report.errors.push(ReadError {
            path: PathBuf::from("-"),
            message: "a reading thread stopped before its files were read".to_string(),
        });
    }
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let (Some((path, named)), Some(outcome)) = (files.get(i), outcome) else { continue };
        match outcome {
            Ok(()) => report.files.push(path.clone()),
            Err(message) if *named => report.errors.push(ReadError { path: path.clone(), message }),
            Err(message) => report.skipped.push(ReadError { path: path.clone(), message }),
        }
    }
    report.events = events.into_inner();
    (states, report)
}

/// Tells the other reading threads to stop when the thread holding it unwinds.
struct Unwinding<'a>(&'a std::sync::atomic::AtomicBool, &'a std::sync::Mutex<usize>, &'a std::sync::Condvar);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Under the lock, so that no thread checks the flag and then misses the wake-up.
            let _held = self.1.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.0.store(true, Ordering::Relaxed);
            self.2.notify_all();
        }
    }
}

/// A 128-bit hash of the record's JSON text (two SipHash states with different starts fed the
/// same bytes), to tell identical records apart from different ones without keeping them: the
/// text is the record as read (keys in their order), so records that differ in any way differ.
pub fn record_hash(record: &Value) -> u128 {
    use std::hash::Hasher as _;
    struct Hash128(std::hash::DefaultHasher, std::hash::DefaultHasher);
    impl std::io::Write for Hash128 {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            self.1.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut second = std::hash::DefaultHasher::new();
    second.write_u64(0x9e37_79b9_7f4a_7c15);
    let mut h = Hash128(std::hash::DefaultHasher::new(), second);
    // Writing to a hasher cannot fail.
    let _ = serde_json::to_writer(&mut h, record);
    (u128::from(h.0.finish()) << 64) | u128::from(h.1.finish())
}
