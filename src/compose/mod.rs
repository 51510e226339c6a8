//! The desired managed resources for one set of checked parameters: the
//! role, its permissions, the association and, when asked for, the agent.
//!
//! Bodies are built directly as `google.protobuf.Struct`s, the form the
//! response carries, with no JSON in between.
//!
//! May import: [`crate::params`] (the checked parameters) and the protocol's
//! message types and `Struct` helpers. Never tonic, never the server.

pub mod keys;
pub mod status;
pub mod trust;

use std::collections::BTreeMap;

use prost_types::value::Kind;
use prost_types::{Struct, Value};
use serde::Serialize;

use crate::params::aws::PolicyDocument;
use crate::params::{
    Cluster, DeletionPolicy, ManagementPolicy, Parameters, ResolveConflicts, Scope,
    TARGET_ROLE_POLICY_NAME,
};
use crate::protocol::structs;

pub use trust::trust_policy;

/// The annotation that chooses a managed resource's name in AWS.
pub const EXTERNAL_NAME: &str = "crossplane.io/external-name";

/// The EKS add-on that runs the Pod Identity agent on every node.
pub const AGENT_ADDON_NAME: &str = "eks-pod-identity-agent";

/// One composed resource, as the desired state carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Composed {
    /// Its composition resource name: the key of the desired resources.
    pub key: String,
    /// The managed resource itself.
    pub body: Struct,
}

impl Composed {
    fn new(key: impl Into<String>, body: Struct) -> Self {
        Self {
            key: key.into(),
            body,
        }
    }
}

/// The fields of an object being built.
type Fields = BTreeMap<String, Value>;

/// An object of `fields`.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Kind::StructValue(Struct {
        fields: fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    })
    .into()
}

/// `value` as serde writes it: the spelling its `Serialize` gives, which
/// the parameters' enums and cluster references share with their parsing.
fn serialized(value: &impl Serialize) -> Value {
    // These types are plain data with string keys, which always serialize;
    // were one ever not to, an empty value fails the CRD's validation loudly.
    serde_json::to_value(value).map_or_else(|_| Value::default(), structs::json_to_value)
}

/// API groups of one scope.
struct Groups {
    iam: &'static str,
    eks: &'static str,
}

impl Scope {
    fn groups(self) -> Groups {
        match self {
            Scope::Cluster => Groups {
                iam: "iam.aws.upbound.io/v1beta1",
                eks: "eks.aws.upbound.io/v1beta1",
            },
            Scope::Namespaced => Groups {
                iam: "iam.aws.m.upbound.io/v1beta1",
                eks: "eks.aws.m.upbound.io/v1beta1",
            },
        }
    }
}

/// Every resource the parameters ask for, in a fixed order.
#[must_use]
pub fn compose(parameters: &Parameters, scope: Scope) -> Vec<Composed> {
    let groups = scope.groups();
    let builder = Builder { parameters, scope };
    let mut composed = Vec::with_capacity(
        3 + parameters.managed_policy_arns.len() + parameters.inline_policies.len(),
    );
    composed.push(Composed::new(keys::ROLE, builder.role(groups.iam)));
    for arn in &parameters.managed_policy_arns {
        composed.push(Composed::new(
            keys::attachment(arn.as_str(), arn.name()),
            builder.attachment(groups.iam, arn.as_str()),
        ));
    }
    for policy in &parameters.inline_policies {
        composed.push(Composed::new(
            keys::inline_policy(policy.name.as_str()),
            builder.inline_policy(groups.iam, policy.name.as_str(), &policy.document),
        ));
    }
    if let Some(target) = &parameters.target_role_arn {
        let document = target.assume_policy();
        composed.push(Composed::new(
            keys::TARGET_ROLE_POLICY,
            builder.inline_policy(groups.iam, TARGET_ROLE_POLICY_NAME, &document),
        ));
    }
    composed.push(Composed::new(
        keys::ASSOCIATION,
        builder.association(groups.eks),
    ));
    if parameters.agent.is_some() {
        composed.push(Composed::new(keys::AGENT, builder.agent(groups.eks)));
    }
    composed
}

struct Builder<'a> {
    parameters: &'a Parameters,
    scope: Scope,
}

