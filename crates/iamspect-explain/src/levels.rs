//! SCP and RCP levels that allow nothing because none of their policies has an `Allow` statement
//! (decision D46). AWS attaches `FullAWSAccess` (SCPs) and `RCPFullAWSAccess` (RCPs) to every root,
//! OU and account by default; a level given without it, such as a deny-list SCP alone, denies
//! every request, which is AWS's rule but rarely what was meant.

use iamspect_core::{Effect, Layer, Policies};

/// A level whose policies hold no `Allow` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelWithoutAllow {
    /// `Layer::Scp(l)` or `Layer::Rcp(l)`.
    pub layer: Layer,
    /// The level's policies, by name.
    pub policies: Vec<String>,
    /// AWS's default policy for this kind of level: `FullAWSAccess` or `RCPFullAWSAccess`.
    pub default_policy: &'static str,
}

impl LevelWithoutAllow {
    /// What it means and how to add the default, in a sentence.
    pub fn explanation(&self) -> String {
        let (flag, kind) = match self.layer {
            Layer::Rcp(_) => ("--rcp", "resource control policies"),
            _ => ("--scp", "service control policies"),
        };
        let level = match self.layer {
            Layer::Rcp(l) | Layer::Scp(l) => l,
            _ => 0,
        };
        let names = if self.policies.is_empty() { "no policy".to_string() } else { self.policies.join(", ") };
        format!(
            "{kind}, level {level} ({names}) has no Allow statement, so it allows nothing and denies every request; AWS attaches {d} to every root, OU and account by default: add it to the level (`{flag} {d},{}` or `\"{d}\"` in the case's level), or the Allow list your organization uses",
            self.policies.join(","),
            d = self.default_policy,
        )
    }
}

/// The SCP and RCP levels of `policies` without any `Allow` statement.
pub fn without_allow(policies: &Policies) -> Vec<LevelWithoutAllow> {
    let mut out = Vec::new();
    let mut scan = |levels: &Option<Vec<Vec<std::sync::Arc<iamspect_core::Policy>>>>,
                    make: fn(usize) -> Layer,
                    default_policy: &'static str| {
        for (l, level) in levels.iter().flatten().enumerate() {
            let allows = level.iter().any(|p| p.statements().iter().any(|s| s.effect() == Effect::Allow));
            if !allows {
                out.push(LevelWithoutAllow {
                    layer: make(l),
                    policies: level.iter().map(|p| p.name().to_string()).collect(),
                    default_policy,
                });
            }
        }
    };
    scan(&policies.scps, Layer::Scp, "FullAWSAccess");
    scan(&policies.rcps, Layer::Rcp, "RCPFullAWSAccess");
    out
}
