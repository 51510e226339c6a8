//! The XR's `spec.parameters`, read into typed values with every problem
//! reported at the field path its author wrote.
//!
//! A value comes from the XR first and from the Composition's `input`
//! defaults second, so a platform team can set composition-wide defaults
//! that every claim may override.
//!
//! May import: [`crate::iam`] (IAM's own knowledge) and `serde_json` values;
//! nothing else of this crate but its own submodules. What the parameters mean for composed resources is
//! [`crate::compose`]'s business.

pub mod aws;
pub mod findings;
pub mod reader;
pub mod targets;
pub mod well_known;

use self::targets::{
    check_pairs, read_association_id, read_clusters, read_labels, read_service_accounts,
};

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::iam::budget::Budget;
use crate::iam::lint::{self, Finding, Kind};

use self::aws::{
    AssociationId, PolicyArn, PolicyDocument, PolicyName, Region, RoleArn, RoleDescription,
    RoleName, RolePath,
};
use self::reader::{child, describe, index, shown, Found, Problems, Reader, PARAMETERS_PATH};
use self::well_known::WellKnownSet;

/// Whether the XR is cluster-scoped or namespaced; it decides the managed
/// resource groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A cluster-scoped XR (Crossplane 1.x, or a legacy XR on 2.x):
    /// `*.aws.upbound.io` managed resources.
    Cluster,
    /// A namespaced XR (Crossplane 2.x): `*.aws.m.upbound.io` managed
    /// resources in the XR's namespace.
    Namespaced,
}

/// What happens to the cloud resources when the XR goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum DeletionPolicy {
    /// Delete them (the default).
    #[default]
    Delete,
    /// Leave them in AWS.
    Orphan,
}

/// One Crossplane management policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum ManagementPolicy {
    /// Every action.
    #[serde(rename = "*")]
    All,
    /// Create the external resource.
    Create,
    /// Observe it.
    Observe,
    /// Update it.
    Update,
    /// Delete it.
    Delete,
    /// Fill unset fields from it.
    LateInitialize,
}

/// The kind of provider config a namespaced managed resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum ProviderConfigKind {
    /// A namespaced `ProviderConfig` in the XR's namespace.
    ProviderConfig,
    /// A cluster-wide `ClusterProviderConfig` (the provider's default kind).
    #[default]
    ClusterProviderConfig,
}

/// How EKS resolves conflicts with a self-managed agent already present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ResolveConflicts {
    /// Keep the existing configuration and fail on conflict.
    None,
    /// Overwrite conflicting values with the EKS add-on's.
    Overwrite,
    /// Keep conflicting values (updates only).
    Preserve,
}

/// How a reference or selector is resolved (Crossplane's `policy`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionPolicy {
    /// `Required` or `Optional`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// `Always` or `IfNotPresent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Resolve>,
}

/// Whether a reference must resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Resolution {
    /// Fail until it resolves.
    Required,
    /// Carry on without it.
    Optional,
}

/// When a reference is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Resolve {
    /// On every reconcile.
    Always,
    /// Only while the field is empty.
    IfNotPresent,
}

/// A reference to an EKS `Cluster` managed resource by name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterReference {
    /// The Cluster's name.
    pub name: String,
    /// The Cluster's namespace (namespaced scope only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// How to resolve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ResolutionPolicy>,
}

/// A selector for an EKS `Cluster` managed resource.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSelector {
    /// Select a Cluster composed by the same XR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_controller_ref: Option<bool>,
    /// Select a Cluster with these labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
    /// Look in this namespace (namespaced scope only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// How to resolve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ResolutionPolicy>,
}

/// Which EKS cluster the association and agent go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    /// The cluster's name in AWS.
    Name(String),
    /// A `Cluster` managed resource, by name.
    Reference(ClusterReference),
    /// A `Cluster` managed resource, by selector.
    Selector(ClusterSelector),
}

