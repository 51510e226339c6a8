//! The scoping fields of the well-known sets: their claim names, what each
//! defaults to, and the shape of a value IAM would accept for it.
//!
//! Every check is one pass over a value already bounded by [`MAX_VALUE_LEN`],
//! and every refusal says what was expected in words a claim author can act
//! on. The caller adds the field path.

use std::fmt;

use crate::iam::arn::{self, Arn, Partition};

/// The longest value a scoping field takes, in bytes: IAM's limit on one
/// resource ARN in a policy.
pub const MAX_VALUE_LEN: usize = 2048;

/// The most values one scoping field takes. IAM's inline budget (10,240
/// characters per role) runs out well before: the shortest bucket ARN is
/// 16 characters.
pub const MAX_VALUES: usize = 100;

/// Longest value a message quotes in full.
const QUOTED: usize = 80;

/// One scoping field, as the claim spells it under an add-on's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// Route 53 hosted zones whose records the add-on may change.
    HostedZoneArns,
    /// EKS clusters whose Auto Scaling groups the add-on may resize.
    ClusterNames,
    /// KMS keys the add-on may use.
    KmsKeyArns,
    /// S3 buckets the add-on may list.
    BucketArns,
    /// S3 objects the add-on may read and write.
    ObjectArns,
    /// Secrets Manager secrets the add-on may read.
    SecretsManagerArns,
    /// SSM Parameter Store parameters the add-on may read.
    SsmParameterArns,
    /// Whether the cluster runs the IPv6 family.
    Ipv6,
    /// Amazon Managed Service for Prometheus workspaces the add-on may write to.
    WorkspaceArns,
    /// SQS queues the add-on may consume.
    QueueArns,
    /// ACM Private CA certificate authorities the add-on may issue from.
    CertificateAuthorityArns,
    /// Whether the EFS CSI driver also mounts S3 Files file systems.
    S3Files,
    /// Whether Node Termination Handler sends lifecycle heartbeats.
    Heartbeats,
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A list of strings, each checked on its own.
    List,
    /// `true` or `false`.
    Flag,
}

/// What a field means when the claim leaves it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldDefault {
    /// The add-on's documentation grants the statement on every such
    /// resource, and so do we: broad. The text names what it reaches.
    Everything(&'static str),
    /// The documentation names one of the user's own resources, with no
    /// wildcard form: the claim must name them.
    Required,
    /// The statements this field scopes are added only when it is given.
    Omitted,
    /// Each named bucket's objects, `<bucket ARN>/*`.
    EachBucketsObjects,
    /// `false`.
    Off,
}

impl FieldDefault {
    /// Whether the default reaches every resource of its kind in the account.
    #[must_use]
    pub fn is_broad(self) -> bool {
        matches!(self, Self::Everything(_))
    }
}

impl Field {
    /// Every field, in the order of [`Field::name`]'s documentation.
    pub const ALL: [Self; 13] = [
        Self::HostedZoneArns,
        Self::ClusterNames,
        Self::KmsKeyArns,
        Self::BucketArns,
        Self::ObjectArns,
        Self::SecretsManagerArns,
        Self::SsmParameterArns,
        Self::Ipv6,
        Self::WorkspaceArns,
        Self::QueueArns,
        Self::CertificateAuthorityArns,
        Self::S3Files,
        Self::Heartbeats,
    ];

    /// The field's key in the claim.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::HostedZoneArns => "hostedZoneArns",
            Self::ClusterNames => "clusterNames",
            Self::KmsKeyArns => "kmsKeyArns",
            Self::BucketArns => "bucketArns",
            Self::ObjectArns => "objectArns",
            Self::SecretsManagerArns => "secretsManagerArns",
            Self::SsmParameterArns => "ssmParameterArns",
            Self::Ipv6 => "ipv6",
            Self::WorkspaceArns => "workspaceArns",
            Self::QueueArns => "queueArns",
            Self::CertificateAuthorityArns => "certificateAuthorityArns",
            Self::S3Files => "s3Files",
            Self::Heartbeats => "heartbeats",
        }
    }

    /// What the field holds.
    #[must_use]
    pub fn kind(self) -> FieldKind {
        match self {
            Self::Ipv6 | Self::S3Files | Self::Heartbeats => FieldKind::Flag,
            _ => FieldKind::List,
        }
    }

    /// Checks one value of a list field for `partition`; `Err` says what is
    /// wrong and what was wanted. A flag field has no string values.
    pub fn check(self, value: &str, partition: Partition) -> Result<(), String> {
        if value.len() > MAX_VALUE_LEN {
            return Err(format!(
                "{} is {} bytes long; IAM takes at most {MAX_VALUE_LEN}",
                shown(value),
                value.len()
            ));
        }
        match self {
            Self::ClusterNames => check_cluster_name(value),
            Self::Ipv6 | Self::S3Files | Self::Heartbeats => {
                Err("takes true or false, not a string".to_owned())
            }
            arn_field => check_arn(value, partition, arn_shape(arn_field)),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A value as a message quotes it: escaped, and cut when long.
fn shown(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes in all)", &text[..cut], text.len()),
    }
}

