//! The case file format (`shared/spec/case-format.md`): reading case files, resolving their
//! policies (inline, from the file's library, from `.json` paths, or AWS's built-in
//! `FullAWSAccess`/`RCPFullAWSAccess`), and checking decisions against `expect`.
//!
//! Each distinct policy text is compiled once per [`Compiler`], however many cases use it.
//!
//! ```
//! use std::path::Path;
//! use iamspect_case::{Compiler, load_str, run};
//!
//! let text = r#"{
//!   "principal": "arn:aws:iam::111122223333:user/alice",
//!   "action": "s3:GetObject",
//!   "resource": "arn:aws:s3:::logs/today",
//!   "identityPolicies": [{"Version": "2012-10-17",
//!     "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::logs/*"}}],
//!   "scps": [["FullAWSAccess"], [{"Version": "2012-10-17",
//!     "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
//!       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}}]],
//!   "context": {"aws:SecureTransport": false},
//!   "expect": {"decision": "explicitDeny", "deniedBy": ["scp"]}
//! }"#;
//! let mut compiler = Compiler::new();
//! let file = load_str(text, Path::new("case.json"), Path::new("."), &mut compiler)?;
//! let (_actual, pass) = run(&file.cases[0]);
//! assert!(pass, "the SCP's deny on plain HTTP decides");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod account;
pub mod check;
mod fast;
mod files;
mod gates;
mod raw;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamspect_core::policy::{FULL_AWS_ACCESS, MAX_POLICY_BYTES, RCP_FULL_AWS_ACCESS};
use iamspect_core::{
    Context, Decision, Denier, LineColumn, Outcome, Policies, Policy, PolicyType, Principal, PrincipalKind, Request,
    S3Acl, S3AclGrant, S3Settings, Span,
};
use serde_json::Value;
use serde_json::value::RawValue;

pub use account::{Source, account_case, combine, from_account_data, set_clock};
pub use fast::{InlineCase, inline_case, inline_case_with_refs};
pub use files::case_files;
pub use jiff::Timestamp;
pub use raw::Expect;
use raw::{RawCase, RawFile, RawPolicy, RawPrincipal};

/// The largest case file read (policies referenced by path have their own limit).
pub const MAX_CASE_FILE_BYTES: u64 = 16 << 20;

/// Why a case is invalid input. `code` is AWS-like (`MalformedPolicyDocument`, `LimitExceeded`,
/// `InvalidInput`); `expect.error` matches against `code: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseError {
    /// A short code.
    pub code: &'static str,
    /// What is wrong and where.
    pub message: String,
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

fn invalid(message: String) -> CaseError {
    CaseError { code: "InvalidInput", message }
}

/// How a policy stored elsewhere (a server's policy store) is named in a case: this prefix, then
/// the 64 lowercase hex digits of the SHA-256 of the policy's exact text.
pub const POLICY_ID_PREFIX: &str = "policy:sha256:";

/// The 32-byte digest a policy id (`policy:sha256:<64 lowercase hex digits>`) names, or `None`
/// if `id` is not one.
pub fn policy_id_digest(id: &str) -> Option<[u8; 32]> {
    let hex = id.strip_prefix(POLICY_ID_PREFIX)?.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// The id of a digest: [`POLICY_ID_PREFIX`] and the digest in lowercase hex.
pub fn policy_id(digest: &[u8; 32]) -> String {
    use std::fmt::Write;
    let mut id = String::with_capacity(POLICY_ID_PREFIX.len() + 64);
    id.push_str(POLICY_ID_PREFIX);
    for b in digest {
        let _ = write!(id, "{b:02x}");
    }
    id
}

/// Policies named in cases by id (`policy:sha256:<hex>`, see [`POLICY_ID_PREFIX`]) instead of
/// given inline: a server's store of policies its clients sent before.
///
/// Only the `*_with_refs` readers ([`case_from_str_with_refs`], [`inline_case_with_refs`]) look
/// ids up; everywhere else such a string is what it always was (an unknown policy name).
pub trait PolicyRefs {
    /// The policy of `digest` (the id's), compiled as a policy of `policy_type` (with `compiler`
    /// when it was not yet compiled as that type) and named by its id; `None` when no stored
    /// policy has this digest.
    fn policy(
        &self,
        digest: &[u8; 32],
        policy_type: PolicyType,
        compiler: &mut Compiler,
    ) -> Option<Result<Arc<Policy>, CaseError>>;
}

/// The contents of the JSON string `text` (raw JSON text), borrowed when it has no escape;
/// `None` if `text` is not a string.
pub(crate) fn json_string(text: &str) -> Option<Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.bytes().any(|b| b == b'\\' || b == b'"') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// Why a file could not be read at all (exit code 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong (with line and column where known).
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for FileError {}

/// A request with every policy that applies, ready to authorize.
#[derive(Clone, Debug)]
pub struct Built {
    /// The request.
    pub request: Request,
    /// The policies.
    pub policies: Policies,
    /// With account data, where each layer's policies came from ([`combine`]); empty otherwise.
    pub sources: Vec<Source>,
    /// What the checks against AWS's catalogue did to the request (context keys dropped), or that
    /// they were turned off (decision D54).
    pub notes: Vec<String>,
}

/// One case of a file.
#[derive(Clone, Debug)]
pub struct Case {
    /// Position in the file (0-based).
    pub index: usize,
    /// `description`.
    pub description: Option<String>,
    /// `expect`.
    pub expect: Option<Expect>,
    /// The request and policies, or why the case is invalid.
    pub built: Result<Built, CaseError>,
}

/// A case file.
#[derive(Clone, Debug)]
pub struct CaseFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's `description`.
    pub description: Option<String>,
    /// Its cases.
    pub cases: Vec<Case>,
}

/// Compiles policies once and remembers them by type, text, name and place.
///
/// Policies are found by a hash of their text, without copying it; a hit is confirmed by
/// comparing the whole text, so two different texts never share a compiled policy (a hash
/// collision only costs that comparison). The hash is seeded per compiler from the standard
/// library's random hasher keys.
pub struct Compiler {
    seed: u64,
    texts: ByHash<TextEntry>,
    /// Texts checked to be valid JSON values (and at least [`fast::PREFIX`] bytes long), with
    /// their nesting depth, by a hash of their first [`fast::PREFIX`] bytes: how
    /// [`inline_case`] finds known policies in a body without reading them.
    by_prefix: ByHash<Known>,
    compiled: usize,
    /// Whether requests are checked against AWS's catalogue (decision D54); on unless turned off
    /// for emulator and research use.
    pub catalog_check: bool,
    /// The number of entries of `texts`.
    text_count: usize,
    /// Tests: every text gets the same hash, so that every lookup is a collision.
    #[cfg(test)]
    collide: bool,
}

