//! Deciding rebuilt requests against account data, and the report per event.

use iamspect_account::AccountData;
use iamspect_case::Compiler;
use iamspect_core::{Decision, Denier, PrincipalKind};
use iamspect_explain::message::{self, DenyKind};
use serde_json::{Value, json};

use crate::events::{Event, denial_code};
use crate::rebuild::{Rebuilt, rebuild};
use crate::service_ref::ServiceReference;

/// What iamspect made of one denied event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// iamspect denies the request too.
    Reproduced,
    /// iamspect allows the request AWS denied.
    AllowedByIamspect,
    /// The request, or the policies that apply to it, could not be rebuilt.
    NotRebuilt(NotRebuilt),
}

/// Why an event was not evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotRebuilt {
    /// The event does not say enough to rebuild the request.
    Request(String),
    /// The caller is not in the loaded account data.
    PrincipalNotInAccountData(String),
    /// The request was rebuilt, but the policies that decide it cannot be (a federated user's
    /// session policy, account data that does not resolve or parse).
    Policies(String),
}

impl NotRebuilt {
    /// The reason, in words.
    pub fn reason(&self) -> String {
        match self {
            NotRebuilt::Request(r) => format!("the request could not be rebuilt: {r}"),
            NotRebuilt::PrincipalNotInAccountData(r) => format!("principal not in the account data: {r}"),
            NotRebuilt::Policies(r) => format!("the policies could not be rebuilt: {r}"),
        }
    }

    /// A short code: `request`, `principalNotInAccountData`, `policies`.
    pub fn code(&self) -> &'static str {
        match self {
            NotRebuilt::Request(_) => "request",
            NotRebuilt::PrincipalNotInAccountData(_) => "principalNotInAccountData",
            NotRebuilt::Policies(_) => "policies",
        }
    }
}

/// The decision on one rebuilt request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// `service:Action`.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// iamspect's decision.
    pub decision: Decision,
    /// The policy types that deny.
    pub denied_by: Vec<Denier>,
    /// The AccessDenied message AWS sends for this decision.
    pub message: Option<message::AccessDeniedMessage>,
}

/// The report on one denied event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventReport {
    /// `FILE#INDEX`.
    pub source: String,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventTime`.
    pub event_time: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `errorCode`.
    pub error_code: String,
    /// `errorMessage`.
    pub error_message: Option<String>,
    /// The rebuilt request, when it could be rebuilt.
    pub rebuilt: Option<Rebuilt>,
    /// The decisions.
    pub evaluations: Vec<Evaluation>,
    /// The outcome.
    pub verdict: Verdict,
    /// Whether iamspect's message gives AWS's reason (the same policy type, explicit or implicit),
    /// when AWS's message gives one.
    pub same_reason: Option<bool>,
    /// Notes beyond the rebuilt request's.
    pub notes: Vec<String>,
}

/// Counts over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Denied events.
    pub events: usize,
    /// iamspect denies them too.
    pub reproduced: usize,
    /// iamspect allows them.
    pub allowed: usize,
    /// Not rebuilt (any reason).
    pub not_rebuilt: usize,
    /// Of those, because the principal is not in the account data.
    pub principal_not_in_data: usize,
    /// Of the reproduced ones with a reason in AWS's message, those whose reason iamspect matches.
    pub same_reason: usize,
    /// Records that are not authorization denials, skipped.
    pub other_records: usize,
    /// Records identical to one read before, skipped.
    pub duplicates: usize,
}

impl Summary {
    /// Adds an event.
    pub fn add(&mut self, r: &EventReport) {
        self.events += 1;
        match &r.verdict {
            Verdict::Reproduced => self.reproduced += 1,
            Verdict::AllowedByIamspect => self.allowed += 1,
            Verdict::NotRebuilt(n) => {
                self.not_rebuilt += 1;
                if matches!(n, NotRebuilt::PrincipalNotInAccountData(_)) {
                    self.principal_not_in_data += 1;
                }
            }
        }
        if r.same_reason == Some(true) {
            self.same_reason += 1;
        }
    }

    /// Adds another run's counts (another thread's, when files are read in parallel).
    pub fn merge(&mut self, other: &Summary) {
        self.events += other.events;
        self.reproduced += other.reproduced;
        self.allowed += other.allowed;
        self.not_rebuilt += other.not_rebuilt;
        self.principal_not_in_data += other.principal_not_in_data;
        self.same_reason += other.same_reason;
        self.other_records += other.other_records;
        self.duplicates += other.duplicates;
    }

    /// `N events: R reproduced, A allowed by iamspect, U not rebuilt (P because the principal is
    /// not in the account data)`, and the records skipped.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} events: {} reproduced, {} allowed by iamspect, {} not rebuilt",
            self.events, self.reproduced, self.allowed, self.not_rebuilt
        );
        if self.principal_not_in_data > 0 {
            s.push_str(&format!(" ({} because the principal is not in the account data)", self.principal_not_in_data));
        }
        if self.other_records > 0 {
            s.push_str(&format!("; {} other records skipped", self.other_records));
        }
        if self.duplicates > 0 {
            s.push_str(&format!("; {} duplicate records skipped", self.duplicates));
        }
        s
    }

    /// The counts as JSON.
    pub fn json(&self) -> Value {
        json!({
            "events": self.events,
            "reproduced": self.reproduced,
            "allowedByIamspect": self.allowed,
            "notRebuilt": self.not_rebuilt,
            "principalNotInAccountData": self.principal_not_in_data,
            "sameReasonAsAws": self.same_reason,
            "otherRecords": self.other_records,
            "duplicateRecords": self.duplicates,
        })
    }
}

