//! Edits made on a policy's own text, so that a fix is a patch of the user's file.
//!
//! A fix used to be computed on a re-formatted copy of the policy, and its diff did not apply to
//! the file the user has (decision D80). Here every edit inserts or replaces bytes at a place found
//! in the parsed text, and everything else stays as it was: the layout, the indentation, the key
//! order, the line endings. What is inserted is written in the file's style: on new lines indented
//! like its neighbours when the list or object spans lines, inline with the file's separators when
//! it does not.

use jsonc_parser::ast::{Array, Object, ObjectProp, ObjectPropName, Value as Ast};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};
use serde_json::Value;

/// How the text writes JSON.
#[derive(Clone, Debug)]
struct Style {
    /// `\r\n` when the text uses it.
    newline: &'static str,
    /// One level of indentation (two spaces when the text shows none).
    unit: String,
    /// What follows a `:` (a space, or nothing).
    colon: &'static str,
    /// What follows a `,` on the same line (a space, or nothing).
    comma: &'static str,
}

impl Style {
    fn of(text: &str) -> Style {
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        // One level: the smallest step by which a line is indented more than the line before
        // (a policy inside a case file starts deep, so its smallest indentation is not a unit).
        let indents: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
            .collect();
        let unit = indents
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if b.len() > a.len() && b.starts_with(a) => b.get(a.len()..),
                _ => None,
            })
            .min_by_key(|s| s.len())
            .map_or_else(|| "  ".to_string(), str::to_string);
        let colon = if text.contains("\":") && !text.contains("\": ") { "" } else { " " };
        let comma = if text.contains(",\"") && !text.contains(", \"") { "" } else { " " };
        Style { newline, unit, colon, comma }
    }

    /// `value` as JSON text, its nested lines indented from `indent`; on one line when `inline`.
    fn render(&self, value: &Value, indent: &str, inline: bool) -> String {
        match value {
            Value::Object(map) if !map.is_empty() => {
                let member = |(k, v): (&String, &Value), indent: &str| {
                    format!("{}:{}{}", json_string(k), self.colon, self.render(v, indent, inline))
                };
                if inline {
                    let parts: Vec<String> = map.iter().map(|kv| member(kv, indent)).collect();
                    format!("{{{}}}", parts.join(&format!(",{}", self.comma)))
                } else {
                    let inner = format!("{indent}{}", self.unit);
                    let parts: Vec<String> = map.iter().map(|kv| format!("{inner}{}", member(kv, &inner))).collect();
                    format!("{{{nl}{}{nl}{indent}}}", parts.join(&format!(",{}", self.newline)), nl = self.newline)
                }
            }
            // A list of strings stays on one line, as policies usually write `Action` lists.
            Value::Array(items) if !items.is_empty() => {
                let scalars = items.iter().all(|v| !v.is_object() && !v.is_array());
                if inline || scalars {
                    let parts: Vec<String> = items.iter().map(|v| self.render(v, indent, true)).collect();
                    format!("[{}]", parts.join(&format!(",{}", self.comma)))
                } else {
                    let inner = format!("{indent}{}", self.unit);
                    let parts: Vec<String> =
                        items.iter().map(|v| format!("{inner}{}", self.render(v, &inner, false))).collect();
                    format!("[{nl}{}{nl}{indent}]", parts.join(&format!(",{}", self.newline)), nl = self.newline)
                }
            }
            other => other.to_string(),
        }
    }
}

fn json_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// One replacement of bytes `start..end` by `text`.
struct Splice {
    start: usize,
    end: usize,
    text: String,
}

fn apply(text: &str, splice: Splice) -> String {
    let mut out = String::with_capacity(text.len() + splice.text.len());
    out.push_str(text.get(..splice.start).unwrap_or(text));
    out.push_str(&splice.text);
    out.push_str(text.get(splice.end..).unwrap_or(""));
    out
}

fn parse(text: &str) -> Result<Ast<'_>, String> {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options)
        .map_err(|e| format!("the policy text could not be read for editing: {}", e.kind()))?
        .value
        .ok_or_else(|| "the policy text is empty".to_string())
}

