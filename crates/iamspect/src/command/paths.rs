//! `iamspect paths --account-data PATH... [--from ARN] [--to admin|ARN]`: who can become admin
//! (or another principal), and how, each hop decided by the engine.

use std::collections::BTreeSet;
use std::path::PathBuf;

use iamspect_account::paths::json::{answer_json, principal_json};
use iamspect_account::paths::{Cut, Graph, Options, Path, cuts, shortest_to, shortest_to_admin};
use serde_json::Value;

use super::{BAD_INPUT, SUCCESS};

/// `--format` of `paths`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PathsFormat {
    /// For people: each path as a story.
    Text,
    /// For programs.
    Json,
    /// Graphviz DOT, to draw.
    Dot,
    /// A Mermaid flowchart, to draw in Markdown.
    Mermaid,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Account data: dumps, an organization file, resource policies (files or folders). One path
    /// per flag: repeat the flag or separate paths with commas.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',', required = true)]
    account_data: Vec<PathBuf>,
    /// Only the paths of this principal (an ARN of the loaded accounts).
    #[arg(long)]
    from: Option<String>,
    /// Where the paths lead: `admin` (a principal that may do everything), or a principal's ARN.
    #[arg(long, default_value = "admin")]
    to: String,
    /// The longest path looked for, in steps.
    #[arg(long = "max-hops", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=64))]
    max_hops: u32,
    /// A context key and value, `key=value`, that every request carries.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// With `--from`: the statements whose removal would cut the principal's paths to admin,
    /// each proved by building the graph again without it.
    #[arg(long, requires = "from")]
    cut: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: PathsFormat,
}

/// One principal's answer.
struct Answer {
    node: usize,
    path: Option<Path>,
    cuts: Vec<Cut>,
}