/// A text known to be a valid JSON value: its depth, and its whole hash (its key in
/// `Compiler::texts`).
#[derive(Clone, Debug)]
pub(crate) struct Known {
    pub(crate) text: Arc<str>,
    pub(crate) depth: u16,
    pub(crate) hash: u64,
}

/// Entries by a hash of their text (a few per hash when hashes collide).
type ByHash<T> = HashMap<u64, Vec<T>, foldhash::fast::FixedState>;

/// One distinct text and what was compiled from it.
struct TextEntry {
    text: Arc<str>,
    /// How deeply the text nests arrays and objects, once checked: `Some(None)` if it would not
    /// parse as a `serde_json::Value` on its own (see [`inline_case`]).
    json_depth: Option<Option<u16>>,
    /// One per type, name and place the text was compiled as.
    compiled: Vec<Compiled>,
}

struct Compiled {
    policy_type: PolicyType,
    name: Box<str>,
    origin: LineColumn,
    result: Result<Arc<Policy>, CaseError>,
}

impl Default for Compiler {
    fn default() -> Compiler {
        use std::hash::BuildHasher;
        Compiler {
            seed: std::collections::hash_map::RandomState::new().hash_one(0x1a3f_u64),
            texts: HashMap::default(),
            by_prefix: HashMap::default(),
            compiled: 0,
            catalog_check: true,
            text_count: 0,
            #[cfg(test)]
            collide: false,
        }
    }
}

impl Compiler {
    /// A new, empty cache.
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// Parses `text` as a policy of `policy_type`, or returns the earlier result for the same text.
    pub fn compile(&mut self, name: &str, text: &str, policy_type: PolicyType) -> Result<Arc<Policy>, CaseError> {
        self.compile_at(name, text, policy_type, LineColumn::START)
    }

    /// Like [`Compiler::compile`] for text that starts at `origin` of the file it was read from.
    pub fn compile_at(
        &mut self,
        name: &str,
        text: &str,
        policy_type: PolicyType,
        origin: LineColumn,
    ) -> Result<Arc<Policy>, CaseError> {
        self.compile_known(name, text, policy_type, origin, None)
    }

    /// [`Compiler::compile_at`], for a text that is (when `known` is given) the very text of a
    /// known entry: found without hashing or comparing it again.
    fn compile_known(
        &mut self,
        name: &str,
        text: &str,
        policy_type: PolicyType,
        origin: LineColumn,
        known: Option<&Known>,
    ) -> Result<Arc<Policy>, CaseError> {
        let entry = match known.and_then(|k| self.known_entry(k)) {
            Some(i) => i,
            None => self.entry(text),
        };
        let same = |c: &&Compiled| c.policy_type == policy_type && c.origin == origin && *c.name == *name;
        if let Some(hit) = entry.compiled.iter().find(same) {
            return hit.result.clone();
        }
        let result = Policy::parse_at(name, text, policy_type, origin).map(Arc::new).map_err(|errs| {
            let code = if errs.errors.iter().any(|e| e.message().contains("characters (")) {
                "LimitExceeded"
            } else {
                "MalformedPolicyDocument"
            };
            CaseError { code, message: format!("{} {}: {}", policy_type.description(), name, join_errors(&errs)) }
        });
        entry.compiled.push(Compiled { policy_type, name: name.into(), origin, result: result.clone() });
        self.compiled += 1;
        result
    }

    /// The entry of a known text, by its hash and identity.
    fn known_entry(&mut self, known: &Known) -> Option<&mut TextEntry> {
        self.texts.get_mut(&known.hash)?.iter_mut().find(|e| Arc::ptr_eq(&e.text, &known.text))
    }

    /// The entry of `text`, made (with the text copied) if it is new.
    fn entry(&mut self, text: &str) -> &mut TextEntry {
        let bucket = self.texts.entry(self.text_key(text)).or_default();
        let i = match bucket.iter().position(|e| *e.text == *text) {
            Some(i) => i,
            None => {
                bucket.push(TextEntry { text: text.into(), json_depth: None, compiled: Vec::new() });
                self.text_count += 1;
                bucket.len() - 1
            }
        };
        &mut bucket[i]
    }

    /// How deeply `text` nests arrays and objects, or `None` if it would not parse as a
    /// `serde_json::Value` on its own; remembered with the text.
    fn json_depth(&mut self, text: &str) -> Option<u16> {
        let entry = self.entry(text);
        if let Some(known) = entry.json_depth {
            return known;
        }
        let depth = fast::json_depth(text);
        entry.json_depth = Some(depth);
        let shared = Arc::clone(&entry.text);
        if let (Some(depth), Some(prefix)) = (depth, text.as_bytes().get(..fast::PREFIX)) {
            let known = Known { text: shared, depth, hash: self.text_key(text) };
            let bucket = self.by_prefix.entry(text_hash(self.seed, prefix)).or_default();
            // Only the last few texts with these first bytes are tried; the oldest goes.
            if bucket.len() >= fast::CANDIDATES {
                bucket.remove(0);
            }
            bucket.push(known);
        }
        depth
    }

    /// The known valid JSON text that `rest` starts with, and its depth: found by the hash of its
    /// first [`fast::PREFIX`] bytes (trying at most [`fast::CANDIDATES`] texts), or, for a short
    /// value, by the whole value's hash.
    fn known_prefix(&self, rest: &str) -> Option<Known> {
        if let Some(prefix) = rest.as_bytes().get(..fast::PREFIX)
            && let Some(candidates) = self.by_prefix.get(&text_hash(self.seed, prefix))
            && let Some(found) = candidates.iter().rev().find(|k| fast::continues_with(rest, &k.text))
        {
            return Some(found.clone());
        }
        let text = rest.get(..fast::short_value_len(rest)?)?;
        let hash = self.text_key(text);
        let entry = self.texts.get(&hash)?.iter().find(|e| *e.text == *text)?;
        let depth = entry.json_depth.flatten()?;
        Some(Known { text: Arc::clone(&entry.text), depth, hash })
    }

    /// The key of `text` in `texts`.
    fn text_key(&self, text: &str) -> u64 {
        #[cfg(test)]
        if self.collide {
            return 0;
        }
        text_hash(self.seed, text.as_bytes())
    }