fn prop_name<'a>(prop: &'a ObjectProp<'_>) -> &'a str {
    match &prop.name {
        ObjectPropName::String(s) => &s.value,
        ObjectPropName::Word(w) => w.value,
    }
}

fn find<'a, 'b>(object: &'a Object<'b>, name: &str, fold_case: bool) -> Option<&'a ObjectProp<'b>> {
    object
        .properties
        .iter()
        .find(|p| if fold_case { prop_name(p).eq_ignore_ascii_case(name) } else { prop_name(p) == name })
}

/// The whitespace before `offset` on its line, when nothing else precedes it there.
fn indent_at(text: &str, offset: usize) -> Option<&str> {
    let head = text.get(..offset)?;
    let start = head.rfind('\n').map_or(0, |i| i + 1);
    let ws = head.get(start..)?;
    ws.chars().all(|c| c == ' ' || c == '\t').then_some(ws)
}

/// Whether the text between `start` and `end` spans lines.
fn spans_lines(text: &str, start: usize, end: usize) -> bool {
    text.get(start..end).is_some_and(|t| t.contains('\n'))
}

/// The splice that appends `item` to a list or an object after its last entry (which ends at
/// `last_end` and starts at `last_start`), on a new line indented like the last entry when the
/// container spans lines, inline otherwise.
fn after_last(
    text: &str,
    style: &Style,
    last_start: usize,
    last_end: usize,
    item: impl Fn(&str, bool) -> String,
) -> Splice {
    let text_out = match indent_at(text, last_start) {
        Some(indent) => format!(",{}{indent}{}", style.newline, item(indent, false)),
        None => {
            // The last entry shares its line with something: continue on that line.
            let indent = indent_of_line(text, last_start);
            format!(",{}{}", style.comma, item(&indent, !spans_lines(text, last_start, last_end)))
        }
    };
    Splice { start: last_end, end: last_end, text: text_out }
}

/// The indentation of the line `offset` is on.
fn indent_of_line(text: &str, offset: usize) -> String {
    let head = text.get(..offset).unwrap_or("");
    let start = head.rfind('\n').map_or(0, |i| i + 1);
    text.get(start..).unwrap_or("").chars().take_while(|c| *c == ' ' || *c == '\t').collect()
}

/// The splice that puts `item` into an empty container `[]` or `{}` spanning `start..end`.
fn into_empty(text: &str, style: &Style, start: usize, end: usize, item: impl Fn(&str, bool) -> String) -> Splice {
    let indent = indent_of_line(text, start);
    let multiline = text.contains('\n');
    let inner = format!("{indent}{}", style.unit);
    let body = if multiline {
        format!("{}{inner}{}{}{indent}", style.newline, item(&inner, false), style.newline)
    } else {
        item(&indent, true)
    };
    Splice { start: start + 1, end: end.saturating_sub(1), text: body }
}

fn root_object<'a, 'b>(ast: &'a Ast<'b>) -> Result<&'a Object<'b>, String> {
    match ast {
        Ast::Object(o) => Ok(o),
        _ => Err("the policy is not a JSON object".to_string()),
    }
}

/// The statement at `index` (the only one when `Statement` is an object).
fn statement<'a, 'b>(root: &'a Object<'b>, index: usize) -> Result<&'a Object<'b>, String> {
    let prop = find(root, "Statement", false).ok_or("the policy has no `Statement`")?;
    match (&prop.value, index) {
        (Ast::Array(list), _) => match list.elements.get(index) {
            Some(Ast::Object(o)) => Ok(o),
            _ => Err(format!("statement {index} could not be found for editing")),
        },
        (Ast::Object(o), 0) => Ok(o),
        _ => Err(format!("statement {index} could not be found for editing")),
    }
}

