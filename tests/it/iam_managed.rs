//! The vendored AWS managed policies: the file agrees with its recorded
//! version, counts and checksum, every document decodes and reads as IAM
//! reads a policy, and lookups answer as AWS does for ARNs whose fate is
//! known from AWS's own data.

use std::path::Path;

use function_eks_pod_identity::iam::arn::Partition;
use function_eks_pod_identity::iam::managed::{self, Lookup, TEXT};

/// FNV-1a, 64 bits, as `scripts/update-managed-policies` computes it.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn the_file_agrees_with_its_recorded_version_counts_checksum_and_readme() {
    let policies = managed::get();
    assert_eq!(policies.rejected_lines(), 0, "lines the reader skipped");
    let (_, body) = TEXT.split_once('\n').unwrap();
    assert_eq!(
        policies.field("fnv1a64"),
        Some(format!("{:016x}", fnv1a64(body.as_bytes())).as_str()),
        "policies.txt was changed by hand; regenerate it with scripts/update-managed-policies"
    );
    let count = |name: &str| policies.field(name).unwrap().parse::<usize>().unwrap();
    assert_eq!(count("policies"), policies.len());
    assert_eq!(count("strings"), policies.string_count());
    let names: Vec<String> = policies
        .iter()
        .map(|policy| policy.name().to_ascii_lowercase())
        .collect();
    assert!(
        names.windows(2).all(|pair| pair[0] < pair[1]),
        "policies out of order or named twice"
    );
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/aws-managed-policies/README.md"),
    )
    .unwrap();
    let line = format!("Version: `{}`", policies.version());
    assert!(readme.contains(&line), "README lacks {line:?}");
}

#[test]
fn every_document_decodes_and_reads_without_shape_problems() {
    let mut statements = 0;
    for policy in managed::get().iter() {
        let document = policy.document().unwrap_or_else(|error| panic!("{error}"));
        assert!(
            document.shapes.is_empty(),
            "{}: {:?}",
            policy.name(),
            document.shapes
        );
        assert_eq!(
            document.version.given().map(String::as_str),
            Some("2012-10-17")
        );
        assert!(!document.statements.is_empty(), "{}", policy.name());
        // Sids are dropped: IAM gives them no meaning.
        assert!(document
            .statements
            .iter()
            .all(|statement| !statement.sid.is_present()));
        statements += document.statements.len();
        assert_eq!(
            managed::lookup(&policy.arn(Partition::Aws)),
            Lookup::Published(policy)
        );
    }
    assert!(statements > managed::get().len(), "{statements}");
}

#[test]
fn lookups_agree_with_what_aws_publishes() {
    let published = |arn: &str| managed::is_published(arn);
    // Facts from AWS's data, not from this project: the EBS CSI driver's V2
    // policy has no path (its install doc's service-role/ path 404s), V1
    // has one, and the EFS driver's S3 Files policies exist.
    assert!(published(
        "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicyV2"
    ));
    assert!(published(
        "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    ));
    assert!(published(
        "arn:aws:iam::aws:policy/AmazonEBSCSIDriverEKSClusterScopedPolicy"
    ));
    assert!(published(
        "arn:aws:iam::aws:policy/service-role/AmazonS3FilesCSIDriverPolicy"
    ));
    assert!(published(
        "arn:aws:iam::aws:policy/AmazonS3FilesClientFullAccess"
    ));
    assert!(published(
        "arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess"
    ));
    let wrong = managed::lookup("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2");
    let Lookup::Unpublished {
        elsewhere: Some(policy),
    } = wrong
    else {
        panic!("want unpublished, with the real path; got {wrong:?}");
    };
    assert_eq!(
        policy.arn(Partition::Aws),
        "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicyV2"
    );
    // What the V2 document grants is read from it, not restated: it
    // attaches volumes, on a condition.
    let document = policy.document().unwrap();
    assert!(document.statements.iter().any(|statement| statement
        .action
        .given()
        .is_some_and(|actions| actions.texts().any(|action| action == "ec2:AttachVolume"))));
    assert_eq!(
        managed::lookup("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"),
        Lookup::Unpublished { elsewhere: None }
    );
    assert_eq!(
        managed::lookup("arn:aws:iam::123456789012:policy/AmazonEBSCSIDriverPolicyV2"),
        Lookup::NotManaged
    );
}

/// The statements of a vendored managed policy, as JSON.
fn statements_of(name: &str) -> Vec<serde_json::Value> {
    let policy = managed::get().named(name).unwrap();
    let document: serde_json::Value =
        serde_json::from_str(&policy.document_json().unwrap()).unwrap();
    document["Statement"].as_array().unwrap().clone()
}

/// Whether a statement grants `action` on `resource` with no condition.
fn unconditioned(statement: &serde_json::Value, action: &str, resource: &str) -> bool {
    let listed = |field: &serde_json::Value, want: &str| match field {
        serde_json::Value::String(one) => one == want,
        serde_json::Value::Array(many) => many.iter().any(|one| one == want),
        _ => false,
    };
    statement.get("Condition").is_none()
        && listed(&statement["Action"], action)
        && listed(&statement["Resource"], resource)
}

#[test]
fn what_docs_say_of_the_ebs_policies_holds_in_aws_data() {
    // docs/well-known.md: V2 attaches volumes to every instance and reaches
    // every volume a PVC created (migrated in-tree volumes), whichever
    // cluster's.
    let v2 = statements_of("AmazonEBSCSIDriverPolicyV2");
    assert!(v2
        .iter()
        .any(|s| unconditioned(s, "ec2:AttachVolume", "arn:aws:ec2:*:*:instance/*")));
    assert!(v2.iter().any(|s| {
        s["Action"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "ec2:DeleteVolume"))
            && s["Condition"]["StringLike"]["ec2:ResourceTag/kubernetes.io/created-for/pvc/name"]
                == "*"
    }));
    // The cluster-scoped policy ties every volume, snapshot and instance
    // statement that has a condition to the session's eks-cluster-name tag,
    // apart from tagging at creation; nothing reaches instances unconditioned.
    let scoped = statements_of("AmazonEBSCSIDriverEKSClusterScopedPolicy");
    for statement in &scoped {
        let resources = statement["Resource"].to_string();
        if resources == "\"*\"" {
            continue;
        }
        let condition = statement["Condition"].to_string();
        assert!(
            condition.contains("${aws:PrincipalTag/eks-cluster-name}")
                || condition.contains("ec2:CreateAction"),
            "{statement}"
        );
    }
    assert!(!scoped.iter().any(|s| unconditioned(
        s,
        "ec2:AttachVolume",
        "arn:aws:ec2:*:*:instance/*"
    )));
}

#[test]
fn the_s3_files_policies_widen_what_the_efs_driver_may_do() {
    // docs/well-known.md: AmazonS3FilesClientFullAccess grants root access
    // to every S3 Files file system, which is why efsCSIDriver does not
    // attach it unasked.
    let client = statements_of("AmazonS3FilesClientFullAccess");
    assert!(client
        .iter()
        .any(|s| unconditioned(s, "s3files:ClientRootAccess", "*")));
}
