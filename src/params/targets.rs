//! Where the role is used: the clusters and service accounts an XR lists
//! (or names singly), the association to adopt, and the labels for every
//! composed resource.

use std::collections::BTreeMap;

use serde_json::Value;

use super::aws::{self, AssociationId, Region};
use super::reader::{child, describe, index, Found, Path, Reader, PARAMETERS_PATH};
use super::{Cluster, ClusterReference, ClusterSelector, ClusterTarget, Scope, ServiceAccount};

/// Most clusters one XR may list.
pub const MAX_CLUSTERS: usize = 10;
/// Most service accounts one XR may list.
pub const MAX_SERVICE_ACCOUNTS: usize = 10;
/// Most associations (clusters times service accounts) one XR may compose.
pub const MAX_ASSOCIATIONS: usize = 50;

const CLUSTER_FIELDS: [&str; 3] = ["clusterName", "clusterNameRef", "clusterNameSelector"];

/// The `clusters` list, or the single cluster fields as a one-entry list.
pub(super) fn read_clusters(
    reader: &mut Reader<'_>,
    scope: Scope,
    region: Option<&Region>,
) -> Option<Vec<ClusterTarget>> {
    let Some(list) = reader.own("clusters") else {
        let given: Vec<Found<'_, '_>> = CLUSTER_FIELDS
            .into_iter()
            .filter_map(|key| reader.own(key))
            .collect();
        let cluster = read_cluster(reader, &given, PARAMETERS_PATH, scope)?;
        return Some(vec![ClusterTarget {
            cluster,
            region: region?.clone(),
        }]);
    };
    if let Some(single) = CLUSTER_FIELDS.into_iter().find_map(|key| reader.own(key)) {
        reader.problems.add(
            list.path,
            format!(
                "give either clusters or {}, not both",
                single.path.key().unwrap_or_default()
            ),
        );
        return None;
    }
    let items = reader.array(&list)?;
    if items.is_empty() || items.len() > MAX_CLUSTERS {
        reader.problems.add(
            list.path,
            format!("{} clusters; give 1 to {MAX_CLUSTERS}", items.len()),
        );
        return None;
    }
    let mut clusters = Vec::with_capacity(items.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut complete = true;
    for (position, value) in items.iter().enumerate() {
        let item = Found {
            value,
            path: index(&list, position),
        };
        let Some(object) = reader.object(&item) else {
            complete = false;
            continue;
        };
        let given: Vec<Found<'_, '_>> = CLUSTER_FIELDS
            .into_iter()
            .filter_map(|key| {
                object
                    .get(key)
                    .filter(|value| !value.is_null())
                    .map(|value| Found {
                        value,
                        path: child(&item, key),
                    })
            })
            .collect();
        if let Some(unknown) = object
            .keys()
            .find(|key| !CLUSTER_FIELDS.contains(&key.as_str()) && *key != "region")
        {
            reader.problems.add(
                child(&item, unknown),
                "unknown field; a cluster entry holds one of clusterName, clusterNameRef and clusterNameSelector, and optionally region",
            );
            complete = false;
        }
        let cluster = read_cluster(reader, &given, &item.path.to_string(), scope);
        let own_region = object
            .get("region")
            .filter(|value| !value.is_null())
            .map(|value| Found {
                value,
                path: child(&item, "region"),
            });
        let region = match own_region {
            Some(found) => reader.checked(Some(found), Region::parse),
            None => region.cloned(),
        };
        let (Some(cluster), Some(region)) = (cluster, region) else {
            complete = false;
            continue;
        };
        let target = ClusterTarget { cluster, region };
        if let Some(first) = seen.insert(target.identity(), position) {
            reader.problems.add(
                item.path,
                format!(
                    "the same cluster as clusters[{first}]; each cluster (in its region) may be listed once"
                ),
            );
            complete = false;
        }
        clusters.push(target);
    }
    complete.then_some(clusters)
}

/// The cluster of the one field in `given`, all found in the object at
/// `parent`.
pub(super) fn read_cluster<'a>(
    reader: &mut Reader<'a>,
    given: &[Found<'a, '_>],
    parent: &str,
    scope: Scope,
) -> Option<Cluster> {
    let [found] = given else {
        let message = if given.is_empty() {
            "required: one of clusterName, clusterNameRef or clusterNameSelector"
        } else {
            "give exactly one of clusterName, clusterNameRef and clusterNameSelector, not several"
        };
        reader
            .problems
            .add(format!("{parent}.clusterName"), message);
        return None;
    };
    let found = Found {
        value: found.value,
        path: found.path,
    };
    let cluster = if found.path.key() == Some("clusterName") {
        reader
            .checked(Some(found), |name| {
                aws::check_cluster_name(name).map(|()| name.to_owned())
            })
            .map(Cluster::Name)?
    } else if found.path.key() == Some("clusterNameRef") {
        let path = found.path;
        let reference: ClusterReference =
            reader.typed(Some(found), "a reference such as {name: my-cluster}")?;
        if reference.name.is_empty() {
            reader
                .problems
                .add(format!("{path}.name"), "required: the Cluster's name");
        }
        namespace_only_when_namespaced(reader, reference.namespace.as_ref(), path, scope);
        Cluster::Reference(reference)
    } else {
        let path = found.path;
        let selector: ClusterSelector = reader.typed(
            Some(found),
            "a selector such as {matchLabels: {name: my-cluster}} or {matchControllerRef: true}",
        )?;
        namespace_only_when_namespaced(reader, selector.namespace.as_ref(), path, scope);
        Cluster::Selector(selector)
    };
    Some(cluster)
}

