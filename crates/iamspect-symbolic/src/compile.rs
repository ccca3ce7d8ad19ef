//! Policies to a formula over the request (spec §1.3, as `iamspect-core::eval::authorizer` combines
//! them): a statement applies when its `Action`/`NotAction`, `Resource`/`NotResource` and every
//! condition hold; a condition the request cannot be read for counts as holding for a `Deny` and
//! not for an `Allow` (decision D8), which is why each condition compiles to two formulas.

use foldhash::HashMap;

use iamspect_core::condition::{
    BaseOperator, Condition, Family, SetQualifier, bool_value, cidr_value, date_nanos, is_template_placeholder,
    number_value,
};
use iamspect_core::{Effect, Policy, Statement, Version};

use crate::Unknown;
use crate::formula::{F, Formula};
use crate::glob::{self, Glob};
use crate::typed::Typed;

/// The value domain of a context key, fixed by the operators that read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    String,
    Number,
    Date,
    Ip,
    Bool,
}

/// A set of a key's values, before the key's classes are known.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Lang {
    /// Matched by any of these string patterns (indices into the key's patterns).
    Str(Vec<u32>),
    /// Matched by this typed comparison (index into the key's comparisons).
    Typed(u32),
    /// Not matched, among values the comparisons can read.
    Complement(Box<Lang>),
    /// Values no comparison on the key can read.
    Junk,
}

/// What an atom says before classes are computed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Proto {
    /// The action is matched by any of these patterns.
    Action(Vec<u32>),
    /// The resource is matched by any of these patterns.
    Resource(Vec<u32>),
    /// The key is in the request with at least one value.
    Present(u32),
    /// The key has a value in the set.
    Exists(u32, Lang),
    /// The caller is one of these candidates (a bitset).
    Principal(Vec<u64>),
    /// Something not decided exactly (a policy variable): the search answers unknown, naming
    /// it, if the answer depends on it.
    Opaque(Unknown),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Patterns {
    pub(crate) globs: Vec<Glob>,
    index: HashMap<Glob, u32>,
}

impl Patterns {
    pub(crate) fn add(&mut self, g: Glob) -> u32 {
        if let Some(&i) = self.index.get(&g) {
            return i;
        }
        let i = self.globs.len() as u32;
        self.index.insert(g.clone(), i);
        self.globs.push(g);
        i
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Key {
    /// The key as first written.
    pub(crate) name: String,
    pub(crate) domain: Option<Domain>,
    pub(crate) patterns: Patterns,
    pub(crate) typed: Vec<Typed>,
    /// Where the domain was fixed, for the message when another operator disagrees.
    first_operator: String,
    /// Takes at most one value (only when asking for requests a case file can make).
    pub(crate) one: bool,
}

/// The request space and the formula being built over it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Builder {
    pub(crate) f: Formula,
    pub(crate) protos: Vec<Proto>,
    proto_index: foldhash::HashMap<Proto, u32>,
    pub(crate) actions: Patterns,
    pub(crate) resources: Patterns,
    pub(crate) keys: Vec<Key>,
    key_index: HashMap<String, u32>,
    /// The candidate callers, when the policies name principals.
    pub(crate) candidates: Option<crate::principal::Candidates>,
    /// Without candidates, the caller is known to be an AWS identity (an IAM principal or a root
    /// user), which `{"AWS": "*"}` reaches (D7). An RCP's `Principal` is everyone (the core's
    /// parser requires it), so it is read without candidates as true (D152).
    pub(crate) caller_is_aws_identity: bool,
    /// When the question confines the action to some patterns: their literal starts, sorted. An
    /// action pattern that can share no string with them is left out (its atom could only be
    /// true outside the question).
    pub(crate) action_scope: Option<Vec<String>>,
    /// The service prefixes of `action_scope`, when each of its literal starts holds one.
    pub(crate) scope_services: Option<foldhash::HashSet<String>>,
    /// The policy being compiled, to name it where something is not decided exactly.
    current_policy: String,
    /// The statement being compiled (index and `Sid`), for the same.
    current_statement: Option<(usize, Option<String>)>,
}

/// The literal start of action pattern text (lower case, up to its first wildcard).
fn literal_start(text: &str) -> &str {
    text.split(['*', '?']).next().unwrap_or("")
}

/// Can a string start with both `a` and `b`?
fn compatible(scope: &[String], p: &str) -> bool {
    // Some scope prefix that is a prefix of `p`...
    (0..=p.len()).filter(|&i| p.is_char_boundary(i)).any(|i| scope.binary_search_by(|s| s.as_str().cmp(&p[..i])).is_ok())
        // ...or `p` a prefix of some scope prefix.
        || scope.get(scope.partition_point(|s| s.as_str() < p)).is_some_and(|s| s.starts_with(p))
}

impl Builder {
    fn proto(&mut self, p: Proto) -> F {
        let id = match self.proto_index.get(&p) {
            Some(&id) => id,
            None => {
                let id = self.protos.len() as u32;
                self.proto_index.insert(p.clone(), id);
                self.protos.push(p);
                id
            }
        };
        self.f.atom(id)
    }