pub(crate) fn run(args: Args) -> u8 {
    let mut context = match super::account::context_flags(&args.context)
        .and_then(|c| super::request::check_values(None, None, &c).map(|()| c))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    // What would cut a path is asked of the paths to admin only: refused, not ignored, with `--to`.
    if args.cut && !args.to.eq_ignore_ascii_case("admin") {
        eprintln!("error: --cut says what would cut the paths to admin; it cannot be used with --to `{}`", args.to);
        return BAD_INPUT;
    }
    let data = match super::account::load(&args.account_data) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let (time, time_given) = iamspect_case::set_clock(&mut context, iamspect_case::Timestamp::now());
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} principals")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Drawn only for runs over a second, and only on a terminal (indicatif hides it otherwise).
    let tick = |msg: &'static str, done: usize, total: usize| {
        if started.elapsed().as_secs() >= 1 && (done.is_multiple_of(64) || done == total) {
            bar.set_message(msg);
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let index = iamspect_account::query::Index::build_with_progress(&data, &mut |d, t| tick("compiling", d, t));
    let find = super::who_can::conditional_finder;
    // Paths to admin need only the edges a shortest path to admin can take (decision D93).
    let admin_only = args.to.eq_ignore_ascii_case("admin");
    let options = Options { context: &context, conditional: Some(&find), admin_only };
    // One principal's paths need only the edges of the principals it can reach.
    let graph = match &args.from {
        Some(arn) => {
            let never = std::sync::atomic::AtomicBool::new(false);
            match Graph::build_from(&data, &index, &options, arn, args.max_hops as usize, &never) {
                Ok(Some(g)) => g,
                Ok(None) => {
                    bar.finish_and_clear();
                    eprintln!("error: --from `{arn}` is not a principal of the loaded accounts");
                    return BAD_INPUT;
                }
                Err(_) => {
                    eprintln!("error: the paths of `{arn}` were not finished");
                    return BAD_INPUT;
                }
            }
        }
        None => Graph::build(&data, &index, &options, &|d, t| tick("deciding edges", d, t)),
    };
    bar.finish_and_clear();
    for s in &graph.left_out {
        eprintln!("warning: left out {s}");
    }
    if graph.nodes.is_empty() {
        eprintln!("error: the account data holds no principal (no users or roles were loaded)");
        return BAD_INPUT;
    }
    let from = match &args.from {
        Some(arn) => match graph.node(arn) {
            Some(n) => Some(n),
            None => {
                eprintln!("error: --from `{arn}` is not a principal of the loaded accounts");
                return BAD_INPUT;
            }
        },
        None => None,
    };
    let target = if args.to.eq_ignore_ascii_case("admin") {
        None
    } else {
        match graph.node(&args.to) {
            Some(n) => Some(n),
            None => {
                eprintln!("error: --to `{}` is neither `admin` nor a principal of the loaded accounts", args.to);
                return BAD_INPUT;
            }
        }
    };
    let hops = args.max_hops as usize;
    let answers: Vec<Answer> = (0..graph.nodes.len())
        .filter(|&n| from.is_none_or(|f| f == n))
        .map(|node| {
            let path = match target {
                None => shortest_to_admin(&graph, node, hops),
                Some(t) if t == node => Some(Path { steps: Vec::new() }),
                Some(t) => shortest_to(&graph, node, t, hops),
            };
            // What would cut it: only for one principal, since each candidate builds the graph again.
            let cuts = match (&path, args.cut && target.is_none()) {
                (Some(p), true) if !p.steps.is_empty() => {
                    let arn = graph.nodes.get(node).map(|n| n.arn.clone()).unwrap_or_default();
                    cuts(&data, &graph, &arn, p, hops, &options)
                }
                _ => Vec::new(),
            };
            Answer { node, path, cuts }
        })
        .collect();
    let out = match args.format {
        PathsFormat::Json => {
            let value = json_output(&data, &graph, &answers, target, &time, args.max_hops);
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        PathsFormat::Text => text_output(&graph, &answers, target, &time, time_given, args.max_hops),
        PathsFormat::Dot => dot_output(&graph, &answers),
        PathsFormat::Mermaid => mermaid_output(&graph, &answers),
    };
    print!("{out}");
    SUCCESS
}

fn json_output(
    data: &iamspect_account::AccountData,
    graph: &Graph,
    answers: &[Answer],
    target: Option<usize>,
    time: &str,
    max_hops: u32,
) -> Value {
    let principals = answers
        .iter()
        .map(|a| {
            let mut v = principal_json(graph, a.node, a.path.as_ref(), target, &a.cuts);
            // Who signs in to it, for a role of IAM Identity Center (decision D96).
            let arn = v["arn"].as_str().unwrap_or("").to_string();
            if let (Some(ic), Some(obj)) = (iamspect_account::identity_center::describe(data, &arn), v.as_object_mut())
            {
                obj.insert("identityCenter".into(), ic);
            }
            v
        })
        .collect::<Vec<_>>();
    answer_json(graph, principals, target, time, max_hops as usize)
}

fn text_output(
    graph: &Graph,
    answers: &[Answer],
    target: Option<usize>,
    time: &str,
    time_given: bool,
    max_hops: u32,
) -> String {
    let goal = target.and_then(|t| graph.nodes.get(t)).map_or("admin".to_string(), |n| format!("`{}`", n.arn));
    let reaching: Vec<&Answer> =
        answers.iter().filter(|a| a.path.as_ref().is_some_and(|p| !p.steps.is_empty())).collect();
    let admins: Vec<&Answer> = answers
        .iter()
        .filter(|a| target.is_none() && graph.nodes.get(a.node).is_some_and(|n| n.admin.is_admin))
        .collect();
    let mut out = format!(
        "{} of {} principal{} can reach {goal} in at most {max_hops} steps; {} {} admin already ({} edges decided)\n",
        reaching.len(),
        answers.len(),
        if answers.len() == 1 { "" } else { "s" },
        admins.len(),
        if admins.len() == 1 { "is" } else { "are" },
        graph.edges.len(),
    );
    out.push_str(&format!("  time {time} ({})\n", if time_given { "given" } else { "now" }));
    for a in &admins {
        if let Some(n) = graph.nodes.get(a.node) {
            out.push_str(&format!("  admin: {} ({})\n", n.arn, n.admin.why));
            for g in &n.admin.guardrails {
                out.push_str(&format!("      within the organization's guardrail {g}\n"));
            }
        }
    }
    for a in reaching {
        let (Some(n), Some(p)) = (graph.nodes.get(a.node), a.path.as_ref()) else { continue };
        let cond = if p.conditional(graph) { ", under conditions" } else { "" };
        out.push_str(&format!(
            "\n{} ({}) reaches {goal} in {} step{}{cond}:\n",
            n.arn,
            n.kind,
            p.steps.len(),
            if p.steps.len() == 1 { "" } else { "s" }
        ));
        for (i, e) in p.steps.iter().filter_map(|&e| graph.edges.get(e)).enumerate() {
            out.push_str(&format!("  {}. {} [{}]\n", i + 1, e.story, e.technique));
            for r in &e.requests {
                let by: Vec<String> = r
                    .granted_by()
                    .iter()
                    .map(|(pol, s, l, c)| format!("{pol} statement {s} (line {l}, column {c})"))
                    .collect();
                out.push_str(&format!(
                    "       {} on {} allowed by {}\n",
                    r.action,
                    r.resource,
                    if by.is_empty() { "the resource's policy".to_string() } else { by.join(", ") }
                ));
            }
            for c in &e.conditions {
                out.push_str(&format!("       if {c}\n"));
            }
        }
        let last = p.steps.last().and_then(|&e| graph.edges.get(e)).and_then(|e| graph.nodes.get(e.to));
        if let Some(last) = last.filter(|_| target.is_none()) {
            if last.admin.is_admin {
                out.push_str(&format!("  and {} is admin ({})\n", last.arn, last.admin.why));
            } else {
                out.push_str(&format!("  and {} then has every permission\n", last.arn));
            }
        }
        for c in &a.cuts {
            let verdict = if c.removes_every_path { "cuts every path" } else { "another path remains" };
            out.push_str(&format!(
                "  cut: remove statement {} of {} (line {}; {} principal{} have it): {verdict}, proved by building the graph again\n",
                c.statement,
                c.policy,
                c.line,
                c.shared_by,
                if c.shared_by == 1 { "" } else { "s" }
            ));
        }
    }
    let none: Vec<&str> = answers
        .iter()
        .filter(|a| a.path.is_none())
        .filter_map(|a| graph.nodes.get(a.node).map(|n| n.arn.as_str()))
        .collect();
    if !none.is_empty() {
        out.push_str(&format!(
            "\n{} principal{} cannot reach {goal} with the techniques iamspect knows:\n",
            none.len(),
            if none.len() == 1 { "" } else { "s" }
        ));
        for arn in none {
            out.push_str(&format!("  {arn}\n"));
        }
    }
    if !graph.left_out.is_empty() {
        out.push_str(&format!("\nleft out ({}), so a path through them may be missing:\n", graph.left_out.len()));
        for l in &graph.left_out {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out
}

/// The edges of the answers' paths, each once.
fn drawn(graph: &Graph, answers: &[Answer]) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let mut edges = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    for a in answers {
        if let Some(p) = &a.path {
            edges.extend(p.steps.iter().copied());
        }
    }
    for &e in &edges {
        if let Some(e) = graph.edges.get(e) {
            nodes.insert(e.from);
            nodes.insert(e.to);
        }
    }
    (nodes, edges)
}

fn short(arn: &str) -> String {
    arn.rsplit(':').next().unwrap_or(arn).to_string()
}

fn dot_output(graph: &Graph, answers: &[Answer]) -> String {
    let (nodes, edges) = drawn(graph, answers);
    let mut out = String::from("digraph paths {\n  rankdir=LR;\n  node [shape=box];\n");
    for n in nodes.iter().filter_map(|&n| graph.nodes.get(n)) {
        let style = if n.admin.is_admin { ", style=filled, fillcolor=\"#f4cccc\"" } else { "" };
        out.push_str(&format!("  \"{}\" [label=\"{}\"{style}];\n", n.arn, short(&n.arn)));
    }
    for e in edges.iter().filter_map(|&e| graph.edges.get(e)) {
        let (Some(f), Some(t)) = (graph.nodes.get(e.from), graph.nodes.get(e.to)) else { continue };
        let dashed = if e.conditional() { ", style=dashed" } else { "" };
        out.push_str(&format!("  \"{}\" -> \"{}\" [label=\"{}\"{dashed}];\n", f.arn, t.arn, e.technique));
    }
    out.push_str("}\n");
    out
}

fn mermaid_output(graph: &Graph, answers: &[Answer]) -> String {
    let (nodes, edges) = drawn(graph, answers);
    let id = |n: usize| format!("n{n}");
    let mut out = String::from("flowchart LR\n");
    for &i in &nodes {
        if let Some(n) = graph.nodes.get(i) {
            let label = short(&n.arn).replace('"', "'");
            if n.admin.is_admin {
                out.push_str(&format!("  {}[[\"{label} (admin)\"]]\n", id(i)));
            } else {
                out.push_str(&format!("  {}[\"{label}\"]\n", id(i)));
            }
        }
    }
    for e in edges.iter().filter_map(|&e| graph.edges.get(e)) {
        let arrow = if e.conditional() { "-.->" } else { "-->" };
        out.push_str(&format!("  {} {arrow}|{}| {}\n", id(e.from), e.technique, id(e.to)));
    }
    out
}
