//! The role's trust policy: which principal may assume it, and which
//! service accounts' pods (on which clusters) it is pinned to.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compose::Layout;
use crate::params::aws::check_cluster_name;
use crate::params::{Cluster, Parameters, ServiceAccount};
use crate::protocol::path::text;
use crate::protocol::v1::Resource;

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
/// Where clusters are known ([`Clusters`]), each statement also requires
/// the session tag `eks-cluster-name`, which EKS Pod Identity sets to the
/// cluster the pod runs on, to be one of them: a namespace and service
/// account of the same names on another cluster of the account cannot use
/// the role, even once an association exists there.
#[must_use]
pub fn trust_policy(parameters: &Parameters, clusters: &Clusters) -> String {
    let session_tags = parameters.disable_session_tags != Some(true);
    let cluster_names = (!clusters.names.is_empty()).then(|| {
        clusters
            .names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    });
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
pub fn check_size(parameters: &Parameters, clusters: &Clusters) -> Result<(), String> {
    // The serializer writes no white space: its length is IAM's count.
    let length = trust_policy(parameters, clusters).chars().count();
    if length > MAX_TRUST_POLICY {
        return Err(format!(
            "the trust policy for {} service accounts would be {length} characters; IAM allows {MAX_TRUST_POLICY}: list fewer service accounts (or clusters), or split the claim",
            parameters.service_accounts.len()
        ));
    }
    Ok(())
}

/// The clusters a role's trust pins, by name, sorted and once each.
///
/// A literal `clusterName` is known from the claim. A reference or
/// selector is known once the provider has resolved it: it writes the
/// name back into `spec.forProvider.clusterName` of the association it
/// resolved for, and never resolves it again. Until then it adds nothing,
/// and when every cluster is unknown the trust has no cluster condition;
/// once resolved, the next reconcile adds it, an in-place update of the
/// role's trust policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clusters {
    names: Vec<String>,
}

impl Clusters {
    /// Only the literal names: what is known before anything runs.
    #[must_use]
    pub fn literal(parameters: &Parameters) -> Self {
        Self::known(parameters, &Layout::default(), &BTreeMap::new())
    }

    /// The literal names, and the names the observed associations of
    /// `layout` report for the clusters asked for by reference or selector.
    #[must_use]
    pub fn known(
        parameters: &Parameters,
        layout: &Layout<'_>,
        observed: &BTreeMap<String, Resource>,
    ) -> Self {
        let mut names: Vec<String> = Vec::with_capacity(parameters.clusters.len());
        for target in &parameters.clusters {
            if let Cluster::Name(name) = &target.cluster {
                names.push(name.clone());
            }
        }
        // The literal names are all in; the pairs add what the provider
        // resolved for the rest.
        for pair in &layout.pairs {
            if matches!(pair.target.cluster, Cluster::Name(_)) {
                continue;
            }
            if let Some(name) = resolved_cluster(observed, &pair.key) {
                names.push(name.to_owned());
            }
        }
        names.sort_unstable();
        names.dedup();
        Self { names }
    }

    /// The names, sorted.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// The cluster the resource composed under `key` goes to, where it is
/// known: the name the claim gives literally, or else the name the
/// provider resolved a reference or selector to and wrote back.
#[must_use]
pub fn known_cluster<'a>(
    cluster: &'a Cluster,
    observed: &'a BTreeMap<String, Resource>,
    key: &str,
) -> Option<&'a str> {
    match cluster {
        Cluster::Name(name) => Some(name),
        _ => resolved_cluster(observed, key),
    }
}

/// The cluster name the provider resolved for the resource observed under
/// `key`, when it is a name EKS could have given a cluster.
fn resolved_cluster<'o>(observed: &'o BTreeMap<String, Resource>, key: &str) -> Option<&'o str> {
    let body = observed.get(key)?.resource.as_ref()?;
    text(body, &["spec", "forProvider", "clusterName"])
        .filter(|name| check_cluster_name(name).is_ok())
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