    /// The number of distinct policies compiled.
    pub fn len(&self) -> usize {
        self.compiled
    }

    /// True if nothing was compiled yet.
    pub fn is_empty(&self) -> bool {
        self.compiled == 0
    }

    /// The number of distinct texts remembered (compiled, or only checked by [`inline_case`]):
    /// a bound on the memory kept, with [`Compiler::len`].
    pub fn texts(&self) -> usize {
        self.text_count
    }
}

/// A hash of `text` for [`Compiler`] (foldhash, seeded per compiler). Not cryptographic and not
/// needed to be: entries are confirmed by comparing the text.
pub(crate) fn text_hash(seed: u64, bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(seed).hash_one(bytes)
}

fn join_errors(errs: &iamspect_core::PolicyErrors) -> String {
    errs.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
}

/// Reads a case file from disk.
pub fn load_file(path: &Path, compiler: &mut Compiler) -> Result<CaseFile, FileError> {
    let text =
        read_limited(path, MAX_CASE_FILE_BYTES).map_err(|message| FileError { path: path.to_path_buf(), message })?;
    let base = path.parent().unwrap_or(Path::new("."));
    load_str(&text, path, base, compiler)
}

fn read_limited(path: &Path, limit: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > limit {
        return Err(format!("the file is {} bytes; at most {limit} are read", meta.len()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// Reads a case file from disk against account data: each case's principal and resource take
/// their policies from the data, and the case's own policies are added as AWS would combine them
/// ([`combine`]; a case whose policies cannot combine with the data's is invalid).
pub fn load_file_with_account_data(
    path: &Path,
    data: &iamspect_account::AccountData,
    compiler: &mut Compiler,
) -> Result<CaseFile, FileError> {
    let text =
        read_limited(path, MAX_CASE_FILE_BYTES).map_err(|message| FileError { path: path.to_path_buf(), message })?;
    let base = path.parent().unwrap_or(Path::new("."));
    load_str_with(&text, path, base, Some(data), compiler)
}

/// Reads case file text; `base` is where relative policy paths are resolved.
pub fn load_str(text: &str, path: &Path, base: &Path, compiler: &mut Compiler) -> Result<CaseFile, FileError> {
    load_str_with(text, path, base, None, compiler)
}

/// [`load_str`], against account data when `data` is given (see [`load_file_with_account_data`]).
pub fn load_str_with(
    text: &str,
    path: &Path,
    base: &Path,
    data: Option<&iamspect_account::AccountData>,
    compiler: &mut Compiler,
) -> Result<CaseFile, FileError> {
    let file_err = |message: String| FileError { path: path.to_path_buf(), message };
    let value: Value = serde_json::from_str(text).map_err(|e| file_err(format!("invalid JSON: {e}")))?;
    let Value::Object(obj) = &value else {
        return Err(file_err("a case file must hold a JSON object".to_string()));
    };
    let (description, library, raw_cases) = if obj.contains_key("cases") {
        let file: RawFile = serde_json::from_str(text).map_err(|e| file_err(e.to_string()))?;
        (file.description, file.policies.0, file.cases)
    } else {
        let whole: &RawValue = serde_json::from_str(text).map_err(|e| file_err(e.to_string()))?;
        (None, Default::default(), vec![whole])
    };
    if raw_cases.is_empty() {
        return Err(file_err("`cases` is empty: the file holds no case".to_string()));
    }
    let resolver = Resolver { library: &library, base, file_text: Some(text), placeholders: &[], refs: None, data };
    let mut cases = Vec::with_capacity(raw_cases.len());
    for (index, raw) in raw_cases.iter().enumerate() {
        cases.push(
            build_case(index, raw.get(), &resolver, compiler).map_err(|m| file_err(format!("case {index}: {m}")))?,
        );
    }
    Ok(CaseFile { path: path.to_path_buf(), description, cases })
}

/// Builds one case from its JSON text (as in a `.jsonl` batch line); relative policy paths are
/// resolved against `base`. The outer error means `expect` itself could not be read.
pub fn case_from_str(index: usize, text: &str, base: &Path, compiler: &mut Compiler) -> Result<Case, String> {
    let library = Default::default();
    // Batch lines keep positions relative to each policy, so equal policies compile once.
    build_case(
        index,
        text,
        &Resolver { library: &library, base, file_text: None, placeholders: &[], refs: None, data: None },
        compiler,
    )
}

/// [`case_from_str`] for a line of a batch: read in one pass by [`inline_case`] when it can (every
/// policy inline or built in, its known policies not read again), else the exact way. Both build
/// the same case (`tests/inline.rs`), so the answer and every error are the same.
pub fn batch_case(index: usize, text: &str, base: &Path, compiler: &mut Compiler) -> Result<Case, String> {
    match inline_case(text, compiler) {
        Some(read) => Ok(Case { index, ..read.case }),
        None => case_from_str(index, text, base, compiler),
    }
}

/// [`case_from_str`], where a policy may also be the id of a policy in `refs`
/// (`"policy:sha256:<hex>"`, see [`PolicyRefs`]): such a policy is named by its id, and an id
/// that `refs` does not hold makes the case invalid (`InvalidInput`, naming the field and the id).
pub fn case_from_str_with_refs(
    index: usize,
    text: &str,
    base: &Path,
    compiler: &mut Compiler,
    refs: &dyn PolicyRefs,
) -> Result<Case, String> {
    let library = Default::default();
    let resolver =
        Resolver { library: &library, base, file_text: None, placeholders: &[], refs: Some(refs), data: None };
    build_case(index, text, &resolver, compiler)
}

struct Resolver<'a> {
    library: &'a std::collections::BTreeMap<String, RawPolicy<'a>>,
    base: &'a Path,
    /// The case file's text, when inline policies should report positions in it.
    file_text: Option<&'a str>,
    /// [`inline_case`]: the inline policies a number stands for (empty otherwise).
    placeholders: &'a [(&'a str, Known)],
    /// Policies by id, when the caller has a store of them.
    refs: Option<&'a dyn PolicyRefs>,
    /// Account data the cases' principals and resources are read from, with the cases' policies
    /// on top ([`load_file_with_account_data`]).
    data: Option<&'a iamspect_account::AccountData>,
}

/// What [`PolicyRefs::policy`] found for the id `id` in `field`, as the case's result.
fn stored(found: Option<Result<Arc<Policy>, CaseError>>, field: &str, id: &str) -> Result<Arc<Policy>, CaseError> {
    match found {
        Some(Ok(policy)) => Ok(policy),
        Some(Err(e)) => Err(CaseError { code: e.code, message: format!("`{field}`: {}", e.message) }),
        None => Err(invalid(format!(
            "`{field}`: no stored policy has the id `{}` (register its text first)",
            id.trim_matches('"')
        ))),
    }
}

/// A policy's name, text, and where the text starts in the file it was read from.
/// With [`inline_case`], also the known text it is.
type Resolved<'t> = (Cow<'t, str>, Cow<'t, str>, LineColumn, Option<&'t Known>);