/// One cluster the association (and agent) go to, in its region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTarget {
    /// The cluster.
    pub cluster: Cluster,
    /// Its region: the entry's own, else `parameters.region`.
    pub region: Region,
}

impl ClusterTarget {
    /// What tells this entry apart from every other: two entries with the
    /// same identity would compose the same association twice.
    #[must_use]
    pub fn identity(&self) -> String {
        let cluster = match &self.cluster {
            Cluster::Name(name) => format!("name:{name}"),
            // Plain data always serializes; BTreeMaps keep it in one order.
            Cluster::Reference(reference) => format!(
                "ref:{}",
                serde_json::to_string(reference).unwrap_or_default()
            ),
            Cluster::Selector(selector) => format!(
                "selector:{}",
                serde_json::to_string(selector).unwrap_or_default()
            ),
        };
        format!("{cluster}@{}", self.region)
    }

    /// The cluster as people read it: its name, or what finds it.
    #[must_use]
    pub fn readable(&self) -> &str {
        match &self.cluster {
            Cluster::Name(name) => name,
            Cluster::Reference(reference) => &reference.name,
            Cluster::Selector(_) => "selector",
        }
    }
}

/// The Kubernetes service account whose pods get the role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceAccount {
    /// Its namespace (first, so that accounts sort by namespace).
    pub namespace: String,
    /// The service account's name.
    pub name: String,
}

/// One inline policy of the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    /// Its name within the role.
    pub name: PolicyName,
    /// The policy document.
    pub document: PolicyDocument,
    /// What the lint found in it, in document order.
    pub findings: Vec<Finding>,
}

/// The IAM role's own settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleSettings {
    /// The role's name in AWS; unset, the provider names it after the
    /// managed resource.
    pub name: Option<RoleName>,
    /// Its IAM path.
    pub path: Option<RolePath>,
    /// Its description.
    pub description: Option<RoleDescription>,
    /// Longest session, in seconds.
    pub max_session_duration: Option<i64>,
    /// The permissions boundary policy.
    pub permissions_boundary: Option<PolicyArn>,
}

/// The `eks-pod-identity-agent` add-on, when asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Agent {
    /// The add-on version; unset, EKS picks its default.
    pub version: Option<String>,
    /// Conflict resolution with a self-managed agent.
    pub resolve_conflicts: Option<ResolveConflicts>,
}

/// A `podIdentityAgent` field the XR sets to another value than the
/// Composition's defaults (an `install` the defaults leave out is `false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOverride {
    /// The field's key under `podIdentityAgent`.
    pub field: &'static str,
    /// Its value as the XR spells it.
    pub value: String,
}

/// Who set a value. Guardrails check only what the claim set: the
/// Composition's defaults are the platform team's own choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    /// The Composition's `defaults`, or the function's built-in default.
    #[default]
    Platform,
    /// The XR's own parameters, that is the claim's author.
    Claim,
}

impl Origin {
    /// Who set `key`: the XR's own value wins over the defaults.
    fn of(reader: &Reader<'_>, key: &str) -> Self {
        if reader.own(key).is_some() {
            Self::Claim
        } else {
            Self::Platform
        }
    }
}

/// Who set each of [`Management`]'s settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManagementOrigin {
    /// Of `provider_config_name`.
    pub provider_config_name: Origin,
    /// Of `provider_config_kind`.
    pub provider_config_kind: Origin,
    /// Of `deletion_policy`.
    pub deletion_policy: Origin,
    /// Of `management_policies`.
    pub management_policies: Origin,
}

/// Settings shared by every composed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Management {
    /// The provider config's name.
    pub provider_config_name: String,
    /// The provider config's kind (namespaced scope only; a cluster-scoped
    /// XR holds the default, `ClusterProviderConfig`, as its cluster-scoped
    /// `ProviderConfig` is cluster-wide too).
    pub provider_config_kind: ProviderConfigKind,
    /// What happens on deletion.
    pub deletion_policy: DeletionPolicy,
    /// Crossplane management policies, when given.
    pub management_policies: Option<Vec<ManagementPolicy>>,
    /// Who set each of these.
    pub origin: ManagementOrigin,
}

