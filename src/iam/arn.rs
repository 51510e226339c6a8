//! ARNs as IAM policies write them: the partitions, and whether a
//! `Resource` pattern names one resource (or a tenant's share of them) or
//! every resource of a kind in the account.

use super::catalogue::{self, Catalogue};

/// The partitions whose ARNs claims may name.
pub const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// Whether `text` is a partition of [`PARTITIONS`], exactly.
#[must_use]
pub fn is_partition(text: &str) -> bool {
    PARTITIONS.contains(&text)
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
    let fields: Vec<&str> = resource.splitn(6, ':').collect();
    let [_, _, service, _, _, rest] = fields.as_slice() else {
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
