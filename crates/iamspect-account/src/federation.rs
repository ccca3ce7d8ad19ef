//! Identity providers of the accounts: IAM OIDC providers, from the outputs of
//! `aws iam list-open-id-connect-providers` (their ARNs) and `aws iam get-open-id-connect-provider`
//! (a provider's URL and client ids, without its ARN).
//!
//! A `get` output names no account, so it is matched to the ARN of a `list` output whose
//! `oidc-provider/URL` is its URL; without one, it belongs to the only account loaded. A provider
//! listed without its `get` output has unknown client ids, and web identity calls for it are
//! refused (nothing is guessed about the audiences it admits).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::{LoadError, LoadReport};
use crate::model::AccountData;

/// An IAM OIDC identity provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OidcProvider {
    /// `arn:aws:iam::ACCOUNT:oidc-provider/URL`.
    pub arn: String,
    /// The account.
    pub account: String,
    /// The URL without `https://`, as the ARN and the context keys (`URL:sub`) spell it.
    pub url: String,
    /// The client ids (audiences) the provider admits, from `get-open-id-connect-provider`;
    /// `None` when only the provider's ARN was loaded.
    pub client_ids: Option<Vec<String>>,
    /// The certificate thumbprints (kept for reports; AWS no longer relies on them for the
    /// providers it trusts by their root CA).
    pub thumbprints: Vec<String>,
}

/// Whether `v` is a `list-open-id-connect-providers` output.
pub(crate) fn is_oidc_list(v: &Value) -> bool {
    v.get("OpenIDConnectProviderList").is_some_and(Value::is_array)
}

/// Whether `v` is a `get-open-id-connect-provider` output.
pub(crate) fn is_oidc_get(v: &Value) -> bool {
    v.get("Url").is_some_and(Value::is_string) && v.get("ClientIDList").is_some()
}

/// The OIDC outputs found while loading, assembled once every dump is in.
#[derive(Default)]
pub(crate) struct OidcOutputs {
    lists: Vec<(PathBuf, Value)>,
    gets: Vec<(PathBuf, Value)>,
}

impl OidcOutputs {
    /// Keeps `v` if it is an OIDC provider output; whether it was.
    pub(crate) fn take(&mut self, path: &Path, v: &Value) -> bool {
        if is_oidc_list(v) {
            self.lists.push((path.to_path_buf(), v.clone()));
            true
        } else if is_oidc_get(v) {
            self.gets.push((path.to_path_buf(), v.clone()));
            true
        } else {
            false
        }
    }

    /// Adds the providers to `data`; files that cannot be used go to the report's errors.
    pub(crate) fn assemble(self, data: &mut AccountData, report: &mut LoadReport) {
        for (path, v) in self.lists {
            match list(&v) {
                Ok(arns) => {
                    for (arn, account, url) in arns {
                        data.oidc_providers.entry(arn.clone()).or_insert(OidcProvider {
                            arn,
                            account,
                            url,
                            client_ids: None,
                            thumbprints: Vec::new(),
                        });
                    }
                    report.loaded.push(path);
                }
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        }
        for (path, v) in self.gets {
            match get(data, &v) {
                Ok(()) => report.loaded.push(path),
                Err(message) => report.errors.push(LoadError { path, message }),
            }
        }
        let incomplete: Vec<&str> =
            data.oidc_providers.values().filter(|p| p.client_ids.is_none()).map(|p| p.arn.as_str()).collect();
        for arn in incomplete {
            report.skipped.push(format!(
                "OIDC provider `{arn}` is listed without its `aws iam get-open-id-connect-provider` output: its client ids are unknown, so web identity calls for it are refused"
            ));
        }
    }
}

/// `(arn, account, url)` of each provider a `list` output names.
fn list(v: &Value) -> Result<Vec<(String, String, String)>, String> {
    let items = v.get("OpenIDConnectProviderList").and_then(Value::as_array).ok_or("no `OpenIDConnectProviderList`")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let arn = item
            .get("Arn")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`OpenIDConnectProviderList[{i}]` has no string `Arn`"))?;
        let parsed = iamspect_core::Arn::parse(arn)
            .filter(|a| a.service == "iam" && a.account.len() == 12 && a.account.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("`OpenIDConnectProviderList[{i}].Arn` `{arn}` is not an IAM ARN"))?;
        let url = parsed
            .resource
            .strip_prefix("oidc-provider/")
            .filter(|u| !u.is_empty())
            .ok_or_else(|| format!("`OpenIDConnectProviderList[{i}].Arn` `{arn}` is not an `oidc-provider` ARN"))?;
        out.push((arn.to_string(), parsed.account.to_string(), url.to_string()));
    }
    Ok(out)
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>, String> {
    match v.get(field) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| {
                s.as_str().map(str::to_string).ok_or_else(|| format!("`{field}` holds a value that is not a string"))
            })
            .collect(),
        Some(_) => Err(format!("`{field}` is not a list")),
    }
}

