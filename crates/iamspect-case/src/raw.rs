//! The case format as JSON, field for field (`shared/spec/case-format.md`). Unknown fields are
//! rejected: a typo in `identityPolicies` must not silently mean "no identity policies".

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// A policy: a document inline, or a string naming a library entry or a `.json` path. Kept as raw
/// text so that inline documents are parsed exactly as written (duplicate keys included).
pub(crate) type RawPolicy<'a> = &'a RawValue;

/// A file: one case, or many with a shared policy library.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile<'a> {
    pub(crate) description: Option<String>,
    #[serde(default, borrow)]
    pub(crate) policies: Unique<RawPolicy<'a>>,
    #[serde(borrow)]
    pub(crate) cases: Vec<&'a RawValue>,
}

/// A principal: text, or an object (read with its own errors, which an untagged enum would hide).
#[derive(Debug)]
pub(crate) enum RawPrincipal {
    Text(String),
    Object(PrincipalObject),
}

impl<'de> Deserialize<'de> for RawPrincipal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawPrincipal;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a principal: a string or an object")
            }
            fn visit_str<E>(self, v: &str) -> Result<RawPrincipal, E> {
                Ok(RawPrincipal::Text(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawPrincipal, A::Error> {
                PrincipalObject::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawPrincipal::Object)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PrincipalObject {
    pub(crate) arn: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) federated: Option<String>,
    #[serde(default)]
    pub(crate) tags: Unique<String>,
    #[serde(default)]
    pub(crate) service_linked_role: bool,
    #[serde(default)]
    pub(crate) management_account: bool,
    pub(crate) federated_by: Option<String>,
    pub(crate) id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BlockPublicAccess {
    #[serde(default)]
    pub(crate) block_public_acls: bool,
    #[serde(default)]
    pub(crate) ignore_public_acls: bool,
    #[serde(default)]
    pub(crate) block_public_policy: bool,
    #[serde(default)]
    pub(crate) restrict_public_buckets: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct S3 {
    #[serde(default)]
    pub(crate) block_public_access: BlockPublicAccess,
    pub(crate) object_ownership: Option<String>,
    pub(crate) acl: Option<StrictValue>,
    #[serde(default)]
    pub(crate) bucket_abac_enabled: bool,
    /// The account that owns the object (decision D140).
    pub(crate) object_owner: Option<String>,
    /// The object's ACL (decision D140; an addition to the format).
    pub(crate) object_acl: Option<StrictValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Kms {
    #[serde(default)]
    pub(crate) aws_managed_key: bool,
    /// The key has AWS's default key policy (decision D52), asked for explicitly.
    #[serde(default)]
    pub(crate) default_key_policy: bool,
}

/// A KMS grant on the key the request uses (decision D135).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawGrant {
    /// The grant's id, to name it in the explanation (an addition to the format; optional).
    pub(crate) grant_id: Option<String>,
    pub(crate) grantee_principal: String,
    pub(crate) operations: Vec<String>,
    pub(crate) constraints: Option<RawGrantConstraints>,
    pub(crate) retiring_principal: Option<String>,
}

/// `constraints`: one of the two encryption-context constraints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawGrantConstraints {
    /// Keys compare without case in a grant constraint, so two keys that differ only by case are
    /// refused.
    pub(crate) encryption_context_equals: Option<Unique<String, true>>,
    pub(crate) encryption_context_subset: Option<Unique<String, true>>,
}

/// An S3 access point the request goes through (decision D138).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawAccessPoint<'a> {
    pub(crate) arn: String,
    #[serde(default, borrow)]
    pub(crate) policy: Option<RawPolicy<'a>>,
    pub(crate) bucket: String,
    pub(crate) network_origin: String,
    /// For a `VPC` access point, its VPC (`VpcConfiguration.VpcId`; an addition to the format).
    pub(crate) vpc_id: Option<String>,
    /// The access point's own Block Public Access settings (an addition to the format).
    pub(crate) block_public_access: Option<BlockPublicAccess>,
}

/// What must come out.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: Option<String>,
    /// The policy types that deny, compared as a set.
    pub denied_by: Option<Vec<String>>,
    /// The case must be rejected with an error containing this text.
    pub error: Option<String>,
}

impl Expect {
    /// Checks the values (decision D43): `decision` is one of AWS's three, `deniedBy` names policy
    /// types the case format knows, once each, and only for a denial, `error` is not empty and
    /// stands alone, and something is expected at all.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(d) = &self.decision
            && iamspect_core::Decision::from_name(d).is_none()
        {
            return Err(format!("`decision` `{d}` is not `allowed`, `explicitDeny` or `implicitDeny`"));
        }
        if let Some(by) = &self.denied_by {
            let mut seen = std::collections::BTreeSet::new();
            for name in by {
                if iamspect_core::Denier::from_name(name).is_none() {
                    let known: Vec<&str> = iamspect_core::Denier::ALL.iter().map(|d| d.as_str()).collect();
                    return Err(format!("`deniedBy` `{name}` is not a policy type ({})", known.join(", ")));
                }
                if !seen.insert(name) {
                    return Err(format!("`deniedBy` names `{name}` twice"));
                }
            }
            if self.decision.as_deref() == Some("allowed") && !by.is_empty() {
                return Err("`deniedBy` is for a denial, and `decision` is `allowed`".to_string());
            }
        }
        match (&self.error, &self.decision, &self.denied_by) {
            (Some(e), _, _) if e.trim().is_empty() => Err("`error` is empty, so any error would match".to_string()),
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err("`error` expects the case to be refused, so it cannot come with `decision` or `deniedBy`"
                    .to_string())
            }
            (None, None, None) => Err("nothing is expected: give `decision` (and `deniedBy`) or `error`".to_string()),
            _ => Ok(()),
        }
    }
}

