//! The risk model: the vendored cloudsplaining file agrees with its
//! recorded version, count and checksum; every line of both files names
//! catalogue actions; and the actions the product's threat model is about
//! carry the risks they should, whatever their case.

use std::path::Path;

use function_eks_pod_identity::iam::catalogue;
use function_eks_pod_identity::iam::risk::{self, Risk, CLOUDSPLAINING};
use Risk::{
    CredentialExposure, DataAccess, PermissionsManagement, PrivilegeEscalation, SecurityControls,
};

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn the_cloudsplaining_file_agrees_with_its_header_and_readme() {
    let (header, body) = CLOUDSPLAINING.split_once('\n').unwrap();
    let field = |name: &str| {
        header
            .split(' ')
            .find_map(|word| word.strip_prefix(&format!("{name}=")))
            .unwrap()
    };
    assert_eq!(
        field("fnv1a64"),
        format!("{:016x}", fnv1a64(body.as_bytes())),
        "cloudsplaining.txt was changed by hand; regenerate it with scripts/update-iam-risks"
    );
    assert_eq!(
        field("entries").parse::<usize>().unwrap(),
        body.lines().count()
    );
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/iam-risks/README.md"),
    )
    .unwrap();
    let version = risk::get().cloudsplaining_version();
    assert!(
        readme.contains(&format!("Version: `{version}`")),
        "README.md does not record version {version}"
    );
}

/// cloudsplaining names a few actions AWS does not publish (typos of
/// `gamelift`, retired calls); those give nothing, and every other line,
/// and every line of the product's own file, names catalogue actions.
#[test]
fn every_line_names_catalogue_actions() {
    let unused: Vec<String> = risk::get()
        .unused()
        .iter()
        .map(|unused| format!("{}: {} ({})", unused.file, unused.line, unused.reason))
        .collect();
    let product: Vec<&String> = unused
        .iter()
        .filter(|line| line.starts_with("product"))
        .collect();
    assert!(
        product.is_empty(),
        "product.txt lines that give nothing: {product:#?}"
    );
    assert!(
        unused.len() <= 8,
        "cloudsplaining lines that give nothing: {unused:#?}"
    );
}

/// Actions, the risk asked about, and whether they carry it.
const CASES: &[(&str, &str, Risk, bool)] = &[
    (
        "access entries grant cluster admin",
        "eks:createaccessentry",
        PrivilegeEscalation,
        true,
    ),
    (
        "access policies grant cluster admin",
        "EKS:AssociateAccessPolicy",
        PrivilegeEscalation,
        true,
    ),
    (
        "an association binds any role",
        "eks:CreatePodIdentityAssociation",
        PrivilegeEscalation,
        true,
    ),
    (
        "an updated association binds any role",
        "eks:updatepodidentityassociation",
        PrivilegeEscalation,
        true,
    ),
    (
        "run commands as root on nodes",
        "ssm:SendCommand",
        PrivilegeEscalation,
        true,
    ),
    (
        "sessions on nodes",
        "ssm:startsession",
        PrivilegeEscalation,
        true,
    ),
    (
        "ssh keys on nodes",
        "ec2-instance-connect:SendSSHPublicKey",
        PrivilegeEscalation,
        true,
    ),
    (
        "code as a function's role",
        "lambda:UpdateFunctionCode",
        PrivilegeEscalation,
        true,
    ),
    (
        "a stack's service role",
        "cloudformation:UpdateStack",
        PrivilegeEscalation,
        true,
    ),
    (
        "a project's service role",
        "codebuild:StartBuild",
        PrivilegeEscalation,
        true,
    ),
    (
        "exec into tasks",
        "ecs:ExecuteCommand",
        PrivilegeEscalation,
        true,
    ),
    (
        "permission sets",
        "sso:CreatePermissionSet",
        PrivilegeEscalation,
        true,
    ),
    (
        "users of the identity store",
        "identitystore:CreateUser",
        PrivilegeEscalation,
        true,
    ),
    ("root sessions", "sts:AssumeRoot", PrivilegeEscalation, true),
    (
        "root credentials",
        "sts:assumeroot",
        CredentialExposure,
        true,
    ),
    ("passing a role", "iam:PassRole", PrivilegeEscalation, true),
    (
        "policy versions (cloudsplaining)",
        "iam:CreatePolicyVersion",
        PrivilegeEscalation,
        true,
    ),
    (
        "access keys (cloudsplaining)",
        "iam:CreateAccessKey",
        CredentialExposure,
        true,
    ),
    (
        "blind the account",
        "cloudtrail:StopLogging",
        SecurityControls,
        true,
    ),
    (
        "delete the detector",
        "guardduty:DeleteDetector",
        SecurityControls,
        true,
    ),
    (
        "stop recording",
        "config:StopConfigurationRecorder",
        SecurityControls,
        true,
    ),
    (
        "disable security hub",
        "securityhub:DisableSecurityHub",
        SecurityControls,
        true,
    ),
    (
        "archive findings",
        "access-analyzer:CreateArchiveRule",
        SecurityControls,
        true,
    ),
    ("secrets", "secretsmanager:GetSecretValue", DataAccess, true),
    ("decryption", "kms:Decrypt", DataAccess, true),
    ("objects", "s3:GetObject", DataAccess, true),
    ("items", "dynamodb:PutItem", DataAccess, true),
    (
        "the level",
        "iam:PutRolePolicy",
        PermissionsManagement,
        true,
    ),
    (
        "invoking completes a path only",
        "lambda:InvokeFunction",
        PrivilegeEscalation,
        false,
    ),
    (
        "ECR's token is the caller's own",
        "ecr:GetAuthorizationToken",
        CredentialExposure,
        false,
    ),
    (
        "metrics are nothing",
        "cloudwatch:PutMetricData",
        PrivilegeEscalation,
        false,
    ),
    (
        "reading a queue is data, not escalation",
        "sqs:ReceiveMessage",
        PrivilegeEscalation,
        false,
    ),
    (
        "describing a cluster",
        "eks:DescribeCluster",
        SecurityControls,
        false,
    ),
];

