//! The AWS provider's side: one reconcile of one managed resource, as
//! crossplane-runtime's managed reconciler (`pkg/reconciler/managed`) runs
//! it with provider-upjet-aws's configuration of each kind:
//!
//! 1. **References are resolved and written back**
//!    (`pkg/reference/reference.go`, `APIResolver.Resolve`, called from the
//!    generated `ResolveReferences`, then persisted by the reconciler's
//!    update): a selector resolves to the first match and writes the value
//!    and a reference to it (`clusterName` + `clusterNameRef`, `roleArn` +
//!    `roleArnRef`, `role` + `roleRef`); a reference writes the value. A
//!    value already set is never resolved again (`IsNoOp`). A reference or
//!    selector that resolves to nothing leaves the resource `Synced=False`.
//! 2. **The external name**: a kind named by its name (`Role`,
//!    `RolePolicy`: upjet's `NameAsIdentifier`) gets `metadata.name` when it
//!    has none (the `NameAsExternalName` initializer); an association
//!    (`IdentifierFromProvider`) gets its id and an add-on
//!    (`TemplatedStringAsIdentifier`) `<cluster>:<addon>` once created.
//! 3. **Observe, create or update** the AWS object the external name
//!    names ([`super::aws`]). What AWS fixes at creation is never updated:
//!    asking for another value leaves the resource `Synced=False` on every
//!    reconcile while AWS keeps the old one.
//! 4. **Late initialization** fills empty `forProvider` fields from AWS
//!    (the Role's `path`, `maxSessionDuration` and `forceDetachPolicies`;
//!    the association's `disableSessionTags`; the add-on's `addonVersion`),
//!    persisted by the same update.
//! 5. **Status**: `atProvider` as AWS reports it, `Ready` (`Available`)
//!    and `Synced` (`ReconcileSuccess`, or `ReconcileError` with the error).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::aws::{tags_of, Action, Addon, Association, Aws, Role, ACCOUNT, DEFAULT_ADDON_VERSION};
use super::crossplane::Managed;

/// When the provider reports every condition changed, and AWS every object
/// created: after the XR's creation, so no role reads as adopted.
pub const CREATED: &str = "2026-06-01T10:00:05Z";

/// A `Cluster` managed resource that references and selectors resolve to.
#[derive(Debug, Clone)]
pub struct ClusterObject {
    /// Its `metadata.name`, which a reference names.
    pub name: String,
    /// The EKS cluster's name (its external name).
    pub external: String,
    pub labels: BTreeMap<String, String>,
}

/// What references resolve to: the clusters, and the XR's roles by
/// `metadata.name` with their external name and ARN (once created).
pub struct World<'a> {
    pub clusters: &'a [ClusterObject],
    pub roles: &'a [(String, String, Option<String>)],
}

impl World<'_> {
    /// The cluster a reference or selector in `asked` (a `forProvider`)
    /// resolves to, as (metadata name, external name).
    #[must_use]
    pub fn cluster(&self, asked: &Value) -> Option<(String, String)> {
        let found = if let Some(name) = asked["clusterNameRef"]["name"].as_str() {
            self.clusters.iter().find(|cluster| cluster.name == name)
        } else if let Some(selector) = asked.get("clusterNameSelector") {
            // No Cluster is controlled by the XR.
            if selector["matchControllerRef"] == json!(true) {
                return None;
            }
            let labels = selector["matchLabels"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            self.clusters.iter().find(|cluster| {
                labels.iter().all(|(key, value)| {
                    cluster.labels.get(key).map(String::as_str) == value.as_str()
                })
            })
        } else {
            None
        }?;
        Some((found.name.clone(), found.external.clone()))
    }
}