/// Whether the caller's identity is in the data (services, identity providers and anonymous
/// callers have none to look up).
pub fn principal_in_data(data: &AccountData, principal: &str) -> Result<(), String> {
    let p = iamspect_core::Principal::parse(principal).map_err(|e| e.to_string())?;
    let loaded = || {
        let ids: Vec<&str> = data.accounts.keys().map(String::as_str).collect();
        if ids.is_empty() { "no account dump was loaded".to_string() } else { format!("loaded: {}", ids.join(", ")) }
    };
    let account = |a: &str| {
        data.accounts.get(a).ok_or_else(|| format!("`{principal}`: no dump of account {a} was loaded ({})", loaded()))
    };
    match &p.kind {
        PrincipalKind::User { account: a, name, .. } => {
            if !account(a)?.users.contains_key(name) {
                return Err(format!("`{principal}`: account {a} has no user `{name}` in the loaded data"));
            }
        }
        PrincipalKind::RoleSession { account: a, role_name, .. } => {
            if !account(a)?.roles.contains_key(role_name) {
                return Err(format!("`{principal}`: account {a} has no role `{role_name}` in the loaded data"));
            }
        }
        PrincipalKind::Root { account: a } | PrincipalKind::FederatedUser { account: a, .. } => {
            account(a)?;
        }
        PrincipalKind::Service { .. } | PrincipalKind::Federated { .. } | PrincipalKind::Anonymous => {}
    }
    Ok(())
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Replays events: rebuilds each denied one and decides it against the account data.
pub struct Replayer<'a> {
    sref: Option<&'a ServiceReference>,
    data: Option<&'a AccountData>,
    compiler: Compiler,
}

