//! Amazon S3's REST API to IAM actions and resources: the method, the bucket and key (path-style
//! `/bucket/key`, or virtual-hosted `bucket.s3.<anything>` hosts) and the subresource in the query
//! (`?acl`, `?policy`, `?tagging`, `?uploads`, ...) name the action; the resource is
//! `arn:aws:s3:::bucket[/key]`. The request's headers and list parameters give the `s3:` condition
//! keys AWS documents for the action.

use super::{Check, Mapped, Unmapped};

/// What the S3 mapping reads of a request.
pub(crate) struct S3Request<'a> {
    pub(crate) method: &'a str,
    /// The bucket (empty for the service endpoint), as [`super::wire`] read it.
    pub(crate) bucket: &'a str,
    /// The object key (empty for a bucket request), decoded.
    pub(crate) key: &'a str,
    /// The query parameters, decoded.
    pub(crate) query: &'a [(String, String)],
    /// Headers, lower-case names.
    pub(crate) header: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) body: &'a [u8],
    /// True for a presigned URL (`s3:authType` `REST-QUERY-STRING`).
    pub(crate) presigned: bool,
    /// True when the request is signed at all.
    pub(crate) signed: bool,
}

/// Query parameters that are not subresources: list and response options, the signature's own.
const NOT_SUBRESOURCES: &[&str] = &[
    "prefix",
    "delimiter",
    "max-keys",
    "marker",
    "list-type",
    "continuation-token",
    "fetch-owner",
    "start-after",
    "encoding-type",
    "key-marker",
    "version-id-marker",
    "upload-id-marker",
    "max-uploads",
    "max-parts",
    "part-number-marker",
    "partNumber",
    "uploadId",
    "versionId",
    "x-id",
    "response-content-type",
    "response-content-language",
    "response-expires",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "optional-object-attributes",
    "expected-bucket-owner",
    "bucket-region",
    "max-buckets",
    "id",
];

/// Bucket subresources: (name, GET action, PUT action, DELETE action).
const BUCKET_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    ("acl", "GetBucketAcl", "PutBucketAcl", ""),
    ("policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    ("policyStatus", "GetBucketPolicyStatus", "", ""),
    ("tagging", "GetBucketTagging", "PutBucketTagging", "PutBucketTagging"),
    ("versioning", "GetBucketVersioning", "PutBucketVersioning", ""),
    ("location", "GetBucketLocation", "", ""),
    ("uploads", "ListBucketMultipartUploads", "", ""),
    ("versions", "ListBucketVersions", "", ""),
    ("cors", "GetBucketCORS", "PutBucketCORS", "PutBucketCORS"),
    ("lifecycle", "GetLifecycleConfiguration", "PutLifecycleConfiguration", "PutLifecycleConfiguration"),
    ("website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    ("logging", "GetBucketLogging", "PutBucketLogging", ""),
    ("notification", "GetBucketNotification", "PutBucketNotification", ""),
    ("encryption", "GetEncryptionConfiguration", "PutEncryptionConfiguration", "PutEncryptionConfiguration"),
    ("publicAccessBlock", "GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    ("ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "PutBucketOwnershipControls"),
    ("object-lock", "GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration", ""),
    ("replication", "GetReplicationConfiguration", "PutReplicationConfiguration", "PutReplicationConfiguration"),
    ("requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", ""),
    ("accelerate", "GetAccelerateConfiguration", "PutAccelerateConfiguration", ""),
    (
        "intelligent-tiering",
        "GetIntelligentTieringConfiguration",
        "PutIntelligentTieringConfiguration",
        "PutIntelligentTieringConfiguration",
    ),
    ("analytics", "GetAnalyticsConfiguration", "PutAnalyticsConfiguration", "PutAnalyticsConfiguration"),
    ("metrics", "GetMetricsConfiguration", "PutMetricsConfiguration", "PutMetricsConfiguration"),
    ("inventory", "GetInventoryConfiguration", "PutInventoryConfiguration", "PutInventoryConfiguration"),
];

/// Object subresources: (name, GET action, PUT action, DELETE action, versioned GET, versioned PUT,
/// versioned DELETE).
const OBJECT_SUBRESOURCES: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    ("acl", "GetObjectAcl", "PutObjectAcl", "", "GetObjectVersionAcl", "PutObjectVersionAcl", ""),
    (
        "tagging",
        "GetObjectTagging",
        "PutObjectTagging",
        "DeleteObjectTagging",
        "GetObjectVersionTagging",
        "PutObjectVersionTagging",
        "DeleteObjectVersionTagging",
    ),
    ("retention", "GetObjectRetention", "PutObjectRetention", "", "GetObjectRetention", "PutObjectRetention", ""),
    ("legal-hold", "GetObjectLegalHold", "PutObjectLegalHold", "", "GetObjectLegalHold", "PutObjectLegalHold", ""),
    ("attributes", "GetObjectAttributes", "", "", "GetObjectVersionAttributes", "", ""),
    ("torrent", "GetObjectTorrent", "", "", "GetObjectVersionTorrent", "", ""),
];

