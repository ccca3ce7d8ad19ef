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
            let f = suggestion.unwrap();
            // The proof, done here: apply nothing by hand, re-evaluate what the fix claims.
            let unfixable = outcome.denied_by.contains(Denier::S3BlockPublicAccess)
                || (matches!(built.request.principal().kind, PrincipalKind::Root { .. })
                    && built.request.action().to_ascii_lowercase().starts_with("sts:assumerole"))
                || (outcome.decision == Decision::ExplicitDeny && !built.request.principal().is_iam())
                // Decision D51: resources AWS owns; the fix says so and changes nothing.
                || iamspect_core::authorize_traced(&built.request, &built.policies).trace.protected.is_some()
                // Decision D52: a KMS key's missing key policy is given, not invented.
                || iamspect_explain::report::missing_key_policy(&built.request, &built.policies).is_some();
            if unfixable {
                assert!(
                    !f.notes.is_empty() || f.outcome.decision != Decision::Allowed,
                    "{}#{}",
                    file.display(),
                    case.index
                );
                continue;
            }
            if f.outcome.decision != Decision::Allowed {
                failures.push(format!(
                    "{}#{}: still {} after {:?}",
                    file.display(),
                    case.index,
                    f.outcome.decision.as_str(),
                    f.notes
                ));
                continue;
            }
            if f.is_proved() {
                proved += 1;
            } else {
                allowed_only += 1;
                // Only an exemption from an explicit deny may change other decisions (for this
                // caller's requests the same statement covered), or restoring RCPFullAWSAccess.
                assert!(
                    outcome.decision == Decision::ExplicitDeny || outcome.denied_by.contains(Denier::Rcp),
                    "{}#{}: {:?}",
                    file.display(),
                    case.index,
                    f.probes
                );
            }
        }
    }
    assert!(failures.is_empty(), "{} of {denied} denied cases not fixed:\n{}", failures.len(), failures.join("\n"));
    assert!(denied > 300, "only {denied} denied cases found");
    eprintln!(
        "{denied} denied cases: {proved} fixes proved exact, {allowed_only} allow the request but also lift a deny for the caller's other requests"
    );
}