impl Resolver<'_> {
    /// Where `fragment` (a slice of the case file's text) starts in the file.
    fn origin(&self, fragment: &str) -> LineColumn {
        let Some(file) = self.file_text else { return LineColumn::START };
        let offset = (fragment.as_ptr() as usize).wrapping_sub(file.as_ptr() as usize);
        if offset <= file.len() { Span::line_column(file, offset) } else { LineColumn::START }
    }

    /// The stored policy that `raw` names by id, when it is a string with [`POLICY_ID_PREFIX`]
    /// and the caller gave [`PolicyRefs`]; `None` for any other policy.
    fn reference(
        &self,
        raw: &RawValue,
        field: &str,
        policy_type: PolicyType,
        compiler: &mut Compiler,
    ) -> Option<Result<Arc<Policy>, CaseError>> {
        let refs = self.refs?;
        let text = raw.get().trim();
        // The usual id, written without escapes: its digest straight from the text.
        if let Some(digest) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(policy_id_digest) {
            return Some(stored(refs.policy(&digest, policy_type, compiler), field, text));
        }
        let id = json_string(text)?;
        if !id.starts_with(POLICY_ID_PREFIX) {
            return None;
        }
        let Some(digest) = policy_id_digest(&id) else {
            return Some(Err(invalid(format!(
                "`{field}`: `{id}` is not a policy id (`{POLICY_ID_PREFIX}` and 64 lowercase hex digits)"
            ))));
        };
        Some(stored(refs.policy(&digest, policy_type, compiler), field, &id))
    }

    /// The policy's name, text and origin.
    fn resolve<'t>(&'t self, raw: &'t RawValue, fallback_name: &'t str) -> Result<Resolved<'t>, CaseError> {
        let text = raw.get().trim();
        if !self.placeholders.is_empty() && text.starts_with(|c: char| c.is_ascii_digit()) {
            let policy = text.parse::<usize>().ok().and_then(|i| self.placeholders.get(i));
            let (policy, known) = policy.ok_or_else(|| invalid(format!("{fallback_name}: no policy {text}")))?;
            return Ok((Cow::Borrowed(fallback_name), Cow::Borrowed(policy), LineColumn::START, Some(known)));
        }
        if !text.starts_with('"') {
            return Ok((Cow::Borrowed(fallback_name), Cow::Borrowed(text), self.origin(text), None));
        }
        let name: String = serde_json::from_str(text).map_err(|e| invalid(format!("{fallback_name}: {e}")))?;
        match name.as_str() {
            "FullAWSAccess" => return Ok((Cow::Owned(name), Cow::Borrowed(FULL_AWS_ACCESS), LineColumn::START, None)),
            "RCPFullAWSAccess" => {
                return Ok((Cow::Owned(name), Cow::Borrowed(RCP_FULL_AWS_ACCESS), LineColumn::START, None));
            }
            _ => {}
        }
        if let Some(entry) = self.library.get(&name) {
            let entry_text = entry.get().trim();
            if entry_text.starts_with('"') {
                let path: String =
                    serde_json::from_str(entry_text).map_err(|e| invalid(format!("policy `{name}`: {e}")))?;
                return self.read_path(&path).map(|t| (Cow::Owned(path), Cow::Owned(t), LineColumn::START, None));
            }
            return Ok((Cow::Owned(name), Cow::Borrowed(entry_text), self.origin(entry_text), None));
        }
        if name.ends_with(".json") {
            return self.read_path(&name).map(|t| (Cow::Owned(name), Cow::Owned(t), LineColumn::START, None));
        }
        Err(invalid(format!(
            "`{name}` is not a policy of the file's `policies`, a `.json` path, `FullAWSAccess` or `RCPFullAWSAccess`"
        )))
    }

    fn read_path(&self, path: &str) -> Result<String, CaseError> {
        let full = self.base.join(path);
        read_limited(&full, MAX_POLICY_BYTES as u64)
            .map_err(|m| invalid(format!("policy file `{}`: {m}", full.display())))
    }
}

fn build_case(index: usize, text: &str, resolver: &Resolver<'_>, compiler: &mut Compiler) -> Result<Case, String> {
    // `expect` and `description` are read first, so that an invalid case can still be checked
    // against `expect.error`.
    let loose: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    #[derive(serde::Deserialize)]
    struct ExpectOnly<'a> {
        #[serde(borrow)]
        expect: Option<&'a RawValue>,
    }
    let located: ExpectOnly<'_> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let expect = match located.expect {
        Some(raw) => {
            let at = resolver.origin(raw.get());
            let place = |m: String| format!("`expect` (line {}, column {}): {m}", at.line, at.column);
            let expect = serde_json::from_str::<Expect>(raw.get()).map_err(|e| place(e.to_string()))?;
            expect.validate().map_err(place)?;
            Some(expect)
        }
        None => None,
    };
    let description = loose.get("description").and_then(Value::as_str).map(str::to_string);
    let built = match serde_json::from_str::<RawCase>(text) {
        Ok(raw) => build(raw, resolver, compiler),
        Err(e) => Err(invalid(e.to_string())),
    };
    Ok(Case { index, description, expect, built })
}