/// Everything one XR asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    /// The default region of the clusters.
    pub region: Region,
    /// The clusters, in the order given: one entry when the XR names a
    /// single cluster with `clusterName` and its siblings.
    pub clusters: Vec<ClusterTarget>,
    /// Whether the XR gave the `clusters` list (rather than one cluster).
    pub clusters_listed: bool,
    /// The service accounts, in the order given: one entry when the XR
    /// names a single `serviceAccount`.
    pub service_accounts: Vec<ServiceAccount>,
    /// Whether the XR gave the `serviceAccounts` list.
    pub service_accounts_listed: bool,
    /// An existing association to adopt.
    pub association_id: Option<AssociationId>,
    /// Kubernetes labels for every composed resource.
    pub labels: BTreeMap<String, String>,
    /// Managed policies to attach, in the order given.
    pub managed_policy_arns: Vec<PolicyArn>,
    /// Inline policies, in the order given.
    pub inline_policies: Vec<InlinePolicy>,
    /// The role's own settings.
    pub role: RoleSettings,
    /// AWS tags for every taggable resource.
    pub tags: BTreeMap<String, String>,
    /// The keys of `tags` the XR set itself; the others are the
    /// Composition's defaults.
    pub own_tag_keys: BTreeSet<String>,
    /// Cross-account role chaining target.
    pub target_role_arn: Option<RoleArn>,
    /// Whether EKS leaves out its session tags.
    pub disable_session_tags: Option<bool>,
    /// The agent add-on, when it should be installed.
    pub agent: Option<Agent>,
    /// The `podIdentityAgent` fields the XR itself sets to another value
    /// than the Composition's defaults give, in a fixed order.
    pub agent_overrides: Vec<AgentOverride>,
    /// Provider config, deletion and management policies.
    pub management: Management,
    /// The well-known add-on sets, in the fixed order of their add-ons.
    pub well_known: Vec<WellKnownSet>,
    /// An existing role to bind instead of composing one.
    pub role_arn: Option<RoleArn>,
}

impl Parameters {
    /// Every managed policy the role gets: the claim's, then the sets'
    /// that the claim did not list itself. An ARN keys its attachment, so
    /// listing a set's policy by hand, or no longer, moves nothing.
    #[must_use]
    pub fn attached_policies(&self) -> Vec<&PolicyArn> {
        let mut seen: HashSet<&str> = HashSet::new();
        self.managed_policy_arns
            .iter()
            .chain(
                self.well_known
                    .iter()
                    .flat_map(|set| &set.managed_policy_arns),
            )
            .filter(|arn| seen.insert(arn.as_str()))
            .collect()
    }
}

/// The keys that describe the role the function composes, which a claim
/// naming an existing role with `roleArn` cannot set.
pub const ROLE_KEYS: [&str; 9] = [
    "managedPolicyArns",
    "inlinePolicy",
    "wellKnownPolicies",
    "targetRoleArn",
    "roleName",
    "rolePath",
    "roleDescription",
    "maxSessionDuration",
    "permissionsBoundaryArn",
];

