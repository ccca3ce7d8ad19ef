//! Names: a credential scope's signing name to the IAM service prefix, and an API operation to
//! the IAM action of the same name when AWS's catalogue has it.

use iamspect_catalog::Catalog;

/// Signing names that differ from the IAM prefix of the service's actions. Every other signing
/// name is its own prefix (`s3`, `sqs`, `dynamodb`, `kms`, `lambda`, ...).
const EXCEPTIONS: &[(&str, &str)] = &[
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("execute-api", "execute-api"),
    ("apigateway", "apigateway"),
    ("aws-marketplace", "aws-marketplace"),
    ("iotdata", "iot"),
    ("iot-data", "iot"),
    ("data.iot", "iot"),
    ("iotdevicegateway", "iot"),
    ("runtime.lex", "lex"),
    ("runtime.sagemaker", "sagemaker"),
    ("sagemaker-runtime", "sagemaker"),
    ("bedrock-runtime", "bedrock"),
    ("mobiletargeting", "mobiletargeting"),
    ("streams.dynamodb", "dynamodb"),
    ("es", "es"),
    ("states", "states"),
    ("elasticmapreduce", "elasticmapreduce"),
    ("cognito-idp", "cognito-idp"),
    ("ssm-sap", "ssm-sap"),
    ("tagging", "tag"),
    ("s3-outposts", "s3-outposts"),
    ("s3-object-lambda", "s3-object-lambda"),
];

/// The IAM prefix of the actions of the service a request was signed for.
pub(crate) fn iam_prefix(signing_name: &str) -> String {
    let lower = signing_name.to_ascii_lowercase();
    EXCEPTIONS.iter().find(|(s, _)| *s == lower).map_or(lower, |(_, p)| (*p).to_string())
}

/// The catalogue's spelling of `prefix:operation`, when the catalogue has such an action.
pub(crate) fn action(prefix: &str, operation: &str) -> Option<String> {
    let a = Catalog::get().action(&format!("{prefix}:{operation}"))?;
    Some(format!("{}:{}", a.service().prefix(), a.name()))
}

/// True when the catalogue lists no resource type for the action: it is authorized on `*`.
pub(crate) fn takes_no_resource(action: &str) -> bool {
    Catalog::get().action(action).is_some_and(|a| a.resource_types().len() == 0)
}

/// True when the catalogue knows the service prefix.
pub(crate) fn known_service(prefix: &str) -> bool {
    Catalog::get().service(prefix).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_actions() {
        assert_eq!(iam_prefix("monitoring"), "cloudwatch");
        assert_eq!(iam_prefix("email"), "ses");
        assert_eq!(iam_prefix("sqs"), "sqs");
        assert_eq!(action("sqs", "sendmessage").as_deref(), Some("sqs:SendMessage"));
        assert_eq!(action("dynamodb", "NoSuchThing"), None);
        assert!(takes_no_resource("sqs:ListQueues"));
        assert!(!takes_no_resource("sqs:SendMessage"));
    }
}
