//! One case from JSON text in a single parse, for callers that decide many requests whose
//! bodies differ (the server's `POST /v1/authorize`).
//!
//! [`crate::case_from_str`] reads its text three times (a `serde_json::Value` for `expect` and
//! `description`, then the strict case) and is exact for every input, valid or not.
//! [`inline_case`] reads the strict case once, and answers only when it can prove that
//! `case_from_str` would build the same case: every policy inline (or AWS's built-in
//! `FullAWSAccess`/`RCPFullAWSAccess`), the whole text a valid `serde_json::Value`, and `expect`
//! readable. Otherwise it returns `None` and the caller takes the exact path, which also writes
//! the error messages; so errors are unchanged, and only valid inline cases get faster.
//!
//! The one thing the single parse does not check by itself is the inline policies: they are kept
//! as raw text, which serde_json validates less strictly than a `Value` (numbers out of range,
//! lone surrogates, nesting deeper than 127). Each distinct policy text is checked once, the first
//! time it is seen, and the verdict is kept in the [`Compiler`] with the compiled policy.
//!
//! Policies are most of a body (13 of the 14 KB of the realistic case) and usually the same from
//! request to request, so the parse skips the ones it knows: a first pass ([`skeleton`]) walks the
//! case's top-level fields and, at each policy's place, looks for a known text that the body
//! continues with (by a hash of its first [`PREFIX`] bytes, confirmed by comparing every byte),
//! and writes the body again with each such policy replaced by a number, its index in a list
//! (unknown policies stay, and are read and checked as without a skeleton).
//! serde_json then reads this skeleton, a few hundred bytes, and each number stands for its
//! policy. Replacing a valid JSON value by a number at the place of a value keeps the text valid
//! or invalid alike (the depth is checked apart), so the skeleton reads as the body would; the
//! pass gives up (and the body is read whole) on anything it is not sure of: a key with an
//! escape, a number where a policy goes, text after the case.

use std::cell::RefCell;
use std::fmt::{self, Write};
use std::path::Path;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use crate::raw::RawCase;
use crate::{Case, Compiler, Known, POLICY_ID_PREFIX, PolicyRefs, Resolver, build};

/// The deepest nesting of arrays and objects a `serde_json::Value` accepts (serde_json's
/// recursion limit).
const MAX_VALUE_DEPTH: u16 = 127;
/// Known policies are found by a hash of this many first bytes (shorter ones by their whole
/// text, after finding where they end).
pub(crate) const PREFIX: usize = 128;
/// Texts kept (the latest) and compared at most when several known policies share their first
/// [`PREFIX`] bytes.
pub(crate) const CANDIDATES: usize = 32;

/// Whether `rest` starts with `text`: the last 16 bytes first (texts that share their first
/// bytes often differ near the end), then every byte.
pub(crate) fn continues_with(rest: &str, text: &str) -> bool {
    let (rest, text) = (rest.as_bytes(), text.as_bytes());
    let Some(head) = rest.get(..text.len()) else { return false };
    let tail = text.len().saturating_sub(16);
    head.get(tail..) == text.get(tail..) && head == text
}

/// What [`inline_case`] read.
#[derive(Debug)]
pub struct InlineCase {
    /// The case, the same as [`crate::case_from_str`] builds from the text.
    pub case: Case,
    /// True if the case names at least one policy, `s3` or `kms` (false may still mean the fields
    /// are present, as `null` or `[]`).
    pub has_policies: bool,
    /// How many policies were known from earlier cases and not read again.
    pub known: usize,
}

/// The case of `text` in one parse, when every policy is inline or built in and the text is a
/// valid case; `None` for anything else (the caller then uses [`crate::case_from_str`] or its own
/// exact path, for the answer and the error). Never reads a file.
pub fn inline_case(text: &str, compiler: &mut Compiler) -> Option<InlineCase> {
    with_buffer(|buffer| read(text, compiler, buffer, None))
}

/// [`inline_case`], where a policy may also be the id of a policy in `refs` (as in
/// [`crate::case_from_str_with_refs`], which builds the same case from the same text): an id is
/// looked up by its digest, and neither the policy's text nor the id is copied.
pub fn inline_case_with_refs(text: &str, compiler: &mut Compiler, refs: &dyn PolicyRefs) -> Option<InlineCase> {
    with_buffer(|buffer| read(text, compiler, buffer, Some(refs)))
}

/// Runs `f` with this thread's skeleton buffer (empty).
fn with_buffer(f: impl FnOnce(&mut String) -> Option<InlineCase>) -> Option<InlineCase> {
    thread_local! {
        /// The skeleton's buffer, kept from case to case.
        static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
    }
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let read = f(&mut buffer);
            if buffer.capacity() > 1 << 16 {
                *buffer = String::new();
            }
            read
        }
        Err(_) => f(&mut String::new()),
    })
}