impl<'a> Replayer<'a> {
    /// A replayer; without `data` every event is reported as not rebuilt (its request is still shown).
    pub fn new(sref: Option<&'a ServiceReference>, data: Option<&'a AccountData>) -> Replayer<'a> {
        Replayer { sref, data, compiler: Compiler::new() }
    }

    /// The report on `event`, or `None` if it is not an authorization denial.
    pub fn replay(&mut self, event: &Event) -> Option<EventReport> {
        let r = &event.record;
        let error_code = denial_code(r)?.to_string();
        let mut report = EventReport {
            source: event.source.clone(),
            event_id: text(r, "eventID"),
            event_time: text(r, "eventTime"),
            event_source: text(r, "eventSource"),
            event_name: text(r, "eventName"),
            error_code,
            error_message: text(r, "errorMessage"),
            rebuilt: None,
            evaluations: Vec::new(),
            verdict: Verdict::NotRebuilt(NotRebuilt::Request(String::new())),
            same_reason: None,
            notes: Vec::new(),
        };
        self.message_notes(&mut report);
        let rebuilt = match rebuild(r, self.sref, self.data) {
            Ok(b) => b,
            Err(e) => {
                report.verdict = Verdict::NotRebuilt(NotRebuilt::Request(e));
                return Some(report);
            }
        };
        report.verdict = self.evaluate(&rebuilt, &mut report.evaluations);
        if report.verdict == Verdict::Reproduced {
            report.same_reason = same_reason(&rebuilt, &report.evaluations);
        }
        if report.verdict == Verdict::AllowedByIamspect
            && let Some(note) = self.missing_layer(&rebuilt)
        {
            report.notes.push(note);
        }
        report.rebuilt = Some(rebuilt);
        Some(report)
    }

    fn message_notes(&self, report: &mut EventReport) {
        let Some(m) = &report.error_message else { return };
        match iamspect_explain::parse::parse(m) {
            Ok(_) => {}
            Err(iamspect_explain::parse::ParseError::Encoded { .. }) => report.notes.push(
                "AWS's message is encoded: `aws sts decode-authorization-message` gives the exact request, which `iamspect explain --decoded` explains".to_string(),
            ),
            Err(_) if m.contains("access not activated") => report.notes.push(format!(
                "AWS's message `{m}`: IAM access to billing data is off in the account's settings; no IAM policy decides this"
            )),
            Err(iamspect_explain::parse::ParseError::Generic { .. }) => {}
            Err(_) if report.error_code != "VpceAccessDenied" => report.notes.push(format!(
                "AWS's message `{m}` is not an IAM policy denial message: the denial may come from outside IAM policies"
            )),
            Err(_) => {}
        }
    }

    /// Why the data cannot show the denial AWS's message names, when it names a policy type the
    /// data does not hold.
    fn missing_layer(&self, rebuilt: &Rebuilt) -> Option<String> {
        use iamspect_explain::message::MessagePolicyType as T;
        let t = rebuilt.aws_message.as_ref()?.policy_type?;
        let no_org = self.data.is_none_or(|d| d.organization.is_none());
        let missing = match t {
            T::Scp | T::Rcp if no_org => "no organization was loaded",
            T::VpcEndpoint | T::VpcEndpointThroughScp => "VPC endpoint policies are not part of the account data",
            T::Session => "session policies are not recorded in CloudTrail",
            _ => return None,
        };
        Some(format!("AWS's message names a {}, and {missing}: iamspect cannot see that denial", t.words()))
    }

    fn evaluate(&mut self, rebuilt: &Rebuilt, out: &mut Vec<Evaluation>) -> Verdict {
        let Some(data) = self.data else {
            return Verdict::NotRebuilt(NotRebuilt::Policies("no account data was given".to_string()));
        };
        if let Err(e) = principal_in_data(data, &rebuilt.caller.principal) {
            return Verdict::NotRebuilt(NotRebuilt::PrincipalNotInAccountData(e));
        }
        if let Some(why) = &rebuilt.caller.not_evaluable {
            return Verdict::NotRebuilt(NotRebuilt::Policies(why.clone()));
        }
        for t in &rebuilt.targets {
            let built = match iamspect_case::from_account_data(
                data,
                &rebuilt.caller.principal,
                &t.action,
                &t.resource,
                t.resource_account.as_deref(),
                &rebuilt.context,
                &mut self.compiler,
            ) {
                Ok(b) => b,
                Err(e) => return Verdict::NotRebuilt(NotRebuilt::Policies(e.to_string())),
            };
            let response = iamspect_core::authorize_traced(&built.request, &built.policies);
            let message = message::for_response(&built.request, &response);
            out.push(Evaluation {
                action: t.action.clone(),
                resource: t.resource.clone(),
                decision: response.outcome.decision,
                denied_by: response.outcome.denied_by.iter().collect(),
                message,
            });
        }
        // The action AWS's message names decides; without one, any denied action does.
        let named = rebuilt.aws_message.as_ref().map(|m| m.action.to_ascii_lowercase());
        let decisive: Vec<&Evaluation> = match &named {
            Some(a) if out.iter().any(|e| e.action.to_ascii_lowercase() == *a) => {
                out.iter().filter(|e| e.action.to_ascii_lowercase() == *a).collect()
            }
            _ => out.iter().collect(),
        };
        if decisive.iter().any(|e| e.decision != Decision::Allowed) {
            Verdict::Reproduced
        } else {
            Verdict::AllowedByIamspect
        }
    }
}

