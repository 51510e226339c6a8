//! Well-known permission sets: the IAM permissions that common cluster
//! add-ons publish for themselves, each written from the add-on's own
//! document at a named version, scoped by a few fields.
//!
//! May import: nothing of this crate (it is part of `iam`). It knows no
//! claim and no Crossplane: the caller reads the claim, checks each value
//! with [`Scoping`], and turns an [`Applied`] set into resources.
//!
//! Where AWS maintains a managed policy for an add-on, the set attaches it,
//! so that it stays current without us; an inline document is added only
//! where a scoping field asks for statements the managed policy lacks, or
//! replaces the managed policy where a field scopes what it grants.
//!
//! The partition enters every ARN from outside: the caller derives it from
//! the cluster's region with [`Partition::of_region`] and gives it to
//! [`Scoping::new`], which refuses values of another partition.
//!
//! Output is deterministic: the statements and their keys come in a fixed
//! order, and a field's values are sorted and deduplicated, so that
//! reordering a list in the claim changes nothing.

mod fields;
mod sets;

use std::collections::{BTreeMap, BTreeSet};

use super::arn::Partition;

pub use fields::{Field, FieldDefault, FieldKind, MAX_VALUES, MAX_VALUE_LEN};

/// Where a set's statements come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The document, as a public address.
    pub url: &'static str,
    /// The release (tag) or commit it was read at.
    pub version: &'static str,
    /// The date of that version, `YYYY-MM-DD`.
    pub date: &'static str,
}

/// A cluster add-on with a well-known permission set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddOn {
    /// AWS Load Balancer Controller.
    LoadBalancerController,
    /// `ExternalDNS` with its Route 53 provider.
    ExternalDns,
    /// cert-manager solving ACME DNS-01 challenges in Route 53.
    CertManager,
    /// Kubernetes Cluster Autoscaler on AWS.
    ClusterAutoscaler,
    /// Amazon EBS CSI driver (controller).
    EbsCsiDriver,
    /// Amazon EFS CSI driver (controller).
    EfsCsiDriver,
    /// Mountpoint for Amazon S3 CSI driver.
    MountpointS3CsiDriver,
    /// External Secrets Operator with AWS Secrets Manager and Parameter Store.
    ExternalSecrets,
    /// Velero with its AWS plugin.
    Velero,
    /// Amazon VPC CNI (`aws-node`).
    VpcCni,
    /// Amazon `CloudWatch` Observability: the `CloudWatch` agent and X-Ray.
    CloudWatchObservability,
    /// A collector remote-writing to Amazon Managed Service for Prometheus.
    AmazonManagedPrometheus,
    /// AWS Node Termination Handler (queue processor mode).
    NodeTerminationHandler,
    /// AWS Private CA Issuer for cert-manager.
    PrivateCaIssuer,
}

impl AddOn {
    /// Every add-on, in the order the claim's documentation lists them.
    pub const ALL: [Self; 14] = [
        Self::LoadBalancerController,
        Self::ExternalDns,
        Self::CertManager,
        Self::ClusterAutoscaler,
        Self::EbsCsiDriver,
        Self::EfsCsiDriver,
        Self::MountpointS3CsiDriver,
        Self::ExternalSecrets,
        Self::Velero,
        Self::VpcCni,
        Self::CloudWatchObservability,
        Self::AmazonManagedPrometheus,
        Self::NodeTerminationHandler,
        Self::PrivateCaIssuer,
    ];