    /// An atom the search may not decide (see [`Proto::Opaque`]).
    pub(crate) fn opaque(&mut self, mut u: Unknown) -> F {
        if u.statement.is_none()
            && let Some((index, sid)) = &self.current_statement
        {
            u.statement = Some((self.current_policy.clone(), *index, sid.clone()));
        }
        self.proto(Proto::Opaque(u))
    }

    pub(crate) fn key(&mut self, name: &str) -> u32 {
        let lower = name.to_ascii_lowercase();
        if let Some(&k) = self.key_index.get(&lower) {
            return k;
        }
        let k = self.keys.len() as u32;
        self.key_index.insert(lower, k);
        self.keys.push(Key {
            name: name.to_string(),
            domain: None,
            patterns: Patterns::default(),
            typed: Vec::new(),
            first_operator: String::new(),
            one: false,
        });
        k
    }

    pub(crate) fn present(&mut self, key: u32) -> F {
        self.proto(Proto::Present(key))
    }

    /// The action is matched by any of `texts` (action patterns: case-insensitive, no variables).
    pub(crate) fn action_in(&mut self, texts: &[&str]) -> Result<F, Unknown> {
        let mut ids = Vec::with_capacity(texts.len());
        for t in texts {
            let lower = t.to_ascii_lowercase();
            if let Some(scope) = &self.action_scope {
                let start = literal_start(&lower);
                // Most patterns name another service: one lookup says so.
                let other_service = match (&self.scope_services, start.split_once(':')) {
                    (Some(services), Some((service, _))) => !services.contains(service),
                    _ => false,
                };
                if other_service || !compatible(scope, start) {
                    continue;
                }
            }
            let g = glob::parse(&lower, true, false, false)?;
            if g == [glob::Piece::Star(0)] {
                // `*` matches every action.
                return Ok(self.f.constant(true));
            }
            ids.push(self.actions.add(g));
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(self.f.constant(false));
        }
        Ok(self.proto(Proto::Action(ids)))
    }

    /// The resource is matched by any of `texts` (ARN patterns).
    pub(crate) fn resource_in(&mut self, texts: &[&str], variables: bool) -> Result<F, Unknown> {
        let mut ids = Vec::with_capacity(texts.len());
        for t in texts {
            let g = match glob::parse_arn(t, variables) {
                Ok(g) => g,
                // A policy variable: the entry's match depends on another key. Its atom is free in
                // the search, bounded by the pattern with each variable written `*` (D153).
                Err(u) => {
                    let free = self.opaque(u);
                    let bound = match glob::variables_widened(t).map(|w| glob::parse_arn(&w, variables)) {
                        Some(Ok(g)) if g == [glob::Piece::Star(0)] => None,
                        Some(Ok(g)) => {
                            let id = self.resources.add(g);
                            Some(self.proto(Proto::Resource(vec![id])))
                        }
                        _ => None,
                    };
                    let opaque = match bound {
                        Some(b) => self.f.and(vec![free, b]),
                        None => free,
                    };
                    let rest: Vec<&str> = texts.iter().copied().filter(|x| x != t).collect();
                    let others = self.resource_in(&rest, variables)?;
                    return Ok(self.f.or(vec![opaque, others]));
                }
            };
            if g == [glob::Piece::Star(0)] {
                // `*` matches every resource.
                return Ok(self.f.constant(true));
            }
            ids.push(self.resources.add(g));
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(self.f.constant(false));
        }
        Ok(self.proto(Proto::Resource(ids)))
    }

