//! Which associations and agents the clusters and service accounts make,
//! and under which keys: one association per cluster and service account,
//! keyed by what it is, never by where it sits in a list.

use prost_types::Struct;

use crate::compose::keys;
use crate::params::{Cluster, ClusterTarget, Parameters, ServiceAccount};
use crate::protocol::{path, structs};

/// One association to compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair<'a> {
    /// Its composition resource name.
    pub key: String,
    /// The cluster it goes to.
    pub target: &'a ClusterTarget,
    /// The service account it serves.
    pub account: &'a ServiceAccount,
}

/// One agent add-on to compose: one per cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTarget<'a> {
    /// Its composition resource name.
    pub key: String,
    /// The cluster it goes to.
    pub target: &'a ClusterTarget,
}

/// The associations, the first under [`keys::ASSOCIATION`].
///
/// Which pair is first does not depend on the lists' order, so that
/// reordering them moves nothing: it is the pair the observed
/// `podIdentityAssociation` already serves, so that a single-cluster claim
/// that grows a list keeps its association, and otherwise the least pair
/// in (cluster, region, namespace, name) order. The others follow in that
/// order.
#[must_use]
pub fn pairs<'a>(parameters: &'a Parameters, observed_first: Option<&Struct>) -> Vec<Pair<'a>> {
    let mut targets: Vec<(String, &ClusterTarget)> = parameters
        .clusters
        .iter()
        .map(|target| (target.identity(), target))
        .collect();
    targets.sort_by(|a, b| a.0.cmp(&b.0));
    let mut accounts: Vec<&ServiceAccount> = parameters.service_accounts.iter().collect();
    accounts.sort();
    let mut ordered: Vec<(&String, &ClusterTarget, &ServiceAccount)> =
        Vec::with_capacity(targets.len() * accounts.len());
    for (identity, target) in &targets {
        for account in &accounts {
            ordered.push((identity, target, account));
        }
    }
    let first = observed_first
        .and_then(|observed| {
            ordered
                .iter()
                .position(|(_, target, account)| serves(observed, target, account))
        })
        .unwrap_or(0);
    let mut pairs = Vec::with_capacity(ordered.len());
    if first < ordered.len() {
        let (_, target, account) = ordered.remove(first);
        pairs.push(Pair {
            key: keys::ASSOCIATION.to_owned(),
            target,
            account,
        });
    }
    for (identity, target, account) in ordered {
        let readable = format!(
            "{}-{}-{}",
            target.readable(),
            account.namespace,
            account.name
        );
        let identity = format!("{identity}\n{}/{}", account.namespace, account.name);
        pairs.push(Pair {
            key: keys::association(&readable, &identity),
            target,
            account,
        });
    }
    pairs
}

/// The agents: the first pair's cluster's under [`keys::AGENT`], the other
/// clusters' after it.
#[must_use]
pub fn agents<'a>(parameters: &'a Parameters, first: Option<&Pair<'a>>) -> Vec<AgentTarget<'a>> {
    let first_identity = first.map(|pair| pair.target.identity());
    let mut agents = Vec::with_capacity(parameters.clusters.len());
    for target in &parameters.clusters {
        let identity = target.identity();
        let key = if Some(&identity) == first_identity.as_ref() {
            keys::AGENT.to_owned()
        } else {
            keys::agent(target.readable(), &identity)
        };
        agents.push(AgentTarget { key, target });
    }
    agents.sort_by(|a, b| a.key.cmp(&b.key));
    agents
}

/// Whether the observed association serves `account` on `target`.
fn serves(observed: &Struct, target: &ClusterTarget, account: &ServiceAccount) -> bool {
    let Some(spec) = path::object(observed, &["spec", "forProvider"]) else {
        return false;
    };
    let as_json = |key: &str| {
        path::object(spec, &[key]).and_then(|object| structs::struct_to_json(object).ok())
    };
    let cluster = match &target.cluster {
        Cluster::Name(name) => {
            path::text(spec, &["clusterName"]) == Some(name.as_str())
                && path::get(spec, &["clusterNameRef"]).is_none()
                && path::get(spec, &["clusterNameSelector"]).is_none()
        }
        Cluster::Reference(reference) => {
            serde_json::to_value(reference).ok().and_then(object_of) == as_json("clusterNameRef")
        }
        Cluster::Selector(selector) => {
            serde_json::to_value(selector).ok().and_then(object_of)
                == as_json("clusterNameSelector")
        }
    };
    cluster
        && path::text(spec, &["region"]) == Some(target.region.as_str())
        && path::text(spec, &["namespace"]) == Some(account.namespace.as_str())
        && path::text(spec, &["serviceAccount"]) == Some(account.name.as_str())
}

fn object_of(value: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    match value {
        serde_json::Value::Object(object) => Some(object),
        _ => None,
    }
}
