//! Every AccessDenied event of the real CloudTrail corpora in `../shared/corpora/cloudtrail` is
//! either rebuilt into a valid request or reported with the reason it could not be; none is
//! dropped. Skips, saying so, when the corpora are absent.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamspect_replay::{Event, NotRebuilt, Replayer, ServiceReference, Verdict, denial_code, read_paths, replay_all};

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    if dir.join("cloudtrail").is_dir() {
        Some(dir)
    } else {
        absent(&dir.join("cloudtrail"));
        None
    }
}

fn service_reference(corpora: &Path) -> Option<ServiceReference> {
    let dir = corpora.join("service-reference");
    if !dir.is_dir() {
        println!("note: {} is absent; actions are assumed from event names", dir.display());
        return None;
    }
    Some(ServiceReference::load(&dir).unwrap())
}

/// The real events: the invictus-ir log files and the panther-analysis test events (each wrapped
/// in `{"event": ...}`).
fn real_events(corpora: &Path) -> Vec<Event> {
    let ct = corpora.join("cloudtrail");
    let read = read_paths(&[ct.join("invictus-ir_aws_dataset/raw")]);
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    let json_files = std::fs::read_dir(ct.join("invictus-ir_aws_dataset/raw")).unwrap().count();
    assert_eq!(read.files.len(), json_files);
    let mut events = read.events;
    let panther = ct.join("panther-analysis/access_denied_test_events.json");
    let list: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&panther).unwrap()).unwrap();
    for (i, item) in list.as_array().unwrap().iter().enumerate() {
        events.push(Event { source: format!("{}#{i}", panther.display()), record: item["event"].clone() });
    }
    events
}

#[test]
fn every_denied_event_is_rebuilt_or_explained() {
    let Some(corpora) = corpora() else { return };
    let sref = service_reference(&corpora);
    let events = real_events(&corpora);
    let denied = events.iter().filter(|e| denial_code(&e.record).is_some()).count();

    // No account data: the requests are rebuilt and shown, and nothing is evaluated.
    let mut replayer = Replayer::new(sref.as_ref(), None);
    let (reports, summary) = replay_all(&mut replayer, &events);
    assert_eq!(reports.len(), denied, "every denied event has a report");
    assert_eq!(summary.events, denied);
    assert_eq!(summary.other_records, events.len() - denied);
    let mut rebuilt = 0;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut undetermined = 0;
    for r in &reports {
        match (&r.rebuilt, &r.verdict) {
            (Some(b), Verdict::NotRebuilt(NotRebuilt::Policies(why))) => {
                assert_eq!(why, "no account data was given");
                let requests = b.requests().unwrap_or_else(|e| panic!("{}: invalid request: {e}", r.source));
                assert!(!requests.is_empty(), "{}: no action", r.source);
                undetermined += b.targets.iter().filter(|t| !t.resource_determined).count();
                rebuilt += 1;
            }
            (None, Verdict::NotRebuilt(NotRebuilt::Request(why))) => {
                assert!(!why.is_empty(), "{}: no reason", r.source);
                *reasons.entry(why.clone()).or_default() += 1;
            }
            other => panic!("{}: unexpected {other:?}", r.source),
        }
        // Every report serializes with a result.
        assert!(r.json()["result"].is_string());
    }
    println!(
        "{} records, {denied} denied: {rebuilt} rebuilt ({undetermined} with an undetermined resource), {} not rebuilt",
        events.len(),
        denied - rebuilt
    );
    for (why, n) in &reasons {
        println!("  {n} x {why}");
    }
    assert_eq!(rebuilt + reasons.values().sum::<usize>(), denied);
    // The invictus-ir files hold 60 denials, panther-analysis 38; nearly all are rebuildable.
    assert_eq!(denied, 98);
    assert!(rebuilt >= 90, "only {rebuilt} of {denied} rebuilt");
}

#[test]
fn invictus_denials_match_the_errors_aws_reported() {
    let Some(corpora) = corpora() else { return };
    let sref = service_reference(&corpora);
    let file = corpora.join("cloudtrail/invictus-ir_aws_dataset/access_denied_events.json");
    let read = read_paths(&[file]);
    assert_eq!(read.events.len(), 60);
    // An empty account dump: the events' account (123837392027) has none.
    let data = iamspect_account::AccountData::default();
    let mut replayer = Replayer::new(sref.as_ref(), Some(&data));
    let (reports, summary) = replay_all(&mut replayer, &read.events);
    println!("{}", summary.line());
    assert_eq!(summary.events, 60);
    assert_eq!(summary.principal_not_in_data, 60);
    for r in &reports {
        let Verdict::NotRebuilt(NotRebuilt::PrincipalNotInAccountData(why)) = &r.verdict else {
            panic!("{}: {:?}", r.source, r.verdict)
        };
        assert!(why.contains("no dump of account 123837392027 was loaded"), "{why}");
        let b = r.rebuilt.as_ref().unwrap();
        let t = &b.targets[0];
        match r.event_name.as_deref() {
            Some("GetPasswordData" | "DescribeInstanceAttribute") => {
                assert!(t.resource.starts_with("arn:aws:ec2:us-east-1:123837392027:instance/i-"), "{}", t.resource);
            }
            Some("AssumeRole") => {
                assert_eq!(t.action, "sts:AssumeRole");
                assert!(t.resource.starts_with("arn:aws:iam::123837392027:role/"), "{}", t.resource);
            }
            Some("LeaveOrganization") => assert_eq!(t.resource, "*"),
            _ => {}
        }
        // AWS's message, where it is readable, names the action evaluated.
        if let Some(m) = &b.aws_message {
            assert_eq!(m.action, t.action);
        }
    }
}

#[test]
fn the_aws_cli_lookup_events_example_reads() {
    let Some(corpora) = corpora() else { return };
    // The documented `aws cloudtrail lookup-events` output, indented in an .rst file after `Output::`.
    let rst = std::fs::read_to_string(corpora.join("cloudtrail/awscli-examples/lookup-events.rst")).unwrap();
    let json_text = rst.split("Output::").nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(json_text.trim()).unwrap();
    let records = iamspect_replay::records_of(v).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["eventName"], "ConsoleLogin");
    // A successful sign-in: not a denial, and skipped.
    assert!(denial_code(&records[0]).is_none());
}

/// A corpus under `../shared/corpora` is absent: with `CI` set the test fails; otherwise it is
/// skipped and says so on the process's standard error, past the test harness's capture.
fn absent(path: &Path) {
    let message =
        format!("{} is absent: the corpus tests need ../shared/corpora beside the repository", path.display());
    assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
}