    /// The add-on's key under `wellKnownPolicies` in the claim.
    #[must_use]
    pub fn claim_name(self) -> &'static str {
        match self {
            Self::LoadBalancerController => "loadBalancerController",
            Self::ExternalDns => "externalDNS",
            Self::CertManager => "certManager",
            Self::ClusterAutoscaler => "clusterAutoscaler",
            Self::EbsCsiDriver => "ebsCSIDriver",
            Self::EfsCsiDriver => "efsCSIDriver",
            Self::MountpointS3CsiDriver => "mountpointS3CSIDriver",
            Self::ExternalSecrets => "externalSecrets",
            Self::Velero => "velero",
            Self::VpcCni => "vpcCNI",
            Self::CloudWatchObservability => "cloudWatchObservability",
            Self::AmazonManagedPrometheus => "amazonManagedPrometheus",
            Self::NodeTerminationHandler => "nodeTerminationHandler",
            Self::PrivateCaIssuer => "privateCAIssuer",
        }
    }

    /// The add-on a claim key names; `Err` lists the known ones.
    pub fn from_claim_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|add_on| add_on.claim_name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|a| a.claim_name()).collect();
                format!(
                    "{name:?} is not a well-known add-on; known are {}",
                    known.join(", ")
                )
            })
    }

    /// The scoping fields the add-on takes, in a fixed order.
    #[must_use]
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::LoadBalancerController | Self::CloudWatchObservability => &[],
            Self::EfsCsiDriver => &[Field::S3Files],
            Self::ExternalDns | Self::CertManager => &[Field::HostedZoneArns],
            Self::ClusterAutoscaler => &[Field::ClusterNames],
            Self::EbsCsiDriver => &[Field::KmsKeyArns],
            Self::MountpointS3CsiDriver => &[Field::BucketArns, Field::ObjectArns],
            Self::ExternalSecrets => &[
                Field::SecretsManagerArns,
                Field::SsmParameterArns,
                Field::KmsKeyArns,
            ],
            Self::Velero => &[Field::BucketArns, Field::KmsKeyArns],
            Self::VpcCni => &[Field::Ipv6],
            Self::AmazonManagedPrometheus => &[Field::WorkspaceArns],
            Self::NodeTerminationHandler => &[Field::QueueArns, Field::Heartbeats],
            Self::PrivateCaIssuer => &[Field::CertificateAuthorityArns],
        }
    }

    /// The field a claim key names under this add-on; `Err` lists the known
    /// ones.
    pub fn field_named(self, name: &str) -> Result<Field, String> {
        self.fields()
            .iter()
            .copied()
            .find(|field| field.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.fields().iter().map(|f| f.name()).collect();
                if known.is_empty() {
                    format!(
                        "{name:?} is not a scoping field: {} takes none (write true)",
                        self.claim_name()
                    )
                } else {
                    format!(
                        "{name:?} is not a scoping field of {}; known are {}",
                        self.claim_name(),
                        known.join(", ")
                    )
                }
            })
    }

    /// What `field` means when the claim leaves it out; `None` when the
    /// add-on does not take it.
    #[must_use]
    pub fn default_of(self, field: Field) -> Option<FieldDefault> {
        if !self.fields().contains(&field) {
            return None;
        }
        Some(sets::default_of(self, field))
    }

    /// The documents the set is written from, the first being the add-on's
    /// own.
    #[must_use]
    pub fn sources(self) -> &'static [Source] {
        sets::sources(self)
    }

    /// The add-on and the version its set follows, for the XR's status:
    /// `aws-load-balancer-controller v3.5.0`.
    #[must_use]
    pub fn source_version(self) -> &'static str {
        sets::source_version(self)
    }
}

/// Something wrong with one scoping field; the caller adds the path to the
/// field (and `[index]` when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field.
    pub field: Field,
    /// The position of the bad value in the list, when one value is wrong.
    pub index: Option<usize>,
    /// What is wrong, and what was wanted.
    pub message: String,
}

/// The checked scoping values of one add-on, in one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoping {
    add_on: AddOn,
    partition: Partition,
    /// Sorted and deduplicated.
    lists: BTreeMap<Field, Vec<String>>,
    flags: BTreeMap<Field, bool>,
}

impl Scoping {
    /// No fields set: every field at its default.
    #[must_use]
    pub fn new(add_on: AddOn, partition: Partition) -> Self {
        Self {
            add_on,
            partition,
            lists: BTreeMap::new(),
            flags: BTreeMap::new(),
        }
    }

    /// The add-on these values scope.
    #[must_use]
    pub fn add_on(&self) -> AddOn {
        self.add_on
    }