/// Appends `statement` to the policy's `Statement` list (a single statement object becomes a
/// list of two).
///
/// # Errors
/// When the text is not a policy object with a `Statement`.
pub fn add_statement(text: &str, statement: &Value) -> Result<String, String> {
    let style = Style::of(text);
    let ast = parse(text)?;
    let root = root_object(&ast)?;
    let prop = find(root, "Statement", false).ok_or("the policy has no `Statement`")?;
    let render = |indent: &str, inline: bool| style.render(statement, indent, inline);
    let splice = match &prop.value {
        Ast::Array(Array { elements, range }) => match elements.last() {
            Some(last) => after_last(text, &style, last.start(), last.end(), render),
            None => into_empty(text, &style, range.start, range.end, render),
        },
        Ast::Object(one) => {
            // `[` before the object and `, {new}]` after it: the object's own lines stay as they are.
            let (start, end) = (one.range.start, one.range.end);
            let old = text.get(start..end).unwrap_or("");
            let indent = indent_of_line(text, start);
            let inline = !spans_lines(text, start, end);
            let sep = if inline { style.comma.to_string() } else { format!("{}{indent}", style.newline) };
            Splice { start, end, text: format!("[{old},{sep}{}]", render(&indent, inline)) }
        }
        _ => return Err("`Statement` is neither a list nor an object".to_string()),
    };
    Ok(apply(text, splice))
}

/// Adds `member` (`name: value`) to `object`.
fn add_member(text: &str, style: &Style, object: &Object<'_>, name: &str, value: &Value) -> Splice {
    let render = |indent: &str, inline: bool| {
        format!("{}:{}{}", json_string(name), style.colon, style.render(value, indent, inline))
    };
    match object.properties.last() {
        Some(last) => after_last(text, style, last.range.start, last.range.end, render),
        None => into_empty(text, style, object.range.start, object.range.end, render),
    }
}

/// Adds `value` to the values of `key` under `operator` in the `Condition` of statement `index`,
/// making the `Condition`, the operator or the key when they are missing. The key is found
/// whatever its case (AWS compares condition keys without case).
///
/// # Errors
/// When the statement or its `Condition` cannot be found or is malformed.
pub fn add_condition_value(text: &str, index: usize, operator: &str, key: &str, value: &str) -> Result<String, String> {
    add_condition_values(text, &[(index, operator, key, value)])
}

/// [`add_condition_value`] for several statements at once (each at most once), with the text
/// read once: a policy with many statements to edit costs one pass, not one per statement.
///
/// # Errors
/// As [`add_condition_value`], and when a statement is named twice.
pub fn add_condition_values(text: &str, edits: &[(usize, &str, &str, &str)]) -> Result<String, String> {
    let style = Style::of(text);
    let ast = parse(text)?;
    let root = root_object(&ast)?;
    let mut splices = Vec::with_capacity(edits.len());
    for (n, &(index, operator, key, value)) in edits.iter().enumerate() {
        if edits.iter().take(n).any(|e| e.0 == index) {
            return Err(format!("statement {index} is edited twice"));
        }
        let stmt = statement(root, index)?;
        splices.push(condition_splice(text, &style, stmt, index, operator, key, value)?);
    }
    // From the end backwards, so that earlier offsets stay valid.
    splices.sort_by_key(|s| std::cmp::Reverse(s.start));
    let mut out = text.to_string();
    for s in splices {
        out.replace_range(s.start..s.end, &s.text);
    }
    Ok(out)
}

fn condition_splice(
    text: &str,
    style: &Style,
    stmt: &Object<'_>,
    index: usize,
    operator: &str,
    key: &str,
    value: &str,
) -> Result<Splice, String> {
    Ok(match find(stmt, "Condition", false) {
        None => {
            let block = serde_json::json!({ operator: { key: value } });
            add_member(text, style, stmt, "Condition", &block)
        }
        Some(ObjectProp { value: Ast::Object(condition), .. }) => match find(condition, operator, false) {
            None => add_member(text, style, condition, operator, &serde_json::json!({ key: value })),
            Some(ObjectProp { value: Ast::Object(keys), .. }) => match find(keys, key, true) {
                None => add_member(text, style, keys, key, &Value::String(value.to_string())),
                Some(existing) => add_value(text, style, &existing.value, value)?,
            },
            Some(_) => return Err(format!("statement {index} has a malformed `{operator}`")),
        },
        Some(_) => return Err(format!("statement {index} has a malformed `Condition`")),
    })
}