/// Reads and checks `spec.parameters` (given as `parameters`, `None` when
/// the XR has none) with the Composition's `defaults`.
pub fn read(
    parameters: Option<&Value>,
    defaults: Option<&Map<String, Value>>,
    scope: Scope,
) -> Result<Parameters, Problems> {
    let parameters = match parameters {
        None | Some(Value::Null) => {
            let mut problems = Problems::default();
            problems.add(PARAMETERS_PATH, "required: the XR has no parameters");
            return Err(problems);
        }
        Some(Value::Object(object)) => object,
        Some(other) => {
            let mut problems = Problems::default();
            problems.add(
                PARAMETERS_PATH,
                format!("want an object, got {}", describe(other)),
            );
            return Err(problems);
        }
    };
    let mut reader = Reader::new(parameters, defaults);

    let region = reader.required(
        reader.layered("region"),
        "region",
        "the AWS region of the cluster, such as us-west-2",
    );
    let region = reader.checked(region, Region::parse);
    let clusters_listed = reader.own("clusters").is_some();
    let service_accounts_listed = reader.own("serviceAccounts").is_some();
    let clusters = read_clusters(&mut reader, scope, region.as_ref());
    let service_accounts = read_service_accounts(&mut reader);
    check_pairs(
        &mut reader,
        clusters.as_deref(),
        service_accounts.as_deref(),
    );
    let association_id = read_association_id(
        &mut reader,
        clusters.as_deref(),
        service_accounts.as_deref(),
    );
    let labels = read_labels(&mut reader);
    let managed_policy_arns = read_managed_policies(&mut reader);
    let target_role_arn = reader.checked(reader.own("targetRoleArn"), RoleArn::parse);
    // The permission for the target role is an inline policy too.
    let target_size = target_role_arn
        .as_ref()
        .map(|target| target.assume_policy().counted_size());
    let inline_policies = read_inline_policies(&mut reader, target_size);
    let well_known = well_known::read(&mut reader, region.as_ref());
    if let Some(inline) = &inline_policies {
        let others = well_known::Others {
            managed: &managed_policy_arns,
            inline,
            target_size: target_size.unwrap_or(0),
        };
        well_known::check_limits(&mut reader, &well_known, &others);
    }
    let role_arn = read_role_arn(&mut reader);
    let role = read_role(&mut reader);
    let (tags, own_tag_keys) = read_tags(&mut reader);
    let disable_session_tags = reader.boolean(reader.own("disableSessionTags"));
    let (agent, agent_overrides) = read_agent(&mut reader);
    let management = read_management(&mut reader, scope);

    match (
        region,
        clusters,
        service_accounts,
        inline_policies,
        management,
    ) {
        (
            Some(region),
            Some(clusters),
            Some(service_accounts),
            Some(inline_policies),
            Some(management),
        ) if reader.problems.0.is_empty() => Ok(Parameters {
            region,
            clusters,
            clusters_listed,
            service_accounts,
            service_accounts_listed,
            association_id,
            labels,
            managed_policy_arns,
            inline_policies,
            role,
            tags,
            own_tag_keys,
            target_role_arn,
            disable_session_tags,
            agent,
            agent_overrides,
            management,
            well_known,
            role_arn,
        }),
        _ => Err(reader.problems),
    }
}

/// Reads `roleArn`, refusing it beside any field of the role the function
/// would compose: one problem at each such field.
fn read_role_arn(reader: &mut Reader<'_>) -> Option<RoleArn> {
    let found = reader.own("roleArn")?;
    for key in ROLE_KEYS {
        if reader.own(key).is_some() {
            reader.problems.add(
                format!("{PARAMETERS_PATH}.{key}"),
                "is set together with roleArn, which binds an existing role that the function neither composes nor changes; leave one of them out",
            );
        }
    }
    reader.checked(Some(found), RoleArn::parse)
}

/// IAM's hard limit of managed policies per role (the default quota is 10).
pub const MAX_MANAGED_POLICIES: usize = 20;

