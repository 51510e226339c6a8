//! Property tests: whatever JSON arrives as `spec.parameters` (or as the
//! step's input), the function never panics and answers either with
//! composed resources and no result, or with exactly one FATAL result and
//! the desired state untouched.

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::json::json_to_struct;
use function_eks_pod_identity::proto::v1::{Resource, RunFunctionRequest, Severity, State};
use proptest::prelude::{any, prop, prop_oneof, proptest, Just, ProptestConfig, Strategy};
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
    let response = Function::default().run(request);
    let desired = response.desired.expect("desired state");
    match response.results.as_slice() {
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
}
