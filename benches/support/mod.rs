//! Requests shaped like the ones Crossplane sends once an XR has settled:
//! the observed XR, and its composed resources as the provider reports them
//! (metadata, managed fields, `status.atProvider`, conditions). Shared by the
//! benches, so they all measure the same calls.

use function_eks_pod_identity::compose::keys;
use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::protocol::structs::{json_to_struct, struct_to_json};
use function_eks_pod_identity::protocol::v1::{
    RequestMeta, Resource, RunFunctionRequest, Severity, State,
};
use serde_json::{json, Map, Value};

const ACCOUNT: &str = "123456789012";
const CLUSTER: &str = "configuration-aws-eks-pod-identity";
const TIME: &str = "2025-06-02T09:14:27Z";
/// The id EKS gave the association.
const ASSOCIATION_ID: &str = "a-8ywe3qbcd7zhvu9kz";

/// The inline policy of Upbound's example, as its YAML block scalar reads.
const KMS_POLICY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}
"#;

/// Upbound's example claim (configuration-aws-eks-pod-identity v0.1.0):
/// region, cluster selector, one managed and one inline policy, and the
/// service account; its role and association exist and are ready.
#[must_use]
pub fn small() -> RunFunctionRequest {
    let parameters = json!({
        "region": "us-west-2",
        "clusterNameSelector": {
            "matchLabels": {"crossplane.io/composite": CLUSTER},
        },
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
        "inlinePolicy": [{"name": "default", "policy": KMS_POLICY}],
        "serviceAccount": {"name": "my-controller", "namespace": "kube-system"},
    });
    settled(&parameters, |key| {
        key == keys::ROLE || key == keys::ASSOCIATION
    })
}

/// A claim using most of what the function offers: 20 managed policies,
/// 10 inline policies, tags, role settings and the agent add-on, with every
/// composed resource observed and ready.
#[must_use]
pub fn large() -> RunFunctionRequest {
    let managed: Vec<String> = (0..20)
        .map(|n| format!("arn:aws:iam::{ACCOUNT}:policy/platform/team-{n:02}-read-only"))
        .collect();
    let inline: Vec<Value> = (0..10)
        .map(|n| {
            let document = json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": format!("ReadBucket{n}"),
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                        "Resource": [
                            format!("arn:aws:s3:::team-{n}-artifacts"),
                            format!("arn:aws:s3:::team-{n}-artifacts/*"),
                        ],
                    },
                    {
                        "Sid": format!("Queue{n}"),
                        "Effect": "Allow",
                        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                        "Resource": format!("arn:aws:sqs:us-west-2:{ACCOUNT}:team-{n}-jobs"),
                    },
                ],
            });
            json!({
                "name": format!("team-{n}-access"),
                "policy": serde_json::to_string_pretty(&document).expect("JSON text"),
            })
        })
        .collect();
    let tags: Map<String, Value> = (0..10)
        .map(|n| {
            (
                format!("team.example.com/label-{n}"),
                json!(format!("value {n}")),
            )
        })
        .collect();
    let parameters = json!({
        "region": "eu-central-1",
        "clusterNameSelector": {
            "matchLabels": {"crossplane.io/composite": CLUSTER},
            "matchControllerRef": false,
        },
        "serviceAccount": {"name": "platform-controller", "namespace": "platform-system"},
        "managedPolicyArns": managed,
        "inlinePolicy": inline,
        "tags": tags,
        "roleName": "platform-controller-eu-central-1",
        "rolePath": "/platform/",
        "roleDescription": "Pods of platform-system/platform-controller",
        "maxSessionDuration": 7200,
        "permissionsBoundaryArn": format!("arn:aws:iam::{ACCOUNT}:policy/boundaries/platform"),
        "podIdentityAgent": {"install": true, "version": "v1.3.4-eksbuild.1"},
        "providerConfigName": "aws-platform",
    });
    settled(&parameters, |_| true)
}