/// The headers that grant ACL permissions.
const GRANT_HEADERS: &[&str] = &[
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
];

/// Object Lock settings written with an upload need their own permissions.
fn object_lock_checks(req: &S3Request<'_>, push: &mut dyn FnMut(&str, String), object: &str) {
    if (req.header)("x-amz-object-lock-mode").is_some() || (req.header)("x-amz-object-lock-retain-until-date").is_some()
    {
        push("PutObjectRetention", object.to_string());
    }
    if (req.header)("x-amz-object-lock-legal-hold").is_some() {
        push("PutObjectLegalHold", object.to_string());
    }
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=ID]`, the key URL-encoded. Anything else (an
/// absolute URL, `//`, `;` parameters or a fragment that URL parsers split off, an access point
/// ARN, an invalid bucket name) is refused: the source is read exactly one way or not at all.
pub(crate) fn copy_source(value: &str) -> Result<(String, String, Option<String>), Unmapped> {
    let bad = |why: &str| {
        unmapped(format!(
            "S3 copy with `x-amz-copy-source: {value}`: {why}; the source must be `bucket/key[?versionId=ID]`"
        ))
    };
    if value.contains("://") || value.contains(';') || value.contains('#') {
        return Err(bad("it is not a bucket and key"));
    }
    let (path, query) = match value.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (value, None),
    };
    let version = match query {
        None => None,
        Some(q) => match q.strip_prefix("versionId=") {
            Some(v) if !v.is_empty() && !v.contains('&') && !v.contains('=') => Some(percent_decode(v)),
            _ => return Err(bad("its only query may be `versionId=`")),
        },
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.starts_with('/') {
        return Err(bad("it starts with `//`"));
    }
    let decoded = super::wire::strict_decode(path, "copy source").map_err(|_| bad("it does not decode to text"))?;
    let (bucket, key) = decoded.split_once('/').ok_or_else(|| bad("it has no key"))?;
    super::wire::valid_bucket(bucket).map_err(|_| bad("its bucket is not a valid bucket name"))?;
    if key.is_empty() || key.split('/').any(|s| s == "." || s == "..") || key.contains("//") {
        return Err(bad("its key is empty or has an empty or dot segment"));
    }
    Ok((bucket.to_string(), key.to_string(), version))
}

/// Decodes `%XX` escapes (S3 keeps `+` literal in paths).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn unmapped(message: String) -> Unmapped {
    Unmapped { code: "IamspectUnmappedOperation", message }
}