fn read_managed_policies(reader: &mut Reader<'_>) -> Vec<PolicyArn> {
    let Some(found) = reader.own("managedPolicyArns") else {
        return Vec::new();
    };
    let Some(items) = reader.array(&found) else {
        return Vec::new();
    };
    if items.len() > MAX_MANAGED_POLICIES {
        reader.problems.add(
            found.path,
            format!(
                "{} policies; IAM attaches at most {MAX_MANAGED_POLICIES} managed policies to a role (10 unless the quota was raised)",
                items.len()
            ),
        );
        return Vec::new();
    }
    let mut arns: Vec<PolicyArn> = Vec::with_capacity(items.len());
    let mut seen = HashSet::with_capacity(items.len());
    for (position, value) in items.iter().enumerate() {
        let item = Found {
            value,
            path: index(&found, position),
        };
        let path = item.path;
        if let Some(arn) = reader.checked(Some(item), PolicyArn::parse) {
            if seen.insert(arn.as_str().to_owned()) {
                arns.push(arn);
            } else {
                reader.problems.add(
                    path,
                    format!("{arn} is listed twice; managedPolicyArns is a set"),
                );
            }
        }
    }
    arns
}

/// The most inline policies a claim may list. IAM bounds their total size
/// (10,240 characters), not their count; this bound keeps the work for one
/// claim small before any document is read.
pub const MAX_INLINE_POLICIES: usize = 100;

/// The work the lint (and, apart, the access-level guardrail) may spend on
/// all inline policies of one claim, in the units of [`Budget`]: about
/// eleven scans of the whole catalogue with a pattern that starts with a
/// wildcard, far more than any real policy needs (patterns with a literal
/// start are searched by binary search). A policy built to be costly is cut
/// short in tens of milliseconds (`cargo bench --bench catalogue`).
pub const LINT_BUDGET: u64 = 250_000;

/// Name of the inline policy that lets the role assume a cross-account
/// target role; users cannot take it.
pub const TARGET_ROLE_POLICY_NAME: &str = "eks-pod-identity-target-role";

/// Reads `inlinePolicy`; `target_size` is the size of the target role's
/// policy, when there is one.
fn read_inline_policies(
    reader: &mut Reader<'_>,
    target_size: Option<usize>,
) -> Option<Vec<InlinePolicy>> {
    let with_target = target_size.is_some();
    let Some(found) = reader.own("inlinePolicy") else {
        return Some(Vec::new());
    };
    let items = reader.array(&found)?;
    if items.len() > MAX_INLINE_POLICIES {
        reader.problems.add(
            found.path,
            format!(
                "{} policies; at most {MAX_INLINE_POLICIES} inline policies per role (IAM's size limit allows few more)",
                items.len()
            ),
        );
        return None;
    }
    let mut policies: Vec<InlinePolicy> = Vec::with_capacity(items.len());
    let mut names = HashSet::with_capacity(items.len());
    let mut budget_used = target_size.unwrap_or(0);
    for (position, value) in items.iter().enumerate() {
        let item = Found {
            value,
            path: index(&found, position),
        };
        let Some(object) = reader.object(&item) else {
            continue;
        };
        let field = |key: &'static str| {
            let path = child(&item, key);
            match object.get(key) {
                None | Some(Value::Null) => Err(path),
                Some(value) => Ok(Found { value, path }),
            }
        };
        let name = match field("name") {
            Err(path) => {
                reader
                    .problems
                    .add(path, "required: the policy's name within the role");
                None
            }
            Ok(name) => {
                let path = name.path;
                let name = reader.checked(Some(name), PolicyName::parse);
                if let Some(name) = &name {
                    if !names.insert(name.as_str().to_owned()) {
                        reader.problems.add(
                            path,
                            format!(
                                "{:?} is used twice; inline policy names are unique within a role",
                                name.as_str()
                            ),
                        );
                    } else if with_target && name.as_str() == TARGET_ROLE_POLICY_NAME {
                        reader.problems.add(path, format!("{TARGET_ROLE_POLICY_NAME:?} is reserved for the targetRoleArn permission"));
                    }
                }
                name
            }
        };
        let document = match field("policy") {
            Err(path) => {
                reader
                    .problems
                    .add(path, "required: the policy document as JSON text");
                None
            }
            Ok(policy) => reader.checked(Some(policy), PolicyDocument::parse),
        };
        if let (Some(name), Some(document)) = (name, document) {
            budget_used += document.counted_size();
            policies.push(InlinePolicy {
                name,
                document,
                findings: Vec::new(),
            });
        }
    }
    if budget_used > aws::INLINE_POLICY_BUDGET {
        reader.problems.add(
            found.path,
            format!(
                "the inline policies total {budget_used} characters without white space; IAM allows {} per role",
                aws::INLINE_POLICY_BUDGET
            ),
        );
        return Some(policies);
    }
    // Linted only once their size is known to be IAM's, with one bound on
    // the work for all of them.
    let work = Budget::new(LINT_BUDGET);
    for policy in &mut policies {
        policy.findings = lint::lint(policy.document.elements(), Kind::Identity, &work);
    }
    Some(policies)
}

