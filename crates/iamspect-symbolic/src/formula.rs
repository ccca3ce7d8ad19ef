//! Formulas over atoms: an arena of `And`/`Or`/`Not` nodes, folded as they are built, and their
//! three-valued evaluation under a partial assignment.

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(bool),
    Atom(u32),
    Not(u32),
    And(Vec<u32>),
    Or(Vec<u32>),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Formula {
    pub(crate) nodes: Vec<Node>,
}

pub(crate) type F = u32;

impl Formula {
    fn push(&mut self, n: Node) -> F {
        self.nodes.push(n);
        (self.nodes.len() - 1) as F
    }

    pub(crate) fn constant(&mut self, b: bool) -> F {
        self.push(Node::Const(b))
    }

    pub(crate) fn atom(&mut self, a: u32) -> F {
        self.push(Node::Atom(a))
    }

    fn as_const(&self, f: F) -> Option<bool> {
        match self.nodes.get(f as usize) {
            Some(Node::Const(b)) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn not(&mut self, f: F) -> F {
        match self.nodes.get(f as usize) {
            Some(Node::Const(b)) => {
                let b = !*b;
                self.constant(b)
            }
            Some(Node::Not(g)) => *g,
            _ => self.push(Node::Not(f)),
        }
    }

    pub(crate) fn and(&mut self, fs: Vec<F>) -> F {
        let mut kept = Vec::with_capacity(fs.len());
        for f in fs {
            match self.as_const(f) {
                Some(false) => return self.constant(false),
                Some(true) => {}
                None => kept.push(f),
            }
        }
        match kept.len() {
            0 => self.constant(true),
            1 => kept.first().copied().unwrap_or(0),
            _ => self.push(Node::And(kept)),
        }
    }

    pub(crate) fn or(&mut self, fs: Vec<F>) -> F {
        let mut kept = Vec::with_capacity(fs.len());
        for f in fs {
            match self.as_const(f) {
                Some(true) => return self.constant(true),
                Some(false) => {}
                None => kept.push(f),
            }
        }
        match kept.len() {
            0 => self.constant(false),
            1 => kept.first().copied().unwrap_or(0),
            _ => self.push(Node::Or(kept)),
        }
    }

    /// Renumbers atoms (after atoms with the same meaning were merged).
    pub(crate) fn remap(&mut self, map: &[u32]) {
        for n in &mut self.nodes {
            if let Node::Atom(a) = n {
                *a = map.get(*a as usize).copied().unwrap_or(*a);
            }
        }
    }

    /// A superset of the values some variable can take wherever `f` holds, as a list of pattern
    /// ids (`None`: no bound), from `leaf`'s bound for each atom.
    pub(crate) fn bound(&self, f: F, leaf: &dyn Fn(u32) -> Option<Vec<u32>>) -> Option<Vec<u32>> {
        match self.nodes.get(f as usize)? {
            Node::Const(false) => Some(Vec::new()),
            Node::Const(true) | Node::Not(_) => None,
            Node::Atom(a) => leaf(*a),
            Node::And(gs) => gs.iter().filter_map(|g| self.bound(*g, leaf)).min_by_key(Vec::len),
            Node::Or(gs) => {
                let mut out = Vec::new();
                for g in gs {
                    out.extend(self.bound(*g, leaf)?);
                }
                out.sort_unstable();
                out.dedup();
                Some(out)
            }
        }
    }

    /// Three-valued: `Some(b)` when decided, `None` when it depends on unassigned atoms.
    pub(crate) fn eval(&self, f: F, value: &[Option<bool>]) -> Option<bool> {
        match self.nodes.get(f as usize)? {
            Node::Const(b) => Some(*b),
            Node::Atom(a) => value.get(*a as usize).copied().flatten(),
            Node::Not(g) => self.eval(*g, value).map(|b| !b),
            Node::And(gs) => {
                let mut open = false;
                for g in gs {
                    match self.eval(*g, value) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => open = true,
                    }
                }
                if open { None } else { Some(true) }
            }
            Node::Or(gs) => {
                let mut open = false;
                for g in gs {
                    match self.eval(*g, value) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => open = true,
                    }
                }
                if open { None } else { Some(false) }
            }
        }
    }

    /// An unassigned atom that can decide `f` (which is undecided), and the value that pushes `f`
    /// towards true: the first open branch, followed down to an atom, passing over atoms `skip`
    /// names where another open branch has one.
    pub(crate) fn pick(
        &self,
        f: F,
        value: &[Option<bool>],
        want: bool,
        skip: &dyn Fn(u32) -> bool,
    ) -> Option<(u32, bool)> {
        match self.nodes.get(f as usize)? {
            Node::Const(_) => None,
            Node::Atom(a) => (value.get(*a as usize).copied().flatten().is_none() && !skip(*a)).then_some((*a, want)),
            Node::Not(g) => self.pick(*g, value, !want, skip),
            Node::And(gs) | Node::Or(gs) => {
                gs.iter().filter(|g| self.eval(**g, value).is_none()).find_map(|g| self.pick(*g, value, want, skip))
            }
        }
    }
}
