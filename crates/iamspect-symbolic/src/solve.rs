//! The search: DPLL over the atoms (decide an atom on the first open branch, propagate what the
//! theory of its variable forces, backtrack on conflict), where each variable's theory is a finite
//! set of classes (decision D65). A single-valued variable (action, resource) takes one class; a
//! context key is absent or holds a non-empty set of classes, and an atom says the set meets a
//! given set of classes.

use crate::Unknown;
use crate::formula::{F, Formula};

pub(crate) type Bits = Vec<u64>;

pub(crate) fn bit(b: &Bits, i: usize) -> bool {
    b.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

pub(crate) fn set_bit(b: &mut Bits, i: usize) {
    if let Some(w) = b.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn and_not(a: &mut Bits, b: &Bits) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x &= !y);
}

fn and(a: &mut Bits, b: &Bits) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x &= y);
}

fn meets(a: &Bits, b: &Bits) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

fn subset(a: &Bits, b: &Bits) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

fn empty(a: &Bits) -> bool {
    a.iter().all(|x| *x == 0)
}

pub(crate) fn first(a: &Bits) -> Option<usize> {
    a.iter().enumerate().find(|(_, w)| **w != 0).map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
}

#[derive(Clone, Debug)]
pub(crate) struct Var {
    /// Action and resource: exactly one value.
    pub(crate) single: bool,
    /// A key that takes at most one value.
    pub(crate) one: bool,
    /// The classes the variable may take (all, less those excluded to vary witnesses).
    pub(crate) base: Bits,
    pub(crate) atoms: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) enum AtomKind {
    Present,
    In(Bits),
    /// Not decided exactly: a free boolean in the search (D153).
    Opaque(crate::Unknown),
}

#[derive(Clone, Debug)]
pub(crate) struct Atom {
    pub(crate) var: u32,
    pub(crate) kind: AtomKind,
}

/// A model: per variable, `None` for an absent key, else the classes chosen.
pub(crate) type Model = Vec<Option<Vec<usize>>>;

pub(crate) struct Solver<'a> {
    pub(crate) f: &'a Formula,
    pub(crate) root: F,
    pub(crate) vars: &'a [Var],
    pub(crate) atoms: &'a [Atom],
    value: Vec<Option<bool>>,
    trail: Vec<u32>,
    budget: u64,
}

/// Decisions made before the search gives up with `unknown`.
const BUDGET: u64 = 500_000;

