//! Property tests: whatever JSON arrives as `spec.parameters` (or as the
//! step's input), the function never panics and answers either with
//! composed resources and no result, or with exactly one FATAL result and
//! the desired state untouched. The server's codec, with its nesting
//! bound, accepts every damaged request prost accepts, and the function
//! answers what it keeps of the observed resources as it answers the
//! whole request.

use crate::support::function::{as_the_codec_keeps, run_as_served};
use function_eks_pod_identity::function::{MAX_FINDING_RESULTS, POLICY_LINT};
use function_eks_pod_identity::protocol::codec;
use function_eks_pod_identity::protocol::structs::json_to_struct;
use function_eks_pod_identity::protocol::v1::{Resource, RunFunctionRequest, Severity, State};
use proptest::prelude::{
    any, prop, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig, Strategy,
};
use prost::Message;
use serde_json::{json, Map, Value};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(
            |number| serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
        ),
        ".{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "us-west-2",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::111122223333:role/x",
            "{\"Version\":\"2012-10-17\"}",
            "Orphan",
            "*",
            "PRESERVE",
            "",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Field names the function reads, mixed with noise, so generated objects
/// reach deep into validation.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "region",
            "clusterName",
            "clusterNameRef",
            "clusterNameSelector",
            "serviceAccount",
            "name",
            "namespace",
            "managedPolicyArns",
            "inlinePolicy",
            "policy",
            "tags",
            "roleName",
            "rolePath",
            "roleDescription",
            "maxSessionDuration",
            "permissionsBoundaryArn",
            "targetRoleArn",
            "disableSessionTags",
            "podIdentityAgent",
            "install",
            "version",
            "resolveConflicts",
            "deletionPolicy",
            "managementPolicies",
            "providerConfigName",
            "providerConfigKind",
            "matchLabels",
            "matchControllerRef",
            // The codec skips the observed resources' managed fields: these
            // names anywhere else must survive it.
            "metadata",
            "managedFields",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,8}",
    ]
}

/// A valid parameter set with one field replaced by arbitrary JSON.
fn mutated_parameters() -> impl Strategy<Value = Value> {
    (field_name(), arbitrary_json()).prop_map(|(field, value)| {
        let mut parameters = json!({
            "region": "us-west-2",
            "clusterName": "blue",
            "serviceAccount": {"name": "app", "namespace": "shop"},
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "inlinePolicy": [{"name": "p", "policy": "{\"Version\":\"2012-10-17\"}"}],
            "podIdentityAgent": {"install": true},
        });
        parameters[field] = value;
        parameters
    })
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

fn request(parameters: Value, input: Value, namespaced: bool) -> RunFunctionRequest {
    let mut metadata = json!({"name": "x"});
    if namespaced {
        metadata["namespace"] = json!("shop");
    }
    let mut xr = json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": metadata,
        "spec": {},
    });
    xr["spec"]["parameters"] = parameters;
    let earlier = Resource {
        resource: Some(json_to_struct(object(json!({"kind": "ConfigMap"})))),
        ..Resource::default()
    };
    RunFunctionRequest {
        observed: Some(State {
            composite: Some(Resource {
                resource: Some(json_to_struct(object(xr))),
                ..Resource::default()
            }),
            ..State::default()
        }),
        desired: Some(State {
            resources: [("earlier".to_owned(), earlier)].into_iter().collect(),
            ..State::default()
        }),
        input: Some(json_to_struct(
            [("defaults".to_owned(), input)].into_iter().collect(),
        )),
        ..RunFunctionRequest::default()
    }
}

