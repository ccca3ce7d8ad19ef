//! AWS's own verdict, as a decoded authorization message or an AccessDenied message states it,
//! taken as ground truth (decision D82): iamspect's decision is compared with it, a disagreement names the policy that
//! must be missing from the input, and no allow is proposed against a deny AWS saw.

use iamspect_core::{Decision, Denier, Outcome};
use serde_json::{Value, json};

use crate::decoded::DecodedRequest;
use crate::fix::Fixes;
use crate::message::{AccessDeniedMessage, DenyKind};

/// What AWS said about the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsVerdict {
    /// Where AWS said it (`decoded authorization message`, `AccessDenied message`).
    pub source: &'static str,
    /// AWS's decision; `None` for a denial whose kind the message does not say.
    pub decision: Option<Decision>,
    /// The policy type AWS names as denying, if it names one.
    pub denied_by: Option<Denier>,
    /// That policy type in AWS's words (`service control policy`).
    pub policy_words: Option<&'static str>,
    /// The statements AWS says matched, or the denying policy's ARN, in a line each.
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
        AwsVerdict {
            source: "decoded authorization message",
            decision: Some(decision),
            denied_by: None,
            policy_words: None,
            matched,
        }
    }

    /// The verdict an AccessDenied message states: explicit or implicit (or not said), and the
    /// policy type it names.
    pub fn from_message(m: &AccessDeniedMessage) -> AwsVerdict {
        let decision = match m.deny {
            DenyKind::Explicit => Some(Decision::ExplicitDeny),
            DenyKind::Implicit => Some(Decision::ImplicitDeny),
            DenyKind::Unspecified => None,
        };
        AwsVerdict {
            source: "AccessDenied message",
            decision,
            denied_by: m.policy_type.map(|t| t.denier()),
            policy_words: m.policy_type.map(|t| t.words()),
            matched: m.policy_arn.iter().map(|a| format!("the denying policy: {a}")).collect(),
        }
    }

    /// A denial recorded without its kind (a CloudTrail `errorCode` whose message says nothing
    /// more).
    pub fn denied(source: &'static str, note: String) -> AwsVerdict {
        AwsVerdict { source, decision: None, denied_by: None, policy_words: None, matched: vec![note] }
    }

    /// AWS's decision in words.
    pub fn decision_words(&self) -> String {
        let kind = self.decision.map_or("denied (the message does not say whether explicitly)", |d| d.as_str());
        match (self.policy_words, self.decision) {
            (Some(w), Some(Decision::ImplicitDeny)) => format!("{kind}: no {w} allows it"),
            (Some(w), _) => format!("{kind} in {} {w}", article(w)),
            (None, _) => kind.to_string(),
        }
    }

    /// Whether iamspect's decision is AWS's: the same decision, and the policy type AWS names
    /// among those that deny.
    pub fn agrees(&self, ours: &Outcome) -> bool {
        let decision = match self.decision {
            Some(d) => d == ours.decision,
            None => ours.decision != Decision::Allowed,
        };
        decision && self.denied_by.is_none_or(|d| ours.denied_by.contains(d))
    }

    /// What the comparison means, in a sentence or two.
    pub fn explanation(&self, ours: &Outcome) -> String {
        let matched = if self.matched.is_empty() { String::new() } else { format!(" ({})", self.matched.join("; ")) };
        let ours_by: Vec<&str> = ours.denied_by.iter().map(|d| d.as_str()).collect();
        if self.agrees(ours) {
            return format!(
                "AWS's {} says {}{matched}; iamspect decides the same with the policies given",
                self.source,
                self.decision_words()
            );
        }
        let decision = self.decision.unwrap_or(match ours.decision {
            Decision::Allowed => Decision::ImplicitDeny,
            d => d,
        });
        match (decision, ours.decision) {
            (a, o) if a == o => {
                // The same kind of decision, another policy type.
                let words = self.policy_words.unwrap_or("policy");
                format!(
                    "AWS says the deny comes from {} {words}{matched}, but with the policies given it comes from {}: the {words} AWS weighed is missing from the input or differs from it; give it to find the fix",
                    article(words),
                    ours_by.join(", ")
                )
            }
            (Decision::ExplicitDeny, _) => {
                let place = match self.policy_words {
                    Some(w) => format!("{} {w} iamspect was not given", article(w)),
                    None => "a policy iamspect was not given (an SCP or RCP of the organization? the resource's policy? a permissions boundary or session policy?)".to_string(),
                };
                format!(
                    "AWS saw an explicit deny{matched}; none of the given policies denies, so the deny is in {place}: give it to find the fix; no allow is proposed, since an allow cannot override a deny"
                )
            }
            (Decision::ImplicitDeny, Decision::Allowed) => format!(
                "AWS denied for want of an allow{matched}, but the given policies allow: a policy AWS weighed is missing from the input or differs from it (an SCP level without the allow? a permissions boundary or session policy? the resource's policy for a cross-account request?)"
            ),
            (Decision::ImplicitDeny, Decision::ExplicitDeny) => format!(
                "AWS denied for want of an allow{matched}, but the given policies deny explicitly: they differ from the ones AWS used (a deny iamspect sees that AWS did not)"
            ),
            (Decision::Allowed, _) => format!(
                "AWS says the request was allowed, but the given policies deny it ({}): they differ from the ones AWS used",
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
        // A deny AWS saw and the given policies do not hold: nothing computed from them reaches it.
        let unseen_explicit = self.decision == Some(Decision::ExplicitDeny)
            && (ours.decision != Decision::ExplicitDeny || self.denied_by.is_some_and(|d| !ours.denied_by.contains(d)));
        if unseen_explicit {
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

    /// Whether AWS allowed the request.
    pub fn allowed(&self) -> bool {
        self.decision == Some(Decision::Allowed)
    }

    /// The JSON of `iamspect.aws`.
    pub fn to_json(&self, ours: &Outcome) -> Value {
        json!({
            "source": self.source,
            "decision": self.decision.map(Decision::as_str),
            "deniedBy": self.denied_by.map(Denier::as_str),
            "matchedStatements": self.matched,
            "agrees": self.agrees(ours),
            "explanation": self.explanation(ours),
        })
    }
}

/// `a` or `an` before `word`.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}