#[test]
fn the_threat_model_actions_carry_their_risks_whatever_their_case() {
    let cases = CASES;
    let risks = risk::get();
    let mut failures = Vec::new();
    for (reason, name, wanted, carried) in cases {
        let (service, action) = name.split_once(':').unwrap();
        let action =
            catalogue::action(service, action).unwrap_or_else(|| panic!("{name} is no action"));
        let got = risks.carries(action, *wanted);
        let source = risks.source(action, *wanted);
        if got != *carried || got == source.is_empty() {
            failures.push(format!(
                "{reason}: {name} {wanted}: want {carried}, got {got} (source {source:?})"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_category_reaches_actions_and_names_are_read_exactly() {
    let risks = risk::get();
    for risk in Risk::ALL {
        assert!(
            risks.count(risk) > 10,
            "{risk}: {} actions",
            risks.count(risk)
        );
        assert_eq!(Risk::parse(risk.as_str()), Some(risk));
        assert_eq!(Risk::parse(&risk.as_str().to_ascii_lowercase()), None);
    }
    assert_eq!(Risk::parse("Privilege"), None);
}

/// What reaches every resource of a kind, as the resources rule reads it,
/// in every partition.
#[test]
fn account_wide_resources_are_told_from_named_ones() {
    use function_eks_pod_identity::iam::arn::is_account_wide;
    let cases = [
        ("*", true),
        ("arn:*", true),
        ("arn:aws:s3:::*", true),
        ("arn:aws-cn:s3:::*/*", true),
        ("arn:aws-us-gov:eks:*:*:cluster/*", true),
        ("arn:aws:secretsmanager:*:*:secret:*", true),
        ("arn:aws:sqs:*:*:*", true),
        ("arn:aws:*:us-east-1:111122223333:thing", true),
        ("arn:aws:s3:::team-a-*", false),
        ("arn:aws:s3:::team-a-data/*", false),
        ("arn:aws:sqs:us-west-2:111122223333:orders", false),
        (
            "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/*",
            false,
        ),
        (
            "arn:aws-cn:dynamodb:cn-north-1:111122223333:table/orders",
            false,
        ),
    ];
    let wrong: Vec<_> = cases
        .iter()
        .filter(|(resource, wide)| is_account_wide(resource) != *wide)
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}