fn check(request: RunFunctionRequest) {
    let desired_before = request.desired.clone();
    let response = run_as_served(request);
    let desired = response.desired.expect("desired state");
    // The policy lint's Warnings come beside a composition, never with a
    // refusal, and are bounded.
    let (warnings, results): (Vec<_>, Vec<_>) = response
        .results
        .iter()
        .partition(|result| result.severity == i32::from(Severity::Warning));
    assert!(
        warnings.len() <= MAX_FINDING_RESULTS + 1,
        "{} warnings",
        warnings.len()
    );
    assert!(warnings
        .iter()
        .all(|warning| warning.reason.as_deref() == Some(POLICY_LINT)));
    match results.as_slice() {
        [] => {
            assert!(
                desired.resources.contains_key("iamRole"),
                "composed without a role"
            );
            assert!(desired.resources.contains_key("podIdentityAssociation"));
            assert!(
                desired.resources.contains_key("earlier"),
                "dropped an earlier step's resource"
            );
        }
        [only] => {
            assert!(warnings.is_empty(), "warnings beside a refusal");
            assert_eq!(only.severity, i32::from(Severity::Fatal));
            assert!(
                only.message.contains("spec.parameters") || only.message.contains("input.defaults")
            );
            assert_eq!(
                Some(desired),
                desired_before,
                "a FATAL result must leave desired state untouched"
            );
        }
        many => panic!("want at most one result, got {}", many.len()),
    }
}

/// The metadata of an observed composed resource: noise, or what the
/// function reads among managed fields and labels it does not.
fn composed_metadata() -> impl Strategy<Value = Value> {
    prop_oneof![
        arbitrary_json(),
        (arbitrary_json(), arbitrary_json()).prop_map(|(managed, noise)| {
            json!({"name": "x", "managedFields": managed, "annotations": noise})
        }),
        (
            prop::option::of("[a-z0-9-]{1,8}"),
            any::<bool>(),
            arbitrary_json()
        )
            .prop_map(|(external_name, ours, noise)| {
                json!({
                    "name": "x",
                    "generation": noise,
                    "annotations": {"crossplane.io/external-name": external_name},
                    "labels": {"crossplane.io/claim-namespace": "shop"},
                    "ownerReferences": [{
                        "controller": true,
                        "uid": if ours { "xr-uid" } else { "another" },
                        "kind": "XPodIdentity",
                        "name": "x",
                    }],
                })
            }),
    ]
}

/// What an observed composed resource asked the provider for.
fn for_provider() -> impl Strategy<Value = Value> {
    prop_oneof![
        arbitrary_json(),
        (
            prop::sample::select(vec!["blue", "green", "Bad Name"]),
            prop::sample::select(vec!["clusterNameRef", "clusterNameSelector", "none"]),
            arbitrary_json(),
        )
            .prop_map(|(cluster, form, noise)| {
                let mut asked = json!({
                    "clusterName": cluster,
                    "region": "us-west-2",
                    "namespace": "shop",
                    "serviceAccount": "app",
                    "path": "/",
                    "tags": noise,
                });
                match form {
                    "clusterNameRef" => asked[form] = json!({"name": cluster}),
                    "clusterNameSelector" => asked[form] = json!({"matchControllerRef": true}),
                    _ => {}
                }
                asked
            }),
    ]
}