/// One reconcile of `managed` against `aws`.
pub fn reconcile(managed: &mut Managed, aws: &mut Aws, world: &World<'_>) {
    if managed.kind() == "Usage" {
        // Crossplane's usage controller: ready once both sides resolve.
        managed.body["status"] =
            json!({"conditions": [condition("Ready", true, "Available", None)]});
        return;
    }
    if let Err(message) = resolve(managed, world) {
        fail(managed, &format!("cannot resolve references: {message}"));
        return;
    }
    if matches!(managed.kind(), "Role" | "RolePolicy") && managed.external_name().is_none() {
        let name = managed.body["metadata"]["name"].clone();
        managed.write(
            &["metadata", "annotations", "crossplane.io/external-name"],
            name,
        );
    }
    let outcome = match managed.kind() {
        "Role" => role(managed, aws),
        "RolePolicy" => Ok(inline_policy(managed, aws)),
        "RolePolicyAttachment" => attachment(managed, aws),
        "PodIdentityAssociation" => association(managed, aws),
        "Addon" => addon(managed, aws),
        other => Err(format!("no provider for kind {other}")),
    };
    match outcome {
        Ok(at_provider) => {
            managed.body["status"] = json!({
                "atProvider": at_provider,
                "conditions": [
                    condition("Ready", true, "Available", None),
                    condition("Synced", true, "ReconcileSuccess", None),
                ],
            });
        }
        Err(message) => fail(managed, &message),
    }
}

/// The provider deletes the AWS object of a managed resource Crossplane
/// deleted, then lets it go; unless the resource says to keep it.
pub fn delete(managed: &Managed, aws: &mut Aws) {
    let Some(name) = managed.external_name().map(str::to_owned) else {
        return;
    };
    if !should_delete(&managed.body["spec"]) {
        return;
    }
    let key = managed.key.clone();
    let kind = managed.kind();
    let gone = match kind {
        "Role" => aws.roles.remove(&name).is_some(),
        "RolePolicy" => {
            let role = text(managed.asked("role"));
            aws.inline_policies.remove(&(role, name.clone())).is_some()
        }
        "RolePolicyAttachment" => aws.attachments.remove(&name).is_some(),
        "PodIdentityAssociation" => {
            if let Some(association) = aws.associations.remove(&name) {
                let detail = association.detail();
                aws.record(
                    Action::Delete,
                    "PodIdentityAssociation",
                    &key,
                    &name,
                    detail,
                );
            }
            false
        }
        "Addon" => {
            let region = text(managed.asked("region"));
            let (cluster, addon) = name.split_once(':').unwrap_or_default();
            let detail = format!("{region}/{cluster} {addon}");
            if aws
                .addons
                .remove(&(region, cluster.to_owned(), addon.to_owned()))
                .is_some()
            {
                aws.record(Action::Delete, "Addon", &key, &name, detail);
            }
            false
        }
        _ => false,
    };
    if gone {
        let kind = static_kind(kind);
        aws.record(Action::Delete, kind, &key, &name, String::new());
    }
}

/// Whether deleting the managed resource deletes its AWS object, as
/// crossplane-runtime's `ManagementPoliciesResolver.ShouldDelete`
/// (`pkg/reconciler/managed/policies.go`) decides with management policies
/// enabled: management policies other than the default `["*"]` decide
/// (they delete only with `Delete` or `*`), else `deletionPolicy` does.
fn should_delete(spec: &Value) -> bool {
    match spec["managementPolicies"].as_array() {
        Some(policies) if policies.as_slice() != [json!("*")] => policies
            .iter()
            .any(|policy| policy == "Delete" || policy == "*"),
        _ => spec["deletionPolicy"] != json!("Orphan"),
    }
}