/// The request for an XR with `parameters` whose composed resources
/// accepted by `observed` exist: what the function composes for it on the
/// first reconcile, as the provider would report it.
fn settled(parameters: &Value, observed: impl Fn(&str) -> bool) -> RunFunctionRequest {
    let xr_name = "configuration-aws-eks-pod-identity-x7k2p";
    let first = Function::default().run(RunFunctionRequest {
        observed: Some(State {
            composite: Some(resource(composite(xr_name, parameters, None))),
            ..State::default()
        }),
        ..RunFunctionRequest::default()
    });
    if let Some(fatal) = first
        .results
        .iter()
        .find(|result| result.severity == i32::from(Severity::Fatal))
    {
        panic!("the bench request is refused: {}", fatal.message);
    }
    let mut resources = std::collections::BTreeMap::new();
    for (position, (key, desired)) in first
        .desired
        .unwrap_or_default()
        .resources
        .into_iter()
        .enumerate()
    {
        if !observed(&key) {
            continue;
        }
        let body = struct_to_json(&desired.resource.unwrap_or_default()).expect("finite numbers");
        let body = as_observed(xr_name, &key, position, body);
        resources.insert(key, resource(body));
    }
    let status = json!({
        "conditions": [
            condition("Synced", "ReconcileSuccess"),
            condition("Ready", "Available"),
        ],
        "podIdentity": {
            "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{xr_name}-r0le1"),
            "roleName": format!("{xr_name}-r0le1"),
            "associationId": "a-8ywe3qbcd7zhvu9kz",
            "associationArn": format!("arn:aws:eks:us-west-2:{ACCOUNT}:podidentityassociation/{CLUSTER}/a-8ywe3qbcd7zhvu9kz"),
            "clusterName": CLUSTER,
        },
    });
    RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: "b4f8d7c2e1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6".to_owned(),
            ..RequestMeta::default()
        }),
        observed: Some(State {
            composite: Some(resource(composite(xr_name, parameters, Some(status)))),
            resources,
        }),
        // The first step of a pipeline starts from an empty desired state.
        desired: Some(State::default()),
        ..RunFunctionRequest::default()
    }
}

fn resource(body: Map<String, Value>) -> Resource {
    Resource {
        resource: Some(json_to_struct(body)),
        ..Resource::default()
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        other => panic!("not an object: {other}"),
    }
}

fn condition(kind: &str, reason: &str) -> Value {
    json!({
        "type": kind,
        "status": "True",
        "reason": reason,
        "lastTransitionTime": TIME,
    })
}

/// The XR as Crossplane observes it: made from a claim, with the fields
/// Crossplane itself keeps in its spec.
fn composite(name: &str, parameters: &Value, status: Option<Value>) -> Map<String, Value> {
    let mut xr = object(json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {
            "name": name,
            "generateName": "configuration-aws-eks-pod-identity-",
            "uid": "6f0d2f6e-4a3b-4c1e-9d8a-3b2c1d0e9f8a",
            "resourceVersion": "48213",
            "generation": 1,
            "creationTimestamp": TIME,
            "finalizers": ["composite.apiextensions.crossplane.io"],
            "labels": {
                "crossplane.io/claim-name": "configuration-aws-eks-pod-identity",
                "crossplane.io/claim-namespace": "default",
                "crossplane.io/composite": name,
            },
        },
        "spec": {
            "parameters": parameters,
            "claimRef": {
                "apiVersion": "aws.platform.upbound.io/v1alpha1",
                "kind": "PodIdentity",
                "name": "configuration-aws-eks-pod-identity",
                "namespace": "default",
            },
            "compositionRef": {"name": "xpodidentities.aws.platform.upbound.io"},
            "compositionRevisionRef": {"name": "xpodidentities.aws.platform.upbound.io-5c1e2b7"},
            "compositionUpdatePolicy": "Automatic",
        },
    }));
    if let Some(status) = status {
        xr.insert("status".to_owned(), status);
    }
    xr
}

