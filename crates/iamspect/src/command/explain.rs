//! `iamspect explain`: why a request is allowed or denied, in AWS's words, with counterfactuals
//! and a fix proved by re-evaluation. The request comes from a case file, from flags, from an
//! AccessDenied message (`--message`), from `decode-authorization-message` output (`--decoded`), or
//! from iamspect's own encoded authorization message (`--encoded`, or one inside `--message`),
//! opened with the server's key (`--message-key`).

use std::path::PathBuf;

use iamspect_case::Compiler;
use iamspect_core::Decision;
use iamspect_explain::evidence::AwsVerdict;
use iamspect_explain::message;
use iamspect_explain::report::Report;
use serde_json::{Value, json};

use super::fix_files;
use super::request::{self, RequestArgs};
use super::{BAD_INPUT, FAILURE, Format, SUCCESS};
use crate::output;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A case file (every case is explained unless `--index` picks one).
    case: Option<PathBuf>,
    /// Explain only the case at this index of the file.
    #[arg(long)]
    index: Option<usize>,
    /// The text of an AccessDenied error, to read back into its parts.
    #[arg(long, conflicts_with_all = ["case", "principal"])]
    message: Option<String>,
    /// The JSON `aws sts decode-authorization-message` printed: the request, with its context, to
    /// evaluate against the policy files given by the other flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "principal"])]
    decoded: Option<PathBuf>,
    /// An encoded authorization message from iamspect's gateway (`iamspect2.…`, from an EC2-style
    /// message or the `x-iamspect-authorization-message` header), opened with `--message-key`:
    /// shown, or with `--account-data` or policy files, evaluated again. `--message` opens one
    /// found in a message.
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["case", "principal", "decoded", "message"])]
    encoded: Option<String>,
    /// A CloudTrail event file (`Records`, `lookup-events` output, or one event): the request of
    /// its denied event, rebuilt as `replay` does, decided with `--account-data` or policy files,
    /// and AWS's verdict in the event weighed as ground truth.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "principal", "decoded", "message", "encoded"])]
    event: Option<PathBuf>,
    /// Which event of `--event` (0 is the first; by default its only denied event).
    #[arg(long, value_name = "N", requires = "event")]
    event_index: Option<usize>,
    /// AWS's service reference (a folder of per-service JSON), to map an event's operation to its
    /// actions; as `replay --service-reference`.
    #[arg(long, value_name = "DIR", requires = "event")]
    service_reference: Option<PathBuf>,
    #[command(flatten)]
    request: RequestArgs,
    /// The key file the server seals its encoded messages with (`iamspect serve --message-key`):
    /// 32 bytes, or 64 hexadecimal digits. Needed to read a token.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "decoded"])]
    message_key: Option<PathBuf>,
    /// Writes the files a fix edits, patched, under this folder (at the paths the patch names):
    /// the first grant, or the fix `--fix N` picks (a weakening only when picked by number).
    #[arg(long, value_name = "DIR")]
    write_fix: Option<PathBuf>,
    /// The fix `--write-fix` writes, by its number in the list (1 is the first).
    #[arg(long, value_name = "N", requires = "write_fix")]
    fix: Option<usize>,
    /// Context keys to leave unknown (comma-separated): adds the condition on them under which
    /// the request is allowed ("allowed if", JSON `allowedIf`), as `eval --unknown`; the exit
    /// code is then that of `eval --unknown`.
    #[arg(long, value_name = "KEY", value_delimiter = ',')]
    unknown: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Colour: auto, always or never.
    #[arg(long, value_enum, default_value = "auto")]
    color: super::Color,
}