impl Builder<'_> {
    fn role(&self, api_version: &str) -> Struct {
        let role = &self.parameters.role;
        let mut for_provider = Fields::new();
        for_provider.insert(
            "assumeRolePolicy".into(),
            trust_policy(self.parameters).into(),
        );
        if let Some(description) = &role.description {
            for_provider.insert("description".into(), description.as_str().into());
        }
        if let Some(seconds) = role.max_session_duration {
            // Exact: IAM's session lengths are far below 2^53.
            #[allow(clippy::cast_precision_loss)]
            for_provider.insert("maxSessionDuration".into(), (seconds as f64).into());
        }
        if let Some(path) = &role.path {
            for_provider.insert("path".into(), path.as_str().into());
        }
        if let Some(boundary) = &role.permissions_boundary {
            for_provider.insert("permissionsBoundary".into(), boundary.as_str().into());
        }
        self.insert_tags(&mut for_provider);
        let mut resource = self.managed(api_version, "Role", for_provider);
        if let Some(name) = &role.name {
            external_name(&mut resource, name.as_str());
        }
        resource
    }

    fn attachment(&self, api_version: &str, arn: &str) -> Struct {
        let mut for_provider = Fields::new();
        for_provider.insert("policyArn".into(), arn.into());
        for_provider.insert("roleSelector".into(), match_controller_ref());
        self.managed(api_version, "RolePolicyAttachment", for_provider)
    }

    fn inline_policy(&self, api_version: &str, name: &str, document: &PolicyDocument) -> Struct {
        let mut for_provider = Fields::new();
        for_provider.insert("policy".into(), document.as_str().into());
        for_provider.insert("roleSelector".into(), match_controller_ref());
        let mut resource = self.managed(api_version, "RolePolicy", for_provider);
        // The provider takes an inline policy's name from its external name.
        external_name(&mut resource, name);
        resource
    }

    fn association(&self, api_version: &str) -> Struct {
        let parameters = self.parameters;
        let mut for_provider = self.regional();
        for_provider.insert(
            "namespace".into(),
            parameters.service_account.namespace.as_str().into(),
        );
        for_provider.insert(
            "serviceAccount".into(),
            parameters.service_account.name.as_str().into(),
        );
        for_provider.insert("roleArnSelector".into(), match_controller_ref());
        if let Some(target) = &parameters.target_role_arn {
            for_provider.insert("targetRoleArn".into(), target.as_str().into());
        }
        if let Some(disable) = parameters.disable_session_tags {
            for_provider.insert("disableSessionTags".into(), disable.into());
        }
        self.insert_tags(&mut for_provider);
        self.managed(api_version, "PodIdentityAssociation", for_provider)
    }

    fn agent(&self, api_version: &str) -> Struct {
        let mut for_provider = self.regional();
        for_provider.insert("addonName".into(), AGENT_ADDON_NAME.into());
        if let Some(agent) = &self.parameters.agent {
            if let Some(version) = &agent.version {
                for_provider.insert("addonVersion".into(), version.as_str().into());
            }
            if let Some(resolve) = agent.resolve_conflicts {
                // EKS refuses PRESERVE when creating; NONE is its meaning there.
                let on_create = match resolve {
                    ResolveConflicts::Preserve => ResolveConflicts::None,
                    other => other,
                };
                for_provider.insert("resolveConflictsOnCreate".into(), serialized(&on_create));
                for_provider.insert("resolveConflictsOnUpdate".into(), serialized(&resolve));
            }
        }
        self.insert_tags(&mut for_provider);
        self.managed(api_version, "Addon", for_provider)
    }

    /// `region` and the cluster, which both EKS kinds need.
    fn regional(&self) -> Fields {
        let mut for_provider = Fields::new();
        for_provider.insert("region".into(), self.parameters.region.as_str().into());
        let (key, value) = match &self.parameters.cluster {
            Cluster::Name(name) => ("clusterName", name.as_str().into()),
            Cluster::Reference(reference) => ("clusterNameRef", serialized(reference)),
            Cluster::Selector(selector) => ("clusterNameSelector", serialized(selector)),
        };
        for_provider.insert(key.into(), value);
        for_provider
    }

    fn insert_tags(&self, for_provider: &mut Fields) {
        let tags = &self.parameters.tags;
        if !tags.is_empty() {
            let tags: Fields = tags
                .iter()
                .map(|(key, value)| (key.clone(), value.as_str().into()))
                .collect();
            for_provider.insert("tags".into(), tags.into());
        }
    }

    /// A managed resource with the settings every composed resource shares.
    fn managed(&self, api_version: &str, kind: &str, for_provider: Fields) -> Struct {
        let management = &self.parameters.management;
        let mut spec = Fields::new();
        spec.insert("forProvider".into(), for_provider.into());
        let name = || Value::from(management.provider_config_name.as_str());
        let policies = match self.scope {
            Scope::Cluster => {
                spec.insert("providerConfigRef".into(), object([("name", name())]));
                spec.insert(
                    "deletionPolicy".into(),
                    serialized(&management.deletion_policy),
                );
                management.management_policies.clone()
            }
            Scope::Namespaced => {
                spec.insert(
                    "providerConfigRef".into(),
                    object([
                        ("kind", serialized(&management.provider_config_kind)),
                        ("name", name()),
                    ]),
                );
                orphaning(
                    management.management_policies.as_deref(),
                    management.deletion_policy,
                )
            }
        };
        if let Some(policies) = policies {
            spec.insert("managementPolicies".into(), serialized(&policies));
        }
        let mut resource = Fields::new();
        resource.insert("apiVersion".into(), api_version.into());
        resource.insert("kind".into(), kind.into());
        resource.insert("spec".into(), spec.into());
        Struct { fields: resource }
    }
}

/// `{matchControllerRef: true}`: the role composed by the same XR.
fn match_controller_ref() -> Value {
    object([("matchControllerRef", true.into())])
}

/// Namespaced managed resources have no `deletionPolicy`: orphaning means
/// every management policy but `Delete`.
fn orphaning(
    policies: Option<&[ManagementPolicy]>,
    deletion: DeletionPolicy,
) -> Option<Vec<ManagementPolicy>> {
    if deletion == DeletionPolicy::Delete {
        return policies.map(<[ManagementPolicy]>::to_vec);
    }
    let all = [
        ManagementPolicy::Create,
        ManagementPolicy::Observe,
        ManagementPolicy::Update,
        ManagementPolicy::LateInitialize,
    ];
    let given = policies.unwrap_or(&[ManagementPolicy::All]);
    let kept = if given.contains(&ManagementPolicy::All) {
        all.to_vec()
    } else {
        given
            .iter()
            .copied()
            .filter(|policy| *policy != ManagementPolicy::Delete)
            .collect()
    };
    Some(kept)
}

fn external_name(resource: &mut Struct, name: &str) {
    resource.fields.insert(
        "metadata".into(),
        object([("annotations", object([(EXTERNAL_NAME, name.into())]))]),
    );
}
