//! Decision D75 on every case file of the repository: the decision over the action index is the
//! decision of a scan of every statement, traced or not, and the trace reports every statement
//! of every applicable policy (the skipped ones as `actionNotMatched`).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};

use iamspect_case::{Compiler, load_file};
use iamspect_core::{LayerVerdict, StatementOutcome, authorize, authorize_full_scan, authorize_traced};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "policies") {
                json_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn every_case_decides_as_the_full_scan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    json_files(&root.join("tests/cases"), &mut files);
    json_files(&root.join("examples"), &mut files);
    let mut compiler = Compiler::new();
    let (mut decided, mut skipped) = (0, 0);
    for path in &files {
        let Ok(file) = load_file(path, &mut compiler) else { continue };
        for case in &file.cases {
            let Ok(built) = &case.built else { continue };
            let (request, policies) = (&built.request, &built.policies);
            let outcome = authorize(request, policies);
            let label = format!("{}#{}", path.display(), case.index);
            assert_eq!(outcome, authorize_full_scan(request, policies), "{label}: the index changed the decision");
            let traced = authorize_traced(request, policies);
            assert_eq!(outcome, traced.outcome, "{label}: authorize and authorize_traced disagree");
            for layer in traced.trace.layers.iter().filter(|l| l.verdict != LayerVerdict::NotApplicable) {
                for p in &layer.policies {
                    assert_eq!(
                        p.statements.len(),
                        p.policy.statements().len(),
                        "{label}: the trace of {} misses statements",
                        p.policy.name()
                    );
                    skipped += p.statements.iter().filter(|s| s.outcome == StatementOutcome::ActionNotMatched).count();
                }
            }
            decided += 1;
        }
    }
    // Empty inputs are not green.
    assert!(decided > 900, "only {decided} cases were decided");
    assert!(skipped > 0, "no statement stopped at the action");
}
