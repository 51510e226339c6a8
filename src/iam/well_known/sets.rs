//! The statements of each well-known set, written from the add-on's own
//! published policy at the version named next to it, with `arn:aws:`
//! replaced by the scoping's partition and the placeholders or wildcards of
//! the original replaced by the scoping fields.
//!
//! `tests/fixtures/well-known/` keeps a copy of each document, and the
//! integration tests compare these statements with it one by one.

use serde_json::{json, Map, Value};

use super::{AddOn, Applied, Field, FieldDefault, Scoping, Source};
use crate::iam::arn::Partition;

/// The policy language version every document declares.
const POLICY_VERSION: &str = "2012-10-17";

/// The resource of a statement that names no resource type.
const ALL: &str = "*";

/// One `Allow` statement.
#[derive(Debug)]
struct Statement {
    sid: Option<&'static str>,
    actions: &'static [&'static str],
    resources: Vec<String>,
    condition: Option<Value>,
}

impl Statement {
    fn new(actions: &'static [&'static str], resources: Vec<String>) -> Self {
        Self {
            sid: None,
            actions,
            resources,
            condition: None,
        }
    }

    fn on_all(actions: &'static [&'static str]) -> Self {
        Self::new(actions, vec![ALL.to_owned()])
    }

    fn sid(mut self, sid: &'static str) -> Self {
        self.sid = Some(sid);
        self
    }

    fn condition(mut self, condition: Value) -> Self {
        self.condition = Some(condition);
        self
    }

    fn into_value(self) -> Value {
        let mut statement = json!({
            "Effect": "Allow",
            "Action": self.actions,
            "Resource": self.resources,
        });
        if let Some(object) = statement.as_object_mut() {
            if let Some(sid) = self.sid {
                object.insert("Sid".to_owned(), Value::from(sid));
            }
            if let Some(condition) = self.condition {
                object.insert("Condition".to_owned(), condition);
            }
        }
        statement
    }
}

fn document(statements: Vec<Statement>) -> Value {
    let statements: Vec<Value> = statements.into_iter().map(Statement::into_value).collect();
    json!({ "Version": POLICY_VERSION, "Statement": statements })
}

/// `arn:<partition>:<rest>` for each of `rests`.
fn arns(partition: Partition, rests: &[&str]) -> Vec<String> {
    rests
        .iter()
        .map(|rest| format!("arn:{}:{rest}", partition.as_str()))
        .collect()
}

/// An AWS managed policy's ARN.
fn managed(partition: Partition, path_and_name: &str) -> String {
    format!("arn:{}:iam::aws:policy/{path_and_name}", partition.as_str())
}

pub(super) fn default_of(add_on: AddOn, field: Field) -> FieldDefault {
    match (add_on, field) {
        (AddOn::ExternalDns | AddOn::CertManager, Field::HostedZoneArns) => {
            FieldDefault::Everything("every Route 53 hosted zone of the account")
        }
        (AddOn::ClusterAutoscaler, Field::ClusterNames) => {
            FieldDefault::Everything("every Auto Scaling group of the account")
        }
        (AddOn::ExternalSecrets, Field::SecretsManagerArns) => FieldDefault::Everything(
            "every Secrets Manager secret of the account, when ssmParameterArns is not given either",
        ),
        (AddOn::AmazonManagedPrometheus, Field::WorkspaceArns) => {
            FieldDefault::Everything("every Prometheus workspace of the account")
        }
        (AddOn::NodeTerminationHandler, Field::QueueArns) => {
            FieldDefault::Everything("every SQS queue of the account")
        }
        (AddOn::MountpointS3CsiDriver | AddOn::Velero, Field::BucketArns)
        | (AddOn::PrivateCaIssuer, Field::CertificateAuthorityArns) => FieldDefault::Required,
        (AddOn::MountpointS3CsiDriver, Field::ObjectArns) => FieldDefault::EachBucketsObjects,
        (AddOn::VpcCni, Field::Ipv6)
        | (AddOn::EfsCsiDriver, Field::S3Files)
        | (AddOn::NodeTerminationHandler, Field::Heartbeats) => FieldDefault::Off,
        // kmsKeyArns everywhere, ssmParameterArns: opt-in statements.
        _ => FieldDefault::Omitted,
    }
}

