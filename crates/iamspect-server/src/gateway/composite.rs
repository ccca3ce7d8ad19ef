//! Operations that AWS authorizes as other actions, often several (decision D60): batches as their
//! single operation (`sqs:SendMessageBatch` is `sqs:SendMessage` on the queue), DynamoDB
//! transactions as each item's own operation on its table, PartiQL statements as
//! `dynamodb:PartiQLSelect`/`Insert`/`Update`/`Delete` on the table they name, and KMS calls whose
//! key is inside the ciphertext (`Decrypt`, `ReEncrypt`). What cannot be read exactly is refused.

use serde_json::Value;

use super::resource::{self, Params, Scope};
use super::{Check, Unmapped};

fn unmapped(message: String) -> Unmapped {
    Unmapped { code: "IamspectUnknownResource", message }
}

/// The checks of a composite operation, or `None` when the operation is an ordinary one.
pub(crate) fn checks(
    prefix: &str,
    operation: &str,
    params: &Params,
    scope: &Scope<'_>,
) -> Option<Result<Vec<Check>, Unmapped>> {
    let single = |action: &str| -> Result<Vec<Check>, Unmapped> {
        let resources = resource::resources(action, params, scope)?;
        Ok(resources.into_iter().map(|r| Check::new(action.to_string(), r)).collect())
    };
    match (prefix, operation) {
        ("sqs", "SendMessageBatch") => Some(single("sqs:SendMessage")),
        ("sqs", "DeleteMessageBatch") => Some(single("sqs:DeleteMessage")),
        ("sqs", "ChangeMessageVisibilityBatch") => Some(single("sqs:ChangeMessageVisibility")),
        ("dynamodb", "TransactWriteItems" | "TransactGetItems") => Some(transaction(params, scope)),
        ("dynamodb", "ExecuteStatement") => Some(statements(params, scope, Statements::One)),
        ("dynamodb", "BatchExecuteStatement") => Some(statements(params, scope, Statements::Batch)),
        ("dynamodb", "ExecuteTransaction") => Some(statements(params, scope, Statements::Transaction)),
        ("kms", "Decrypt") => Some(decrypt(params, scope)),
        ("kms", "ReEncrypt") => Some(re_encrypt(params, scope)),
        _ => None,
    }
}

fn table_arn(name: &str, scope: &Scope<'_>) -> Result<String, Unmapped> {
    if resource::is_arn_of(name, "dynamodb") {
        Ok(name.to_string())
    } else {
        scope.arn("dynamodb", &format!("table/{name}"))
    }
}

fn push_unique(checks: &mut Vec<Check>, check: Check) {
    if !checks.contains(&check) {
        checks.push(check);
    }
}

/// `TransactWriteItems`/`TransactGetItems`: each item's `Put`, `Update`, `Delete`,
/// `ConditionCheck` or `Get` on its `TableName`.
fn transaction(params: &Params, scope: &Scope<'_>) -> Result<Vec<Check>, Unmapped> {
    let json = params.json.as_ref();
    let items = json.and_then(|j| j.get("TransactItems")).and_then(Value::as_array);
    let Some(items) = items.filter(|i| !i.is_empty()) else {
        return Err(unmapped("a DynamoDB transaction without `TransactItems`".to_string()));
    };
    if json.and_then(|j| j.get("TableName")).is_some() {
        return Err(Unmapped {
            code: super::wire::NON_CANONICAL,
            message: "a DynamoDB transaction with a top-level `TableName`: each item names its table".to_string(),
        });
    }
    let mut checks = Vec::new();
    for item in items {
        let Some(object) = item.as_object().filter(|o| o.len() == 1) else {
            return Err(unmapped(
                "a transaction item is not one of `Put`, `Update`, `Delete`, `ConditionCheck`, `Get`".to_string(),
            ));
        };
        let Some((kind, body)) = object.iter().next() else { continue };
        let action = match kind.as_str() {
            "Put" => "dynamodb:PutItem",
            "Update" => "dynamodb:UpdateItem",
            "Delete" => "dynamodb:DeleteItem",
            "ConditionCheck" => "dynamodb:ConditionCheckItem",
            "Get" => "dynamodb:GetItem",
            other => return Err(unmapped(format!("a transaction item of kind `{other}`"))),
        };
        let table = body
            .get("TableName")
            .and_then(Value::as_str)
            .ok_or_else(|| unmapped(format!("a `{kind}` transaction item without `TableName`")))?;
        push_unique(&mut checks, Check::new(action.to_string(), table_arn(table, scope)?));
    }
    Ok(checks)
}

#[derive(Clone, Copy)]
enum Statements {
    One,
    Batch,
    Transaction,
}

