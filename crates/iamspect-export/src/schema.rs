//! The tables, their columns and the schema version: one definition read by both writers, the
//! manifest and `docs/export.md`.

/// The version of the tables' layout. Raised whenever a column is added, removed, renamed or
/// changes meaning; written in `_iamspect.json` and in each Parquet file's key-value metadata.
pub const SCHEMA_VERSION: u32 = 2;

/// The key of the schema version in each Parquet file's key-value metadata.
pub const VERSION_KEY: &str = "iamspect.schema_version";

/// A column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// A string, never null.
    Text,
    /// A string or null.
    OptionalText,
    /// A boolean, never null.
    Bool,
    /// A list of strings, never null (empty when there is nothing).
    TextList,
    /// A 64-bit integer or null.
    OptionalInt,
}

/// One column.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The column's name.
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnType,
}

/// One table: a folder of `account=ID` partitions.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    /// The folder's name.
    pub name: &'static str,
    /// The columns stored in the files. The partition column `account` is not among them: it is
    /// the folder name (`account=ID`), as Hive, Athena, Spark and DuckDB read it.
    pub columns: &'static [Column],
}

const fn text(name: &'static str) -> Column {
    Column { name, kind: ColumnType::Text }
}
const fn optional(name: &'static str) -> Column {
    Column { name, kind: ColumnType::OptionalText }
}
const fn boolean(name: &'static str) -> Column {
    Column { name, kind: ColumnType::Bool }
}
const fn optional_int(name: &'static str) -> Column {
    Column { name, kind: ColumnType::OptionalInt }
}
const fn list(name: &'static str) -> Column {
    Column { name, kind: ColumnType::TextList }
}

/// Every user, role and root user of the loaded accounts.
pub const PRINCIPALS: Table = Table {
    name: "principals",
    columns: &[
        text("arn"),
        text("name"),
        text("type"),
        optional("path"),
        text("tags"),
        optional("permissions_boundary"),
        optional("organization_path"),
        list("groups"),
        list("attached_policies"),
        list("inline_policies"),
    ],
};

/// One row per principal, action and resource that `who-can` lists the principal for.
pub const ACCESS: Table = Table {
    name: "access",
    columns: &[
        text("principal"),
        text("principal_type"),
        text("action"),
        text("access_level"),
        text("resource"),
        boolean("resource_is_pattern"),
        optional("resource_account"),
        boolean("conditional"),
        optional("allowed_with"),
        list("conditions"),
        list("granted_by"),
        list("narrower_denies"),
    ],
};

/// Every resource-based policy loaded (bucket, key, queue, ... policies).
pub const RESOURCE_POLICIES: Table =
    Table { name: "resource_policies", columns: &[text("resource"), text("source"), text("document")] };

/// Whatever was not decided, and why: never dropped silently.
pub const LEFT_OUT: Table = Table { name: "left_out", columns: &[text("subject"), text("reason")] };

/// Who can assume each role: `who-can`'s answer for each assume action its trust policy allows,
/// asked of every principal the trust policy may admit (decision D163).
pub const TRUST: Table = Table {
    name: "trust",
    columns: &[
        text("role"),
        text("action"),
        text("principal"),
        text("principal_type"),
        optional("principal_account"),
        boolean("cross_account"),
        boolean("principal_in_loaded_account"),
        boolean("conditional"),
        optional("allowed_with"),
        list("conditions"),
        list("granted_by"),
    ],
};

/// Each principal's shortest path to admin, one row per step, as `iamspect paths` gives it
/// (decision D164).
pub const PATHS: Table = Table {
    name: "paths",
    columns: &[
        text("principal"),
        text("principal_type"),
        boolean("is_admin"),
        boolean("reaches_admin"),
        boolean("path_conditional"),
        optional_int("path_steps"),
        optional_int("step"),
        optional("from"),
        optional("to"),
        optional("technique"),
        optional("gain"),
        optional("story"),
        list("requests"),
        list("conditions"),
    ],
};

/// The tables, in the order they are written.
pub const TABLES: [Table; 6] = [PRINCIPALS, ACCESS, RESOURCE_POLICIES, LEFT_OUT, TRUST, PATHS];

/// One value of a row, in its column's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// For [`ColumnType::Text`].
    Text(String),
    /// For [`ColumnType::OptionalText`].
    Optional(Option<String>),
    /// For [`ColumnType::Bool`].
    Bool(bool),
    /// For [`ColumnType::TextList`].
    List(Vec<String>),
    /// For [`ColumnType::OptionalInt`].
    OptionalInt(Option<i64>),
}

/// A row: one cell per column.
pub type Row = Vec<Cell>;
