//! The well-known permission sets against the documents they are written
//! from: for every add-on, the set with its defaults and with scoping,
//! compared statement by statement (actions, resources, conditions) with the
//! vendored upstream document, the differences listed case by case; the
//! managed policies named by the add-on's docs; the partitions; determinism;
//! the inline sizes; and every action the sets use against the IAM catalogue,
//! with the lint finding no error in any set.

use std::path::Path;

use function_eks_pod_identity::iam::arn::Partition;
use function_eks_pod_identity::iam::budget::Budget;
use function_eks_pod_identity::iam::catalogue;
use function_eks_pod_identity::iam::lint::{lint, Kind, Severity};
use function_eks_pod_identity::iam::managed::{self, Lookup};
use function_eks_pod_identity::iam::policy::Document;
use function_eks_pod_identity::iam::well_known::{
    AddOn, Applied, Field, FieldDefault, FieldKind, Scoping,
};
use function_eks_pod_identity::params::LINT_BUDGET;
use serde_json::{json, Value};

use crate::support::function::assert_same;

/// Scoping values, shared with `well_known_claims.rs`.
pub(crate) const ZONE_A: &str = "arn:aws:route53:::hostedzone/Z1D633PJN98FT9";
const ZONE_B: &str = "arn:aws:route53:::hostedzone/Z08130423AH4X0Q4EXAMPLE";
pub(crate) const KEY_A: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_B: &str = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
pub(crate) const BUCKET_A: &str = "arn:aws:s3:::backups-prod";
const BUCKET_B: &str = "arn:aws:s3:::backups-staging";
pub(crate) const SECRETS: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/*";
pub(crate) const PARAMETERS: &str = "arn:aws:ssm:us-east-1:111122223333:parameter/prod/*";
pub(crate) const WORKSPACE: &str =
    "arn:aws:aps:us-east-1:111122223333:workspace/ws-1234abcd-12ab-34cd-56ef-1234567890ab";
pub(crate) const QUEUE: &str = "arn:aws:sqs:us-east-1:111122223333:node-termination";
pub(crate) const AUTHORITY: &str = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab";

/// IAM's inline policy budget of one role, white space not counted.
const INLINE_BUDGET: usize = 10_240;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/well-known")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The statements of the first code block of `file` that contains
/// `marker`: a fenced block or a `<pre>` one, from its first `{` to its last
/// `}`, trailing commas (one document has one) dropped. A block holding a
/// single statement gives that statement.
fn upstream(file: &str, marker: &str) -> Vec<Value> {
    let text = fixture(file);
    let mut blocks: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        let fence = trimmed.starts_with("```") || trimmed == "<pre>" || trimmed == "</pre>";
        match (&mut open, fence) {
            (None, true) => open = Some(String::new()),
            (Some(_), true) => blocks.extend(open.take()),
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, false) => {}
        }
    }
    let block = blocks
        .iter()
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("{file}: no code block holds {marker:?}"));
    let json = &block[block.find('{').unwrap()..=block.rfind('}').unwrap()];
    statements_of(&parse_lenient(json), file)
}

/// The statements of a whole JSON file (a policy, or IAM's
/// `GetPolicyVersion` answer).
fn upstream_file(file: &str) -> Vec<Value> {
    let value: Value = serde_json::from_str(&fixture(file)).unwrap();
    let document = value.pointer("/PolicyVersion/Document").unwrap_or(&value);
    statements_of(document, file)
}

fn statements_of(value: &Value, file: &str) -> Vec<Value> {
    match value.get("Statement") {
        Some(Value::Array(statements)) => statements.clone(),
        Some(other) => panic!("{file}: Statement is {other}"),
        None => vec![value.clone()],
    }
}

/// JSON with commas before a closing bracket removed.
fn parse_lenient(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    let mut kept = String::with_capacity(text.len());
    for (at, &c) in chars.iter().enumerate() {
        let before_close = chars[at + 1..]
            .iter()
            .find(|next| !next.is_whitespace())
            .is_some_and(|next| *next == ']' || *next == '}');
        if !(c == ',' && before_close) {
            kept.push(c);
        }
    }
    serde_json::from_str(&kept).unwrap_or_else(|error| panic!("{error}: {kept}"))
}

/// A statement in one canonical form: actions and resources as sorted
/// lists, a condition's single values as one-element lists, no `Effect`
/// (all are `Allow`, asserted here).
fn canonical(statement: &Value) -> Value {
    assert_eq!(statement["Effect"], "Allow", "{statement}");
    let sorted = |value: &Value| -> Value {
        let mut items: Vec<String> = match value {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .map(|item| item.as_str().unwrap().to_owned())
                .collect(),
            other => panic!("not a string or list: {other}"),
        };
        items.sort();
        json!(items)
    };
    let mut out = json!({
        "Action": sorted(&statement["Action"]),
        "Resource": sorted(&statement["Resource"]),
    });
    if let Some(sid) = statement.get("Sid") {
        out["Sid"] = sid.clone();
    }
    if let Some(Value::Object(operators)) = statement.get("Condition") {
        let mut condition = serde_json::Map::new();
        for (operator, keys) in operators {
            let keys: serde_json::Map<String, Value> = keys
                .as_object()
                .unwrap()
                .iter()
                .map(|(key, values)| (key.clone(), sorted(values)))
                .collect();
            condition.insert(operator.clone(), Value::Object(keys));
        }
        out["Condition"] = Value::Object(condition);
    }
    out
}

/// What the scoping changes in the upstream statements, as the test lists it.
enum Difference {
    /// Statement `at` is on these resources instead.
    Resources { at: usize, now: Vec<&'static str> },
    /// Statement `at` becomes these statements, which hold exactly its
    /// actions between them (some in more than one, under different
    /// conditions).
    Split { at: usize, into: Vec<Value> },
    /// Statement `at` also grants these actions, which upstream's policy
    /// lacks though an option of the add-on needs them.
    Added {
        at: usize,
        actions: Vec<&'static str>,
    },
}

/// The upstream statements with the listed differences applied.
fn expected(mut statements: Vec<Value>, differences: Vec<Difference>) -> Vec<Value> {
    // Apply from the last position back, so that a split leaves the
    // positions before it alone.
    let mut differences = differences;
    differences.sort_by_key(|difference| match difference {
        Difference::Resources { at, .. }
        | Difference::Split { at, .. }
        | Difference::Added { at, .. } => std::cmp::Reverse(*at),
    });
    for difference in differences {
        match difference {
            Difference::Resources { at, now } => statements[at]["Resource"] = json!(now),
            Difference::Split { at, into } => {
                let was = canonical(&statements[at])["Action"].clone();
                let mut now: Vec<Value> = into
                    .iter()
                    .flat_map(|s| canonical(s)["Action"].as_array().unwrap().clone())
                    .collect();
                now.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                now.dedup();
                assert_eq!(json!(now), was, "a split keeps exactly the actions");
                statements.splice(at..=at, into);
            }
            Difference::Added { at, actions } => {
                let mut now = canonical(&statements[at])["Action"]
                    .as_array()
                    .unwrap()
                    .clone();
                now.extend(actions.into_iter().map(Value::from));
                statements[at]["Action"] = Value::Array(now);
            }
        }
    }
    statements
}

fn inline_statements(applied: &Applied) -> Vec<Value> {
    applied
        .inline_policy
        .as_ref()
        .map_or_else(Vec::new, |policy| {
            assert_eq!(policy["Version"], "2012-10-17");
            policy["Statement"].as_array().unwrap().clone()
        })
}

fn assert_statements(case: &str, reason: &str, want: &[Value], applied: &Applied) {
    let want: Vec<Value> = want.iter().map(canonical).collect();
    let got: Vec<Value> = inline_statements(applied).iter().map(canonical).collect();
    assert_same(case, reason, &json!(want), &json!(got));
}

fn scoping(add_on: AddOn, lists: &[(Field, &[&str])]) -> Scoping {
    let mut scoping = Scoping::new(add_on, Partition::Aws);
    for (field, values) in lists {
        scoping
            .set_list(*field, values.iter().copied())
            .unwrap_or_else(|problems| panic!("{problems:?}"));
    }
    scoping
}

/// The scoping of `add_on` with the opt-in `flag` turned on.
fn opted_in(add_on: AddOn, flag: Field) -> Scoping {
    let mut scoping = scoping(add_on, &[]);
    scoping
        .set_flag(flag, true)
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    scoping
}

fn render(scoping: &Scoping) -> Applied {
    scoping
        .render()
        .unwrap_or_else(|problems| panic!("{problems:?}"))
}

/// One add-on rendered one way, against its upstream statements.
struct Case {
    name: &'static str,
    /// Why the set looks the way it does.
    reason: &'static str,
    scoping: Scoping,
    /// The upstream statements, in the set's order.
    upstream: Vec<Value>,
    differences: Vec<Difference>,
    /// The managed policies the set attaches.
    managed: Vec<&'static str>,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let applied = render(&case.scoping);
        assert_eq!(applied.add_on, case.scoping.add_on(), "{}", case.name);
        assert_eq!(applied.managed_policy_arns, case.managed, "{}", case.name);
        let want = expected(case.upstream, case.differences);
        assert_statements(case.name, case.reason, &want, &applied);
    }
}

#[test]
fn load_balancer_controller_is_the_controllers_policy_in_every_partition() {
    let aws = render(&Scoping::new(AddOn::LoadBalancerController, Partition::Aws));
    assert!(aws.managed_policy_arns.is_empty());
    assert_statements(
        "aws",
        "no scoping: the controller's own conditions confine it to tagged resources",
        &upstream_file("loadBalancerController.iam_policy.json"),
        &aws,
    );
    // The China and GovCloud documents hold the same statements with their
    // partition, one of them elsewhere in the list.
    for (partition, file) in [
        (
            Partition::AwsCn,
            "loadBalancerController.iam_policy_cn.json",
        ),
        (
            Partition::AwsUsGov,
            "loadBalancerController.iam_policy_us-gov.json",
        ),
    ] {
        let applied = render(&Scoping::new(AddOn::LoadBalancerController, partition));
        let mut want: Vec<String> = upstream_file(file)
            .iter()
            .map(|s| canonical(s).to_string())
            .collect();
        let mut got: Vec<String> = inline_statements(&applied)
            .iter()
            .map(|s| canonical(s).to_string())
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn external_dns_and_cert_manager_are_scoped_to_hosted_zones() {
    let dns = upstream("externalDNS.aws.md", "route53:ListTagsForResources");
    let acme = upstream("certManager.route53.md", "route53:GetChange");
    run(vec![
        Case {
            name: "externalDNS with defaults",
            reason: "the tutorial's policy: every hosted zone",
            scoping: scoping(AddOn::ExternalDns, &[]),
            upstream: dns.clone(),
            differences: vec![],
            managed: vec![],
        },
        Case {
            name: "externalDNS scoped",
            reason: "the zones replace hostedzone/*, as the tutorial's further improvements advise",
            scoping: scoping(
                AddOn::ExternalDns,
                &[(Field::HostedZoneArns, &[ZONE_B, ZONE_A, ZONE_B])],
            ),
            upstream: dns,
            differences: vec![Difference::Resources {
                at: 0,
                now: vec![ZONE_B, ZONE_A],
            }],
            managed: vec![],
        },
        Case {
            name: "certManager with defaults",
            reason: "the guide's policy: TXT records of every hosted zone",
            scoping: scoping(AddOn::CertManager, &[]),
            upstream: acme.clone(),
            differences: vec![],
            managed: vec![],
        },
        Case {
            name: "certManager scoped",
            reason: "the zones replace hostedzone/*, the TXT condition stays",
            scoping: scoping(AddOn::CertManager, &[(Field::HostedZoneArns, &[ZONE_A])]),
            upstream: acme,
            differences: vec![Difference::Resources {
                at: 1,
                now: vec![ZONE_A],
            }],
            managed: vec![],
        },
    ]);
}

#[test]
fn cluster_autoscaler_is_scoped_by_the_auto_discovery_tag_of_each_cluster() {
    let policy = upstream(
        "clusterAutoscaler.README.md",
        "autoscaling:SetDesiredCapacity",
    );
    let write = |cluster: &str| {
        json!({
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": "*",
            "Condition": {"Null": {format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}"): "false"}},
        })
    };
    run(vec![
        Case {
            name: "clusterAutoscaler with defaults",
            reason: "the recommended policy: every Auto Scaling group",
            scoping: scoping(AddOn::ClusterAutoscaler, &[]),
            upstream: policy.clone(),
            differences: vec![],
            managed: vec![],
        },
        Case {
            name: "clusterAutoscaler scoped",
            reason: "the writes only on groups tagged for auto-discovery by each cluster, one statement per cluster (sorted)",
            scoping: scoping(
                AddOn::ClusterAutoscaler,
                &[(Field::ClusterNames, &["prod-eu", "prod-us"])],
            ),
            upstream: policy.clone(),
            differences: vec![Difference::Split {
                at: 1,
                into: vec![write("prod-eu"), write("prod-us")],
            }],
            managed: vec![],
        },
    ]);
}

#[test]
fn the_csi_drivers_attach_their_managed_policies() {
    let install = fixture("ebsCSIDriver.install.md");
    // The driver's doc gives V2 a service-role/ path AWS does not publish;
    // AWS's own data says where it is.
    let documented = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2";
    assert!(install.contains(&format!("available at ARN `{documented}`")));
    let Lookup::Unpublished {
        elsewhere: Some(published),
    } = managed::lookup(documented)
    else {
        panic!("{documented} is not the 404 it was");
    };
    let v2 = "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicyV2";
    assert_eq!(published.arn(Partition::Aws), v2);
    let efs = "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy";
    // The S3 Files policies, at the paths AWS publishes them under, found
    // by name in AWS's data.
    let s3_files: Vec<&'static str> = std::iter::once(efs)
        .chain(
            [
                "AmazonS3FilesCSIDriverPolicy",
                "AmazonS3FilesClientFullAccess",
            ]
            .into_iter()
            .map(|name| {
                // The cases want 'static text; a test may leak it.
                &*managed::get()
                    .named(name)
                    .unwrap()
                    .arn(Partition::Aws)
                    .leak()
            }),
        )
        .collect();
    assert!(fixture("efsCSIDriver.iam-policy-create.md").contains(&format!("--policy-arn {efs}")));
    let kms = upstream(
        "ebsCSIDriver.install.md",
        "kms:GenerateDataKeyWithoutPlaintext",
    );
    run(vec![
        Case {
            name: "ebsCSIDriver with defaults",
            reason: "the managed version of the driver's example policy, no KMS statement as in its baseline",
            scoping: scoping(AddOn::EbsCsiDriver, &[]),
            upstream: vec![],
            differences: vec![],
            managed: vec![v2],
        },
        Case {
            name: "ebsCSIDriver with keys",
            reason: "the docs' KMS statement on the keys named instead of key/*",
            scoping: scoping(AddOn::EbsCsiDriver, &[(Field::KmsKeyArns, &[KEY_B, KEY_A])]),
            upstream: kms,
            differences: vec![Difference::Resources {
                at: 0,
                now: vec![KEY_A, KEY_B],
            }],
            managed: vec![v2],
        },
        Case {
            name: "efsCSIDriver",
            reason: "the controller's managed policy",
            scoping: scoping(AddOn::EfsCsiDriver, &[]),
            upstream: vec![],
            differences: vec![],
            managed: vec![efs],
        },
        Case {
            name: "efsCSIDriver with s3Files",
            reason: "the driver's S3 Files policies, opted into since they grant root access to every S3 Files file system",
            scoping: opted_in(AddOn::EfsCsiDriver, Field::S3Files),
            upstream: vec![],
            differences: vec![],
            managed: s3_files,
        },
    ]);
}

#[test]
fn s3_sets_are_scoped_to_the_buckets_named() {
    let mountpoint = upstream(
        "mountpointS3CSIDriver.mountpoint.CONFIGURATION.md",
        "MountpointFullObjectAccess",
    );
    assert!(fixture("mountpointS3CSIDriver.csi-driver.CONFIGURATION.md")
        .contains("We recommend using [Mountpoint's suggested IAM permission policy]"));
    let mut velero = upstream("velero.README.md", "s3:ListMultipartUploadParts");
    velero.extend(upstream("velero.README.md", "kms:ListRetirableGrants"));
    run(vec![
        Case {
            name: "mountpointS3CSIDriver with buckets",
            reason:
                "the buckets replace the placeholder bucket, their objects the placeholder's /*",
            scoping: scoping(
                AddOn::MountpointS3CsiDriver,
                &[(Field::BucketArns, &[BUCKET_B, BUCKET_A])],
            ),
            upstream: mountpoint.clone(),
            differences: vec![
                Difference::Resources {
                    at: 0,
                    now: vec![BUCKET_A, BUCKET_B],
                },
                Difference::Resources {
                    at: 1,
                    now: vec![
                        "arn:aws:s3:::backups-prod/*",
                        "arn:aws:s3:::backups-staging/*",
                    ],
                },
            ],
            managed: vec![],
        },
        Case {
            name: "mountpointS3CSIDriver with objects",
            reason: "objectArns replaces the buckets' /*",
            scoping: scoping(
                AddOn::MountpointS3CsiDriver,
                &[
                    (Field::BucketArns, &[BUCKET_A]),
                    (Field::ObjectArns, &["arn:aws:s3:::backups-prod/team-a/*"]),
                ],
            ),
            upstream: mountpoint,
            differences: vec![
                Difference::Resources {
                    at: 0,
                    now: vec![BUCKET_A],
                },
                Difference::Resources {
                    at: 1,
                    now: vec!["arn:aws:s3:::backups-prod/team-a/*"],
                },
            ],
            managed: vec![],
        },
        Case {
            name: "velero with a bucket",
            reason: "the bucket replaces ${BUCKET}; no KMS statement without keys",
            scoping: scoping(AddOn::Velero, &[(Field::BucketArns, &[BUCKET_A])]),
            upstream: velero[..3].to_vec(),
            differences: vec![
                Difference::Resources {
                    at: 1,
                    now: vec!["arn:aws:s3:::backups-prod/*"],
                },
                Difference::Resources {
                    at: 2,
                    now: vec![BUCKET_A],
                },
            ],
            managed: vec![],
        },
        Case {
            name: "velero with buckets and keys",
            reason: "the buckets replace ${BUCKET}, the keys the KMS section's key/*",
            scoping: scoping(
                AddOn::Velero,
                &[
                    (Field::BucketArns, &[BUCKET_A, BUCKET_B]),
                    (Field::KmsKeyArns, &[KEY_A]),
                ],
            ),
            upstream: velero,
            differences: vec![
                Difference::Resources {
                    at: 1,
                    now: vec![
                        "arn:aws:s3:::backups-prod/*",
                        "arn:aws:s3:::backups-staging/*",
                    ],
                },
                Difference::Resources {
                    at: 2,
                    now: vec![BUCKET_A, BUCKET_B],
                },
                Difference::Resources {
                    at: 3,
                    now: vec![KEY_A],
                },
            ],
            managed: vec![],
        },
    ]);
}

#[test]
fn sets_without_a_wildcard_form_require_their_resources() {
    for (add_on, field) in [
        (AddOn::MountpointS3CsiDriver, Field::BucketArns),
        (AddOn::Velero, Field::BucketArns),
        (AddOn::PrivateCaIssuer, Field::CertificateAuthorityArns),
    ] {
        assert_eq!(add_on.default_of(field), Some(FieldDefault::Required));
        let problems = Scoping::new(add_on, Partition::Aws).render().unwrap_err();
        assert_eq!(problems.len(), 1, "{add_on:?}");
        assert_eq!(problems[0].field, field);
        assert_eq!(problems[0].index, None);
        assert!(
            problems[0].message.starts_with("is required: "),
            "{}",
            problems[0].message
        );
    }
}

#[test]
fn external_secrets_reads_the_stores_named() {
    let secrets_manager = upstream(
        "externalSecrets.aws-secrets-manager.md",
        "secretsmanager:BatchGetSecretValue",
    );
    let parameter_store = upstream(
        "externalSecrets.aws-parameter-store.md",
        "ssm:GetParameter*",
    );
    // The Pod Identity setup reads every secret: its one statement holds the
    // second statement's actions on "*".
    let pod_identity = upstream(
        "externalSecrets.aws-access.md",
        "secretsmanager:ListSecretVersionIds",
    );
    assert_eq!(pod_identity.len(), 1);
    assert_eq!(
        canonical(&pod_identity[0])["Action"],
        canonical(&secrets_manager[1])["Action"]
    );
    assert_eq!(canonical(&pod_identity[0])["Resource"], json!(["*"]));
    // The operator's docs have no KMS statement: AWS Secrets Manager's guide
    // asks kms:Decrypt on a customer managed key.
    let decrypt = json!({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KEY_A]});
    let both: Vec<Value> = secrets_manager
        .iter()
        .chain(&parameter_store)
        .cloned()
        .chain([decrypt])
        .collect();
    run(vec![
        Case {
            name: "externalSecrets with defaults",
            reason: "every secret, as the Pod Identity setup; no Parameter Store, whose docs give no wildcard form",
            scoping: scoping(AddOn::ExternalSecrets, &[]),
            upstream: secrets_manager.clone(),
            differences: vec![Difference::Resources {
                at: 1,
                now: vec!["*"],
            }],
            managed: vec![],
        },
        Case {
            name: "externalSecrets with both stores and a key",
            reason: "the named secrets and parameters replace the docs' dev-* examples; kms:Decrypt on the key",
            scoping: scoping(
                AddOn::ExternalSecrets,
                &[
                    (Field::SecretsManagerArns, &[SECRETS]),
                    (Field::SsmParameterArns, &[PARAMETERS]),
                    (Field::KmsKeyArns, &[KEY_A]),
                ],
            ),
            upstream: both,
            differences: vec![
                Difference::Resources {
                    at: 1,
                    now: vec![SECRETS],
                },
                Difference::Resources {
                    at: 2,
                    now: vec![PARAMETERS],
                },
            ],
            managed: vec![],
        },
        Case {
            name: "externalSecrets with parameters only",
            reason: "naming a store grants only the stores named",
            scoping: scoping(
                AddOn::ExternalSecrets,
                &[(Field::SsmParameterArns, &[PARAMETERS])],
            ),
            upstream: parameter_store,
            differences: vec![Difference::Resources {
                at: 0,
                now: vec![PARAMETERS],
            }],
            managed: vec![],
        },
    ]);
}

#[test]
fn vpc_cni_attaches_the_managed_policy_for_ipv4_and_writes_the_ipv6_one() {
    let cni = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
    assert!(fixture("vpcCNI.iam-policy.md").contains(&format!("available under: `{cni}`")));
    let mut ipv6 = Scoping::new(AddOn::VpcCni, Partition::Aws);
    ipv6.set_flag(Field::Ipv6, true).unwrap();
    let mut ipv4 = Scoping::new(AddOn::VpcCni, Partition::Aws);
    ipv4.set_flag(Field::Ipv6, false).unwrap();
    run(vec![
        Case {
            name: "vpcCNI with defaults",
            reason: "the IPv4 policy is AmazonEKS_CNI_Policy",
            scoping: Scoping::new(AddOn::VpcCni, Partition::Aws),
            upstream: vec![],
            differences: vec![],
            managed: vec![cni],
        },
        Case {
            name: "vpcCNI ipv4",
            reason: "ipv6: false is the default",
            scoping: ipv4,
            upstream: vec![],
            differences: vec![],
            managed: vec![cni],
        },
        Case {
            name: "vpcCNI ipv6",
            reason: "the IPv6 mode policy, which has no managed version",
            scoping: ipv6,
            upstream: upstream("vpcCNI.iam-policy.md", "ec2:AssignIpv6Addresses"),
            differences: vec![],
            managed: vec![],
        },
    ]);
}

#[test]
fn cloudwatch_observability_attaches_the_agents_and_x_rays_managed_policies() {
    let guide =
        fixture("cloudWatchObservability.eks-add-ons.adoc").replace("{arn-aws}", "arn:aws:");
    let managed = [
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ];
    for arn in managed {
        assert!(
            guide.contains(&format!("--attach-policy-arn {arn}")),
            "{arn}"
        );
    }
    run(vec![Case {
        name: "cloudWatchObservability",
        reason: "the add-on's two managed policies, nothing inline",
        scoping: Scoping::new(AddOn::CloudWatchObservability, Partition::Aws),
        upstream: vec![],
        differences: vec![],
        managed: managed.to_vec(),
    }]);
}

#[test]
fn prometheus_uses_the_managed_policy_until_workspaces_are_named() {
    let remote_write =
        upstream_file("amazonManagedPrometheus.AmazonPrometheusRemoteWriteAccess.json");
    run(vec![
        Case {
            name: "amazonManagedPrometheus with defaults",
            reason: "AWS's managed remote-write policy: every workspace",
            scoping: scoping(AddOn::AmazonManagedPrometheus, &[]),
            upstream: vec![],
            differences: vec![],
            managed: vec!["arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"],
        },
        Case {
            name: "amazonManagedPrometheus scoped",
            reason: "the managed policy's statement on the workspaces named, inline instead of it",
            scoping: scoping(
                AddOn::AmazonManagedPrometheus,
                &[(Field::WorkspaceArns, &[WORKSPACE])],
            ),
            upstream: remote_write,
            differences: vec![Difference::Resources {
                at: 0,
                now: vec![WORKSPACE],
            }],
            managed: vec![],
        },
    ]);
}

#[test]
fn node_termination_handler_and_private_ca_issuer_are_scoped_to_their_resources() {
    let handler = upstream("nodeTerminationHandler.README.md", "sqs:ReceiveMessage");
    let issuer = upstream("privateCAIssuer.README.md", "acm-pca:IssueCertificate");
    run(vec![
        Case {
            name: "nodeTerminationHandler with defaults",
            reason: "the README's statement: every queue",
            scoping: scoping(AddOn::NodeTerminationHandler, &[]),
            upstream: handler.clone(),
            differences: vec![],
            managed: vec![],
        },
        Case {
            name: "nodeTerminationHandler scoped",
            reason: "the two SQS actions move to a statement on the queue",
            scoping: scoping(
                AddOn::NodeTerminationHandler,
                &[(Field::QueueArns, &[QUEUE])],
            ),
            upstream: handler,
            differences: vec![Difference::Split {
                at: 0,
                into: vec![
                    json!({"Effect": "Allow", "Action": [
                        "autoscaling:CompleteLifecycleAction",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeInstances",
                    ], "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"], "Resource": [QUEUE]}),
                ],
            }],
            managed: vec![],
        },
        Case {
            name: "nodeTerminationHandler with heartbeats",
            reason: "its heartbeat option calls RecordLifecycleActionHeartbeat, which the README's policy lacks; on * as CompleteLifecycleAction",
            scoping: opted_in(AddOn::NodeTerminationHandler, Field::Heartbeats),
            upstream: upstream("nodeTerminationHandler.README.md", "sqs:ReceiveMessage"),
            differences: vec![Difference::Added {
                at: 0,
                actions: vec!["autoscaling:RecordLifecycleActionHeartbeat"],
            }],
            managed: vec![],
        },
        Case {
            name: "privateCAIssuer scoped",
            reason: "the certificate authority replaces the README's placeholder",
            scoping: scoping(
                AddOn::PrivateCaIssuer,
                &[(Field::CertificateAuthorityArns, &[AUTHORITY])],
            ),
            upstream: issuer,
            differences: vec![Difference::Resources {
                at: 0,
                now: vec![AUTHORITY],
            }],
            managed: vec![],
        },
    ]);
}

/// One value of a list field, in `partition`.
fn sample(field: Field, partition: Partition) -> String {
    let p = partition.as_str();
    match field {
        Field::HostedZoneArns => format!("arn:{p}:route53:::hostedzone/Z1D633PJN98FT9"),
        Field::ClusterNames => "prod".to_owned(),
        Field::KmsKeyArns => format!("arn:{p}:kms:*:111122223333:key/*"),
        Field::BucketArns => format!("arn:{p}:s3:::backups-prod"),
        Field::ObjectArns => format!("arn:{p}:s3:::backups-prod/a/*"),
        Field::SecretsManagerArns => format!("arn:{p}:secretsmanager:*:111122223333:secret:*"),
        Field::SsmParameterArns => format!("arn:{p}:ssm:*:111122223333:parameter/*"),
        Field::WorkspaceArns => format!("arn:{p}:aps:*:111122223333:workspace/*"),
        Field::QueueArns => format!("arn:{p}:sqs:*:111122223333:*"),
        Field::CertificateAuthorityArns => {
            format!("arn:{p}:acm-pca:*:111122223333:certificate-authority/*")
        }
        Field::Ipv6 | Field::S3Files | Field::Heartbeats => panic!("{field} is a flag"),
    }
}

/// The add-on with the fields `wanted` picks given one sample value each,
/// and its flags on when picked.
fn given(add_on: AddOn, partition: Partition, wanted: fn(AddOn, Field) -> bool) -> Scoping {
    let mut scoping = Scoping::new(add_on, partition);
    for &field in add_on.fields().iter().filter(|&&f| wanted(add_on, f)) {
        if field.kind() == FieldKind::Flag {
            scoping.set_flag(field, true).unwrap();
        } else {
            scoping.set_list(field, [sample(field, partition)]).unwrap();
        }
    }
    scoping
}

/// Every field given.
fn fully_scoped(add_on: AddOn, partition: Partition) -> Scoping {
    given(add_on, partition, |_, _| true)
}

/// Only the required fields given: the set as close to its defaults as it
/// renders.
fn defaults(add_on: AddOn, partition: Partition) -> Scoping {
    given(add_on, partition, |add_on, field| {
        add_on.default_of(field) == Some(FieldDefault::Required)
    })
}

#[test]
fn every_arn_a_set_writes_is_in_the_scopings_partition() {
    for partition in [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov] {
        for add_on in AddOn::ALL {
            for scoping in [defaults(add_on, partition), fully_scoped(add_on, partition)] {
                let applied = render(&scoping);
                let text = format!(
                    "{} {}",
                    applied.managed_policy_arns.join(" "),
                    applied.inline_text().unwrap_or_default()
                );
                for (at, _) in text.match_indices("arn:") {
                    let rest = &text[at + 4..];
                    assert!(
                        rest.starts_with(&format!("{}:", partition.as_str())),
                        "{add_on:?} in {partition:?}: {}",
                        &rest[..rest.len().min(40)]
                    );
                }
            }
        }
    }
}

#[test]
fn the_partition_of_a_region() {
    let cases = [
        ("us-east-1", Some(Partition::Aws)),
        ("eu-central-2", Some(Partition::Aws)),
        ("cn-northwest-1", Some(Partition::AwsCn)),
        ("us-gov-west-1", Some(Partition::AwsUsGov)),
        ("us-iso-east-1", None),
        ("us-isob-east-1", None),
        ("eu-isoe-west-1", None),
        ("eusc-de-east-1", None),
    ];
    for (region, want) in cases {
        assert_eq!(Partition::of_region(region), want, "{region}");
    }
}

#[test]
fn rendering_is_deterministic_and_ignores_the_order_of_values() {
    for add_on in AddOn::ALL {
        let first = render(&fully_scoped(add_on, Partition::Aws));
        let again = render(&fully_scoped(add_on, Partition::Aws));
        assert_eq!(first.inline_text(), again.inline_text(), "{add_on:?}");
        assert_eq!(first.managed_policy_arns, again.managed_policy_arns);
    }
    let forward = scoping(
        AddOn::ExternalDns,
        &[(Field::HostedZoneArns, &[ZONE_A, ZONE_B])],
    );
    let backward = scoping(
        AddOn::ExternalDns,
        &[(Field::HostedZoneArns, &[ZONE_B, ZONE_A, ZONE_A])],
    );
    assert_eq!(forward, backward);
    assert_eq!(
        render(&forward).inline_text(),
        render(&backward).inline_text()
    );
}

#[test]
fn claim_names_and_field_names_round_trip_and_refusals_list_what_is_known() {
    for add_on in AddOn::ALL {
        assert_eq!(AddOn::from_claim_name(add_on.claim_name()), Ok(add_on));
        for &field in add_on.fields() {
            assert_eq!(add_on.field_named(field.name()), Ok(field));
            assert!(add_on.default_of(field).is_some());
        }
        assert!(!add_on.sources().is_empty());
        for source in add_on.sources() {
            assert_eq!(source.date.len(), 10, "{source:?}");
        }
    }
    let message = AddOn::from_claim_name("externalDns").unwrap_err();
    assert!(message.contains("externalDNS"), "{message}");
    assert_eq!(
        AddOn::ExternalDns.field_named("zones").unwrap_err(),
        "\"zones\" is not a scoping field of externalDNS; known are hostedZoneArns"
    );
    assert_eq!(
        AddOn::LoadBalancerController
            .field_named("vpcId")
            .unwrap_err(),
        "\"vpcId\" is not a scoping field: loadBalancerController takes none (write true)"
    );
    assert_eq!(
        AddOn::LoadBalancerController.default_of(Field::BucketArns),
        None
    );
}

#[test]
fn scoping_refuses_values_by_position_and_keeps_nothing_on_refusal() {
    let mut scoping = Scoping::new(AddOn::ExternalDns, Partition::Aws);
    let problems = scoping
        .set_list(
            Field::HostedZoneArns,
            [
                ZONE_A,
                "Z1D633PJN98FT9",
                "arn:aws-cn:route53:::hostedzone/Z1",
            ],
        )
        .unwrap_err();
    let positions: Vec<Option<usize>> = problems.iter().map(|p| p.index).collect();
    assert_eq!(positions, vec![Some(1), Some(2)]);
    assert_eq!(scoping, Scoping::new(AddOn::ExternalDns, Partition::Aws));

    let empty = scoping
        .set_list(Field::HostedZoneArns, Vec::<String>::new())
        .unwrap_err();
    assert_eq!(empty[0].index, None);
    assert!(
        empty[0].message.starts_with("is empty"),
        "{}",
        empty[0].message
    );

    let foreign = scoping.set_list(Field::BucketArns, [BUCKET_A]).unwrap_err();
    assert_eq!(foreign[0].message, "is not a scoping field of externalDNS");
    let flag = scoping.set_flag(Field::HostedZoneArns, true).unwrap_err();
    assert_eq!(flag.message, "takes a list of strings");

    let too_many: Vec<String> = (0..=100)
        .map(|n| format!("arn:aws:route53:::hostedzone/Z{n}"))
        .collect();
    let problems = scoping
        .set_list(Field::HostedZoneArns, &too_many)
        .unwrap_err();
    assert!(
        problems[0].message.starts_with("lists more than 100"),
        "{problems:?}"
    );
}

#[test]
fn broad_defaults_are_the_ones_the_docs_list() {
    let broad: Vec<(AddOn, Field)> = AddOn::ALL
        .into_iter()
        .flat_map(|add_on| add_on.fields().iter().map(move |&field| (add_on, field)))
        .filter(|&(add_on, field)| add_on.default_of(field).is_some_and(FieldDefault::is_broad))
        .collect();
    assert_eq!(
        broad,
        vec![
            (AddOn::ExternalDns, Field::HostedZoneArns),
            (AddOn::CertManager, Field::HostedZoneArns),
            (AddOn::ClusterAutoscaler, Field::ClusterNames),
            (AddOn::ExternalSecrets, Field::SecretsManagerArns),
            (AddOn::AmazonManagedPrometheus, Field::WorkspaceArns),
            (AddOn::NodeTerminationHandler, Field::QueueArns),
        ]
    );
}

/// Each set's inline size with its defaults (and its required fields with
/// one value each) and fully scoped with one value per field: IAM counts
/// 10,240 characters of inline policy per role, white space not counted.
#[test]
fn inline_sizes_are_as_listed_and_fit_a_role() {
    let sizes: Vec<(AddOn, usize, usize)> = AddOn::ALL
        .into_iter()
        .map(|add_on| {
            let default = render(&defaults(add_on, Partition::Aws)).inline_size();
            let scoped = render(&fully_scoped(add_on, Partition::Aws)).inline_size();
            (add_on, default, scoped)
        })
        .collect();
    let want = vec![
        (AddOn::LoadBalancerController, 5222, 5222),
        (AddOn::ExternalDns, 286, 299),
        (AddOn::CertManager, 451, 464),
        (AddOn::ClusterAutoscaler, 538, 618),
        (AddOn::EbsCsiDriver, 0, 186),
        (AddOn::EfsCsiDriver, 0, 0),
        (AddOn::MountpointS3CsiDriver, 342, 344),
        (AddOn::ExternalSecrets, 335, 576),
        (AddOn::Velero, 495, 756),
        (AddOn::VpcCni, 0, 363),
        (AddOn::CloudWatchObservability, 0, 0),
        (AddOn::AmazonManagedPrometheus, 0, 140),
        (AddOn::NodeTerminationHandler, 258, 377),
        (AddOn::PrivateCaIssuer, 250, 250),
    ];
    assert_eq!(sizes, want);
    for (add_on, default, scoped) in sizes {
        assert!(
            default <= INLINE_BUDGET && scoped <= INLINE_BUDGET,
            "{add_on:?}"
        );
    }
}

/// Every action the inline documents use, in every partition and scoping,
/// names actions of the vendored IAM catalogue, and the lint finds no
/// error in any set: a set that grants nothing it means to would fail the
/// add-on at run time, far from the claim.
#[test]
fn every_set_uses_known_actions_and_lints_without_errors() {
    let catalogue = catalogue::get();
    for partition in [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov] {
        for add_on in AddOn::ALL {
            for scoping in [defaults(add_on, partition), fully_scoped(add_on, partition)] {
                let applied = render(&scoping);
                for action in applied.inline_actions() {
                    assert!(
                        catalogue.matching(action, None).next().is_some(),
                        "{add_on:?}: {action} names no action of the catalogue {}",
                        catalogue.version()
                    );
                }
                let Some(document) = &applied.inline_policy else {
                    continue;
                };
                let findings = lint(
                    &Document::read(document),
                    Kind::Identity,
                    &Budget::new(LINT_BUDGET),
                );
                let errors: Vec<String> = findings
                    .iter()
                    .filter(|finding| finding.severity() == Severity::Error)
                    .map(ToString::to_string)
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{add_on:?} in {partition:?}: {errors:#?}"
                );
            }
        }
    }
}

/// Every managed policy ARN a well-known set attaches, in every partition
/// the sets are offered in, is one AWS publishes: a fact checked against
/// AWS's own data, not a copy of the same string. The data lists the
/// commercial partition; China and `GovCloud` ARNs are checked by the same
/// path and name.
#[test]
fn every_managed_policy_a_set_attaches_is_published() {
    let mut checked = 0;
    for add_on in AddOn::ALL {
        for partition in [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov] {
            let mut scoping = Scoping::new(add_on, partition);
            // Every flag on: opt-in fields attach policies too.
            for &field in add_on.fields() {
                if field.kind() == FieldKind::Flag {
                    scoping.set_flag(field, true).unwrap();
                }
            }
            let arn = |rest: &str| format!("arn:{}:{rest}", partition.as_str());
            for (field, value) in [
                (Field::BucketArns, arn("s3:::backups")),
                (
                    Field::CertificateAuthorityArns,
                    arn("acm-pca:eu-west-1:111122223333:certificate-authority/ca"),
                ),
            ] {
                if add_on.fields().contains(&field) {
                    scoping.set_list(field, [value.as_str()]).unwrap();
                }
            }
            let applied = render(&scoping);
            for arn in &applied.managed_policy_arns {
                let found = managed::lookup(arn);
                assert!(
                    matches!(found, Lookup::Published(_)),
                    "{} in {}: {arn} is {found:?}",
                    add_on.claim_name(),
                    partition.as_str()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 14, "{checked}");
}
