//! Rebuilds a policy document as JSON text from a template's [`Node`], with CloudFormation's
//! intrinsic functions replaced by placeholder strings, and remembers which bytes of the rebuilt
//! text came from which bytes of the template ([`Piece`]s).

use std::ops::Range;

use super::tree::{Node, Value};

/// A stretch of the rebuilt text and the template bytes it came from.
#[derive(Clone, Debug)]
pub(crate) struct Piece {
    /// Bytes of the rebuilt policy text.
    pub(crate) generated: Range<usize>,
    /// Bytes of the template.
    pub(crate) file: Range<usize>,
    /// The two are the same text, so offsets inside map one to one.
    pub(crate) exact: bool,
    /// The intrinsic function whose value this is (`Fn::Sub`), when it is one.
    pub(crate) intrinsic: Option<String>,
}

/// Rebuilt policy text and its pieces (children before their parents).
pub(crate) struct Emitted {
    pub(crate) text: String,
    pub(crate) pieces: Vec<Piece>,
}

/// Rebuilds `node` (a policy document object) as JSON.
pub(crate) fn emit(node: &Node, file: &str) -> Emitted {
    let mut e = Emitter { out: String::new(), pieces: Vec::new(), file };
    e.node(node);
    Emitted { text: e.out, pieces: e.pieces }
}

struct Emitter<'a> {
    out: String,
    pieces: Vec<Piece>,
    file: &'a str,
}

impl Emitter<'_> {
    fn node(&mut self, node: &Node) {
        let start = self.out.len();
        if let Some((name, _)) = node.intrinsic() {
            let value = resolve(node);
            self.out.push_str(&quote(&value));
            self.pieces.push(Piece {
                generated: start..self.out.len(),
                file: node.range.clone(),
                exact: false,
                intrinsic: Some(name.to_string()),
            });
            return;
        }
        match &node.value {
            Value::Null => self.scalar("null", node.range.clone()),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, node.range.clone()),
            Value::Number(n) => self.scalar(n, node.range.clone()),
            Value::String(s) => self.string(s, node.range.clone()),
            Value::Seq(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.node(item);
                }
                self.out.push(']');
                self.whole(start, node.range.clone());
            }
            Value::Map(entries) => {
                self.out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(&key.name, key.range.clone());
                    self.out.push(':');
                    self.node(value);
                }
                self.out.push('}');
                self.whole(start, node.range.clone());
            }
        }
    }

    fn whole(&mut self, start: usize, file: Range<usize>) {
        self.pieces.push(Piece { generated: start..self.out.len(), file, exact: false, intrinsic: None });
    }

    fn scalar(&mut self, text: &str, file: Range<usize>) {
        let start = self.out.len();
        self.out.push_str(text);
        let exact = self.file.get(file.clone()) == Some(text);
        self.pieces.push(Piece { generated: start..self.out.len(), file, exact, intrinsic: None });
    }

    fn string(&mut self, s: &str, file: Range<usize>) {
        let start = self.out.len();
        let quoted = quote(s);
        self.out.push_str(&quoted);
        let end = self.out.len();
        let written = self.file.get(file.clone());
        if written == Some(quoted.as_str()) || written == Some(format!("'{s}'").as_str()) {
            self.pieces.push(Piece { generated: start..end, file, exact: true, intrinsic: None });
        } else if written == Some(s) && quoted.len() == s.len() + 2 {
            // A plain YAML scalar: the text between the quotes is the text of the file.
            self.pieces.push(Piece { generated: start..end, file: file.clone(), exact: false, intrinsic: None });
            self.pieces.push(Piece { generated: start + 1..end - 1, file, exact: true, intrinsic: None });
        } else {
            self.pieces.push(Piece { generated: start..end, file, exact: false, intrinsic: None });
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// What CloudFormation's pseudo-parameters stand for offline.
fn pseudo(name: &str) -> Option<&'static str> {
    Some(match name {
        "AWS::Partition" => "aws",
        "AWS::Region" => "us-east-1",
        "AWS::AccountId" => "123456789012",
        "AWS::StackName" => "stack",
        "AWS::StackId" => "arn:aws:cloudformation:us-east-1:123456789012:stack/stack/id",
        "AWS::URLSuffix" => "amazonaws.com",
        "AWS::NoValue" => "",
        _ => return None,
    })
}

/// The string a value stands for: literals as they are, pseudo-parameters by placeholder
/// values, `Fn::Sub` and `Fn::Join` evaluated over their parts, and every other function (and
/// references to the template's resources) by a `{{Fn::Name arg}}` placeholder.
pub(crate) fn resolve(node: &Node) -> String {
    match node.intrinsic() {
        Some(("Ref", arg)) => {
            let name = arg.as_str().unwrap_or("");
            pseudo(name).map_or_else(|| format!("{{{{Ref {name}}}}}"), str::to_string)
        }
        Some(("Fn::Sub", arg)) => {
            let (template, vars) = match &arg.value {
                Value::String(s) => (s.as_str(), None),
                Value::Seq(items) => (items.first().and_then(Node::as_str).unwrap_or(""), items.get(1)),
                _ => ("", None),
            };
            substitute(template, vars)
        }
        Some(("Fn::Join", arg)) => match &arg.value {
            Value::Seq(items) => {
                let sep = items.first().and_then(Node::as_str).unwrap_or("");
                match items.get(1).map(|n| &n.value) {
                    Some(Value::Seq(parts)) => parts.iter().map(resolve).collect::<Vec<_>>().join(sep),
                    _ => "{{Fn::Join}}".to_string(),
                }
            }
            _ => "{{Fn::Join}}".to_string(),
        },
        Some(("Fn::GetAtt", arg)) => {
            let target = match &arg.value {
                Value::Seq(items) => items.iter().filter_map(Node::as_str).collect::<Vec<_>>().join("."),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            format!("{{{{Fn::GetAtt {target}}}}}")
        }
        Some((name, _)) => format!("{{{{{name}}}}}"),
        None => match &node.value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.clone(),
            Value::Bool(b) => b.to_string(),
            _ => "{{value}}".to_string(),
        },
    }
}

/// `Fn::Sub`'s `${Name}` substitution; `${!Literal}` stands for `${Literal}`.
fn substitute(template: &str, vars: Option<&Node>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find("${") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 2..).unwrap_or("");
        let Some(close) = after.find('}') else {
            out.push_str(rest.get(i..).unwrap_or(""));
            return out;
        };
        let name = after.get(..close).unwrap_or("");
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(v) = vars.and_then(|v| v.get(name)) {
            out.push_str(&resolve(v));
        } else if let Some(p) = pseudo(name) {
            out.push_str(p);
        } else {
            out.push_str(name.split('.').next().unwrap_or(name));
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}