/// A desired resource as the API server and the provider return it.
fn as_observed(
    xr_name: &str,
    key: &str,
    position: usize,
    mut body: Map<String, Value>,
) -> Map<String, Value> {
    let name = format!("{xr_name}-{position:05}");
    let kind = body["kind"].as_str().unwrap_or_default().to_owned();
    let api_version = body["apiVersion"].as_str().unwrap_or_default().to_owned();
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let external_name = body
        .get("metadata")
        .and_then(|metadata| metadata.pointer("/annotations/crossplane.io~1external-name"))
        .and_then(Value::as_str)
        .map_or_else(
            // The provider names an association by the id EKS gave it.
            || match kind.as_str() {
                "PodIdentityAssociation" => ASSOCIATION_ID.to_owned(),
                _ => name.clone(),
            },
            str::to_owned,
        );
    let for_provider = spec
        .get("forProvider")
        .cloned()
        .unwrap_or_else(|| json!({}));

    body.insert(
        "metadata".to_owned(),
        json!({
            "name": name,
            "generateName": format!("{xr_name}-"),
            "uid": format!("0c8e4b1a-{position:04}-4f7d-a2b6-5e9c3d1f0a7b"),
            "resourceVersion": format!("{}", 51_000 + position),
            "generation": 1,
            "creationTimestamp": TIME,
            "annotations": {
                "crossplane.io/composition-resource-name": key,
                "crossplane.io/external-name": external_name,
                "crossplane.io/external-create-pending": TIME,
                "crossplane.io/external-create-succeeded": TIME,
            },
            "labels": {
                "crossplane.io/claim-name": "configuration-aws-eks-pod-identity",
                "crossplane.io/claim-namespace": "default",
                "crossplane.io/composite": xr_name,
            },
            "finalizers": ["finalizer.managedresource.crossplane.io"],
            "ownerReferences": [{
                "apiVersion": "aws.platform.upbound.io/v1alpha1",
                "kind": "XPodIdentity",
                "name": xr_name,
                "uid": "6f0d2f6e-4a3b-4c1e-9d8a-3b2c1d0e9f8a",
                "controller": true,
                "blockOwnerDeletion": true,
            }],
            "managedFields": [
                {
                    "apiVersion": api_version,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": managed_fields(&spec)},
                    "manager": "apiextensions.crossplane.io/composed/9f8e7d6c5b4a39281706f5e4d3c2b1a0",
                    "operation": "Apply",
                    "time": TIME,
                },
                {
                    "apiVersion": api_version,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:status": {"f:atProvider": managed_fields(&for_provider), "f:conditions": {}}},
                    "manager": "provider-aws",
                    "operation": "Update",
                    "subresource": "status",
                    "time": TIME,
                },
            ],
        }),
    );
    if let Some(Value::Object(spec)) = body.get_mut("spec") {
        spec.entry("initProvider").or_insert_with(|| json!({}));
        spec.entry("managementPolicies")
            .or_insert_with(|| json!(["*"]));
    }
    let mut at_provider = object(for_provider);
    at_provider.retain(|field, _| !field.ends_with("Selector") && !field.ends_with("Ref"));
    at_provider.extend(object(provider_fields(&kind, &external_name)));
    body.insert(
        "status".to_owned(),
        json!({
            "atProvider": at_provider,
            "conditions": [
                condition("Ready", "Available"),
                condition("Synced", "ReconcileSuccess"),
            ],
        }),
    );
    body
}

/// What the provider adds to `status.atProvider` for each kind.
fn provider_fields(kind: &str, external_name: &str) -> Value {
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{external_name}");
    match kind {
        "Role" => json!({
            "arn": role_arn,
            "id": external_name,
            "uniqueId": "AROAXYZ2ZXKQ4EXAMPLE7",
            "createDate": TIME,
            "roleLastUsed": [{"lastUsedDate": TIME, "region": "us-west-2"}],
        }),
        "RolePolicyAttachment" => {
            json!({"id": format!("{external_name}-20250602091427000000000001")})
        }
        "RolePolicy" => json!({"id": format!("role:{external_name}"), "role": "role"}),
        "PodIdentityAssociation" => json!({
            "associationArn": format!("arn:aws:eks:us-west-2:{ACCOUNT}:podidentityassociation/{CLUSTER}/{ASSOCIATION_ID}"),
            "associationId": ASSOCIATION_ID,
            "clusterName": CLUSTER,
            "id": ASSOCIATION_ID,
            "roleArn": role_arn,
        }),
        _ => json!({
            "arn": format!("arn:aws:eks:us-west-2:{ACCOUNT}:addon/{CLUSTER}/eks-pod-identity-agent/0ec8e4b1"),
            "id": format!("{CLUSTER}:eks-pod-identity-agent"),
            "clusterName": CLUSTER,
            "createdAt": TIME,
            "modifiedAt": TIME,
        }),
    }
}

/// The `fieldsV1` entry Kubernetes keeps for a set of fields.
fn managed_fields(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, child)| (format!("f:{key}"), managed_fields(child)))
                .collect(),
        ),
        _ => json!({}),
    }
}