/// Checks an EKS cluster name: 1 to 100 letters, digits, `-` and `_`,
/// starting with a letter or digit. It becomes part of a tag key in a
/// condition, where IAM matches no wildcards, so none are allowed.
fn check_cluster_name(name: &str) -> Result<(), String> {
    let shaped = name.len() <= 100
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "{} is not an EKS cluster name (want 1 to 100 letters, digits, - and _, starting with a letter or digit; no wildcards)",
            shown(name)
        ))
    }
}

/// What one ARN field looks like, for its check and its message.
#[derive(Debug, Clone, Copy)]
struct ArnShape {
    /// The service in the ARN.
    service: &'static str,
    /// Whether the ARN has a region and an account (S3 and Route 53 have none).
    regional: bool,
    /// The fixed start of the resource part, if any (`hostedzone/`).
    resource_prefix: &'static str,
    /// What one may write after `resource_prefix`.
    id: IdRule,
    /// What the field names, for messages ("a KMS key").
    noun: &'static str,
    /// The form wanted, with `<p>` for the partition.
    form: &'static str,
}

/// The characters and length an ARN's resource id may have; `*` and `?` are
/// always allowed too, as IAM matches them in a policy's `Resource`.
#[derive(Debug, Clone, Copy)]
enum IdRule {
    /// Capital letters and digits, 1 to 32 (a Route 53 hosted zone id).
    HostedZone,
    /// An S3 bucket name: lowercase letters, digits, `.` and `-`, 3 to 63
    /// (1 to 63 when it has wildcards).
    Bucket,
    /// A bucket name, `/`, then a key pattern of printable ASCII.
    Object,
    /// Letters, digits and `-`, 1 to 128 (KMS key, workspace and CA ids).
    Id,
    /// A Secrets Manager secret name (with its random suffix or a wildcard):
    /// letters, digits and `/_+=.@-`, 1 to 512.
    SecretName,
    /// An SSM parameter name without its leading `/`: letters, digits and
    /// `_.-/`, 1 to 2011 (the ARN's room below IAM's limit).
    ParameterName,
    /// An SQS queue name: letters, digits, `-` and `_`, 1 to 80, `.fifo` may end it.
    QueueName,
}