fn static_kind(kind: &str) -> &'static str {
    match kind {
        "Role" => "Role",
        "RolePolicy" => "RolePolicy",
        "RolePolicyAttachment" => "RolePolicyAttachment",
        "PodIdentityAssociation" => "PodIdentityAssociation",
        "Addon" => "Addon",
        _ => "Other",
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn is_empty(value: Option<&Value>) -> bool {
    value.is_none_or(|value| value.is_null() || value.as_str() == Some(""))
}

/// Step 1: every reference of the kind, resolved and written back.
fn resolve(managed: &mut Managed, world: &World<'_>) -> Result<(), String> {
    match managed.kind() {
        "PodIdentityAssociation" | "Addon" => {
            if is_empty(managed.asked("clusterName")) {
                let asked = managed.body["spec"]["forProvider"].clone();
                let (name, external) = world
                    .cluster(&asked)
                    .ok_or("spec.forProvider.clusterName: no Cluster matches")?;
                if asked.get("clusterNameRef").is_none() {
                    managed.write(
                        &["spec", "forProvider", "clusterNameRef"],
                        json!({"name": name}),
                    );
                }
                managed.write(&["spec", "forProvider", "clusterName"], json!(external));
            }
            if managed.kind() == "PodIdentityAssociation" && is_empty(managed.asked("roleArn")) {
                let (name, _, arn) = role_of(managed, world, "roleArn")?;
                let arn =
                    arn.ok_or("spec.forProvider.roleArn: the referenced Role has no ARN yet")?;
                managed.write(
                    &["spec", "forProvider", "roleArnRef"],
                    json!({"name": name}),
                );
                managed.write(&["spec", "forProvider", "roleArn"], json!(arn));
            }
        }
        "RolePolicy" | "RolePolicyAttachment" if is_empty(managed.asked("role")) => {
            let (name, external, _) = role_of(managed, world, "role")?;
            managed.write(&["spec", "forProvider", "roleRef"], json!({"name": name}));
            managed.write(&["spec", "forProvider", "role"], json!(external));
        }
        _ => {}
    }
    Ok(())
}

/// The Role a `<field>Ref` names or a `<field>Selector` selects (only
/// `matchControllerRef`: the XR's own Role).
fn role_of(
    managed: &Managed,
    world: &World<'_>,
    field: &str,
) -> Result<(String, String, Option<String>), String> {
    let reference = managed
        .asked(&format!("{field}Ref"))
        .and_then(|r| r["name"].as_str());
    let selected = world.roles.iter().find(|(name, ..)| {
        reference.map_or_else(
            || managed.asked(&format!("{field}Selector")).is_some(),
            |reference| reference == name,
        )
    });
    selected
        .cloned()
        .ok_or_else(|| format!("spec.forProvider.{field}: no Role matches"))
}

fn fail(managed: &mut Managed, message: &str) {
    let ready = managed.body["status"]["atProvider"].is_object();
    let mut conditions = vec![condition("Synced", false, "ReconcileError", Some(message))];
    if ready {
        conditions.insert(0, condition("Ready", true, "Available", None));
    }
    managed.body["status"]["conditions"] = json!(conditions);
}

fn condition(kind: &str, status: bool, reason: &str, message: Option<&str>) -> Value {
    let mut condition = json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "reason": reason,
        "lastTransitionTime": CREATED,
    });
    if let Some(message) = message {
        condition["message"] = json!(message);
    }
    condition
}

/// Refuses a change of what AWS fixed: upjet's update fails, every time.
fn refuse(
    aws: &mut Aws,
    managed: &Managed,
    id: &str,
    field: &str,
    running: &str,
    asked: &str,
) -> String {
    let kind = static_kind(managed.kind());
    aws.record(
        Action::Refused,
        kind,
        &managed.key,
        id,
        format!("{field}: {running} -> {asked}"),
    );
    format!("update failed: {field} cannot change from {running:?} to {asked:?} in place")
}

fn role(managed: &mut Managed, aws: &mut Aws) -> Result<Value, String> {
    let name = managed.external_name().unwrap_or_default().to_owned();
    let asked = managed.body["spec"]["forProvider"].clone();
    let wanted = Role {
        path: asked["path"].as_str().unwrap_or("/").to_owned(),
        max_session_duration: asked["maxSessionDuration"].as_u64().unwrap_or(3600),
        assume_role_policy: text(asked.get("assumeRolePolicy")),
        description: asked["description"].as_str().map(str::to_owned),
        permissions_boundary: asked["permissionsBoundary"].as_str().map(str::to_owned),
        tags: tags_of(&asked),
        unique_id: String::new(),
    };
    if let Some(running) = aws.roles.get(&name).cloned() {
        if running.path != wanted.path {
            return Err(refuse(
                aws,
                managed,
                &name,
                "path",
                &running.path,
                &wanted.path,
            ));
        }
        let updated = Role {
            unique_id: running.unique_id.clone(),
            ..wanted
        };
        if updated != running {
            aws.record(Action::Update, "Role", &managed.key, &name, String::new());
            aws.roles.insert(name.clone(), updated);
        }
    } else {
        let created = Role {
            unique_id: format!("AROA{}", aws.fresh(16).to_uppercase()),
            ..wanted
        };
        aws.record(
            Action::Create,
            "Role",
            &managed.key,
            &name,
            created.path.clone(),
        );
        aws.roles.insert(name.clone(), created);
    }
    let running = aws.roles[&name].clone();
    if asked.get("path").is_none() {
        managed.write(&["spec", "forProvider", "path"], json!(running.path));
    }
    if asked.get("maxSessionDuration").is_none() {
        managed.write(
            &["spec", "forProvider", "maxSessionDuration"],
            json!(running.max_session_duration),
        );
    }
    if asked.get("forceDetachPolicies").is_none() {
        managed.write(
            &["spec", "forProvider", "forceDetachPolicies"],
            json!(false),
        );
    }
    let mut at = json!({
        "arn": Aws::role_arn(&name, &running.path),
        "id": name,
        "path": running.path,
        "maxSessionDuration": running.max_session_duration,
        "forceDetachPolicies": false,
        "assumeRolePolicy": running.assume_role_policy,
        "createDate": CREATED,
        "uniqueId": running.unique_id,
        "tags": running.tags,
        "tagsAll": running.tags,
    });
    if let Some(description) = &running.description {
        at["description"] = json!(description);
    }
    if let Some(boundary) = &running.permissions_boundary {
        at["permissionsBoundary"] = json!(boundary);
    }
    Ok(at)
}