/// Maps an S3 request to the actions it needs and their resources.
pub(crate) fn map(req: &S3Request<'_>) -> Result<Mapped, Unmapped> {
    let (bucket, key) = (req.bucket.to_string(), req.key.to_string());
    let has = |name: &str| req.query.iter().any(|(k, _)| k == name);
    let param = |name: &str| req.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let version = param("versionId");
    let subresources: Vec<&str> = req
        .query
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !NOT_SUBRESOURCES.contains(k) && !k.starts_with("X-Amz-") && !k.starts_with("x-amz-"))
        .collect();
    let sub = match subresources.as_slice() {
        [] => None,
        [one] => Some(*one),
        many => {
            return Err(unmapped(format!(
                "S3 request with several subresources ({}): iamspect maps one subresource per request",
                many.join(", ")
            )));
        }
    };
    let method = req.method.to_ascii_uppercase();
    let unknown = |what: &str| {
        unmapped(format!(
            "S3 {method} {what}{}: iamspect does not know which IAM action this S3 request needs",
            sub.map(|s| format!(" with subresource `?{s}`")).unwrap_or_default()
        ))
    };
    let object_arn = |k: &str| format!("arn:aws:s3:::{bucket}/{k}");
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let mut checks = Vec::new();
    let mut push = |action: &str, resource: String| checks.push(Check::new(format!("s3:{action}"), resource));
    let operation;
    if bucket.is_empty() {
        if method == "GET" && sub.is_none() {
            operation = "ListBuckets".to_string();
            push("ListAllMyBuckets", "*".to_string());
        } else {
            return Err(unknown("on the service endpoint"));
        }
    } else if key.is_empty() {
        let table = sub.and_then(|s| BUCKET_SUBRESOURCES.iter().find(|e| e.0 == s));
        let action = match (method.as_str(), sub, table) {
            ("GET" | "HEAD", None, _) => "ListBucket",
            ("PUT", None, _) => "CreateBucket",
            ("DELETE", None, _) => "DeleteBucket",
            ("POST", Some("delete"), _) => {
                let (mut checks, plan) = delete_objects(&bucket, req.body)?;
                if (req.header)("x-amz-bypass-governance-retention").is_some() {
                    let objects: Vec<String> = checks.iter().map(|c| c.resource.clone()).collect();
                    for resource in objects {
                        checks.push(Check::new("s3:BypassGovernanceRetention".to_string(), resource));
                    }
                }
                let mut mapped = Mapped::new("DeleteObjects", checks);
                mapped.delete = Some(plan);
                return Ok(mapped);
            }
            ("GET", Some(_), Some(e)) if !e.1.is_empty() => e.1,
            ("PUT", Some(_), Some(e)) if !e.2.is_empty() => e.2,
            ("DELETE", Some(_), Some(e)) if !e.3.is_empty() => e.3,
            _ => return Err(unknown("on a bucket")),
        };
        operation = action.to_string();
        push(action, bucket_arn.clone());
        if action == "CreateBucket" {
            // Settings given with CreateBucket need their own authorization (S3's CreateBucket
            // permissions): ACL headers, object ownership, object lock.
            let acl = (req.header)("x-amz-acl").is_some() || GRANT_HEADERS.iter().any(|h| (req.header)(h).is_some());
            if acl {
                push("PutBucketAcl", bucket_arn.clone());
            }
            if (req.header)("x-amz-object-ownership").is_some() {
                push("PutBucketOwnershipControls", bucket_arn.clone());
            }
            if (req.header)("x-amz-bucket-object-lock-enabled").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                push("PutBucketObjectLockConfiguration", bucket_arn.clone());
                push("PutBucketVersioning", bucket_arn);
            }
        }
    } else {
        let versioned = version.is_some();
        let table = sub.and_then(|s| OBJECT_SUBRESOURCES.iter().find(|e| e.0 == s));
        let action = match (method.as_str(), sub, table) {
            ("GET" | "HEAD", None, _) if has("uploadId") => "ListMultipartUploadParts",
            ("GET" | "HEAD", None, _) => {
                if versioned {
                    "GetObjectVersion"
                } else {
                    "GetObject"
                }
            }
            ("PUT", None, _) => "PutObject",
            ("DELETE", None, _) if has("uploadId") => "AbortMultipartUpload",
            ("DELETE", None, _) => {
                if versioned {
                    "DeleteObjectVersion"
                } else {
                    "DeleteObject"
                }
            }
            ("POST", Some("uploads"), _) => "PutObject",
            ("POST", None, _) if has("uploadId") => "PutObject",
            ("POST", Some("restore"), _) => "RestoreObject",
            ("POST", Some("select"), _) => "GetObject",
            ("GET", Some(_), Some(e)) if !e.1.is_empty() => {
                if versioned {
                    e.4
                } else {
                    e.1
                }
            }
            ("PUT", Some(_), Some(e)) if !e.2.is_empty() => {
                if versioned {
                    e.5
                } else {
                    e.2
                }
            }
            ("DELETE", Some(_), Some(e)) if !e.3.is_empty() => {
                if versioned {
                    e.6
                } else {
                    e.3
                }
            }
            _ => return Err(unknown("on an object")),
        };
        operation = match (method.as_str(), action) {
            ("HEAD", "GetObject" | "GetObjectVersion") => "HeadObject".to_string(),
            ("POST", "PutObject") if sub == Some("uploads") => "CreateMultipartUpload".to_string(),
            ("POST", "PutObject") => "CompleteMultipartUpload".to_string(),
            ("PUT", "PutObject") if has("uploadId") => "UploadPart".to_string(),
            _ => action.to_string(),
        };
        push(action, object_arn(&key));
        if method == "GET" && matches!(sub, Some("attributes" | "torrent")) {
            // GetObjectAttributes and GetObjectTorrent also need read access to the object itself
            // (S3's API reference: `s3:GetObject` and `s3:GetObjectAttributes`, or the `…Version`
            // pair for a version; AWS's service reference lists `s3:GetObject`/`GetObjectVersion`).
            push(if versioned { "GetObjectVersion" } else { "GetObject" }, object_arn(&key));
        }
        if method == "PUT" && sub.is_none() {
            let acl = (req.header)("x-amz-acl").is_some() || GRANT_HEADERS.iter().any(|h| (req.header)(h).is_some());
            if !has("uploadId") {
                if acl {
                    push("PutObjectAcl", object_arn(&key));
                }
                if (req.header)("x-amz-tagging").is_some() {
                    push("PutObjectTagging", object_arn(&key));
                }
            }
            if let Some(source) = (req.header)("x-amz-copy-source") {
                let (src_bucket, src_key, source_version) = copy_source(&source)?;
                let action = if source_version.is_some() { "GetObjectVersion" } else { "GetObject" };
                push(action, format!("arn:aws:s3:::{src_bucket}/{src_key}"));
                if (req.header)("x-amz-tagging-directive").is_some_and(|d| d == "REPLACE") && !has("uploadId") {
                    push("PutObjectTagging", object_arn(&key));
                }
            }
            if !has("uploadId") {
                object_lock_checks(req, &mut push, &object_arn(&key));
            }
        }
        if method == "POST" && sub == Some("uploads") {
            // CreateMultipartUpload takes the same ACL, tagging and Object Lock settings as
            // PutObject, and AWS's service reference lists the same actions for them.
            let acl = (req.header)("x-amz-acl").is_some() || GRANT_HEADERS.iter().any(|h| (req.header)(h).is_some());
            if acl {
                push("PutObjectAcl", object_arn(&key));
            }
            if (req.header)("x-amz-tagging").is_some() {
                push("PutObjectTagging", object_arn(&key));
            }
            object_lock_checks(req, &mut push, &object_arn(&key));
        }
        if (req.header)("x-amz-bypass-governance-retention").is_some() {
            push("BypassGovernanceRetention", object_arn(&key));
        }
    }
    let mut mapped = Mapped::new(&operation, checks);
    mapped.context = context(req, version.as_deref());
    Ok(mapped)
}