fn arn_shape(field: Field) -> ArnShape {
    match field {
        Field::HostedZoneArns => ArnShape {
            service: "route53",
            regional: false,
            resource_prefix: "hostedzone/",
            id: IdRule::HostedZone,
            noun: "a Route 53 hosted zone",
            form: "arn:<p>:route53:::hostedzone/<zone id>, such as arn:<p>:route53:::hostedzone/Z1D633PJN98FT9",
        },
        Field::BucketArns => ArnShape {
            service: "s3",
            regional: false,
            resource_prefix: "",
            id: IdRule::Bucket,
            noun: "an S3 bucket",
            form: "arn:<p>:s3:::<bucket name>, such as arn:<p>:s3:::my-bucket",
        },
        Field::ObjectArns => ArnShape {
            service: "s3",
            regional: false,
            resource_prefix: "",
            id: IdRule::Object,
            noun: "S3 objects",
            form: "arn:<p>:s3:::<bucket name>/<key pattern>, such as arn:<p>:s3:::my-bucket/data/*",
        },
        Field::KmsKeyArns => ArnShape {
            service: "kms",
            regional: true,
            resource_prefix: "key/",
            id: IdRule::Id,
            noun: "a KMS key",
            form: "arn:<p>:kms:<region>:<account>:key/<key id>, such as arn:<p>:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        Field::SecretsManagerArns => ArnShape {
            service: "secretsmanager",
            regional: true,
            resource_prefix: "secret:",
            id: IdRule::SecretName,
            noun: "a Secrets Manager secret",
            form: "arn:<p>:secretsmanager:<region>:<account>:secret:<name>, such as arn:<p>:secretsmanager:us-east-1:111122223333:secret:prod/*",
        },
        Field::SsmParameterArns => ArnShape {
            service: "ssm",
            regional: true,
            resource_prefix: "parameter/",
            id: IdRule::ParameterName,
            noun: "an SSM parameter",
            form: "arn:<p>:ssm:<region>:<account>:parameter/<name>, such as arn:<p>:ssm:us-east-1:111122223333:parameter/prod/*",
        },
        Field::WorkspaceArns => ArnShape {
            service: "aps",
            regional: true,
            resource_prefix: "workspace/",
            id: IdRule::Id,
            noun: "an Amazon Managed Service for Prometheus workspace",
            form: "arn:<p>:aps:<region>:<account>:workspace/<workspace id>, such as arn:<p>:aps:us-east-1:111122223333:workspace/ws-1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        Field::QueueArns => ArnShape {
            service: "sqs",
            regional: true,
            resource_prefix: "",
            id: IdRule::QueueName,
            noun: "an SQS queue",
            form: "arn:<p>:sqs:<region>:<account>:<queue name>, such as arn:<p>:sqs:us-east-1:111122223333:node-termination",
        },
        Field::CertificateAuthorityArns => ArnShape {
            service: "acm-pca",
            regional: true,
            resource_prefix: "certificate-authority/",
            id: IdRule::Id,
            noun: "an ACM Private CA certificate authority",
            form: "arn:<p>:acm-pca:<region>:<account>:certificate-authority/<id>, such as arn:<p>:acm-pca:us-east-1:111122223333:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        // Not ARN fields; `Field::check` never asks.
        Field::ClusterNames | Field::Ipv6 | Field::S3Files | Field::Heartbeats => ArnShape {
            service: "",
            regional: false,
            resource_prefix: "",
            id: IdRule::Id,
            noun: "",
            form: "",
        },
    }
}

fn is_wildcard(c: char) -> bool {
    c == '*' || c == '?'
}

/// Checks `arn:<partition>:<service>:<region>:<account>:<resource>` against
/// `shape`, in `partition`.
fn check_arn(text: &str, partition: Partition, shape: ArnShape) -> Result<(), String> {
    let refuse = || {
        Err(format!(
            "{} is not an ARN of {} (want {})",
            shown(text),
            shape.noun,
            shape.form.replace("<p>", partition.as_str())
        ))
    };
    let Some(Arn {
        partition: arn_partition,
        service,
        region,
        account,
        resource,
    }) = Arn::split(text)
    else {
        return refuse();
    };
    if service != shape.service {
        return refuse();
    }
    if arn_partition != partition.as_str() {
        return Err(format!(
            "{} is in partition {}, but the cluster's region is in {}; write arn:{}:{service}:...",
            shown(text),
            shown(arn_partition),
            partition.as_str(),
            partition.as_str(),
        ));
    }
    let place_ok = if shape.regional {
        is_region_pattern(region) && is_account_pattern(account)
    } else {
        region.is_empty() && account.is_empty()
    };
    let Some(id) = resource.strip_prefix(shape.resource_prefix) else {
        return refuse();
    };
    if place_ok && id_fits(id, shape.id) {
        Ok(())
    } else {
        refuse()
    }
}

/// A region such as `us-east-1`, or a pattern of its characters with `*` or `?`.
fn is_region_pattern(region: &str) -> bool {
    if region.chars().any(is_wildcard) {
        return region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || is_wildcard(c));
    }
    arn::is_region(region)
}

/// A 12-digit account id, or a pattern of digits with `*` or `?`.
fn is_account_pattern(account: &str) -> bool {
    if account.chars().any(is_wildcard) {
        return account
            .chars()
            .all(|c| c.is_ascii_digit() || is_wildcard(c));
    }
    arn::is_account_id(account)
}