fn inline_policy(managed: &mut Managed, aws: &mut Aws) -> Value {
    let name = managed.external_name().unwrap_or_default().to_owned();
    let role = text(managed.asked("role"));
    let document = text(managed.asked("policy"));
    let at = (role.clone(), name.clone());
    match aws.inline_policies.get(&at) {
        Some(running) if *running == document => {}
        Some(_) => {
            aws.record(
                Action::Update,
                "RolePolicy",
                &managed.key,
                &name,
                String::new(),
            );
            aws.inline_policies.insert(at, document.clone());
        }
        None => {
            aws.record(
                Action::Create,
                "RolePolicy",
                &managed.key,
                &name,
                role.clone(),
            );
            aws.inline_policies.insert(at, document.clone());
        }
    }
    json!({"id": format!("{role}:{name}"), "policy": document, "role": role})
}

fn attachment(managed: &mut Managed, aws: &mut Aws) -> Result<Value, String> {
    let role = text(managed.asked("role"));
    let arn = text(managed.asked("policyArn"));
    let id = match managed.external_name().map(str::to_owned) {
        Some(id) if aws.attachments.contains_key(&id) => {
            let (running_role, running_arn) = aws.attachments[&id].clone();
            if running_arn != arn {
                return Err(refuse(aws, managed, &id, "policyArn", &running_arn, &arn));
            }
            if running_role != role {
                return Err(refuse(aws, managed, &id, "role", &running_role, &role));
            }
            id
        }
        _ => {
            let id = format!("{role}-{}", aws.fresh(26));
            aws.record(
                Action::Create,
                "RolePolicyAttachment",
                &managed.key,
                &id,
                arn.clone(),
            );
            aws.attachments
                .insert(id.clone(), (role.clone(), arn.clone()));
            managed.write(
                &["metadata", "annotations", "crossplane.io/external-name"],
                json!(id),
            );
            id
        }
    };
    Ok(json!({"id": id, "policyArn": arn, "role": role}))
}

