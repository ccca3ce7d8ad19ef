//! `iamspect check-no-new-access` and `iamspect check-access-not-granted`: Access Analyzer's custom
//! policy checks, offline and exact, on `iamspect-symbolic`. Output: Access Analyzer's shape
//! (`result`, `message`, `reasons`) plus `counterexamples`, each a complete case that `iamspect eval`
//! decides as claimed. Exit 0 PASS, 1 FAIL, 2 bad input, 3 unknown.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use iamspect_core::{Policy, PolicyType};
use iamspect_symbolic::checks::{self, Answer, Question};

use super::check_input::{self, Want};
use super::{BAD_INPUT, FAILURE, Format, SUCCESS};

/// Exit code when the answer could not be decided exactly.
pub(crate) const UNKNOWN: u8 = 3;

/// The most counterexamples one run may ask for.
const MAX_COUNTEREXAMPLES: usize = 100;

#[derive(clap::Args)]
pub(crate) struct Common {
    /// The policy type the documents are read as: identity, resource, trust, boundary, session,
    /// scp, rcp or vpc-endpoint.
    #[arg(long = "policy-type", value_parser = parse_type)]
    policy_type: PolicyType,
    /// In a Terraform plan or a CloudFormation template holding several policies of the type: the
    /// one to check, by the resource's address or logical id (`aws_iam_role.app`, `AppRole`),
    /// with the attribute when the resource holds several (`aws_iam_role.app.assume_role_policy`).
    #[arg(long = "policy-resource")]
    policy_resource: Option<String>,
    /// At most this many counterexamples, each with a different action where possible.
    #[arg(long, default_value_t = 5)]
    max_counterexamples: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(clap::Args)]
