//! The role's trust policy: which principal may assume it, and which
//! service accounts' pods (on which clusters) it is pinned to.

use serde::Serialize;

use crate::params::{Cluster, Parameters, ServiceAccount};

/// The service principal EKS Pod Identity assumes roles as.
pub const POD_IDENTITY_PRINCIPAL: &str = "pods.eks.amazonaws.com";

/// IAM's default limit on a trust policy's length, counted without white
/// space (the quota can be raised to 4,096, but not by a claim).
pub const MAX_TRUST_POLICY: usize = 2048;

/// The trust policy that lets EKS Pod Identity assume the role. With
/// session tags on (the default), each service account gets a statement
/// pinning both its namespace and its name (one statement with two lists
/// would also admit the cross pairs), as AWS recommends; with them off such
/// conditions could never match, so there are none.
///
/// When the XR lists its clusters and every one is a literal name, each
/// statement also requires the cluster's session tag to be one of them. A
/// single `clusterName` adds no such condition, so the roles of existing
/// claims keep their policy's text.
#[must_use]
pub fn trust_policy(parameters: &Parameters) -> String {
    let session_tags = parameters.disable_session_tags != Some(true);
    let cluster_names = cluster_names(parameters);
    let mut accounts: Vec<&ServiceAccount> = parameters.service_accounts.iter().collect();
    // Sorted, so that reordering serviceAccounts changes no byte.
    accounts.sort();
    let statement = if session_tags {
        accounts
            .into_iter()
            .map(|account| statement(Some(account), cluster_names.clone()))
            .collect()
    } else {
        vec![statement(None, None)]
    };
    let policy = TrustPolicy {
        statement,
        version: "2012-10-17",
    };
    // Plain structs of strings always serialize.
    serde_json::to_string(&policy).unwrap_or_default()
}

fn statement<'a>(
    account: Option<&'a ServiceAccount>,
    cluster_names: Option<Vec<&'a str>>,
) -> TrustStatement<'a> {
    TrustStatement {
        action: ["sts:AssumeRole", "sts:TagSession"],
        condition: account.map(|account| Condition {
            string_equals: SessionTags {
                cluster_names,
                namespace: account.namespace.as_str(),
                service_account: account.name.as_str(),
            },
        }),
        effect: "Allow",
        principal: Principal {
            service: POD_IDENTITY_PRINCIPAL,
        },
    }
}

/// Refuses a trust policy longer than IAM takes, naming the field that
/// makes it long.
pub fn check_size(parameters: &Parameters) -> Result<(), String> {
    // The serializer writes no white space: its length is IAM's count.
    let length = trust_policy(parameters).chars().count();
    if length > MAX_TRUST_POLICY {
        return Err(format!(
            "the trust policy for {} service accounts would be {length} characters; IAM allows {MAX_TRUST_POLICY}: list fewer service accounts (or clusters), or split the claim",
            parameters.service_accounts.len()
        ));
    }
    Ok(())
}

/// The listed clusters' names, sorted and once each, when every one is a
/// literal name.
fn cluster_names(parameters: &Parameters) -> Option<Vec<&str>> {
    if !parameters.clusters_listed {
        return None;
    }
    let mut names = parameters
        .clusters
        .iter()
        .map(|target| match &target.cluster {
            Cluster::Name(name) => Some(name.as_str()),
            Cluster::Reference(_) | Cluster::Selector(_) => None,
        })
        .collect::<Option<Vec<&str>>>()?;
    names.sort_unstable();
    names.dedup();
    Some(names)
}

// The trust policy's parts. Fields are in alphabetical order, the order
// this text has always had: a role's policy must not change text, and so
// look changed to the provider, when only the function was upgraded.

#[derive(Serialize)]
struct TrustPolicy<'a> {
    #[serde(rename = "Statement")]
    statement: Vec<TrustStatement<'a>>,
    #[serde(rename = "Version")]
    version: &'static str,
}

#[derive(Serialize)]
struct TrustStatement<'a> {
    #[serde(rename = "Action")]
    action: [&'static str; 2],
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    condition: Option<Condition<'a>>,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Principal")]
    principal: Principal,
}

#[derive(Serialize)]
struct Condition<'a> {
    #[serde(rename = "StringEquals")]
    string_equals: SessionTags<'a>,
}

#[derive(Serialize)]
struct SessionTags<'a> {
    #[serde(
        rename = "aws:RequestTag/eks-cluster-name",
        skip_serializing_if = "Option::is_none"
    )]
    cluster_names: Option<Vec<&'a str>>,
    #[serde(rename = "aws:RequestTag/kubernetes-namespace")]
    namespace: &'a str,
    #[serde(rename = "aws:RequestTag/kubernetes-service-account")]
    service_account: &'a str,
}

#[derive(Serialize)]
struct Principal {
    #[serde(rename = "Service")]
    service: &'static str,
}