pub(super) fn namespace_only_when_namespaced(
    reader: &mut Reader<'_>,
    namespace: Option<&String>,
    path: Path<'_>,
    scope: Scope,
) {
    if namespace.is_some() && scope == Scope::Cluster {
        reader.problems.add(
            format!("{path}.namespace"),
            "only a namespaced XR can refer to a namespace; a cluster-scoped XR's managed resources are cluster-scoped",
        );
    }
}

/// The `serviceAccounts` list, or the single `serviceAccount` as a
/// one-entry list.
pub(super) fn read_service_accounts(reader: &mut Reader<'_>) -> Option<Vec<ServiceAccount>> {
    let Some(list) = reader.own("serviceAccounts") else {
        let found = reader.required(
            reader.own("serviceAccount"),
            "serviceAccount",
            "the service account, as {name, namespace}",
        )?;
        return read_service_account(reader, &found).map(|account| vec![account]);
    };
    if let Some(single) = reader.own("serviceAccount") {
        reader.problems.add(
            single.path,
            "give either serviceAccount or serviceAccounts, not both",
        );
        return None;
    }
    let items = reader.array(&list)?;
    if items.is_empty() || items.len() > MAX_SERVICE_ACCOUNTS {
        reader.problems.add(
            list.path,
            format!(
                "{} service accounts; give 1 to {MAX_SERVICE_ACCOUNTS}",
                items.len()
            ),
        );
        return None;
    }
    let mut accounts = Vec::with_capacity(items.len());
    let mut seen: BTreeMap<ServiceAccount, usize> = BTreeMap::new();
    let mut complete = true;
    for (position, value) in items.iter().enumerate() {
        let item = Found {
            value,
            path: index(&list, position),
        };
        let Some(account) = read_service_account(reader, &item) else {
            complete = false;
            continue;
        };
        if let Some(first) = seen.insert(account.clone(), position) {
            reader.problems.add(
                item.path,
                format!("the same service account as serviceAccounts[{first}]; list each once"),
            );
            complete = false;
        }
        accounts.push(account);
    }
    complete.then_some(accounts)
}

pub(super) fn read_service_account<'a>(
    reader: &mut Reader<'a>,
    found: &Found<'a, '_>,
) -> Option<ServiceAccount> {
    let object = reader.object(found)?;
    let mut part = |key: &str, check: fn(&str) -> Result<(), String>| {
        let path = child(found, key);
        match object.get(key) {
            None | Some(Value::Null) => {
                reader.problems.add(path, "required");
                None
            }
            Some(value) => reader.checked(Some(Found { value, path }), |text| {
                check(text).map(|()| text.to_owned())
            }),
        }
    };
    let name = part("name", aws::check_dns_subdomain);
    let namespace = part("namespace", aws::check_dns_label);
    Some(ServiceAccount {
        name: name?,
        namespace: namespace?,
    })
}

/// Refuses more associations than [`MAX_ASSOCIATIONS`].
pub(super) fn check_pairs(
    reader: &mut Reader<'_>,
    clusters: Option<&[ClusterTarget]>,
    accounts: Option<&[ServiceAccount]>,
) {
    if let (Some(clusters), Some(accounts)) = (clusters, accounts) {
        let pairs = clusters.len() * accounts.len();
        if pairs > MAX_ASSOCIATIONS {
            reader.problems.add(
                format!("{PARAMETERS_PATH}.serviceAccounts"),
                format!(
                    "{} clusters times {} service accounts make {pairs} associations; at most {MAX_ASSOCIATIONS}",
                    clusters.len(),
                    accounts.len()
                ),
            );
        }
    }
}

/// `associationId`, which only a single association can adopt.
pub(super) fn read_association_id(
    reader: &mut Reader<'_>,
    clusters: Option<&[ClusterTarget]>,
    accounts: Option<&[ServiceAccount]>,
) -> Option<AssociationId> {
    let found = reader.own("associationId")?;
    let path = found.path;
    let id = reader.checked(Some(found), AssociationId::parse)?;
    if let (Some(clusters), Some(accounts)) = (clusters, accounts) {
        let pairs = clusters.len() * accounts.len();
        if pairs != 1 {
            reader.problems.add(
                path,
                format!("adopts one association, but the parameters compose {pairs}; give one cluster and one service account"),
            );
        }
    }
    Some(id)
}

/// Most labels the XR may add to every composed resource.
pub const MAX_LABELS: usize = 32;

pub(super) fn read_labels(reader: &mut Reader<'_>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let Some(found) = reader.own("labels") else {
        return labels;
    };
    let Some(object) = reader.object(&found) else {
        return labels;
    };
    if object.len() > MAX_LABELS {
        reader.problems.add(
            found.path,
            format!("{} labels; at most {MAX_LABELS}", object.len()),
        );
        return labels;
    }
    for (key, value) in object {
        let path = child(&found, key);
        let outcome = match value {
            Value::String(text) => {
                aws::check_label_key(key).and_then(|()| aws::check_label_value(text))
            }
            other => Err(format!("want a string value, got {}", describe(other))),
        };
        match outcome {
            Ok(()) => {
                labels.insert(key.clone(), value.as_str().unwrap_or_default().to_owned());
            }
            Err(message) => reader.problems.add(path, message),
        }
    }
    labels
}