fn build(mut raw: RawCase<'_>, resolver: &Resolver<'_>, compiler: &mut Compiler) -> Result<Built, CaseError> {
    if let Some(data) = resolver.data {
        return build_on_data(raw, data, resolver, compiler);
    }
    let principal = principal(std::mem::replace(&mut raw.principal, RawPrincipal::Text(String::new())))?;
    check::no_control("action", &raw.action)?;
    check::no_control("resource", &raw.resource)?;
    if let Some(account) = &raw.resource_account {
        check::resource_account("resourceAccount", &raw.resource, account)?;
    }
    let mut pairs = Vec::with_capacity(raw.context.0.len());
    for (key, value) in std::mem::take(&mut raw.context.0) {
        let values = context_values(&key, value)?;
        check::context(&key, &values)?;
        pairs.push((key, values));
    }
    let notes = catalog_notes(&raw.action, &raw.resource, &mut pairs, compiler)?;
    let mut context = Context::new();
    for (key, values) in pairs {
        context.insert(&key, values);
    }
    let request = Request::new(principal, &raw.action, &raw.resource, raw.resource_account.as_deref(), context)
        .map_err(|e| invalid(e.to_string()))?;
    let is_root = matches!(request.principal().kind, PrincipalKind::Root { .. });
    if is_root && (!raw.identity_policies.is_empty() || raw.permissions_boundary.is_some()) {
        return Err(invalid("the root user cannot have identity-based policies or a permissions boundary".to_string()));
    }
    let policies = case_policies(&raw, resolver, compiler)?;
    principal_takes(request.principal(), &policies)?;
    gates::vpc_known(&request, &policies)?;
    Ok(Built { request, policies, sources: Vec::new(), notes })
}

/// The note said when the catalogue check is off.
pub const CATALOG_CHECK_OFF: &str = "catalogue check off (--no-catalog-check): the action, the resource and the context keys were not checked against AWS's catalogue";

/// Runs [`check::catalog`] on a request unless the compiler has it turned off; the notes say what
/// it dropped, or that it was off (decision D54).
pub(crate) fn catalog_notes(
    action: &str,
    resource: &str,
    context: &mut Vec<(String, Vec<String>)>,
    compiler: &Compiler,
) -> Result<Vec<String>, CaseError> {
    if !compiler.catalog_check {
        return Ok(vec![CATALOG_CHECK_OFF.to_string()]);
    }
    check::catalog(action, resource, context)
}

/// Refuses the caller's own policies where the caller cannot have them, since AWS would weigh
/// none of them (decision D41): identity policies and a boundary need an IAM principal (not a
/// service, an identity provider or an anonymous caller), session policies a role session or a
/// federated user.
pub(crate) fn principal_takes(principal: &Principal, policies: &Policies) -> Result<(), CaseError> {
    let who = principal.arn();
    if !principal.is_iam() && (!policies.identity.is_empty() || policies.permissions_boundary.is_some()) {
        return Err(invalid(format!(
            "`{who}` is not an IAM principal, so it has no identity-based policies or permissions boundary for AWS to weigh; remove them"
        )));
    }
    let is_session = matches!(principal.kind, PrincipalKind::RoleSession { .. } | PrincipalKind::FederatedUser { .. });
    if !is_session && !policies.session.is_empty() {
        return Err(invalid(format!(
            "`{who}` is not a role session or a federated user, so it has no session policies for AWS to weigh (only `AssumeRole*` and `GetFederationToken` take them); remove them"
        )));
    }
    // Decision D55: AWS never attaches these.
    if matches!(principal.kind, PrincipalKind::Root { .. })
        && (!policies.identity.is_empty() || policies.permissions_boundary.is_some())
    {
        return Err(invalid(format!(
            "`{who}` is the root user, which has no identity-based policies or permissions boundary (IAM attaches them to users, groups and roles only); remove them"
        )));
    }
    if principal.service_linked_role && policies.permissions_boundary.is_some() {
        return Err(invalid(format!(
            "`{who}` is a service-linked role, which has no permissions boundary (\"You cannot set the boundary for a service-linked role\"); remove it"
        )));
    }
    Ok(())
}

/// A case read against account data: the request from the case, the principal's and the
/// resource's policies from the data, and the case's policies on top ([`combine`]).
fn build_on_data(
    mut raw: RawCase<'_>,
    data: &iamspect_account::AccountData,
    resolver: &Resolver<'_>,
    compiler: &mut Compiler,
) -> Result<Built, CaseError> {
    let RawPrincipal::Text(principal) = &raw.principal else {
        return Err(invalid(
            "with account data, `principal` is the principal's ARN (its tags and flags come from the data)".to_string(),
        ));
    };
    let principal = principal.clone();
    let mut context = Vec::new();
    for (key, value) in std::mem::take(&mut raw.context.0) {
        context.push((key.clone(), context_values(&key, value)?));
    }
    let mut from_data = from_account_data(
        data,
        &principal,
        &raw.action,
        &raw.resource,
        raw.resource_account.as_deref(),
        &context,
        compiler,
    )?;
    if let Some(ap) = &raw.access_point {
        gates::bucket_policy_from_data(&mut from_data, data, &ap.bucket, compiler)?;
    }
    let given = case_policies(&raw, resolver, compiler)?;
    let (mut built, sources) = combine(from_data, given, "case")?;
    gates::vpc_known(&built.request, &built.policies)?;
    built.sources = sources;
    Ok(built)
}