/// `POST /bucket?delete`: one `DeleteObject` (or `DeleteObjectVersion`) per `<Object>` of the body.
///
/// The body is read by an XML parser, exactly as S3 documents it (`<Delete>` with `<Object>`s of
/// `<Key>`, `<VersionId>`, `<ETag>`, `<LastModifiedTime>`, `<Size>`, and `<Quiet>`); CDATA and
/// character and predefined entity references are decoded as any XML reader decodes them.
/// Anything else (a DOCTYPE, a processing instruction, a comment, an unknown element or attribute,
/// a namespace prefix, text outside the value elements, a key twice in one object) is refused.
fn delete_objects(bucket: &str, body: &[u8]) -> Result<(Vec<Check>, super::delete::DeleteObjects), Unmapped> {
    use quick_xml::events::{BytesStart, Event};
    let bad = |why: String| {
        unmapped(format!(
            "S3 DeleteObjects body: {why}; the gateway reads only `<Delete><Object><Key>…</Key>[<VersionId>…</VersionId>]</Object>…[<Quiet>…</Quiet>]</Delete>`"
        ))
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8".to_string()))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    // (Key, VersionId) of each <Object>.
    let mut objects: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut value: Option<String> = None;
    let mut seen_root = false;
    let mut quiet = false;
    let open = |e: &BytesStart<'_>, stack: &[String], seen_root: bool| -> Result<String, Unmapped> {
        let name = e.name().as_ref().to_string();
        for attribute in e.attributes() {
            let attribute = attribute.map_err(|err| bad(format!("a malformed attribute: {err}")))?;
            let ok = name == "Delete"
                && attribute.key.as_ref() == "xmlns"
                && &*attribute.value == "http://s3.amazonaws.com/doc/2006-03-01/";
            if !ok {
                return Err(bad(format!("an attribute on <{name}>")));
            }
        }
        let parents: Vec<&str> = stack.iter().map(String::as_str).collect();
        let allowed = match (parents.as_slice(), name.as_str()) {
            ([], "Delete") => !seen_root,
            (["Delete"], "Object" | "Quiet") => true,
            (["Delete", "Object"], "Key" | "VersionId" | "ETag" | "LastModifiedTime" | "Size") => true,
            _ => false,
        };
        if allowed { Ok(name) } else { Err(bad(format!("an unexpected element <{name}>"))) }
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("not well-formed XML near byte {}: {e}", reader.buffer_position())))?;
        let close = |name: &str, value: Option<String>, objects: &mut Vec<(Option<String>, Option<String>)>| {
            let slot = objects.last_mut();
            match (name, slot) {
                ("Key", Some(object)) if object.0.is_none() => object.0 = value,
                ("VersionId", Some(object)) if object.1.is_none() => object.1 = value,
                ("Key" | "VersionId", _) => return Err(bad(format!("<{name}> twice in one <Object>"))),
                _ => {}
            }
            Ok(())
        };
        match event {
            Event::Decl(_) if !seen_root && stack.is_empty() => {}
            Event::Start(e) => {
                let name = open(&e, &stack, seen_root)?;
                seen_root = true;
                if name == "Object" {
                    objects.push((None, None));
                } else if name != "Delete" {
                    value = Some(String::new());
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = open(&e, &stack, seen_root)?;
                seen_root = true;
                if name == "Object" {
                    objects.push((None, None));
                } else {
                    close(&name, Some(String::new()), &mut objects)?;
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let text = value.take();
                if name == "Quiet" {
                    quiet = match text.as_deref().map(str::trim) {
                        Some("true") => true,
                        Some("false") => false,
                        other => {
                            return Err(bad(format!(
                                "`<Quiet>` is `{}`, not true or false",
                                other.unwrap_or_default()
                            )));
                        }
                    };
                }
                close(&name, text, &mut objects)?;
            }
            Event::Text(t) => match value.as_mut() {
                Some(v) => v.push_str(&t.xml10_content()),
                None if t.xml10_content().trim().is_empty() => {}
                None => return Err(bad("text outside a value element".to_string())),
            },
            Event::CData(c) => match value.as_mut() {
                Some(v) => v.push_str(&c.xml10_content()),
                None => return Err(bad("CDATA outside a value element".to_string())),
            },
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.into_inner();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("the entity `&{name};`, which XML does not define")))?
                            .to_string()
                    }
                    Err(e) => return Err(bad(format!("a malformed character reference: {e}"))),
                };
                match value.as_mut() {
                    Some(v) => v.push_str(&resolved),
                    None => return Err(bad("a reference outside a value element".to_string())),
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {
                return Err(bad("a declaration, processing instruction, DOCTYPE or comment".to_string()));
            }
        }
    }
    if !seen_root || !stack.is_empty() {
        return Err(bad("no complete <Delete> element".to_string()));
    }
    let mut checks = Vec::new();
    let mut plan = super::delete::DeleteObjects { bucket: bucket.to_string(), quiet, objects: Vec::new() };
    for (key, version) in objects {
        let key = key.ok_or_else(|| bad("an <Object> without <Key>".to_string()))?;
        if key.is_empty() || key.chars().any(char::is_control) {
            return Err(bad("an empty key, or a key with a control character".to_string()));
        }
        let action = if version.is_some() { "DeleteObjectVersion" } else { "DeleteObject" };
        checks.push(Check::new(format!("s3:{action}"), format!("arn:aws:s3:::{bucket}/{key}")));
        plan.objects.push(super::delete::Object { key, version, denied: false });
    }
    if checks.is_empty() {
        return Err(unmapped("S3 DeleteObjects body names no <Object>: nothing to authorize".into()));
    }
    Ok((checks, plan))
}

