//! Crossplane's side of a reconcile of the XR, from its function-composite
//! reconciler (`internal/controller/apiextensions/composite`,
//! `composition_functions.go` and `composition_render.go`):
//!
//! - the function runs with the XR and every composed resource observed;
//!   a FATAL result stops the reconcile before anything is applied;
//! - each desired resource gets Crossplane's metadata
//!   (`RenderComposedResourceMetadata`): `generateName: <xr>-`, the
//!   `crossplane.io/composite` label (and the claim's labels for a v1 XR),
//!   the `crossplane.io/composition-resource-name` annotation and a
//!   controller `ownerReference` to the XR (with its uid); a namespaced
//!   XR's resources live in its namespace;
//! - an observed resource no longer desired is deleted
//!   (`GarbageCollectComposedResources`, only those the XR controls);
//! - a desired resource not observed is created under a generated name;
//!   every desired resource is applied with server-side apply under the
//!   XR's field manager, forcing ownership ([`Managed::apply`]).

use std::collections::{BTreeMap, BTreeSet};

use function_eks_pod_identity::protocol::structs::{json_to_struct, struct_to_json};
use function_eks_pod_identity::protocol::v1::{RequestMeta, RunFunctionRequest, Severity, State};
use serde_json::{json, Map, Value};

use super::aws::token;
use crate::support::function::{resource, run_as_served};

/// A field's path from the object's root.
pub type FieldPath = Vec<String>;

/// A composed resource as the API server holds it, with which fields the
/// XR's field manager applied and which the provider wrote.
///
/// Server-side apply (Kubernetes' "Server-Side Apply" docs, field
/// management): an apply that leaves out a field its manager applied before
/// removes it, unless another manager owns it too; a forced apply of another
/// value takes the field from its other owners. The provider writes with
/// updates (the managed reconciler's `client.Update` after reference
/// resolution, late initialization and setting the external name), which
/// make it an owner of what it changed.
#[derive(Debug, Clone)]
pub struct Managed {
    pub key: String,
    pub body: Value,
    applied: BTreeSet<FieldPath>,
    written: BTreeSet<FieldPath>,
}

impl Managed {
    /// Creates it from its first apply.
    #[must_use]
    pub fn create(key: &str, name: &str, uid: &str, desired: &Value) -> Self {
        let mut managed = Self {
            key: key.to_owned(),
            body: json!({}),
            applied: BTreeSet::new(),
            written: BTreeSet::new(),
        };
        managed.apply(desired);
        // The API server's, owned by no manager that applies.
        managed.body["metadata"]["name"] = json!(name);
        managed.body["metadata"]["uid"] = json!(uid);
        managed
    }

    /// One server-side apply of `desired` by the XR's field manager.
    pub fn apply(&mut self, desired: &Value) {
        let leaves = leaves(desired);
        let now: BTreeSet<FieldPath> = leaves.iter().map(|(path, _)| path.clone()).collect();
        for path in self.applied.difference(&now) {
            if !self.written.contains(path) {
                remove(&mut self.body, path);
            }
        }
        for (path, value) in leaves {
            if get(&self.body, &path) != Some(&value) {
                self.written.remove(&path);
            }
            set(&mut self.body, &path, value);
        }
        self.applied = now;
    }

    /// The provider's update of one field.
    pub fn write(&mut self, path: &[&str], value: Value) {
        let path: FieldPath = path.iter().map(|part| (*part).to_owned()).collect();
        if get(&self.body, &path) != Some(&value) {
            self.applied.remove(&path);
        }
        set(&mut self.body, &path, value);
        self.written.insert(path);
    }

    /// A field of `spec.forProvider`.
    #[must_use]
    pub fn asked(&self, field: &str) -> Option<&Value> {
        self.body["spec"]["forProvider"].get(field)
    }

    #[must_use]
    pub fn kind(&self) -> &str {
        self.body["kind"].as_str().unwrap_or_default()
    }

    #[must_use]
    pub fn external_name(&self) -> Option<&str> {
        self.body["metadata"]["annotations"]["crossplane.io/external-name"].as_str()
    }
}

