//! Common causes of a denial, named in a sentence (decision D83): a region lock and the regions it
//! leaves open, a permissions boundary, session policy or SCP level that caps an identity grant,
//! and SSE-KMS objects, for which KMS has to allow too.

use iamspect_core::condition::BaseOperator;
use iamspect_core::{Decision, Effect, Layer, LayerVerdict, Request, Response};

/// The causes of `response`'s decision worth naming.
pub fn common_causes(req: &Request, response: &Response) -> Vec<String> {
    let mut out = Vec::new();
    region_locks(response, &mut out);
    caps(response, &mut out);
    sse_kms(req, &mut out);
    out
}

/// A deny that applies because of `aws:RequestedRegion`: the regions it leaves open.
fn region_locks(response: &Response, out: &mut Vec<String>) {
    for (layer, p, s) in response.trace.applied(Effect::Deny) {
        let Some(stmt) = crate::wire::statement(&p.policy, s.index) else { continue };
        for c in stmt.conditions() {
            let negated = matches!(c.operator().base, BaseOperator::StringNotEquals | BaseOperator::StringNotLike);
            if negated && c.key().eq_ignore_ascii_case("aws:RequestedRegion") {
                let sid = s.sid.as_deref().map(|s| format!(" {s:?}")).unwrap_or_default();
                out.push(format!(
                    "a region lock: statement {}{sid} of `{}` ({}) denies every region but {}; make the request in one of them",
                    s.index,
                    p.policy.name(),
                    crate::wire::layer_words(layer.layer),
                    c.values().join(", ")
                ));
            }
        }
    }
}

/// An identity grant that a boundary, a session policy or an SCP level does not let through.
fn caps(response: &Response, out: &mut Vec<String>) {
    if response.outcome.decision != Decision::ImplicitDeny {
        return;
    }
    let identity_allows =
        response.trace.layers.iter().any(|l| l.layer == Layer::Identity && l.verdict == LayerVerdict::Allows);
    let resource_allows =
        response.trace.layers.iter().any(|l| l.layer == Layer::Resource && l.verdict == LayerVerdict::Allows);
    if !identity_allows && !resource_allows {
        return;
    }
    for l in response.trace.layers.iter().filter(|l| l.verdict == LayerVerdict::NoAllow) {
        let names: Vec<&str> = l.policies.iter().map(|p| p.policy.name()).collect();
        let what = match l.layer {
            Layer::PermissionsBoundary => "the permissions boundary",
            Layer::Session => "the session policy",
            Layer::Scp(_) => "the SCPs of this level",
            Layer::Rcp(_) => "the RCPs of this level",
            Layer::VpcEndpoint => "the VPC endpoint policy",
            _ => continue,
        };
        let granted = if identity_allows { "an identity-based policy" } else { "the resource-based policy" };
        out.push(format!(
            "{granted} grants the request, but {what} ({}: `{}`) caps it: a grant takes effect only where {what} allows it too",
            crate::wire::layer_words(l.layer),
            names.join("`, `")
        ));
    }
}

/// An S3 object request with SSE-KMS: KMS authorizes its own action on the key too.
fn sse_kms(req: &Request, out: &mut Vec<String>) {
    let value = |key: &str| {
        req.context()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.first())
            .map(|v| v.to_string())
    };
    let kms = value("s3:x-amz-server-side-encryption").is_some_and(|v| v.starts_with("aws:kms"));
    let key = value("s3:x-amz-server-side-encryption-aws-kms-key-id");
    if !kms && key.is_none() {
        return;
    }
    let kms_action = match req.action().to_ascii_lowercase().as_str() {
        "s3:getobject" | "s3:getobjectversion" => "kms:Decrypt",
        "s3:putobject" | "s3:createmultipartupload" => "kms:GenerateDataKey",
        _ => return,
    };
    let key = key.unwrap_or_else(|| "the bucket's KMS key".to_string());
    out.push(format!(
        "the object is encrypted with SSE-KMS: besides {}, KMS must allow {kms_action} on {key} (by its key policy, and IAM where the key policy delegates to the account); decide it with `iamspect explain --principal {} --action {kms_action} --resource {key}` and the key policy (`--resource-policy`)",
        req.action(),
        req.principal().arn(),
    ));
}
