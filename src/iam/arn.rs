//! ARNs as IAM writes them, in one place: the partitions this function
//! serves, the six fields of an ARN, region names and account ids, the
//! characters of IAM names, and whether a `Resource` pattern names one
//! resource (or a tenant's share of them) or every resource of a kind in
//! the account.

use std::fmt;

use super::catalogue::{self, Catalogue};

/// An AWS partition whose ARNs claims may name: the second field of every
/// ARN. The isolated (`aws-iso*`) and sovereign (`aws-eusc`) partitions are
/// not served: their region names are refused before any ARN is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: the China regions.
    AwsCn,
    /// `aws-us-gov`: AWS `GovCloud` (US).
    AwsUsGov,
}

impl Partition {
    /// Every partition served, the commercial one first.
    pub const ALL: [Self; 3] = [Self::Aws, Self::AwsCn, Self::AwsUsGov];

    /// The partition as ARNs spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
        }
    }

    /// The partition an ARN spells `text`, exactly.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|partition| partition.as_str() == text)
    }

    /// The partition of a region name: `cn-*` is `aws-cn`, `us-gov-*` is
    /// `aws-us-gov`, the isolated (`*-iso*-*`) and sovereign (`eusc-*`)
    /// regions are partitions this function does not serve (`None`), and
    /// every other region is `aws`.
    #[must_use]
    pub fn of_region(region: &str) -> Option<Self> {
        let mut words = region.split('-');
        let first = words.next().unwrap_or_default();
        let second = words.next().unwrap_or_default();
        if first == "cn" {
            Some(Self::AwsCn)
        } else if first == "us" && second == "gov" {
            Some(Self::AwsUsGov)
        } else if second.starts_with("iso") || first == "eusc" {
            None
        } else {
            Some(Self::Aws)
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `text` is a partition served, exactly.
#[must_use]
pub fn is_partition(text: &str) -> bool {
    Partition::parse(text).is_some()
}

/// The six fields of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, as
/// written: nothing is checked but their number, and the resource keeps
/// any further colons (`secret:name`, `log-group:/aws/eks:*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// The partition field (any text: see [`Partition::parse`]).
    pub partition: &'a str,
    /// The service prefix: `iam`, `s3`, `eks`...
    pub service: &'a str,
    /// The region, empty for global services.
    pub region: &'a str,
    /// The account id, empty for S3 and Route 53, `aws` for AWS's own.
    pub account: &'a str,
    /// Everything after the account.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` into its fields; `None` unless it starts with `arn:`
    /// and has all six.
    #[must_use]
    pub fn split(text: &'a str) -> Option<Self> {
        let mut fields = text.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return None;
        };
        Some(Self {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// Whether `text` is a 12-digit AWS account id.
#[must_use]
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` has the shape of every AWS region name: a two-letter
/// area, one or more lowercase words, and a number (`us-west-2`,
/// `us-gov-east-1`, `ap-southeast-7`).
#[must_use]
pub fn is_region(text: &str) -> bool {
    let words: Vec<&str> = text.split('-').collect();
    let [area, middle @ .., number] = words.as_slice() else {
        return false;
    };
    let lowercase = |word: &&str| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase());
    area.len() == 2
        && lowercase(area)
        && !middle.is_empty()
        && middle.iter().all(lowercase)
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// Whether IAM allows `c` in a role or policy name.
#[must_use]
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// Whether every character is a wildcard (and there is one).
fn only_wildcards(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c == '*' || c == '?')
}

/// Whether the `Resource` pattern `resource` reaches every resource of a
/// kind in an account (or in every account): `*`, `arn:*`,
/// `arn:aws:s3:::*`, `arn:aws:eks:*:*:cluster/*`,
/// `arn:aws:secretsmanager:*:*:secret:*`. The part after the account is
/// account-wide when every segment is only wildcards, but a first segment
/// that is one of the service's resource type words (`cluster` of
/// `cluster/${ClusterName}`); `arn:aws:s3:::team-a-*` and
/// `arn:aws:sqs:*:*:orders` are not.
#[must_use]
pub fn is_account_wide(resource: &str) -> bool {
    is_account_wide_in(catalogue::get(), resource)
}

/// [`is_account_wide`] against `catalogue`.
#[must_use]
pub fn is_account_wide_in(catalogue: &Catalogue, resource: &str) -> bool {
    if only_wildcards(resource) {
        return true;
    }
    let Some(Arn {
        service,
        resource: rest,
        ..
    }) = Arn::split(resource)
    else {
        // Cut short after a wildcard (`arn:*`, `arn:aws:s3*`): it runs
        // into every field after it.
        return resource.contains(['*', '?']);
    };
    if service.contains(['*', '?']) || only_wildcards(rest) {
        return true;
    }
    let mut segments = rest.split(['/', ':']);
    let first = segments.next().unwrap_or_default();
    if !segments.all(only_wildcards) {
        return false;
    }
    if only_wildcards(first) {
        return true;
    }
    // One segment left after a word: only a resource type's word makes it
    // `TYPE/*`; a lone name (`my-bucket`, `orders`) is one resource.
    rest.len() > first.len()
        && catalogue.service(service).is_some_and(|service| {
            service.resource_types().any(|kind| {
                kind.arn_formats().any(|format| {
                    format
                        .splitn(6, ':')
                        .nth(5)
                        .and_then(|part| part.strip_prefix(first))
                        .is_some_and(|after| after.starts_with(['/', ':']))
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::{is_account_id, is_region, Arn, Partition};

    #[test]
    fn an_arn_splits_into_six_fields_and_keeps_the_resources_colons() {
        let cases = [
            (
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                Some(("aws", "iam", "", "aws", "policy/ReadOnlyAccess")),
            ),
            (
                "arn:aws-cn:logs:cn-north-1:111122223333:log-group:/aws/eks:*",
                Some((
                    "aws-cn",
                    "logs",
                    "cn-north-1",
                    "111122223333",
                    "log-group:/aws/eks:*",
                )),
            ),
            ("arn:aws:s3:::bucket", Some(("aws", "s3", "", "", "bucket"))),
            // Five fields, another scheme, no text at all.
            ("arn:aws:s3::bucket", None),
            ("urn:aws:s3:::bucket", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = Arn::split(text).map(|arn| {
                (
                    arn.partition,
                    arn.service,
                    arn.region,
                    arn.account,
                    arn.resource,
                )
            });
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn region_names_and_account_ids_have_one_shape() {
        for region in ["us-west-2", "us-gov-east-1", "ap-southeast-7", "cn-north-1"] {
            assert!(is_region(region), "{region}");
        }
        for not_region in [
            "",
            "us-west",
            "usa-west-2",
            "us--2",
            "US-west-2",
            "us-west-2a",
            "-west-2",
        ] {
            assert!(!is_region(not_region), "{not_region}");
        }
        assert!(is_account_id("111122223333"));
        for not_account in ["11112222333", "1111222233334", "11112222333a", "aws"] {
            assert!(!is_account_id(not_account), "{not_account}");
        }
    }

    #[test]
    fn every_partition_reads_back_from_its_spelling_and_no_other() {
        for partition in Partition::ALL {
            assert_eq!(Partition::parse(partition.as_str()), Some(partition));
            assert_eq!(partition.to_string(), partition.as_str());
        }
        for other in ["AWS", "aws-iso", "aws-eusc", ""] {
            assert_eq!(Partition::parse(other), None, "{other}");
        }
    }
}