/// [`inline_case`], with `buffer` (empty) for the skeleton.
fn read(text: &str, compiler: &mut Compiler, buffer: &mut String, refs: Option<&dyn PolicyRefs>) -> Option<InlineCase> {
    let mut known: Vec<(&str, Known)> = Vec::with_capacity(16);
    let skeleton = skeleton(text, compiler, &mut known, buffer, refs.is_some()).then_some(buffer.as_str());
    let mut raw: RawCase<'_> = serde_json::from_str(skeleton.unwrap_or(text)).ok()?;
    // Each policy with the number of arrays and objects around it in the case.
    let policies = raw
        .identity_policies
        .iter()
        .chain(&raw.session_policies)
        .map(|p| (*p, 2))
        .chain(
            raw.resource_policy
                .iter()
                .chain(&raw.permissions_boundary)
                .chain(&raw.vpc_endpoint_policy)
                .map(|p| (*p, 1)),
        )
        .chain(raw.scps.iter().chain(&raw.rcps).flatten().flatten().map(|p| (*p, 3)));
    for (policy, around) in policies {
        let text = policy.get().trim();
        if text.starts_with('"') {
            // A policy id, with a store to look it up in: resolved (or refused) by `build`.
            // (An id written with escapes is read the exact way.)
            if refs.is_some() && text.strip_prefix('"').is_some_and(|s| s.starts_with(POLICY_ID_PREFIX)) {
                continue;
            }
            let name: String = serde_json::from_str(text).ok()?;
            if name != "FullAWSAccess" && name != "RCPFullAWSAccess" {
                return None;
            }
        } else if skeleton.is_some() && text.starts_with(|c: char| c.is_ascii_digit()) {
            // A number standing for a known policy (checked by `skeleton`): there is no other
            // number where a policy goes.
            text.parse::<usize>().ok().filter(|i| *i < known.len())?;
        } else if compiler.json_depth(text)? + around > MAX_VALUE_DEPTH {
            return None;
        }
    }
    let has_policies = !raw.identity_policies.is_empty()
        || !raw.session_policies.is_empty()
        || raw.resource_policy.is_some()
        || raw.permissions_boundary.is_some()
        || raw.vpc_endpoint_policy.is_some()
        || raw.scps.is_some()
        || raw.rcps.is_some()
        || raw.s3.is_some()
        || raw.kms.is_some()
        || raw.kms_grants.is_some()
        || raw.access_point.is_some();
    let description = raw.description.take();
    let expect = raw.expect.take();
    // An invalid `expect` is refused by the exact path, which says where.
    if expect.as_ref().is_some_and(|e| e.validate().is_err()) {
        return None;
    }
    let library = Default::default();
    let placeholders = if skeleton.is_some() { known.as_slice() } else { &[] };
    let resolver = Resolver { library: &library, base: Path::new(""), file_text: None, placeholders, refs, data: None };
    let built = build(raw, &resolver, compiler);
    Some(InlineCase { case: Case { index: 0, description, expect, built }, has_policies, known: known.len() })
}

/// Writes into `out` the body with each known policy replaced by its index in `known` (where its
/// text goes); false when nothing was replaced or anything looked unusual (the body is then read
/// whole). With `by_id` (the caller has stored policies), a policy given by id also ends the walk:
/// a client that names its policies by id sends few or no texts, and the body is short.
fn skeleton<'t>(
    text: &'t str,
    compiler: &Compiler,
    known: &mut Vec<(&'t str, Known)>,
    out: &mut String,
    by_id: bool,
) -> bool {
    let mut w = Walk { text, at: 0, copied: 0, out, compiler, known, by_id };
    let whole = w.object().and_then(|()| text.get(w.copied..));
    match whole {
        Some(rest) if !w.known.is_empty() => {
            w.out.push_str(rest);
            true
        }
        _ => {
            // Numbers stand for policies only in a skeleton.
            known.clear();
            false
        }
    }
}

/// The walk of [`skeleton`] over a case's text.
struct Walk<'t, 'k> {
    text: &'t str,
    at: usize,
    /// Where the text not yet written to `out` starts.
    copied: usize,
    out: &'k mut String,
    compiler: &'k Compiler,
    known: &'k mut Vec<(&'t str, Known)>,
    /// Stop at the first policy given by id (see [`skeleton`]).
    by_id: bool,
}