/// PartiQL: each statement's verb and table.
fn statements(params: &Params, scope: &Scope<'_>, kind: Statements) -> Result<Vec<Check>, Unmapped> {
    let json = params.json.as_ref();
    let texts: Vec<&str> = match kind {
        Statements::One => json.and_then(|j| j.get("Statement")).and_then(Value::as_str).into_iter().collect(),
        Statements::Batch | Statements::Transaction => {
            let list = if matches!(kind, Statements::Batch) { "Statements" } else { "TransactStatements" };
            json.and_then(|j| j.get(list))
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(|s| s.get("Statement").and_then(Value::as_str)).collect())
                .unwrap_or_default()
        }
    };
    if texts.is_empty() {
        return Err(unmapped("a PartiQL request without a statement".to_string()));
    }
    let mut checks = Vec::new();
    for text in texts {
        let (action, table, index) = partiql(text)?;
        let mut arn = table_arn(&table, scope)?;
        if let Some(index) = index {
            arn = format!("{arn}/index/{index}");
        }
        push_unique(&mut checks, Check::new(action.to_string(), arn));
    }
    Ok(checks)
}

/// A PartiQL token: a keyword or bare name, a quoted name, a string, or punctuation.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Text,
    Punct(char),
}

fn tokens(text: &str) -> Result<Vec<Token>, Unmapped> {
    let bad = |why: &str| unmapped(format!("the PartiQL statement `{text}` cannot be read exactly ({why})"));
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(bad("an unclosed quote")),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        value.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            out.push(if c == '"' { Token::Quoted(value) } else { Token::Text });
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '-') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else if c == '-' && chars.get(i + 1) == Some(&'-') || c == '/' && chars.get(i + 1) == Some(&'*') {
            return Err(bad("a comment"));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    Ok(out)
}

/// The action, table and index a PartiQL statement acts on.
fn partiql(text: &str) -> Result<(&'static str, String, Option<String>), Unmapped> {
    let bad = |why: &str| unmapped(format!("the PartiQL statement `{text}` cannot be read exactly ({why})"));
    let tokens = tokens(text)?;
    let keyword = |t: &Token, k: &str| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case(k));
    let name = |t: Option<&Token>| match t {
        Some(Token::Word(w) | Token::Quoted(w)) if !w.is_empty() => Some(w.clone()),
        _ => None,
    };
    if tokens.iter().filter(|t| matches!(t, Token::Punct(';'))).count() > 0 {
        return Err(bad("more than one statement"));
    }
    let first = tokens.first().ok_or_else(|| bad("it is empty"))?;
    let froms: Vec<usize> = tokens.iter().enumerate().filter(|(_, t)| keyword(t, "FROM")).map(|(i, _)| i).collect();
    let (action, at) = if keyword(first, "SELECT") {
        let [from] = froms.as_slice() else { return Err(bad("a SELECT with other than one FROM")) };
        ("dynamodb:PartiQLSelect", from + 1)
    } else if keyword(first, "DELETE") {
        if !tokens.get(1).is_some_and(|t| keyword(t, "FROM")) || froms.len() != 1 {
            return Err(bad("a DELETE that is not DELETE FROM table"));
        }
        ("dynamodb:PartiQLDelete", 2)
    } else if keyword(first, "INSERT") {
        if !tokens.get(1).is_some_and(|t| keyword(t, "INTO")) || !froms.is_empty() {
            return Err(bad("an INSERT that is not INSERT INTO table"));
        }
        ("dynamodb:PartiQLInsert", 2)
    } else if keyword(first, "UPDATE") {
        if !froms.is_empty() {
            return Err(bad("an UPDATE with FROM"));
        }
        ("dynamodb:PartiQLUpdate", 1)
    } else {
        return Err(bad("it is not SELECT, INSERT, UPDATE or DELETE"));
    };
    let table = name(tokens.get(at)).ok_or_else(|| bad("no table name"))?;
    let index = match tokens.get(at + 1) {
        Some(Token::Punct('.')) => Some(name(tokens.get(at + 2)).ok_or_else(|| bad("no index name after `.`"))?),
        _ => None,
    };
    if index.is_some() && action != "dynamodb:PartiQLSelect" {
        return Err(bad("an index outside a SELECT"));
    }
    Ok((action, table, index))
}

/// The key id at the start of a ciphertext blob, as the emulators write it (36 characters of the
/// key's UUID, then the encrypted data): moto and LocalStack both do; AWS's format is opaque.
fn key_in_blob(blob: &str) -> Result<String, Unmapped> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .map_err(|_| unmapped("the `CiphertextBlob` is not base64".to_string()))?;
    let head = bytes.get(..36).and_then(|h| std::str::from_utf8(h).ok());
    let uuid = head.filter(|h| {
        h.bytes().enumerate().all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() })
    });
    uuid.map(str::to_string).ok_or_else(|| {
        unmapped("the `CiphertextBlob` does not start with a key id, so the key it was encrypted under cannot be read; give `KeyId`".to_string())
    })
}