/// A request whose observed XR and composed resources carry noise where
/// the function reads nothing and arbitrary values where it reads.
fn observed_request() -> impl Strategy<Value = RunFunctionRequest> {
    let identity = prop_oneof![Just(json!("XPodIdentity")), arbitrary_json()];
    let metadata = prop_oneof![
        arbitrary_json(),
        (prop::option::of("[a-z]{0,4}"), arbitrary_json()).prop_map(|(namespace, noise)| {
            let mut metadata = json!({"name": "x", "uid": "xr-uid", "labels": noise});
            if let Some(namespace) = namespace {
                metadata["namespace"] = json!(namespace);
            }
            metadata
        }),
    ];
    let spec = prop_oneof![
        arbitrary_json(),
        (mutated_parameters(), arbitrary_json())
            .prop_map(|(parameters, noise)| json!({"parameters": parameters, "claimRef": noise})),
    ];
    let at_provider = prop_oneof![
        arbitrary_json(),
        Just(json!({
            "arn": "arn:aws:iam::111122223333:role/r",
            "id": "r",
            "associationId": "a-1",
            "associationArn": "arn:aws:eks:us-west-2:111122223333:podidentityassociation/blue/a-1",
            "clusterName": "blue",
        })),
    ];
    let composed = prop_oneof![
        arbitrary_json(),
        (
            composed_metadata(),
            any::<bool>(),
            at_provider,
            for_provider(),
            arbitrary_json()
        )
            .prop_map(|(metadata, ready, at_provider, for_provider, noise)| json!({
                "apiVersion": "iam.aws.upbound.io/v1beta1",
                "kind": "Role",
                "metadata": metadata,
                "spec": {"forProvider": for_provider, "initProvider": noise.clone()},
                "status": {
                    "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                    "atProvider": at_provider,
                    "noise": noise,
                },
            })),
    ];
    let keys = prop::sample::select(vec![
        "iamRole",
        "podIdentityAssociation",
        "podIdentityAgent",
        "targetRolePolicy",
        "other",
    ]);
    (
        identity,
        metadata,
        spec,
        arbitrary_json(),
        prop::collection::btree_map(keys, composed, 0..4),
    )
        .prop_map(|(identity, metadata, spec, status, composed)| {
            let xr = json!({
                "apiVersion": "aws.platform.upbound.io/v1alpha1",
                "kind": identity,
                "metadata": metadata,
                "spec": spec,
                "status": status,
            });
            let resource = |body: Value| Resource {
                resource: Some(json_to_struct(object(body))),
                ..Resource::default()
            };
            RunFunctionRequest {
                observed: Some(State {
                    composite: Some(resource(xr)),
                    resources: composed
                        .into_iter()
                        .map(|(key, body)| (key.to_owned(), resource(body)))
                        .collect(),
                }),
                ..RunFunctionRequest::default()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_parameters_never_panic(parameters in arbitrary_json(), namespaced in any::<bool>()) {
        check(request(parameters, Value::Null, namespaced));
    }

    #[test]
    fn mutated_parameters_never_panic(parameters in mutated_parameters(), namespaced in any::<bool>()) {
        check(request(parameters, Value::Null, namespaced));
    }

    #[test]
    fn arbitrary_input_defaults_never_panic(input in arbitrary_json(), parameters in mutated_parameters()) {
        check(request(parameters, input, false));
    }

    #[test]
    fn the_codec_accepts_what_prost_accepts(
        request in observed_request(),
        damage in prop::collection::vec((any::<prop::sample::Index>(), 0..0x80u8, 0..8u8), 1..3),
    ) {
        let mut bytes = request.encode_to_vec();
        // Mostly ASCII written over a byte: text stays UTF-8, so prost still
        // accepts often enough, while keys, wire types and lengths change
        // under the nesting walk.
        for (at, byte, how) in damage {
            let at = at.index(bytes.len() + 1);
            match how {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => bytes[at] = byte,
                _ => bytes.push(byte),
            }
        }
        let through_codec = codec::decode::<RunFunctionRequest>(bytes.as_slice());
        let by_prost = RunFunctionRequest::decode(bytes.as_slice());
        // The codec steps over what it does not keep of the observed
        // resources unread, so damage there (text that is not UTF-8) may
        // pass it; everything prost accepts, it accepts the same, pruned.
        if let Ok(by_prost) = by_prost {
            prop_assert_eq!(through_codec.ok(), Some(as_the_codec_keeps(by_prost)));
        }
    }

    #[test]
    fn the_codec_decodes_all_but_what_it_prunes(request in observed_request()) {
        let bytes = request.encode_to_vec();
        let through_codec = codec::decode::<RunFunctionRequest>(bytes.as_slice());
        prop_assert_eq!(through_codec.ok(), Some(as_the_codec_keeps(request)));
    }

    #[test]
    fn the_function_answers_the_pruned_request_as_the_whole(request in observed_request()) {
        // Panics on any difference.
        run_as_served(request);
    }
}