pub(crate) struct NoNewAccessArgs {
    /// The new (modified) policy document, or a Terraform plan (`terraform show -json`) or a
    /// CloudFormation template holding it.
    new: PathBuf,
    /// The existing policy document to compare with (or a plan or template: the policy of the
    /// same resource is compared).
    #[arg(long, required_unless_present = "existing_rev", conflicts_with = "existing_rev")]
    existing: Option<PathBuf>,
    /// Compare with NEW as it is at this git revision (`origin/main`): a pull request against its
    /// base in one line. Runs `git show REV:./FILE` in NEW's folder; a plan or template is read
    /// as at that revision, and the policy of the same resource compared.
    #[arg(long)]
    existing_rev: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub(crate) struct AccessNotGrantedArgs {
    /// The policy document, or a Terraform plan or CloudFormation template holding it.
    policy: PathBuf,
    /// Actions that must not be allowed, comma-separated (`s3:DeleteObject,iam:PassRole`;
    /// wildcards as in `Action`).
    #[arg(long, value_delimiter = ',', required = true)]
    actions: Vec<String>,
    /// Only on these resources, comma-separated (ARNs, wildcards as in `Resource`).
    #[arg(long, value_delimiter = ',')]
    resources: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
pub(crate) struct NoPublicAccessArgs {
    /// The resource's policy document (for a role, its trust policy), or a Terraform plan or
    /// CloudFormation template holding it.
    policy: PathBuf,
    /// The resource type, as CloudFormation names it: AWS::S3::Bucket, AWS::KMS::Key,
    /// AWS::IAM::AssumeRolePolicyDocument, AWS::SQS::Queue, AWS::SNS::Topic, AWS::Lambda::Function,
    /// AWS::SecretsManager::Secret, AWS::ECR::Repository, AWS::DynamoDB::Table, AWS::Kinesis::Stream,
    /// AWS::EFS::FileSystem, AWS::Glacier::Vault, AWS::Backup::BackupVault.
    #[arg(long)]
    resource_type: String,
    /// Callers inside this organization (`o-...`) count as inside.
    #[arg(long)]
    organization: Option<String>,
    /// In a plan or template holding several policies of the resource type: the one to check
    /// (the resource's address or logical id, with `.ATTRIBUTE` when it holds several).
    #[arg(long = "policy-resource")]
    policy_resource: Option<String>,
    /// At most this many counterexamples, each with a different action where possible.
    #[arg(long, default_value_t = 5)]
    max_counterexamples: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) fn run_no_public_access(args: NoPublicAccessArgs) -> u8 {
    let Some(kind) = checks::resource_kind(&args.resource_type) else {
        let names: Vec<&str> = checks::RESOURCE_TYPES.iter().map(|(n, _, _)| *n).collect();
        eprintln!("error: --resource-type `{}` is not one of {}", args.resource_type, names.join(", "));
        return BAD_INPUT;
    };
    if let Some(org) = &args.organization
        && !(org.starts_with("o-") && org.len() > 2 && org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        eprintln!("error: --organization `{org}` is not an organization id (`o-` and letters and digits)");
        return BAD_INPUT;
    }
    let want = Want { policy_type: kind.policy_type, resource_type: Some(&args.resource_type) };
    let select = args.policy_resource.as_deref();
    let policy = match check_input::from_file(&args.policy, want, select)
        .and_then(|p| check_input::selection_used(select, &[&p]).map(|()| p))
    {
        Ok(p) => p.policy,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    let common = Common {
        policy_type: kind.policy_type,
        policy_resource: args.policy_resource.clone(),
        max_counterexamples: args.max_counterexamples,
        format: args.format,
    };
    check(Question::Public { policy, kind, organization: args.organization }, &common)
}

fn parse_type(s: &str) -> Result<PolicyType, String> {
    PolicyType::from_cli_name(s)
        .ok_or_else(|| "expected identity, resource, trust, boundary, session, scp, rcp or vpc-endpoint".to_string())
}

pub(crate) fn run_no_new_access(args: NoNewAccessArgs) -> u8 {
    match read_pair(&args) {
        Ok((new, existing)) => check(Question::NoNewAccess { new, existing }, &args.common),
        Err(e) => {
            eprintln!("error: {e}");
            BAD_INPUT
        }
    }
}

/// NEW and the existing policy; from plans or templates, the policy of the same resource.
fn read_pair(args: &NoNewAccessArgs) -> Result<(Arc<Policy>, Arc<Policy>), String> {
    let want = Want { policy_type: args.common.policy_type, resource_type: None };
    let select = args.common.policy_resource.as_deref();
    let new = check_input::from_file(&args.new, want, select)?;
    // The existing side is the same resource as NEW's when NEW came from a plan or template.
    let same = new.resource.as_deref().or(select);
    let existing = match (&args.existing, &args.existing_rev) {
        (Some(path), _) => check_input::from_file(path, want, same),
        (None, Some(rev)) => {
            let (text, shown) = check_input::text_at_revision(&args.new, rev)?;
            check_input::from_text(&args.new, &shown, text, want, same)
        }
        (None, None) => Err("give --existing FILE or --existing-rev REV".to_string()),
    }?;
    check_input::selection_used(select, &[&new, &existing])?;
    Ok((new.policy, existing.policy))
}

pub(crate) fn run_access_not_granted(args: AccessNotGrantedArgs) -> u8 {
    let t = args.common.policy_type;
    let clean = |v: &[String], what: &str| -> Result<Vec<String>, String> {
        let out: Vec<String> = v.iter().map(|s| s.trim().to_string()).collect();
        match out.iter().find(|s| s.is_empty()) {
            Some(_) => Err(format!("--{what} holds an empty entry")),
            None => Ok(out),
        }
    };
    let actions = match clean(&args.actions, "actions") {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    if let Some(bad) = actions.iter().find(|a| a.as_str() != "*" && !a.contains(':')) {
        eprintln!("error: --actions: `{bad}` is not of the form `service:Action`");
        return BAD_INPUT;
    }
    let resources = match clean(&args.resources, "resources") {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    if let Some(bad) = resources.iter().find(|r| r.as_str() != "*" && !r.starts_with("arn:")) {
        eprintln!("error: --resources: `{bad}` is not an ARN or `*`");
        return BAD_INPUT;
    }
    let want = Want { policy_type: t, resource_type: None };
    let select = args.common.policy_resource.as_deref();
    let policy = match check_input::from_file(&args.policy, want, select)
        .and_then(|p| check_input::selection_used(select, &[&p]).map(|()| p.policy))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return BAD_INPUT;
        }
    };
    check(Question::NotGranted { policy, actions, resources }, &args.common)
}

fn check(q: Question, common: &Common) -> u8 {
    let t = common.policy_type;
    if common.max_counterexamples == 0 || common.max_counterexamples > MAX_COUNTEREXAMPLES {
        eprintln!("error: --max-counterexamples must be between 1 and {MAX_COUNTEREXAMPLES}");
        return BAD_INPUT;
    }
    let never = AtomicBool::new(false);
    let outcome = checks::answer(&q, t, common.max_counterexamples, &never);
    let code = match &outcome {
        Ok(Answer::Pass) => SUCCESS,
        Ok(Answer::Fail(_)) => FAILURE,
        _ => UNKNOWN,
    };
    let report = checks::report(&q, t, &outcome);
    match common.format {
        Format::Json => crate::output::println(&serde_json::to_string_pretty(&report.json).unwrap_or_default()),
        Format::Text => {
            for l in &report.lines {
                crate::output::println(l);
            }
        }
    }
    code
}