/// The policies a case gives, compiled.
fn case_policies(raw: &RawCase<'_>, resolver: &Resolver<'_>, compiler: &mut Compiler) -> Result<Policies, CaseError> {
    // Policies are named by their place (`identityPolicies[2]`), written into one buffer.
    let mut buffer = String::new();
    let mut one = |raw: &RawValue, name: std::fmt::Arguments<'_>, t: PolicyType| -> Result<Arc<Policy>, CaseError> {
        use std::fmt::Write;
        buffer.clear();
        let _ = buffer.write_fmt(name);
        if let Some(stored) = resolver.reference(raw, &buffer, t, compiler) {
            return stored;
        }
        let (name, text, origin, known) = resolver.resolve(raw, &buffer)?;
        compiler.compile_known(&name, &text, t, origin, known)
    };
    let resource_type = if iamspect_core::is_role_trust_request(&raw.action, &raw.resource) {
        PolicyType::Trust
    } else {
        PolicyType::Resource
    };
    let mut policies = Policies::default();
    for (i, p) in raw.identity_policies.iter().enumerate() {
        policies.identity.push(within_quota(one(p, format_args!("identityPolicies[{i}]"), PolicyType::Identity)?)?);
    }
    if let Some(p) = &raw.resource_policy {
        policies.resource = Some(one(p, format_args!("resourcePolicy"), resource_type)?);
    }
    if let Some(p) = &raw.permissions_boundary {
        policies.permissions_boundary =
            Some(within_quota(one(p, format_args!("permissionsBoundary"), PolicyType::PermissionsBoundary)?)?);
    }
    for (i, p) in raw.session_policies.iter().enumerate() {
        policies.session.push(one(p, format_args!("sessionPolicies[{i}]"), PolicyType::Session)?);
    }
    let mut levels = |levels: &Option<Vec<Vec<RawPolicy<'_>>>>,
                      field: &str,
                      t: PolicyType|
     -> Result<Option<Vec<Vec<Arc<Policy>>>>, CaseError> {
        let Some(levels) = levels else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(levels.len());
        for (l, level) in levels.iter().enumerate() {
            let mut ps = Vec::with_capacity(level.len());
            for (i, p) in level.iter().enumerate() {
                ps.push(one(p, format_args!("{field}[{l}][{i}]"), t)?);
            }
            out.push(ps);
        }
        Ok(Some(out))
    };
    policies.scps = levels(&raw.scps, "scps", PolicyType::Scp)?;
    policies.rcps = levels(&raw.rcps, "rcps", PolicyType::Rcp)?;
    let mut one = |raw: &RawValue, name: &str, t: PolicyType| -> Result<Arc<Policy>, CaseError> {
        if let Some(stored) = resolver.reference(raw, name, t, compiler) {
            return stored;
        }
        let (name, text, origin, known) = resolver.resolve(raw, name)?;
        compiler.compile_known(&name, &text, t, origin, known)
    };
    if let Some(p) = &raw.vpc_endpoint_policy {
        policies.vpc_endpoint = Some(one(p, "vpcEndpointPolicy", PolicyType::VpcEndpoint)?);
    }
    if let Some(ap) = &raw.access_point {
        let policy = ap.policy.map(|p| one(p, "accessPoint.policy", PolicyType::Resource)).transpose()?;
        policies.access_point = Some(gates::access_point(ap, policy, &raw.action, &raw.resource)?);
    }
    if raw.kms.as_ref().is_some_and(|k| k.default_key_policy) {
        policies.resource = Some(default_key_policy_for(raw, compiler)?);
    }
    if let Some(s3) = &raw.s3 {
        policies.s3 = Some(S3Settings {
            block_public_acls: s3.block_public_access.block_public_acls,
            ignore_public_acls: s3.block_public_access.ignore_public_acls,
            block_public_policy: s3.block_public_access.block_public_policy,
            restrict_public_buckets: s3.block_public_access.restrict_public_buckets,
            object_ownership: s3.object_ownership.clone(),
            acl: s3.acl.as_ref().map(|v| acl(&v.0)).transpose()?,
            bucket_abac_enabled: s3.bucket_abac_enabled,
            object_owner: gates::object_owner(raw, s3)?,
            object_acl: s3.object_acl.as_ref().map(|v| acl(&v.0)).transpose()?,
        });
    }
    policies.kms_aws_managed_key = raw.kms.as_ref().is_some_and(|k| k.aws_managed_key);
    policies.kms_grants = gates::kms_grants(raw.kms_grants.as_deref(), &raw.action, &raw.resource)?;
    Ok(policies)
}

/// The name AWS's default key policy is given when a case asks for it (decision D52).
pub const DEFAULT_KEY_POLICY_NAME: &str = "AWS default key policy";

/// AWS's default key policy for a key of `account`: the one statement `Enable IAM User
/// Permissions`, which allows `kms:*` to the account and so lets IAM policies grant access.
pub fn default_key_policy(account: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}}, "Action": "kms:*", "Resource": "*"}}]}}"#
    )
}

/// The default key policy a case asks for with `"kms": {"defaultKeyPolicy": true}`: only for a
/// request on a KMS key, and not together with `resourcePolicy` (decision D52).
fn default_key_policy_for(raw: &RawCase<'_>, compiler: &mut Compiler) -> Result<Arc<Policy>, CaseError> {
    if raw.resource_policy.is_some() {
        return Err(invalid(
            "`kms.defaultKeyPolicy` and `resourcePolicy` both give the key policy; a key has one (give one of them)"
                .to_string(),
        ));
    }
    let account = iamspect_core::Arn::parse(&raw.resource)
        .filter(|_| iamspect_core::is_kms_key_request(&raw.action, &raw.resource))
        .map(|a| a.account.to_string())
        .ok_or_else(|| {
            invalid(format!(
                "`kms.defaultKeyPolicy` is the key policy of a KMS key, and `{}` on `{}` is not a request on a key",
                raw.action, raw.resource
            ))
        })?;
    check::account_id("the key's account", &account)?;
    compiler.compile(DEFAULT_KEY_POLICY_NAME, &default_key_policy(&account), PolicyType::Resource)
}

/// An identity policy or boundary of a case within IAM's quota for a customer managed policy
/// (6,144 characters without whitespace). The core only warns above it, because AWS managed
/// policies are exempt; a case cannot say that its policy is one, so the quota applies here, and
/// AWS managed policies come from account data, where their ARN says so (decision D45).
fn within_quota(policy: Arc<Policy>) -> Result<Arc<Policy>, CaseError> {
    match policy.warnings().iter().find(|w| w.message().contains("characters (")) {
        Some(w) => Err(CaseError {
            code: "LimitExceeded",
            message: format!(
                "{} {}: {}; only AWS managed policies are larger, and those are read from account data, where their ARN says so",
                policy.policy_type().description(),
                policy.name(),
                w.message()
            ),
        }),
        None => Ok(policy),
    }
}

fn principal(raw: RawPrincipal) -> Result<Principal, CaseError> {
    let obj = match raw {
        RawPrincipal::Text(text) => return check::principal(&text),
        RawPrincipal::Object(obj) => obj,
    };
    let mut p = match (&obj.arn, &obj.service, &obj.federated) {
        (Some(arn), None, None) => {
            if !arn.starts_with("arn:") {
                return Err(invalid(format!("principal `arn` `{arn}` is not an ARN")));
            }
            check::principal(arn)?
        }
        (None, Some(service), None) => {
            check::service_principal(service)?;
            Principal::new(PrincipalKind::Service { name: service.clone() })
        }
        (None, None, Some(provider)) => {
            check::identity_provider(provider)?;
            Principal::new(PrincipalKind::Federated { provider: provider.clone() })
        }
        _ => {
            return Err(invalid(
                "a principal object needs exactly one of `arn`, `service` and `federated`".to_string(),
            ));
        }
    };
    p.tags = obj.tags.0.into_iter().collect();
    p.service_linked_role |= obj.service_linked_role;
    p.management_account = obj.management_account;
    p.id = obj.id;
    if let Some(parent) = obj.federated_by {
        match &mut p.kind {
            PrincipalKind::FederatedUser { parent_user, .. } => *parent_user = Some(parent),
            _ => {
                return Err(invalid("`federatedBy` is only for federated-user principals".to_string()));
            }
        }
    }
    Ok(p)
}