/// The `s3:` condition keys the request carries.
fn context(req: &S3Request<'_>, version: Option<&str>) -> Vec<(String, Vec<String>)> {
    let mut ctx = Vec::new();
    let mut add = |k: &str, v: String| ctx.push((k.to_string(), vec![v]));
    if req.signed {
        add("s3:authType", if req.presigned { "REST-QUERY-STRING" } else { "REST-HEADER" }.to_string());
        add("s3:signatureversion", "AWS4-HMAC-SHA256".to_string());
    }
    for (param, key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
        if let Some((_, v)) = req.query.iter().find(|(k, _)| k == param) {
            add(key, v.clone());
        }
    }
    if let Some(v) = version {
        add("s3:VersionId", v.to_string());
    }
    for header in [
        "x-amz-acl",
        "x-amz-content-sha256",
        "x-amz-copy-source",
        "x-amz-metadata-directive",
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-storage-class",
        "x-amz-grant-read",
        "x-amz-grant-write",
        "x-amz-grant-read-acp",
        "x-amz-grant-write-acp",
        "x-amz-grant-full-control",
        "x-amz-object-lock-mode",
        "x-amz-object-lock-retain-until-date",
        "x-amz-object-lock-legal-hold",
        "x-amz-website-redirect-location",
    ] {
        if let Some(v) = (req.header)(header) {
            add(&format!("s3:{header}"), v);
        }
    }
    if let Some(tagging) = (req.header)("x-amz-tagging") {
        let tags: Vec<(String, String)> = form_urlencoded::parse(tagging.as_bytes()).into_owned().collect();
        for (k, v) in &tags {
            add(&format!("s3:RequestObjectTag/{k}"), v.clone());
        }
        ctx.push(("s3:RequestObjectTagKeys".to_string(), tags.into_iter().map(|(k, _)| k).collect()));
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        method: &str,
        host: Option<&str>,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Mapped, Unmapped> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let owned: Vec<(String, String)> = headers.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        let header = move |name: &str| owned.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let _ = host;
        let decoded = percent_decode(path);
        let rest = decoded.strip_prefix('/').unwrap_or(&decoded);
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        map(&S3Request {
            method,
            bucket,
            key,
            query: &query,
            header: &header,
            body: body.as_bytes(),
            presigned: false,
            signed: true,
        })
    }

    fn actions(m: &Mapped) -> Vec<(String, String)> {
        m.checks.iter().map(|c| (c.action.clone(), c.resource.clone())).collect()
    }

    fn one(method: &str, target: &str) -> (String, String) {
        let m = run(method, None, target, &[], "").unwrap_or_else(|e| panic!("{method} {target}: {}", e.message));
        assert_eq!(m.checks.len(), 1, "{method} {target}");
        actions(&m).remove(0)
    }

    #[test]
    fn the_table() {
        let cases = [
            ("GET", "/", "s3:ListAllMyBuckets", "*"),
            ("GET", "/b", "s3:ListBucket", "arn:aws:s3:::b"),
            ("GET", "/b?list-type=2&prefix=a%2F", "s3:ListBucket", "arn:aws:s3:::b"),
            ("HEAD", "/b", "s3:ListBucket", "arn:aws:s3:::b"),
            ("GET", "/b?versions", "s3:ListBucketVersions", "arn:aws:s3:::b"),
            ("GET", "/b?uploads", "s3:ListBucketMultipartUploads", "arn:aws:s3:::b"),
            ("GET", "/b?location", "s3:GetBucketLocation", "arn:aws:s3:::b"),
            ("GET", "/b?policy", "s3:GetBucketPolicy", "arn:aws:s3:::b"),
            ("PUT", "/b?policy", "s3:PutBucketPolicy", "arn:aws:s3:::b"),
            ("DELETE", "/b?policy", "s3:DeleteBucketPolicy", "arn:aws:s3:::b"),
            ("PUT", "/b", "s3:CreateBucket", "arn:aws:s3:::b"),
            ("DELETE", "/b", "s3:DeleteBucket", "arn:aws:s3:::b"),
            ("GET", "/b?acl", "s3:GetBucketAcl", "arn:aws:s3:::b"),
            ("PUT", "/b?versioning", "s3:PutBucketVersioning", "arn:aws:s3:::b"),
            ("DELETE", "/b?tagging", "s3:PutBucketTagging", "arn:aws:s3:::b"),
            ("GET", "/b/k", "s3:GetObject", "arn:aws:s3:::b/k"),
            ("HEAD", "/b/a/b%20c", "s3:GetObject", "arn:aws:s3:::b/a/b c"),
            ("GET", "/b/k?versionId=v1", "s3:GetObjectVersion", "arn:aws:s3:::b/k"),
            ("PUT", "/b/k", "s3:PutObject", "arn:aws:s3:::b/k"),
            ("DELETE", "/b/k", "s3:DeleteObject", "arn:aws:s3:::b/k"),
            ("DELETE", "/b/k?versionId=v1", "s3:DeleteObjectVersion", "arn:aws:s3:::b/k"),
            ("GET", "/b/k?acl", "s3:GetObjectAcl", "arn:aws:s3:::b/k"),
            ("PUT", "/b/k?acl", "s3:PutObjectAcl", "arn:aws:s3:::b/k"),
            ("GET", "/b/k?tagging", "s3:GetObjectTagging", "arn:aws:s3:::b/k"),
            ("PUT", "/b/k?tagging", "s3:PutObjectTagging", "arn:aws:s3:::b/k"),
            ("PUT", "/b/k?tagging&versionId=v", "s3:PutObjectVersionTagging", "arn:aws:s3:::b/k"),
            ("POST", "/b/k?uploads", "s3:PutObject", "arn:aws:s3:::b/k"),
            ("PUT", "/b/k?partNumber=1&uploadId=u", "s3:PutObject", "arn:aws:s3:::b/k"),
            ("POST", "/b/k?uploadId=u", "s3:PutObject", "arn:aws:s3:::b/k"),
            ("DELETE", "/b/k?uploadId=u", "s3:AbortMultipartUpload", "arn:aws:s3:::b/k"),
            ("GET", "/b/k?uploadId=u", "s3:ListMultipartUploadParts", "arn:aws:s3:::b/k"),
        ];
        for (method, target, action, resource) in cases {
            assert_eq!(one(method, target), (action.to_string(), resource.to_string()), "{method} {target}");
        }
    }

    #[test]
    fn extras_copy_and_delete_objects() {
        let m = run("PUT", None, "/b/k", &[("x-amz-acl", "public-read"), ("x-amz-tagging", "a=1&b=2")], "").unwrap();
        let names: Vec<String> = m.checks.iter().map(|c| c.action.clone()).collect();
        assert_eq!(names, ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"]);
        assert!(m.context.iter().any(|(k, v)| k == "s3:x-amz-acl" && v == &["public-read"]));
        assert!(m.context.iter().any(|(k, v)| k == "s3:RequestObjectTagKeys" && v == &["a", "b"]));
        let m = run("PUT", None, "/dst/k", &[("x-amz-copy-source", "/src/a%20b?versionId=3")], "").unwrap();
        assert_eq!(actions(&m)[1], ("s3:GetObjectVersion".into(), "arn:aws:s3:::src/a b".into()));
        let body =
            "<Delete><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key><VersionId>v</VersionId></Object></Delete>";
        let m = run("POST", None, "/b?delete", &[], body).unwrap();
        assert_eq!(
            actions(&m),
            vec![
                ("s3:DeleteObject".into(), "arn:aws:s3:::b/a".into()),
                ("s3:DeleteObjectVersion".into(), "arn:aws:s3:::b/b&c".into())
            ]
        );
    }

    #[test]
    fn attributes_and_torrents_also_read_the_object() {
        let m = run("GET", None, "/b/k?attributes", &[], "").unwrap();
        assert_eq!(
            actions(&m),
            vec![
                ("s3:GetObjectAttributes".to_string(), "arn:aws:s3:::b/k".to_string()),
                ("s3:GetObject".to_string(), "arn:aws:s3:::b/k".to_string())
            ]
        );
        let m = run("GET", None, "/b/k?attributes&versionId=v", &[], "").unwrap();
        assert_eq!(actions(&m)[1], ("s3:GetObjectVersion".to_string(), "arn:aws:s3:::b/k".to_string()));
        let m = run("GET", None, "/b/k?torrent", &[], "").unwrap();
        assert_eq!(actions(&m).len(), 2);
    }

    #[test]
    fn list_keys_in_context() {
        let m = run("GET", None, "/b?list-type=2&prefix=home%2Falice%2F&delimiter=%2F&max-keys=10", &[], "").unwrap();
        let get = |k: &str| m.context.iter().find(|(n, _)| n == k).map(|(_, v)| v[0].clone());
        assert_eq!(get("s3:prefix").as_deref(), Some("home/alice/"));
        assert_eq!(get("s3:delimiter").as_deref(), Some("/"));
        assert_eq!(get("s3:max-keys").as_deref(), Some("10"));
        assert_eq!(get("s3:authType").as_deref(), Some("REST-HEADER"));
    }

    #[test]
    fn unknown_subresources_fail_closed() {
        for (method, target) in
            [("GET", "/b?frobnicate"), ("POST", "/b/k"), ("PATCH", "/b/k"), ("GET", "/b?acl&policy")]
        {
            let e = run(method, None, target, &[], "").err().unwrap_or_else(|| panic!("{method} {target} mapped"));
            assert_eq!(e.code, "IamspectUnmappedOperation");
        }
    }
}
