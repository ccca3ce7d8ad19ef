//! Names: a credential scope's signing name to the IAM service prefix, and an API operation to
//! the IAM action of the same name when AWS's catalogue has it.

use iamspect_catalog::Catalog;

/// Signing names that differ from the IAM prefix of the service's actions. Every other signing
/// name is its own prefix (`s3`, `sqs`, `dynamodb`, `kms`, `lambda`, ...).
const EXCEPTIONS: &[(&str, &str)] = &[
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("execute-api", "execute-api"),
    ("apigateway", "apigateway"),
    ("aws-marketplace", "aws-marketplace"),
    ("iotdata", "iot"),
    ("iot-data", "iot"),
    ("data.iot", "iot"),
    ("iotdevicegateway", "iot"),
    ("runtime.lex", "lex"),
    ("runtime.sagemaker", "sagemaker"),
    ("sagemaker-runtime", "sagemaker"),
    ("bedrock-runtime", "bedrock"),
    ("mobiletargeting", "mobiletargeting"),
    ("streams.dynamodb", "dynamodb"),
    ("es", "es"),
    ("states", "states"),
    ("elasticmapreduce", "elasticmapreduce"),
    ("cognito-idp", "cognito-idp"),
    ("ssm-sap", "ssm-sap"),
    ("tagging", "tag"),
    ("s3-outposts", "s3-outposts"),
    ("s3-object-lambda", "s3-object-lambda"),
];

/// The IAM prefix of the actions of the service a request was signed for.
pub(crate) fn iam_prefix(signing_name: &str) -> String {
    let lower = signing_name.to_ascii_lowercase();
    EXCEPTIONS.iter().find(|(s, _)| *s == lower).map_or(lower, |(_, p)| (*p).to_string())
}

/// The catalogue's spelling of `prefix:operation`, when the catalogue has such an action.
pub(crate) fn action(prefix: &str, operation: &str) -> Option<String> {
    let a = Catalog::get().action(&format!("{prefix}:{operation}"))?;
    Some(format!("{}:{}", a.service().prefix(), a.name()))
}

/// True when the catalogue lists no resource type for the action: it is authorized on `*`.
pub(crate) fn takes_no_resource(action: &str) -> bool {
    Catalog::get().action(action).is_some_and(|a| a.resource_types().len() == 0)
}

/// True when the catalogue knows the service prefix.
pub(crate) fn known_service(prefix: &str) -> bool {
    Catalog::get().service(prefix).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_actions() {
        assert_eq!(iam_prefix("monitoring"), "cloudwatch");
        assert_eq!(iam_prefix("email"), "ses");
        assert_eq!(iam_prefix("sqs"), "sqs");
        assert_eq!(action("sqs", "sendmessage").as_deref(), Some("sqs:SendMessage"));
        assert_eq!(action("dynamodb", "NoSuchThing"), None);
        assert!(takes_no_resource("sqs:ListQueues"));
        assert!(!takes_no_resource("sqs:SendMessage"));
    }
}

/// How the operations of AWS's service reference map by name (run with `--nocapture` to see the
/// numbers; the corpus is read in place; when it is absent the test fails under CI and says it skipped otherwise).
#[cfg(test)]
mod coverage {
    use std::path::Path;

    use serde_json::Value;

    /// The services whose resources the gateway derives (S3 has its own REST table).
    const SERVICES: &[&str] = &[
        "sqs",
        "sns",
        "dynamodb",
        "kms",
        "secretsmanager",
        "iam",
        "logs",
        "lambda",
        "ec2",
        "sts",
        "s3",
        "ssm",
        "kinesis",
        "firehose",
        "ecr",
        "events",
    ];

