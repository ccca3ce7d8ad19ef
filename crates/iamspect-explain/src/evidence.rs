//! AWS's own verdict, as a decoded authorization message states it, taken as ground truth
//! (decision D82): iamspect's decision is compared with it, a disagreement names the policy that
//! must be missing from the input, and no allow is proposed against a deny AWS saw.

use iamspect_core::{Decision, Outcome};
use serde_json::{Value, json};

use crate::decoded::DecodedRequest;
use crate::fix::Fixes;

/// What AWS said about the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsVerdict {
    /// Where AWS said it (`decoded authorization message`).
    pub source: &'static str,
    /// AWS's decision.
    pub decision: Decision,
    /// The statements AWS says matched, in a line each.
    pub matched: Vec<String>,
}

impl AwsVerdict {
    /// The verdict of a decoded authorization message.
    pub fn from_decoded(d: &DecodedRequest) -> AwsVerdict {
        let decision = if d.allowed {
            Decision::Allowed
        } else if d.explicit_deny {
            Decision::ExplicitDeny
        } else {
            Decision::ImplicitDeny
        };
        let matched = d
            .matched_statements
            .iter()
            .map(|s| {
                let sid = s.statement_id.as_deref().map_or_else(|| "(no Sid)".to_string(), |s| format!("{s:?}"));
                let conditions = if s.conditions.is_empty() { String::new() } else { " with conditions".to_string() };
                format!(
                    "{} statement {sid}: {} on {}{conditions}",
                    s.effect,
                    if s.actions.is_empty() { "(actions not given)".to_string() } else { s.actions.join(", ") },
                    if s.resources.is_empty() { "(resources not given)".to_string() } else { s.resources.join(", ") },
                )
            })
            .collect();
        AwsVerdict { source: "decoded authorization message", decision, matched }
    }

    /// Whether iamspect's decision is AWS's.
    pub fn agrees(&self, ours: &Outcome) -> bool {
        self.decision == ours.decision
    }

    /// What the comparison means, in a sentence or two.
    pub fn explanation(&self, ours: &Outcome) -> String {
        let matched = if self.matched.is_empty() { String::new() } else { format!(" ({})", self.matched.join("; ")) };
        match (self.decision, ours.decision) {
            (a, o) if a == o => format!(
                "AWS's {} says {}{matched}; iamspect decides the same with the policies given",
                self.source,
                a.as_str()
            ),
            (Decision::ExplicitDeny, _) => format!(
                "AWS saw an explicit deny{matched}; none of the given policies denies, so the deny is in a policy iamspect was not given (an SCP or RCP of the organization? the resource's policy? a permissions boundary or session policy?): give it to find the fix; no allow is proposed, since an allow cannot override a deny"
            ),
            (Decision::ImplicitDeny, Decision::Allowed) => format!(
                "AWS denied for want of an allow{matched}, but the given policies allow: a policy AWS weighed is missing from the input or differs from it (an SCP level without the allow? a permissions boundary or session policy? the resource's policy for a cross-account request?)"
            ),
            (Decision::ImplicitDeny, Decision::ExplicitDeny) => format!(
                "AWS denied for want of an allow{matched}, but the given policies deny explicitly: they differ from the ones AWS used (a deny iamspect sees that AWS did not)"
            ),
            (Decision::Allowed, _) => format!(
                "AWS's message says the request was allowed, but the given policies deny it ({}): they differ from the ones AWS used",
                ours.decision.as_str()
            ),
            (a, o) => format!(
                "AWS says {}, iamspect {}: the given policies differ from the ones AWS used",
                a.as_str(),
                o.as_str()
            ),
        }
    }

    /// Fixes that stand against AWS's verdict removed: with an explicit deny iamspect cannot see,
    /// no grant and no request change computed from the given policies can be right.
    pub fn restrict(&self, ours: &Outcome, fixes: &mut Fixes) {
        if self.decision == Decision::ExplicitDeny && ours.decision != Decision::ExplicitDeny {
            let before = fixes.fixes.len();
            fixes.fixes.clear();
            if before > 0 {
                fixes.notes.push(format!(
                    "{} fix{} computed from the given policies {} left out: AWS saw an explicit deny that none of them holds, and no allow overrides a deny",
                    before,
                    if before == 1 { "" } else { "es" },
                    if before == 1 { "is" } else { "are" }
                ));
            }
        }
    }

    /// The JSON of `iamspect.aws`.
    pub fn to_json(&self, ours: &Outcome) -> Value {
        json!({
            "source": self.source,
            "decision": self.decision.as_str(),
            "matchedStatements": self.matched,
            "agrees": self.agrees(ours),
            "explanation": self.explanation(ours),
        })
    }
}
