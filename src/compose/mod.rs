//! The desired managed resources for one set of checked parameters: the
//! role, its permissions, the association and, when asked for, the agent;
//! laid out over what already runs, so that nothing AWS fixes at creation
//! is ever asked of a running resource ([`topology`], [`observed`]).
//!
//! Bodies are built directly as `google.protobuf.Struct`s, the form the
//! response carries, with no JSON in between.
//!
//! May import: [`crate::params`] (the checked parameters) and the protocol's
//! message types and `Struct` helpers. Never tonic, never the server.

pub mod keys;
pub mod observed;
pub mod status;
pub mod synced;
pub mod tenancy;
pub mod topology;
pub mod trust;

use std::collections::BTreeMap;

use prost_types::value::Kind;
use prost_types::{Struct, Value};
use serde::Serialize;

use crate::params::aws::{AssociationId, PolicyDocument, RoleName, RolePath};
use crate::params::{
    Cluster, ClusterTarget, DeletionPolicy, Management, ManagementPolicy, Parameters,
    ResolveConflicts, Scope, ServiceAccount, TARGET_ROLE_POLICY_NAME,
};
use crate::protocol::{path, structs};

pub use topology::{Layout, Pair};
pub use trust::trust_policy;

/// The label that names a composed resource within its XR, so that a
/// `Usage` can select exactly it among the XR's resources.
pub const RESOURCE_LABEL: &str = "eks-pod-identity.fn.crossplane.io/resource";

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
    /// Whether it is ready as soon as composed: a `Usage` only guards
    /// deletion, and must never hold the XR unready.
    pub always_ready: bool,
}

impl Composed {
    fn new(key: impl Into<String>, body: Struct) -> Self {
        Self {
            key: key.into(),
            body,
            always_ready: false,
        }
    }
}

/// What, besides the parameters, decides the composed resources.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Whether to compose a `Usage` per resource that uses the role.
    pub usages: bool,
    /// The XR's namespace, when it is namespaced.
    pub namespace: Option<&'a str>,
    /// The tenant every composed resource records ([`tenancy`]).
    pub tenant: &'a str,
    /// The associations and agents, each under its key.
    pub layout: &'a Layout<'a>,
    /// What the running role fixes, whatever the parameters ask.
    pub role: KeptRole<'a>,
    /// The id each association must keep or adopt, by key, over the
    /// parameters' `associationId`: a running association's own, or the
    /// one EKS says already serves it.
    pub association_ids: &'a BTreeMap<String, String>,
    /// The clusters the role's trust pins ([`trust::Clusters`]).
    pub clusters: &'a trust::Clusters,
    /// The cluster each agent's add-on runs on, by key, where it is known:
    /// named literally, or resolved and observed.
    pub agent_clusters: &'a BTreeMap<String, String>,
}

/// The name and path of a running role, which IAM fixed at creation and
/// the composed role keeps; `None` composes what the parameters ask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeptRole<'a> {
    /// Its name in AWS, the external name.
    pub name: Option<&'a str>,
    /// Its IAM path.
    pub path: Option<&'a str>,
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
pub fn compose(parameters: &Parameters, scope: Scope, options: Options<'_>) -> Vec<Composed> {
    let groups = scope.groups();
    let builder = Builder {
        parameters,
        scope,
        role: options.role,
        clusters: options.clusters,
    };
    let pairs = &options.layout.pairs;
    let mut composed = Vec::with_capacity(
        2 + 2
            * (pairs.len()
                + parameters.clusters.len()
                + parameters.managed_policy_arns.len()
                + parameters.inline_policies.len()
                + parameters.well_known.len()),
    );
    // Those that use the role: each gets a Usage when asked for.
    let mut users: Vec<(String, &'static str, &'static str)> = Vec::new();
    // An existing role (`roleArn`) is not ours: nothing of it is composed.
    if parameters.role_arn.is_none() {
        builder.role_and_permissions(groups.iam, &mut composed, &mut users);
    }
    for pair in pairs {
        users.push((pair.key.clone(), groups.eks, "PodIdentityAssociation"));
        let id = options.association_ids.get(&pair.key).map(String::as_str);
        composed.push(Composed::new(
            pair.key.clone(),
            builder.association(groups.eks, pair.target, pair.account, id),
        ));
    }
    if parameters.agent.is_some() {
        for agent in &options.layout.agents {
            let cluster = options.agent_clusters.get(&agent.key).map(String::as_str);
            composed.push(Composed::new(
                agent.key.clone(),
                builder.agent(groups.eks, agent.target, cluster),
            ));
        }
    }
    // A Usage holds the composed role; an existing one has none.
    if options.usages && parameters.role_arn.is_none() {
        for (user, api_version, kind) in &users {
            let mut usage = Composed::new(
                keys::usage(user),
                Builder::usage(
                    scope,
                    options.namespace,
                    (groups.iam, "Role", keys::ROLE),
                    (api_version, kind, user),
                ),
            );
            usage.always_ready = true;
            composed.push(usage);
        }
    }
    for resource in &mut composed {
        let own = options.usages.then_some(resource.key.as_str());
        label(&mut resource.body, &parameters.labels, own, options.tenant);
    }
    composed
}

