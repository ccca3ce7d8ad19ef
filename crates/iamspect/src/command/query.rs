//! `iamspect query (--account-data D | --export DIR) "SQL" [--format table|csv|json]`: SQL over
//! the tables of `iamspect export`, run in process by DataFusion. DataFusion is behind the cargo
//! feature `query` (its build takes minutes and its code megabytes); without it the command says
//! how to build it.

use std::path::PathBuf;

use super::BAD_INPUT;

/// `--format` of `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum QueryFormat {
    /// A table for people.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["account_data", "export"])))]
pub(crate) struct Args {
    /// Account data to export first (into a temporary folder) and query.
    #[arg(long = "account-data", value_name = "PATH", value_delimiter = ',')]
    account_data: Vec<PathBuf>,
    /// A folder written by `iamspect export --format parquet`.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    /// The SQL query; the tables are `principals`, `access`, `resource_policies`, `left_out`,
    /// `trust` and `paths`, each with its partition column `account`.
    sql: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: QueryFormat,
}

/// The one line said when the binary was built without the `query` feature.
pub(crate) const NOT_BUILT: &str = "`iamspect query` is not in this build: DataFusion is an opt-in feature; build it with `cargo install --path crates/iamspect --features query`";

#[cfg(not(feature = "query"))]
pub(crate) fn run(args: Args) -> u8 {
    let _ = (args.account_data, args.export, args.sql, args.format);
    eprintln!("error: {NOT_BUILT}");
    BAD_INPUT
}

#[cfg(feature = "query")]
pub(crate) fn run(args: Args) -> u8 {
    use super::{FAILURE, SUCCESS};
    // Account data is exported first, into a folder removed afterwards.
    let mut temporary = None;
    let dir = match (&args.export, args.account_data.is_empty()) {
        (Some(dir), true) => dir.clone(),
        (None, false) => {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!("iamspect-query-{}-{nanos}", std::process::id()));
            if let Err(e) = super::export::to_folder(&args.account_data, &dir) {
                let _ = std::fs::remove_dir_all(&dir);
                eprintln!("error: {e}");
                return BAD_INPUT;
            }
            temporary = Some(dir.clone());
            dir
        }
        _ => {
            eprintln!("error: give either --account-data or --export, not both");
            return BAD_INPUT;
        }
    };
    let result = engine::run(&dir, &args.sql, args.format);
    if let Some(t) = temporary {
        let _ = std::fs::remove_dir_all(t);
    }
    match result {
        Ok(text) => {
            crate::output::print(&text);
            SUCCESS
        }
        Err((bad_input, e)) => {
            eprintln!("error: {e}");
            if bad_input { BAD_INPUT } else { FAILURE }
        }
    }
}

#[cfg(feature = "query")]
mod engine {
    use std::path::Path;
    use std::sync::Arc;

    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::datasource::MemTable;
    use datafusion::datasource::file_format::parquet::ParquetFormat;
    use datafusion::datasource::listing::ListingOptions;
    use datafusion::prelude::SessionContext;

    use super::QueryFormat;

    /// The error and whether it is the input's fault (exit 2) or not (exit 1).
    type Failure = (bool, String);

    /// Checks the manifest: a folder of another schema version is refused, not misread. Returns
    /// the tables the export left out (`--no-paths`), which are not registered, so that a query
    /// on one fails rather than reading an empty table as "nobody".
    fn check_manifest(dir: &Path) -> Result<Vec<String>, Failure> {
        let path = dir.join(iamspect_export::MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| (true, format!("{}: {e} (not a folder written by `iamspect export`)", path.display())))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| (true, format!("{}: {e}", path.display())))?;
        if v["format"] != "parquet" {
            return Err((
                true,
                format!("{}: the export is not Parquet; `query` reads `--format parquet` exports", path.display()),
            ));
        }
        let left_out = v["tables"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, t)| t["exported"] == false)
            .map(|(name, _)| name.clone())
            .collect();
        match v["_schema_version"].as_u64() {
            Some(n) if n == u64::from(iamspect_export::SCHEMA_VERSION) => Ok(left_out),
            other => Err((
                true,
                format!(
                    "{}: schema version {} where this iamspect reads {}: export again with this version",
                    path.display(),
                    other.map_or("missing".to_string(), |n| n.to_string()),
                    iamspect_export::SCHEMA_VERSION
                ),
            )),
        }
    }

    pub(super) fn run(dir: &Path, sql: &str, format: QueryFormat) -> Result<String, Failure> {
        let not_exported = check_manifest(dir)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| (false, format!("could not start the query runtime: {e}")))?;
        let batches = runtime.block_on(async {
            let ctx = SessionContext::new();
            for table in iamspect_export::TABLES.into_iter().filter(|t| !not_exported.iter().any(|n| n == t.name)) {
                let folder = dir.join(table.name);
                let file_schema = Arc::new(iamspect_export::arrow_schema(&table));
                if folder.is_dir() {
                    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                        .with_file_extension(".parquet")
                        .with_table_partition_cols(vec![("account".to_string(), DataType::Utf8)]);
                    let url = format!("{}/", folder.display());
                    ctx.register_listing_table(table.name, url, options, Some(file_schema), None)
                        .await
                        .map_err(|e| (false, format!("{}: {e}", folder.display())))?;
                } else {
                    // A table with no row in any account: empty, with its columns.
                    let mut fields: Vec<Field> = file_schema.fields().iter().map(|f| f.as_ref().clone()).collect();
                    fields.push(Field::new("account", DataType::Utf8, false));
                    let schema = Arc::new(Schema::new(fields));
                    let empty = MemTable::try_new(schema, vec![vec![]]).map_err(|e| (false, e.to_string()))?;
                    ctx.register_table(table.name, Arc::new(empty)).map_err(|e| (false, e.to_string()))?;
                }
            }
            let df = ctx.sql(sql).await.map_err(|e| (true, format!("the query: {e}")))?;
            df.collect().await.map_err(|e| (true, format!("the query: {e}")))
        })?;
        render(&batches, format).map_err(|e| (false, e))
    }

    fn render(batches: &[RecordBatch], format: QueryFormat) -> Result<String, String> {
        match format {
            QueryFormat::Table => datafusion::arrow::util::pretty::pretty_format_batches(batches)
                .map(|t| format!("{t}\n"))
                .map_err(|e| e.to_string()),
            QueryFormat::Csv => {
                let mut buf = Vec::new();
                {
                    let mut w = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
                    for b in batches {
                        w.write(b).map_err(|e| e.to_string())?;
                    }
                }
                String::from_utf8(buf).map_err(|e| e.to_string())
            }
            QueryFormat::Json => {
                let mut buf = Vec::new();
                {
                    let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
                    for b in batches {
                        w.write(b).map_err(|e| e.to_string())?;
                    }
                    w.finish().map_err(|e| e.to_string())?;
                }
                let mut text = String::from_utf8(buf).map_err(|e| e.to_string())?;
                if text.is_empty() {
                    text.push_str("[]");
                }
                text.push('\n');
                Ok(text)
            }
        }
    }
}
