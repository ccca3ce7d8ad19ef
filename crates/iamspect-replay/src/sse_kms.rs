//! The KMS actions an S3 call on an SSE-KMS object needs, where the event names the key.
//!
//! S3 calls KMS for the caller: an upload needs `kms:GenerateDataKey` on the key, a download
//! `kms:Decrypt`, and a multipart upload both (Amazon S3 User Guide, "Using server-side
//! encryption with AWS KMS keys" and "Multipart upload API and permissions"). CloudTrail records
//! the key in `requestParameters` or `responseElements` as
//! `x-amz-server-side-encryption-aws-kms-key-id` or `SSEKMSKeyId` (decision D148).

use serde_json::Value;

/// The fields that name the key.
const KEY_FIELDS: [&str; 2] = ["x-amz-server-side-encryption-aws-kms-key-id", "SSEKMSKeyId"];

/// One KMS action an S3 call needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsNeed {
    /// `kms:GenerateDataKey` or `kms:Decrypt`.
    pub action: &'static str,
    /// The key's ARN, or `*` when the event names the key by id or alias only.
    pub resource: String,
    /// The key as the event names it.
    pub key: String,
}

/// The key the event names, if any.
fn key_of(record: &Value) -> Option<String> {
    ["requestParameters", "responseElements"].iter().find_map(|part| {
        let obj = record.get(*part)?;
        KEY_FIELDS
            .iter()
            .find_map(|f| obj.get(*f).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string))
    })
}

/// The KMS actions an S3 event's call needed, or an error for an S3 event naming a key whose
/// operation iamspect does not know the KMS needs of. Empty for other events.
pub fn sse_kms_needs(record: &Value) -> Result<Vec<KmsNeed>, String> {
    if record.get("eventSource").and_then(Value::as_str) != Some("s3.amazonaws.com") {
        return Ok(Vec::new());
    }
    let Some(key) = key_of(record) else { return Ok(Vec::new()) };
    let name = record.get("eventName").and_then(Value::as_str).unwrap_or("");
    let actions: &[&'static str] = match name {
        "PutObject" | "PostObject" | "CopyObject" => &["kms:GenerateDataKey"],
        "CreateMultipartUpload" | "UploadPart" | "UploadPartCopy" | "CompleteMultipartUpload" => {
            &["kms:GenerateDataKey", "kms:Decrypt"]
        }
        "GetObject" | "HeadObject" | "SelectObjectContent" => &["kms:Decrypt"],
        _ => {
            return Err(format!(
                "S3 `{name}` names the KMS key `{key}`; the KMS actions it needs are not known to iamspect, none added"
            ));
        }
    };
    // Only a key ARN names the key's account and region; an id or alias does not.
    let resource = if key.starts_with("arn:") && key.contains(":key/") { key.clone() } else { "*".to_string() };
    Ok(actions.iter().map(|a| KmsNeed { action: a, resource: resource.clone(), key: key.clone() }).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use serde_json::json;

    fn s3(name: &str, params: Value) -> Value {
        json!({"eventSource": "s3.amazonaws.com", "eventName": name, "requestParameters": params})
    }

    #[test]
    fn uploads_downloads_and_multipart() {
        let arn = "arn:aws:kms:eu-west-1:123456789012:key/k1";
        let actions = |r: &Value| sse_kms_needs(r).unwrap().iter().map(|n| n.action).collect::<Vec<_>>();
        assert_eq!(actions(&s3("PutObject", json!({"SSEKMSKeyId": arn}))), ["kms:GenerateDataKey"]);
        assert_eq!(actions(&s3("GetObject", json!({"SSEKMSKeyId": arn}))), ["kms:Decrypt"]);
        assert_eq!(
            actions(&s3("UploadPart", json!({"x-amz-server-side-encryption-aws-kms-key-id": arn}))),
            ["kms:GenerateDataKey", "kms:Decrypt"]
        );
        assert_eq!(sse_kms_needs(&s3("PutObject", json!({"SSEKMSKeyId": arn}))).unwrap()[0].resource, arn);
        // A key id alone names no account or region: `*`, never a guessed ARN.
        assert_eq!(sse_kms_needs(&s3("PutObject", json!({"SSEKMSKeyId": "k1"}))).unwrap()[0].resource, "*");
        assert!(sse_kms_needs(&s3("PutObject", json!({}))).unwrap().is_empty());
        assert!(sse_kms_needs(&s3("RestoreObject", json!({"SSEKMSKeyId": arn}))).is_err());
        let other = json!({"eventSource": "sqs.amazonaws.com", "eventName": "SendMessage", "requestParameters": {"SSEKMSKeyId": arn}});
        assert!(sse_kms_needs(&other).unwrap().is_empty());
    }
}