fn scalar(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn context_values(key: &str, value: raw::StrictValue) -> Result<Vec<String>, CaseError> {
    let bad =
        || invalid(format!("context key `{key}`: a value must be a string, number or boolean, or an array of them"));
    match value.0 {
        Value::Array(items) => items.into_iter().map(|v| scalar(v).ok_or_else(bad)).collect(),
        other => Ok(vec![scalar(other).ok_or_else(bad)?]),
    }
}

/// An ACL: a canned ACL name, or `{"grants": [{"grantee": ..., "permission": ...}]}`.
fn acl(value: &Value) -> Result<S3Acl, CaseError> {
    let grant = |grantee: &str, permission: &str| S3AclGrant {
        grantee: grantee.to_string(),
        permission: permission.to_string(),
    };
    match value {
        Value::String(canned) => {
            let grants = match canned.as_str() {
                "private"
                | "bucket-owner-full-control"
                | "bucket-owner-read"
                | "aws-exec-read"
                | "log-delivery-write" => vec![],
                "public-read" => vec![grant("AllUsers", "READ")],
                "public-read-write" => vec![grant("AllUsers", "READ"), grant("AllUsers", "WRITE")],
                "authenticated-read" => vec![grant("AuthenticatedUsers", "READ")],
                other => return Err(invalid(format!("`{other}` is not a canned ACL"))),
            };
            Ok(S3Acl { grants })
        }
        Value::Object(obj) => {
            // Read strictly: a misspelt key or permission would otherwise grant nothing, silently.
            if let Some(k) = obj.keys().find(|k| k.as_str() != "grants") {
                return Err(invalid(format!("an ACL object has only `grants`, not `{k}`")));
            }
            let list = obj
                .get("grants")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("an ACL object needs `grants`, an array".to_string()))?;
            let mut grants = Vec::new();
            for g in list {
                let Some(fields) = g.as_object() else {
                    return Err(invalid("an ACL grant is an object `{\"grantee\", \"permission\"}`".to_string()));
                };
                if let Some(k) = fields.keys().find(|k| !matches!(k.as_str(), "grantee" | "permission")) {
                    return Err(invalid(format!("an ACL grant has `grantee` and `permission`, not `{k}`")));
                }
                let grantee = g.get("grantee").and_then(Value::as_str).filter(|s| !s.is_empty());
                let permission = g.get("permission").and_then(Value::as_str);
                match (grantee, permission) {
                    (Some(grantee), Some(p @ ("READ" | "WRITE" | "READ_ACP" | "WRITE_ACP" | "FULL_CONTROL"))) => {
                        grants.push(grant(grantee, p))
                    }
                    (Some(_), Some(other)) => {
                        return Err(invalid(format!(
                            "`{other}` is not an ACL permission (READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL)"
                        )));
                    }
                    _ => {
                        return Err(invalid("an ACL grant needs `grantee` and `permission`".to_string()));
                    }
                }
            }
            Ok(S3Acl { grants })
        }
        _ => Err(invalid("`acl` must be a canned ACL name or an object with `grants`".to_string())),
    }
}

/// What a case produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actual {
    /// A decision.
    Decision(Outcome),
    /// The case was rejected.
    Error(CaseError),
}

impl Actual {
    /// The `deniedBy` names, in evaluation order.
    pub fn denied_by_names(&self) -> Vec<&'static str> {
        match self {
            Actual::Decision(o) => o.denied_by.iter().map(Denier::as_str).collect(),
            Actual::Error(_) => Vec::new(),
        }
    }
}

/// Runs a case; returns what came out and whether it is what `expect` says.
pub fn run(case: &Case) -> (Actual, bool) {
    let actual = match &case.built {
        Ok(b) => Actual::Decision(iamspect_core::authorize(&b.request, &b.policies)),
        Err(e) => Actual::Error(e.clone()),
    };
    let pass = case.expect.as_ref().is_some_and(|e| matches(e, &actual));
    (actual, pass)
}