fn read_role(reader: &mut Reader<'_>) -> RoleSettings {
    let max_session_duration = reader.own("maxSessionDuration").and_then(|found| {
        let seconds = found
            .value
            .as_i64()
            .filter(|seconds| aws::SESSION_SECONDS.contains(seconds));
        if seconds.is_none() {
            reader.problems.add(
                found.path,
                format!(
                    "want whole seconds from {} to {}, got {}",
                    aws::SESSION_SECONDS.start(),
                    aws::SESSION_SECONDS.end(),
                    describe(found.value)
                ),
            );
        }
        seconds
    });
    RoleSettings {
        name: reader.checked(reader.own("roleName"), RoleName::parse),
        path: reader.checked(reader.own("rolePath"), RolePath::parse),
        description: reader.checked(reader.own("roleDescription"), RoleDescription::parse),
        max_session_duration,
        permissions_boundary: reader
            .checked(reader.own("permissionsBoundaryArn"), PolicyArn::parse),
    }
}

/// The tags of the defaults and the XR merged, and the keys the XR set.
fn read_tags(reader: &mut Reader<'_>) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let mut tags = BTreeMap::new();
    let mut own_keys = BTreeSet::new();
    // Defaults first, so the XR's own tags win key by key.
    let layers = [(reader.default("tags"), false), (reader.own("tags"), true)];
    let mut last_path = None;
    for (found, own) in layers {
        let Some(found) = found else {
            continue;
        };
        if found.value.is_null() {
            continue;
        }
        let Some(object) = reader.object(&found) else {
            continue;
        };
        if object.len() > aws::MAX_USER_TAGS {
            reader.problems.add(
                found.path,
                format!(
                    "{} tags; AWS allows 50 per resource and the provider uses 3, so at most {}",
                    object.len(),
                    aws::MAX_USER_TAGS
                ),
            );
            return (tags, own_keys);
        }
        for (key, value) in object {
            let outcome = match value {
                Value::String(text) => {
                    aws::check_tag_key(key).and_then(|()| aws::check_tag_value(key, text))
                }
                other => Err(format!(
                    "tag {} wants a string value, got {}",
                    shown(key),
                    describe(other)
                )),
            };
            match outcome {
                Ok(()) => {
                    tags.insert(key.clone(), value.as_str().unwrap_or_default().to_owned());
                    if own {
                        own_keys.insert(key.clone());
                    }
                }
                Err(message) => reader.problems.add(found.path, message),
            }
        }
        last_path = Some(found.path);
    }
    if let Some(path) = last_path {
        if tags.len() > aws::MAX_USER_TAGS {
            reader.problems.add(
                path,
                format!(
                    "{} tags; AWS allows 50 per resource and the provider uses 3, so at most {}",
                    tags.len(),
                    aws::MAX_USER_TAGS
                ),
            );
        }
    }
    (tags, own_keys)
}

