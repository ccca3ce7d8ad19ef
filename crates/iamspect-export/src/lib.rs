//! `iamspect export`: the effective access of loaded AWS accounts as tables that data platforms
//! read natively (Parquet, or JSON Lines), one folder per table and one `account=ID` partition
//! per account (Hive style, as Athena, Spark and DuckDB read them).
//!
//! The `access` rows are `who-can`'s answers, computed by its own function
//! ([`iamspect_account::query::who_can_with`]) over each account's principals; whatever is not
//! decided is a row of `left_out` saying why. Accounts are exported in parallel, each on its own
//! (its questions, rows and open files), so memory beyond the loaded data is bounded by one
//! account per worker.

mod access;
mod paths;
mod principals;
pub mod schema;
mod trust;
mod writer;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use iamspect_account::paths::Graph;
use iamspect_account::query::{Conditional, Index, IndexedPrincipal};
use iamspect_account::{Account, AccountData, ResourcePolicy};
use iamspect_core::{Policy, PolicyType};

pub use access::ActionsFrom;
pub use schema::{SCHEMA_VERSION, TABLES};
pub use writer::{Format, arrow_schema};

use schema::{ACCESS, Cell, LEFT_OUT, PATHS, PRINCIPALS, RESOURCE_POLICIES, Row, TRUST, Table};
use writer::PartitionWriter;

/// The manifest's file name, at the top of the output folder.
pub const MANIFEST: &str = "_iamspect.json";

/// The partition of what belongs to no loaded account (an S3 ARN in a dump of several accounts).
pub const UNKNOWN_ACCOUNT: &str = "unknown";

/// How to export.
pub struct Options<'a> {
    /// The file format.
    pub format: Format,
    /// Where the actions of wildcard entries come from.
    pub actions_from: ActionsFrom,
    /// The context every question is asked with (as `who-can --context`), the clock included.
    pub context: &'a [(String, Vec<String>)],
    /// As `who-can` finds conditional grants (decision D84).
    pub conditional: Option<Conditional<'a>>,
    /// Accounts exported at once.
    pub jobs: usize,
    /// The `paths` table, with paths of at most this many steps (`iamspect paths --max-hops`);
    /// `None`: the table is not exported, and the manifest says so.
    pub paths_max_hops: Option<usize>,
    /// Called while the escalation graph is built: `(principals done, total)`.
    pub graph_progress: &'a (dyn Fn(usize, usize) + Sync),
    /// Written in the manifest: the tool and its version.
    pub tool: &'a str,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Accounts exported.
    pub accounts: usize,
    /// Rows per table.
    pub rows: BTreeMap<&'static str, u64>,
}