fn id_fits(id: &str, rule: IdRule) -> bool {
    let wild = id.chars().any(is_wildcard);
    let all = |allowed: fn(char) -> bool| id.chars().all(|c| allowed(c) || is_wildcard(c));
    match rule {
        IdRule::HostedZone => {
            (1..=32).contains(&id.len()) && all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
        IdRule::Bucket => bucket_fits(id, wild),
        IdRule::Object => match id.split_once('/') {
            Some((bucket, key)) => {
                bucket_fits(bucket, bucket.chars().any(is_wildcard))
                    && !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_graphic())
            }
            None => false,
        },
        IdRule::Id => {
            (1..=128).contains(&id.len()) && all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        IdRule::SecretName => {
            (1..=512).contains(&id.len())
                && all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
        }
        IdRule::ParameterName => {
            (1..=2011).contains(&id.len())
                && !id.starts_with('/')
                && all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        }
        IdRule::QueueName => {
            let name = id.strip_suffix(".fifo").unwrap_or(id);
            (1..=80).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || is_wildcard(c))
        }
    }
}

/// A bucket name as S3 accepts it; with wildcards, only its characters and
/// its greatest length are checked.
fn bucket_fits(name: &str, wild: bool) -> bool {
    let chars_ok = name.chars().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' || is_wildcard(c)
    });
    if wild {
        return chars_ok && (1..=63).contains(&name.len());
    }
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    chars_ok
        && (3..=63).contains(&name.len())
        && ends_ok(name.chars().next())
        && ends_ok(name.chars().last())
}

#[cfg(test)]
mod tests {
    use super::{Field, Partition};