pub(super) fn render(scoping: &Scoping) -> Applied {
    let add_on = scoping.add_on();
    let partition = scoping.partition();
    let (managed_policy_arns, statements) = match add_on {
        AddOn::LoadBalancerController => (Vec::new(), load_balancer_controller(partition)),
        AddOn::ExternalDns => (Vec::new(), external_dns(scoping)),
        AddOn::CertManager => (Vec::new(), cert_manager(scoping)),
        AddOn::ClusterAutoscaler => (Vec::new(), cluster_autoscaler(scoping)),
        AddOn::EbsCsiDriver => (
            vec![managed(partition, EBS_CSI_MANAGED)],
            ebs_csi_driver(scoping),
        ),
        AddOn::EfsCsiDriver => {
            let mut attached = vec![managed(partition, EFS_CSI_MANAGED)];
            if scoping.flag(Field::S3Files) {
                attached.extend(S3_FILES_MANAGED.iter().map(|name| managed(partition, name)));
            }
            (attached, Vec::new())
        }
        AddOn::MountpointS3CsiDriver => (Vec::new(), mountpoint_s3_csi_driver(scoping)),
        AddOn::ExternalSecrets => (Vec::new(), external_secrets(scoping)),
        AddOn::Velero => (Vec::new(), velero(scoping)),
        AddOn::VpcCni => {
            if scoping.flag(Field::Ipv6) {
                (Vec::new(), vpc_cni_ipv6(partition))
            } else {
                (vec![managed(partition, VPC_CNI_MANAGED)], Vec::new())
            }
        }
        AddOn::CloudWatchObservability => (
            CLOUDWATCH_MANAGED
                .iter()
                .map(|name| managed(partition, name))
                .collect(),
            Vec::new(),
        ),
        AddOn::AmazonManagedPrometheus => match scoping.list(Field::WorkspaceArns) {
            None => (vec![managed(partition, AMP_MANAGED)], Vec::new()),
            Some(workspaces) => (Vec::new(), amazon_managed_prometheus(workspaces)),
        },
        AddOn::NodeTerminationHandler => (Vec::new(), node_termination_handler(scoping)),
        AddOn::PrivateCaIssuer => (Vec::new(), private_ca_issuer(scoping)),
    };
    Applied {
        add_on,
        managed_policy_arns,
        inline_policy: (!statements.is_empty()).then(|| document(statements)),
    }
}

pub(super) fn source_version(add_on: AddOn) -> &'static str {
    match add_on {
        AddOn::LoadBalancerController => "aws-load-balancer-controller v3.5.0",
        AddOn::ExternalDns => "external-dns v0.22.0",
        AddOn::CertManager => "cert-manager v1.21",
        AddOn::ClusterAutoscaler => "cluster-autoscaler 1.36.1",
        AddOn::EbsCsiDriver => "aws-ebs-csi-driver v1.64.0",
        AddOn::EfsCsiDriver => "aws-efs-csi-driver v3.4.1",
        AddOn::MountpointS3CsiDriver => "mountpoint-s3-csi-driver v2.7.0",
        AddOn::ExternalSecrets => "external-secrets v2.9.0",
        AddOn::Velero => "velero-plugin-for-aws 800bcfb",
        AddOn::VpcCni => "amazon-vpc-cni-k8s v1.23.0",
        AddOn::CloudWatchObservability => {
            "amazon-cloudwatch-observability (EKS user guide 2024-12-18)"
        }
        AddOn::AmazonManagedPrometheus => "AmazonPrometheusRemoteWriteAccess v1",
        AddOn::NodeTerminationHandler => "aws-node-termination-handler v1.25.6",
        AddOn::PrivateCaIssuer => "aws-privateca-issuer v1.9.0",
    }
}