/// Exports `data` into the new or empty folder `out`; `progress` is called once per account
/// done. An error names what failed; data with no account is an error.
///
/// `index`, every principal compiled, is needed by the `paths` table (the escalation graph is
/// the organization's) and built here when not given. Without `paths` and without `index`, each
/// account's principals are compiled by the worker that exports the account and dropped after
/// it (decision D166): the rows are the same, and the compiled policies held are those of the
/// accounts being exported.
pub fn export(
    data: &AccountData,
    index: Option<&Index>,
    out: &Path,
    options: &Options<'_>,
    progress: &(dyn Fn() + Sync),
) -> Result<Summary, String> {
    if data.accounts.is_empty() {
        return Err("the account data holds no account: nothing to export".to_string());
    }
    prepare(out)?;
    let built_whole;
    let index: Option<&Index> = match (index, options.paths_max_hops) {
        (Some(i), _) => Some(i),
        (None, Some(_)) => {
            built_whole = Index::build(data);
            Some(&built_whole)
        }
        (None, None) => None,
    };
    let mut by_account: HashMap<&str, Vec<&IndexedPrincipal>> = HashMap::new();
    for p in index.iter().flat_map(|i| &i.principals) {
        by_account.entry(p.principal.account().unwrap_or(UNKNOWN_ACCOUNT)).or_default().push(p);
    }
    // Principals that could not be compiled, by account (the ARN leads each entry).
    let mut skipped: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for s in index.iter().flat_map(|i| &i.skipped) {
        let (account, row) = skipped_row(data, s);
        skipped.entry(account).or_default().push(row);
    }
    // Every principal compiled, when a trust policy that may admit anyone needs it and the
    // accounts are compiled one at a time.
    let everyone: OnceLock<Index> = OnceLock::new();
    let policies_by_account = resource_policies_by_account(data);
    // The escalation graph is the whole organization's (a path may cross accounts): built once,
    // as `iamspect paths` builds it for paths to admin, and read by every account's worker.
    let graph = options.paths_max_hops.map(|_| {
        let paths_options = iamspect_account::paths::Options {
            context: options.context,
            conditional: options.conditional,
            admin_only: true,
        };
        index.map(|index| Graph::build(data, index, &paths_options, options.graph_progress))
    });
    let graph = graph.flatten();
    let mut nodes_by_account: HashMap<String, Vec<usize>> = HashMap::new();
    let mut graph_left: HashMap<String, Vec<(String, String)>> = HashMap::new();
    if let Some(g) = &graph {
        for (i, n) in g.nodes.iter().enumerate() {
            nodes_by_account.entry(loaded_account(data, &n.arn)).or_default().push(i);
        }
        // What the graph left out, beyond the principals that did not compile (rows already).
        let skipped: HashSet<&String> = index.iter().flat_map(|i| &i.skipped).collect();
        for l in g.left_out.iter().filter(|l| !skipped.contains(l)) {
            let (subject, why) = l.split_once(": ").unwrap_or((l.as_str(), "left out"));
            let subject = subject.split_whitespace().next().unwrap_or(subject);
            graph_left
                .entry(loaded_account(data, subject))
                .or_default()
                .push((l.clone(), format!("paths: left out of the escalation graph ({why})")));
        }
    }
    let accounts: Vec<&Account> = data.accounts.values().collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Result<[u64; 6], String>>> = Mutex::new(Vec::new());
    let jobs = options.jobs.clamp(1, accounts.len());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(account) = accounts.get(i) else { break };
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let job = AccountJob {
                        data,
                        account,
                        principals: by_account.get(account.id.as_str()).map_or(&[], Vec::as_slice),
                        resource_policies: policies_by_account.get(account.id.as_str()).map_or(&[], Vec::as_slice),
                        skipped: skipped.get(&account.id).map_or(&[], Vec::as_slice),
                        out,
                        options,
                        index,
                        everyone: &everyone,
                        by_account: &by_account,
                        graph: graph.as_ref(),
                        nodes: nodes_by_account.get(&account.id).map_or(&[], Vec::as_slice),
                        graph_left: graph_left.get(&account.id).map_or(&[], Vec::as_slice),
                    };
                    let r = job.run();
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut all) = results.lock() {
                        all.push(r);
                    }
                    progress();
                }
            });
        }
    });
    let results = results.into_inner().map_err(|_| "internal error: a worker panicked".to_string())?;
    let mut summary = Summary { accounts: 0, rows: TABLES.iter().map(|t| (t.name, 0)).collect() };
    for r in results {
        let counts = r?;
        summary.accounts += 1;
        for (t, n) in TABLES.iter().zip(counts) {
            *summary.rows.entry(t.name).or_default() += n;
        }
    }
    // What belongs to no loaded account.
    let mut unknown_left = skipped.remove(UNKNOWN_ACCOUNT).unwrap_or_default();
    unknown_left.extend(graph_left.remove(UNKNOWN_ACCOUNT).unwrap_or_default());
    if let (Some(g), Some(max_hops)) = (&graph, options.paths_max_hops) {
        let nodes = nodes_by_account.get(UNKNOWN_ACCOUNT).map_or(&[][..], Vec::as_slice);
        let n = write_rows(
            out,
            PATHS,
            UNKNOWN_ACCOUNT,
            options.format,
            nodes.iter().flat_map(|&i| paths::rows(g, i, max_hops)),
        )?;
        *summary.rows.entry(PATHS.name).or_default() += n;
    }
    unknown_left.extend(
        by_account
            .get(UNKNOWN_ACCOUNT)
            .into_iter()
            .flatten()
            .map(|p| (p.principal.arn(), "the principal names no account: not asked".to_string())),
    );
    let mut rest: Vec<(&str, &[&ResourcePolicy])> = policies_by_account
        .iter()
        .filter(|(a, _)| !data.accounts.contains_key(**a))
        .map(|(a, ps)| (*a, ps.as_slice()))
        .collect();
    rest.sort_by_key(|(a, _)| *a);
    for (account, policies) in rest {
        let n = write_rows(out, RESOURCE_POLICIES, account, options.format, policies.iter().map(|p| policy_row(p)))?;
        *summary.rows.entry(RESOURCE_POLICIES.name).or_default() += n;
    }
    let n = write_rows(out, LEFT_OUT, UNKNOWN_ACCOUNT, options.format, unknown_left.into_iter().map(left_row))?;
    *summary.rows.entry(LEFT_OUT.name).or_default() += n;
    write_manifest(out, options, &summary)?;
    Ok(summary)
}