    #[test]
    fn service_reference_operations_map_by_name() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpora/service-reference/aws-servicereference-v1.4-mirror-2026-02-13");
        if !dir.is_dir() {
            // Absent corpus: a failure under CI, a loud skip otherwise (D43).
            let message = format!("{} is absent: the corpus tests need ../shared/corpora", dir.display());
            assert!(std::env::var_os("CI").is_none(), "{message} (CI is set, so this fails)");
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "WARNING: SKIPPED: {message}");
            return;
        }
        let (mut all, mut by_name, mut agree) = (0usize, 0usize, 0usize);
        for service in SERVICES {
            let text = std::fs::read_to_string(dir.join(format!("{service}.json"))).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            let ops = v["Operations"].as_array().cloned().unwrap_or_default();
            let (mut n, mut named, mut listed, mut mismatches) = (0, 0, 0, Vec::new());
            for op in &ops {
                let name = op["Name"].as_str().unwrap_or_default();
                n += 1;
                let Some(action) = super::action(service, name) else { continue };
                named += 1;
                let authorized: Vec<String> = op["AuthorizedActions"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| {
                                format!("{}:{}", x["Service"].as_str().unwrap_or(""), x["Name"].as_str().unwrap_or(""))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if authorized.iter().any(|a| a.eq_ignore_ascii_case(&action)) {
                    listed += 1;
                } else {
                    mismatches.push(format!("{name}->{authorized:?}"));
                }
            }
            eprintln!(
                "{service}: {n} operations, {named} map by name to a catalogue action, {listed} of them listed by the service reference; not listed: {mismatches:?}"
            );
            all += n;
            by_name += named;
            agree += listed;
        }
        eprintln!("total: {all} operations, {by_name} map by name, {agree} agree with the service reference");

        // The other actions each operation lists (D71): the embedded table is the reference's,
        // and every action in it has a kind.
        let mut table = String::new();
        for service in SERVICES {
            let text = std::fs::read_to_string(dir.join(format!("{service}.json"))).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            for op in v["Operations"].as_array().cloned().unwrap_or_default() {
                let name = op["Name"].as_str().unwrap_or_default();
                let own = format!("{service}:{name}").to_ascii_lowercase();
                let extra: Vec<String> = op["AuthorizedActions"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| {
                                format!("{}:{}", x["Service"].as_str().unwrap_or(""), x["Name"].as_str().unwrap_or(""))
                            })
                            .filter(|a| a.to_ascii_lowercase() != own)
                            .collect()
                    })
                    .unwrap_or_default();
                if !extra.is_empty() {
                    table.push_str(&format!("{service}\t{name}\t{}\n", extra.join(" ")));
                }
            }
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gateway/authorized_actions.tsv");
        if std::env::var_os("IAMSPECT_REGENERATE").is_some() {
            std::fs::write(&path, &table).unwrap();
        }
        assert_eq!(
            table,
            super::super::companions::TABLE,
            "src/gateway/authorized_actions.tsv differs from the service reference: regenerate with IAMSPECT_REGENERATE=1"
        );
        use super::super::companions::{Kind, UNCLASSIFIED, kind};
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        let (mut operations, mut pairs) = (0usize, 0usize);
        let mut unclassified: Vec<String> = Vec::new();
        let mut refused_ops: Vec<String> = Vec::new();
        for line in table.lines() {
            let mut cols = line.split('\t');
            let (service, op, actions) = (cols.next().unwrap(), cols.next().unwrap(), cols.next().unwrap());
            operations += 1;
            for action in actions.split(' ') {
                pairs += 1;
                let k = kind(service, op, action);
                if k == Kind::Refused(UNCLASSIFIED) {
                    unclassified.push(format!("{service} {op} {action}"));
                }
                let label = match k {
                    Kind::PassRole => "checked: iam:PassRole on the roles passed",
                    Kind::TagOnCreate => "checked: tagging the new resource, with tags",
                    Kind::Specific => "checked: the operation's own rule",
                    Kind::Mapped => "checked: composite or S3 table",
                    Kind::ActionOfOperation => "checked: the operation's action under another name",
                    Kind::NotForCaller(_) => "not the caller's permission",
                    Kind::Shaping => "shapes the answer, not checked",
                    Kind::Gap(_) => "not checked: setting not in the account data",
                    Kind::Refused(_) => {
                        let o = format!("{service}:{op}");
                        if !refused_ops.contains(&o) {
                            refused_ops.push(o);
                        }
                        "refused"
                    }
                };
                *counts.entry(label).or_default() += 1;
            }
        }
        eprintln!(
            "other actions: {operations} operations list {pairs} (operation, action) pairs besides their own action"
        );
        for (label, n) in &counts {
            eprintln!("  {label}: {n}");
        }
        eprintln!("  operations refused for one: {} {refused_ops:?}", refused_ops.len());
        assert!(unclassified.is_empty(), "actions without a kind: {unclassified:#?}");
        assert!(all > 1000, "{all}");
        // Pinned by the 2026-02-13 mirror: most operations map by name, and the by-name action
        // is the one the service reference authorizes.
        assert!(by_name * 100 >= all * 90, "{by_name}/{all}");
        assert!(agree * 100 >= by_name * 95, "{agree}/{by_name}");
    }
}
