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

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::raw::RawCase;
use crate::{Case, Compiler, Resolver, build};

/// The deepest nesting of arrays and objects a `serde_json::Value` accepts (serde_json's
/// recursion limit).
const MAX_VALUE_DEPTH: u16 = 127;

/// What [`inline_case`] read.
#[derive(Debug)]
pub struct InlineCase {
    /// The case, the same as [`crate::case_from_str`] builds from the text.
    pub case: Case,
    /// True if the case names at least one policy, `s3` or `kms` (false may still mean the fields
    /// are present, as `null` or `[]`).
    pub has_policies: bool,
}

/// The case of `text` in one parse, when every policy is inline or built in and the text is a
/// valid case; `None` for anything else (the caller then uses [`crate::case_from_str`] or its own
/// exact path, for the answer and the error). Never reads a file.
pub fn inline_case(text: &str, compiler: &mut Compiler) -> Option<InlineCase> {
    let mut raw: RawCase<'_> = serde_json::from_str(text).ok()?;
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
        let policy: &RawValue = policy;
        let text = policy.get().trim();
        if text.starts_with('"') {
            let name: String = serde_json::from_str(text).ok()?;
            if name != "FullAWSAccess" && name != "RCPFullAWSAccess" {
                return None;
            }
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
        || raw.kms.is_some();
    let description = raw.description.take();
    let expect = raw.expect.take();
    let library = Default::default();
    let resolver = Resolver { library: &library, base: Path::new(""), file_text: None };
    let built = build(raw, &resolver, compiler);
    Some(InlineCase { case: Case { index: 0, description, expect, built }, has_policies })
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