/// A principal that did not compile (`ARN: why`, as [`Index`] says it): its partition and its
/// `left_out` row.
fn skipped_row(data: &AccountData, s: &str) -> (String, (String, String)) {
    let (arn, why) = s.split_once(": ").unwrap_or((s, "not compiled"));
    (loaded_account(data, arn), (arn.to_string(), format!("not compiled, so not asked: {why}")))
}

/// The loaded account an ARN names, or [`UNKNOWN_ACCOUNT`].
fn loaded_account(data: &AccountData, arn: &str) -> String {
    iamspect_core::Arn::parse(arn)
        .map(|a| a.account.to_string())
        .filter(|a| data.accounts.contains_key(a))
        .unwrap_or_else(|| UNKNOWN_ACCOUNT.to_string())
}

/// Creates `out`, refusing a folder that holds anything (stale partitions would mix in).
fn prepare(out: &Path) -> Result<(), String> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{}: the folder is not empty; export writes into a new or empty folder, so that no old partition mixes in",
                out.display()
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))
}

/// Resource policies by their resource's account: the ARN's, else the only loaded account's, else
/// [`UNKNOWN_ACCOUNT`].
fn resource_policies_by_account(data: &AccountData) -> HashMap<&str, Vec<&ResourcePolicy>> {
    let only = (data.accounts.len() == 1).then(|| data.accounts.keys().next()).flatten();
    let mut out: HashMap<&str, Vec<&ResourcePolicy>> = HashMap::new();
    for p in data.resource_policies.values() {
        let account = match iamspect_core::Arn::parse(&p.arn).map(|a| a.account).filter(|a| !a.is_empty()) {
            Some(a) => a,
            None => only.map_or(UNKNOWN_ACCOUNT, String::as_str),
        };
        out.entry(account).or_default().push(p);
    }
    out
}

fn policy_row(p: &ResourcePolicy) -> Row {
    vec![Cell::Text(p.arn.clone()), Cell::Text(p.source.clone()), Cell::Text(p.document.clone())]
}

fn left_row((subject, reason): (String, String)) -> Row {
    vec![Cell::Text(subject), Cell::Text(reason)]
}

fn write_rows(
    out: &Path,
    table: Table,
    account: &str,
    format: Format,
    rows: impl Iterator<Item = Row>,
) -> Result<u64, String> {
    let mut w = PartitionWriter::new(out, table, account, format);
    for r in rows {
        w.push(r)?;
    }
    w.finish()
}

/// One account's partitions.
struct AccountJob<'a> {
    data: &'a AccountData,
    account: &'a Account,
    principals: &'a [&'a IndexedPrincipal],
    resource_policies: &'a [&'a ResourcePolicy],
    skipped: &'a [(String, String)],
    out: &'a Path,
    options: &'a Options<'a>,
    /// Every loaded principal compiled, or `None` when each account is compiled by its worker.
    index: Option<&'a Index>,
    /// Every loaded principal, compiled when first needed (with `index` `None`).
    everyone: &'a OnceLock<Index>,
    by_account: &'a HashMap<&'a str, Vec<&'a IndexedPrincipal>>,
    graph: Option<&'a Graph>,
    /// The account's nodes of `graph`.
    nodes: &'a [usize],
    /// What the graph left out, of this account.
    graph_left: &'a [(String, String)],
}