/// One case, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCase<'a> {
    /// Read before the strict parse by [`crate::case_from_str`]; [`crate::inline_case`] takes it
    /// from here.
    pub(crate) description: Option<String>,
    pub(crate) principal: RawPrincipal,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) resource_account: Option<String>,
    #[serde(default)]
    pub(crate) context: Unique<StrictValue, true>,
    #[serde(default, borrow)]
    pub(crate) identity_policies: Vec<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) resource_policy: Option<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) permissions_boundary: Option<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) session_policies: Vec<RawPolicy<'a>>,
    #[serde(default, borrow)]
    pub(crate) scps: Option<Vec<Vec<RawPolicy<'a>>>>,
    #[serde(default, borrow)]
    pub(crate) rcps: Option<Vec<Vec<RawPolicy<'a>>>>,
    #[serde(default, borrow)]
    pub(crate) vpc_endpoint_policy: Option<RawPolicy<'a>>,
    pub(crate) s3: Option<S3>,
    pub(crate) kms: Option<Kms>,
    #[serde(default)]
    pub(crate) kms_grants: Option<Vec<RawGrant>>,
    #[serde(default, borrow)]
    pub(crate) access_point: Option<RawAccessPoint<'a>>,
    /// Read before the strict parse by [`crate::case_from_str`], so invalid cases can still be
    /// checked; [`crate::inline_case`] takes it from here. `null` is an error (not "no
    /// `expect`"), as it is in that first read.
    #[serde(default, deserialize_with = "present")]
    pub(crate) expect: Option<Expect>,
}

/// A field that, when present, must hold a `T` (`null` included: no `Option` shortcut).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An object read into a map that refuses a key given twice (with `CASELESS`, twice in any
/// letter case, as context keys are compared): serde's maps keep the last silently.
#[derive(Debug)]
pub(crate) struct Unique<V, const CASELESS: bool = false>(pub(crate) BTreeMap<String, V>);

impl<V, const C: bool> Default for Unique<V, C> {
    fn default() -> Self {
        Unique(BTreeMap::new())
    }
}

impl<'de, V: Deserialize<'de>, const C: bool> Deserialize<'de> for Unique<V, C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V, const C: bool>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>, const C: bool> serde::de::Visitor<'de> for Visit<V, C> {
            type Value = Unique<V, C>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                let mut seen = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    let folded = if C { key.to_ascii_lowercase() } else { key.clone() };
                    if !seen.insert(folded) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    let value = map.next_value()?;
                    out.insert(key, value);
                }
                Ok(Unique(out))
            }
        }
        d.deserialize_map(Visit::<V, C>(std::marker::PhantomData))
    }
}

/// Any JSON value, refusing a key given twice in any object inside it.
#[derive(Debug)]
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = StrictValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::String(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<StrictValue, E> {
                Ok(StrictValue(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
                let mut out = Vec::new();
                while let Some(StrictValue(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(StrictValue(Value::Array(out)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if out.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    let StrictValue(v) = map.next_value()?;
                    out.insert(key, v);
                }
                Ok(StrictValue(Value::Object(out)))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A request about the loaded accounts, without policies (the HTTP API's account request).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawAccountRequest {
    pub(crate) description: Option<String>,
    pub(crate) principal: String,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) resource_account: Option<String>,
    #[serde(default)]
    pub(crate) context: Unique<StrictValue, true>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) expect: Option<Expect>,
}