fn read_agent(reader: &mut Reader<'_>) -> (Option<Agent>, Vec<AgentOverride>) {
    let own = reader.own("podIdentityAgent");
    let default = reader.default("podIdentityAgent");
    let own_object = own.as_ref().and_then(|found| reader.object(found));
    let default_object = default.as_ref().and_then(|found| reader.object(found));
    let overrides = ["install", "version", "resolveConflicts"]
        .into_iter()
        .filter_map(|field| {
            let value = own_object?.get(field).filter(|value| !value.is_null())?;
            let given = default_object
                .and_then(|object| object.get(field))
                .filter(|value| !value.is_null());
            let differs = match (field, given) {
                ("install", None) => value != &Value::Bool(false),
                (_, given) => given != Some(value),
            };
            differs.then(|| AgentOverride {
                field,
                value: match value {
                    Value::String(text) => shown(text).to_string(),
                    other => other.to_string(),
                },
            })
        })
        .collect();
    // Field by field, the XR's value wins over the Composition's default.
    let field = |key: &'static str| -> Option<Found<'_, '_>> {
        [
            (own_object, own.as_ref()),
            (default_object, default.as_ref()),
        ]
        .into_iter()
        .find_map(|(object, found)| {
            let value = object?.get(key).filter(|value| !value.is_null())?;
            Some(Found {
                value,
                path: child(found?, key),
            })
        })
    };
    let install = field("install");
    let version = field("version");
    let resolve_conflicts = field("resolveConflicts");
    let install = reader.boolean(install).unwrap_or(false);
    let version = reader.checked(version, |text| {
        if text.is_empty() {
            Err("want an add-on version such as v1.3.4-eksbuild.1, got an empty string".to_owned())
        } else {
            Ok(text.to_owned())
        }
    });
    let resolve_conflicts = reader.typed(resolve_conflicts, "NONE, OVERWRITE or PRESERVE");
    let agent = install.then_some(Agent {
        version,
        resolve_conflicts,
    });
    (agent, overrides)
}

/// How many distinct management policies there are.
const MANAGEMENT_POLICY_VALUES: usize = 6;

fn read_management(reader: &mut Reader<'_>, scope: Scope) -> Option<Management> {
    let provider_config_name = match reader.layered("providerConfigName") {
        // Every composed resource repeats it, so it is bounded like the
        // Kubernetes object name it is.
        Some(found) => reader.checked(Some(found), |name| {
            if name.is_empty() {
                Err("want the name of a provider config, got an empty string".to_owned())
            } else {
                aws::check_dns_subdomain(name).map(|()| name.to_owned())
            }
        })?,
        None => "default".to_owned(),
    };
    let provider_config_kind = match scope {
        Scope::Namespaced => reader
            .typed(
                reader.layered("providerConfigKind"),
                "ProviderConfig or ClusterProviderConfig",
            )
            .unwrap_or_default(),
        // Cluster-scoped managed resources only know ProviderConfig.
        Scope::Cluster => ProviderConfigKind::default(),
    };
    let deletion_policy = reader
        .typed(reader.layered("deletionPolicy"), "Delete or Orphan")
        .unwrap_or_default();
    let policies = reader.layered("managementPolicies");
    // Every composed resource repeats the list, and it is a set of six values.
    if let Some(found) = policies.as_ref() {
        let count = found.value.as_array().map_or(0, Vec::len);
        if count > MANAGEMENT_POLICY_VALUES {
            reader.problems.add(
                found.path,
                format!("{count} policies; a set of at most {MANAGEMENT_POLICY_VALUES}"),
            );
            return None;
        }
    }
    let management_policies = reader.typed(
        policies,
        "a list of *, Create, Observe, Update, Delete and LateInitialize",
    );
    let origin = ManagementOrigin {
        provider_config_name: Origin::of(reader, "providerConfigName"),
        provider_config_kind: match scope {
            Scope::Namespaced => Origin::of(reader, "providerConfigKind"),
            Scope::Cluster => Origin::Platform,
        },
        deletion_policy: Origin::of(reader, "deletionPolicy"),
        management_policies: Origin::of(reader, "managementPolicies"),
    };
    Some(Management {
        provider_config_name,
        provider_config_kind,
        deletion_policy,
        management_policies,
        origin,
    })
}