/// Does `actual` satisfy `expect`?
pub fn matches(expect: &Expect, actual: &Actual) -> bool {
    match (expect, actual) {
        (Expect { error: Some(want), .. }, Actual::Error(e)) => {
            e.to_string().to_ascii_lowercase().contains(&want.to_ascii_lowercase())
        }
        (Expect { error: Some(_), .. }, Actual::Decision(_)) => false,
        (_, Actual::Error(_)) => false,
        (Expect { decision, denied_by, .. }, Actual::Decision(o)) => {
            let decision_ok = match decision.as_deref() {
                Some(d) => Decision::from_name(d) == Some(o.decision),
                None => true,
            };
            let denied_ok = match denied_by {
                Some(want) => {
                    let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
                    let got: BTreeSet<&str> = o.denied_by.iter().map(Denier::as_str).collect();
                    want == got
                }
                None => true,
            };
            decision_ok && denied_ok && (decision.is_some() || denied_by.is_some())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: &str =
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;
    const DENY: &str =
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}"#;

    #[test]
    fn text_hash_depends_on_every_byte_and_the_seed() {
        let base = "x".repeat(40);
        for i in 0..40 {
            let mut other = base.clone().into_bytes();
            other[i] = b'y';
            assert_ne!(text_hash(1, base.as_bytes()), text_hash(1, &other), "byte {i}");
        }
        assert_ne!(text_hash(1, b"abc"), text_hash(1, b"abc\0"));
        assert_ne!(text_hash(1, b""), text_hash(1, b"\0"));
        assert_ne!(text_hash(1, b"abc"), text_hash(2, b"abc"));
        assert_eq!(text_hash(7, base.as_bytes()), text_hash(7, base.as_bytes()));
    }

    #[test]
    fn colliding_texts_never_share_a_compiled_policy() {
        let mut c = Compiler { collide: true, ..Compiler::new() };
        let allow = c.compile("p", ALLOW, PolicyType::Identity).unwrap();
        let deny = c.compile("p", DENY, PolicyType::Identity).unwrap();
        assert!(!Arc::ptr_eq(&allow, &deny));
        assert_eq!(c.texts.len(), 1, "both texts are in one bucket");
        assert_eq!(c.texts(), 2);
        assert_eq!(c.len(), 2);
        // Each lookup finds its own text's policy, however often and in whatever order.
        for _ in 0..3 {
            assert!(Arc::ptr_eq(&c.compile("p", DENY, PolicyType::Identity).unwrap(), &deny));
            assert!(Arc::ptr_eq(&c.compile("p", ALLOW, PolicyType::Identity).unwrap(), &allow));
        }
        let request = Request::new(
            Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap(),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            None,
            Context::new(),
        )
        .unwrap();
        let decide = |p: &Arc<Policy>| {
            iamspect_core::authorize(&request, &Policies { identity: vec![Arc::clone(p)], ..Policies::default() })
                .decision
        };
        assert_eq!(decide(&c.compile("p", ALLOW, PolicyType::Identity).unwrap()), Decision::Allowed);
        assert_eq!(decide(&c.compile("p", DENY, PolicyType::Identity).unwrap()), Decision::ExplicitDeny);
        // An error is remembered with its own text too.
        let bad = c.compile("p", "{", PolicyType::Identity).unwrap_err();
        assert_eq!(c.compile("p", "{", PolicyType::Identity).unwrap_err(), bad);
        assert!(c.compile("p", ALLOW, PolicyType::Identity).is_ok());
    }

    #[test]
    fn same_text_differs_by_type_name_and_place() {
        let mut c = Compiler::new();
        let a = c.compile("a", ALLOW, PolicyType::Identity).unwrap();
        let b = c.compile("b", ALLOW, PolicyType::Identity).unwrap();
        let s = c.compile("a", ALLOW, PolicyType::Session).unwrap();
        let at = c.compile_at("a", ALLOW, PolicyType::Identity, LineColumn { line: 3, column: 1 }).unwrap();
        assert!(!Arc::ptr_eq(&a, &b) && !Arc::ptr_eq(&a, &s) && !Arc::ptr_eq(&a, &at));
        assert!(Arc::ptr_eq(&a, &c.compile("a", ALLOW, PolicyType::Identity).unwrap()));
        assert_eq!((c.len(), c.texts()), (4, 1));
    }

    /// Policies by id: one map, each text compiled once per type and named by its id.
    type CompiledByType = std::cell::RefCell<HashMap<([u8; 32], PolicyType), Arc<Policy>>>;
    struct Refs(HashMap<[u8; 32], &'static str>, CompiledByType);

    impl PolicyRefs for Refs {
        fn policy(
            &self,
            digest: &[u8; 32],
            policy_type: PolicyType,
            compiler: &mut Compiler,
        ) -> Option<Result<Arc<Policy>, CaseError>> {
            let text = self.0.get(digest)?;
            if let Some(p) = self.1.borrow().get(&(*digest, policy_type)) {
                return Some(Ok(Arc::clone(p)));
            }
            let result = compiler.compile(&policy_id(digest), text, policy_type);
            if let Ok(p) = &result {
                self.1.borrow_mut().insert((*digest, policy_type), Arc::clone(p));
            }
            Some(result)
        }
    }

    #[test]
    fn policies_by_id_read_alike_both_ways() {
        let (allow, deny) = ([1u8; 32], [2u8; 32]);
        let refs = Refs(HashMap::from([(allow, ALLOW), (deny, DENY)]), Default::default());
        let (allow_id, deny_id, unknown_id) = (policy_id(&allow), policy_id(&deny), policy_id(&[3; 32]));
        assert_eq!(policy_id_digest(&allow_id), Some(allow));
        assert_eq!(policy_id_digest(&allow_id.to_uppercase()), None);
        assert_eq!(policy_id_digest("policy:sha256:00"), None);
        let body = |ids: &[&str]| {
            let list: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
            format!(
                r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
                    "resource": "arn:aws:s3:::b/k", "identityPolicies": [{}], "scps": [["FullAWSAccess", "{}"]]}}"#,
                list.join(", "),
                ids[0]
            )
        };
        let exact = |text: &str| {
            let case = case_from_str_with_refs(0, text, Path::new("/none"), &mut Compiler::new(), &refs).unwrap();
            format!("{:?}", case.built)
        };
        let mut c = Compiler::new();
        for ids in [vec![allow_id.as_str()], vec![allow_id.as_str(), deny_id.as_str()]] {
            let text = body(&ids);
            let fast = inline_case_with_refs(&text, &mut c, &refs).unwrap();
            assert_eq!(format!("{:?}", fast.case.built), exact(&text));
            let built = fast.case.built.unwrap();
            assert_eq!(built.policies.identity[0].name(), allow_id);
            let want = if ids.len() == 1 { Decision::Allowed } else { Decision::ExplicitDeny };
            assert_eq!(iamspect_core::authorize(&built.request, &built.policies).decision, want);
        }
        // Unknown and malformed ids make the case invalid, naming the field and the id.
        for (id, says) in [(unknown_id.as_str(), "no stored policy"), ("policy:sha256:zz", "is not a policy id")] {
            let text = body(&[allow_id.as_str(), id]);
            let err = inline_case_with_refs(&text, &mut c, &refs).unwrap().case.built.unwrap_err();
            assert!(err.message.contains("identityPolicies[1]") && err.message.contains(id), "{err}");
            assert!(err.message.contains(says), "{err}");
            assert_eq!(format!("{:?}", Err::<(), _>(err)), exact(&text));
        }
        // Without a store an id is what it always was: a name the case cannot resolve.
        let text = body(&[allow_id.as_str()]);
        assert!(inline_case(&text, &mut c).is_none());
        assert!(case_from_str(0, &text, Path::new("/none"), &mut c).unwrap().built.is_err());
    }

    #[test]
    fn colliding_texts_are_told_apart_when_found_in_a_body() {
        let mut c = Compiler { collide: true, ..Compiler::new() };
        let long_allow = ALLOW.replace("s3:*", &format!("s3:{}*", "Get".repeat(60)));
        let long_deny = DENY.replace("s3:*", &format!("s3:{}*", "Get".repeat(60)));
        let body = format!(
            r#"{{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "*",
                "identityPolicies": [{long_allow}, {ALLOW}], "permissionsBoundary": {DENY}, "resourcePolicy": {long_deny}}}"#
        );
        let want = format!("{:?}", case_from_str(0, &body, Path::new("/none"), &mut Compiler::new()).unwrap());
        for round in 0..3 {
            let read = inline_case(&body, &mut c).unwrap();
            assert_eq!(read.known, if round == 0 { 0 } else { 4 });
            assert_eq!(format!("{:?}", read.case), want);
        }
        assert_eq!(c.texts.len(), 1, "every text in one bucket");
    }
}
