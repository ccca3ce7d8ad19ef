//! Access Analyzer's location paths: where a span sits inside a policy document, as
//! `{"value": key}` (enter an object member), `{"index": i}` (an array element), `{"key": k}` (the
//! key itself) and `{"substring": {"start", "length"}}` (part of a string). Shared by
//! `iamspect lint --format json` and `POST /v1/lint`.

use iamspect_core::Span;
use jsonc_parser::ast::{ObjectPropName, Value as J};
use jsonc_parser::common::Ranged;
use serde_json::{Value, json};

/// A policy document read once, to locate any number of spans in it.
pub struct PolicyPaths<'t> {
    ast: Option<J<'t>>,
}

impl<'t> PolicyPaths<'t> {
    /// Reads `text` leniently (a document with a syntax error has no paths).
    pub fn new(text: &'t str) -> PolicyPaths<'t> {
        let options = jsonc_parser::ParseOptions::default();
        let ast = jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
            .ok()
            .and_then(|r| r.value);
        PolicyPaths { ast }
    }

    /// The path to `span`; empty when the document could not be read or the span is the whole of it.
    pub fn path(&self, span: Option<Span>) -> Vec<Value> {
        let mut path = Vec::new();
        if let (Some(ast), Some(span)) = (&self.ast, span) {
            walk(ast, span, &mut path);
        }
        path
    }
}

/// Members and elements are in document order and do not overlap, so the only one that can hold
/// `span` is the first that ends at or after it: found by binary search, so that locating every
/// finding of a policy with many statements stays linear.
fn walk(value: &J<'_>, span: Span, path: &mut Vec<Value>) {
    let within = |r: jsonc_parser::common::Range| r.start <= span.start && span.end <= r.end;
    match value {
        J::Object(o) => {
            let first = o.properties.partition_point(|p| p.range().end < span.end);
            if let Some(p) = o.properties.get(first) {
                let name_range = match &p.name {
                    ObjectPropName::String(s) => s.range(),
                    ObjectPropName::Word(w) => w.range(),
                };
                if within(name_range) {
                    path.push(json!({"key": p.name.as_str()}));
                } else if within(p.value.range()) {
                    path.push(json!({"value": p.name.as_str()}));
                    walk(&p.value, span, path);
                }
            }
        }
        J::Array(a) => {
            let i = a.elements.partition_point(|el| el.range().end < span.end);
            if let Some(el) = a.elements.get(i)
                && within(el.range())
            {
                path.push(json!({"index": i}));
                walk(el, span, path);
            }
        }
        J::StringLit(s) => {
            let r = s.range();
            if span.start > r.start && span.end < r.end {
                path.push(json!({"substring": {"start": span.start - r.start - 1, "length": span.end - span.start}}));
            }
        }
        _ => {}
    }
}