/// The key of a blob, and the `KeyId` given with it, which must name the same key (AWS
/// authorizes on the key the ciphertext was made under; a `KeyId` naming another key fails).
fn blob_key(params: &Params, blob_param: &str, key_param: &str, scope: &Scope<'_>) -> Result<String, Unmapped> {
    let given = params.get(key_param);
    let Some(blob) = params.get(blob_param) else {
        return match given {
            Some(id) => resource::kms_key(&id, scope),
            None => Err(unmapped(format!("neither `{key_param}` nor `{blob_param}` names the key"))),
        };
    };
    let from_blob = match (key_in_blob(&blob), &given) {
        (Ok(key), _) => resource::kms_key(&key, scope)?,
        (Err(_), Some(id)) if !id.contains("alias/") => return resource::kms_key(id, scope),
        (Err(e), _) => return Err(e),
    };
    match given {
        Some(id) if !id.contains("alias/") => {
            let named = resource::kms_key(&id, scope)?;
            if named != from_blob {
                return Err(Unmapped {
                    code: super::wire::NON_CANONICAL,
                    message: format!("`{key_param}` names {named} but the ciphertext was made under {from_blob}"),
                });
            }
            Ok(named)
        }
        _ => Ok(from_blob),
    }
}

fn decrypt(params: &Params, scope: &Scope<'_>) -> Result<Vec<Check>, Unmapped> {
    Ok(vec![Check::new("kms:Decrypt".to_string(), blob_key(params, "CiphertextBlob", "KeyId", scope)?)])
}

fn re_encrypt(params: &Params, scope: &Scope<'_>) -> Result<Vec<Check>, Unmapped> {
    let from = blob_key(params, "CiphertextBlob", "SourceKeyId", scope)?;
    let to =
        params.get("DestinationKeyId").ok_or_else(|| unmapped("ReEncrypt without `DestinationKeyId`".to_string()))?;
    Ok(vec![
        Check::new("kms:ReEncryptFrom".to_string(), from),
        Check::new("kms:ReEncryptTo".to_string(), resource::kms_key(&to, scope)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partiql_statements() {
        let ok = |s: &str| partiql(s).map_err(|e| e.message);
        assert_eq!(
            ok(r#"SELECT * FROM "Orders" WHERE id = 'x'"#),
            Ok(("dynamodb:PartiQLSelect", "Orders".into(), None))
        );
        assert_eq!(
            ok(r#"select a, "from" from "Orders"."byDate" where d > '2024'"#),
            Ok(("dynamodb:PartiQLSelect", "Orders".into(), Some("byDate".into())))
        );
        assert_eq!(
            ok(r#"INSERT INTO Orders VALUE {'id': 'FROM x'}"#),
            Ok(("dynamodb:PartiQLInsert", "Orders".into(), None))
        );
        assert_eq!(
            ok(r#"UPDATE "Orders" SET a = 1 WHERE id = 'x'"#),
            Ok(("dynamodb:PartiQLUpdate", "Orders".into(), None))
        );
        assert_eq!(ok(r#"DELETE FROM "Orders" WHERE id = 'x'"#), Ok(("dynamodb:PartiQLDelete", "Orders".into(), None)));
        assert_eq!(ok(r#"SELECT * FROM "A""B""#), Ok(("dynamodb:PartiQLSelect", "A\"B".into(), None)));
        for bad in [
            "",
            "EXISTS(SELECT * FROM x)",
            r#"SELECT * FROM "Orders"; DELETE FROM "Secrets""#,
            r#"SELECT * FROM "Orders" -- FROM "Secrets""#,
            r#"SELECT * FROM "Orders" WHERE a IN (SELECT b FROM "Secrets")"#,
            r#"SELECT * FROM "Orders"#,
            r#"UPDATE "Orders"."idx" SET a = 1"#,
            "DELETE Orders",
        ] {
            assert!(partiql(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_in_emulator_blobs() {
        use base64::Engine;
        let blob = base64::engine::general_purpose::STANDARD
            .encode([b"1234abcd-12ab-34cd-56ef-1234567890ab".as_slice(), &[0u8, 1, 2, 3]].concat());
        assert_eq!(key_in_blob(&blob).unwrap(), "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert!(key_in_blob("AAAA").is_err());
        assert!(key_in_blob("not base64!").is_err());
    }
}
