//! The codec keeps of each observed composed resource only the fields the
//! function reads (`compose::observed::READ`). Here a settled XR's composed
//! resources are observed as the provider might report them, with any of
//! those fields present or missing, stale or foreign, and the function must
//! answer the request as the codec keeps it exactly as it answers the
//! whole request: a field it reads that the list leaves out fails here.

use function_eks_pod_identity::protocol::structs::{json_to_struct, struct_to_json};
use function_eks_pod_identity::protocol::v1::{Resource, RunFunctionRequest, State};
use proptest::prelude::{any, prop, proptest, ProptestConfig};
use serde_json::{json, Map, Value};

use crate::support::function::run_as_served;

const XR_UID: &str = "0f0e0d0c-0b0a-4909-8807-060504030201";
const XR_CREATED: &str = "2026-06-01T10:00:00Z";

/// The claim's parameters, by shape: how it names its cluster, and
/// whether it names its role and installs the agent.
fn parameters(shape: u8) -> Value {
    let cluster = match shape % 3 {
        0 => json!({"clusterName": "blue"}),
        1 => json!({"clusterNameRef": {"name": "blue"}}),
        _ => json!({"clusterNameSelector": {"matchControllerRef": true}}),
    };
    let mut parameters = json!({
        "region": "us-west-2",
        "serviceAccount": {"name": "app", "namespace": "shop"},
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
    });
    for (key, value) in object(cluster) {
        parameters[key] = value;
    }
    if shape & 4 != 0 {
        parameters["roleName"] = json!("shop-app");
        parameters["rolePath"] = json!("/apps/");
    }
    if shape & 8 != 0 {
        parameters["podIdentityAgent"] = json!({"install": true});
    }
    parameters
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

fn xr(shape: u8, namespaced: bool) -> Value {
    let mut metadata = json!({
        "name": "shop-app",
        "uid": XR_UID,
        "creationTimestamp": XR_CREATED,
    });
    if namespaced {
        metadata["namespace"] = json!("shop");
    } else {
        metadata["labels"] = json!({"crossplane.io/claim-namespace": "shop"});
    }
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": metadata,
        "spec": {"parameters": parameters(shape)},
    })
}

fn request(xr: &Value, observed: Vec<(String, Value)>) -> RunFunctionRequest {
    let resource = |body: Value| Resource {
        resource: Some(json_to_struct(object(body))),
        ..Resource::default()
    };
    RunFunctionRequest {
        observed: Some(State {
            composite: Some(resource(xr.clone())),
            resources: observed
                .into_iter()
                .map(|(key, body)| (key, resource(body)))
                .collect(),
        }),
        desired: Some(State::default()),
        ..RunFunctionRequest::default()
    }
}

/// The bits that decide what an observed resource reports.
struct Bits(u64);

impl Bits {
    /// The next `count` bits.
    fn take(&mut self, count: u32) -> u64 {
        let taken = self.0 & ((1 << count) - 1);
        self.0 = self.0.rotate_right(count);
        taken
    }

    fn flip(&mut self) -> bool {
        self.take(1) == 1
    }
}

/// `desired` as the API server and the provider might return it: each
/// field the function may read present or not, as `bits` decide.
fn observe(desired: &Value, key: &str, bits: &mut Bits) -> Value {
    let mut body = desired.clone();
    body["metadata"] = metadata(&body, key, bits);
    let mut asked = object(
        body.pointer("/spec/forProvider")
            .cloned()
            .unwrap_or_default(),
    );
    for field in [
        "region",
        "namespace",
        "serviceAccount",
        "path",
        "clusterName",
    ] {
        if bits.flip() {
            asked.remove(field);
        }
    }
    if bits.flip() {
        // A reference resolver writes the name it resolved beside the
        // reference or selector.
        asked.insert("clusterName".into(), json!("blue"));
    }
    if bits.flip() {
        asked.insert("path".into(), json!("/apps/"));
    }
    body["spec"]["forProvider"] = Value::Object(asked);
    body["spec"]["initProvider"] = json!({"tags": {"noise": "x"}});
    body["status"] = json!({
        "atProvider": at_provider(bits),
        "conditions": conditions(bits),
        "observedGeneration": 2,
    });
    body
}

