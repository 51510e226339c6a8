//! `examples/deployment-runtime-config.yaml` is a valid Crossplane
//! `DeploymentRuntimeConfig` (against the vendored CRD, with every object
//! closed so that a misspelt field fails) that runs two replicas and names
//! the metrics port.

use serde_json::Value;

const CRD: &str =
    "tests/fixtures/crds/crossplane-v2.4/pkg.crossplane.io_deploymentruntimeconfigs.yaml";
const EXAMPLE: &str = "examples/deployment-runtime-config.yaml";

/// Forbids fields a schema does not name, except where the CRD keeps
/// unknown fields on purpose.
fn close(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    let open = object.contains_key("additionalProperties")
        || object.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if object.contains_key("properties") && !open {
        object.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    for value in object.values_mut() {
        match value {
            Value::Object(_) => close(value),
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
}

fn schema() -> Value {
    let crd: Value = serde_norway::from_str(&std::fs::read_to_string(CRD).unwrap()).unwrap();
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|version| version["name"] == "v1beta1")
        .expect("the CRD serves v1beta1");
    let mut schema = version["schema"]["openAPIV3Schema"].clone();
    close(&mut schema);
    schema
}

fn problems(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn example() -> Value {
    serde_norway::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap()
}

#[test]
fn the_example_validates_against_the_crd() {
    let example = example();
    assert_eq!(example["apiVersion"], "pkg.crossplane.io/v1beta1");
    assert_eq!(example["kind"], "DeploymentRuntimeConfig");
    let problems = problems(&schema(), &example);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_closed_schema_catches_a_misspelt_field() {
    let mut example = example();
    example["spec"]["deploymentTemplate"]["spec"]["replica"] = Value::from(2);
    assert!(!problems(&schema(), &example).is_empty());
}

#[test]
fn two_replicas_with_resources_and_the_metrics_port() {
    let example = example();
    let deployment = &example["spec"]["deploymentTemplate"]["spec"];
    assert_eq!(deployment["replicas"], 2);
    let container = &deployment["template"]["spec"]["containers"][0];
    // Crossplane merges only the container of this name into its own.
    assert_eq!(container["name"], "package-runtime");
    let port = &container["ports"][0];
    assert_eq!(
        (&port["name"], &port["containerPort"]),
        (&Value::from("metrics"), &Value::from(8080))
    );
    for field in ["requests", "limits"] {
        assert!(
            container["resources"][field]["memory"].is_string(),
            "{field}"
        );
    }
}
