//! `iamspect who-can --account-data PATH... --action A --resource R`: every principal of the loaded
//! accounts that may do it, with the conditions its access depends on.

use std::path::PathBuf;

use iamspect_core::Decision;
use serde_json::json;

use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data: dumps, an organization file, resource policies (files or folders). One path
    /// per flag: repeat the flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// The action, `service:Action`.
    #[arg(long)]
    action: String,
    /// The resource ARN, or `*`.
    #[arg(long)]
    resource: String,
    /// The account that owns the resource (S3 ARNs carry none).
    #[arg(long)]
    resource_account: Option<String>,
    /// A context key and value, `key=value`, assumed for every principal.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Also list the principals that can do it through a path: by becoming one that can (role
    /// assumption, access keys, PassRole...), or by making one they can become admin (as
    /// `iamspect paths` finds them).
    #[arg(long)]
    transitive: bool,
    /// With `--transitive`, the longest path looked for, in steps.
    #[arg(long = "max-hops", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=64), requires = "transitive")]
    max_hops: u32,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// A principal that can do it through a path.
struct Through {
    principal: String,
    kind: &'static str,
    conditional: bool,
    steps: Vec<serde_json::Value>,
}

/// Principals that can do it through a path of `paths`' techniques (not among `direct`).
fn transitive(
    data: &iamspect_account::AccountData,
    index: &iamspect_account::query::Index,
    direct: &[iamspect_account::query::Access],
    question: (&str, &str, Option<&str>),
    context: &[(String, Vec<String>)],
    max_hops: usize,
) -> (Vec<Through>, Vec<String>) {
    use iamspect_account::paths::{Graph, Options, shortest_to_any};
    let (action, resource, resource_account) = question;
    let find = conditional_finder;
    let graph =
        Graph::build(data, index, &Options { context, conditional: Some(&find), admin_only: false }, &|_, _| {});
    let direct: std::collections::HashSet<&str> = direct.iter().map(|a| a.principal.as_str()).collect();
    let goal = |n: usize| graph.nodes.get(n).is_some_and(|n| direct.contains(n.arn.as_str()));
    let made: std::cell::RefCell<std::collections::HashMap<usize, bool>> = std::cell::RefCell::default();
    let mut left_out = graph.left_out.clone();
    let left = std::cell::RefCell::new(Vec::new());
    let made_admin = |n: usize| {
        if let Some(&known) = made.borrow().get(&n) {
            return known;
        }
        let answer = graph.nodes.get(n).is_some_and(|node| {
            iamspect_account::query::allowed_with_everything(
                data,
                &node.principal,
                action,
                resource,
                resource_account,
                context,
            )
            .unwrap_or_else(|e| {
                left.borrow_mut().push(format!("{}: {e}", node.arn));
                false
            })
        });
        made.borrow_mut().insert(n, answer);
        answer
    };
    let mut out = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if direct.contains(node.arn.as_str()) {
            continue;
        }
        let Some(path) = shortest_to_any(&graph, i, max_hops, &goal, &made_admin) else { continue };
        let steps = path
            .steps
            .iter()
            .filter_map(|&e| graph.edges.get(e))
            .map(|e| {
                let arn = |n: usize| graph.nodes.get(n).map(|n| n.arn.clone()).unwrap_or_default();
                json!({"from": arn(e.from), "to": arn(e.to), "technique": e.technique, "story": e.story, "conditions": e.conditions})
            })
            .collect();
        out.push(Through {
            principal: node.arn.clone(),
            kind: node.kind,
            conditional: path.conditional(&graph),
            steps,
        });
    }
    left_out.extend(left.into_inner());
    (out, left_out)
}

/// What who-can does with the context keys the question does not give (decision D84).
const UNKNOWN_CONTEXT: &str = "keys the question gives (and the principal's organization keys, and for roles aws:TokenIssueTime of a session issued now) are as given; every other key is unknown: a principal denied without it is tried with the values its policies' conditions name, and listed as conditional with them; aws:Principal*, aws:Resource*, aws:userid, aws:username and the clock are never varied";