/// Adds `value` to a string or a list of strings: a string becomes a list of two.
fn add_value(text: &str, style: &Style, existing: &Ast<'_>, value: &str) -> Result<Splice, String> {
    let new = json_string(value);
    match existing {
        Ast::Array(Array { elements, range }) => Ok(match elements.last() {
            Some(last) => after_last(text, style, last.start(), last.end(), |_, _| new.clone()),
            None => Splice { start: range.start + 1, end: range.end - 1, text: new },
        }),
        Ast::StringLit(s) => {
            let old = text.get(s.range.start..s.range.end).unwrap_or("");
            Ok(Splice { start: s.range.start, end: s.range.end, text: format!("[{old},{}{new}]", style.comma) })
        }
        _ => Err("the condition's values are neither a string nor a list".to_string()),
    }
}

/// Adds `arns` to the `AWS` list of the `NotPrincipal` of statement `index`.
///
/// # Errors
/// When the statement has no `NotPrincipal` object.
pub fn add_not_principal(text: &str, index: usize, arns: &[String]) -> Result<String, String> {
    let style = Style::of(text);
    let mut current = text.to_string();
    for arn in arns {
        let ast = parse(&current)?;
        let stmt = statement(root_object(&ast)?, index)?;
        let Some(ObjectProp { value: Ast::Object(np), .. }) = find(stmt, "NotPrincipal", false) else {
            return Err(format!("statement {index}: `NotPrincipal` is not an object"));
        };
        let splice = match find(np, "AWS", false) {
            None => add_member(&current, &style, np, "AWS", &Value::String(arn.clone())),
            Some(p) => add_value(&current, &style, &p.value, arn)?,
        };
        current = apply(&current, splice);
    }
    Ok(current)
}