impl<'a> Solver<'a> {
    pub(crate) fn new(f: &'a Formula, root: F, vars: &'a [Var], atoms: &'a [Atom]) -> Solver<'a> {
        Solver { f, root, vars, atoms, value: vec![None; atoms.len()], trail: Vec::new(), budget: BUDGET }
    }

    /// Assigns and propagates; false on conflict.
    pub(crate) fn assume(&mut self, atom: u32, v: bool) -> bool {
        self.assign(atom, v) && self.propagate(self.atoms.get(atom as usize).map_or(0, |a| a.var))
    }

    fn assign(&mut self, atom: u32, v: bool) -> bool {
        match self.value.get(atom as usize).copied().flatten() {
            Some(have) => have == v,
            None => {
                if let Some(slot) = self.value.get_mut(atom as usize) {
                    *slot = Some(v);
                }
                self.trail.push(atom);
                true
            }
        }
    }

    fn undo(&mut self, mark: usize) {
        while self.trail.len() > mark {
            if let Some(a) = self.trail.pop()
                && let Some(slot) = self.value.get_mut(a as usize)
            {
                *slot = None;
            }
        }
    }

    /// The classes still open to `var`, whether it must be present (`Some(true)`), must be absent
    /// (`Some(false)`), and the sets it must meet.
    fn state(&self, var: &Var) -> (Bits, Option<bool>, Vec<&'a Bits>) {
        let mut open = var.base.clone();
        let mut present = if var.single { Some(true) } else { None };
        let mut must: Vec<&Bits> = Vec::new();
        let mut some_true = false;
        for &a in &var.atoms {
            let Some(atom) = self.atoms.get(a as usize) else { continue };
            let Some(v) = self.value.get(a as usize).copied().flatten() else { continue };
            match (&atom.kind, v) {
                (AtomKind::Present, v) => {
                    if present == Some(!v) {
                        present = Some(false);
                        open.iter_mut().for_each(|w| *w = 0);
                    }
                    present.get_or_insert(v);
                }
                (AtomKind::In(s), true) => {
                    some_true = true;
                    if var.single || var.one {
                        and(&mut open, s);
                    } else {
                        must.push(s);
                    }
                }
                (AtomKind::In(s), false) => and_not(&mut open, s),
                (AtomKind::Opaque(_), _) => {}
            }
        }
        if some_true && !var.single {
            if present == Some(false) {
                open.iter_mut().for_each(|w| *w = 0);
            }
            present = Some(true);
        }
        (open, present, must)
    }

    fn consistent(&self, var: &Var) -> bool {
        let (open, present, must) = self.state(var);
        match present {
            Some(true) => !empty(&open) && must.iter().all(|s| meets(&open, s)),
            _ => true,
        }
    }

    fn propagate(&mut self, var_id: u32) -> bool {
        let Some(var) = self.vars.get(var_id as usize) else { return true };
        loop {
            if !self.consistent(var) {
                return false;
            }
            let (open, present, _) = self.state(var);
            let mut changed = false;
            for &a in &var.atoms {
                if self.value.get(a as usize).copied().flatten().is_some() {
                    continue;
                }
                let Some(atom) = self.atoms.get(a as usize) else { continue };
                let forced = match &atom.kind {
                    AtomKind::Present => {
                        if empty(&open) {
                            Some(false)
                        } else {
                            present.filter(|p| *p)
                        }
                    }
                    AtomKind::Opaque(_) => None,
                    AtomKind::In(s) => {
                        if present == Some(false) || !meets(&open, s) {
                            Some(false)
                        } else if present == Some(true) && subset(&open, s) {
                            Some(true)
                        } else {
                            None
                        }
                    }
                };
                if let Some(v) = forced {
                    if !self.assign(a, v) {
                        return false;
                    }
                    changed = true;
                }
            }
            if !changed {
                return true;
            }
        }
    }

    /// True when a model exists (left in the assignment), false when none does.
    pub(crate) fn search(&mut self) -> Result<bool, Unknown> {
        if self.budget == 0 {
            return Err(Unknown::new(format!("the search gave up after {BUDGET} decisions")));
        }
        self.budget -= 1;
        if let Some(b) = self.f.eval(self.root, &self.value) {
            return Ok(b);
        }
        let atoms = self.atoms;
        let opaque = |a: u32| matches!(atoms.get(a as usize), Some(Atom { kind: AtomKind::Opaque(_), .. }));
        let Some((atom, want)) = self
            .f
            .pick(self.root, &self.value, true, &opaque)
            .or_else(|| self.f.pick(self.root, &self.value, true, &|_| false))
        else {
            return Err(Unknown::new("internal: an open formula with no open atom".into()));
        };
        // An atom not decided exactly is a free boolean (decision D153): a model that sets it is
        // only a candidate, which the engine confirms or the caller answers unknown with it; no
        // model at all, with it free, proves there is none. `false` first: the value a policy
        // variable whose key the request lacks gives.
        let order = if matches!(self.atoms.get(atom as usize), Some(Atom { kind: AtomKind::Opaque(_), .. })) {
            [false, true]
        } else {
            [want, !want]
        };
        for v in order {
            let mark = self.trail.len();
            if self.assume(atom, v) && self.search()? {
                return Ok(true);
            }
            self.undo(mark);
        }
        Ok(false)
    }

    /// The first atom not decided exactly that the model found sets, if any.
    pub(crate) fn opaque_set(&self) -> Option<&'a crate::Unknown> {
        let atoms = self.atoms;
        self.trail.iter().find_map(|&a| match atoms.get(a as usize) {
            Some(Atom { kind: AtomKind::Opaque(u), .. }) => Some(u),
            _ => None,
        })
    }

    /// The classes of each variable in the model found.
    pub(crate) fn model(&self) -> Model {
        self.vars
            .iter()
            .map(|var| {
                let (open, present, must) = self.state(var);
                if present != Some(true) {
                    return None;
                }
                let mut chosen: Vec<usize> = Vec::new();
                for s in must {
                    let mut both = open.clone();
                    and(&mut both, s);
                    if let Some(c) = first(&both)
                        && !chosen.contains(&c)
                    {
                        chosen.push(c);
                    }
                }
                if chosen.is_empty() {
                    chosen.extend(first(&open));
                }
                Some(chosen)
            })
            .collect()
    }
}