/// Puts the XR's labels, the tenant's record, and the resource's own
/// selection label when Usages select it, on a composed resource.
fn label(body: &mut Struct, labels: &BTreeMap<String, String>, own: Option<&str>, tenant: &str) {
    path::with_object(body, &["metadata", "labels"], |object| {
        for (key, value) in labels {
            object.fields.insert(key.clone(), value.as_str().into());
        }
        if let Some(own) = own {
            object.fields.insert(RESOURCE_LABEL.to_owned(), own.into());
        }
        // Last, so that no label of the claim's replaces it.
        object
            .fields
            .insert(tenancy::TENANT_LABEL.to_owned(), tenant.into());
    });
}

struct Builder<'a> {
    parameters: &'a Parameters,
    scope: Scope,
    role: KeptRole<'a>,
    clusters: &'a trust::Clusters,
}

impl Builder<'_> {
    /// The role, its attachments and its inline policies (the claim's, the
    /// target role's and the well-known sets'), each of the latter also
    /// listed in `users`.
    fn role_and_permissions(
        &self,
        iam: &'static str,
        composed: &mut Vec<Composed>,
        users: &mut Vec<(String, &'static str, &'static str)>,
    ) {
        let parameters = self.parameters;
        composed.push(Composed::new(keys::ROLE, self.role(iam)));
        for arn in parameters.attached_policies() {
            let key = keys::attachment(arn.as_str(), arn.name());
            users.push((key.clone(), iam, "RolePolicyAttachment"));
            composed.push(Composed::new(key, self.attachment(iam, arn.as_str())));
        }
        let mut inline = |key: String, name: &str, document: &PolicyDocument| {
            users.push((key.clone(), iam, "RolePolicy"));
            composed.push(Composed::new(key, self.inline_policy(iam, name, document)));
        };
        for policy in &parameters.inline_policies {
            let key = keys::inline_policy(policy.name.as_str());
            inline(key, policy.name.as_str(), &policy.document);
        }
        if let Some(target) = &parameters.target_role_arn {
            let document = target.assume_policy();
            inline(
                keys::TARGET_ROLE_POLICY.to_owned(),
                TARGET_ROLE_POLICY_NAME,
                &document,
            );
        }
        for set in &parameters.well_known {
            if let Some(policy) = &set.inline {
                let key = keys::well_known(set.add_on.claim_name());
                inline(key, policy.name.as_str(), &policy.document);
            }
        }
    }

    fn role(&self, api_version: &str) -> Struct {
        let role = &self.parameters.role;
        let mut for_provider = Fields::new();
        for_provider.insert(
            "assumeRolePolicy".into(),
            trust_policy(self.parameters, self.clusters).into(),
        );
        if let Some(description) = &role.description {
            for_provider.insert("description".into(), description.as_str().into());
        }
        if let Some(seconds) = role.max_session_duration {
            // Exact: IAM's session lengths are far below 2^53.
            #[allow(clippy::cast_precision_loss)]
            for_provider.insert("maxSessionDuration".into(), (seconds as f64).into());
        }
        if let Some(path) = self.role.path.or(role.path.as_ref().map(RolePath::as_str)) {
            for_provider.insert("path".into(), path.into());
        }
        if let Some(boundary) = &role.permissions_boundary {
            for_provider.insert("permissionsBoundary".into(), boundary.as_str().into());
        }
        self.insert_tags(&mut for_provider);
        let mut resource = self.managed(api_version, "Role", for_provider);
        if let Some(name) = self.role.name.or(role.name.as_ref().map(RoleName::as_str)) {
            external_name(&mut resource, name);
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

    fn association(
        &self,
        api_version: &str,
        target: &ClusterTarget,
        account: &ServiceAccount,
        id: Option<&str>,
    ) -> Struct {
        let parameters = self.parameters;
        let mut for_provider = Self::regional(target);
        for_provider.insert("namespace".into(), account.namespace.as_str().into());
        for_provider.insert("serviceAccount".into(), account.name.as_str().into());
        match &parameters.role_arn {
            Some(existing) => {
                for_provider.insert("roleArn".into(), existing.as_str().into());
            }
            None => {
                for_provider.insert("roleArnSelector".into(), match_controller_ref());
            }
        }
        if let Some(target) = &parameters.target_role_arn {
            for_provider.insert("targetRoleArn".into(), target.as_str().into());
        }
        if let Some(disable) = parameters.disable_session_tags {
            for_provider.insert("disableSessionTags".into(), disable.into());
        }
        self.insert_tags(&mut for_provider);
        let mut resource = self.managed(api_version, "PodIdentityAssociation", for_provider);
        // The provider adopts (or keeps) the association EKS knows by this id.
        if let Some(id) = id.or(parameters
            .association_id
            .as_ref()
            .map(AssociationId::as_str))
        {
            external_name(&mut resource, id);
        }
        resource
    }

    /// A `Usage` that keeps the role (`of`) until `by` is gone. Each side
    /// selects by controller and by its own label, so it resolves to
    /// exactly that resource of this XR.
    fn usage(
        scope: Scope,
        namespace: Option<&str>,
        of: (&str, &str, &str),
        by: (&str, &str, &str),
    ) -> Struct {
        let side = |(api_version, kind, key): (&str, &str, &str)| {
            object([
                ("apiVersion", api_version.into()),
                ("kind", kind.into()),
                (
                    "resourceSelector",
                    object([
                        ("matchControllerRef", true.into()),
                        ("matchLabels", object([(RESOURCE_LABEL, key.into())])),
                    ]),
                ),
            ])
        };
        let mut spec = Fields::new();
        spec.insert("of".into(), side(of));
        spec.insert("by".into(), side(by));
        spec.insert("replayDeletion".into(), true.into());
        let mut resource = Fields::new();
        let api_version = match scope {
            Scope::Cluster => "apiextensions.crossplane.io/v1beta1",
            Scope::Namespaced => "protection.crossplane.io/v1beta1",
        };
        resource.insert("apiVersion".into(), api_version.into());
        resource.insert("kind".into(), "Usage".into());
        resource.insert("spec".into(), spec.into());
        let mut resource = Struct { fields: resource };
        if let (Scope::Namespaced, Some(namespace)) = (scope, namespace) {
            path::with_object(&mut resource, &["metadata"], |metadata| {
                metadata.fields.insert("namespace".into(), namespace.into());
            });
        }
        resource
    }

    fn agent(&self, api_version: &str, target: &ClusterTarget, cluster: Option<&str>) -> Struct {
        let mut for_provider = Self::regional(target);
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
        let mut addon = self.managed(api_version, "Addon", for_provider);
        never_delete(&mut addon, &self.parameters.management, self.scope);
        // The provider's own id for an add-on, which it writes once it has
        // created one: named up front, a new add-on resource observes the
        // agent an earlier one left running on the cluster (it is never
        // deleted) instead of asking EKS to create it again.
        if let Some(cluster) = cluster {
            external_name(&mut addon, &format!("{cluster}:{AGENT_ADDON_NAME}"));
        }
        addon
    }

    /// `region` and the cluster, which both EKS kinds need.
    fn regional(target: &ClusterTarget) -> Fields {
        let mut for_provider = Fields::new();
        for_provider.insert("region".into(), target.region.as_str().into());
        let (key, value) = match &target.cluster {
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

/// Makes `resource` one whose deletion leaves its AWS object in place: the
/// agent add-on is cluster infrastructure, which every Pod Identity
/// workload on the cluster needs, whichever claim composed it, so deleting
/// a claim (or moving it to another cluster) never deletes the agent. The
/// management policies the claim or defaults give lose `Delete` (`*` stands
/// for every other one), which crossplane-runtime honours over the
/// deletion policy; a cluster-scoped one also gets `deletionPolicy:
/// Orphan`, which holds where the policies are left at their default. The
/// platform removes the agent itself (docs/topologies.md).
fn never_delete(resource: &mut Struct, management: &Management, scope: Scope) {
    let policies = orphaning(
        Some(
            management
                .management_policies
                .as_deref()
                .unwrap_or(&[ManagementPolicy::All]),
        ),
        DeletionPolicy::Orphan,
    );
    path::with_object(resource, &["spec"], |spec| {
        if scope == Scope::Cluster {
            spec.fields
                .insert("deletionPolicy".into(), serialized(&DeletionPolicy::Orphan));
        }
        if let Some(policies) = policies {
            spec.fields
                .insert("managementPolicies".into(), serialized(&policies));
        }
    });
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
    path::with_object(resource, &["metadata", "annotations"], |annotations| {
        annotations
            .fields
            .insert(EXTERNAL_NAME.to_owned(), name.into());
    });
}
