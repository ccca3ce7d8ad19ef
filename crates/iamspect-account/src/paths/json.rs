//! The JSON of `paths` (`docs/output-format.md`, `docs/schemas/paths.schema.json`), shared by the
//! CLI and the server's `POST /v1/paths`.

use serde_json::{Value, json};

use super::{Cut, Decided, Edge, Gain, Graph, Path, TECHNIQUES};

/// One request of a step.
pub fn request_json(r: &Decided) -> Value {
    json!({
        "principal": r.principal,
        "action": r.action,
        "resource": r.resource,
        "context": r.context.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        "conditional": r.conditional,
        "grantedBy": r.granted_by().iter().map(|(p, s, l, c)| json!({"policy": p, "statement": s, "line": l, "column": c})).collect::<Vec<_>>(),
        "conditions": r.conditions(),
        "after": r.after,
    })
}

/// One step of a path.
pub fn step_json(graph: &Graph, e: &Edge) -> Value {
    let arn = |n: usize| graph.nodes.get(n).map(|n| n.arn.clone()).unwrap_or_default();
    json!({
        "from": arn(e.from),
        "to": arn(e.to),
        "technique": e.technique,
        "gain": match e.gain { Gain::Becomes => "becomes", Gain::MakesAdmin => "makesAdmin" },
        "story": e.story,
        "requests": e.requests.iter().map(request_json).collect::<Vec<_>>(),
        "conditions": e.conditions,
    })
}

/// One principal's answer: whether it is admin, whether it reaches the target (admin when
/// `target` is `None`), its shortest path, and with `--cut` what would cut it.
pub fn principal_json(graph: &Graph, node: usize, path: Option<&Path>, target: Option<usize>, cuts: &[Cut]) -> Value {
    let Some(n) = graph.nodes.get(node) else { return Value::Null };
    let paths: Vec<Value> = path
        .into_iter()
        .filter(|p| !p.steps.is_empty())
        .map(|p| {
            json!({
                "conditional": p.conditional(graph),
                "steps": p.steps.iter().filter_map(|&e| graph.edges.get(e)).map(|e| step_json(graph, e)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = json!({
        "arn": n.arn,
        "kind": n.kind,
        "isAdmin": n.admin.is_admin,
        "admin": {"why": n.admin.why, "guardrails": n.admin.guardrails},
        "paths": paths,
    });
    if !cuts.is_empty() {
        v["cuts"] = cuts
            .iter()
            .map(|c| {
                json!({"policy": c.policy, "statement": c.statement, "line": c.line, "sharedBy": c.shared_by, "removesEveryPath": c.removes_every_path})
            })
            .collect::<Vec<_>>()
            .into();
    }
    match target {
        None => v["reachesAdmin"] = json!(path.is_some()),
        Some(_) => v["reachesTarget"] = json!(path.is_some()),
    }
    v
}

/// The whole answer, around the principals' entries.
pub fn answer_json(graph: &Graph, principals: Vec<Value>, target: Option<usize>, time: &str, max_hops: usize) -> Value {
    json!({
        "to": target.and_then(|t| graph.nodes.get(t)).map_or("admin".to_string(), |n| n.arn.clone()),
        "maxHops": max_hops,
        "time": time,
        "principals": principals,
        "edges": graph.edges.len(),
        "techniques": TECHNIQUES.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
        "leftOut": graph.left_out,
    })
}
