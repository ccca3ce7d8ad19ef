//! The two file formats: Parquet (zstd, the schema version in its key-value metadata) and JSON
//! Lines. A partition's file is created with its first row, so a table with no row for an account
//! has no file there.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::schema::{Cell, ColumnType, Row, SCHEMA_VERSION, Table, VERSION_KEY};

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The files' extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Rows buffered before a Parquet row group is written: bounds memory per partition.
const BATCH_ROWS: usize = 16 * 1024;

/// The Arrow schema of a table's files.
pub fn arrow_schema(table: &Table) -> Schema {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| match c.kind {
            ColumnType::Text => Field::new(c.name, DataType::Utf8, false),
            ColumnType::OptionalText => Field::new(c.name, DataType::Utf8, true),
            ColumnType::Bool => Field::new(c.name, DataType::Boolean, false),
            ColumnType::OptionalInt => Field::new(c.name, DataType::Int64, true),
            ColumnType::TextList => {
                Field::new(c.name, DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))), false)
            }
        })
        .collect();
    Schema::new(fields)
}

enum Sink {
    Parquet(Box<ArrowWriter<File>>, Arc<Schema>),
    Jsonl(BufWriter<File>),
}

/// The writer of one table's partition for one account.
pub(crate) struct PartitionWriter {
    table: Table,
    path: PathBuf,
    format: Format,
    sink: Option<Sink>,
    pending: Vec<Row>,
    rows: u64,
}

impl PartitionWriter {
    /// A writer for `DIR/TABLE/account=ACCOUNT/part-0.EXT` (nothing is created until a row comes).
    pub(crate) fn new(out: &Path, table: Table, account: &str, format: Format) -> PartitionWriter {
        let path =
            out.join(table.name).join(format!("account={account}")).join(format!("part-0.{}", format.extension()));
        PartitionWriter { table, path, format, sink: None, pending: Vec::new(), rows: 0 }
    }

    /// Adds a row.
    pub(crate) fn push(&mut self, row: Row) -> Result<(), String> {
        if row.len() != self.table.columns.len() {
            return Err(format!(
                "internal error: a row of table `{}` has {} cells for {} columns",
                self.table.name,
                row.len(),
                self.table.columns.len()
            ));
        }
        self.pending.push(row);
        self.rows += 1;
        if self.pending.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn open(&mut self) -> Result<&mut Sink, String> {
        if self.sink.is_none() {
            let at = |e: &dyn std::fmt::Display| format!("{}: {e}", self.path.display());
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| at(&e))?;
            }
            let file = File::create(&self.path).map_err(|e| at(&e))?;
            self.sink = Some(match self.format {
                Format::Jsonl => Sink::Jsonl(BufWriter::new(file)),
                Format::Parquet => {
                    let schema = Arc::new(arrow_schema(&self.table));
                    let props = WriterProperties::builder()
                        .set_compression(Compression::ZSTD(ZstdLevel::default()))
                        .set_key_value_metadata(Some(vec![
                            KeyValue::new(VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
                            KeyValue::new("iamspect.table".to_string(), self.table.name.to_string()),
                        ]))
                        .build();
                    let w = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props)).map_err(|e| at(&e))?;
                    Sink::Parquet(Box::new(w), schema)
                }
            });
        }
        self.sink.as_mut().ok_or_else(|| "internal error: no sink".to_string())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let table = self.table;
        let path = self.path.display().to_string();
        match self.open()? {
            Sink::Jsonl(w) => {
                for row in &rows {
                    let mut obj = serde_json::Map::new();
                    for (c, cell) in table.columns.iter().zip(row) {
                        let v = match cell {
                            Cell::Text(s) => serde_json::Value::String(s.clone()),
                            Cell::Optional(s) => s.clone().map_or(serde_json::Value::Null, serde_json::Value::String),
                            Cell::Bool(b) => serde_json::Value::Bool(*b),
                            Cell::OptionalInt(n) => n.map_or(serde_json::Value::Null, serde_json::Value::from),
                            Cell::List(l) => serde_json::json!(l),
                        };
                        obj.insert(c.name.to_string(), v);
                    }
                    serde_json::to_writer(&mut *w, &obj).map_err(|e| format!("{path}: {e}"))?;
                    w.write_all(b"\n").map_err(|e| format!("{path}: {e}"))?;
                }
            }
            Sink::Parquet(w, schema) => {
                let batch = record_batch(&table, Arc::clone(schema), &rows)?;
                w.write(&batch).map_err(|e| format!("{path}: {e}"))?;
            }
        }
        Ok(())
    }

    /// Writes what is buffered and closes the file; returns the number of rows written.
    pub(crate) fn finish(mut self) -> Result<u64, String> {
        self.flush()?;
        let path = self.path.display().to_string();
        match self.sink.take() {
            Some(Sink::Jsonl(mut w)) => w.flush().map_err(|e| format!("{path}: {e}"))?,
            Some(Sink::Parquet(w, _)) => {
                w.close().map_err(|e| format!("{path}: {e}"))?;
            }
            None => {}
        }
        Ok(self.rows)
    }
}

fn record_batch(table: &Table, schema: Arc<Schema>, rows: &[Row]) -> Result<RecordBatch, String> {
    let mismatch = |c: &str| format!("internal error: a cell of `{}.{c}` does not have the column's type", table.name);
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for (i, c) in table.columns.iter().enumerate() {
        let cells = rows.iter().map(|r| r.get(i));
        let array: ArrayRef = match c.kind {
            ColumnType::Text => Arc::new(
                cells
                    .map(|cell| match cell {
                        Some(Cell::Text(s)) => Ok(Some(s.as_str())),
                        _ => Err(mismatch(c.name)),
                    })
                    .collect::<Result<StringArray, String>>()?,
            ),
            ColumnType::OptionalText => Arc::new(
                cells
                    .map(|cell| match cell {
                        Some(Cell::Optional(s)) => Ok(s.as_deref()),
                        _ => Err(mismatch(c.name)),
                    })
                    .collect::<Result<StringArray, String>>()?,
            ),
            ColumnType::Bool => Arc::new(
                cells
                    .map(|cell| match cell {
                        Some(Cell::Bool(b)) => Ok(Some(*b)),
                        _ => Err(mismatch(c.name)),
                    })
                    .collect::<Result<BooleanArray, String>>()?,
            ),
            ColumnType::OptionalInt => Arc::new(
                cells
                    .map(|cell| match cell {
                        Some(Cell::OptionalInt(n)) => Ok(*n),
                        _ => Err(mismatch(c.name)),
                    })
                    .collect::<Result<Int64Array, String>>()?,
            ),
            ColumnType::TextList => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for cell in cells {
                    let Some(Cell::List(items)) = cell else { return Err(mismatch(c.name)) };
                    for s in items {
                        b.values().append_value(s);
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    RecordBatch::try_new(schema, arrays).map_err(|e| format!("table `{}`: {e}", table.name))
}