    /// Named cases: (name, field, value, accepted, why).
    #[test]
    fn values_are_checked_against_the_shape_of_their_field() {
        let cases = [
            (
                "hosted zone",
                Field::HostedZoneArns,
                "arn:aws:route53:::hostedzone/Z1D633PJN98FT9",
                true,
                "the form ExternalDNS's and cert-manager's docs use",
            ),
            (
                "every hosted zone",
                Field::HostedZoneArns,
                "arn:aws:route53:::hostedzone/*",
                true,
                "IAM wildcards are allowed in the id",
            ),
            (
                "hosted zone in lowercase",
                Field::HostedZoneArns,
                "arn:aws:route53:::hostedzone/z1d633pjn98ft9",
                false,
                "zone ids are capital letters and digits",
            ),
            (
                "hosted zone with a region",
                Field::HostedZoneArns,
                "arn:aws:route53:us-east-1::hostedzone/Z1D633PJN98FT9",
                false,
                "Route 53 ARNs have neither region nor account",
            ),
            (
                "record set instead of zone",
                Field::HostedZoneArns,
                "arn:aws:route53:::change/C2682N5HXP0BZ4",
                false,
                "the field names zones",
            ),
            (
                "bucket",
                Field::BucketArns,
                "arn:aws:s3:::velero-backups",
                true,
                "a bucket name",
            ),
            (
                "bucket with a key",
                Field::BucketArns,
                "arn:aws:s3:::velero-backups/*",
                false,
                "objects go in objectArns",
            ),
            (
                "bucket in capitals",
                Field::BucketArns,
                "arn:aws:s3:::Velero",
                false,
                "S3 refuses capitals in new bucket names",
            ),
            (
                "two-letter bucket",
                Field::BucketArns,
                "arn:aws:s3:::ab",
                false,
                "bucket names are at least 3 characters",
            ),
            (
                "bucket prefix pattern",
                Field::BucketArns,
                "arn:aws:s3:::team-a-*",
                true,
                "a pattern checks characters only",
            ),
            (
                "object prefix",
                Field::ObjectArns,
                "arn:aws:s3:::data-lake/team-a/*",
                true,
                "a key pattern under one bucket",
            ),
            (
                "object without key",
                Field::ObjectArns,
                "arn:aws:s3:::data-lake",
                false,
                "an object ARN has a key part",
            ),
            (
                "KMS key",
                Field::KmsKeyArns,
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                true,
                "a key ARN",
            ),
            (
                "KMS alias",
                Field::KmsKeyArns,
                "arn:aws:kms:us-east-1:111122223333:alias/ebs",
                false,
                "IAM authorizes KMS calls on the key ARN, not on an alias",
            ),
            (
                "KMS key of a short account",
                Field::KmsKeyArns,
                "arn:aws:kms:us-east-1:11112222333:key/abc",
                false,
                "account ids have 12 digits",
            ),
            (
                "every key of one account",
                Field::KmsKeyArns,
                "arn:aws:kms:*:111122223333:key/*",
                true,
                "region and id may be wildcards",
            ),
            (
                "secret prefix",
                Field::SecretsManagerArns,
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-*",
                true,
                "the form external-secrets' docs use",
            ),
            (
                "secret with a space",
                Field::SecretsManagerArns,
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod db",
                false,
                "secret names have no spaces",
            ),
            (
                "parameter path",
                Field::SsmParameterArns,
                "arn:aws:ssm:eu-west-1:111122223333:parameter/prod/*",
                true,
                "a parameter path pattern",
            ),
            (
                "parameter with a doubled slash",
                Field::SsmParameterArns,
                "arn:aws:ssm:eu-west-1:111122223333:parameter//prod",
                false,
                "the ARN drops the name's leading slash",
            ),
            (
                "queue",
                Field::QueueArns,
                "arn:aws:sqs:us-east-1:111122223333:nth-queue",
                true,
                "a queue ARN",
            ),
            (
                "FIFO queue",
                Field::QueueArns,
                "arn:aws:sqs:us-east-1:111122223333:nth.fifo",
                true,
                "FIFO queue names end in .fifo",
            ),
            (
                "queue URL",
                Field::QueueArns,
                "https://sqs.us-east-1.amazonaws.com/111122223333/nth",
                false,
                "a URL is not an ARN",
            ),
            (
                "workspace",
                Field::WorkspaceArns,
                "arn:aws:aps:us-east-1:111122223333:workspace/ws-1234abcd-12ab-34cd-56ef-1234567890ab",
                true,
                "a workspace ARN",
            ),
            (
                "certificate authority",
                Field::CertificateAuthorityArns,
                "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab",
                true,
                "a CA ARN",
            ),
            (
                "certificate authority of ACM",
                Field::CertificateAuthorityArns,
                "arn:aws:acm:us-east-1:111122223333:certificate-authority/1234",
                false,
                "the service is acm-pca",
            ),
            (
                "cluster name",
                Field::ClusterNames,
                "prod-eu_1",
                true,
                "letters, digits, - and _",
            ),
            (
                "cluster pattern",
                Field::ClusterNames,
                "prod-*",
                false,
                "it becomes a tag key in a condition, where IAM matches no wildcards",
            ),
            (
                "empty cluster name",
                Field::ClusterNames,
                "",
                false,
                "EKS cluster names have at least one character",
            ),
            (
                "ipv6 as a string",
                Field::Ipv6,
                "true",
                false,
                "ipv6 is a flag",
            ),
        ];
        for (name, field, value, accepted, why) in cases {
            let got = field.check(value, Partition::Aws);
            assert_eq!(got.is_ok(), accepted, "{name}: {why}; got {got:?}");
        }
    }

    #[test]
    fn an_arn_of_another_partition_names_both() {
        let message = Field::BucketArns
            .check("arn:aws:s3:::velero-backups", Partition::AwsCn)
            .unwrap_err();
        assert!(
            message.contains("partition \"aws\"") && message.contains("region is in aws-cn"),
            "{message}"
        );
    }

    #[test]
    fn a_refusal_shows_the_form_wanted_in_the_clusters_partition() {
        let message = Field::HostedZoneArns
            .check("Z1D633PJN98FT9", Partition::AwsUsGov)
            .unwrap_err();
        assert_eq!(
            message,
            "\"Z1D633PJN98FT9\" is not an ARN of a Route 53 hosted zone (want arn:aws-us-gov:route53:::hostedzone/<zone id>, such as arn:aws-us-gov:route53:::hostedzone/Z1D633PJN98FT9)"
        );
    }

    #[test]
    fn an_overlong_value_is_refused_before_it_is_read() {
        let value = format!("arn:aws:s3:::{}", "a".repeat(4000));
        let message = Field::BucketArns.check(&value, Partition::Aws).unwrap_err();
        assert!(message.contains("4013 bytes long"), "{message}");
        assert!(message.len() < 300, "the value is quoted cut: {message}");
    }
}
