//! Shortest paths over the graph: breadth first over `Becomes` edges, so every path found is
//! one of the fewest steps; among paths as short, unconditional edges are met first.

use std::collections::VecDeque;

use super::{Gain, Graph};

/// A path: the edges in the order they are taken. A `MakesAdmin` step is followed by the steps
/// that reach the principal it made admin (from the path's start), if that is not its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// Edge indices into [`Graph::edges`].
    pub steps: Vec<usize>,
}

impl Path {
    /// True when some step holds only under a condition.
    pub fn conditional(&self, graph: &Graph) -> bool {
        self.steps.iter().any(|&e| graph.edges.get(e).is_some_and(|e| e.conditional()))
    }
}

/// Breadth-first search from `from` over `Becomes` edges, up to `max_hops`: the edge by which
/// each node was first reached (`None` for `from` and the unreached) and its distance.
fn reach(graph: &Graph, from: usize, max_hops: usize) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let n = graph.nodes.len();
    let mut parent = vec![None; n];
    let mut dist = vec![None; n];
    dist[from] = Some(0);
    let mut queue = VecDeque::from([from]);
    while let Some(x) = queue.pop_front() {
        let d = dist[x].unwrap_or(0);
        if d >= max_hops {
            continue;
        }
        for &ei in graph.out.get(x).into_iter().flatten() {
            let Some(e) = graph.edges.get(ei) else { continue };
            if e.gain != Gain::Becomes || dist[e.to].is_some() {
                continue;
            }
            dist[e.to] = Some(d + 1);
            parent[e.to] = Some(ei);
            queue.push_back(e.to);
        }
    }
    (parent, dist)
}

/// The edges from the search's start to `to`.
fn walk(graph: &Graph, parent: &[Option<usize>], to: usize) -> Vec<usize> {
    let mut steps = Vec::new();
    let mut at = to;
    while let Some(ei) = parent.get(at).copied().flatten() {
        steps.push(ei);
        match graph.edges.get(ei) {
            Some(e) => at = e.from,
            None => break,
        }
    }
    steps.reverse();
    steps
}

/// The shortest path from `from` to an admin, in at most `max_hops` steps; `None` when there is
/// none. An admin start has the empty path.
pub fn shortest_to_admin(graph: &Graph, from: usize, max_hops: usize) -> Option<Path> {
    let admin = |n: usize| graph.nodes.get(n).is_some_and(|n| n.admin.is_admin);
    shortest_to_any(graph, from, max_hops, &admin, &|_| true)
}

/// The shortest path from `from` to a node `goal` accepts, in at most `max_hops` steps: through
/// `Becomes` edges to it, or through a `MakesAdmin` edge to a node the start can become (or is)
/// and that `made_admin` accepts once it has every permission. A start `goal` accepts has the
/// empty path.
pub fn shortest_to_any(
    graph: &Graph,
    from: usize,
    max_hops: usize,
    goal: &dyn Fn(usize) -> bool,
    made_admin: &dyn Fn(usize) -> bool,
) -> Option<Path> {
    graph.nodes.get(from)?;
    if goal(from) {
        return Some(Path { steps: Vec::new() });
    }
    let (parent, dist) = reach(graph, from, max_hops);
    let mut best: Option<(usize, bool, Vec<usize>)> = None;
    let mut consider = |steps: Vec<usize>| {
        if steps.len() > max_hops {
            return;
        }
        let conditional = steps.iter().any(|&e| graph.edges.get(e).is_some_and(|e| e.conditional()));
        let better = best.as_ref().is_none_or(|(len, cond, _)| (steps.len(), conditional) < (*len, *cond));
        if better {
            best = Some((steps.len(), conditional, steps));
        }
    };
    for (x, d) in dist.iter().enumerate() {
        let Some(_) = d else { continue };
        if goal(x) {
            consider(walk(graph, &parent, x));
        }
        // X makes B admin, and the start can become B (or is B).
        for &ei in graph.out.get(x).into_iter().flatten() {
            let Some(e) = graph.edges.get(ei) else { continue };
            if e.gain != Gain::MakesAdmin || dist[e.to].is_none() || !made_admin(e.to) {
                continue;
            }
            let mut steps = walk(graph, &parent, x);
            steps.push(ei);
            if e.to != x {
                steps.extend(walk(graph, &parent, e.to));
            }
            consider(steps);
        }
    }
    best.map(|(_, _, steps)| Path { steps })
}

/// The shortest path of `Becomes` edges from `from` to `to`, in at most `max_hops` steps.
pub fn shortest_to(graph: &Graph, from: usize, to: usize, max_hops: usize) -> Option<Path> {
    let (parent, dist) = reach(graph, from, max_hops);
    dist.get(to).copied().flatten().map(|_| Path { steps: walk(graph, &parent, to) })
}