/// Every leaf of an object but its status (a subresource), as path and
/// value: scalars, lists (atomic in these CRDs) and empty objects.
fn leaves(value: &Value) -> Vec<(FieldPath, Value)> {
    fn walk(value: &Value, path: &mut FieldPath, out: &mut Vec<(FieldPath, Value)>) {
        match value {
            Value::Object(object) if !object.is_empty() => {
                for (key, child) in object {
                    if path.is_empty() && key == "status" {
                        continue;
                    }
                    path.push(key.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            other => out.push((path.clone(), other.clone())),
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn get<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, part| value.get(part))
}

fn set(value: &mut Value, path: &[String], leaf: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = value;
    for part in parents {
        if !at.get(part).is_some_and(Value::is_object) {
            at[part.as_str()] = json!({});
        }
        at = &mut at[part.as_str()];
    }
    at[last.as_str()] = leaf;
}

/// Removes a field, and the objects it leaves empty.
fn remove(value: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(object) = value.as_object_mut() else {
        return;
    };
    if rest.is_empty() {
        object.remove(first);
        return;
    }
    if let Some(child) = object.get_mut(first) {
        remove(child, rest);
        if child.as_object().is_some_and(Map::is_empty) {
            object.remove(first);
        }
    }
}

/// What one run of the function answered.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub fatal: Vec<String>,
    pub desired: BTreeMap<String, Value>,
    /// Warning results as (reason, message).
    pub warnings: Vec<(String, String)>,
    /// The XR's conditions, as (type, status).
    pub conditions: Vec<(String, String)>,
    /// The XR's desired `status`.
    pub status: Value,
}

/// Runs the function once, as Crossplane calls it.
#[must_use]
pub fn run_function(
    xr: &Value,
    observed: &BTreeMap<String, Value>,
    input: Option<&Value>,
) -> Answer {
    let object = |value: &Value| match value {
        Value::Object(object) => json_to_struct(object.clone()),
        other => panic!("want an object, got {other}"),
    };
    let request = RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: "control-plane".to_owned(),
            ..RequestMeta::default()
        }),
        observed: Some(State {
            composite: Some(resource(xr.clone())),
            resources: observed
                .iter()
                .map(|(key, body)| (key.clone(), resource(body.clone())))
                .collect(),
        }),
        desired: Some(State::default()),
        input: input.map(object),
        ..RunFunctionRequest::default()
    };
    let response = run_as_served(request);
    let of = |severity: Severity| {
        response
            .results
            .iter()
            .filter(move |result| result.severity == i32::from(severity))
    };
    let desired = response.desired.unwrap_or_default();
    let status = desired
        .composite
        .as_ref()
        .and_then(|composite| composite.resource.as_ref())
        .map(|body| Value::Object(struct_to_json(body).unwrap()))
        .map_or(Value::Null, |composite| composite["status"].clone());
    Answer {
        fatal: of(Severity::Fatal)
            .map(|result| result.message.clone())
            .collect(),
        warnings: of(Severity::Warning)
            .map(|result| {
                (
                    result.reason.clone().unwrap_or_default(),
                    result.message.clone(),
                )
            })
            .collect(),
        conditions: response
            .conditions
            .iter()
            .map(|condition| {
                let status =
                    function_eks_pod_identity::protocol::v1::Status::try_from(condition.status)
                        .map_or("Unknown", |status| status.as_str_name());
                (condition.r#type.clone(), status.to_owned())
            })
            .collect(),
        desired: desired
            .resources
            .iter()
            .map(|(key, resource)| {
                let body = struct_to_json(resource.resource.as_ref().unwrap()).unwrap();
                (key.clone(), Value::Object(body))
            })
            .collect(),
        status,
    }
}

/// `desired` with the metadata Crossplane renders onto every composed
/// resource of `xr`.
#[must_use]
pub fn with_metadata(desired: &Value, key: &str, xr: &Value) -> Value {
    let mut body = desired.clone();
    let name = xr["metadata"]["name"].as_str().unwrap_or_default();
    if !body["metadata"].is_object() {
        body["metadata"] = json!({});
    }
    let metadata = &mut body["metadata"];
    metadata["generateName"] = json!(format!("{name}-"));
    metadata["labels"]["crossplane.io/composite"] = json!(name);
    for label in ["crossplane.io/claim-name", "crossplane.io/claim-namespace"] {
        if let Some(value) = xr["metadata"]["labels"][label].as_str() {
            metadata["labels"][label] = json!(value);
        }
    }
    metadata["annotations"]["crossplane.io/composition-resource-name"] = json!(key);
    if let Some(namespace) = xr["metadata"]["namespace"].as_str() {
        metadata["namespace"] = json!(namespace);
    }
    metadata["ownerReferences"] = json!([{
        "apiVersion": xr["apiVersion"],
        "kind": xr["kind"],
        "name": name,
        "uid": xr["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    }]);
    body
}

/// The name the API server generates from `generateName` (five
/// characters), distinct for each resource of the XR.
#[must_use]
pub fn generated_name(xr_name: &str, serial: usize) -> String {
    format!("{xr_name}-{}", token(&format!("{xr_name}/{serial}"), 5))
}