/// Completes (or adds) the provider a `get` output describes.
fn get(data: &mut AccountData, v: &Value) -> Result<(), String> {
    let raw = v.get("Url").and_then(Value::as_str).ok_or("no string `Url`")?;
    let url = raw.strip_prefix("https://").unwrap_or(raw);
    if url.is_empty() {
        return Err("`Url` is empty".to_string());
    }
    let client_ids = strings(v, "ClientIDList")?;
    let thumbprints = strings(v, "ThumbprintList")?;
    let matching: Vec<String> = data.oidc_providers.values().filter(|p| p.url == url).map(|p| p.arn.clone()).collect();
    let arn = match matching.as_slice() {
        [one] => one.clone(),
        [] => {
            let mut accounts = data.accounts.keys();
            match (accounts.next(), accounts.next()) {
                (Some(account), None) => {
                    let arn = format!("arn:aws:iam::{account}:oidc-provider/{url}");
                    data.oidc_providers.insert(
                        arn.clone(),
                        OidcProvider {
                            arn: arn.clone(),
                            account: account.clone(),
                            url: url.to_string(),
                            client_ids: None,
                            thumbprints: Vec::new(),
                        },
                    );
                    arn
                }
                _ => {
                    return Err(format!(
                        "the provider `{url}` names no account and {} accounts are loaded: add the `aws iam list-open-id-connect-providers` output of its account",
                        data.accounts.len()
                    ));
                }
            }
        }
        several => {
            return Err(format!(
                "the provider `{url}` is in several loaded accounts ({}); a `get-open-id-connect-provider` output names none, so load each account's outputs separately",
                several.join(", ")
            ));
        }
    };
    if let Some(p) = data.oidc_providers.get_mut(&arn) {
        if p.client_ids.is_some() {
            return Err(format!("a second `get-open-id-connect-provider` output for `{arn}`"));
        }
        p.client_ids = Some(client_ids);
        p.thumbprints = thumbprints;
    }
    Ok(())
}

impl AccountData {
    /// The OIDC provider of `account` whose URL is `url` (without `https://`).
    pub fn oidc_provider(&self, account: &str, url: &str) -> Option<&OidcProvider> {
        self.oidc_providers.values().find(|p| p.account == account && p.url == url)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn one_account() -> AccountData {
        let mut data = AccountData::default();
        data.accounts.insert(
            "111122223333".to_string(),
            crate::model::Account { id: "111122223333".to_string(), ..Default::default() },
        );
        data
    }

    #[test]
    fn get_output_joins_its_listed_arn() {
        let mut data = one_account();
        let mut outputs = OidcOutputs::default();
        let list = serde_json::json!({"OpenIDConnectProviderList": [
            {"Arn": "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com"}]});
        let get = serde_json::json!({"Url": "token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"],
            "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"], "CreateDate": "2024-01-01T00:00:00Z", "Tags": []});
        assert!(outputs.take(Path::new("list.json"), &list));
        assert!(outputs.take(Path::new("get.json"), &get));
        let mut report = LoadReport::default();
        outputs.assemble(&mut data, &mut report);
        assert!(report.errors.is_empty(), "{report:?}");
        let p = data.oidc_provider("444455556666", "token.actions.githubusercontent.com").unwrap();
        assert_eq!(p.client_ids.as_deref(), Some(&["sts.amazonaws.com".to_string()][..]));
        assert!(data.oidc_provider("111122223333", "token.actions.githubusercontent.com").is_none());
    }

    #[test]
    fn get_output_alone_belongs_to_the_only_account_and_a_listed_provider_alone_is_said() {
        let mut data = one_account();
        let mut outputs = OidcOutputs::default();
        outputs.take(
            Path::new("get.json"),
            &serde_json::json!({"Url": "https://oidc.example.com", "ClientIDList": ["app"]}),
        );
        outputs.take(
            Path::new("list.json"),
            &serde_json::json!({"OpenIDConnectProviderList": [{"Arn": "arn:aws:iam::111122223333:oidc-provider/other.example.com"}]}),
        );
        let mut report = LoadReport::default();
        outputs.assemble(&mut data, &mut report);
        assert!(data.oidc_provider("111122223333", "oidc.example.com").is_some());
        assert!(report.skipped.iter().any(|s| s.contains("other.example.com") && s.contains("client ids are unknown")));
    }

    #[test]
    fn get_output_without_an_account_is_an_error() {
        let mut data = AccountData::default();
        let mut outputs = OidcOutputs::default();
        outputs.take(Path::new("get.json"), &serde_json::json!({"Url": "oidc.example.com", "ClientIDList": []}));
        let mut report = LoadReport::default();
        outputs.assemble(&mut data, &mut report);
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].message.contains("names no account"), "{:?}", report.errors);
    }
}
