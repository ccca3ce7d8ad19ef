//! Listings that say what a name stands for, so that a request naming a resource by a name is
//! decided on the resource AWS authorizes: `aws kms list-aliases` (an alias to its key) and
//! `aws secretsmanager list-secrets` (a secret's name to its full ARN, with the six random
//! characters AWS adds).

use serde_json::Value;

/// `{"Aliases": [{"AliasName", "AliasArn", "TargetKeyId"}, ...]}`: alias ARN to key ARN. Aliases
/// without a target (AWS managed aliases whose key was never created) point nowhere and are left
/// out; an entry without a readable `AliasArn` fails the file.
pub(crate) fn kms_aliases(items: &[Value]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let arn =
            item.get("AliasArn").and_then(Value::as_str).ok_or_else(|| format!("Aliases[{i}] has no `AliasArn`"))?;
        let Some((prefix, alias)) = arn.split_once(":alias/") else {
            return Err(format!("Aliases[{i}]: `{arn}` is not a KMS alias ARN"));
        };
        if !prefix.starts_with("arn:") || !prefix.contains(":kms:") {
            return Err(format!("Aliases[{i}]: `{arn}` is not a KMS alias ARN"));
        }
        if item.get("AliasName").and_then(Value::as_str).is_some_and(|n| n != format!("alias/{alias}")) {
            return Err(format!("Aliases[{i}]: `AliasName` does not match `{arn}`"));
        }
        let Some(target) = item.get("TargetKeyId").and_then(Value::as_str) else { continue };
        out.push((arn.to_string(), format!("{prefix}:key/{target}")));
    }
    Ok(out)
}

/// `{"SecretList": [{"ARN", "Name"}, ...]}`: the secrets' full ARNs.
pub(crate) fn secrets(items: &[Value]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let arn = item.get("ARN").and_then(Value::as_str).ok_or_else(|| format!("SecretList[{i}] has no `ARN`"))?;
        let Some((_, resource)) = arn.split_once(":secret:") else {
            return Err(format!("SecretList[{i}]: `{arn}` is not a secret ARN"));
        };
        if let Some(name) = item.get("Name").and_then(Value::as_str)
            && resource.strip_prefix(name).is_none_or(|rest| rest.len() != 7 || !rest.starts_with('-'))
        {
            return Err(format!("SecretList[{i}]: `{arn}` is not `{name}` followed by `-` and six characters"));
        }
        out.push(arn.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_secrets() {
        let aliases = serde_json::json!([
            {"AliasName": "alias/app", "AliasArn": "arn:aws:kms:us-east-1:111122223333:alias/app", "TargetKeyId": "k1"},
            {"AliasName": "alias/aws/s3", "AliasArn": "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"}
        ]);
        assert_eq!(
            kms_aliases(aliases.as_array().unwrap()).unwrap(),
            [(
                "arn:aws:kms:us-east-1:111122223333:alias/app".to_string(),
                "arn:aws:kms:us-east-1:111122223333:key/k1".to_string()
            )]
        );
        let bad = serde_json::json!([{"AliasName": "alias/x", "AliasArn": "arn:aws:kms:us-east-1:1:alias/y", "TargetKeyId": "k"}]);
        assert!(kms_aliases(bad.as_array().unwrap()).is_err());
        let secrets_list = serde_json::json!([{"ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf", "Name": "app/db"}]);
        assert_eq!(secrets(secrets_list.as_array().unwrap()).unwrap().len(), 1);
        let bad = serde_json::json!([{"ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db", "Name": "app/db"}]);
        assert!(secrets(bad.as_array().unwrap()).is_err());
    }
}