impl AccountJob<'_> {
    /// Writes the account's partitions; returns the rows per table, in [`TABLES`]' order.
    fn run(&self) -> Result<[u64; 6], String> {
        let id = self.account.id.as_str();
        let format = self.options.format;
        let n_principals =
            write_rows(self.out, PRINCIPALS, id, format, principals::rows(self.data, self.account).into_iter())?;
        let n_policies =
            write_rows(self.out, RESOURCE_POLICIES, id, format, self.resource_policies.iter().map(|p| policy_row(p)))?;
        // The account's principals, as who-can's index: a copy of the organization's (policies are
        // shared, not copied), or compiled here and dropped with the job (decision D166).
        let (index, own_skipped) = match self.index {
            Some(_) => (
                Index { principals: self.principals.iter().map(|p| (*p).clone()).collect(), skipped: Vec::new() },
                Vec::new(),
            ),
            None => {
                let built = iamspect_account::query::Index::build_account(self.data, self.account);
                let skipped: Vec<(String, String)> =
                    built.skipped.iter().map(|s| skipped_row(self.data, s).1).collect();
                (Index { principals: built.principals, skipped: Vec::new() }, skipped)
            }
        };
        let mut left = PartitionWriter::new(self.out, LEFT_OUT, id, format);
        for s in self.skipped.iter().chain(&own_skipped).chain(self.graph_left) {
            left.push(left_row(s.clone()))?;
        }
        let questions = self.questions(&index.principals, &mut left)?;
        let asker =
            access::Asker { data: self.data, context: self.options.context, conditional: self.options.conditional };
        let mut rows = PartitionWriter::new(self.out, ACCESS, id, format);
        for q in &questions {
            let answered = asker.ask(id, q, &index);
            for r in answered.rows {
                rows.push(r)?;
            }
            for l in answered.left_out {
                left.push(left_row(l))?;
            }
        }
        let n_access = rows.finish()?;
        let n_trust = self.trust(&index, &mut left)?;
        let mut n_paths = 0;
        if let (Some(graph), Some(max_hops)) = (self.graph, self.options.paths_max_hops) {
            let mut w = PartitionWriter::new(self.out, PATHS, id, format);
            for &node in self.nodes {
                for r in paths::rows(graph, node, max_hops) {
                    w.push(r)?;
                }
            }
            n_paths = w.finish()?;
        }
        Ok([n_principals, n_access, n_policies, left.finish()?, n_trust, n_paths])
    }

    /// The `trust` rows of the account's roles (decision D163).
    fn trust(&self, own: &Index, left: &mut PartitionWriter) -> Result<u64, String> {
        let asker =
            trust::TrustAsker { data: self.data, context: self.options.context, conditional: self.options.conditional };
        let mut principals: Box<dyn trust::Principals + '_> = match self.index {
            Some(index) => Box::new(Whole { index, by_account: self.by_account }),
            None => Box::new(OneAtATime {
                data: self.data,
                account: &self.account.id,
                own,
                others: HashMap::new(),
                everyone: self.everyone,
            }),
        };
        let mut w = PartitionWriter::new(self.out, TRUST, &self.account.id, self.options.format);
        for role in self.account.roles.values() {
            let Some(doc) = &role.trust_policy else { continue };
            // A trust policy that does not compile is a `left_out` row already (its questions).
            let Ok(policy) = access::compile(&format!("{}/trust-policy", role.arn), doc, PolicyType::Trust) else {
                continue;
            };
            let mut rows = Vec::new();
            let mut left_out = Vec::new();
            asker.rows(principals.as_mut(), &self.account.id, role, &policy, &mut rows, &mut left_out);
            for r in rows {
                w.push(r)?;
            }
            for l in left_out {
                left.push(left_row(l))?;
            }
        }
        w.finish()
    }

    /// The account's questions (decision D130); what a policy leaves out goes to `left`, once per
    /// policy.
    fn questions(
        &self,
        principals: &[IndexedPrincipal],
        left: &mut PartitionWriter,
    ) -> Result<std::collections::BTreeSet<access::Question>, String> {
        let from = self.options.actions_from;
        let mut questions = std::collections::BTreeSet::new();
        let mut seen: HashSet<*const Policy> = HashSet::new();
        let mut add = |raised: access::Raised, left: &mut PartitionWriter| -> Result<(), String> {
            questions.extend(raised.questions);
            for l in raised.left_out {
                left.push(left_row(l))?;
            }
            Ok(())
        };
        for p in principals {
            for policy in &p.identity {
                if seen.insert(Arc::as_ptr(policy)) {
                    add(access::raised(policy, from, None), left)?;
                }
            }
        }
        for role in self.account.roles.values() {
            let Some(doc) = &role.trust_policy else { continue };
            match access::compile(&format!("{}/trust-policy", role.arn), doc, PolicyType::Trust) {
                Ok(policy) => add(access::raised(&policy, from, Some(&role.arn)), left)?,
                Err(e) => left.push(left_row((
                    role.arn.clone(),
                    format!("its trust policy does not compile, so who may assume it is not asked: {e}"),
                )))?,
            }
        }
        for rp in self.resource_policies {
            match access::compile(&rp.source, &rp.document, PolicyType::Resource) {
                Ok(policy) => add(access::raised(&policy, from, None), left)?,
                Err(e) => left.push(left_row((
                    rp.arn.clone(),
                    format!("its resource policy does not compile, so what it grants is not asked: {e}"),
                )))?,
            }
        }
        Ok(questions)
    }
}

