//! What the observed state says: which composed resources are ready, and
//! the identifiers AWS assigned, for the XR's status.

use std::collections::BTreeMap;

use prost_types::value::Kind;
use prost_types::Struct;
use serde::Serialize;

use crate::compose::keys;
use crate::compose::topology::{running_association, Pair};
use crate::params::Cluster;
use crate::protocol::path::{self, text};
use crate::protocol::v1::Resource;

/// Whether the resource reports the condition `Ready=True`.
#[must_use]
pub fn is_ready(resource: &Struct) -> bool {
    let Some(conditions) = path::list(resource, &["status", "conditions"]) else {
        return false;
    };
    conditions
        .values
        .iter()
        .any(|condition| match condition.kind.as_ref() {
            Some(Kind::StructValue(condition)) => {
                text(condition, &["type"]) == Some("Ready")
                    && text(condition, &["status"]) == Some("True")
            }
            _ => false,
        })
}

/// `status.podIdentity` of the XR: each field only once observed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodIdentityStatus {
    /// The role's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The role's name in AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// The association's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_id: Option<String>,
    /// The association's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_arn: Option<String>,
    /// The cluster's name, as the association resolved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Every association, sorted by cluster, namespace and service account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<AssociationStatus>,
}

/// One association in `status.podIdentity.associations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationStatus {
    /// The cluster's name: the literal one, or as the association resolved
    /// it once observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// The service account's namespace.
    pub namespace: String,
    /// The service account's name.
    pub service_account: String,
    /// The association's id, once observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_id: Option<String>,
    /// The association's ARN, once observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_arn: Option<String>,
}

impl PodIdentityStatus {
    /// Reads the identifiers off the observed role and associations. An
    /// association's id and ARN are reported only beside the cluster,
    /// namespace and service account it reports itself: a pair whose key
    /// still holds an association serving something else (one being
    /// replaced) shows no id until its own is observed. The single fields
    /// describe the first pair's (see [`crate::compose::Layout::pairs`]).
    #[must_use]
    pub fn observe(observed: &BTreeMap<String, Resource>, pairs: &[Pair<'_>]) -> Self {
        let body = |key: &str| {
            observed
                .get(key)
                .and_then(|resource| resource.resource.as_ref())
        };
        let role = body(keys::ROLE);
        let at = |resource: Option<&Struct>, field: &str| {
            resource
                .and_then(|resource| text(resource, &["status", "atProvider", field]))
                .map(str::to_owned)
        };
        let serving = |pair: &Pair<'_>| {
            body(&pair.key).filter(|resource| {
                running_association(resource).as_deref() == Some(pair.identity.as_str())
            })
        };
        let mut associations: Vec<AssociationStatus> = pairs
            .iter()
            .map(|pair| {
                let resource = serving(pair);
                let literal = match &pair.target.cluster {
                    Cluster::Name(name) => Some(name.clone()),
                    Cluster::Reference(_) | Cluster::Selector(_) => None,
                };
                AssociationStatus {
                    cluster_name: at(resource, "clusterName").or(literal),
                    namespace: pair.account.namespace.clone(),
                    service_account: pair.account.name.clone(),
                    association_id: at(resource, "associationId"),
                    association_arn: at(resource, "associationArn"),
                }
            })
            .collect();
        associations.sort();
        let first = pairs.first().and_then(serving);
        Self {
            associations,
            role_arn: at(role, "arn"),
            // The provider reports a role's name as its id.
            role_name: at(role, "id"),
            association_id: at(first, "associationId"),
            association_arn: at(first, "associationArn"),
            cluster_name: at(first, "clusterName"),
        }
    }

    /// Whether nothing has been observed yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.role_arn.is_none()
            && self.role_name.is_none()
            && self.cluster_name.is_none()
            && self.associations.iter().all(|association| {
                association.association_id.is_none() && association.association_arn.is_none()
            })
    }

    /// The fields, named as in `status.podIdentity` (and as this type
    /// serializes), without going through JSON.
    pub fn into_fields(self) -> impl Iterator<Item = (&'static str, prost_types::Value)> {
        let associations = (!self.associations.is_empty()).then(|| {
            let values: Vec<prost_types::Value> = self
                .associations
                .into_iter()
                .map(AssociationStatus::into_value)
                .collect();
            ("associations", prost_types::Value::from(values))
        });
        [
            ("roleArn", self.role_arn),
            ("roleName", self.role_name),
            ("associationId", self.association_id),
            ("associationArn", self.association_arn),
            ("clusterName", self.cluster_name),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, prost_types::Value::from(value?))))
        .chain(associations)
    }
}

impl AssociationStatus {
    fn into_value(self) -> prost_types::Value {
        let fields = [
            ("clusterName", self.cluster_name),
            ("namespace", Some(self.namespace)),
            ("serviceAccount", Some(self.service_account)),
            ("associationId", self.association_id),
            ("associationArn", self.association_arn),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), prost_types::Value::from(value?))))
        .collect();
        Kind::StructValue(Struct { fields }).into()
    }
}

#[cfg(test)]
mod tests {
    use super::{AssociationStatus, PodIdentityStatus};
    use crate::protocol::structs::value_to_json;

    #[test]
    fn fields_are_named_as_serialized() {
        let full = PodIdentityStatus {
            role_arn: Some("arn".to_owned()),
            role_name: Some("name".to_owned()),
            association_id: Some("id".to_owned()),
            association_arn: Some("association".to_owned()),
            cluster_name: Some("cluster".to_owned()),
            associations: vec![AssociationStatus {
                cluster_name: Some("cluster".to_owned()),
                namespace: "ns".to_owned(),
                service_account: "sa".to_owned(),
                association_id: None,
                association_arn: Some("association".to_owned()),
            }],
        };
        let partial = PodIdentityStatus {
            association_id: Some("id".to_owned()),
            ..PodIdentityStatus::default()
        };
        for status in [full, partial, PodIdentityStatus::default()] {
            let serialized = serde_json::to_value(&status).unwrap();
            let fields: serde_json::Map<String, serde_json::Value> = status
                .into_fields()
                .map(|(name, value)| (name.to_owned(), value_to_json(&value).unwrap()))
                .collect();
            assert_eq!(serialized, serde_json::Value::Object(fields));
        }
    }
}