pub(crate) fn run(args: Args) -> u8 {
    let checked = super::request::known_action(&args.action).and_then(|()| {
        let context = super::account::context_flags(&args.context)?;
        super::request::check_values(Some(&args.resource), args.resource_account.as_deref(), &context)
    });
    if let Err(e) = checked {
        eprintln!("error: {e}");
        return BAD_INPUT;
    }
    let data = match super::account::load(&args.account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let mut context = match super::account::context_flags(&args.context) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let (time, time_given) = iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
    let (resource_account, account_note) = match bucket_account(&data, &args.resource, args.resource_account.as_deref())
    {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    // A progress bar on standard error, drawn only on a terminal (indicatif hides it otherwise).
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} principals")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("compiling policies");
    let index = iamspect_account::query::Index::build_with_progress(&data, &mut |done, total| {
        if done % 256 == 0 || done == total {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    });
    bar.finish_and_clear();
    for s in &index.skipped {
        eprintln!("warning: left out {s}");
    }
    let finder = super::conditional::Finder::default();
    let find = |r: &iamspect_core::Request, p: &iamspect_core::Policies| finder.find(r, p);
    let (access, evaluated, named_left_out) = match iamspect_account::query::who_can_with(
        &data,
        &index,
        &args.action,
        &args.resource,
        resource_account.as_deref(),
        &context,
        Some(&find),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    // Principals the resource's policy names that could not be asked are said, never dropped.
    for s in &named_left_out {
        eprintln!("warning: left out {s}");
    }
    let left_out: Vec<&String> = index.skipped.iter().chain(&named_left_out).collect();
    let everyone = match everyone(&data, &args.action, &args.resource, resource_account.as_deref(), &context) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let (through, through_left_out) = if args.transitive {
        let question = (args.action.as_str(), args.resource.as_str(), resource_account.as_deref());
        transitive(&data, &index, &access, question, &context, args.max_hops as usize)
    } else {
        (Vec::new(), Vec::new())
    };
    for s in &through_left_out {
        eprintln!("warning: left out of the paths {s}");
    }
    // What the paths left out is part of what was left out: in the JSON too.
    let through_left_out: Vec<String> = through_left_out.iter().map(|s| format!("(paths) {s}")).collect();
    // The residual condition of each conditional principal (decision D94).
    let allowed_if: std::collections::HashMap<String, super::conditional::AllowedIf> = access
        .iter()
        .filter(|a| a.conditional)
        .filter_map(|a| finder.take(&a.principal).map(|f| (a.principal.clone(), f)))
        .collect();
    match args.format {
        Format::Text => {
            let mut out = format!(
                "{} principal{} may perform {} on {} ({} loaded, {} evaluated, principals the resource's policy names included)\n",
                access.len(),
                if access.len() == 1 { "" } else { "s" },
                args.action,
                args.resource,
                index.principals.len(),
                evaluated
            );
            out.push_str(&format!(
                "  time {time} ({})\n",
                if time_given { "given" } else { "now; `--context aws:CurrentTime=...` sets another" }
            ));
            if let Some(note) = &account_note {
                out.push_str(&format!("  {note}\n"));
            }
            out.push_str(&format!("  context: {UNKNOWN_CONTEXT}\n"));
            if let Some(e) = &everyone {
                out.push_str(&format!("  everyone: {}\n", e.words()));
                for g in &e.grants {
                    out.push_str(&format!("      granted by {}\n", g.granted_by));
                    for c in &g.conditions {
                        out.push_str(&format!("      if {c}\n"));
                    }
                }
            }
            for (conditional, heading) in [(false, "as asked"), (true, "only with other context values (conditional)")]
            {
                let group: Vec<_> = access.iter().filter(|a| a.conditional == conditional).collect();
                if group.is_empty() {
                    continue;
                }
                out.push_str(&format!("  {heading}:\n"));
                for a in group {
                    out.push_str(&format!("    {} ({})\n", a.principal, a.kind));
                    for (k, v) in &a.witness {
                        out.push_str(&format!("        allowed with {k} = {v}\n"));
                    }
                    if a.kind == "user" && a.witness.iter().any(|(k, _)| k.eq_ignore_ascii_case("aws:TokenIssueTime")) {
                        out.push_str("        (with temporary credentials only: a user's long-term keys never carry aws:TokenIssueTime)\n");
                    }
                    if let Some(found) = allowed_if.get(&a.principal) {
                        for line in super::conditional::to_text(found) {
                            out.push_str(&format!("        {line}\n"));
                        }
                    }
                    for g in &a.granted_by {
                        out.push_str(&format!("        granted by {g}\n"));
                    }
                    for c in &a.conditions {
                        out.push_str(&format!("        if {c}\n"));
                    }
                    if let Some(ic) = identity_center(&data, &a.principal) {
                        out.push_str(&format!(
                            "        Identity Center permission set {}, signed in to by: {}\n",
                            ic["permissionSet"].as_str().unwrap_or(""),
                            sign_in_words(&ic)
                        ));
                    }
                }
            }
            if args.transitive {
                out.push_str(&format!("  through a path ({}):\n", through.len()));
                for t in &through {
                    let cond = if t.conditional { ", under conditions" } else { "" };
                    out.push_str(&format!("    {} ({}){cond}\n", t.principal, t.kind));
                    for step in &t.steps {
                        out.push_str(&format!(
                            "        {} [{}]\n",
                            step["story"].as_str().unwrap_or(""),
                            step["technique"].as_str().unwrap_or("")
                        ));
                        for c in step["conditions"].as_array().into_iter().flatten() {
                            out.push_str(&format!("          if {}\n", c.as_str().unwrap_or("")));
                        }
                    }
                }
            }
            crate::output::print(&out);
        }
        Format::Json => {
            let v = json!({
                "action": args.action,
                "resource": args.resource,
                "principals": index.principals.len(),
                "evaluated": evaluated,
                "allowed": access.iter().map(|a| {
                    let mut v = json!({
                        "principal": a.principal,
                        "kind": a.kind,
                        "conditional": a.conditional,
                        "grantedBy": a.granted_by,
                        "conditions": a.conditions,
                    });
                    if let (Some(ic), Some(obj)) = (identity_center(&data, &a.principal), v.as_object_mut()) {
                        obj.insert("identityCenter".into(), ic);
                    }
                    if let (true, Some(obj)) = (a.conditional, v.as_object_mut()) {
                        let witness: serde_json::Map<String, serde_json::Value> =
                            a.witness.iter().map(|(k, val)| (k.clone(), json!(val))).collect();
                        obj.insert("allowedWith".into(), serde_json::Value::Object(witness));
                        match allowed_if.get(&a.principal) {
                            Some(found) => obj.extend(super::conditional::to_json(found)),
                            None => {
                                obj.insert("unknownKeys".into(), json!([]));
                                obj.insert("allowedIf".into(), serde_json::Value::Null);
                                obj.insert("unknown".into(), json!({"construct": "no residual was computed for this principal"}));
                            }
                        }
                    }
                    v
                }).collect::<Vec<_>>(),
                "leftOut": left_out.iter().map(|s| s.as_str()).chain(through_left_out.iter().map(String::as_str)).collect::<Vec<_>>(),
                "transitive": args.transitive.then(|| through.iter().map(|t| json!({
                    "principal": t.principal,
                    "kind": t.kind,
                    "conditional": t.conditional,
                    "steps": t.steps,
                })).collect::<Vec<_>>()),
                "time": {"value": time, "given": time_given},
                "context": {
                    "given": context.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                    "treatedAsUnknown": UNKNOWN_CONTEXT,
                },
                "resourceAccount": resource_account,
                "everyone": everyone.as_ref().map(|e| json!({
                    "anonymousDecision": e.anonymous.as_str(),
                    "summary": e.words(),
                    "grants": e.grants.iter().map(|g| json!({"grantedBy": g.granted_by, "conditions": g.conditions})).collect::<Vec<_>>(),
                })),
            });
            crate::output::println(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    let anyone = everyone.as_ref().is_some_and(|e| e.anonymous == Decision::Allowed);
    if access.is_empty() && !anyone { FAILURE } else { SUCCESS }
}

/// For a role Identity Center provisioned (or a session of one), the permission set and who may
/// sign in to it (decision D96).
fn identity_center(data: &iamspect_account::AccountData, principal: &str) -> Option<serde_json::Value> {
    iamspect_account::identity_center::describe(data, principal)
}

/// The sign-ins of [`identity_center`] in words.
fn sign_in_words(ic: &serde_json::Value) -> String {
    let mut words: Vec<String> = ic["signIns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| match s["group"].as_str() {
            Some(g) => format!("{} (group {g})", s["user"].as_str().unwrap_or("")),
            None => s["user"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    for g in ic["groupsNotLoaded"].as_array().into_iter().flatten() {
        words.push(format!("the members of group {} (not loaded)", g.as_str().unwrap_or("")));
    }
    if words.is_empty() { "no one assigned".to_string() } else { words.join(", ") }
}

/// The account of an S3 resource, whose ARN names none: `--resource-account`, or the one account
/// loaded; with several, the question is refused rather than asked of every account (decision
/// D49). Returns the account and a note saying where it came from.
fn bucket_account(
    data: &iamspect_account::AccountData,
    resource: &str,
    given: Option<&str>,
) -> Result<(Option<String>, Option<String>), String> {
    if let Some(a) = given {
        return Ok((Some(a.to_string()), None));
    }
    let Some(arn) = iamspect_core::Arn::parse(resource) else { return Ok((None, None)) };
    if !arn.account.is_empty() {
        return Ok((None, None));
    }
    let accounts: Vec<&String> = data.accounts.keys().filter(|a| iamspect_case::check::is_account_id(a)).collect();
    match accounts.as_slice() {
        [one] => Ok((
            Some((*one).clone()),
            Some(format!("resource account {one}: the only account loaded (`{resource}` names none)")),
        )),
        [] => Err(format!(
            "`{resource}` names no account and the data holds no account: give `--resource-account` (12 digits)"
        )),
        many => Err(format!(
            "`{resource}` names no account and {} accounts are loaded ({}): give `--resource-account` with the bucket's account",
            many.len(),
            many.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// A grant of the resource's policy to everyone (`"*"` or `{"AWS": "*"}`).
struct Grant {
    granted_by: String,
    conditions: Vec<String>,
}

/// What the resource's policy grants to everyone: found by asking for an anonymous caller,
/// whom both `"*"` and `{"AWS": "*"}` reach (decision D7), and the statements that reach it with
/// their conditions.
struct Everyone {
    anonymous: Decision,
    grants: Vec<Grant>,
}

impl Everyone {
    fn words(&self) -> String {
        let who = "the resource policy grants `\"*\"` or `{\"AWS\": \"*\"}`: any AWS principal of any account (whose own policies allow it) and anonymous callers";
        match self.anonymous {
            Decision::Allowed => format!("{who}; an anonymous caller is allowed now"),
            _ if self.grants.iter().any(|g| !g.conditions.is_empty()) => {
                format!("{who}, if the conditions below hold (an anonymous caller without them is denied)")
            }
            d => format!("{who}; an anonymous caller is nonetheless denied ({})", d.as_str()),
        }
    }
}

fn everyone(
    data: &iamspect_account::AccountData,
    action: &str,
    resource: &str,
    account: Option<&str>,
    context: &[(String, Vec<String>)],
) -> Result<Option<Everyone>, String> {
    use iamspect_core::{Effect, Layer, Policies, PolicyType, StatementOutcome};
    let side = data.resource_side(action, resource, account).map_err(|e| e.to_string())?;
    let Some(doc) = &side.policy else { return Ok(None) };
    let mut compiler = iamspect_case::Compiler::new();
    let t =
        if iamspect_core::is_role_trust_request(action, resource) { PolicyType::Trust } else { PolicyType::Resource };
    let policy = compiler.compile(&doc.name, &doc.document, t).map_err(|e| e.to_string())?;
    let mut rcps = None;
    if let Some(levels) = &side.rcps {
        let mut out = Vec::new();
        for level in levels {
            let mut ps = Vec::new();
            for d in level {
                ps.push(compiler.compile(&d.name, &d.document, PolicyType::Rcp).map_err(|e| e.to_string())?);
            }
            out.push(ps);
        }
        rcps = Some(out);
    }
    let mut ctx = iamspect_core::Context::new();
    for (k, vs) in side.context.iter().chain(context) {
        ctx.insert(k, vs.clone());
    }
    let principal = iamspect_core::Principal::new(iamspect_core::PrincipalKind::Anonymous);
    let Ok(request) = iamspect_core::Request::new(principal, action, resource, account, ctx) else {
        return Ok(None);
    };
    let policies = Policies { resource: Some(policy), rcps, ..Policies::default() };
    let traced = iamspect_core::authorize_traced(&request, &policies);
    let mut grants = Vec::new();
    for layer in traced.trace.layers.iter().filter(|l| l.layer == Layer::Resource) {
        for p in &layer.policies {
            for st in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
                let reached = matches!(
                    st.outcome,
                    StatementOutcome::Matched(_)
                        | StatementOutcome::ConditionFailed(_)
                        | StatementOutcome::ConditionTypeError(_)
                );
                if !reached {
                    continue;
                }
                let conditions = p
                    .policy
                    .statements()
                    .iter()
                    .find(|s| s.index() == st.index)
                    .map(|s| {
                        s.conditions()
                            .iter()
                            .map(|c| format!("{} {} {:?}", c.operator(), c.key(), c.values()))
                            .collect()
                    })
                    .unwrap_or_default();
                grants.push(Grant { granted_by: format!("{} statement {}", p.policy.name(), st.index), conditions });
            }
        }
    }
    if grants.is_empty() {
        return Ok(None);
    }
    Ok(Some(Everyone { anonymous: traced.outcome.decision, grants }))
}

/// The context search `who-can` and `paths` share (decision D84).
pub(crate) use iamspect_explain::fix::conditional_grant_values as conditional_finder;
