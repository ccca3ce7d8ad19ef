//! Explaining decisions: AWS's own AccessDenied wording (generated from a decision, and parsed
//! back from a message a user pasted), the error code a service returns, counterfactuals, and
//! fixes that are proved by re-evaluating the request.

pub mod counterfactual;
pub mod decoded;
pub mod encoded;
pub mod fix;
pub mod levels;
pub mod message;
pub mod parse;
pub mod report;
pub mod slots;
pub mod wire;