impl<'t> Walk<'t, '_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Skips white space, then takes `byte`.
    fn take(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// The case's top-level object, up to the end of the text.
    fn object(&mut self) -> Option<()> {
        self.take(b'{')?;
        loop {
            let key = self.key()?;
            self.take(b':')?;
            match key {
                "identityPolicies" | "sessionPolicies" => self.list(1, 2)?,
                "scps" | "rcps" => self.list(2, 3)?,
                "resourcePolicy" | "permissionsBoundary" | "vpcEndpointPolicy" => self.policy(1)?,
                _ => self.value()?,
            }
            self.space();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.at += 1;
        self.space();
        (self.at == self.text.len()).then_some(())
    }

    /// A key without escapes (serde reads a key with escapes as the unescaped name, which this
    /// walk does not compare).
    fn key(&mut self) -> Option<&'t str> {
        self.take(b'"')?;
        let start = self.at;
        let len = self.text.get(start..)?.bytes().position(|b| b == b'"' || b == b'\\')?;
        self.at = start + len;
        self.take(b'"')?;
        self.text.get(start..start + len)
    }

    /// `levels` nested arrays of policies (or `null`), each policy inside `around` arrays and
    /// objects of the case.
    fn list(&mut self, levels: u8, around: u16) -> Option<()> {
        self.space();
        if levels == 0 {
            return self.policy(around);
        }
        if self.peek()? == b'n' {
            return self.value();
        }
        self.take(b'[')?;
        self.space();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.list(levels - 1, around)?;
            self.space();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// One policy: a known one is replaced by its number; an unknown document, a string or
    /// `null` is kept; anything else (a number) ends the walk.
    fn policy(&mut self, around: u16) -> Option<()> {
        self.space();
        match self.peek()? {
            b'{' => {}
            b'"' if self.by_id && self.text.get(self.at + 1..)?.starts_with(POLICY_ID_PREFIX) => return None,
            b'"' | b'n' => return self.value(),
            _ => return None,
        }
        let Some(known) = self.compiler.known_prefix(self.text.get(self.at..)?) else {
            return self.value();
        };
        if known.depth + around > MAX_VALUE_DEPTH {
            return None;
        }
        let end = self.at + known.text.len();
        self.out.push_str(self.text.get(self.copied..self.at)?);
        let _ = write!(self.out, "{}", self.known.len());
        self.known.push((self.text.get(self.at..end)?, known));
        self.at = end;
        self.copied = end;
        // The number must end where the policy did.
        self.space();
        matches!(self.peek()?, b',' | b']' | b'}').then_some(())
    }

    /// Skips any value (serde_json checks it later, in the skeleton).
    fn value(&mut self) -> Option<()> {
        self.space();
        let rest = self.text.get(self.at..)?;
        self.at += value_len(rest)?;
        Some(())
    }
}

/// The length of the JSON value `text` starts with, for valid JSON (serde_json checks the
/// text later; for invalid text the length may be anything, or `None`).
fn value_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    match *bytes.first()? {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = 0;
            loop {
                match *bytes.get(i)? {
                    b'"' => i = string_end(bytes, i)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        b'"' => string_end(bytes, 0).map(|end| end + 1),
        _ => {
            let delimiter = |b: &u8| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r');
            let len = bytes.iter().position(delimiter).unwrap_or(bytes.len());
            (len > 0).then_some(len)
        }
    }
}

/// Where the string opened at `start` closes.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The length of the short JSON value `text` starts with (at most [`PREFIX`] bytes), if it ends
/// within [`PREFIX`] bytes.
pub(crate) fn short_value_len(text: &str) -> Option<usize> {
    let head = text.get(..text.len().min(PREFIX))?;
    value_len(head)
}

/// How deeply `text` nests arrays and objects (0 for a scalar), or `None` if it would not parse
/// as a `serde_json::Value`: read with the same deserializer calls a `Value` makes, without
/// building anything.
pub(crate) fn json_depth(text: &str) -> Option<u16> {
    serde_json::from_str::<Depth>(text).ok().map(|d| d.0)
}

struct Depth(u16);

impl<'de> Deserialize<'de> for Depth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Depth, D::Error> {
        d.deserialize_any(DepthVisitor)
    }
}

struct DepthVisitor;

impl<'de> Visitor<'de> for DepthVisitor {
    type Value = Depth;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Depth, E> {
        Ok(Depth(0))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Depth, E> {
        Ok(Depth(0))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Depth, E> {
        Ok(Depth(0))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Depth, E> {
        Ok(Depth(0))
    }

    fn visit_str<E>(self, _: &str) -> Result<Depth, E> {
        Ok(Depth(0))
    }

    fn visit_unit<E>(self) -> Result<Depth, E> {
        Ok(Depth(0))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Depth, A::Error> {
        let mut deepest = 0;
        while let Some(Depth(d)) = seq.next_element()? {
            deepest = deepest.max(d);
        }
        Ok(Depth(deepest.saturating_add(1)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Depth, A::Error> {
        let mut deepest = 0;
        while let Some(Depth(_)) = map.next_key()? {
            let Depth(d) = map.next_value()?;
            deepest = deepest.max(d);
        }
        Ok(Depth(deepest.saturating_add(1)))
    }
}