pub(crate) fn run(args: Args) -> u8 {
    args.color.apply();
    let token = args
        .encoded
        .as_deref()
        .or_else(|| args.message.as_deref().and_then(iamspect_explain::encoded::find_in_message));
    // The key opens an encoded message; without one it would be silently unused.
    if args.message_key.is_some() && token.is_none() {
        eprintln!(
            "error: `--message-key` opens an encoded authorization message (`--encoded`, or one inside `--message`), and none was given"
        );
        return BAD_INPUT;
    }
    let evaluate_message = !args.request.account_data.is_empty() || has_policy_flags(&args);
    if let (Some(text), None, false) = (&args.message, token, evaluate_message) {
        let mut given = args.request.all_flags();
        if args.index.is_some() {
            given.push("--index");
        }
        if !args.unknown.is_empty() {
            given.push("--unknown");
        }
        if let Err(e) = request::refuse(
            &given,
            "`--message` alone reads an AccessDenied message back into its parts; add `--account-data` or policy files to evaluate the request it names against them",
        ) {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
        return explain_message(text, args.format);
    }
    if let Some(token) = token
        && args.request.account_data.is_empty()
        && !has_policy_flags(&args)
    {
        let mut given = args.request.request_flags();
        if args.index.is_some() {
            given.push("--index");
        }
        if !args.unknown.is_empty() {
            given.push("--unknown");
        }
        if let Err(e) = request::refuse(
            &given,
            "the encoded message gives the request; add `--account-data` or policy files to evaluate it again",
        ) {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
        return show_encoded(&args, token);
    }
    if let Err(e) = super::allowed_if::check_names(&args.unknown) {
        eprintln!("error: {e}");
        return BAD_INPUT;
    }
    let (loaded, aws) = match load(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    for item in &loaded.items {
        if let Err(e) = request::known_action(item.built.request.action()) {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    }
    if args.write_fix.is_some() && loaded.items.len() != 1 {
        eprintln!("error: `--write-fix` writes the fix of one case: pick it with `--index N`");
        return BAD_INPUT;
    }
    // The residuals first: a key the request fixes is bad input, said before anything is printed.
    let residuals = match super::allowed_if::compute_all(&loaded.items, &args.unknown) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let mut all_allowed = true;
    let mut residual_code = SUCCESS;
    let mut json_out = Vec::new();
    for (item_no, item) in loaded.items.iter().enumerate() {
        let built = &item.built;
        let report = Report::new(&built.request, &built.policies);
        let report = match &aws {
            Some(v) => report.with_aws_verdict(v.clone()),
            None => report,
        };
        // With AWS's own verdict, a request AWS denied is denied whatever the policies given say.
        all_allowed &=
            report.response.outcome.decision == Decision::Allowed && aws.as_ref().is_none_or(AwsVerdict::allowed);
        let source = match &args.case {
            Some(path) => fix_files::Source::Case { path, index: item.index },
            None => fix_files::Source::Flags,
        };
        let located: Vec<fix_files::Located> = report
            .fixes
            .iter()
            .flat_map(|f| &f.fixes)
            .map(|f| fix_files::locate(f, &report.policies, source))
            .collect();
        if let Some(dir) = &args.write_fix {
            match write_fix(dir, args.fix, &report, &located) {
                Ok(lines) => {
                    for l in lines {
                        eprintln!("{l}");
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return BAD_INPUT;
                }
            }
        }
        match args.format {
            Format::Text => {
                let heading = format!(
                    "{}#{}{}",
                    loaded.label,
                    item.index,
                    item.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                );
                crate::output::print(&output::explain::render(
                    &heading,
                    built,
                    &report,
                    &request::notes(item),
                    &located,
                ));
                if !args.unknown.is_empty() {
                    let r = super::allowed_if::of_item(&residuals, item_no, &mut residual_code);
                    for l in super::allowed_if::to_text(&args.unknown, &r) {
                        crate::output::println(&l);
                    }
                }
            }
            Format::Json => {
                let mut v = report.to_json(&built.request);
                file_patches_json(&mut v, &located);
                if let (Some(obj), Value::Object(notes)) = (v.as_object_mut(), request::notes_json(item)) {
                    for (k, n) in notes {
                        obj.insert(k, n);
                    }
                }
                if !args.unknown.is_empty() {
                    let r = super::allowed_if::of_item(&residuals, item_no, &mut residual_code);
                    if let Some(obj) = v.as_object_mut() {
                        obj.extend(super::allowed_if::to_json(&args.unknown, &r));
                    }
                }
                json_out.push(v);
            }
        }
    }
    if args.format == Format::Json {
        let v = if json_out.len() == 1 { json_out.remove(0) } else { json!(json_out) };
        crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    if !args.unknown.is_empty() {
        return residual_code;
    }
    if all_allowed { SUCCESS } else { FAILURE }
}

/// `iamspect.fixes[i].patch` as patches of the user's files, with the paths they edit.
fn file_patches_json(v: &mut Value, located: &[fix_files::Located]) {
    let Some(Value::Array(fixes)) = v.pointer_mut("/EvaluationResults/0/iamspect/fixes") else { return };
    for (fix, l) in fixes.iter_mut().zip(located) {
        let Some(obj) = fix.as_object_mut() else { continue };
        if l.files.is_empty() && l.unplaced.is_empty() {
            continue;
        }
        let patch: String =
            l.files.iter().map(fix_files::FilePatch::diff).chain(l.unplaced.iter().map(|e| e.diff())).collect();
        obj.insert("patch".into(), json!(patch));
        obj.insert("files".into(), json!(l.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()));
        if !l.notes.is_empty() {
            obj.insert("fileNotes".into(), json!(l.notes));
        }
    }
}

/// Writes the picked fix's patched files under `dir`; what was written, for standard error.
fn write_fix(
    dir: &std::path::Path,
    pick: Option<usize>,
    report: &Report,
    located: &[fix_files::Located],
) -> Result<Vec<String>, String> {
    use iamspect_explain::fix::FixKind;
    let fixes = report.fixes.as_ref().map(|f| f.fixes.as_slice()).unwrap_or_default();
    let index = match pick {
        Some(0) => return Err("`--fix` counts from 1".to_string()),
        Some(n) if n > fixes.len() => {
            return Err(format!("`--fix {n}`: there {} {} fix{}", if fixes.len() == 1 { "is" } else { "are" }, fixes.len(), if fixes.len() == 1 { "" } else { "es" }));
        }
        Some(n) => n - 1,
        None => fixes.iter().position(|f| f.kind == FixKind::Grant && !f.edits.is_empty()).ok_or_else(|| {
            if fixes.iter().any(|f| f.kind == FixKind::Weakening) {
                "no grant fixes this request; a weakening is written only when picked by number (`--fix N`), since it removes protection".to_string()
            } else {
                "no fix edits a policy (the fixes change the request, or there is none)".to_string()
            }
        })?,
    };
    let fix = fixes.get(index).ok_or("no such fix")?;
    let l = located.get(index).ok_or("no such fix")?;
    if fix.edits.is_empty() {
        return Err(format!("fix {} changes the request, not a file", index + 1));
    }
    if !l.unplaced.is_empty() {
        return Err(format!(
            "fix {} edits policies that were not read from files given here (account data or AWS's own): nothing written",
            index + 1
        ));
    }
    let written = fix_files::write(dir, &l.files)?;
    let mut lines: Vec<String> = written.iter().map(|p| format!("wrote {}", p.display())).collect();
    if fix.kind == FixKind::Weakening {
        lines.push(format!("warning: fix {} is a weakening: {}", index + 1, fix.weakens.join("; ")));
    }
    Ok(lines)
}

/// The requests to explain: a case file or flags ([`request::load`]), or the request of a decoded
/// or encoded authorization message with the policy flags and account data.
fn load(args: &Args) -> Result<(request::Loaded, Option<AwsVerdict>), String> {
    if let Some(path) = &args.event {
        if args.index.is_some() {
            return Err("`--index`: an event is picked with `--event-index`".to_string());
        }
        return super::explain_event::load(path, args.event_index, args.service_reference.as_deref(), &args.request);
    }
    if let Some(text) = &args.message
        && iamspect_explain::encoded::find_in_message(text).is_none()
    {
        return message_request(args, text);
    }
    let Some((label, text)) = decoded_text(args)? else {
        return Ok((request::load(args.case.as_deref(), args.index, &args.request)?, None));
    };
    let mut given: Vec<&str> =
        args.request.request_flags().into_iter().filter(|f| *f != "--resource-account").collect();
    if args.index.is_some() {
        given.push("--index");
    }
    request::refuse(&given, "the decoded message gives the request (only `--resource-account` may be added)")?;
    iamspect_case::check::strict_json(&text).map_err(|e| format!("{label}: {e}"))?;
    let decoded = iamspect_explain::decoded::parse_decoded(&text).map_err(|e| format!("{label}: {e}"))?;
    let context: Vec<(String, Vec<String>)> = decoded.context.iter().map(|(k, vs)| (k.clone(), vs.clone())).collect();
    let resource_account = args.request.resource_account.clone().or_else(|| encoded_resource_account(&text));
    let mut compiler = Compiler::new();
    let item = request::from_request_with_sessions(
        &decoded.principal_arn,
        &decoded.action,
        &decoded.resource,
        resource_account.as_deref(),
        context,
        &args.request,
        &decoded.session_policies,
        &mut compiler,
    )?;
    // AWS's own verdict is ground truth (decision D82).
    let verdict = AwsVerdict::from_decoded(&decoded);
    Ok((request::Loaded { label, items: vec![item] }, Some(verdict)))
}

/// The request an AccessDenied message names, decided with the policy flags and account data;
/// the message's own verdict (explicit or implicit, the policy type) is AWS's (decision D82).
fn message_request(args: &Args, text: &str) -> Result<(request::Loaded, Option<AwsVerdict>), String> {
    let parsed = iamspect_explain::parse::parse(text).map_err(|e| e.to_string())?;
    let mut given: Vec<&str> = args
        .request
        .request_flags()
        .into_iter()
        .filter(|f| !matches!(*f, "--resource-account" | "--context" | "--resource"))
        .collect();
    if args.index.is_some() {
        given.push("--index");
    }
    request::refuse(
        &given,
        "the message gives the request (`--resource` for a message without one, `--resource-account` and `--context` may be added)",
    )?;
    let resource = match (&parsed.resource, &args.request.resource) {
        (Some(_), Some(_)) => return Err("`--resource`: the message names the resource already".to_string()),
        (Some(r), None) | (None, Some(r)) => r.clone(),
        (None, None) => {
            return Err("the message names no resource: give the one the request was on with `--resource ARN` (or `--resource '*'` for an action without resource-level permissions)".to_string());
        }
    };
    let context = args.request.context_pairs()?;
    let mut compiler = Compiler::new();
    let item = request::from_request(
        &parsed.principal,
        &parsed.action,
        &resource,
        args.request.resource_account.as_deref(),
        context,
        &args.request,
        &mut compiler,
    )?;
    let verdict = AwsVerdict::from_message(&parsed);
    Ok((request::Loaded { label: "AccessDenied message".to_string(), items: vec![item] }, Some(verdict)))
}

/// The decoded-message JSON of `--decoded FILE`, `--encoded TOKEN` or a token in `--message`, with
/// a label for errors.
fn decoded_text(args: &Args) -> Result<Option<(String, String)>, String> {
    if let Some(path) = &args.decoded {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Some((path.display().to_string(), text)));
    }
    let token = args
        .encoded
        .as_deref()
        .or_else(|| args.message.as_deref().and_then(iamspect_explain::encoded::find_in_message));
    match token {
        Some(t) => Ok(Some(("encoded message".to_string(), open_token(args, t)?))),
        None => Ok(None),
    }
}

/// `iamspect.resourceAccount` of an iamspect decoded message.
fn encoded_resource_account(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.pointer("/iamspect/resourceAccount").and_then(Value::as_str).map(str::to_string)
}

fn has_policy_flags(args: &Args) -> bool {
    !args.request.policy_flags().is_empty()
}

/// Opens an iamspect token with the key of `--message-key`; without it, a one-line error
/// saying the key is needed.
fn open_token(args: &Args, token: &str) -> Result<String, String> {
    iamspect_explain::encoded::check(token).map_err(|e| e.to_string())?;
    let Some(path) = &args.message_key else {
        return Err("the encoded message is sealed with the server's key: give its key file with `--message-key FILE` (as given to `iamspect serve --message-key`), or decode it with the server's STS `DecodeAuthorizationMessage`".to_string());
    };
    let key = iamspect_explain::encoded::MessageKey::from_file(path).map_err(|e| e.to_string())?;
    iamspect_explain::encoded::decode(&key, token).map_err(|e| e.to_string())
}

/// An iamspect encoded message with nothing to evaluate it against: what it says.
fn show_encoded(args: &Args, token: &str) -> u8 {
    let format = args.format;
    let text = match open_token(args, token) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let decoded = match iamspect_case::check::strict_json(&text)
        .and_then(|_| iamspect_explain::decoded::parse_decoded(&text).map_err(|e| e.to_string()))
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: encoded message: {e}");
            return BAD_INPUT;
        }
    };
    let raw: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if format == Format::Json {
        crate::output::println(&serde_json::to_string_pretty(&raw).unwrap_or_default());
        return SUCCESS;
    }
    let field = |p: &str| raw.pointer(p).and_then(Value::as_str).map(str::to_string);
    let mut out = String::from("iamspect authorization message\n");
    out.push_str(&format!("  principal: {}\n", decoded.principal_arn));
    out.push_str(&format!("  action:    {}\n", decoded.action));
    out.push_str(&format!("  resource:  {}\n", decoded.resource));
    let denied_by: Vec<String> = raw
        .pointer("/iamspect/deniedBy")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let decision = field("/iamspect/decision").unwrap_or_else(|| {
        if decoded.allowed {
            "allowed"
        } else if decoded.explicit_deny {
            "explicitDeny"
        } else {
            "implicitDeny"
        }
        .to_string()
    });
    out.push_str(&format!("  decision:  {decision}"));
    if !denied_by.is_empty() {
        out.push_str(&format!(" (denied by: {})", denied_by.join(", ")));
    }
    out.push('\n');
    if let Some(r) = field("/iamspect/reason") {
        out.push_str(&format!("  reason:    {r}\n"));
    }
    if let Some(m) = field("/iamspect/message") {
        out.push_str(&format!("  message:   {m}\n"));
    }
    for st in &decoded.matched_statements {
        out.push_str(&format!(
            "  matched:   {} {} {} on {}\n",
            st.effect,
            st.statement_id.as_deref().unwrap_or("(no Sid)"),
            st.actions.join(", "),
            st.resources.join(", ")
        ));
    }
    if !decoded.context.is_empty() {
        out.push_str("  context:\n");
        for (k, vs) in &decoded.context {
            out.push_str(&format!("    {k} = {}\n", vs.join(", ")));
        }
    }
    out.push_str("Add --account-data PATH (or policy files) to evaluate the request again and see a fix.\n");
    crate::output::print(&out);
    SUCCESS
}

fn explain_message(text: &str, format: Format) -> u8 {
    let parsed = match iamspect_explain::parse::parse(text) {
        Ok(m) => m,
        Err(e) => {
            // Decisions D141–D144: errors from the gates beside the policies, named with what
            // to check.
            if let Some(causes) = iamspect_explain::gates::causes_for_text(text) {
                let out = match format {
                    Format::Json => {
                        serde_json::to_string_pretty(&json!({"possibleCauses": causes})).unwrap_or_default()
                    }
                    Format::Text => {
                        let list: Vec<String> = causes.iter().map(|c| format!("  - {c}")).collect();
                        format!("Not an AccessDenied message; possible causes:\n{}", list.join("\n"))
                    }
                };
                crate::output::println(&out);
                return SUCCESS;
            }
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let steps = iamspect_explain::parse::next_steps(&parsed);
    match format {
        Format::Text => crate::output::print(&output::explain::render_message(&parsed, &steps)),
        Format::Json => {
            let v = json!({
                "principal": parsed.principal,
                "action": parsed.action,
                "resource": parsed.resource,
                "deny": match parsed.deny {
                    message::DenyKind::Explicit => "explicit",
                    message::DenyKind::Implicit => "implicit",
                    message::DenyKind::Unspecified => "unspecified",
                },
                "policyType": parsed.policy_type.map(|t| t.words()),
                "deniedBy": parsed.policy_type.map(|t| t.denier().as_str()),
                "policyArn": parsed.policy_arn,
                "nextSteps": steps,
            });
            crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    SUCCESS
}
