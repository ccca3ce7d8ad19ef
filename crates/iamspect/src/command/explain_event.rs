//! `iamspect explain --event FILE`: the request a CloudTrail event records, rebuilt as `replay`
//! rebuilds it, decided with the account data or policy files given, and AWS's verdict in the
//! event (its `errorCode`, and its `errorMessage` read back when it is an AccessDenied message)
//! weighed as ground truth (decision D82).

use std::path::Path;

use iamspect_case::Compiler;
use iamspect_explain::evidence::AwsVerdict;

use super::request::{self, Loaded, RequestArgs};

/// The requests of event `index` of `path` (or of its only denied event), and AWS's verdict.
pub(crate) fn load(
    path: &Path,
    index: Option<usize>,
    service_reference: Option<&Path>,
    args: &RequestArgs,
) -> Result<(Loaded, Option<AwsVerdict>), String> {
    request::refuse(&args.request_flags(), "the event gives the request")?;
    if args.account_data.is_empty() && args.policy_flags().is_empty() {
        return Err(
            "an event names the request; give `--account-data` or policy files to decide it against them".to_string()
        );
    }
    let read = iamspect_replay::read_paths(&[path.to_path_buf()]);
    if let Some(e) = read.errors.first() {
        return Err(format!("{}: {}", e.path.display(), e.message));
    }
    let event = match index {
        Some(i) => read
            .events
            .get(i)
            .ok_or_else(|| format!("`--event-index {i}`: {} holds {} events", path.display(), read.events.len()))?,
        None => {
            let denied: Vec<_> =
                read.events.iter().filter(|e| iamspect_replay::denial_code(&e.record).is_some()).collect();
            match denied.as_slice() {
                [one] => *one,
                [] => return Err(format!("{} holds no denied event: pick one with `--event-index N`", path.display())),
                many => {
                    let at: Vec<String> = many
                        .iter()
                        .take(8)
                        .map(|e| e.source.rsplit('#').next().unwrap_or(&e.source).to_string())
                        .collect();
                    return Err(format!(
                        "{} holds {} denied events (at {}{}): pick one with `--event-index N`",
                        path.display(),
                        many.len(),
                        at.join(", "),
                        if many.len() > 8 { ", ..." } else { "" }
                    ));
                }
            }
        }
    };
    let (sref, _) = super::replay::service_reference(service_reference)?;
    let data = request::account_data(args)?;
    let rebuilt = iamspect_replay::rebuild(&event.record, sref.as_ref(), data.as_ref())
        .map_err(|e| format!("{}: the request cannot be rebuilt: {e}", event.source))?;
    let mut compiler = Compiler::new();
    let mut items = Vec::new();
    for (i, target) in rebuilt.targets.iter().enumerate() {
        if !target.resource_determined {
            return Err(format!(
                "{}: the resource of {} could not be determined from the event ({}); it is not guessed",
                event.source, target.action, target.resource_how
            ));
        }
        let mut item = request::from_request(
            &rebuilt.caller.principal,
            &target.action,
            &target.resource,
            target.resource_account.as_deref(),
            rebuilt.context.clone(),
            args,
            &mut compiler,
        )?;
        // One target: the heading names the event by its place in the file.
        item.index = if rebuilt.targets.len() == 1 {
            event.source.rsplit('#').next().and_then(|n| n.parse().ok()).unwrap_or(i)
        } else {
            i
        };
        item.built.notes.extend(rebuilt.notes.iter().cloned());
        items.push(item);
    }
    let verdict = match (&rebuilt.aws_message, iamspect_replay::denial_code(&event.record)) {
        (Some(m), _) => Some(AwsVerdict::from_message(m)),
        (None, Some(code)) => Some(AwsVerdict::denied("CloudTrail event", format!("errorCode {code}"))),
        (None, None) => None,
    };
    let label = if rebuilt.targets.len() == 1 { path.display().to_string() } else { event.source.clone() };
    Ok((Loaded { label, items }, verdict))
}