/// Adds the field `name` with `value` to case `index` of a case file (an element of its `cases`
/// list, or the file itself when it is one case), in the file's style: how a fix that needs a new
/// policy becomes a patch of the case file.
///
/// # Errors
/// When the case cannot be found, or already has the field.
pub fn add_case_field(text: &str, index: usize, name: &str, value: &Value) -> Result<String, String> {
    let style = Style::of(text);
    let ast = parse(text)?;
    let root = match &ast {
        Ast::Object(o) => o,
        _ => return Err("the case file is not a JSON object".to_string()),
    };
    let case = match find(root, "cases", false) {
        Some(ObjectProp { value: Ast::Array(list), .. }) => match list.elements.get(index) {
            Some(Ast::Object(o)) => o,
            _ => return Err(format!("case {index} could not be found for editing")),
        },
        Some(_) => return Err("`cases` is not a list".to_string()),
        None => root,
    };
    if find(case, name, false).is_some() {
        return Err(format!("case {index} already has `{name}`"));
    }
    Ok(apply(text, add_member(text, &style, case, name, value)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

    use serde_json::json;

    use super::*;

    fn stmt() -> Value {
        json!({"Sid": "Fix", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"})
    }

    /// The edited text parses, and equals the JSON edit of the original.
    fn same_json(edited: &str, expected: Value) {
        let v: Value = serde_json::from_str(edited).unwrap_or_else(|e| panic!("{e}: {edited}"));
        assert_eq!(v, expected, "{edited}");
    }

    #[test]
    fn statement_appended_in_the_file_style() {
        let text = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Effect\": \"Deny\",\n            \"Action\": \"*\",\n            \"Resource\": \"*\"\n        }\n    ]\n}\n";
        let out = add_statement(text, &stmt()).unwrap();
        assert!(out.starts_with(text.get(..text.find("        }\n").unwrap() + 9).unwrap()), "{out}");
        assert!(
            out.contains(",\n        {\n            \"Sid\": \"Fix\",\n            \"Effect\": \"Allow\""),
            "{out}"
        );
        let mut v: Value = serde_json::from_str(text).unwrap();
        v["Statement"].as_array_mut().unwrap().push(stmt());
        same_json(&out, v);
    }

    #[test]
    fn compact_policy_stays_compact() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let out = add_statement(text, &stmt()).unwrap();
        assert!(!out.contains('\n'), "{out}");
        assert!(out.contains(r#"},{"Sid":"Fix","Effect":"Allow""#), "{out}");
        let mut v: Value = serde_json::from_str(text).unwrap();
        v["Statement"].as_array_mut().unwrap().push(stmt());
        same_json(&out, v);
    }

    #[test]
    fn single_statement_object_becomes_a_list() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Action\": \"s3:*\",\n    \"Resource\": \"*\"\n  }\n}";
        let out = add_statement(text, &stmt()).unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        same_json(&out, json!({"Version": "2012-10-17", "Statement": [v["Statement"].clone(), stmt()]}));
    }

    #[test]
    fn empty_statement_list() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n";
        let out = add_statement(text, &stmt()).unwrap();
        same_json(&out, json!({"Version": "2012-10-17", "Statement": [stmt()]}));
        assert!(out.contains("\n    {\n      \"Sid\""), "{out}");
    }

    #[test]
    fn crlf_kept() {
        let text = "{\r\n  \"Statement\": [\r\n    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\r\n  ]\r\n}\r\n";
        let out = add_statement(text, &stmt()).unwrap();
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }

    #[test]
    fn condition_value_added_to_an_existing_key() {
        let text = "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Deny\",\n      \"Principal\": \"*\",\n      \"Action\": \"s3:DeleteObject\",\n      \"Resource\": \"*\",\n      \"Condition\": {\n        \"ArnNotEquals\": {\n          \"aws:PrincipalArn\": \"arn:aws:iam::1:role/A\"\n        }\n      }\n    }\n  ]\n}\n";
        let out = add_condition_value(text, 0, "ArnNotEquals", "aws:principalarn", "arn:aws:iam::1:role/B").unwrap();
        assert!(out.contains("\"aws:PrincipalArn\": [\"arn:aws:iam::1:role/A\", \"arn:aws:iam::1:role/B\"]"), "{out}");
        // Only that line changed.
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn condition_made_when_missing() {
        let text = "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}\n";
        let out = add_condition_value(text, 0, "ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::1:role/B").unwrap();
        same_json(
            &out,
            json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/B"}}}]}),
        );
        assert!(out.contains("      \"Resource\": \"*\",\n      \"Condition\": {\n        \"ArnNotEquals\": {\n          \"aws:PrincipalArn\""), "{out}");
        // An operator added beside another, and a key beside another.
        let out2 = add_condition_value(&out, 0, "StringNotEquals", "aws:SourceVpce", "vpce-1").unwrap();
        let out3 = add_condition_value(&out2, 0, "StringNotEquals", "aws:SourceVpc", "vpc-1").unwrap();
        same_json(
            &out3,
            json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/B"},
                    "StringNotEquals": {"aws:SourceVpce": "vpce-1", "aws:SourceVpc": "vpc-1"}}}]}),
        );
    }

    #[test]
    fn not_principal_extended() {
        let text = r#"{"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::1:role/A"}, "Action": "*", "Resource": "*"}]}"#;
        let out = add_not_principal(text, 0, &["arn:aws:iam::1:role/B".into(), "arn:aws:iam::1:root".into()]).unwrap();
        same_json(
            &out,
            json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::1:role/A", "arn:aws:iam::1:role/B", "arn:aws:iam::1:root"]}, "Action": "*", "Resource": "*"}]}),
        );
    }

    #[test]
    fn case_field_added() {
        let text = "{\n  \"cases\": [\n    {\n      \"principal\": \"p\",\n      \"action\": \"s3:GetObject\"\n    }\n  ]\n}\n";
        let out = add_case_field(text, 0, "identityPolicies", &json!([{"Statement": []}])).unwrap();
        assert!(out.contains("\"action\": \"s3:GetObject\",\n      \"identityPolicies\": [\n"), "{out}");
        assert!(add_case_field(text, 1, "x", &json!(1)).is_err());
        let one = r#"{"principal": "p", "action": "a"}"#;
        same_json(&add_case_field(one, 0, "x", &json!(1)).unwrap(), json!({"principal": "p", "action": "a", "x": 1}));
    }

    #[test]
    fn tabs_kept() {
        let text = "{\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Action\": \"*\",\n\t\t\t\"Resource\": \"*\"\n\t\t}\n\t]\n}";
        let out = add_statement(text, &stmt()).unwrap();
        assert!(out.contains(",\n\t\t{\n\t\t\t\"Sid\": \"Fix\""), "{out}");
    }
}
