//! A JSON-shaped tree with byte ranges into the file it came from, built from JSON (jsonc-parser)
//! or YAML (saphyr's `MarkedYaml`, which keeps CloudFormation's `!Ref`/`!Sub` tags). Short-form
//! tags become their long form (`!Sub x` is `{"Fn::Sub": x}`, `!GetAtt a.b` is
//! `{"Fn::GetAtt": ["a", "b"]}`), so templates in both syntaxes are read by the same code.

use std::ops::Range;

use jsonc_parser::common::Ranged;

/// A value and the bytes of the file it was read from.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) range: Range<usize>,
}

#[derive(Clone, Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// An object key and its bytes.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) range: Range<usize>,
}

impl Node {
    /// The value of `key`, when this is an object that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// `{"Ref": x}`, `{"Condition": x}` or `{"Fn::...": x}`: the function's name and argument.
    pub(crate) fn intrinsic(&self) -> Option<(&str, &Node)> {
        match &self.value {
            Value::Map(entries) if entries.len() == 1 => {
                let (k, v) = entries.first()?;
                (k.name == "Ref" || k.name == "Condition" || k.name.starts_with("Fn::")).then_some((k.name.as_str(), v))
            }
            _ => None,
        }
    }
}

/// Reads JSON (comments and trailing commas tolerated, as CloudFormation's own reader is lax
/// about neither; the policies inside are still linted strictly from the text we rebuild).
pub(crate) fn from_json(text: &str) -> Result<Node, String> {
    let options = jsonc_parser::ParseOptions::default();
    let parsed = jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
        .map_err(|e| e.to_string())?;
    let value = parsed.value.ok_or_else(|| "the document is empty".to_string())?;
    Ok(json_node(&value))
}

fn json_node(value: &jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value as J};
    let r = value.range();
    let v = match value {
        J::StringLit(s) => Value::String(s.value.to_string()),
        J::NumberLit(n) => Value::Number(n.value.to_string()),
        J::BooleanLit(b) => Value::Bool(b.value),
        J::NullKeyword(_) => Value::Null,
        J::Array(a) => Value::Seq(a.elements.iter().map(json_node).collect()),
        J::Object(o) => Value::Map(
            o.properties
                .iter()
                .map(|p| {
                    let range = match &p.name {
                        ObjectPropName::String(s) => s.range(),
                        ObjectPropName::Word(w) => w.range(),
                    };
                    (Key { name: p.name.as_str().to_string(), range: range.start..range.end }, json_node(&p.value))
                })
                .collect(),
        ),
    };
    Node { value: v, range: r.start..r.end }
}

/// Reads the first document of a YAML stream.
pub(crate) fn from_yaml(text: &str) -> Result<Node, String> {
    use saphyr::LoadableYamlNode as _;
    let docs = saphyr::MarkedYaml::load_from_str(text).map_err(|e| e.to_string())?;
    let doc = docs.first().ok_or_else(|| "the document is empty".to_string())?;
    let lines = LineIndex::new(text);
    Ok(yaml_node(doc, &lines, text))
}

/// Byte offsets of line starts, to turn saphyr's (line, character column) markers into bytes.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn offset(&self, text: &str, marker: &saphyr::Marker) -> usize {
        let line_start = self.starts.get(marker.line().saturating_sub(1)).copied().unwrap_or(text.len());
        let rest = text.get(line_start..).unwrap_or("");
        rest.char_indices().nth(marker.col()).map_or(text.len(), |(i, _)| line_start + i)
    }
}

fn yaml_node(node: &saphyr::MarkedYaml<'_>, lines: &LineIndex, text: &str) -> Node {
    use saphyr::{Scalar, YamlData};
    let start = lines.offset(text, &node.span.start);
    let end = lines.offset(text, &node.span.end).max(start);
    let value = match &node.data {
        YamlData::Value(s) => match s {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::Number(i.to_string()),
            Scalar::FloatingPoint(f) => Value::Number(f.to_string()),
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Representation(s, _, _) => Value::String(s.to_string()),
        YamlData::Sequence(items) => Value::Seq(items.iter().map(|n| yaml_node(n, lines, text)).collect()),
        YamlData::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    let key = yaml_node(k, lines, text);
                    let name = match key.value {
                        Value::String(s) | Value::Number(s) => s,
                        Value::Bool(b) => b.to_string(),
                        _ => String::new(),
                    };
                    (Key { name, range: key.range }, yaml_node(v, lines, text))
                })
                .collect(),
        ),
        YamlData::Tagged(tag, inner) => {
            let inner = yaml_node(inner, lines, text);
            let long = match tag.suffix.as_str() {
                "Ref" | "Condition" => tag.suffix.clone(),
                s => format!("Fn::{s}"),
            };
            let arg = match (&inner.value, long.as_str()) {
                (Value::String(s), "Fn::GetAtt") => {
                    let range = inner.range.clone();
                    let parts = s
                        .splitn(2, '.')
                        .map(|p| Node { value: Value::String(p.to_string()), range: range.clone() })
                        .collect();
                    Node { value: Value::Seq(parts), range }
                }
                _ => inner,
            };
            let tag_range = start..start + tag.suffix.len() + 1;
            let end = trim_end(text, start, end.max(arg.range.end));
            return Node { value: Value::Map(vec![(Key { name: long, range: tag_range }, arg)]), range: start..end };
        }
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    };
    // Block collections may end where their last item ends.
    let end = match &value {
        Value::Seq(items) => items.iter().map(|n| n.range.end).max().unwrap_or(end).max(end),
        Value::Map(entries) => entries.iter().map(|(_, n)| n.range.end).max().unwrap_or(end).max(end),
        _ => end,
    };
    Node { value, range: start..trim_end(text, start, end) }
}

/// Block scalars and collections end where the next node starts: leave out the blank space.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    text.get(start..end).map_or(end, |s| start + s.trim_end().len())
}