    /// The partition every ARN is in.
    #[must_use]
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// Sets a list field, checking every value; on `Err` nothing is set.
    /// The caller bounds the list to [`MAX_VALUES`] before reading it; more
    /// are refused here as well.
    pub fn set_list<I, S>(&mut self, field: Field, values: I) -> Result<(), Vec<FieldProblem>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let whole = |message: String| {
            vec![FieldProblem {
                field,
                index: None,
                message,
            }]
        };
        if let Err(message) = self.takes(field, FieldKind::List) {
            return Err(whole(message));
        }
        let mut kept = Vec::new();
        let mut problems = Vec::new();
        for (index, value) in values.into_iter().enumerate() {
            if index == MAX_VALUES {
                return Err(whole(format!(
                    "lists more than {MAX_VALUES} values; IAM's inline policy budget of a role would not hold them"
                )));
            }
            let value = value.as_ref();
            match field.check(value, self.partition) {
                Ok(()) => kept.push(value.to_owned()),
                Err(message) => problems.push(FieldProblem {
                    field,
                    index: Some(index),
                    message,
                }),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if kept.is_empty() {
            return Err(whole(
                "is empty; name at least one, or leave the field out for its default".to_owned(),
            ));
        }
        kept.sort_unstable();
        kept.dedup();
        self.lists.insert(field, kept);
        Ok(())
    }

    /// Sets a flag field.
    pub fn set_flag(&mut self, field: Field, value: bool) -> Result<(), FieldProblem> {
        self.takes(field, FieldKind::Flag)
            .map_err(|message| FieldProblem {
                field,
                index: None,
                message,
            })?;
        self.flags.insert(field, value);
        Ok(())
    }

    fn takes(&self, field: Field, kind: FieldKind) -> Result<(), String> {
        if !self.add_on.fields().contains(&field) {
            return Err(format!(
                "is not a scoping field of {}",
                self.add_on.claim_name()
            ));
        }
        if field.kind() != kind {
            return Err(match field.kind() {
                FieldKind::Flag => "takes true or false".to_owned(),
                FieldKind::List => "takes a list of strings".to_owned(),
            });
        }
        Ok(())
    }

    /// The values of a list field, if given.
    fn list(&self, field: Field) -> Option<&[String]> {
        self.lists.get(&field).map(Vec::as_slice)
    }

    /// A flag field, `false` if not given.
    fn flag(&self, field: Field) -> bool {
        self.flags.get(&field).copied().unwrap_or(false)
    }

    /// The set to apply; `Err` names each required field left out.
    pub fn render(&self) -> Result<Applied, Vec<FieldProblem>> {
        let missing: Vec<FieldProblem> = self
            .add_on
            .fields()
            .iter()
            .filter(|&&field| {
                sets::default_of(self.add_on, field) == FieldDefault::Required
                    && !self.lists.contains_key(&field)
            })
            .map(|&field| FieldProblem {
                field,
                index: None,
                message: format!(
                    "is required: {}'s documentation scopes its policy to your own resources, with no wildcard form",
                    self.add_on.claim_name()
                ),
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        Ok(sets::render(self))
    }
}

/// What one set applies to the role.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The add-on.
    pub add_on: AddOn,
    /// AWS managed policies to attach, in a fixed order.
    pub managed_policy_arns: Vec<String>,
    /// One inline policy document, if the set has statements of its own.
    pub inline_policy: Option<serde_json::Value>,
}

impl Applied {
    /// The inline document as compact JSON text, the form the role holds.
    #[must_use]
    pub fn inline_text(&self) -> Option<String> {
        self.inline_policy
            .as_ref()
            .map(serde_json::Value::to_string)
    }

    /// The characters of the inline document that count against IAM's
    /// inline budget of a role (10,240, white space not counted); 0 without
    /// one.
    #[must_use]
    pub fn inline_size(&self) -> usize {
        self.inline_text().map_or(0, |text| {
            text.chars().filter(|c| !c.is_whitespace()).count()
        })
    }

    /// Every action the inline document names, as written (some are IAM
    /// wildcards such as `ssm:GetParameter*`).
    #[must_use]
    pub fn inline_actions(&self) -> BTreeSet<&str> {
        let statements = self
            .inline_policy
            .as_ref()
            .and_then(|policy| policy.get("Statement"))
            .and_then(serde_json::Value::as_array);
        statements
            .into_iter()
            .flatten()
            .filter_map(|statement| {
                statement
                    .get("Action")
                    .and_then(serde_json::Value::as_array)
            })
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .collect()
    }
}