fn association(managed: &mut Managed, aws: &mut Aws) -> Result<Value, String> {
    let asked = managed.body["spec"]["forProvider"].clone();
    let wanted = Association {
        region: text(asked.get("region")),
        cluster: text(asked.get("clusterName")),
        namespace: text(asked.get("namespace")),
        service_account: text(asked.get("serviceAccount")),
        role_arn: text(asked.get("roleArn")),
        target_role_arn: asked["targetRoleArn"].as_str().map(str::to_owned),
        disable_session_tags: asked["disableSessionTags"].as_bool().unwrap_or(false),
        tags: tags_of(&asked),
    };
    let id = match managed.external_name().map(str::to_owned) {
        Some(id) if aws.associations.contains_key(&id) => {
            let running = aws.associations[&id].clone();
            for (field, was, now) in [
                ("region", &running.region, &wanted.region),
                ("clusterName", &running.cluster, &wanted.cluster),
                ("namespace", &running.namespace, &wanted.namespace),
                (
                    "serviceAccount",
                    &running.service_account,
                    &wanted.service_account,
                ),
            ] {
                if was != now {
                    return Err(refuse(aws, managed, &id, field, was, now));
                }
            }
            if running != wanted {
                aws.record(
                    Action::Update,
                    "PodIdentityAssociation",
                    &managed.key,
                    &id,
                    String::new(),
                );
                aws.associations.insert(id.clone(), wanted);
            }
            id
        }
        _ => {
            let id = aws
                .create_association(&managed.key, wanted)
                .map_err(|conflict| conflict.0)?;
            managed.write(
                &["metadata", "annotations", "crossplane.io/external-name"],
                json!(id),
            );
            id
        }
    };
    let running = aws.associations[&id].clone();
    if asked.get("disableSessionTags").is_none() {
        managed.write(
            &["spec", "forProvider", "disableSessionTags"],
            json!(running.disable_session_tags),
        );
    }
    let mut at = json!({
        "associationArn": format!(
            "arn:aws:eks:{}:{ACCOUNT}:podidentityassociation/{}/{id}",
            running.region, running.cluster
        ),
        "associationId": id,
        "id": id,
        "clusterName": running.cluster,
        "region": running.region,
        "namespace": running.namespace,
        "serviceAccount": running.service_account,
        "roleArn": running.role_arn,
        "disableSessionTags": running.disable_session_tags,
        "tags": running.tags,
        "tagsAll": running.tags,
    });
    if let Some(target) = &running.target_role_arn {
        at["targetRoleArn"] = json!(target);
    }
    Ok(at)
}

fn addon(managed: &mut Managed, aws: &mut Aws) -> Result<Value, String> {
    let asked = managed.body["spec"]["forProvider"].clone();
    let region = text(asked.get("region"));
    let cluster = text(asked.get("clusterName"));
    let name = text(asked.get("addonName"));
    let version = asked["addonVersion"]
        .as_str()
        .unwrap_or(DEFAULT_ADDON_VERSION)
        .to_owned();
    let wanted = Addon {
        version,
        tags: tags_of(&asked),
    };
    let at = if let Some(external) = managed.external_name().map(str::to_owned) {
        let (running_cluster, running_name) = external.split_once(':').unwrap_or_default();
        let at = (
            region.clone(),
            running_cluster.to_owned(),
            running_name.to_owned(),
        );
        if running_cluster != cluster {
            return Err(refuse(
                aws,
                managed,
                &external,
                "clusterName",
                running_cluster,
                &cluster,
            ));
        }
        if running_name != name {
            return Err(refuse(
                aws,
                managed,
                &external,
                "addonName",
                running_name,
                &name,
            ));
        }
        match aws.addons.get(&at) {
            Some(running) if *running != wanted => {
                aws.record(
                    Action::Update,
                    "Addon",
                    &managed.key,
                    &external,
                    String::new(),
                );
                aws.addons.insert(at.clone(), wanted);
            }
            Some(_) => {}
            None => aws
                .create_addon(&managed.key, at.clone(), wanted)
                .map_err(|conflict| conflict.0)?,
        }
        at
    } else {
        let at = (region.clone(), cluster.clone(), name.clone());
        aws.create_addon(&managed.key, at.clone(), wanted)
            .map_err(|conflict| conflict.0)?;
        managed.write(
            &["metadata", "annotations", "crossplane.io/external-name"],
            json!(format!("{cluster}:{name}")),
        );
        at
    };
    let running = aws.addons[&at].clone();
    if asked.get("addonVersion").is_none() {
        managed.write(
            &["spec", "forProvider", "addonVersion"],
            json!(running.version),
        );
    }
    Ok(json!({
        "arn": format!("arn:aws:eks:{}:{ACCOUNT}:addon/{}/{}/{}", at.0, at.1, at.2, super::aws::token(&at.1, 8)),
        "id": format!("{}:{}", at.1, at.2),
        "addonName": at.2,
        "addonVersion": running.version,
        "clusterName": at.1,
        "region": at.0,
        "createdAt": CREATED,
        "tags": running.tags,
        "tagsAll": running.tags,
    }))
}