    /// The resource is `*` (the request names no resource).
    pub(crate) fn resource_is_star(&mut self) -> F {
        let id = self.resources.add(vec![glob::Piece::Lit('*')]);
        self.proto(Proto::Resource(vec![id]))
    }

    /// The resource is of one of these catalogue ARN formats.
    pub(crate) fn resource_in_formats(
        &mut self,
        formats: &[String],
        partition: &str,
        account: &str,
    ) -> Result<F, Unknown> {
        let mut ids = Vec::new();
        for f in formats {
            let g = glob::parse_format(f, partition, account)
                .ok_or_else(|| Unknown::new(format!("catalogue ARN format `{f}`")))?;
            ids.push(self.resources.add(g));
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(self.proto(Proto::Resource(ids)))
    }

    /// Every value of the key (if any) matches `g`.
    pub(crate) fn values_in(&mut self, key: u32, g: Glob) -> F {
        let Some(k) = self.keys.get_mut(key as usize) else { return self.f.constant(true) };
        if k.domain.is_some_and(|d| d != Domain::String) {
            return self.f.constant(true);
        }
        let id = k.patterns.add(g);
        let outside = self.proto(Proto::Exists(key, Lang::Complement(Box::new(Lang::Str(vec![id])))));
        self.f.not(outside)
    }

    /// The caller is one of the candidates `pick` selects.
    pub(crate) fn principal_in(&mut self, pick: impl Fn(usize) -> bool) -> F {
        let Some(c) = &self.candidates else { return self.f.constant(true) };
        let mut bits = vec![0u64; c.requests.len().div_ceil(64).max(1)];
        for i in 0..c.requests.len() {
            if pick(i) {
                crate::solve::set_bit(&mut bits, i);
            }
        }
        self.proto(Proto::Principal(bits))
    }

    /// The key has a value in the language.
    pub(crate) fn exists(&mut self, key: u32, lang: Lang) -> F {
        self.proto(Proto::Exists(key, lang))
    }

    /// The key has a value no comparison on it can read.
    pub(crate) fn junk(&mut self, key: u32) -> F {
        self.proto(Proto::Exists(key, Lang::Junk))
    }

    /// Confines later action patterns to those that can share a string with the actions `f`
    /// allows at most (see `action_scope`); nothing when `f` does not bound the action.
    pub(crate) fn scope_actions_to(&mut self, f: F) {
        let protos = &self.protos;
        let bound = self.f.bound(f, &|a| match protos.get(a as usize) {
            Some(Proto::Action(ids)) => Some(ids.clone()),
            _ => None,
        });
        self.action_scope = bound.map(|ids| {
            let mut v: Vec<String> = ids
                .iter()
                .filter_map(|&i| self.actions.globs.get(i as usize))
                .map(|g| {
                    g.iter()
                        .map_while(|p| match p {
                            glob::Piece::Lit(c) => Some(*c),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
            v.sort();
            v.dedup();
            v
        });
        self.scope_services = self
            .action_scope
            .as_ref()
            .and_then(|v| v.iter().map(|p| p.split_once(':').map(|(s, _)| s.to_string())).collect::<Option<_>>());
    }

    /// `Allow` statements that apply, and `Deny` statements that apply: the policy allows.
    pub(crate) fn allows(&mut self, policy: &Policy) -> Result<F, Unknown> {
        let (allow, deny) = self.allow_deny(policy)?;
        let no_deny = self.f.not(deny);
        Ok(self.f.and(vec![allow, no_deny]))
    }

    /// (some `Allow` applies, some `Deny` applies).
    pub(crate) fn allow_deny(&mut self, policy: &Policy) -> Result<(F, F), Unknown> {
        let variables = policy.version() == Some(Version::V2012_10_17);
        self.current_policy = policy.name().to_string();
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        for stmt in policy.statements() {
            let deny = stmt.effect() == Effect::Deny;
            let applies = self.statement(stmt, variables, deny)?;
            if deny { denies.push(applies) } else { allows.push(applies) }
        }
        let a = self.f.or(allows);
        let d = self.f.or(denies);
        Ok((a, d))
    }

    /// The statement applies (for a `Deny`, a condition that cannot read the request counts as true).
    pub(crate) fn statement(&mut self, stmt: &Statement, variables: bool, deny: bool) -> Result<F, Unknown> {
        let policy_name = self.current_policy.clone();
        let at = |e: Unknown| e.at(stmt).in_policy(&policy_name);
        self.current_statement = Some((stmt.index(), stmt.sid().map(str::to_string)));
        let principal = match (&self.candidates, stmt.principal_element().is_some()) {
            (_, false) => None,
            (None, true) => {
                // A `Principal` that reaches every caller there can be, without reasoning about
                // callers: `"*"`, and `{"AWS": "*"}` when the caller is an AWS identity (D7).
                let everyone = stmt.principal_entries().is_some_and(|(not, entries)| {
                    !not && !entries.is_empty()
                        && entries.iter().all(|(kind, value)| {
                            *kind == "*" || (*kind == "AWS" && value == "*" && self.caller_is_aws_identity)
                        })
                });
                if !everyone {
                    return Err(at(Unknown::new(
                        "`Principal`/`NotPrincipal` in a policy type read without callers".into(),
                    )));
                }
                None
            }
            (Some(c), true) => {
                let mut bits = vec![0u64; c.requests.len().div_ceil(64).max(1)];
                for (i, req) in c.requests.iter().enumerate() {
                    if stmt.principal_reaches(req) == Some(true) {
                        crate::solve::set_bit(&mut bits, i);
                    }
                }
                Some(self.proto(Proto::Principal(bits)))
            }
        };
        let (not, _, items) = stmt.action_entries();
        let texts: Vec<&str> = items.iter().map(|(t, _)| *t).collect();
        let hit = self.action_in(&texts).map_err(at)?;
        let action = if not { self.f.not(hit) } else { hit };
        let resource = match stmt.resource_entries() {
            None => self.f.constant(true),
            Some((not, _, items)) => {
                let texts: Vec<&str> = items.iter().map(|(t, _)| *t).collect();
                let hit = self.resource_in(&texts, variables).map_err(at)?;
                if not { self.f.not(hit) } else { hit }
            }
        };
        let mut parts = vec![action, resource];
        parts.extend(principal);
        for c in stmt.conditions() {
            let part = match self.condition(c, variables) {
                Ok((t, nf)) => {
                    if deny {
                        nf
                    } else {
                        t
                    }
                }
                Err(u) => self.opaque(at(u)),
            };
            parts.push(part);
        }
        Ok(self.f.and(parts))
    }

    fn set_domain(&mut self, key: u32, d: Domain, operator: &str) -> Result<(), Unknown> {
        let Some(k) = self.keys.get_mut(key as usize) else { return Ok(()) };
        match k.domain {
            None => {
                k.domain = Some(d);
                k.first_operator = operator.to_string();
                Ok(())
            }
            Some(have) if have == d => Ok(()),
            Some(_) => Err(Unknown::new(format!(
                "condition key `{}` read by both `{}` and `{operator}` (values of two types)",
                k.name, k.first_operator
            ))),
        }
    }

    /// (the condition is true, the condition is not false) as formulas (core `Condition::evaluate`).
    pub(crate) fn condition(&mut self, c: &Condition, variables: bool) -> Result<(F, F), Unknown> {
        self.condition_values(c.operator(), c.key(), c.values(), variables)
    }

    /// [`Builder::condition`] with the values given (policy variables already substituted).
    pub(crate) fn condition_values(
        &mut self,
        op: iamspect_core::condition::Operator,
        key_name: &str,
        values: &[String],
        variables: bool,
    ) -> Result<(F, F), Unknown> {
        let key = self.key(key_name);
        let present = self.present(key);
        let absent = self.f.not(present);
        if op.base == BaseOperator::Null {
            let mut alts = Vec::new();
            for v in values {
                match bool_value(v) {
                    Some(true) => alts.push(absent),
                    Some(false) => alts.push(present),
                    None => return Err(Unknown::new(format!("`Null` value `{v}`"))),
                }
            }
            let t = self.f.or(alts);
            return Ok((t, t));
        }
        let opname = op.to_string();
        let placeholder = |v: &str| Unknown::new(format!("template placeholder `{v}` in `{opname}`"));
        let (lang, typed) = match op.base.family() {
            Family::String | Family::Arn => {
                self.set_domain(key, Domain::String, &opname)?;
                let arn = op.base.family() == Family::Arn;
                let wildcards = matches!(op.base, BaseOperator::StringLike | BaseOperator::StringNotLike);
                let fold =
                    matches!(op.base, BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase);
                let mut ids = Vec::new();
                for v in values {
                    let g =
                        if arn { glob::parse_arn(v, variables)? } else { glob::parse(v, wildcards, variables, fold)? };
                    let Some(k) = self.keys.get_mut(key as usize) else { continue };
                    ids.push(k.patterns.add(g));
                }
                ids.sort_unstable();
                ids.dedup();
                (Lang::Str(ids), false)
            }
            Family::Numeric | Family::Date | Family::Ip | Family::Bool => {
                let t = match op.base.family() {
                    Family::Numeric => {
                        self.set_domain(key, Domain::Number, &opname)?;
                        let mut ns = Vec::new();
                        for v in values {
                            ns.push(number_value(v).ok_or_else(|| placeholder(v))?);
                        }
                        Typed::Number(op.base, ns)
                    }
                    Family::Date => {
                        self.set_domain(key, Domain::Date, &opname)?;
                        let mut ds = Vec::new();
                        for v in values {
                            ds.push(date_nanos(v).ok_or_else(|| placeholder(v))?);
                        }
                        Typed::Date(op.base, ds)
                    }
                    Family::Ip => {
                        self.set_domain(key, Domain::Ip, &opname)?;
                        let mut ns = Vec::new();
                        for v in values {
                            ns.push(cidr_value(v).ok_or_else(|| placeholder(v))?);
                        }
                        Typed::Ip(ns)
                    }
                    _ => {
                        self.set_domain(key, Domain::Bool, &opname)?;
                        let mut bs = Vec::new();
                        for v in values {
                            match bool_value(v) {
                                Some(b) => bs.push(b),
                                None if v.contains("${") => {
                                    return Err(Unknown::new(format!("policy variable in `Bool` value `{v}`")));
                                }
                                None => return Err(placeholder(v)),
                            }
                        }
                        Typed::Bool(bs)
                    }
                };
                if values.iter().any(|v| is_template_placeholder(v)) {
                    return Err(placeholder(values.first().map_or("", String::as_str)));
                }
                let Some(k) = self.keys.get_mut(key as usize) else {
                    return Err(Unknown::new("internal: key vanished".into()));
                };
                k.typed.push(t);
                (Lang::Typed((k.typed.len() - 1) as u32), true)
            }
            Family::Binary => return Err(Unknown::new(format!("`{opname}` (binary values)"))),
            Family::Null => return Err(Unknown::new(format!("`{opname}`"))),
        };
        let negated = op.base.is_negated();
        let when_absent = if op.if_exists {
            true
        } else {
            match op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => negated,
            }
        };
        // `test(v)` holds on `pass`: the policy values' set, or its complement for negated operators.
        let (pass, fail) = if negated {
            (Lang::Complement(Box::new(lang.clone())), lang)
        } else {
            (lang.clone(), Lang::Complement(Box::new(lang)))
        };
        let all_values =
            matches!(op.qualifier, Some(SetQualifier::ForAllValues)) || (op.qualifier.is_none() && negated);
        let q = if all_values {
            let some_fail = self.proto(Proto::Exists(key, fail));
            self.f.not(some_fail)
        } else {
            self.proto(Proto::Exists(key, pass))
        };
        let junk = if typed { self.proto(Proto::Exists(key, Lang::Junk)) } else { self.f.constant(false) };
        let no_junk = self.f.not(junk);
        let abs = self.f.constant(when_absent);
        let absent_case = self.f.and(vec![absent, abs]);
        let t_present = self.f.and(vec![present, no_junk, q]);
        let t = self.f.or(vec![absent_case, t_present]);
        let junk_or_q = self.f.or(vec![junk, q]);
        let nf_present = self.f.and(vec![present, junk_or_q]);
        let nf = self.f.or(vec![absent_case, nf_present]);
        Ok((t, nf))
    }
}
