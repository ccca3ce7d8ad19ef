//! Every fix suggestion, for every denied case in `tests/cases` and `examples`, is checked here by
//! re-evaluating the request with the suggested policies, not only printed.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::Path;

use iamspect_case::Compiler;
use iamspect_core::{Decision, Denier, PrincipalKind, authorize};
use iamspect_explain::fix;

#[test]
fn every_fix_is_proved_by_re_evaluation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = iamspect_case::case_files(&[root.join("tests/cases"), root.join("examples")]).unwrap();
    let mut compiler = Compiler::new();
    let (mut denied, mut proved, mut allowed_only) = (0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let Ok(case_file) = iamspect_case::load_file(file, &mut compiler) else { continue };
        for case in case_file.cases {
            let Ok(built) = case.built else { continue };
            let outcome = authorize(&built.request, &built.policies);
            let suggestion = fix::suggest(&built.request, &built.policies);
            if outcome.decision == Decision::Allowed {
                assert!(suggestion.is_none(), "{}#{}: a fix for an allowed request", file.display(), case.index);
                continue;
            }
            denied += 1;
            let fixes = suggestion.unwrap();
            // Ranked: request changes, then grants, then weakenings.
            let kinds: Vec<_> = fixes.fixes.iter().map(|f| f.kind).collect();
            assert!(kinds.windows(2).all(|w| w[0] <= w[1]), "{}#{}: {kinds:?}", file.display(), case.index);
            for f in &fixes.fixes {
                // The proof, done here: apply the edits and the request change by hand, decide again.
                let mut policies = built.policies.clone();
                for e in &f.edits {
                    let t = match iamspect_explain::slots::get(&built.policies, e.slot) {
                        Some(p) => p.policy_type(),
                        None => layer_type(e.slot.layer, &built.request),
                    };
                    let p = iamspect_core::Policy::parse(&e.policy, &e.after, t).unwrap();
                    iamspect_explain::slots::set(&mut policies, e.slot, std::sync::Arc::new(p));
                    if !e.before.is_empty() {
                        let original = iamspect_explain::slots::get(&built.policies, e.slot).unwrap();
                        assert_eq!(
                            e.before,
                            original.source(),
                            "{}#{}: edits start from the text as given",
                            file.display(),
                            case.index
                        );
                    }
                }
                let mut ctx = built.request.context().clone();
                for c in &f.context {
                    ctx.insert(&c.key, vec![c.value.clone()]);
                }
                let req = iamspect_core::Request::new(
                    built.request.principal().clone(),
                    built.request.action(),
                    built.request.resource(),
                    built.request.resource_account(),
                    ctx,
                )
                .unwrap();
                if f.principal.is_none() {
                    assert_eq!(
                        f.outcome.map(|o| o.decision),
                        Some(authorize(&req, &policies).decision),
                        "{}#{}",
                        file.display(),
                        case.index
                    );
                }
                // Never an allow against an explicit deny: a grant only where no deny applies.
                if f.kind == fix::FixKind::Grant {
                    assert_ne!(
                        authorize(&req, &built.policies).decision,
                        Decision::ExplicitDeny,
                        "{}#{}",
                        file.display(),
                        case.index
                    );
                }
                if f.kind == fix::FixKind::Request && f.principal.is_none() {
                    assert!(f.edits.is_empty() && !f.context.is_empty());
                }
            }
            let unfixable = outcome.denied_by.contains(Denier::S3BlockPublicAccess)
                || (matches!(built.request.principal().kind, PrincipalKind::Root { .. })
                    && built.request.action().to_ascii_lowercase().starts_with("sts:assumerole"))
                || (outcome.decision == Decision::ExplicitDeny && !built.request.principal().is_iam())
                // Decision D51: resources AWS owns; the fix says so and changes nothing.
                || iamspect_core::authorize_traced(&built.request, &built.policies).trace.protected.is_some()
                // Decision D52: a KMS key's missing key policy is given, not invented.
                || iamspect_explain::report::missing_key_policy(&built.request, &built.policies).is_some()
                // Decisions D138, D140: not searched, and said so.
                || built.policies.access_point.is_some()
                || built.policies.s3.as_ref().is_some_and(|s| s.object_owner.is_some());
            let best = fixes.fixes.iter().find(|f| f.is_proved());
            if unfixable {
                assert!(
                    !fixes.notes.is_empty() || best.is_none() || best.is_some_and(|f| !f.context.is_empty()),
                    "{}#{}",
                    file.display(),
                    case.index
                );
                continue;
            }
            match best {
                None => failures.push(format!("{}#{}: no proved fix ({:?})", file.display(), case.index, fixes.notes)),
                Some(f) if f.changes().next().is_none() => proved += 1,
                Some(_) => allowed_only += 1,
            }
        }
    }
    assert!(failures.is_empty(), "{} of {denied} denied cases not fixed:\n{}", failures.len(), failures.join("\n"));
    assert!(denied > 300, "only {denied} denied cases found");
    eprintln!(
        "{denied} denied cases: {proved} best fixes change no neighbouring request, {allowed_only} also change some"
    );
}

fn layer_type(layer: iamspect_core::Layer, req: &iamspect_core::Request) -> iamspect_core::PolicyType {
    use iamspect_core::{Layer, PolicyType};
    match layer {
        Layer::Rcp(_) => PolicyType::Rcp,
        Layer::Scp(_) => PolicyType::Scp,
        Layer::VpcEndpoint => PolicyType::VpcEndpoint,
        Layer::Resource if req.action().to_ascii_lowercase().starts_with("sts:") => PolicyType::Trust,
        Layer::Resource => PolicyType::Resource,
        Layer::Identity => PolicyType::Identity,
        Layer::PermissionsBoundary => PolicyType::PermissionsBoundary,
        Layer::Session => PolicyType::Session,
    }
}
