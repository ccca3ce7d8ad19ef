//! The `paths` table: each principal's shortest path to admin, one row per step, taken from the
//! JSON `iamspect paths --format json` prints (`iamspect_account::paths::json`), so that the rows
//! are its answer, not a second reading of the graph (decision D164).

use iamspect_account::paths::json::principal_json;
use iamspect_account::paths::{Graph, shortest_to_admin};
use serde_json::Value;

use crate::schema::{Cell, Row};

/// The rows of node `node` of `graph`: one per step of its shortest path to admin in at most
/// `max_hops` steps, or one row with no step when it is admin already or reaches no admin.
pub(crate) fn rows(graph: &Graph, node: usize, max_hops: usize) -> Vec<Row> {
    let path = shortest_to_admin(graph, node, max_hops);
    let v = principal_json(graph, node, path.as_ref(), None, &[]);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let optional = |v: &Value| v.as_str().map(str::to_string);
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).collect()
    };
    let reaches = v["reachesAdmin"].as_bool().unwrap_or(false);
    let first = &v["paths"][0];
    let steps: Vec<&Value> = first["steps"].as_array().into_iter().flatten().collect();
    let head = |step: Option<i64>| -> Row {
        vec![
            Cell::Text(text(&v["arn"])),
            Cell::Text(text(&v["kind"])),
            Cell::Bool(v["isAdmin"].as_bool().unwrap_or(false)),
            Cell::Bool(reaches),
            Cell::Bool(first["conditional"].as_bool().unwrap_or(false)),
            Cell::OptionalInt(reaches.then_some(steps.len() as i64)),
            Cell::OptionalInt(step),
        ]
    };
    if steps.is_empty() {
        let mut row = head(None);
        row.extend([
            Cell::Optional(None),
            Cell::Optional(None),
            Cell::Optional(None),
            Cell::Optional(None),
            Cell::Optional(None),
            Cell::List(Vec::new()),
            Cell::List(Vec::new()),
        ]);
        return vec![row];
    }
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut row = head(Some(i as i64 + 1));
            row.extend([
                Cell::Optional(optional(&s["from"])),
                Cell::Optional(optional(&s["to"])),
                Cell::Optional(optional(&s["technique"])),
                Cell::Optional(optional(&s["gain"])),
                Cell::Optional(optional(&s["story"])),
                // Each request as the JSON object `paths` prints for it.
                Cell::List(s["requests"].as_array().into_iter().flatten().map(Value::to_string).collect()),
                Cell::List(strings(&s["conditions"])),
            ]);
            row
        })
        .collect()
}