/// True if iamspect's message gives the reason AWS's gives: explicit or implicit, and the policy type.
fn same_reason(rebuilt: &Rebuilt, evaluations: &[Evaluation]) -> Option<bool> {
    let aws = rebuilt.aws_message.as_ref()?;
    let aws_type = aws.policy_type?;
    let ours = evaluations.iter().find(|e| e.action.eq_ignore_ascii_case(&aws.action))?.message.as_ref()?;
    Some(ours.policy_type == Some(aws_type) && (aws.deny == DenyKind::Unspecified || ours.deny == aws.deny))
}

impl EventReport {
    /// The rebuilt request(s) as case-file JSON (principal, action, resource, context).
    fn request_json(&self) -> Value {
        let Some(b) = &self.rebuilt else { return Value::Null };
        let mut context = serde_json::Map::new();
        for (k, vs) in &b.context {
            let v = if vs.len() == 1 { json!(vs[0]) } else { json!(vs) };
            context.insert(k.clone(), v);
        }
        let targets: Vec<Value> = b
            .targets
            .iter()
            .map(|t| {
                json!({
                    "action": t.action,
                    "resource": t.resource,
                    "resourceAccount": t.resource_account,
                    "resourceFrom": t.resource_how,
                    "resourceDetermined": t.resource_determined,
                })
            })
            .collect();
        json!({
            "principal": b.caller.principal,
            "principalType": b.caller.identity_type,
            "actions": targets,
            "actionsFrom": b.actions_how,
            "otherActions": b.other_actions,
            "context": context,
        })
    }

    /// The result name: `reproduced`, `allowedByIamspect` or `notRebuilt`.
    pub fn result(&self) -> &'static str {
        match self.verdict {
            Verdict::Reproduced => "reproduced",
            Verdict::AllowedByIamspect => "allowedByIamspect",
            Verdict::NotRebuilt(_) => "notRebuilt",
        }
    }

    /// Every note: the caller's, the request's, the event's.
    pub fn all_notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = &self.rebuilt {
            out.extend(b.caller.notes.iter().cloned());
            out.extend(b.notes.iter().cloned());
        }
        out.extend(self.notes.iter().cloned());
        out
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let (reason, reason_code) = match &self.verdict {
            Verdict::NotRebuilt(n) => (Some(n.reason()), Some(n.code())),
            _ => (None, None),
        };
        json!({
            "source": self.source,
            "eventId": self.event_id,
            "eventTime": self.event_time,
            "eventSource": self.event_source,
            "eventName": self.event_name,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "result": self.result(),
            "reason": reason,
            "reasonCode": reason_code,
            "request": self.request_json(),
            "evaluations": self.evaluations.iter().map(|e| json!({
                "action": e.action,
                "resource": e.resource,
                "decision": e.decision.as_str(),
                "deniedBy": e.denied_by.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                "message": e.message.as_ref().map(|m| m.render()),
            })).collect::<Vec<_>>(),
            "sameReasonAsAws": self.same_reason,
            "notes": self.all_notes(),
        })
    }
}