/// The principals of the organization's index.
struct Whole<'a> {
    index: &'a Index,
    by_account: &'a HashMap<&'a str, Vec<&'a IndexedPrincipal>>,
}

impl trust::Principals for Whole<'_> {
    fn everyone(&self) -> &Index {
        self.index
    }
    fn of_account(&mut self, account: &str) -> Vec<IndexedPrincipal> {
        self.by_account.get(account).into_iter().flatten().map(|p| (*p).clone()).collect()
    }
}

/// The principals of one account compiled by its worker; another account's compiled when a trust
/// policy names it (kept for the job), and every principal only for a trust policy that may admit
/// anyone.
struct OneAtATime<'a> {
    data: &'a AccountData,
    account: &'a str,
    own: &'a Index,
    others: HashMap<String, Vec<IndexedPrincipal>>,
    everyone: &'a OnceLock<Index>,
}

impl trust::Principals for OneAtATime<'_> {
    fn everyone(&self) -> &Index {
        self.everyone.get_or_init(|| Index::build(self.data))
    }
    fn of_account(&mut self, account: &str) -> Vec<IndexedPrincipal> {
        if account == self.account {
            return self.own.principals.clone();
        }
        let data = self.data;
        self.others
            .entry(account.to_string())
            .or_insert_with(|| {
                data.accounts
                    .get(account)
                    .map(|a| iamspect_account::query::Index::build_account(data, a).principals)
                    .unwrap_or_default()
            })
            .clone()
    }
}

fn write_manifest(out: &Path, options: &Options<'_>, summary: &Summary) -> Result<(), String> {
    let tables: serde_json::Map<String, serde_json::Value> = TABLES
        .iter()
        .map(|t| {
            let columns: Vec<serde_json::Value> = t
                .columns
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "type": format!("{:?}", c.kind)}))
                .collect();
            (
                t.name.to_string(),
                serde_json::json!({
                    "exported": t.name != PATHS.name || options.paths_max_hops.is_some(),
                    "rows": summary.rows.get(t.name).copied().unwrap_or(0),
                    "partitionedBy": "account",
                    "columns": columns,
                }),
            )
        })
        .collect();
    let context: serde_json::Map<String, serde_json::Value> =
        options.context.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    let manifest = serde_json::json!({
        "_schema_version": SCHEMA_VERSION,
        "tool": options.tool,
        "format": options.format.extension(),
        "actionsFrom": match options.actions_from { ActionsFrom::Catalog => "catalog", ActionsFrom::Used => "used" },
        "context": context,
        "accounts": summary.accounts,
        "pathsMaxHops": options.paths_max_hops,
        "tables": tables,
    });
    let path = out.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