pub(super) fn sources(add_on: AddOn) -> &'static [Source] {
    match add_on {
        AddOn::LoadBalancerController => LOAD_BALANCER_CONTROLLER_SOURCES,
        AddOn::ExternalDns => EXTERNAL_DNS_SOURCES,
        AddOn::CertManager => CERT_MANAGER_SOURCES,
        AddOn::ClusterAutoscaler => CLUSTER_AUTOSCALER_SOURCES,
        AddOn::EbsCsiDriver => EBS_CSI_SOURCES,
        AddOn::EfsCsiDriver => EFS_CSI_SOURCES,
        AddOn::MountpointS3CsiDriver => MOUNTPOINT_SOURCES,
        AddOn::ExternalSecrets => EXTERNAL_SECRETS_SOURCES,
        AddOn::Velero => VELERO_SOURCES,
        AddOn::VpcCni => VPC_CNI_SOURCES,
        AddOn::CloudWatchObservability => CLOUDWATCH_SOURCES,
        AddOn::AmazonManagedPrometheus => AMP_SOURCES,
        AddOn::NodeTerminationHandler => NODE_TERMINATION_HANDLER_SOURCES,
        AddOn::PrivateCaIssuer => PRIVATE_CA_ISSUER_SOURCES,
    }
}

// --- AWS Load Balancer Controller ------------------------------------------

/// `docs/install/iam_policy.json`; its `_cn` and `_us-gov` siblings differ
/// only in the partition and in the place of one statement.
const LOAD_BALANCER_CONTROLLER_SOURCES: &[Source] = &[Source {
    url: "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/install/iam_policy.json",
    version: "v3.5.0",
    date: "2026-08-03",
}];

