//! What comes out of an authorization: the decision and the policy types that deny.

/// AWS's `EvalDecision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// `allowed`.
    Allowed,
    /// `explicitDeny`: a matching `Deny` statement.
    ExplicitDeny,
    /// `implicitDeny`: no matching `Deny`, but some required allow is missing.
    ImplicitDeny,
}

impl Decision {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    /// Reads AWS's spelling.
    pub fn from_name(name: &str) -> Option<Decision> {
        match name {
            "allowed" => Some(Decision::Allowed),
            "explicitDeny" => Some(Decision::ExplicitDeny),
            "implicitDeny" => Some(Decision::ImplicitDeny),
            _ => None,
        }
    }
}

/// A policy type (or S3 setting) that can deny a request, as the case format names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Denier {
    /// SCPs of the caller's account.
    Scp,
    /// RCPs of the resource's account.
    Rcp,
    /// The VPC endpoint policy.
    VpcEndpoint,
    /// S3 Block Public Access.
    S3BlockPublicAccess,
    /// S3 ACLs.
    S3Acl,
    /// The resource-based policy (including a role trust policy or KMS key policy).
    Resource,
    /// The caller's identity-based policies.
    Identity,
    /// The caller's permissions boundary.
    PermissionsBoundary,
    /// Session policies.
    Session,
}

impl Denier {
    /// Every denier, in evaluation order.
    pub const ALL: [Denier; 9] = [
        Denier::Rcp,
        Denier::Scp,
        Denier::VpcEndpoint,
        Denier::S3BlockPublicAccess,
        Denier::S3Acl,
        Denier::Resource,
        Denier::Identity,
        Denier::PermissionsBoundary,
        Denier::Session,
    ];

    /// The case-format name (`deniedBy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Denier::Scp => "scp",
            Denier::Rcp => "rcp",
            Denier::VpcEndpoint => "vpcEndpoint",
            Denier::S3BlockPublicAccess => "s3BlockPublicAccess",
            Denier::S3Acl => "s3Acl",
            Denier::Resource => "resource",
            Denier::Identity => "identity",
            Denier::PermissionsBoundary => "permissionsBoundary",
            Denier::Session => "session",
        }
    }

    /// Reads the case-format name.
    pub fn from_name(name: &str) -> Option<Denier> {
        Denier::ALL.into_iter().find(|d| d.as_str() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of [`Denier`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeniedBy(u16);

impl DeniedBy {
    /// Adds one.
    pub fn insert(&mut self, d: Denier) {
        self.0 |= d.bit();
    }

    /// True if it holds `d`.
    pub fn contains(self, d: Denier) -> bool {
        self.0 & d.bit() != 0
    }

    /// True if empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members in evaluation order.
    pub fn iter(self) -> impl Iterator<Item = Denier> {
        Denier::ALL.into_iter().filter(move |d| self.contains(*d))
    }
}

impl FromIterator<Denier> for DeniedBy {
    fn from_iter<I: IntoIterator<Item = Denier>>(iter: I) -> Self {
        let mut s = DeniedBy::default();
        for d in iter {
            s.insert(d);
        }
        s
    }
}