/// The metadata the API server returns: a name, an external name or not,
/// a controller reference that is the XR's or not, and managed fields.
fn metadata(body: &Value, key: &str, bits: &mut Bits) -> Value {
    let external_name = match bits.take(2) {
        0 => None,
        1 => Some(json!("shop-app")),
        2 => Some(json!("a-0123456789abcdefg")),
        _ => body
            .pointer("/metadata/annotations/crossplane.io~1external-name")
            .cloned(),
    };
    let mut metadata = object(body["metadata"].clone());
    metadata.insert("name".into(), json!(format!("shop-app-{key}")));
    metadata.insert("uid".into(), json!("1a2b3c4d"));
    metadata.insert("resourceVersion".into(), json!("4242"));
    metadata.insert("managedFields".into(), json!([{"manager": "crossplane"}]));
    let mut annotations = object(metadata.remove("annotations").unwrap_or_default());
    annotations.remove("crossplane.io/external-name");
    if let Some(name) = external_name {
        annotations.insert("crossplane.io/external-name".into(), name);
    }
    annotations.insert("crossplane.io/external-create-pending".into(), json!("t"));
    metadata.insert("annotations".into(), Value::Object(annotations));
    if bits.flip() {
        metadata.insert(
            "ownerReferences".into(),
            json!([{
                "apiVersion": "aws.platform.upbound.io/v1alpha1",
                "kind": if bits.flip() { "XPodIdentity" } else { "XOther" },
                "name": "shop-app",
                "uid": if bits.take(2) == 0 { "another" } else { XR_UID },
                "controller": bits.take(2) != 0,
                "blockOwnerDeletion": true,
            }]),
        );
    }
    Value::Object(metadata)
}

/// What the provider reports: any of the fields the function reads, and
/// one it does not.
fn at_provider(bits: &mut Bits) -> Map<String, Value> {
    let created = if bits.flip() {
        "2025-01-01T00:00:00Z"
    } else {
        "2026-07-01T00:00:00Z"
    };
    let cluster = if bits.flip() { "blue" } else { "green" };
    let role = "arn:aws:iam::111122223333:role/apps/shop-app";
    [
        ("arn", json!(role)),
        ("id", json!("shop-app")),
        ("createDate", json!(created)),
        ("path", json!("/apps/")),
        ("clusterName", json!(cluster)),
        ("region", json!("us-west-2")),
        ("namespace", json!("shop")),
        ("serviceAccount", json!("app")),
        ("roleArn", json!(role)),
        ("associationId", json!("a-0123456789abcdefg")),
        (
            "associationArn",
            json!("arn:aws:eks:us-west-2:111122223333:podidentityassociation/blue/a-0123456789abcdefg"),
        ),
        ("targetRoleArn", json!("arn:aws:iam::444455556666:role/data")),
        ("externalId", json!("e-1")),
        ("uniqueId", json!("AROAEXAMPLE")),
    ]
    .into_iter()
    .filter(|_| bits.flip())
    .map(|(field, value)| (field.to_owned(), value))
    .collect()
}

/// Ready or not, and synced, failing with or without a message, or not
/// said.
fn conditions(bits: &mut Bits) -> Vec<Value> {
    let condition = |kind: &str, state: bool, reason: &str, message: Option<&str>| {
        let mut condition = json!({
            "type": kind,
            "status": if state { "True" } else { "False" },
            "reason": reason,
            "lastTransitionTime": "2026-06-01T10:01:00Z",
        });
        if let Some(message) = message {
            condition["message"] = json!(message);
        }
        condition
    };
    let mut conditions = Vec::new();
    if bits.flip() {
        conditions.push(condition("Ready", bits.flip(), "Available", None));
    }
    match bits.take(2) {
        0 => {}
        1 => conditions.push(condition("Synced", true, "ReconcileSuccess", None)),
        2 => conditions.push(condition(
            "Synced",
            false,
            "ReconcileError",
            Some("create failed: ResourceInUseException: Association already exists: a-0123456789abcdefg"),
        )),
        _ => conditions.push(condition("Synced", false, "ReconcileError", None)),
    }
    conditions
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_function_answers_what_the_codec_keeps_as_the_whole(
        shape in 0..16u8,
        namespaced in any::<bool>(),
        adopt in any::<bool>(),
        seeds in prop::collection::vec(any::<u64>(), 8),
    ) {
        let xr = xr(shape, namespaced);
        // What the function composes with nothing observed yet: the keys
        // and bodies Crossplane then creates.
        let first = run_as_served(request(&xr, Vec::new()));
        let desired = first.desired.unwrap_or_default().resources;
        let observed: Vec<(String, Value)> = desired
            .iter()
            .zip(seeds.iter().cycle())
            .filter_map(|((key, resource), seed)| {
                let body = Value::Object(struct_to_json(resource.resource.as_ref()?).ok()?);
                Some((key.clone(), observe(&body, key, &mut Bits(*seed))))
            })
            .collect();
        let mut settled = request(&xr, observed);
        if adopt {
            settled.input = Some(json_to_struct(object(json!({
                "apiVersion": "eks-pod-identity.fn.crossplane.io/v1beta1",
                "kind": "Input",
                "adoptConflictingAssociations": true,
            }))));
        }
        // Panics on any difference between the two answers.
        run_as_served(settled);
    }
}