/// The controller's policy, statement for statement. It takes no scoping:
/// its own conditions already confine writes to resources tagged
/// `elbv2.k8s.aws/cluster`.
fn load_balancer_controller(p: Partition) -> Vec<Statement> {
    let request_tag_set = json!({ "Null": { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" } });
    let resource_tag_set = json!({ "Null": { "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } });
    let retagging = json!({ "Null": {
        "aws:RequestTag/elbv2.k8s.aws/cluster": "true",
        "aws:ResourceTag/elbv2.k8s.aws/cluster": "false",
    } });
    let balancers_and_groups = &[
        "elasticloadbalancing:*:*:targetgroup/*/*",
        "elasticloadbalancing:*:*:loadbalancer/net/*/*",
        "elasticloadbalancing:*:*:loadbalancer/app/*/*",
    ];
    vec![
        Statement::on_all(&["iam:CreateServiceLinkedRole"]).condition(json!({
            "StringEquals": { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" }
        })),
        Statement::on_all(&[
            "ec2:DescribeAccountAttributes",
            "ec2:DescribeAddresses",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeVpcs",
            "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeTags",
            "ec2:GetCoipPoolUsage",
            "ec2:DescribeCoipPools",
            "ec2:GetSecurityGroupsForVpc",
            "ec2:DescribeIpamPools",
            "ec2:DescribeRouteTables",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
        ]),
        Statement::on_all(&[
            "cognito-idp:DescribeUserPoolClient",
            "acm:ListCertificates",
            "acm:DescribeCertificate",
            "iam:ListServerCertificates",
            "iam:GetServerCertificate",
            "waf-regional:GetWebACL",
            "waf-regional:GetWebACLForResource",
            "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:AssociateWebACL",
            "wafv2:DisassociateWebACL",
            "shield:GetSubscriptionState",
            "shield:DescribeProtection",
            "shield:CreateProtection",
            "shield:DeleteProtection",
        ]),
        Statement::on_all(&[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
        ]),
        Statement::on_all(&["ec2:CreateSecurityGroup"]),
        Statement::new(&["ec2:CreateTags"], arns(p, &["ec2:*:*:security-group/*"])).condition(
            json!({
                "StringEquals": { "ec2:CreateAction": "CreateSecurityGroup" },
                "Null": { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" },
            }),
        ),
        Statement::new(
            &["ec2:CreateTags", "ec2:DeleteTags"],
            arns(p, &["ec2:*:*:security-group/*"]),
        )
        .condition(retagging.clone()),
        Statement::on_all(&[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup",
        ])
        .condition(resource_tag_set.clone()),
        Statement::on_all(&[
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:CreateTargetGroup",
        ])
        .condition(request_tag_set),
        Statement::on_all(&[
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule",
        ]),
        Statement::new(
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            arns(p, balancers_and_groups),
        )
        .condition(retagging),
        Statement::new(
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            arns(
                p,
                &[
                    "elasticloadbalancing:*:*:listener/net/*/*/*",
                    "elasticloadbalancing:*:*:listener/app/*/*/*",
                    "elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                    "elasticloadbalancing:*:*:listener-rule/app/*/*/*",
                ],
            ),
        ),
        Statement::on_all(&[
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools",
        ])
        .condition(resource_tag_set),
        Statement::new(
            &["elasticloadbalancing:AddTags"],
            arns(p, balancers_and_groups),
        )
        .condition(json!({
            "StringEquals": {
                "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
            },
            "Null": { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" },
        })),
        Statement::new(
            &[
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            arns(p, &["elasticloadbalancing:*:*:targetgroup/*/*"]),
        ),
        Statement::on_all(&[
            "elasticloadbalancing:SetWebAcl",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
        ]),
    ]
}

// --- ExternalDNS -------------------------------------------------------------

/// `docs/tutorials/aws.md`, section "IAM Policy".
const EXTERNAL_DNS_SOURCES: &[Source] = &[Source {
    url: "https://github.com/kubernetes-sigs/external-dns/blob/v0.22.0/docs/tutorials/aws.md",
    version: "v0.22.0",
    date: "2026-08-19",
}];

/// The tutorial's policy; `hostedZoneArns` replaces its
/// `arn:aws:route53:::hostedzone/*`, as its "Further improvements" advise.
fn external_dns(scoping: &Scoping) -> Vec<Statement> {
    vec![
        Statement::new(
            &[
                "route53:ChangeResourceRecordSets",
                "route53:ListResourceRecordSets",
                "route53:ListTagsForResources",
            ],
            hosted_zones(scoping),
        ),
        Statement::on_all(&["route53:ListHostedZones"]),
    ]
}

fn hosted_zones(scoping: &Scoping) -> Vec<String> {
    scoping.list(Field::HostedZoneArns).map_or_else(
        || arns(scoping.partition(), &["route53:::hostedzone/*"]),
        <[String]>::to_vec,
    )
}

// --- cert-manager ------------------------------------------------------------

/// The website's `content/docs/configuration/acme/dns01/route53.md`, the
/// docs of the current release, v1.21 (released 2026-07-08), section "Set
/// up an IAM Policy"; the archived `content/v1.20-docs` page is identical.
const CERT_MANAGER_SOURCES: &[Source] = &[Source {
    url: "https://github.com/cert-manager/website/blob/776e5dba56510fc9de84206b806b568447077f25/content/docs/configuration/acme/dns01/route53.md",
    version: "v1.21 docs",
    date: "2026-07-08",
}];

/// The guide's policy; `hostedZoneArns` replaces its
/// `arn:aws:route53:::hostedzone/*`, as its note suggests. Its condition
/// keeps record changes to TXT records whatever the zones.
fn cert_manager(scoping: &Scoping) -> Vec<Statement> {
    vec![
        Statement::new(
            &["route53:GetChange"],
            arns(scoping.partition(), &["route53:::change/*"]),
        ),
        Statement::new(
            &[
                "route53:ChangeResourceRecordSets",
                "route53:ListResourceRecordSets",
            ],
            hosted_zones(scoping),
        )
        .condition(json!({
            "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] }
        })),
        Statement::on_all(&["route53:ListHostedZonesByName"]),
    ]
}

// --- Cluster Autoscaler ------------------------------------------------------

/// `cluster-autoscaler/cloudprovider/aws/README.md`, section "Full Cluster
/// Autoscaler Features Policy (Recommended)".
const CLUSTER_AUTOSCALER_SOURCES: &[Source] = &[Source {
    url: "https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-1.36.1/cluster-autoscaler/cloudprovider/aws/README.md",
    version: "cluster-autoscaler-1.36.1",
    date: "2026-07-22",
}];

const AUTOSCALER_WRITES: &[&str] = &[
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
];

/// The recommended policy. The README asks to restrict its second
/// statement by tag conditions; `clusterNames` does so with the tag its
/// auto-discovery reads, `k8s.io/cluster-autoscaler/<cluster name>`, present
/// whatever its value (EKS managed node groups set it). Conditions on
/// different keys all have to hold, so each cluster gets its own statement.
fn cluster_autoscaler(scoping: &Scoping) -> Vec<Statement> {
    let mut statements = vec![Statement::on_all(&[
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        "eks:DescribeNodegroup",
    ])];
    match scoping.list(Field::ClusterNames) {
        None => statements.push(Statement::on_all(AUTOSCALER_WRITES)),
        Some(clusters) => statements.extend(clusters.iter().map(|cluster| {
            let mut tag_present = Map::new();
            tag_present.insert(
                format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}"),
                Value::from("false"),
            );
            Statement::on_all(AUTOSCALER_WRITES).condition(json!({ "Null": tag_present }))
        })),
    }
    statements
}

// --- EBS CSI driver ----------------------------------------------------------

/// `docs/install.md`, section "Set up driver permissions": the managed
/// policy's ARN and the statement for encrypted volumes.
const EBS_CSI_SOURCES: &[Source] = &[Source {
    url: "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/v1.64.0/docs/install.md",
    version: "v1.64.0",
    date: "2026-08-17",
}];

/// The managed version of the driver's example policy, which the driver's
/// docs name since v1.59 (April 2026): it scopes writes to volumes and
/// snapshots tagged `ebs.csi.aws.com/cluster: true`, where the older
/// `AmazonEBSCSIDriverPolicy` reached every volume. AWS publishes it with
/// no path: the driver's doc writes `service-role/`, which does not exist
/// (`AttachRolePolicy` answers `NoSuchEntity`); the vendored managed policies
/// are the authority, and a test checks the ARN against them.
const EBS_CSI_MANAGED: &str = "AmazonEBSCSIDriverPolicyV2";

/// The "Encrypted EBS Volumes via KMS" statement, on the keys named instead
/// of the docs' `arn:aws:kms:*:*:key/*`; none without keys, as in the
/// driver's baseline.
fn ebs_csi_driver(scoping: &Scoping) -> Vec<Statement> {
    scoping
        .list(Field::KmsKeyArns)
        .map(|keys| {
            Statement::new(
                &[
                    "kms:Decrypt",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:CreateGrant",
                ],
                keys.to_vec(),
            )
        })
        .into_iter()
        .collect()
}

// --- EFS CSI driver ----------------------------------------------------------

/// `docs/iam-policy-create.md`: the controller role's managed policy.
const EFS_CSI_SOURCES: &[Source] = &[Source {
    url: "https://github.com/kubernetes-sigs/aws-efs-csi-driver/blob/v3.4.1/docs/iam-policy-create.md",
    version: "v3.4.1",
    date: "2026-07-23",
}];

const EFS_CSI_MANAGED: &str = "service-role/AmazonEFSCSIDriverPolicy";

/// The policies the driver's docs add since v3.4.x for S3 Files volumes,
/// attached only with `s3Files: true`: `AmazonS3FilesClientFullAccess`
/// grants mount, write and root access on every S3 Files file system of
/// the account, more than an EFS-only driver needs.
const S3_FILES_MANAGED: &[&str] = &[
    "service-role/AmazonS3FilesCSIDriverPolicy",
    "AmazonS3FilesClientFullAccess",
];

// --- Mountpoint for Amazon S3 CSI driver -------------------------------------

/// The CSI driver's `docs/CONFIGURATION.md` ("AWS Credentials") recommends
/// Mountpoint's own policy, in Mountpoint's `doc/CONFIGURATION.md` ("IAM
/// permissions", general purpose buckets).
const MOUNTPOINT_SOURCES: &[Source] = &[
    Source {
        url: "https://github.com/awslabs/mountpoint-s3-csi-driver/blob/v2.7.0/docs/CONFIGURATION.md",
        version: "v2.7.0",
        date: "2026-06-11",
    },
    Source {
        url: "https://github.com/awslabs/mountpoint-s3/blob/mountpoint-s3-1.23.0/doc/CONFIGURATION.md",
        version: "mountpoint-s3-1.23.0",
        date: "2026-07-21",
    },
];

/// Mountpoint's full-access policy; `bucketArns` replaces its bucket
/// placeholder and `objectArns` (by default each bucket's `/*`) its object one.
fn mountpoint_s3_csi_driver(scoping: &Scoping) -> Vec<Statement> {
    let buckets = scoping.list(Field::BucketArns).unwrap_or_default();
    vec![
        Statement::new(&["s3:ListBucket"], buckets.to_vec()).sid("MountpointFullBucketAccess"),
        Statement::new(
            &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
            ],
            scoping
                .list(Field::ObjectArns)
                .map_or_else(|| objects_of(buckets), <[String]>::to_vec),
        )
        .sid("MountpointFullObjectAccess"),
    ]
}

/// `<bucket>/*` for each bucket ARN, in the buckets' (sorted) order.
fn objects_of(buckets: &[String]) -> Vec<String> {
    buckets.iter().map(|bucket| format!("{bucket}/*")).collect()
}

// --- External Secrets Operator -----------------------------------------------

/// `docs/provider/aws-secrets-manager.md` ("IAM Policy"),
/// `docs/provider/aws-parameter-store.md` ("Fetching Parameters") and
/// `docs/provider/aws-access.md` ("EKS Pod Identity Setup", whose policy
/// reads every secret); the KMS statement follows AWS Secrets Manager's
/// guide, as the operator's docs have none.
const EXTERNAL_SECRETS_SOURCES: &[Source] = &[
    Source {
        url: "https://github.com/external-secrets/external-secrets/blob/v2.9.0/docs/provider/aws-secrets-manager.md",
        version: "v2.9.0",
        date: "2026-08-07",
    },
    Source {
        url: "https://github.com/external-secrets/external-secrets/blob/v2.9.0/docs/provider/aws-parameter-store.md",
        version: "v2.9.0",
        date: "2026-08-07",
    },
    Source {
        url: "https://github.com/external-secrets/external-secrets/blob/v2.9.0/docs/provider/aws-access.md",
        version: "v2.9.0",
        date: "2026-08-07",
    },
    Source {
        url: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
        version: "AWS Secrets Manager User Guide",
        date: "2026-08-22",
    },
];

/// Reading only (no `PushSecret`). With neither store named, Secrets
/// Manager on every secret, as the Pod Identity setup does; naming either
/// store grants exactly the stores named.
fn external_secrets(scoping: &Scoping) -> Vec<Statement> {
    let secrets = scoping.list(Field::SecretsManagerArns);
    let parameters = scoping.list(Field::SsmParameterArns);
    let mut statements = Vec::new();
    if secrets.is_some() || parameters.is_none() {
        statements.push(Statement::on_all(&[
            "secretsmanager:ListSecrets",
            "secretsmanager:BatchGetSecretValue",
        ]));
        statements.push(Statement::new(
            &[
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:ListSecretVersionIds",
            ],
            secrets.map_or_else(|| vec![ALL.to_owned()], <[String]>::to_vec),
        ));
    }
    if let Some(parameters) = parameters {
        statements.push(Statement::new(&["ssm:GetParameter*"], parameters.to_vec()));
    }
    if let Some(keys) = scoping.list(Field::KmsKeyArns) {
        statements.push(Statement::new(&["kms:Decrypt"], keys.to_vec()));
    }
    statements
}

// --- Velero ------------------------------------------------------------------

/// `README.md`, "Set permissions for Velero" (as in v1.13.2) and "KMS
/// Encryption for Volume Restoration", on `main`: no release has the KMS
/// section yet.
const VELERO_SOURCES: &[Source] = &[Source {
    url: "https://github.com/vmware-tanzu/velero-plugin-for-aws/blob/800bcfb14d8e446ddd9aff91a36e551cbf79414d/README.md",
    version: "main 800bcfb (v1.13.2 and its KMS section)",
    date: "2026-02-10",
}];

/// The README's policy; `bucketArns` replaces `arn:aws:s3:::${BUCKET}` and
/// each bucket's `/*` its object placeholder; `kmsKeyArns` adds the KMS
/// statement on the keys named instead of its `key/*`.
fn velero(scoping: &Scoping) -> Vec<Statement> {
    let buckets = scoping.list(Field::BucketArns).unwrap_or_default();
    let mut statements = vec![
        Statement::on_all(&[
            "ec2:DescribeVolumes",
            "ec2:DescribeSnapshots",
            "ec2:CreateTags",
            "ec2:CreateVolume",
            "ec2:CreateSnapshot",
            "ec2:DeleteSnapshot",
        ]),
        Statement::new(
            &[
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:PutObject",
                "s3:PutObjectTagging",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            objects_of(buckets),
        ),
        Statement::new(&["s3:ListBucket"], buckets.to_vec()),
    ];
    if let Some(keys) = scoping.list(Field::KmsKeyArns) {
        statements.push(Statement::new(
            &[
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Encrypt",
                "kms:DescribeKey",
                "kms:Decrypt",
                "kms:CreateGrant",
                "kms:ListGrants",
                "kms:RevokeGrant",
                "kms:RetireGrant",
                "kms:ListRetirableGrants",
            ],
            keys.to_vec(),
        ));
    }
    statements
}

// --- VPC CNI -----------------------------------------------------------------

/// `docs/iam-policy.md`: the IPv4 policy is the managed
/// `AmazonEKS_CNI_Policy`, the IPv6 one has no managed version.
const VPC_CNI_SOURCES: &[Source] = &[Source {
    url: "https://github.com/aws/amazon-vpc-cni-k8s/blob/v1.23.0/docs/iam-policy.md",
    version: "v1.23.0",
    date: "2026-07-31",
}];

const VPC_CNI_MANAGED: &str = "AmazonEKS_CNI_Policy";

/// The "IPv6 mode" policy.
fn vpc_cni_ipv6(p: Partition) -> Vec<Statement> {
    vec![
        Statement::on_all(&[
            "ec2:AssignIpv6Addresses",
            "ec2:DescribeInstances",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeTags",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeInstanceTypes",
        ]),
        Statement::new(
            &["ec2:CreateTags"],
            arns(p, &["ec2:*:*:network-interface/*"]),
        ),
    ]
}

// --- CloudWatch Observability --------------------------------------------------

/// The EKS user guide's `latest/ug/workloads/eks-add-ons.adoc`, section
/// "Amazon `CloudWatch` Observability agent".
const CLOUDWATCH_SOURCES: &[Source] = &[Source {
    url: "https://github.com/awsdocs/amazon-eks-user-guide/blob/4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7/latest/ug/workloads/eks-add-ons.adoc",
    version: "EKS user guide 4d52b4d",
    date: "2024-12-18",
}];

const CLOUDWATCH_MANAGED: [&str; 2] = ["CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"];

// --- Amazon Managed Service for Prometheus -------------------------------------

/// The managed policy AWS keeps for remote writing: `aps:RemoteWrite` on
/// every workspace, version v1 (created 2020-12-19, still the default
/// version in February 2025).
const AMP_SOURCES: &[Source] = &[Source {
    url: "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonPrometheusRemoteWriteAccess.html",
    version: "v1",
    date: "2020-12-19",
}];

const AMP_MANAGED: &str = "AmazonPrometheusRemoteWriteAccess";

/// The managed policy's one statement on the workspaces named, which a
/// managed policy cannot be scoped to.
fn amazon_managed_prometheus(workspaces: &[String]) -> Vec<Statement> {
    vec![Statement::new(&["aps:RemoteWrite"], workspaces.to_vec())]
}

// --- Node Termination Handler --------------------------------------------------

/// `README.md`, "5. Create an IAM Role for the Pods" (queue processor mode).
const NODE_TERMINATION_HANDLER_SOURCES: &[Source] = &[Source {
    url: "https://github.com/aws/aws-node-termination-handler/blob/v1.25.6/README.md",
    version: "v1.25.6",
    date: "2026-04-02",
}];

const TERMINATION_QUEUE_READS: &[&str] = &["sqs:DeleteMessage", "sqs:ReceiveMessage"];

/// The README's Auto Scaling and EC2 actions, and with `heartbeats: true`
/// the action its "Issuing Lifecycle Heartbeats" option calls, which its
/// policy lacks: on `*`, as the statement's `CompleteLifecycleAction`.
const TERMINATION_ACTIONS: &[&str] = &[
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeTags",
    "ec2:DescribeInstances",
];
const TERMINATION_ACTIONS_WITH_HEARTBEATS: &[&str] = &[
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeTags",
    "autoscaling:RecordLifecycleActionHeartbeat",
    "ec2:DescribeInstances",
];
const TERMINATION_ALL: &[&str] = &[
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeTags",
    "ec2:DescribeInstances",
    "sqs:DeleteMessage",
    "sqs:ReceiveMessage",
];
const TERMINATION_ALL_WITH_HEARTBEATS: &[&str] = &[
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeTags",
    "autoscaling:RecordLifecycleActionHeartbeat",
    "ec2:DescribeInstances",
    "sqs:DeleteMessage",
    "sqs:ReceiveMessage",
];

/// The README's one statement on `*`; `queueArns` moves its two SQS actions
/// to a statement of their own on the queues named.
fn node_termination_handler(scoping: &Scoping) -> Vec<Statement> {
    let heartbeats = scoping.flag(Field::Heartbeats);
    match scoping.list(Field::QueueArns) {
        None => vec![Statement::on_all(if heartbeats {
            TERMINATION_ALL_WITH_HEARTBEATS
        } else {
            TERMINATION_ALL
        })],
        Some(queues) => vec![
            Statement::on_all(if heartbeats {
                TERMINATION_ACTIONS_WITH_HEARTBEATS
            } else {
                TERMINATION_ACTIONS
            }),
            Statement::new(TERMINATION_QUEUE_READS, queues.to_vec()),
        ],
    }
}

// --- Private CA Issuer ---------------------------------------------------------

/// `README.md`, "Configuration" IAM policy.
const PRIVATE_CA_ISSUER_SOURCES: &[Source] = &[Source {
    url: "https://github.com/cert-manager/aws-privateca-issuer/blob/v1.9.0/README.md",
    version: "v1.9.0",
    date: "2026-06-12",
}];

/// The README's statement; `certificateAuthorityArns` replaces its
/// `certificate-authority/<resource_id>` placeholder.
fn private_ca_issuer(scoping: &Scoping) -> Vec<Statement> {
    vec![Statement::new(
        &[
            "acm-pca:DescribeCertificateAuthority",
            "acm-pca:GetCertificate",
            "acm-pca:IssueCertificate",
        ],
        scoping
            .list(Field::CertificateAuthorityArns)
            .unwrap_or_default()
            .to_vec(),
    )
    .sid("awspcaissuer")]
}
