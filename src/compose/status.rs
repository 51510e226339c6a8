//! What the observed state says: which composed resources are ready, and
//! the identifiers AWS assigned, for the XR's status.

use std::collections::BTreeMap;

use prost_types::value::Kind;
use prost_types::Struct;
use serde::Serialize;

use crate::compose::keys;
use crate::compose::topology::{running_association, Pair};
use crate::params::{Cluster, Parameters};
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
    /// The cross-account role EKS hands pods credentials for, as the
    /// association reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_role_arn: Option<String>,
    /// The external id EKS passes when it assumes the target role, which
    /// the target role's trust policy checks (`sts:ExternalId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Every association, sorted by cluster, namespace and service account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<AssociationStatus>,
    /// The well-known sets the role holds: those whose every composed
    /// resource is observed ready, in the order of their add-ons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub well_known_policies: Vec<WellKnownStatus>,
}

/// One set in `status.podIdentity.wellKnownPolicies`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WellKnownStatus {
    /// The add-on, as the claim names it.
    pub name: String,
    /// The add-on and the version of the document its set follows.
    pub source: String,
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
    /// The cross-account target role, once observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_role_arn: Option<String>,
    /// The external id of the cross-account chain, once observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl PodIdentityStatus {
    /// Reads the identifiers off the observed role and associations. An
    /// association's id and ARN are reported only beside the cluster,
    /// namespace and service account it reports itself: a pair whose key
    /// still holds an association serving something else (one being
    /// replaced) shows no id until its own is observed. The single fields
    /// describe the first pair's (see [`crate::compose::Layout::pairs`]).
    ///
    /// With an existing role (`roleArn`) no role is composed, and the role
    /// ARN is the one the first serving association reports.
    #[must_use]
    pub fn observe(
        observed: &BTreeMap<String, Resource>,
        pairs: &[Pair<'_>],
        parameters: &Parameters,
    ) -> Self {
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
                running_association(resource).is_some_and(|serving| serving.serves(&pair.identity))
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
                    target_role_arn: at(resource, "targetRoleArn"),
                    external_id: at(resource, "externalId"),
                }
            })
            .collect();
        associations.sort();
        let first = pairs.first().and_then(serving);
        let (role_arn, role_name) = if parameters.role_arn.is_some() {
            (at(first, "roleArn"), None)
        } else {
            // The provider reports a role's name as its id.
            (at(role, "arn"), at(role, "id"))
        };
        let ready = |key: &str| body(key).is_some_and(is_ready);
        // An existing role (`roleArn`) comes without sets: the parameters
        // refuse the two together.
        let well_known_policies = parameters
            .well_known
            .iter()
            .filter(|set| {
                set.managed_policy_arns
                    .iter()
                    .all(|arn| ready(&keys::attachment(arn.as_str(), arn.name())))
                    && (set.inline.is_none() || ready(&keys::well_known(set.add_on.claim_name())))
            })
            .map(|set| WellKnownStatus {
                name: set.add_on.claim_name().to_owned(),
                source: set.add_on.source_version().to_owned(),
            })
            .collect();
        Self {
            associations,
            role_arn,
            role_name,
            well_known_policies,
            association_id: at(first, "associationId"),
            association_arn: at(first, "associationArn"),
            cluster_name: at(first, "clusterName"),
            target_role_arn: at(first, "targetRoleArn"),
            external_id: at(first, "externalId"),
        }
    }

    /// Whether nothing has been observed yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.role_arn.is_none()
            && self.role_name.is_none()
            && self.cluster_name.is_none()
            && self.target_role_arn.is_none()
            && self.external_id.is_none()
            && self.associations.iter().all(|association| {
                association.association_id.is_none()
                    && association.association_arn.is_none()
                    && association.target_role_arn.is_none()
                    && association.external_id.is_none()
            })
            && self.well_known_policies.is_empty()
    }

    /// The fields, named as in `status.podIdentity` (and as this type
    /// serializes), without going through JSON.
    pub fn into_fields(self) -> impl Iterator<Item = (&'static str, prost_types::Value)> {
        let associations = list(
            "associations",
            self.associations,
            AssociationStatus::into_value,
        );
        let well_known = list(
            "wellKnownPolicies",
            self.well_known_policies,
            WellKnownStatus::into_value,
        );
        [
            ("roleArn", self.role_arn),
            ("roleName", self.role_name),
            ("associationId", self.association_id),
            ("associationArn", self.association_arn),
            ("clusterName", self.cluster_name),
            ("targetRoleArn", self.target_role_arn),
            ("externalId", self.external_id),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, prost_types::Value::from(value?))))
        .chain(associations)
        .chain(well_known)
    }
}

/// A list field, left out when empty.
fn list<T>(
    name: &'static str,
    items: Vec<T>,
    into_value: fn(T) -> prost_types::Value,
) -> Option<(&'static str, prost_types::Value)> {
    (!items.is_empty()).then(|| {
        let values: Vec<prost_types::Value> = items.into_iter().map(into_value).collect();
        (name, prost_types::Value::from(values))
    })
}

impl WellKnownStatus {
    fn into_value(self) -> prost_types::Value {
        let fields = [("name", self.name), ("source", self.source)]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), prost_types::Value::from(value)))
            .collect();
        Kind::StructValue(Struct { fields }).into()
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
            ("targetRoleArn", self.target_role_arn),
            ("externalId", self.external_id),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), prost_types::Value::from(value?))))
        .collect();
        Kind::StructValue(Struct { fields }).into()
    }
}

#[cfg(test)]
mod tests {
    use super::{AssociationStatus, PodIdentityStatus, WellKnownStatus};
    use crate::protocol::structs::value_to_json;

    #[test]
    fn fields_are_named_as_serialized() {
        let full = PodIdentityStatus {
            role_arn: Some("arn".to_owned()),
            role_name: Some("name".to_owned()),
            association_id: Some("id".to_owned()),
            association_arn: Some("association".to_owned()),
            cluster_name: Some("cluster".to_owned()),
            target_role_arn: Some("target".to_owned()),
            external_id: Some("external".to_owned()),
            associations: vec![AssociationStatus {
                cluster_name: Some("cluster".to_owned()),
                namespace: "ns".to_owned(),
                service_account: "sa".to_owned(),
                association_id: None,
                association_arn: Some("association".to_owned()),
                target_role_arn: Some("target".to_owned()),
                external_id: None,
            }],
            well_known_policies: vec![WellKnownStatus {
                name: "velero".to_owned(),
                source: "velero-plugin-for-aws 800bcfb".to_owned(),
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
